"""Secondary (complementary) suppression: which further cells to hide so that no suppressed
count can be worked out by subtraction from a total that is, or may be, published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence.disclosure.rule import DEFAULT_RULE, DisclosureRule, round_counts


def complete_suppression(values, suppressed, lines) -> np.ndarray:
    """Secondary (complementary) suppression: ``suppressed`` (a boolean array shaped like
    ``values``) grown until no line can be solved for a hidden count.

    ``lines`` is a sequence of ``(parts, total)`` pairs of flat indices into ``values``: the
    values at ``parts`` add up to the value at ``total``. A line with exactly one hidden cell
    could be solved by subtracting the shown cells from the total, so a second cell of that
    line is hidden: a non-zero shown part, or the line's total when no part qualifies. Of the
    parts, the one chosen is the one that leaves the fewest other lines with a single hidden
    cell (a cell whose column already has a hidden cell closes a rectangle instead of starting
    a cascade), then the smallest, then the first in reading order. Lines are visited in
    order, again and again, until nothing changes, so a cell hidden to protect a row that then
    leaves its column with one hidden cell is itself protected (cascading). A cell's value
    should be the true, unrounded count; only the choice of which cell to hide depends on it.

    Zeros: a true zero is not disclosive and is shown, and hiding one protects nothing (a zero
    is usually known to be possible - a structural zero - and the published rule says ``*``
    stands for 1 or more), so zeros are never chosen, and a hidden zero does not count as the
    line's second hidden cell.

    This is the standard complementary-suppression step described in the UK statistical
    disclosure control guidance: the Office for National Statistics' and Government Statistical
    Service's guidance on disclosure control for tables (primary suppression of small cells,
    then secondary suppression of further cells so that primary cells cannot be derived from
    published totals by differencing), and NHS Digital's disclosure control method for
    published statistics, which applies ``*`` suppression and rounding to every count,
    including totals. Choosing the smallest shown cell is a heuristic that keeps the loss of
    information small; it does not search for the least suppression overall (as optimising
    tools such as tau-ARGUS do), and for tables of more than two dimensions or linked tables a
    cell could still be bounded from several tables at once."""
    values = np.asarray(values, dtype=float)
    shape = values.shape
    if np.shape(suppressed) != shape:
        raise ValueError(f"suppressed has shape {np.shape(suppressed)}, values {shape}")
    # Flat copies in reading (C) order: the indices in ``lines`` are C-order positions.
    flat_values = np.ravel(values, order="C")
    flat_hidden = np.array(np.ravel(np.asarray(suppressed, dtype=bool), order="C"), copy=True)
    members = [[*parts, total] for parts, total in lines]
    lines_of: dict[int, list[int]] = {}
    for number, cells in enumerate(members):
        for cell in cells:
            lines_of.setdefault(cell, []).append(number)

    def protecting(number: int) -> int:
        return sum(1 for m in members[number] if flat_hidden[m] and flat_values[m] > 0)

    def opens(cell: int, number: int) -> int:
        """Other lines through ``cell`` that would be left with one hidden cell."""
        return sum(1 for other in lines_of[cell] if other != number and protecting(other) == 0)

    changed = True
    while changed:
        changed = False
        for number, (parts, total) in enumerate(lines):
            if protecting(number) != 1:
                continue
            candidates = [m for m in parts if not flat_hidden[m] and flat_values[m] > 0]
            if not candidates and not flat_hidden[total] and flat_values[total] > 0:
                candidates = [total]
            if candidates:
                flat_hidden[min(candidates, key=lambda m: (opens(m, number), flat_values[m], m))] = True
                changed = True
    return flat_hidden.reshape(shape)


def with_totals(counts, row_totals: bool = True, column_totals: bool = True) -> tuple[np.ndarray, list]:
    """A table of counts with its margins added (a last column of row totals, a last row of
    column totals, and the grand total when there are both) and the lines along which it adds
    up, for :func:`complete_suppression`."""
    inner = np.asarray(counts, dtype=float)
    if inner.ndim != 2:
        raise ValueError("counts must be a two-dimensional table")
    n_rows, n_columns = inner.shape
    full = inner
    if row_totals:
        full = np.column_stack([full, full.sum(axis=1)])
    if column_totals:
        full = np.vstack([full, full.sum(axis=0)])
    width = full.shape[1]
    lines = []
    if row_totals:  # every row, including the row of column totals, adds up to its last cell
        for i in range(full.shape[0]):
            lines.append(([i * width + j for j in range(n_columns)], i * width + n_columns))
    if column_totals:  # every column, including the column of row totals, adds up to its last cell
        for j in range(width):
            lines.append(([i * width + j for i in range(n_rows)], n_rows * width + j))
    return full, lines


def suppression_pattern(
    counts, rule: DisclosureRule = DEFAULT_RULE, row_totals: bool = True, column_totals: bool = True
) -> np.ndarray:
    """Which cells of a table of counts, and of its totals, must be hidden: the primary cells
    (1 to ``small_count_max``) and then secondary cells by :func:`complete_suppression`.
    ``row_totals``: each row adds up to a total that is, or may be, published; likewise
    ``column_totals``. The result is shaped like the table with its margins
    (:func:`with_totals`): a last column for the row totals and a last row for the column
    totals when there are any; a total that is itself small is suppressed like any count, and
    protected like any cell of the row or column of totals."""
    full, lines = with_totals(counts, row_totals, column_totals)
    return complete_suppression(full, np.isnan(round_counts(full, rule)), lines)


def protect_groups(counts, rule: DisclosureRule = DEFAULT_RULE, groups=None, hidden=None) -> np.ndarray:
    """Which of a column of counts to hide when the rows are parts of a whole: rows with the
    same value in ``groups`` (all rows when ``groups`` is None) add up to a total that is, or
    may be, published (children by tier add up to all children). Starts from ``hidden`` (by
    default the primary cells, 1 to ``small_count_max``) and adds secondary cells by
    :func:`complete_suppression`, so that no group's hidden count is the total less the shown
    ones. The totals are not returned: where :func:`complete_suppression` would hide one (a
    group whose only other hidden cells are zeros hidden by the caller, counts hidden with
    their bases), those zeros are shown as ``*`` like any hidden count, so the line already
    has two hidden cells and nothing in it can be worked out by subtraction."""
    values = np.asarray(counts, dtype=float)
    start = np.isnan(round_counts(values, rule)) if hidden is None else np.asarray(hidden, dtype=bool)
    keys = np.zeros(len(values), dtype=int) if groups is None else pd.factorize(np.asarray(groups))[0]
    totals = np.array([values[keys == key].sum() for key in range(keys.max() + 1 if len(keys) else 0)])
    extended = np.concatenate([values, totals])
    lines = [(list(np.flatnonzero(keys == key)), len(values) + key) for key in range(len(totals))]
    protected = complete_suppression(extended, np.concatenate([start, np.isnan(round_counts(totals, rule))]), lines)
    return protected[: len(values)]
