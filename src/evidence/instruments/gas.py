"""Goal Attainment Scaling (GAS): the Kiresuk-Sherman T-score.

T = 50 + 10 * sum(w_i x_i) / sqrt((1 - rho) * sum(w_i^2) + rho * (sum w_i)^2), with x_i the
attainment of goal i on the -2..+2 scale, w_i its weight (1 when unweighted) and rho the
assumed correlation between goal scores (0.3 by convention).

Reference: Kiresuk T.J. & Sherman R.E. (1968) "Goal attainment scaling: a general method for
evaluating comprehensive community mental health programs", Community Mental Health Journal
4:443-453; Turner-Stokes L. (2009) Clin Rehabil 23:362-370 (the rho = 0.3 convention).

Items: 1-5 are the attainment of goals 1-5 (-2..+2); items 6-10 their optional weights (1-10).
"""

from __future__ import annotations

import numpy as np

from evidence.instruments.base import Instrument, register

MAX_GOALS = 5


def t_score(attainment, weights=None, rho: float = 0.3) -> np.ndarray:
    """One GAS T-score per child from a children x goals array of attainment levels (-2..+2,
    NaN where a child has fewer goals). ``weights`` has the same shape (or one row for all
    children); missing weights count as 1. NaN for a child with no goals.

    >>> float(t_score([[1, 0, -1]], weights=[[3, 2, 1]])[0]).__round__(2)
    54.41
    """
    x = np.atleast_2d(np.asarray(attainment, dtype=float))
    if not 0 <= rho < 1:
        raise ValueError(f"rho must be in [0, 1), got {rho}")
    finite = x[~np.isnan(x)]
    if np.any((finite < -2) | (finite > 2)):
        raise ValueError("goal attainment levels must lie between -2 and +2")
    w = (
        np.ones_like(x)
        if weights is None
        else np.broadcast_to(np.atleast_2d(np.asarray(weights, dtype=float)), x.shape).copy()
    )
    w = np.where(np.isnan(w), 1.0, w)
    if np.any(w <= 0):
        raise ValueError("goal weights must be positive")
    w = np.where(np.isnan(x), 0.0, w)
    xw = np.nansum(w * np.nan_to_num(x), axis=1)
    denominator = np.sqrt((1 - rho) * np.sum(w**2, axis=1) + rho * np.sum(w, axis=1) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 50 + 10 * xw / denominator, np.nan)


def _score(items: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "t_score": t_score(items[:, :MAX_GOALS], items[:, MAX_GOALS : 2 * MAX_GOALS]),
        "goals": (~np.isnan(items[:, :MAX_GOALS])).sum(axis=1).astype(float),
    }


GAS = register(
    Instrument(
        name="gas",
        title="Goal Attainment Scaling (Kiresuk-Sherman T-score)",
        item_ranges={**{i: (-2, 2) for i in range(1, 6)}, **{i: (1, 10) for i in range(6, 11)}},
        reversed_items=(),
        missing_rule="goals not set are left blank; a child with no goals has no score; missing weights count as 1",
        scales={"t_score": tuple(range(1, 11))},
        higher_is_better={"t_score": True},
        scorer=_score,
        reference=(
            "Kiresuk & Sherman (1968) Community Ment Health J 4:443-453; "
            "rho = 0.3 as in Turner-Stokes (2009) Clin Rehabil 23:362-370"
        ),
    )
)
