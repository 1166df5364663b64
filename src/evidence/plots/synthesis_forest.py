"""The forest plot of an evidence synthesis, in the manner of metafor's ``forest()``: each study's
estimate and interval, the pooled diamond with its prediction interval, subgroups when asked,
and the heterogeneity statistics.

It takes results (study effect sizes and fitted models), never records about people, and
returns a :class:`~evidence.plots.theme.Chart` whose alt text gives the numbers a sighted reader
would take from the figure. Ratio measures are drawn on a log axis labelled in ratios.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Polygon

from evidence.plots.synthesis import POOLED_COLOUR, STUDY_COLOUR, style_effect_axis
from evidence.plots.theme import QUALITATIVE, THEME, Chart
from evidence.synthesis.effects import Measure, confidence_limits
from evidence.synthesis.models import MetaAnalysisResult, prediction_quantile
from evidence.synthesis.report_format import number, p_text
from evidence.synthesis.subgroups import SubgroupResult

SUBGROUP_COLOUR = QUALITATIVE[2]


def _bracket(measure: Measure, low: float, high: float, digits: int = 2) -> str:
    lo, hi = measure.display([low, high])
    return f"[{number(lo, digits)}, {number(hi, digits)}]"


def _interval(measure: Measure, estimate: float, low: float, high: float, digits: int = 2) -> str:
    return f"{number(float(measure.display(estimate)), digits)} {_bracket(measure, low, high, digits)}"


def heterogeneity_text(result: MetaAnalysisResult) -> str:
    """One line in metafor's manner: tau^2, I^2 (with Q-profile intervals) and the Q test."""
    if result.random_effects:
        lo, hi = result.tau2_ci
        i_lo, i_hi = result.i2_ci
        return (
            f"Heterogeneity: \u03c4\u00b2 = {result.tau2:.3f} [{lo:.3f}, {hi:.3f}]; "
            f"I\u00b2 = {result.i2:.0f}% [{i_lo:.0f}%, {i_hi:.0f}%]; "
            f"Q({result.q_df}) = {result.q:.2f}, {p_text(result.q_pvalue)}"
        )
    return f"Heterogeneity: I\u00b2 = {result.i2:.0f}%; Q({result.q_df}) = {result.q:.2f}, {p_text(result.q_pvalue)}"


def model_label(result: MetaAnalysisResult) -> str:
    kind = "Random effects" if result.random_effects else "Fixed effect"
    test = ", Knapp-Hartung" if result.test == "knha" else ""
    return f"{kind} ({result.method}{test})"


def forest_plot(
    effects: pd.DataFrame,
    result: MetaAnalysisResult,
    measure: Measure,
    title: str,
    subgroups: SubgroupResult | None = None,
    subgroup_column: str = "subgroup",
    effect_label: str = "",
    favours: tuple[str, str] | None = None,
    study_header: str = "Study",
) -> Chart:
    """Forest plot: one row per study (label; square sized by weight with its confidence
    interval; estimate [CI] and weight % as text), the pooled diamond, the prediction interval
    as a dotted line through it, a line of heterogeneity statistics and the model named. With
    ``subgroups``, studies are grouped under headings with a diamond per subgroup and the test
    of subgroup differences. ``effects`` has ``study``, ``yi``, ``vi`` in the order of
    ``result.labels`` (and ``subgroup_column`` with subgroups); ``favours`` labels the two
    sides of the line of no effect."""
    if favours is not None and len(favours) != 2:
        raise ValueError(f"favours needs two labels (left, right of no effect), got {favours!r}")
    level = result.level
    low, high = confidence_limits(effects["yi"], effects["vi"], level)
    weights = np.asarray(result.weights, dtype=float)
    study = effects.assign(ci_low=low, ci_high=high, weight=weights).reset_index(drop=True)

    rows: list[dict] = []  # from the top; y positions assigned afterwards
    if subgroups is None:
        rows += [{"kind": "study", "i": i} for i in range(len(study))]
    else:
        for group, sub in subgroups.table.set_index("subgroup").iterrows():
            members = np.flatnonzero(study[subgroup_column].astype(str).to_numpy() == group)
            rows.append({"kind": "heading", "text": str(group)})
            rows += [{"kind": "study", "i": i} for i in members]
            rows.append({"kind": "subgroup", "group": group, "row": sub})
            rows.append({"kind": "gap"})
    rows.append({"kind": "gap"})
    rows.append({"kind": "pooled"})
    rows.append({"kind": "note", "text": heterogeneity_text(result)})
    if subgroups is not None:
        rows.append(
            {
                "kind": "note",
                "text": (
                    f"Test for subgroup differences: Q({subgroups.q_between_df}) = "
                    f"{subgroups.q_between:.2f}, {p_text(subgroups.q_between_pvalue)}"
                    + (" (common \u03c4\u00b2)" if subgroups.common_tau2 else "")
                ),
            }
        )
    n = len(rows)
    for position, row in enumerate(rows):
        row["y"] = n - position

    with plt.rc_context(THEME):
        height = 1.5 + 0.27 * (n + 1)
        figure = plt.figure(figsize=(11, height))
        grid = figure.add_gridspec(
            1,
            3,
            width_ratios=[3.8, 4.2, 2.5],
            wspace=0.02,
            top=1 - 0.45 / height,
            bottom=0.95 / height,
            left=0.03,
            right=0.98,
        )
        left = figure.add_subplot(grid[0])
        ax = figure.add_subplot(grid[1], sharey=left)
        right = figure.add_subplot(grid[2], sharey=left)
        for text_ax in (left, right):
            text_ax.set_xlim(0, 1)
            text_ax.axis("off")
        ax.set_ylim(0.3, n + 1.2)
        ax.grid(False)
        ax.set_facecolor("none")  # long notes in the left column may run under the plot
        left.set_zorder(ax.get_zorder() + 1)
        ax.spines[["left", "top", "right"]].set_visible(False)
        ax.tick_params(axis="y", left=False, labelleft=False)
        display = measure.display

        header_y = n + 0.9
        pct = f"{100 * level:g}% CI"
        left.text(0, header_y, study_header, fontweight="bold", va="center")
        right.text(0.02, header_y, f"Estimate [{pct}]", fontweight="bold", va="center")
        right.text(1.0, header_y, "Weight", fontweight="bold", va="center", ha="right")

        max_weight = max(weights.max(), 1e-12)
        lows, highs = list(study["ci_low"]), list(study["ci_high"])
        for row in rows:
            y = row["y"]
            if row["kind"] == "heading":
                left.text(0, y, row["text"], fontweight="bold", va="center")
            elif row["kind"] == "study":
                s = study.iloc[row["i"]]
                ax.hlines(y, *display([s.ci_low, s.ci_high]), color=STUDY_COLOUR, linewidth=1.1)
                ax.scatter(
                    display(s.yi),
                    y,
                    marker="s",
                    s=18 + 160 * s.weight / max_weight,
                    color=STUDY_COLOUR,
                    zorder=3,
                    linewidths=0,
                )
                left.text(0.04 if subgroups is not None else 0, y, str(s.study), va="center")
                right.text(0.02, y, _interval(measure, s.yi, s.ci_low, s.ci_high), va="center")
                right.text(1.0, y, f"{s.weight:.1f}%", va="center", ha="right")
            elif row["kind"] == "subgroup":
                sub = row["row"]
                _diamond(ax, display, sub["estimate"], sub["ci_low"], sub["ci_high"], y, SUBGROUP_COLOUR)
                lows.append(sub["ci_low"])
                highs.append(sub["ci_high"])
                i2 = "" if not np.isfinite(sub["i2"]) else f", I\u00b2 = {sub['i2']:.0f}%"
                left.text(0.04, y, f"Subtotal (k = {int(sub['k'])}{i2})", va="center", fontstyle="italic")
                right.text(
                    0.02,
                    y,
                    _interval(measure, sub["estimate"], sub["ci_low"], sub["ci_high"]),
                    va="center",
                    fontstyle="italic",
                )
            elif row["kind"] == "pooled":
                _diamond(ax, display, result.estimate, result.ci_low, result.ci_high, y, POOLED_COLOUR)
                lows.append(result.ci_low)
                highs.append(result.ci_high)
                if result.random_effects:
                    pi_low, pi_high = display([result.pi_low, result.pi_high])
                    ax.hlines(
                        y, pi_low, pi_high, color=POOLED_COLOUR, linestyles=(0, (1, 1.5)), linewidth=1.4, zorder=1
                    )
                    ax.vlines(
                        display([result.pi_low, result.pi_high]), y - 0.15, y + 0.15, color=POOLED_COLOUR, linewidth=1.1
                    )
                    lows.append(result.pi_low)
                    highs.append(result.pi_high)
                left.text(0, y, f"{model_label(result)}, k = {result.k}", va="center", fontweight="bold")
                right.text(
                    0.02,
                    y,
                    _interval(measure, result.estimate, result.ci_low, result.ci_high),
                    va="center",
                    fontweight="bold",
                )
                right.text(1.0, y, "100%", va="center", ha="right", fontweight="bold")
                if result.random_effects:
                    right.text(
                        0.02,
                        y - 0.55,
                        "PI " + _bracket(measure, result.pi_low, result.pi_high),
                        va="center",
                        fontsize=8.5,
                        color="#333333",
                    )
            elif row["kind"] == "note":
                left.text(0, y - 0.25, row["text"], va="center", fontsize=8.5, color="#333333")

        style_effect_axis(ax, measure, float(np.nanmin(lows)), float(np.nanmax(highs)), effect_label)
        ax.axvline(measure.null, color="#555555", linewidth=0.9, zorder=0)
        if favours:
            ax.text(measure.null, header_y, f"\u2190 {favours[0]}  ", ha="right", va="center", fontsize=8.5)
            ax.text(measure.null, header_y, f"  {favours[1]} \u2192", ha="left", va="center", fontsize=8.5)
        figure.suptitle(
            title, x=0.03, y=1 - 0.12 / height, ha="left", va="top", fontsize=THEME["axes.titlesize"], fontweight="bold"
        )
        if result.random_effects:
            figure.text(
                0.03,
                0.1 / height,
                "Squares: study estimates, area proportional to weight; "
                f"lines: {pct}; diamonds: pooled estimates; dotted line: "
                f"{100 * level:g}% prediction interval "
                f"({prediction_quantile(result.pi_type, result.pi_df)}).",
                fontsize=8,
                color="#333333",
            )
    return Chart(figure, _forest_alt(study, result, measure, subgroups, effect_label))


def _diamond(ax, display, estimate, low, high, y, colour) -> None:
    xs = display([low, estimate, high, estimate])
    ax.add_patch(
        Polygon(
            np.column_stack([xs, [y, y + 0.34, y, y - 0.34]]), closed=True, facecolor=colour, edgecolor=colour, zorder=3
        )
    )


def _forest_alt(
    study: pd.DataFrame,
    result: MetaAnalysisResult,
    measure: Measure,
    subgroups: SubgroupResult | None,
    effect_label: str,
) -> str:
    shown = measure.display(study["yi"])
    level = f"{100 * result.level:g}%"
    what = effect_label or measure.name
    text = (
        f"Forest plot of {result.k} studies ({what}); study estimates range from "
        f"{number(shown.min())} to {number(shown.max())}. {model_label(result)}: pooled "
        f"estimate {number(measure.display(result.estimate))} ({level} CI "
        f"{number(measure.display(result.ci_low))} to {number(measure.display(result.ci_high))})"
    )
    if result.random_effects:
        text += (
            f", {level} prediction interval {number(measure.display(result.pi_low))} to "
            f"{number(measure.display(result.pi_high))}; I\u00b2 = {result.i2:.0f}%"
        )
    text += f"; the line of no effect is at {measure.null:g}."
    if subgroups is not None:
        parts = [
            f"{row.subgroup} {number(measure.display(row.estimate))} (k = {int(row.k)})"
            for row in subgroups.table.itertuples()
        ]
        text += f" Subgroup estimates: {'; '.join(parts)}; test for differences {p_text(subgroups.q_between_pvalue)}."
    return text
