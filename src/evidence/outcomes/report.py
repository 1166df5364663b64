"""Outcomes of OT in plain words: the headline sentences about change, where the reliability
and minimal important change came from, and the loss-to-follow-up sensitivity analysis, each
written from publishable figures only (counts rounded and small groups suppressed by
:mod:`evidence.disclosure`). The statistics themselves are in :mod:`evidence.outcomes.analysis`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence.outcomes.analysis import ChangeSummary, WeightedChange


def _rounded(count: float, rule) -> str:
    from evidence.disclosure import round_counts

    value = round_counts([count], rule)[0]
    return f"fewer than {rule.small_count_max + 1}" if np.isnan(value) else f"{value:,.0f}"


def describe_change(
    summary: ChangeSummary, mic_row: pd.Series, scale_name: str, where: str, mic: float, higher_is_better: bool, rule
) -> str:
    """Headline sentences about change, from publishable figures: the mean change and effect
    size only over at least ``rule.min_base`` children
    (:func:`evidence.disclosure.suppress_statistic`)."""
    from evidence.disclosure import suppress_statistic

    if suppress_statistic(summary.mean_change, summary.n, rule) is None:
        return f"Too few children ({_rounded(summary.n, rule)}) had both questionnaires to report change in {where}."
    direction = "improvement" if (summary.mean_change > 0) == higher_is_better else "worsening"
    lines = [
        f"- **{_rounded(summary.n, rule)} children** in {where} completed the {scale_name} at baseline and follow-up.",
        f"- The average change was **{summary.mean_change:+.1f} points** (95% interval {summary.change_ci[0]:+.1f} "
        f"to {summary.change_ci[1]:+.1f}), an {direction}; Hedges' g {summary.hedges_g:.2f} "
        f"(95% interval {summary.hedges_g_ci[0]:.2f} to {summary.hedges_g_ci[1]:.2f}).",
    ]
    if bool(mic_row["shown"]):
        lines.append(
            f"- **{100 * mic_row['proportion']:.0f}%** reached the minimal important change of {mic:g} points "
            f"(95% interval {100 * mic_row['ci_low']:.0f}% to {100 * mic_row['ci_high']:.0f}%)."
        )
    return "\n".join(lines)


def describe_measure_sources(defaults, reliability: float, mic: float, baseline_sd: float) -> str:
    """Where the reliability and MIC used came from."""

    def line(name: str, used: float, sourced) -> str:
        if sourced.value is not None and abs(used - sourced.value) < 1e-12:
            return f"- {name} {used:g}: {sourced.describe()}."
        return f"- {name} {used:g}: set by the report producer (the default is {sourced.value}, {sourced.describe()})."

    return "\n".join(
        [
            line("Reliability", reliability, defaults.reliability),
            line("MIC", mic, defaults.mic),
            f"- Standard deviation for the reliable change index: {baseline_sd:.1f}, the baseline SD of "
            "these children.",
        ]
    )


def describe_follow_up_weighting(weighted: WeightedChange, rule) -> str:
    """The loss-to-follow-up sensitivity analysis (:func:`ipw_mean_change`) in words; the means
    only when at least ``rule.min_base`` children were followed up
    (:func:`evidence.disclosure.suppress_statistic`). (A survey's raking weights are described
    by :func:`evidence.survey.describe_weighting`.)"""
    from evidence.disclosure import suppress_statistic

    counts = (
        f"Of {_rounded(weighted.n_baseline, rule)} children with a baseline questionnaire, "
        f"{_rounded(weighted.n_complete, rule)} were followed up."
    )
    if weighted.n_missing_covariates:
        counts += (
            f" A further {_rounded(weighted.n_missing_covariates, rule)} with a baseline questionnaire had "
            "a case-mix detail missing (age, deprivation or need) and are left out of this analysis."
        )
    interval = (
        f"95% bootstrap interval, {weighted.bootstrap_replicates:,} resamples refitting the follow-up model"
        if weighted.bootstrap_replicates
        else "approximate 95% interval, weights treated as known"
    )
    complete = suppress_statistic(weighted.complete_case_mean, weighted.n_complete, rule, "{:+.1f}")
    reweighted = suppress_statistic(
        (weighted.weighted_mean, *weighted.weighted_ci),
        weighted.n_complete,
        rule,
        "{:+.1f} (" + interval + ", {:+.1f} to {:+.1f})",
    )
    if complete is None or reweighted is None:
        return counts + " Too few were followed up to report their mean change."
    shift = weighted.weighted_mean - weighted.complete_case_mean
    return (
        f"{counts} Their mean change was {complete} points; re-weighted for who was followed up, it is "
        f"{reweighted}, a shift of {shift:+.1f}. "
        + (
            "Loss to follow-up changes the picture little."
            if abs(shift) < 1
            else "Loss to follow-up matters here: read the change with care."
        )
    )
