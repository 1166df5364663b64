"""Published figures quoted from public documents (``data/raw/published``), with sources.

These are reference figures, not records about people, so they are read here directly; a
file whose rows lack a source is refused.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evidence.errors import Problem, ValidationError
from evidence.paths import resolve

PUBLISHED_FOLDER = Path("data/raw/published")
SOURCE_COLUMNS = ("source_title", "publisher", "published")


def read_published(name: str, folder: str | Path = PUBLISHED_FOLDER) -> pd.DataFrame:
    """Read ``<folder>/<name>.csv``; every row must name its source."""
    path = resolve(Path(folder) / f"{name}.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = [Problem(str(path), None, c, None, "every published figure needs a source column")
                for c in SOURCE_COLUMNS if c not in table]
    for column in SOURCE_COLUMNS:
        if column in table:
            blank = table.index[table[column].str.strip() == ""]
            problems += [Problem(str(path), int(i) + 2, column, "", "the source must be given")
                         for i in blank]
    if problems:
        raise ValidationError(problems)
    return table


def citation(row: pd.Series) -> str:
    """A one-line citation: publisher, title, date."""
    return f"{row['publisher']}, \u201c{row['source_title']}\u201d, {row['published']}"
