"""Figures for reports, separate from analysis: each function takes results (never raw
records) and returns a :class:`~evidence.plots.theme.Chart`, a matplotlib Figure plus the alt
text that describes it for screen-reader users. One module per report family (synthesis has
one per figure, sharing :mod:`evidence.plots.synthesis`); all share :mod:`evidence.plots.theme`."""

import matplotlib

matplotlib.use("Agg")  # reports render off screen; figures reach notebooks as PNG with alt text

from evidence.plots.survey import likert_chart, proportion_dot_chart  # noqa: E402
from evidence.plots.theme import DIVERGING_5, QUALITATIVE, THEME, Chart  # noqa: E402

__all__ = ["DIVERGING_5", "QUALITATIVE", "THEME", "Chart", "likert_chart", "proportion_dot_chart"]
