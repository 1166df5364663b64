"""Evidence synthesis: effect sizes, meta-analysis, heterogeneity, subgroups, meta-regression
and small-study checks, agreeing with R's metafor (see ``tests/fixtures/metafor``).

Typical use::

    table = read_evidence_table("data/raw/published/evidence_bcg_colditz1994.csv", "RR")
    result = meta_analysis(table.effects["yi"], table.effects["vi"], method="REML")
    print(result.summary())
"""

from evidence.synthesis.bias import (
    EggerTest,
    RankCorrelationTest,
    egger_test,
    precision_varies,
    rank_correlation_test,
)
from evidence.synthesis.effects import (
    MEASURES,
    Measure,
    confidence_limits,
    from_confidence_interval,
    from_standard_error,
    hedges_correction,
    log_odds_ratio,
    log_risk_ratio,
    mean_change,
    mean_difference,
    measure,
    risk_difference,
    standardised_mean_difference,
)
from evidence.synthesis.evidence_table import (
    EvidenceTable,
    effects_from_groups,
    read_evidence_table,
)
from evidence.synthesis.models import (
    METHOD_NAMES,
    PI_TYPES,
    MetaAnalysisResult,
    check_effects,
    compare_estimators,
    leave_one_out,
    meta_analysis,
)
from evidence.synthesis.regression import MetaRegressionResult, meta_regression
from evidence.synthesis.small_studies import SmallStudyChecks, small_study_checks
from evidence.synthesis.subgroups import SubgroupResult, subgroup_analysis
from evidence.synthesis.trimfill import TrimFillResult, trim_and_fill

__all__ = [
    "MEASURES",
    "METHOD_NAMES",
    "PI_TYPES",
    "EggerTest",
    "EvidenceTable",
    "Measure",
    "MetaAnalysisResult",
    "MetaRegressionResult",
    "RankCorrelationTest",
    "SmallStudyChecks",
    "SubgroupResult",
    "TrimFillResult",
    "check_effects",
    "compare_estimators",
    "confidence_limits",
    "effects_from_groups",
    "egger_test",
    "from_confidence_interval",
    "from_standard_error",
    "hedges_correction",
    "leave_one_out",
    "log_odds_ratio",
    "log_risk_ratio",
    "mean_change",
    "mean_difference",
    "measure",
    "meta_analysis",
    "meta_regression",
    "precision_varies",
    "rank_correlation_test",
    "read_evidence_table",
    "risk_difference",
    "small_study_checks",
    "standardised_mean_difference",
    "subgroup_analysis",
    "trim_and_fill",
]
