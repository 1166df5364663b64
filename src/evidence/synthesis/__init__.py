"""Evidence synthesis: effect sizes, meta-analysis, heterogeneity, subgroups, meta-regression
and small-study checks, agreeing with R's metafor (see ``tests/fixtures/metafor``)."""

from evidence.synthesis.effects import MEASURES, Measure, measure
from evidence.synthesis.models import (
    MetaAnalysisResult,
    MetaRegressionResult,
    SubgroupResult,
    leave_one_out,
    meta_analysis,
    meta_regression,
    subgroup_analysis,
)

__all__ = [
    "MEASURES", "Measure", "MetaAnalysisResult", "MetaRegressionResult", "SubgroupResult",
    "leave_one_out", "measure", "meta_analysis", "meta_regression", "subgroup_analysis",
]
