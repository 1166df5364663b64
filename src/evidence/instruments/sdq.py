"""Strengths and Difficulties Questionnaire (SDQ), parent-completed, ages 4-17.

25 items scored 0 ("not true"), 1 ("somewhat true"), 2 ("certainly true"); items 7, 11, 14,
21 and 25 are reverse-scored (2 - code). Five subscales of five items each; a subscale is
prorated when at least 3 of its 5 items are answered: 5 x mean of answered items, rounded half
up. Total difficulties = emotional + conduct + hyperactivity + peer (missing if any is);
externalising = conduct + hyperactivity; internalising = emotional + peer. Higher is worse
except for prosocial.

Impact supplement: items 26-30 (distress; interference with home life, friendships, classroom
learning, leisure), answered 0 "not at all", 1 "only a little", 2 "quite a lot", 3 "a great
deal", scored 0, 0, 1, 2 and summed (0-10); scored only when all five are answered.

Reference: Goodman R. (1997) J Child Psychol Psychiatry 38:581-586; Goodman R. (1999) J Child
Psychol Psychiatry 40:791-799 (impact supplement); scoring instructions at sdqinfo.org
(Youthinmind). No item wording is shipped; items are scored by number.
"""

from __future__ import annotations

import numpy as np

from evidence.instruments.base import Band, Instrument, register, round_half_up

SUBSCALES = {
    "emotional": (3, 8, 13, 16, 24),
    "conduct": (5, 7, 12, 18, 22),
    "hyperactivity": (2, 10, 15, 21, 25),
    "peer": (6, 11, 14, 19, 23),
    "prosocial": (1, 4, 9, 17, 20),
}
REVERSED = (7, 11, 14, 21, 25)
IMPACT_ITEMS = (26, 27, 28, 29, 30)
IMPACT_SCORES = np.array([0.0, 0.0, 1.0, 2.0])  # for answers 0-3
MIN_ANSWERED = 3

#: Original three-band cut-offs, parent-completed SDQ, UK norms (sdqinfo.org), as tabulated in
#: the "UK" columns of Table 2 of: "Validation of the parent version of the Strengths and
#: Difficulties Questionnaire (SDQ) to screen mental health problems among school-age children
#: in Mongolia", BMC Psychiatry 21 (2021), doi:10.1186/s12888-021-03218-x.
BANDS_SOURCE = (
    "Parent-completed SDQ, UK three-band cut-offs (sdqinfo.org), as in BMC Psychiatry "
    "(2021) 21, doi:10.1186/s12888-021-03218-x, Table 2 (UK columns)"
)
BANDS = (
    Band("total_difficulties", "Normal", 0, 13),
    Band("total_difficulties", "Borderline", 14, 16),
    Band("total_difficulties", "Abnormal", 17, 40),
    Band("emotional", "Normal", 0, 3),
    Band("emotional", "Borderline", 4, 4),
    Band("emotional", "Abnormal", 5, 10),
    Band("conduct", "Normal", 0, 2),
    Band("conduct", "Borderline", 3, 3),
    Band("conduct", "Abnormal", 4, 10),
    Band("hyperactivity", "Normal", 0, 5),
    Band("hyperactivity", "Borderline", 6, 6),
    Band("hyperactivity", "Abnormal", 7, 10),
    Band("peer", "Normal", 0, 2),
    Band("peer", "Borderline", 3, 3),
    Band("peer", "Abnormal", 4, 10),
    Band("prosocial", "Normal", 6, 10),
    Band("prosocial", "Borderline", 5, 5),
    Band("prosocial", "Abnormal", 0, 4),
)


def _score(items: np.ndarray) -> dict[str, np.ndarray]:
    values = items[:, :25].copy()
    reverse = np.asarray(REVERSED) - 1
    values[:, reverse] = 2 - values[:, reverse]
    out: dict[str, np.ndarray] = {}
    for name, numbers in SUBSCALES.items():
        block = values[:, np.asarray(numbers) - 1]
        answered = (~np.isnan(block)).sum(axis=1)
        with np.errstate(invalid="ignore"):
            prorated = round_half_up(5 * np.nanmean(np.where(answered[:, None] > 0, block, 0), axis=1))
        out[name] = np.where(answered >= MIN_ANSWERED, prorated, np.nan)
    out["total_difficulties"] = out["emotional"] + out["conduct"] + out["hyperactivity"] + out["peer"]
    out["externalising"] = out["conduct"] + out["hyperactivity"]
    out["internalising"] = out["emotional"] + out["peer"]
    impact = items[:, np.asarray(IMPACT_ITEMS) - 1]
    complete = ~np.isnan(impact).any(axis=1)
    recoded = IMPACT_SCORES[np.nan_to_num(impact).astype(int)]
    out["impact"] = np.where(complete, recoded.sum(axis=1), np.nan)
    return out


SCALE_NAMES = (*SUBSCALES, "total_difficulties", "externalising", "internalising", "impact")

SDQ = register(
    Instrument(
        name="sdq",
        title="Strengths and Difficulties Questionnaire (parent, 4-17)",
        item_ranges={**{i: (0, 2) for i in range(1, 26)}, **{i: (0, 3) for i in IMPACT_ITEMS}},
        reversed_items=REVERSED,
        missing_rule="a subscale is prorated (5 x mean, rounded half up) when at least 3 of 5 items are "
        "answered; totals are missing if any component is; impact needs all five impact items",
        scales={
            **SUBSCALES,
            "total_difficulties": (),
            "externalising": (),
            "internalising": (),
            "impact": IMPACT_ITEMS,
        },
        higher_is_better={name: name == "prosocial" for name in SCALE_NAMES},
        scorer=_score,
        reference="Goodman (1997) J Child Psychol Psychiatry 38:581-586; Goodman (1999) 40:791-799; sdqinfo.org",
        bands=BANDS,
        bands_source=BANDS_SOURCE,
        optional_items=frozenset(IMPACT_ITEMS),
    )
)
