"""The plain-language sentences of a synthesis report, built from results: the pooled estimate,
subgroups, small-study checks, where the evidence comes from and the methods actually run (its
tables are in :mod:`evidence.synthesis.report_tables`). Nothing here computes a statistic.
"""

from __future__ import annotations

import pandas as pd

from evidence.synthesis.effects import Measure
from evidence.synthesis.evidence_table import EvidenceTable
from evidence.synthesis.models import METHOD_NAMES, MetaAnalysisResult
from evidence.synthesis.report_format import (
    estimate_with_interval,
    interval,
    p_text,
    prediction_method,
    trim_and_fill_refit,
    units,
)
from evidence.synthesis.small_studies import SMALL_STUDY_MINIMUM, SmallStudyChecks
from evidence.synthesis.subgroups import SubgroupResult


def _direction(measure: Measure, result: MetaAnalysisResult) -> str:
    null = 0.0
    level = f"{100 * result.level:g}%"
    if result.ci_low > null:
        return f"the {level} confidence interval lies entirely above {measure.null:g} (no effect)"
    if result.ci_high < null:
        return f"the {level} confidence interval lies entirely below {measure.null:g} (no effect)"
    return f"the {level} confidence interval includes {measure.null:g} (no effect)"


def describe_pooled(result: MetaAnalysisResult, measure: Measure, study_header: str = "Study") -> str:
    """Headline paragraph: the pooled estimate, its uncertainty, the prediction interval and
    heterogeneity, in plain words."""
    level = f"{100 * result.level:g}%"
    text = (
        f"Pooling **{result.k} {units(study_header)}** with a {METHOD_NAMES[result.method]}"
        + (" and the Knapp-Hartung adjustment" if result.test == "knha" else "")
        + f", the pooled {measure.name} was "
        f"**{estimate_with_interval(measure, result.estimate, result.ci_low, result.ci_high)}** "
        f"({level} confidence interval in brackets); {_direction(measure, result)}."
    )
    if result.random_effects:
        text += (
            f"\n\nThe true effects differ between {units(study_header)}: I\u00b2 = {result.i2:.0f}% "
            f"({level} CI {result.i2_ci[0]:.0f}% to {result.i2_ci[1]:.0f}%) of the variation between "
            "their results reflects real differences rather than chance. Allowing for this, the effect "
            "in a new setting like these could plausibly lie anywhere from "
            f"**{interval(measure, result.pi_low, result.pi_high)}** ({level} prediction interval, from "
            f"{prediction_method(result.pi_type, result.test, result.pi_df)})."
        )
        if result.k < 5:
            text += " With so few, \u03c4\u00b2 and the prediction interval are very uncertain."
    return text


def describe_subgroups(subgroups: SubgroupResult, measure: Measure, study_header: str = "Study") -> str:
    """Each subgroup's estimate and the test of differences, in words."""
    parts = [
        f"{row.subgroup}: {estimate_with_interval(measure, row.estimate, row.ci_low, row.ci_high)} "
        f"({int(row.k)} {study_header.lower() if row.k == 1 else units(study_header)})"
        for row in subgroups.table.itertuples()
    ]
    verdict = (
        "the subgroups differ by more than chance would suggest"
        if subgroups.q_between_pvalue < 0.05
        else "the differences between subgroups are compatible with chance"
    )
    return (
        "; ".join(parts) + f". Test for subgroup differences: {p_text(subgroups.q_between_pvalue)}; "
        f"{verdict}. Subgroup comparisons are observational: {units(study_header)} differ in more than "
        "this one respect."
    )


def describe_small_studies(checks: SmallStudyChecks, measure: Measure) -> str:
    """The small-study checks in words; a check that could not be estimated gets the sentence
    saying why."""
    egger, rank, trimfill, k = checks.egger, checks.rank, checks.trimfill, checks.k
    text = ""
    if k < SMALL_STUDY_MINIMUM:
        text += (
            f"**Only {k} studies:** these checks have little power with fewer than "
            f"{SMALL_STUDY_MINIMUM} studies, so read them with caution (Sterne et al. 2011). "
        )
    if egger is not None:
        asymmetric = egger.pvalue < 0.10
        suggests = "suggests" if asymmetric else "does not suggest"
        text += f"Egger's test {suggests} funnel-plot asymmetry ({p_text(egger.pvalue)}); "
    else:
        text += checks.not_run["egger"] + " "
    text += (
        f"the rank correlation test gives {p_text(rank.pvalue)}. " if rank is not None else checks.not_run["rank"] + " "
    )
    if trimfill is None:
        return text + checks.not_run["trim_and_fill"]
    side = f"on the {trimfill.side}" + (" (the side given for this analysis)" if trimfill.side_given else "")
    if trimfill.k0:
        adjusted = trimfill.adjusted
        one = trimfill.k0 == 1
        text += (
            f"Trim-and-fill ({trimfill.estimator}) estimates {trimfill.k0} missing "
            f"{'study' if one else 'studies'} {side}; adding {'its mirror image' if one else 'their mirror images'} "
            "moves the estimate to "
            f"{estimate_with_interval(measure, adjusted.estimate, adjusted.ci_low, adjusted.ci_high)}, "
            f"{trim_and_fill_refit(trimfill)}. Asymmetry can arise from publication bias, but also from "
            "real differences between small and large studies."
        )
    else:
        text += f"Trim-and-fill ({trimfill.estimator}) estimates no missing studies {side}."
    return text


def _trim_and_fill_method(checks: SmallStudyChecks | None) -> str:
    if checks is None or checks.trimfill is None:
        return ""
    t = checks.trimfill
    side = (
        f"on the {t.side}, the side given for this analysis"
        if t.side_given
        else "on the side opposite the slope of the regression on the standard error"
    )
    test = ("the Knapp-Hartung adjustment" if t.adjusted.test == "knha" else "a z-test") if t.k0 else ""
    return f", {t.estimator} estimator, studies filled {side}" + (
        f", the model with the filled studies refitted with {test}" if test else ""
    )


def describe_table(table: EvidenceTable, topic: str) -> str:
    """Where the studies come from: the citation of a published table, or a clear statement
    that the table is synthetic."""
    k = len(table.effects)
    if table.synthetic:
        return (
            f"**Synthetic data.** The {k} rows of `{table.path}` are invented for demonstration "
            f"({topic}); they describe no real service or child. Replace them with real results "
            "before drawing any conclusion."
        )
    cited = table.citations()
    if cited:
        origin = "; ".join(sorted(set(table.sources.get("source_copy", pd.Series(dtype=str)).astype(str))))
        return f"**Evidence:** {k} studies of {topic}, as published in {'; '.join(cited)}" + (
            f" (transcribed from {origin})." if origin else "."
        )
    return f"**Evidence:** {k} studies of {topic}, from `{table.path}`."


def describe_methods(
    result: MetaAnalysisResult, table: EvidenceTable, correlation: float, checks: SmallStudyChecks | None = None
) -> str:
    """The Methods paragraph for what was actually run; ``checks``, when given, adds how
    trim-and-fill chose its side and refitted the model."""
    measure = table.measure
    layouts = {
        "two_group": "from each group's mean, standard deviation and size",
        "pre_post": (
            "from pre and post means and standard deviations, with the pre-post correlation "
            f"given in the table or assumed to be {correlation:g}"
        ),
        "two_by_two": (
            "from each arm's events and size, adding 0.5 to every cell of a table with a zero cell (and only those)"
        ),
        "yi_vi": "as given in the table (effect size and sampling variance)",
        "estimate_se": "as given in the table (estimate and standard error)",
        "estimate_ci": "from each estimate and its confidence interval (standard error = interval width / 2z)",
    }
    smd = (
        (" Standardised differences use Hedges' exact small-sample correction J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)).")
        if measure.code in ("SMD", "SMCR", "SMCC")
        else ""
    )
    ratio = " Ratios were pooled on the log scale and are shown as ratios." if measure.ratio else ""
    model = f"a {METHOD_NAMES[result.method]}" + (
        " with the Knapp-Hartung adjustment (t-distribution on k − 1 df)" if result.test == "knha" else ""
    )
    return (
        f"**Effect sizes.** {measure.name[:1].upper() + measure.name[1:]} ({measure.code}), computed "
        f"{layouts[table.layout]}.{smd}{ratio}\n\n"
        f"**Pooling.** Inverse-variance weighting with {model}. The prediction interval is "
        + ("estimate ± critical value × τ" if result.pi_type == "simple" else "estimate ± critical value × √(SE² + τ²)")
        + f", the critical value from {prediction_method(result.pi_type, result.test)}. Intervals for τ² use the "
        "Q-profile method (Viechtbauer 2007); I² and H² are computed from τ² (Higgins & "
        "Thompson 2002).\n\n"
        "**Subgroups and moderators.** Subgroups are pooled separately and compared with a test of "
        "subgroup differences (Borenstein et al. 2009, ch. 19); moderators enter a mixed-effects "
        "meta-regression.\n\n"
        "**Small-study effects.** Contour-enhanced funnel plot (Peters et al. 2008), Egger's "
        "regression test (Egger et al. 1997), the rank correlation test (Begg & Mazumdar 1994) and "
        "trim-and-fill (Duval & Tweedie 2000)" + _trim_and_fill_method(checks) + ".\n\n"
        "**Software.** `evidence.synthesis`, checked against R's metafor (Viechtbauer 2010) to within "
        "1e-4 on its published example datasets (tests/fixtures/metafor)."
    )
