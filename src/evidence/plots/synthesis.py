"""What the evidence-synthesis figures share: the forest plot
(:mod:`evidence.plots.synthesis_forest`) and the contour-enhanced funnel plot
(:mod:`evidence.plots.synthesis_funnel`) draw studies and pooled estimates in the same colours,
on the same effect axis (ratio measures on a log axis labelled in ratios), with numbers written
the same way.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from evidence.plots.theme import QUALITATIVE
from evidence.synthesis.effects import Measure

STUDY_COLOUR = QUALITATIVE[0]
POOLED_COLOUR = "#000000"
_NICE_RATIOS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 4, 5, 10, 20, 50, 100)


def _ratio_ticks(low: float, high: float) -> list[float]:
    ticks = [t for t in _NICE_RATIOS if low <= t <= high]
    if len(ticks) < 3:
        ticks = sorted({*ticks, *np.round(np.geomspace(low, high, 4), 2)} - {0.0})
    if len(ticks) > 7:
        ticks = [t for t in ticks if t in (0.01, 0.1, 0.25, 0.5, 1, 2, 4, 10, 100)] or ticks[::2]
    return ticks


def style_effect_axis(ax, measure: Measure, low: float, high: float, label: str) -> None:
    """x limits (analysis-scale ``low``/``high``), log axis for ratios, and the label."""
    pad = 0.06 * (high - low if high > low else 1.0)
    low, high = low - pad, high + pad
    if measure.ratio:
        ax.set_xscale("log")
        ax.set_xlim(np.exp(low), np.exp(high))
        ax.xaxis.set_major_locator(FixedLocator(_ratio_ticks(np.exp(low), np.exp(high))))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    else:
        ax.set_xlim(low, high)
    ax.set_xlabel(label or measure.name[:1].upper() + measure.name[1:])
