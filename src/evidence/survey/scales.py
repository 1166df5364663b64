"""Answer scales: the CSV files beside a survey definition (``scales:``), editable by the user.

Each row gives a scale, one accepted wording (``label``), its code and the canonical answer it
means; a scale's canonical answers in code order are its categories (see
:meth:`.definition.SurveyDefinition.categories`). A file is checked on load, and an error names
the file, the line where there is one, and what is wrong (see ``config/surveys/README.md``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evidence.errors import ConfigError

SCALE_COLUMNS = ("scale", "label", "code", "canonical")


def load_scales(path: Path) -> pd.DataFrame:
    """An answer-scales CSV (scale, label, code, canonical), checked: every row complete, codes
    whole numbers, one code per canonical answer, no wording twice in a scale."""
    try:
        rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: the answer-scales file cannot be read ({error})") from None
    if tuple(rows.columns) != SCALE_COLUMNS:
        raise ConfigError(
            f"{path}, line 1: the columns must be {', '.join(SCALE_COLUMNS)} (found {', '.join(rows.columns)})"
        )
    errors = []
    lines = pd.Series(range(2, len(rows) + 2), index=rows.index)
    blank = (rows.apply(lambda c: c.str.strip()) == "").any(axis=1)
    errors += [f"{path}, line {n}: every cell needs a value (scale, label, code, canonical)" for n in lines[blank]]
    not_code = ~rows["code"].str.fullmatch(r"-?\d+")
    errors += [
        f"{path}, line {n}, column code: {v!r} is not a whole number"
        for n, v in zip(lines[not_code & ~blank], rows.loc[not_code & ~blank, "code"], strict=True)
    ]
    if errors:
        raise ConfigError("\n".join(errors))
    rows["label"] = rows["label"].str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()
    rows["code"] = rows["code"].astype(int)
    twice = rows.duplicated(["scale", "label"], keep="first")
    errors += [
        f"{path}, line {n}: the wording {label!r} appears twice in scale {scale!r}"
        for n, label, scale in zip(lines[twice], rows.loc[twice, "label"], rows.loc[twice, "scale"], strict=True)
    ]
    codes = rows.groupby(["scale", "canonical"])["code"].nunique()
    for (scale, canonical), count in codes[codes > 1].items():
        errors += [f"{path}: scale {scale!r} gives {canonical!r} {count} different codes; give it one"]
    if errors:
        raise ConfigError("\n".join(errors))
    return rows
