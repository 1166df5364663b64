"""The display tables of a synthesis report, each published through :mod:`evidence.disclosure`
(its sentences are in :mod:`evidence.synthesis.report_text`), so that the notebook stays thin.

Numbers are shown on the display scale (ratios for ratio measures) with two decimals;
intervals as "low to high". Nothing here computes a statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence.disclosure import DisclosureRule, PublishedTable, publish_estimates
from evidence.synthesis.effects import Measure, confidence_limits
from evidence.synthesis.models import METHOD_NAMES, MetaAnalysisResult
from evidence.synthesis.regression import MetaRegressionResult
from evidence.synthesis.report_format import (
    estimate_with_interval,
    interval,
    number,
    p_text,
    p_value,
    prediction_method,
    trim_and_fill_refit,
    units,
)
from evidence.synthesis.small_studies import SMALL_STUDY_MINIMUM, SmallStudyChecks
from evidence.synthesis.subgroups import SubgroupResult


def _percent_ci(level: float) -> str:
    return f"{100 * level:g}% CI"


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
