"""Effect sizes and their sampling variances (``yi``, ``vi``), as R's ``metafor::escalc``
computes them, from the summary data a study reports.

Every function is vectorised over studies and returns ``(yi, vi)`` as float arrays. Ratio
measures (risk ratio, odds ratio, hazard ratio) are analysed on the natural-log scale and shown
as ratios.

References: Borenstein, Hedges, Higgins & Rothstein (2009), *Introduction to Meta-Analysis*,
chapters 4-5; Hedges (1981), J Educ Stat 6:107-128 (the exact small-sample correction);
Becker (1988), Br J Math Stat Psychol 41:257-278 and Morris (2008), Organ Res Methods
11:364-386 (standardised mean change); Viechtbauer (2010), J Stat Softw 36(3) (metafor).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats


@dataclass(frozen=True)
class Measure:
    """An effect measure: its code (metafor's), what it is called, and whether it is a ratio
    (pooled on the log scale, shown exponentiated)."""

    code: str
    name: str
    ratio: bool
    layouts: tuple[str, ...]

    @property
    def null(self) -> float:
        """The value meaning "no effect" on the display scale (1 for ratios, else 0)."""
        return 1.0 if self.ratio else 0.0

    def display(self, values):
        """Values on the analysis scale (log for ratios) as shown to readers."""
        values = np.asarray(values, dtype=float)
        return np.exp(values) if self.ratio else values

    @property
    def analysis_name(self) -> str:
        return f"log {self.name}" if self.ratio else self.name


_GENERIC = ("yi_vi", "estimate_se", "estimate_ci")
MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("SMD", "standardised mean difference (Hedges' g)", False, ("two_group", *_GENERIC)),
        Measure("MD", "mean difference", False, ("two_group", *_GENERIC)),
        Measure("MC", "mean change", False, ("pre_post", *_GENERIC)),
        Measure("SMCR", "standardised mean change (raw-score standardisation)", False, ("pre_post", *_GENERIC)),
        Measure("SMCC", "standardised mean change (change-score standardisation)", False, ("pre_post", *_GENERIC)),
        Measure("RR", "risk ratio", True, ("two_by_two", "yi_vi", "estimate_ci")),
        Measure("OR", "odds ratio", True, ("two_by_two", "yi_vi", "estimate_ci")),
        Measure("RD", "risk difference", False, ("two_by_two", *_GENERIC)),
        Measure("HR", "hazard ratio", True, ("yi_vi", "estimate_ci")),
        Measure("GEN", "effect", False, _GENERIC),
    )
}


def measure(code: str) -> Measure:
    """The :class:`Measure` for a code such as ``"SMD"`` (case-insensitive)."""
    try:
        return MEASURES[code.upper()]
    except KeyError:
        raise ValueError(f"unknown effect measure {code!r}; use one of {', '.join(MEASURES)}") from None


def _floats(*arrays):
    return [np.asarray(a, dtype=float) for a in arrays]


def hedges_correction(m) -> np.ndarray:
    """Exact small-sample bias correction of a standardised mean difference with ``m`` degrees
    of freedom, ``J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))`` (Hedges 1981, eq. 6d; the
    function metafor uses), not the approximation ``1 - 3/(4m - 1)``. NaN for ``m <= 1``."""
    m = np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))
    return np.where(m > 1, value, np.nan)


def standardised_mean_difference(mean_1, sd_1, n_1, mean_2, sd_2, n_2):
    """Hedges' g for group 1 minus group 2: the difference in means over the pooled SD,
    times :func:`hedges_correction` at ``n_1 + n_2 - 2`` df. Variance (metafor's default,
    ``vtype="LS"``): ``1/n_1 + 1/n_2 + g^2 / (2 (n_1 + n_2))`` (Hedges & Olkin 1985, eq. 5.14
    with g in place of the population value)."""
    mean_1, sd_1, n_1, mean_2, sd_2, n_2 = _floats(mean_1, sd_1, n_1, mean_2, sd_2, n_2)
    df = n_1 + n_2 - 2
    pooled_sd = np.sqrt(((n_1 - 1) * sd_1**2 + (n_2 - 1) * sd_2**2) / df)
    yi = hedges_correction(df) * (mean_1 - mean_2) / pooled_sd
    vi = 1 / n_1 + 1 / n_2 + yi**2 / (2 * (n_1 + n_2))
    return yi, vi


def mean_difference(mean_1, sd_1, n_1, mean_2, sd_2, n_2):
    """Raw mean difference, group 1 minus group 2, in the outcome's units; variance
    ``sd_1^2/n_1 + sd_2^2/n_2`` (no assumption of equal variances)."""
    mean_1, sd_1, n_1, mean_2, sd_2, n_2 = _floats(mean_1, sd_1, n_1, mean_2, sd_2, n_2)
    return mean_1 - mean_2, sd_1**2 / n_1 + sd_2**2 / n_2


def mean_change(mean_pre, sd_pre, mean_post, sd_post, n, correlation, standardise: str | None = None):
    """Pre-post change (post minus pre) in one group of ``n``, with ``correlation`` the
    correlation between pre and post scores (reported, or assumed: say so).

    ``standardise=None``: raw mean change (metafor ``MC``), variance
    ``(sd_pre^2 + sd_post^2 - 2 r sd_pre sd_post) / n``.
    ``"raw"``: change over the pre-test SD, corrected by ``J(n - 1)`` (Becker 1988; metafor
    ``SMCR``), variance ``2 (1 - r) / n + d^2 / (2 n)``.
    ``"change"``: change over the SD of the change scores, corrected by ``J(n - 1)`` (metafor
    ``SMCC``), variance ``1/n + d^2 / (2 n)``.
    """
    mean_pre, sd_pre, mean_post, sd_post, n, r = _floats(mean_pre, sd_pre, mean_post, sd_post, n, correlation)
    change = mean_post - mean_pre
    if standardise is None:
        return change, (sd_pre**2 + sd_post**2 - 2 * r * sd_pre * sd_post) / n
    correction = hedges_correction(n - 1)
    if standardise == "raw":
        yi = correction * change / sd_pre
        return yi, 2 * (1 - r) / n + yi**2 / (2 * n)
    if standardise == "change":
        sd_change = np.sqrt(sd_pre**2 + sd_post**2 - 2 * r * sd_pre * sd_post)
        yi = correction * change / sd_change
        return yi, 1 / n + yi**2 / (2 * n)
    raise ValueError(f"standardise must be None, 'raw' or 'change', got {standardise!r}")


def _two_by_two(events_1, n_1, events_2, n_2, correction: float):
    """Cell counts with ``correction`` added to all four cells of tables that contain a zero
    (metafor's ``add=1/2, to="only0"``), and no change to the others."""
    a, n1, c, n2 = _floats(events_1, n_1, events_2, n_2)
    b, d = n1 - a, n2 - c
    has_zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    add = np.where(has_zero, correction, 0.0)
    return a + add, b + add, c + add, d + add


def log_risk_ratio(events_1, n_1, events_2, n_2, correction: float = 0.5):
    """Log risk ratio of group 1 to group 2, variance ``1/a - 1/n_1 + 1/c - 1/n_2``; 0.5 is
    added to every cell of a table with a zero cell, and only to those tables."""
    a, b, c, d = _two_by_two(events_1, n_1, events_2, n_2, correction)
    return np.log(a / (a + b)) - np.log(c / (c + d)), 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)


def log_odds_ratio(events_1, n_1, events_2, n_2, correction: float = 0.5):
    """Log odds ratio of group 1 to group 2 (Woolf), variance ``1/a + 1/b + 1/c + 1/d``; the
    zero-cell correction as for :func:`log_risk_ratio`."""
    a, b, c, d = _two_by_two(events_1, n_1, events_2, n_2, correction)
    return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def risk_difference(events_1, n_1, events_2, n_2, correction: float = 0.5):
    """Risk difference, group 1 minus group 2, variance ``p1(1-p1)/n_1 + p2(1-p2)/n_2``. As in
    metafor, the zero-cell correction is applied here too (it keeps a 0% or 100% arm from
    having zero variance)."""
    a, b, c, d = _two_by_two(events_1, n_1, events_2, n_2, correction)
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2


def from_standard_error(estimate, se):
    """Generic input: an estimate and its standard error, already on the analysis scale."""
    estimate, se = _floats(estimate, se)
    return estimate, se**2


def from_confidence_interval(estimate, ci_low, ci_high, level: float = 0.95, ratio: bool = False):
    """Generic input: an estimate with a symmetric (Wald) confidence interval at ``level``;
    ``SE = (high - low) / (2 z)``. For ratios give the ratio and its interval: they are logged
    first, as such intervals are symmetric on the log scale."""
    estimate, low, high = _floats(estimate, ci_low, ci_high)
    if ratio:
        estimate, low, high = np.log(estimate), np.log(low), np.log(high)
    se = (high - low) / (2 * stats.norm.ppf(0.5 + level / 2))
    return estimate, se**2


def confidence_limits(yi, vi, level: float = 0.95):
    """Each study's Wald interval ``yi -/+ z sqrt(vi)`` on the analysis scale."""
    yi, vi = _floats(yi, vi)
    half = stats.norm.ppf(0.5 + level / 2) * np.sqrt(vi)
    return yi - half, yi + half
