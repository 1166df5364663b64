"""Design-based (linearisation) variance and intervals for weighted survey proportions.

A weighted proportion p = sum w y / sum w among the valid answers of a domain (the whole
sample or a group) is a ratio estimator. Its influence values are
z_i = w_i (y_i - p) / sum w inside the domain and 0 outside (Woodruff 1971; Binder 1983).
When the weights come from raking, the estimator is a calibration estimator and its variance
uses the residuals of the influence values after the regression on the raking margins
(Deville & Sarndal 1992, JASA 87:376-382, with g-weights; Lumley 2010, Complex Surveys,
section 7.3). R's survey package (4.1.1, ``svyrecvar`` for a ``rake()``d design) computes
those residuals by backfitting: ten passes over the margins, each replacing u = z / w by
u - (unweighted mean of u in the respondent's category of that margin), then z = w u. This
module does the same, with the same ten passes, so that it reproduces R, and the variance is
n / (n - 1) sum (z_i - mean z)^2 over all n raked respondents (one stage, with replacement).

Intervals for a proportion follow ``survey::svyciprop``:

- ``"logit"`` (the default): logit(p) -/+ t se / (p (1 - p)), back-transformed, with t on the
  domain's valid answers minus one degrees of freedom (``degf``);
- ``"beta"``: Korn & Graubard (1998, Survey Methodology 24:193-201) - a Clopper-Pearson
  interval at the effective sample size n* = p (1 - p) / var, scaled by
  (t_{n-1} / t_{df})^2 as in svyciprop.

At p = 0 or 1 the linearised variance is 0 and neither interval exists; the Clopper-Pearson
interval at Kish's effective sample size of the domain is given instead (0 to the upper limit,
or the lower limit to 1). Checked against R in ``tests/fixtures/design_variance``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from evidence.errors import EvidenceError

BACKFITTING_PASSES = 10  # as survey::svyrecvar for a raked design
METHODS = ("logit", "beta")


@dataclass(frozen=True)
class RakedDesign:
    """The raked sample: final weights and, per raking margin, each respondent's category code
    (0..k-1). With no margins the weights are treated as plain sampling weights."""

    weights: np.ndarray
    margin_codes: tuple[np.ndarray, ...]

    @property
    def n(self) -> int:
        return len(self.weights)


def raked_design(table: pd.DataFrame, weights: pd.Series, raking_margins: list[str] | None = None) -> RakedDesign:
    """The :class:`RakedDesign` of the responses ``table`` under ``weights`` (one per row), raked
    on the columns ``raking_margins`` (by default those :func:`evidence.survey.raking_weights`
    recorded in ``weights.attrs``)."""
    if not weights.index.sort_values().equals(table.index.sort_values()):
        raise EvidenceError(
            "weighted proportions need one weight for every response in the table (the raked "
            "sample); rake the responses being analysed, then pass their weights"
        )
    margins = list(weights.attrs.get("raking_margins", ()) if raking_margins is None else raking_margins)
    w = weights.reindex(table.index).to_numpy(float)
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise EvidenceError("survey weights must be positive and finite")
    codes = tuple(pd.factorize(table[column], use_na_sentinel=True)[0] for column in margins)
    if any((c < 0).any() for c in codes):
        raise EvidenceError(
            f"a raking margin ({', '.join(margins)}) has missing values in the table; "
            "rake only responses with every margin answered"
        )
    return RakedDesign(w, codes)


def calibration_residuals(z: np.ndarray, design: RakedDesign, passes: int = BACKFITTING_PASSES) -> np.ndarray:
    """Influence values ``z`` (n, k) after removing what the raking margins explain, by the
    backfitting of ``survey::svyrecvar`` (``passes`` sweeps over the margins)."""
    w = design.weights[:, None]
    u = z / w
    for _ in range(passes if design.margin_codes else 0):
        for codes in design.margin_codes:
            levels = codes.max() + 1
            counts = np.bincount(codes, minlength=levels)
            sums = np.stack([np.bincount(codes, weights=u[:, j], minlength=levels) for j in range(u.shape[1])], axis=1)
            u = u - (sums / counts[:, None])[codes]
    return u * w


def domain_proportions(
    y: np.ndarray, domains: np.ndarray, n_domains: int, design: RakedDesign
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted proportions of the 0/1 ``y`` (NaN: no valid answer) in each domain (codes
    0..n_domains-1, -1 for none), their linearisation variances, and the number of valid
    answers per domain."""
    valid = ~np.isnan(y)
    w = design.weights
    in_domain = (domains[:, None] == np.arange(n_domains)[None, :]) & valid[:, None]  # (n, d)
    total = (w[:, None] * in_domain).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (w[:, None] * in_domain * np.nan_to_num(y)[:, None]).sum(axis=0) / total
        z = np.where(in_domain, w[:, None] * (np.nan_to_num(y)[:, None] - p[None, :]) / total[None, :], 0.0)
    z = np.nan_to_num(z)
    residuals = calibration_residuals(z, design)
    n = design.n
    centred = residuals - residuals.mean(axis=0)
    variance = n / (n - 1) * (centred**2).sum(axis=0) if n > 1 else np.full(n_domains, np.nan)
    return p, variance, in_domain.sum(axis=0)


def proportion_intervals(
    p: np.ndarray,
    variance: np.ndarray,
    n_valid: np.ndarray,
    n_total: int,
    kish_n: np.ndarray,
    level: float = 0.95,
    method: str = "logit",
) -> tuple[np.ndarray, np.ndarray]:
    """``svyciprop``-style intervals (see the module docstring) for proportions ``p`` with
    linearisation ``variance``, over ``n_valid`` valid answers per domain (degrees of freedom
    n_valid - 1) in a design of ``n_total`` respondents; ``kish_n`` is used only at p = 0 or 1."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    p, variance = np.asarray(p, dtype=float), np.asarray(variance, dtype=float)
    df = np.asarray(n_valid, dtype=float) - 1
    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        t = scipy_stats.t.ppf(1 - alpha / 2, np.where(df > 0, df, np.nan))
        if method == "logit":
            half = t * np.sqrt(variance) / (p * (1 - p))
            centre = np.log(p / (1 - p))
            low, high = 1 / (1 + np.exp(-(centre - half))), 1 / (1 + np.exp(-(centre + half)))
        else:
            n_eff = (
                p
                * (1 - p)
                / variance
                * (
                    scipy_stats.t.ppf(alpha / 2, n_total - 1)
                    / scipy_stats.t.ppf(alpha / 2, np.where(df > 0, df, np.nan))
                )
                ** 2
            )
            low = scipy_stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
            high = scipy_stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
        # p = 0 or 1: Clopper-Pearson at Kish's effective sample size
        kish = np.asarray(kish_n, dtype=float)
        edge_high = scipy_stats.beta.ppf(1 - alpha / 2, 1, kish)
        edge_low = scipy_stats.beta.ppf(alpha / 2, kish, 1)
    low = np.where(p == 0, 0.0, np.where(p == 1, edge_low, low))
    high = np.where(p == 0, edge_high, np.where(p == 1, 1.0, high))
    unusable = (df < 1) | np.isnan(p)
    return np.where(unusable, np.nan, low), np.where(unusable, np.nan, high)
