"""Funnel plots for comparing units (services) on a proportion.

- Control limits without overdispersion are the exact binomial limits, interpolated between
  the discrete quantiles as in Spiegelhalter D.J. (2005) "Funnel plots for comparing
  institutional performance", Stat Med 24:1185-1202, appendix A.1.1: with r_p the p-th
  quantile of Binomial(n, p0) (the smallest r with P(R <= r) >= p) and
  alpha = (P(R <= r_p) - p) / (P(R <= r_p) - P(R <= r_p - 1)), the limit is (r_p - alpha) / n.
- Overdispersion is an additive between-unit variance tau^2 on the arcsine-square-root scale,
  estimated by DerSimonian-Laird from winsorised z-scores (Spiegelhalter D.J. et al. 2012,
  "Statistical methods for healthcare regulation: rating, screening and surveillance", JRSS A
  175:1-47, section 3.5), exactly as NHS-R's FunnelPlotR 0.6.0 does for proportions
  (``transformed_zscore``, ``winsorisation``, ``phi_func``, ``tau_func`` and
  ``calculate_limits`` in R/od_adjustment.R and R/calculate_limits.R): Y = asin(sqrt(y / n)),
  s = 1 / (2 sqrt(n)), z = (Y - asin(sqrt(p0))) / s winsorised at the ``trim`` and 1 - ``trim``
  quantiles (R's default type 7), phi = mean(z_w^2), and tau^2 = (k phi - (k - 1)) /
  (sum w - sum w^2 / sum w) with w = 1 / s^2, or 0 when k phi < k - 1. The adjusted limits are
  sin(asin(sqrt(p0)) -/+ z_a sqrt(s^2 + tau^2))^2, clipped to [0, 1], drawn only when phi > 1 (as
  FunnelPlotR), and the adjusted z-score is (Y - asin(sqrt(p0))) / sqrt(s^2 + tau^2).

References are checked in ``tests/fixtures/funnel`` (qbinom/pbinom in base R, and the
FunnelPlotR formulas re-coded in R).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats


def _z(level: float) -> float:
    return float(scipy_stats.norm.ppf(0.5 + level / 2))


def _whole_numbers(n) -> np.ndarray:
    values = np.asarray(n, dtype=float)
    if np.any(values < 1) or np.any(values != np.round(values)):
        raise ValueError("exact binomial funnel limits need whole-number bases n >= 1 (e.g. np.arange)")
    return values


def binomial_quantile_limit(p0: float, n, p: float) -> np.ndarray:
    """Spiegelhalter's (2005, appendix A.1.1) interpolated exact binomial p-quantile of the
    observed proportion under target ``p0``, at each whole-number base ``n``. Example (by hand):
    p0 0.5, n 10, p 0.025: r_p = 2, alpha = (56 - 25.6) / 45, limit 0.13244."""
    n = _whole_numbers(n)
    r = scipy_stats.binom.ppf(p, n, p0)
    at_r = scipy_stats.binom.cdf(r, n, p0)
    below = scipy_stats.binom.cdf(r - 1, n, p0)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(at_r > below, (at_r - p) / (at_r - below), 0.0)
    return np.clip((r - alpha) / n, 0, 1)


def exact_limits(p0: float, n, levels=(0.95, 0.998)) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Exact binomial control limits (low, high) around ``p0`` at each level."""
    if not 0 < p0 < 1:
        raise ValueError(f"the target proportion must be strictly between 0 and 1, got {p0}")
    return {
        level: (binomial_quantile_limit(p0, n, 0.5 - level / 2), binomial_quantile_limit(p0, n, 0.5 + level / 2))
        for level in levels
    }


@dataclass(frozen=True)
class Overdispersion:
    """The dispersion ratio phi of winsorised z-scores and the additive between-unit variance
    tau^2 (arcsine scale) with the z-scores before and after allowing for it."""

    phi: float
    tau2: float
    z_unadjusted: np.ndarray
    z_winsorised: np.ndarray
    z_adjusted: np.ndarray

    @property
    def limits_tau2(self) -> float:
        """tau^2 for drawing limits: 0 unless phi > 1 (FunnelPlotR draws unadjusted limits when
        the winsorised z-scores show no overdispersion, even where tau^2 is slightly positive)."""
        return self.tau2 if self.phi > 1 else 0.0


def arcsine_overdispersion(proportion, n, p0: float, trim: float = 0.1) -> Overdispersion:
    """DerSimonian-Laird tau^2 for unit proportions ``proportion`` over bases ``n`` around
    ``p0`` (FunnelPlotR's method for proportions; see the module docstring)."""
    y = np.asarray(proportion, dtype=float)
    n = np.asarray(n, dtype=float)
    k = len(y)
    s = 1 / (2 * np.sqrt(n))
    z = (np.arcsin(np.sqrt(y)) - np.arcsin(np.sqrt(p0))) / s
    if k == 0:
        return Overdispersion(np.nan, 0.0, z, z, z)
    low, high = np.quantile(z, [trim, 1 - trim])
    winsorised = np.clip(z, low, high)
    phi = float(np.mean(winsorised**2))
    w = 1 / s**2
    tau2 = 0.0 if k * phi < k - 1 else max(0.0, float((k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())))
    adjusted = (np.arcsin(np.sqrt(y)) - np.arcsin(np.sqrt(p0))) / np.sqrt(s**2 + tau2)
    return Overdispersion(phi, tau2, z, winsorised, adjusted)


def overdispersed_limits(p0: float, n, tau2: float, levels=(0.95, 0.998)) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Control limits widened by the between-unit variance ``tau2`` on the arcsine scale:
    sin(asin(sqrt(p0)) -/+ z sqrt(1 / (4n) + tau2))^2, clipped to [0, 1]. Where the arcsine
    limits turn back at very small n (past 0 or 1) they are set to 0 or 1, as FunnelPlotR does."""
    n = np.asarray(n, dtype=float)
    centre = np.arcsin(np.sqrt(p0))
    spread = np.sqrt(1 / (4 * n) + tau2)
    out = {}
    for level in levels:
        z = _z(level)
        low_angle, high_angle = centre - z * spread, centre + z * spread
        low = np.where(low_angle < 0, 0.0, np.sin(low_angle) ** 2)
        high = np.where(high_angle > np.pi / 2, 1.0, np.sin(np.minimum(high_angle, np.pi / 2)) ** 2)
        out[level] = (np.clip(low, 0, 1), np.clip(high, 0, 1))
    return out
