"""The shared look of every figure: one theme, colour-blind-safe palettes, and :class:`Chart`,
a figure that always travels with its alt text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cycler import cycler
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: ColorBrewer BrBG (5 classes), marked colour-blind safe by colorbrewer2.org; the centre is a
#: mid grey so "neither" stays visible on white.
DIVERGING_5 = ["#a6611a", "#dfc27d", "#bdbdbd", "#80cdc1", "#018571"]
#: Okabe & Ito (2008) colour-blind-safe qualitative palette.
QUALITATIVE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

#: The rc settings every figure is drawn under (``with plt.rc_context(THEME)``); the Okabe & Ito
#: palette is the colour cycle, so a series not given a colour is still colour-blind safe.
#: Written out rather than taken from seaborn's styles: importing seaborn imports scipy.stats
#: (about 0.65 s a process, ``python -X importtime -c "import seaborn"``), which every report's
#: kernel would pay; seaborn is imported only by the charts that draw with it.
THEME: dict[RcKeyType, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
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
