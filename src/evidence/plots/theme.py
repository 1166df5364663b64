"""The shared look of every figure: one theme (seaborn's style with this project's settings),
colour-blind-safe palettes, and :class:`Chart`, a figure that always travels with its alt text."""

from __future__ import annotations

from dataclasses import dataclass

import seaborn as sns
from cycler import cycler
from matplotlib.figure import Figure

#: ColorBrewer BrBG (5 classes), marked colour-blind safe by colorbrewer2.org; the centre is a
#: mid grey so "neither" stays visible on white.
DIVERGING_5 = ["#a6611a", "#dfc27d", "#bdbdbd", "#80cdc1", "#018571"]
#: Okabe & Ito (2008) colour-blind-safe qualitative palette.
QUALITATIVE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

#: The rc settings every figure is drawn under (``with plt.rc_context(THEME)``): seaborn's
#: "whitegrid" style at its "paper" scale, then this project's choices on top: no top or right
#: spine, a light grid behind the data, and the Okabe & Ito palette as the colour cycle, so any
#: series not given a colour is still colour-blind safe.
THEME = {
    **sns.axes_style("whitegrid"),
    **sns.plotting_context("paper"),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.grid": True,
    "grid.color": "#e0e0e0",
    "axes.axisbelow": True,
    "axes.prop_cycle": cycler(color=QUALITATIVE),
}


@dataclass
class Chart:
    """A figure and its alt text (what a sighted reader would take from it, in words)."""

    figure: Figure
    alt: str


