"""What every table's cleaning needs from an extract definition: the test for a missing cell,
the date formats, code lists and instruments (with where each is declared, for the advice in
messages), and a table's numbered item columns."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from evidence.errors import Problem
from evidence.outcomes.extract_layout import DATE_FORMATS, ExtractDefinition
from evidence.readers import RawTable
from evidence.validation import is_in, problems_where, to_coded, to_date

UNMATCHED = "no episode with this ID in the episodes table"
REPEATED = "episode IDs must be unique; the same ID appears on another row"


def missing(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "")


class Reading:
    """What every table's cleaning needs from the definition: date formats, code lists and the
    instruments, with where each is declared (for the advice in messages)."""

    def __init__(self, definition: ExtractDefinition):
        self.definition = definition
        self.formats = {words: DATE_FORMATS[words] for words in definition.date_formats}

    def date(self, raw: RawTable, column: str) -> tuple[pd.Series, list[Problem]]:
        values = raw.data[column]
        return to_date(raw, column, values, missing(values), self.formats, self.definition.where("dates"))

    def coded(self, raw: RawTable, column: str) -> tuple[pd.Categorical, list[Problem]]:
        values = raw.data[column]
        return to_coded(
            raw,
            column,
            values,
            missing(values),
            self.definition.codes[column],
            self.definition.categories[column],
            column in ("Tier", "Timepoint", "FFT"),
            self.definition.where(f"codes.{column}"),
        )

    def instrument(self, raw: RawTable) -> tuple[pd.Categorical, list[Problem]]:
        values = raw.data["Instrument"]
        return to_coded(
            raw,
            "Instrument",
            values,
            missing(values),
            self.definition.instruments,
            self.definition.instrument_order,
            False,
            self.definition.where("instruments"),
        )


def item_frame(data: pd.DataFrame, prefix: str, count: int) -> pd.DataFrame:
    return data[[f"{prefix}{i}" for i in range(1, count + 1)]].set_axis(
        [f"item_{i}" for i in range(1, count + 1)], axis=1
    )


def unmatched_episodes(file: str, ids: pd.Series, rows: pd.Series, episode_ids: pa.Array | None) -> list[Problem]:
    """Rows of a questionnaire table (assessments, PREMs; episode IDs ``ids`` as written, at
    file rows ``rows``) whose episode is not among ``episode_ids``, the episodes table's IDs;
    none when the episodes table could not be read (``episode_ids`` is None)."""
    if episode_ids is None:
        return []
    return problems_where(file, rows, ~is_in(ids, episode_ids), "EpisodeID", ids, UNMATCHED)


def repeated_episodes(file: str, ids: pd.Series, rows: pd.Series) -> list[Problem]:
    """Every row of the episodes table (IDs ``ids`` as written, at file rows ``rows``) whose
    episode ID is on another row too."""
    repeated = ids.duplicated(keep=False) & ~missing(ids)
    return problems_where(file, rows, repeated, "EpisodeID", ids, REPEATED)
