"""The contour-enhanced funnel plot of an evidence synthesis (Peters et al. 2008, J Clin
Epidemiol 61:991-996): each study's effect against its standard error over the regions where it
would be significant, the pooled estimate with a pseudo confidence funnel, and the studies
trim-and-fill adds. (Funnel plots comparing services on a proportion are
:mod:`evidence.funnel`'s.)

It takes results (study effect sizes and fitted models), never records about people, and
returns a :class:`~evidence.plots.theme.Chart` whose alt text gives the numbers a sighted reader
would take from the figure. Ratio measures are drawn on a log axis labelled in ratios.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from scipy import stats

from evidence.plots.synthesis import POOLED_COLOUR, STUDY_COLOUR, style_effect_axis
from evidence.plots.theme import QUALITATIVE, THEME, Chart
from evidence.synthesis.effects import Measure
from evidence.synthesis.models import MetaAnalysisResult
from evidence.synthesis.report_format import number
from evidence.synthesis.trimfill import TrimFillResult

FILLED_COLOUR = QUALITATIVE[5]
#: Greys for the funnel plot's significance contours (p <= 0.01, 0.01-0.05, 0.05-0.10).
CONTOUR_SHADES = ("#a3a3a3", "#c6c6c6", "#e4e4e4")


def funnel_plot(
    effects: pd.DataFrame,
    result: MetaAnalysisResult,
    measure: Measure,
    title: str,
    trimfill: TrimFillResult | None = None,
    effect_label: str = "",
) -> Chart:
    """Contour-enhanced funnel plot: each study's effect against its standard error (0 at the
    top), over shaded regions where a study would be significant at p < 0.10, 0.05 and 0.01
    against no effect (Peters et al. 2008); the pooled estimate with a pseudo confidence
    funnel; and, from ``trimfill`` (None: trim-and-fill was not run), the filled studies (open
    circles) and the adjusted estimate. Missing studies in the unshaded region suggest
    publication bias; missing studies in the shaded regions suggest another cause of
    asymmetry."""
    yi = np.asarray(effects["yi"], dtype=float)
    se = np.sqrt(np.asarray(effects["vi"], dtype=float))
    filled_yi = np.asarray([] if trimfill is None else trimfill.filled_yi, dtype=float)
    filled_se = np.sqrt(np.asarray([] if trimfill is None else trimfill.filled_vi, dtype=float))
    top = 1.08 * max(se.max(), filled_se.max(initial=0))
    z = stats.norm.ppf(1 - np.array([0.005, 0.025, 0.05]))
    grid = np.linspace(0, top, 50)
    display = measure.display
    with plt.rc_context(THEME):
        figure, ax = plt.subplots(figsize=(7.5, 5.6))
        ax.grid(False)
        pseudo = stats.norm.ppf(0.5 + result.level / 2)
        # Show the studies, the pseudo-confidence funnel and the line of no effect, not more.
        spread = np.concatenate([yi, filled_yi, [0.0, result.estimate - pseudo * top, result.estimate + pseudo * top]])
        low, high = spread.min(), spread.max()
        far = 2 * max(abs(low), abs(high), z[0] * top)
        ax.set_facecolor(CONTOUR_SHADES[0])
        regions = [(z[0], CONTOUR_SHADES[1]), (z[1], CONTOUR_SHADES[2]), (z[2], "#ffffff")]
        for critical, colour in regions:
            xs = np.concatenate([-critical * grid, critical * grid[::-1]])
            ax.fill(
                display(np.clip(xs, -far, far)), np.concatenate([grid, grid[::-1]]), color=colour, linewidth=0, zorder=0
            )
        ax.plot(display(result.estimate - pseudo * grid), grid, color="#444444", linestyle="--", linewidth=0.9)
        ax.plot(display(result.estimate + pseudo * grid), grid, color="#444444", linestyle="--", linewidth=0.9)
        ax.axvline(display(result.estimate), color=POOLED_COLOUR, linewidth=1.2)
        ax.scatter(display(yi), se, color=STUDY_COLOUR, edgecolor="white", s=36, zorder=3)
        handles = [
            Patch(facecolor="#ffffff", edgecolor="#999999", label="p > 0.10"),
            Patch(facecolor=CONTOUR_SHADES[2], label="0.05 < p \u2264 0.10"),
            Patch(facecolor=CONTOUR_SHADES[1], label="0.01 < p \u2264 0.05"),
            Patch(facecolor=CONTOUR_SHADES[0], label="p \u2264 0.01"),
            plt.Line2D([], [], color=STUDY_COLOUR, marker="o", linestyle="", label="study"),
            plt.Line2D([], [], color=POOLED_COLOUR, label=f"pooled estimate ({result.method})"),
        ]
        if trimfill is not None and len(filled_yi):
            ax.scatter(
                display(filled_yi),
                filled_se,
                facecolor="white",
                edgecolor=FILLED_COLOUR,
                linewidths=1.4,
                s=36,
                zorder=3,
            )
            handles.append(
                plt.Line2D(
                    [],
                    [],
                    color=FILLED_COLOUR,
                    marker="o",
                    markerfacecolor="white",
                    linestyle="",
                    label="filled by trim-and-fill",
                )
            )
            ax.axvline(display(trimfill.adjusted.estimate), color=FILLED_COLOUR, linestyle=":", linewidth=1.4)
            handles.append(plt.Line2D([], [], color=FILLED_COLOUR, linestyle=":", label="adjusted estimate"))
        style_effect_axis(ax, measure, low, high, effect_label)
        ax.set_ylim(top, 0)
        ax.set_ylabel("Standard error")
        ax.set_title(title, loc="left")
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(1.01, 0.0), frameon=False, fontsize=8.5)
    significant = int(np.sum(np.abs(yi / se) > z[1]))
    alt = (
        f"Contour-enhanced funnel plot of {len(yi)} studies: effect ({effect_label or measure.analysis_name}) "
        f"against standard error. {significant} of {len(yi)} studies lie in the regions where "
        f"p \u2264 0.05 against no effect. Pooled estimate {number(display(result.estimate))}."
    )
    if trimfill is None:
        alt += " Trim-and-fill was not run."
    elif len(filled_yi):
        alt += (
            f" Trim-and-fill adds {len(filled_yi)} studies on the {trimfill.side} (open circles); "
            f"the adjusted estimate is {number(display(trimfill.adjusted.estimate))}."
        )
    else:
        alt += " Trim-and-fill estimates no missing studies."
    return Chart(figure, alt)
