"""A PedsQL-style generic core: 23 items in four scales, scored 0-100 (higher is better).

Items are answered 0 ("never a problem") to 4 ("almost always a problem"); every item is
reversed and rescaled (0 -> 100, 1 -> 75, 2 -> 50, 3 -> 25, 4 -> 0). A scale score is the mean
of its answered items and is not computed when more than 50% of its items are missing (exactly
50% missing is still scored). The psychosocial summary (15 items) and the total (23 items)
are means over their answered *items*, with the same rule - not means of scale scores.

Reference: Varni J.W., Seid M. & Kurtin P.S. (2001) "PedsQL 4.0: reliability and validity of
the Pediatric Quality of Life Inventory version 4.0 generic core scales in healthy and patient
populations", Med Care 39:800-812; the PedsQL scoring instructions (Mapi Research Trust).
No item wording is shipped; items are scored by number.
"""

from __future__ import annotations

import numpy as np

from evidence.instruments.base import Instrument, mean_if_enough, register

SCALES = {
    "physical": tuple(range(1, 9)),
    "emotional": tuple(range(9, 14)),
    "social": tuple(range(14, 19)),
    "school": tuple(range(19, 24)),
}
SUMMARIES = {
    "psychosocial": SCALES["emotional"] + SCALES["social"] + SCALES["school"],
    "total": tuple(range(1, 24)),
}


def rescale(codes: np.ndarray) -> np.ndarray:
    """0-4 codes to 0-100, reversed: 100 - 25 * code."""
    return 100.0 - 25.0 * codes


def _score(items: np.ndarray) -> dict[str, np.ndarray]:
    values = rescale(items)
    out = {}
    for name, numbers in {**SCALES, **SUMMARIES}.items():
        columns = np.asarray(numbers) - 1
        out[name] = mean_if_enough(values[:, columns], max_missing=len(numbers) / 2)
    return out


PEDSQL = register(
    Instrument(
        name="pedsql",
        title="PedsQL-style generic core (23 items, 0-100)",
        item_ranges={i: (0, 4) for i in range(1, 24)},
        reversed_items=tuple(range(1, 24)),
        missing_rule=(
            "a scale or summary is the mean of answered items; not scored when more than 50% of its items are missing"
        ),
        scales={**SCALES, **SUMMARIES},
        higher_is_better=dict.fromkeys({**SCALES, **SUMMARIES}, True),
        scorer=_score,
        reference="Varni, Seid & Kurtin (2001) Med Care 39:800-812; PedsQL scoring instructions (Mapi Research Trust)",
    )
)
