"""Survey statistics: Wilson intervals, raking weights, Kish design effect.

All functions are pure and vectorised over numpy arrays or pandas Series.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from evidence.errors import EvidenceError


def wilson_interval(count, n, level: float = 0.95):
    """Wilson score interval for a binomial proportion ``count / n``.

    Works on scalars or arrays (``count`` may be a weighted, non-integer count). Where
    ``n`` is 0 the interval is NaN. Returns ``(low, high)`` as proportions in [0, 1].

    Reference: Wilson E.B. (1927) "Probable inference, the law of succession, and statistical
    inference", JASA 22:209-212; Newcombe R.G. (1998) Stat Med 17:857-872, method 3.
    Example: 479 of 675 gives 0.6743 to 0.7426.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(n < 0) or np.any(count < 0) or np.any(count > n):
        raise ValueError("wilson_interval needs 0 <= count <= n")
    z = NormalDist().inv_cdf(0.5 + level / 2)  # Wichura's AS241, as scipy's ndtri: double precision
    with np.errstate(invalid="ignore", divide="ignore"):
        p = count / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    # the bounds are exactly 0 at count 0 and 1 at count n, not 1e-17 off after rounding
    low, high = np.where((count == 0) & (n > 0), 0.0, low), np.where((count == n) & (n > 0), 1.0, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def effective_sample_size(weights) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2 (Kish 1965, Survey Sampling, 8.2)."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.square(w).sum()) if w.size else 0.0


def kish_design_effect(weights) -> float:
    """Kish's design effect due to unequal weights, n * sum w^2 / (sum w)^2 = 1 + CV(w)^2."""
    w = np.asarray(weights, dtype=float)
    return float(w.size * np.square(w).sum() / w.sum() ** 2)


@dataclass(frozen=True)
class RakingResult:
    """Raking weights (aligned with the input rows) and how the fit went."""

    weights: pd.Series
    iterations: int
    max_margin_error: float
    design_effect: float
    effective_sample_size: float


def rake(
    data: pd.DataFrame,
    margins: dict[str, pd.Series],
    base_weights: pd.Series | None = None,
    max_iterations: int = 100,
    tolerance: float = 1e-10,
) -> RakingResult:
    """Raking (iterative proportional fitting) of weights to known population margins.

    ``margins`` maps a column of ``data`` to a Series of population totals indexed by category
    (proportions work too: the weights then sum to 1). Each pass scales the weights so that
    each margin in turn is matched exactly; passes continue until every weighted margin is
    within ``tolerance`` (relative to the population total) of its target.

    Reference: Deming W.E. & Stephan F.F. (1940) Ann Math Stat 11:427-444; agrees with
    R ``survey::rake`` (Lumley 2004) - see ``tests/fixtures/raking``.
    """
    if not margins:
        raise ValueError("rake needs at least one margin")
    w = (np.ones(len(data)) if base_weights is None else np.asarray(base_weights, dtype=float)).copy()
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise EvidenceError("raking needs positive, finite base weights")
    codes: list[tuple[str, np.ndarray, np.ndarray]] = []
    totals = []
    for column, target in margins.items():
        if column not in data:
            raise EvidenceError(f"raking margin {column!r} is not a column of the data")
        values = data[column].astype("object")
        if values.isna().any():
            raise EvidenceError(
                f"raking on {column!r}: {int(values.isna().sum())} responses have no answer; "
                "impute or drop them before weighting"
            )
        unknown = sorted(set(values) - set(target.index))
        if unknown:
            raise EvidenceError(f"raking on {column!r}: categories {unknown} have no population margin")
        target = target.astype(float)
        if (target < 0).any():
            raise EvidenceError(f"raking on {column!r}: population margins must not be negative")
        empty = [c for c in target.index if target[c] > 0 and not (values == c).any()]
        if empty:
            raise EvidenceError(
                f"raking on {column!r}: no responses in {empty}, so their population share "
                "cannot be represented; collapse categories or drop the margin"
            )
        index = pd.Index(target.index)
        codes.append((column, index.get_indexer(values), target.to_numpy()))
        totals.append(target.sum())
    if not np.allclose(totals, totals[0], rtol=1e-9):
        raise EvidenceError(f"raking margins must share one population total; got {totals}")
    scale = totals[0]
    error = np.inf
    for iteration in range(1, max_iterations + 1):
        for _, code, target in codes:
            current = np.bincount(code, weights=w, minlength=len(target))
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(current > 0, target / current, 0.0)
            w = w * factor[code]
        error = max(np.abs(np.bincount(code, weights=w, minlength=len(t)) - t).max() for _, code, t in codes) / scale
        if error <= tolerance:
            iterations = iteration
            break
    else:
        raise EvidenceError(
            f"raking did not converge in {max_iterations} iterations (largest margin error "
            f"{error:.2e} of the total); the margins may be inconsistent with the sample"
        )
    weights = pd.Series(w, index=data.index, name="weight")
    return RakingResult(weights, iterations, float(error), kish_design_effect(w), effective_sample_size(w))
