"""What a synthesis report shows: display tables (through :mod:`evidence.disclosure`) and
plain-language sentences built from results, so that the notebook stays thin.

Numbers are shown on the display scale (ratios for ratio measures) with two decimals;
intervals as "low to high". Nothing here computes a statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence.disclosure import DisclosureRule, PublishedTable, publish_estimates
from evidence.synthesis.effects import Measure, confidence_limits
from evidence.synthesis.evidence_table import EvidenceTable
from evidence.synthesis.models import METHOD_NAMES, MetaAnalysisResult, json_ready
from evidence.synthesis.regression import MetaRegressionResult
from evidence.synthesis.small_studies import SmallStudyChecks
from evidence.synthesis.subgroups import SubgroupResult
from evidence.synthesis.trimfill import TrimFillResult

#: Fewer studies than this and funnel-plot tests have too little power (Sterne et al. 2011).
SMALL_STUDY_MINIMUM = 10


def records(frame: pd.DataFrame) -> list[dict]:
    """A table as JSON-ready records (missing values as null)."""
    return json_ready(frame.to_dict(orient="records"))


def number(value: float, digits: int = 2) -> str:
    """A number for text, with a true minus sign; "NA" when missing."""
    return "NA" if value is None or not np.isfinite(value) else f"{value:.{digits}f}".replace("-", "\u2212")


def interval(measure: Measure, low: float, high: float, digits: int = 2) -> str:
    lo, hi = measure.display([low, high])
    return f"{number(lo, digits)} to {number(hi, digits)}"


def estimate_with_interval(measure: Measure, estimate: float, low: float, high: float, digits: int = 2) -> str:
    return f"{number(float(measure.display(estimate)), digits)} ({interval(measure, low, high, digits)})"


def p_value(p: float) -> str:
    """A p-value for a table cell: "< 0.001" or three decimals."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float) -> str:
    """A p-value for a sentence: "p < 0.001" or "p = 0.123"."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def units(study_header: str) -> str:
    """What the rows are called in sentences: "studies", or e.g. "services" for "Service"."""
    return "studies" if study_header.lower() == "study" else f"{study_header.lower()}s"


def _percent_ci(level: float) -> str:
    return f"{100 * level:g}% CI"


def prediction_method(pi_type: str, test: str, pi_df: float | None = None) -> str:
    """Which prediction interval, in words: its quantile (with the degrees of freedom when
    ``pi_df`` is given) and its source. ``test`` is the model's ("z" or "knha")."""
    df = "" if pi_df is None or not np.isfinite(pi_df) else f" = {pi_df:g}"
    if pi_type == "riley":
        return f"a t-distribution on k \u2212 2{df} degrees of freedom, as Higgins, Thompson & Spiegelhalter (2009)"
    if pi_type == "t" or (pi_type == "default" and test == "knha"):
        return f"a t-distribution on k \u2212 1{df} degrees of freedom" + (
            ", as the confidence interval" if pi_type == "default" else ""
        )
    if pi_type == "simple":
        return "the normal quantile times \u03c4 alone, leaving out the uncertainty in the pooled estimate"
    return "the normal quantile, as the confidence interval"


def trim_and_fill_refit(trimfill: TrimFillResult) -> str:
    """How the model with the filled studies was fitted, in words ("" when none were filled)."""
    if trimfill.k0 == 0:
        return ""
    names = {"knha": "the Knapp-Hartung adjustment", "z": "a z-test"}
    refit, main = trimfill.adjusted.test, trimfill.original.test
    text = f"the model refitted with {names[refit]}"
    if refit == main:
        return text + ", as the main analysis"
    return (
        text
        + (", as R's metafor trimfill does by default" if refit == "z" else "")
        + f", where the main analysis uses {names[main]}"
    )


def study_table(
    effects: pd.DataFrame,
    result: MetaAnalysisResult,
    measure: Measure,
    caption: str,
    group_column: str = "",
    count_columns: dict[str, str] | None = None,
    study_header: str = "Study",
    rule: DisclosureRule | None = None,
) -> PublishedTable:
    """Each study's estimate with its interval and weight in the pooled model. ``count_columns``
    maps columns that count people (e.g. children per service) to headers; they pass through
    disclosure control."""
    low, high = confidence_limits(effects["yi"], effects["vi"], result.level)
    frame = pd.DataFrame({study_header: effects["study"].astype(str).to_numpy()})
    if group_column:
        frame[group_column.replace("_", " ").capitalize()] = effects[group_column].astype(str).to_numpy()
    for column, header in (count_columns or {}).items():
        frame[header] = effects[column].to_numpy(dtype=float)
    frame[f"Estimate ({_percent_ci(result.level)})"] = [
        estimate_with_interval(measure, y, lo, hi) for y, lo, hi in zip(effects["yi"], low, high, strict=True)
    ]
    frame["Weight"] = [f"{w:.1f}%" for w in result.weights]
    note = (
        f"{measure.name[:1].upper() + measure.name[1:]}; intervals are Wald intervals from each "
        f"study's standard error; weights are those of the {METHOD_NAMES[result.method]}."
    )
    return publish_estimates(
        frame, caption, note, count_columns=list((count_columns or {}).values()), rule=rule or DisclosureRule()
    )


def heterogeneity_table(result: MetaAnalysisResult, caption: str) -> PublishedTable:
    """tau^2, tau, I^2 and H^2 with Q-profile intervals, and the Q test, each explained."""
    ci = _percent_ci(result.level)
    rows = []
    if result.random_effects:
        rows += [
            (
                "\u03c4\u00b2 (between-study variance)",
                number(result.tau2, 4),
                f"{number(result.tau2_ci[0], 4)} to {number(result.tau2_ci[1], 4)}",
                "variance of the true effects across studies (analysis scale)",
            ),
            (
                "\u03c4 (between-study SD)",
                number(result.tau, 4),
                f"{number(np.sqrt(result.tau2_ci[0]), 4)} to {number(np.sqrt(result.tau2_ci[1]), 4)}",
                "typical spread of the true effects",
            ),
            (
                "I\u00b2",
                f"{result.i2:.1f}%",
                f"{result.i2_ci[0]:.1f}% to {result.i2_ci[1]:.1f}%",
                "share of the variability in estimates due to real differences, not chance",
            ),
            (
                "H\u00b2",
                number(result.h2),
                f"{number(result.h2_ci[0])} to {number(result.h2_ci[1])}",
                "total variability relative to sampling variability (1 = none beyond chance)",
            ),
        ]
    else:
        rows += [
            ("I\u00b2 (from Q)", f"{result.i2:.1f}%", "", "fixed-effect model: no \u03c4\u00b2"),
            ("H\u00b2 (from Q)", number(result.h2), "", ""),
        ]
    rows.append(
        (f"Q (df = {result.q_df})", number(result.q), "", f"test of no heterogeneity: {p_text(result.q_pvalue)}")
    )
    frame = pd.DataFrame(rows, columns=["Statistic", "Estimate", ci, "Meaning"])
    note = (
        "Intervals for \u03c4\u00b2, I\u00b2 and H\u00b2 are Q-profile intervals (Viechtbauer 2007); "
        "I\u00b2 and H\u00b2 are computed from \u03c4\u00b2 (Higgins & Thompson 2002)."
    )
    return publish_estimates(frame, caption, note)


def subgroup_table(
    subgroups: SubgroupResult, measure: Measure, caption: str, study_header: str = "Study"
) -> PublishedTable:
    ci = _percent_ci(subgroups.level)
    t = subgroups.table
    frame = pd.DataFrame(
        {
            "Subgroup": t["subgroup"].astype(str),
            units(study_header).capitalize(): t["k"].astype(int).astype(str),
            f"Estimate ({ci})": [
                estimate_with_interval(measure, e, lo, hi)
                for e, lo, hi in zip(t["estimate"], t["ci_low"], t["ci_high"], strict=True)
            ],
            "Prediction interval": [
                interval(measure, lo, hi) if np.isfinite(lo) else "\u2013"
                for lo, hi in zip(t["pi_low"], t["pi_high"], strict=True)
            ],
            "\u03c4\u00b2": [number(x, 4) for x in t["tau2"]],
            "I\u00b2": ["\u2013" if not np.isfinite(x) else f"{x:.0f}%" for x in t["i2"]],
        }
    )
    kind = (
        "with one \u03c4\u00b2 common to all subgroups (a meta-regression on subgroup)"
        if subgroups.common_tau2
        else "separately, each with its own \u03c4\u00b2"
    )
    note = (
        f"Subgroups were pooled {kind}. Test for subgroup differences: "
        f"Q({subgroups.q_between_df}) = {number(subgroups.q_between)}, {p_text(subgroups.q_between_pvalue)}. "
        f"A subgroup of one {study_header.lower()} shows that {study_header.lower()}. "
        f"Prediction intervals use {prediction_method(subgroups.pi_type, subgroups.test)}."
    )
    return publish_estimates(frame, caption, note)


def moderator_table(regression: MetaRegressionResult, measure: Measure, caption: str) -> PublishedTable:
    c = regression.coefficients
    ci = _percent_ci(regression.level)
    stat = "t" if regression.test == "knha" else "z"
    frame = pd.DataFrame(
        {
            "Term": c["term"],
            "Coefficient": [number(x, 4) for x in c["estimate"]],
            "SE": [number(x, 4) for x in c["se"]],
            stat: [number(x) for x in c["statistic"]],
            "p": [p_value(x) for x in c["pvalue"]],
            ci: [f"{number(lo, 4)} to {number(hi, 4)}" for lo, hi in zip(c["ci_low"], c["ci_high"], strict=True)],
        }
    )
    scale = f"on the {measure.analysis_name} scale" if measure.ratio else f"in {measure.name} units"
    test = (
        "F" if regression.test == "knha" else "QM"
    ) + f"({', '.join(f'{d:g}' for d in regression.qm_df if np.isfinite(d))})"
    note = (
        f"Coefficients {scale}, per unit of each moderator. Test of all moderators: {test} = "
        f"{number(regression.qm)}, {p_text(regression.qm_pvalue)}. Residual heterogeneity: "
        f"QE({regression.q_df}) = {number(regression.q)}, {p_text(regression.q_pvalue)}"
        + (
            f"; residual \u03c4\u00b2 = {number(regression.tau2, 4)}; R\u00b2 = {regression.r2:.0f}%."
            if regression.method != "FE"
            else "."
        )
    )
    return publish_estimates(frame, caption, note)


def leave_one_out_table(frame: pd.DataFrame, measure: Measure, level: float, caption: str) -> PublishedTable:
    out = pd.DataFrame(
        {
            "Study left out": frame["omitted"].astype(str),
            f"Estimate ({_percent_ci(level)})": [
                estimate_with_interval(measure, e, lo, hi)
                for e, lo, hi in zip(frame["estimate"], frame["ci_low"], frame["ci_high"], strict=True)
            ],
            "\u03c4\u00b2": [number(x, 4) for x in frame["tau2"]],
            "I\u00b2": [f"{x:.0f}%" for x in frame["i2"]],
            "Q p-value": [p_value(x) for x in frame["q_pvalue"]],
        }
    )
    return publish_estimates(out, caption, "Each row is the model fitted without that study.")


def estimator_table(
    frame: pd.DataFrame, measure: Measure, level: float, caption: str, pi_type: str = "default", test: str = "z"
) -> PublishedTable:
    """:func:`~evidence.synthesis.compare_estimators` as a table; ``pi_type`` and ``test``
    are those it was run with, for the note."""
    out = pd.DataFrame(
        {
            "Model": [METHOD_NAMES[m] + f" ({m})" for m in frame["method"]],
            f"Estimate ({_percent_ci(level)})": [
                estimate_with_interval(measure, e, lo, hi)
                for e, lo, hi in zip(frame["estimate"], frame["ci_low"], frame["ci_high"], strict=True)
            ],
            "Prediction interval": [
                interval(measure, lo, hi) if np.isfinite(lo) else "\u2013"
                for lo, hi in zip(frame["pi_low"], frame["pi_high"], strict=True)
            ],
            "\u03c4\u00b2": [number(x, 4) for x in frame["tau2"]],
            "I\u00b2": [f"{x:.0f}%" for x in frame["i2"]],
        }
    )
    return publish_estimates(
        out,
        caption,
        "The same studies pooled with different estimators of "
        "the between-study variance. Prediction intervals use "
        f"{prediction_method(pi_type, test)}.",
    )


def small_study_table(checks: SmallStudyChecks, measure: Measure, caption: str) -> PublishedTable:
    """Egger's test, the rank correlation test and trim-and-fill, one row each; a check that
    could not be estimated says why instead of showing numbers."""
    egger, rank, trimfill = checks.egger, checks.rank, checks.trimfill
    not_run = ("not estimable", "\u2013")
    rows = []
    if egger is not None:
        stat = "z" if np.isnan(egger.df) else f"t({egger.df:g})"
        rows.append(
            (
                "Egger's regression test",
                f"{stat} = {number(egger.statistic)}",
                p_value(egger.pvalue),
                "limit estimate (SE \u2192 0): "
                f"{estimate_with_interval(measure, egger.limit_estimate, *egger.limit_ci)}",
            )
        )
    else:
        rows.append(("Egger's regression test", *not_run, checks.not_run["egger"]))
    if rank is not None:
        rows.append(
            (
                "Rank correlation (Begg & Mazumdar)",
                f"Kendall's \u03c4 = {number(rank.tau)}",
                p_value(rank.pvalue),
                "exact p-value" if rank.exact else "normal approximation (ties)",
            )
        )
    else:
        rows.append(("Rank correlation (Begg & Mazumdar)", *not_run, checks.not_run["rank"]))
    if trimfill is not None:
        filled = trimfill.adjusted
        side = f"{trimfill.side} (given)" if trimfill.side_given else trimfill.side
        detail = (
            f"adjusted estimate {estimate_with_interval(measure, filled.estimate, filled.ci_low, filled.ci_high)}"
            + (f"; {trim_and_fill_refit(trimfill)}" if trimfill.k0 else "")
        )
        count = f"{trimfill.k0} {'study' if trimfill.k0 == 1 else 'studies'}"
        rows.append(
            (
                f"Trim-and-fill ({trimfill.estimator})",
                f"{count} filled on the {side}",
                p_value(trimfill.p_k0) if np.isfinite(trimfill.p_k0) else "\u2013",
                detail,
            )
        )
    else:
        rows.append(("Trim-and-fill", "not run", "\u2013", checks.not_run["trim_and_fill"]))
    frame = pd.DataFrame(rows, columns=["Check", "Result", "p", "Detail"])
    return publish_estimates(
        frame,
        caption,
        f"Checks for funnel-plot asymmetry; they have little power with fewer than {SMALL_STUDY_MINIMUM} studies.",
    )


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
