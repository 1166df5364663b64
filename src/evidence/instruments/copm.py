"""Canadian Occupational Performance Measure (COPM): performance and satisfaction scores.

Up to five problems, each rated 1-10 for performance and for satisfaction; each score is the
mean over the problems rated. A change of 2 points or more is conventionally taken as
clinically important (Law et al., COPM manual; Carswell et al. 2004, Can J Occup Ther 71:210-222).

Items: 1-5 performance of problems 1-5; 6-10 satisfaction with problems 1-5 (1-10 each).
"""

from __future__ import annotations

import numpy as np

from evidence.instruments.base import Instrument, mean_if_enough, register

DEFAULT_CLINICALLY_IMPORTANT_CHANGE = 2.0  # points; a parameter wherever it is used


def _score(items: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "performance": mean_if_enough(items[:, 0:5], max_missing=4),
        "satisfaction": mean_if_enough(items[:, 5:10], max_missing=4),
        "problems": (~np.isnan(items[:, 0:5])).sum(axis=1).astype(float),
    }


def clinically_important(before, after, threshold: float = DEFAULT_CLINICALLY_IMPORTANT_CHANGE) -> np.ndarray:
    """1.0 where the COPM score rose by at least ``threshold`` points, 0.0 where it did not,
    NaN where either score is missing."""
    b, a = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    return np.where(np.isnan(b) | np.isnan(a), np.nan, (a - b >= threshold).astype(float))


COPM = register(
    Instrument(
        name="copm",
        title="Canadian Occupational Performance Measure",
        item_ranges={i: (1, 10) for i in range(1, 11)},
        reversed_items=(),
        missing_rule="each score is the mean over the 1-5 problems rated; no score when no problem is rated",
        scales={"performance": (1, 2, 3, 4, 5), "satisfaction": (6, 7, 8, 9, 10)},
        higher_is_better={"performance": True, "satisfaction": True},
        scorer=_score,
        reference="Law M. et al., Canadian Occupational Performance Measure manual (CAOT); "
        "Carswell A. et al. (2004) Can J Occup Ther 71:210-222",
    )
)
