"""Tables of counts: every count rounded or suppressed, with secondary suppression along the
rows and columns that add up to published totals; the same pattern for charts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence.disclosure.rule import (
    DEFAULT_RULE,
    SECONDARY_NOTE,
    DisclosureRule,
    PublishedTable,
    _count_text,
    round_counts,
)
from evidence.disclosure.secondary import suppression_pattern, with_totals


def round_count_table(
    table: pd.DataFrame, rule: DisclosureRule = DEFAULT_RULE, row_totals: bool = True, column_totals: bool = True
) -> pd.DataFrame:
    """Every cell of a table of counts rounded, suppressed cells as 0 (for charts, which
    cannot show ``*``; the matching published table shows the suppression). Secondary
    suppression as in :func:`publish_counts` with the same ``row_totals`` and
    ``column_totals``, so a chart never shows a count its table hides."""
    counts = table.to_numpy(dtype=float)
    hidden = suppression_pattern(counts, rule, row_totals, column_totals)[: counts.shape[0], : counts.shape[1]]
    rounded = np.where(hidden, np.nan, round_counts(counts, rule))
    return pd.DataFrame(np.nan_to_num(rounded), index=table.index, columns=table.columns)


def publish_counts(
    table: pd.DataFrame,
    label_columns: list[str],
    count_columns: list[str],
    caption: str,
    rule: DisclosureRule = DEFAULT_RULE,
    row_totals: bool = True,
    column_totals: bool = True,
    total_column: str | None = None,
    show_totals: bool = False,
    total_label: str = "Total",
) -> PublishedTable:
    """Counts table: every count column suppressed and rounded; labels unchanged.

    Secondary suppression (:func:`suppression_pattern`) is on by default, on the safe
    assumption that the counts of a row are parts of a total published somewhere (a row's
    children are the group's children) and that each column's counts add up to a total too
    (the groups are parts of the whole); say ``row_totals=False`` or ``column_totals=False``
    only when that line's counts add up to nothing a reader could see. ``total_column`` names a
    count column that is itself the total of the other count columns in its row (e.g. baseline
    = followed up + lost); it is checked. ``show_totals`` adds the totals to the table (a
    ``total_label`` column and row), suppressed and rounded like every other count."""
    if total_column is not None:
        if total_column not in count_columns:
            raise ValueError(f"total_column {total_column!r} is not one of the count columns {count_columns}")
        row_totals = True
    parts = [c for c in count_columns if c != total_column]
    counts = table[parts].to_numpy(dtype=float)
    if total_column is not None:
        given = table[total_column].to_numpy(dtype=float)
        if not np.array_equal(given, counts.sum(axis=1)):
            raise ValueError(f"{total_column!r} is not the sum of {parts} in every row")
    full, _ = with_totals(counts, row_totals, column_totals)
    hidden = suppression_pattern(counts, rule, row_totals, column_totals)
    shown = np.where(hidden, np.nan, round_counts(full, rule))
    n_rows = len(table)
    out = table[label_columns].astype(str).reset_index(drop=True)
    for column in count_columns:
        source = len(parts) if column == total_column else parts.index(column)
        out[column] = _count_text(shown[:n_rows, source])
    if show_totals:
        if row_totals and total_column is None:
            out[total_label] = _count_text(shown[:n_rows, len(parts)])
        if column_totals:
            last = {
                column: _count_text(shown[n_rows:, len(parts) if column == total_column else parts.index(column)])[0]
                for column in count_columns
            }
            if row_totals and total_column is None:
                last[total_label] = _count_text(shown[n_rows:, len(parts)])[0]
            labels = {column: "" for column in label_columns}
            if label_columns:
                labels[label_columns[0]] = total_label
            out = pd.concat([out, pd.DataFrame([{**labels, **last}])], ignore_index=True)
    secondary = hidden & ~np.isnan(round_counts(full, rule))
    note = rule.describe() + (" " + SECONDARY_NOTE if secondary.any() else "")
    return PublishedTable(out, caption, note)
