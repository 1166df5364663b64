"""Statistical disclosure control for every table a report publishes.

The default is the NHS Digital rule for published statistics: counts from 1 to 7 are shown as
``*``, other counts are rounded to the nearest 5, and percentages are calculated from the
rounded counts (NHS Digital, "Disclosure control method for Hospital Episode Statistics and
other published statistics"; the same rule is used across NHS Digital's official statistics).
A subgroup percentage is shown only when its base is at least ``min_base`` responses.

Secondary (complementary) suppression stops a suppressed count being worked out by subtraction
from a total: wherever the cells of a line (a row or a column of a table, or a set of groups)
add up to a total that is, or may be, published, a line with exactly one hidden non-zero count
gets a second one hidden, until every line has none or at least two (see
:func:`complete_suppression`). Means, medians and other statistics about people are shown only
for groups of at least ``min_base`` (:func:`suppress_statistic`, :func:`publish_summary`).

Reports display tables only through :class:`PublishedTable`, which only this module makes, so a
table cannot reach a report without passing through here (``tests/test_disclosure_reports.py``
checks the notebooks statically and runs the reports' table and text functions on a group
below the minimum). Exempt from counting rules, through :func:`publish_estimates` with a note
saying why: study-level effects quoted from published literature (evidence synthesis), model
assumptions, estimates and projections (ROI, workforce projection) - they are not statistics
over this service's people; any column in them that does count people is named in
``count_columns`` and suppressed and rounded like every other count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evidence import stats

SUPPRESSED = "*"


@dataclass(frozen=True)
class DisclosureRule:
    """Counts ``1..small_count_max`` are suppressed; others are rounded to the nearest
    ``rounding_base``; a percentage needs a base of at least ``min_base``."""

    small_count_max: int = 7
    rounding_base: int = 5
    min_base: int = 10

    def __post_init__(self) -> None:
        if self.small_count_max < 0 or self.rounding_base < 1 or self.min_base < 1:
            raise ValueError(f"invalid disclosure rule {self}")

    def describe(self) -> str:
        return (
            f"Counts from 1 to {self.small_count_max} are shown as {SUPPRESSED}; other counts "
            f"are rounded to the nearest {self.rounding_base}; percentages and intervals are "
            f"calculated from the rounded counts and shown only where the base is at least "
            f"{self.min_base}."
        )


@dataclass(frozen=True)
class PublishedTable:
    """A table that has passed disclosure control: ``frame`` holds display-ready text."""

    frame: pd.DataFrame
    caption: str
    note: str

    def to_html(self) -> str:
        body = self.frame.to_html(index=False, escape=True, border=0, classes="data-table")
        caption = f"<caption>{_escape(self.caption)}</caption>"
        body = body.replace(">\n  <thead>", f">\n{caption}\n  <thead>", 1)
        return f'<div class="table-wrap">{body}<p class="table-note">{_escape(self.note)}</p></div>'

    def to_records(self) -> list[dict[str, str]]:
        return self.frame.to_dict(orient="records")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def round_counts(counts, rule: DisclosureRule = DisclosureRule()) -> np.ndarray:
    """Rounded counts as floats, NaN where suppressed (1..small_count_max); 0 stays 0."""
    c = np.asarray(counts, dtype=float)
    if np.any(c < 0):
        raise ValueError("counts must not be negative")
    rounded = np.floor(c / rule.rounding_base + 0.5) * rule.rounding_base
    return np.where((c >= 1) & (c <= rule.small_count_max), np.nan, rounded)


def round_count_table(table: pd.DataFrame, rule: DisclosureRule = DisclosureRule(), row_totals: bool = True,
                      column_totals: bool = True) -> pd.DataFrame:
    """Every cell of a table of counts rounded, suppressed cells as 0 (for charts, which
    cannot show ``*``; the matching published table shows the suppression). Secondary
    suppression as in :func:`publish_counts` with the same ``row_totals`` and
    ``column_totals``, so a chart never shows a count its table hides."""
    counts = table.to_numpy(dtype=float)
    hidden = suppression_pattern(counts, rule, row_totals, column_totals)[:counts.shape[0], :counts.shape[1]]
    rounded = np.where(hidden, np.nan, round_counts(counts, rule))
    return pd.DataFrame(np.nan_to_num(rounded), index=table.index, columns=table.columns)


# --- secondary (complementary) suppression --------------------------------------------------------


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


def suppression_pattern(counts, rule: DisclosureRule = DisclosureRule(), row_totals: bool = True,
                        column_totals: bool = True) -> np.ndarray:
    """Which cells of a table of counts, and of its totals, must be hidden: the primary cells
    (1 to ``small_count_max``) and then secondary cells by :func:`complete_suppression`.
    ``row_totals``: each row adds up to a total that is, or may be, published; likewise
    ``column_totals``. The result is shaped like the table with its margins
    (:func:`with_totals`): a last column for the row totals and a last row for the column
    totals when there are any; a total that is itself small is suppressed like any count, and
    protected like any cell of the row or column of totals."""
    full, lines = with_totals(counts, row_totals, column_totals)
    return complete_suppression(full, np.isnan(round_counts(full, rule)), lines)


def _count_text(rounded: np.ndarray) -> list[str]:
    return [SUPPRESSED if np.isnan(v) else f"{int(v):,}" for v in rounded]


def _percent_text(p: np.ndarray, decimals: int) -> list[str]:
    return [SUPPRESSED if np.isnan(v) else f"{100 * v:.{decimals}f}%" for v in p]


def suppress_statistic(value, n, rule: DisclosureRule = DisclosureRule(), fmt: str = "{}") -> str | None:
    """A statistic about people (a mean, median, SD, rate or effect size) as text, or ``None``
    when it must not be published: when it is over fewer than ``rule.min_base`` people, or is
    missing. A mean over a handful of children can disclose one child's value. Every narrative
    sentence and chart label that quotes such a statistic asks here first. ``fmt`` may take
    several values, e.g. ``"{:+.1f} to {:+.1f}"`` with ``value`` a tuple."""
    numbers = value if isinstance(value, (tuple, list)) else (value,)
    if n is None or pd.isna(n) or n < rule.min_base or any(x is None or pd.isna(x) for x in numbers):
        return None
    return fmt.format(*numbers)


SECONDARY_NOTE = (f"{SUPPRESSED} also hides some larger counts, so that a small count cannot be "
                  "worked out from the totals (secondary suppression).")


def publish_counts(
    table: pd.DataFrame,
    label_columns: list[str],
    count_columns: list[str],
    caption: str,
    rule: DisclosureRule = DisclosureRule(),
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
            last = {column: _count_text(shown[n_rows:, len(parts) if column == total_column else parts.index(column)])[0]
                    for column in count_columns}
            if row_totals and total_column is None:
                last[total_label] = _count_text(shown[n_rows:, len(parts)])[0]
            labels = {column: "" for column in label_columns}
            if label_columns:
                labels[label_columns[0]] = total_label
            out = pd.concat([out, pd.DataFrame([{**labels, **last}])], ignore_index=True)
    secondary = hidden & ~np.isnan(round_counts(full, rule))
    note = rule.describe() + (" " + SECONDARY_NOTE if secondary.any() else "")
    return PublishedTable(out, caption, note)


def protect_groups(counts, rule: DisclosureRule = DisclosureRule(), groups=None,
                   hidden=None) -> np.ndarray:
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
    return protected[:len(values)]


def disclosed_proportions(
    table: pd.DataFrame,
    count: str = "positive",
    base: str = "n",
    rule: DisclosureRule = DisclosureRule(),
    level: float = 0.95,
    weighted: pd.DataFrame | None = None,
    parts_of_total: bool = True,
    within: str | None = None,
) -> pd.DataFrame:
    """Numbers safe to publish for a proportions table: ``n`` and ``count`` rounded (NaN where
    suppressed) and the proportion and Wilson interval from the rounded counts, NaN unless the
    count is shown and the base is at least ``min_base``. Other columns are kept as they are.

    With ``parts_of_total`` (the default) the rows are groups that make up a whole - their
    bases add up to the total base and their counts to the total count, which a report may
    show - so :func:`protect_groups` adds secondary suppression to both columns (rows with the
    same ``within`` value form one whole, e.g. one measure of a long table); a row whose base
    is hidden has its count hidden too, and a row with a hidden count has no proportion. Say
    ``parts_of_total=False`` only when the rows add up to nothing (different questions, or
    options of a multiple-choice question).

    With ``weighted`` (columns ``proportion``, ``ci_low``, ``ci_high`` aligned with ``table``),
    the weighted estimates are published instead, in exactly the places the unweighted ones
    would be shown."""
    raw_n, raw_k = table[base].to_numpy(dtype=float), table[count].to_numpy(dtype=float)
    n, k = round_counts(raw_n, rule), round_counts(raw_k, rule)
    if parts_of_total:
        groups = None if within is None else table[within].to_numpy()
        n_hidden = protect_groups(raw_n, rule, groups)
        k_hidden = protect_groups(raw_k, rule, groups, np.isnan(k) | n_hidden)
        n, k = np.where(n_hidden, np.nan, n), np.where(k_hidden, np.nan, k)
    shown = ~np.isnan(n) & ~np.isnan(k) & (np.nan_to_num(n) >= rule.min_base)
    # Rounding can lift the count above the base (13 of 13 -> 15 of 15 is fine, but 12 of 12
    # -> 10 of 10 and 13 of 14 -> 15 of 15 too); cap it so the proportion stays in [0, 1].
    safe_n = np.where(shown, n, 1.0)
    safe_k = np.where(shown, np.minimum(k, n), 0.0)
    low, high = stats.wilson_interval(safe_k, safe_n, level)
    out = table.drop(columns=[base, count]).copy()
    out[base], out[count] = n, k
    p = safe_k / safe_n
    if weighted is not None:
        p, low, high = (weighted[c].to_numpy(dtype=float) for c in ("proportion", "ci_low", "ci_high"))
    out["proportion"] = np.where(shown, p, np.nan)
    out["ci_low"] = np.where(shown, low, np.nan)
    out["ci_high"] = np.where(shown, high, np.nan)
    out["shown"] = shown
    return out


def _any_secondary(table: pd.DataFrame, safe: pd.DataFrame, columns, rule: DisclosureRule) -> bool:
    """Whether ``safe`` hides a count of ``table`` that the primary rule alone would show."""
    return any(bool(np.any(np.isnan(safe[c].to_numpy(dtype=float))
                           & ~np.isnan(round_counts(table[c].to_numpy(dtype=float), rule)))) for c in columns)


def publish_proportions(
    table: pd.DataFrame,
    label_columns: list[str],
    caption: str,
    count: str = "positive",
    base: str = "n",
    rule: DisclosureRule = DisclosureRule(),
    level: float = 0.95,
    weighted: pd.DataFrame | None = None,
    headers: dict[str, str] | None = None,
    decimals: int = 0,
    parts_of_total: bool = True,
) -> PublishedTable:
    """Proportions table for display, through :func:`disclosed_proportions`. When ``weighted``
    is given (columns ``proportion``, ``ci_low``, ``ci_high`` aligned with ``table``) the
    weighted figures are shown instead, in the same places the unweighted ones would be.
    ``headers`` renames the output columns: keys ``n``, ``count``, ``p``, ``ci`` or a label
    column's name. ``parts_of_total``: see :func:`disclosed_proportions` (secondary suppression
    across the rows, on by default)."""
    safe = disclosed_proportions(table, count, base, rule, level, weighted, parts_of_total)
    p, low, high = (safe[c].to_numpy(dtype=float) for c in ("proportion", "ci_low", "ci_high"))
    headers = {"n": "Responses", "count": "Of whom", "p": "%", "ci": f"{level:.0%} interval",
               **(headers or {})}
    out = table[label_columns].astype(str).rename(columns=headers)
    out[headers["n"]] = _count_text(safe[base].to_numpy())
    out[headers["count"]] = _count_text(safe[count].to_numpy())
    out[headers["p"]] = _percent_text(p, decimals)
    out[headers["ci"]] = [
        SUPPRESSED if np.isnan(a) else f"{100 * a:.{decimals}f}% to {100 * b:.{decimals}f}%"
        for a, b in zip(low, high, strict=True)
    ]
    note = rule.describe()
    if _any_secondary(table, safe, [base, count], rule):
        note += " " + SECONDARY_NOTE
    if weighted is not None:
        note += " Percentages and intervals are weighted; counts are unweighted."
    return PublishedTable(out.reset_index(drop=True), caption, note)


def publish_proportion_grid(
    table: pd.DataFrame,
    row: str,
    column: str,
    caption: str,
    rule: DisclosureRule = DisclosureRule(),
    level: float = 0.95,
    weighted: bool = False,
    column_order: list[str] | None = None,
) -> PublishedTable:
    """A wide table of proportions: one row per ``row`` value, one column per ``column``
    value, each cell "71% (67% to 74%)" or ``*``; the bases are in the note. ``table`` is long,
    with ``n``, ``positive`` and, when ``weighted``, ``proportion``/``ci_low``/``ci_high``.
    The ``row`` groups of each ``column`` value are parts of a whole (nations of the UK, bands
    of the workforce), so each column gets secondary suppression (:func:`disclosed_proportions`
    with ``within=column``); a group's base is shown only where no measure hides it."""
    safe = disclosed_proportions(table, "positive", "n", rule, level, table if weighted else None,
                                 parts_of_total=True, within=column)
    safe["cell"] = [
        f"{100 * p:.0f}% ({100 * a:.0f}% to {100 * b:.0f}%)" if ok else SUPPRESSED
        for p, a, b, ok in zip(safe["proportion"], safe["ci_low"], safe["ci_high"], safe["shown"], strict=True)
    ]
    wide = safe.pivot(index=row, columns=column, values="cell")
    if column_order:
        wide = wide[column_order]
    base = safe.groupby(row, observed=False)["n"].agg(lambda x: x.max() if x.notna().all() else np.nan)
    wide.insert(0, "Responses (largest base)", _count_text(base.reindex(wide.index).to_numpy()))
    wide = wide.reset_index().rename(columns={row: row.replace("_", " ").capitalize()})
    wide.columns.name = None
    note = (f"Each cell: percentage and {level:.0%} interval. " + rule.describe()
            + (" " + SECONDARY_NOTE if _any_secondary(table, safe, ["n", "positive"], rule) else "")
            + (" Percentages and intervals are weighted; counts are unweighted." if weighted else ""))
    return PublishedTable(wide, caption, note)


def publish_summary(
    table: pd.DataFrame,
    label_columns: list[str],
    base: str,
    values: dict[str, str],
    caption: str,
    rule: DisclosureRule = DisclosureRule(),
    headers: dict[str, str] | None = None,
    parts_of_total: bool = True,
) -> PublishedTable:
    """Summary statistics (means, medians, effect sizes) per group: the base count is
    suppressed or rounded like any count, and every statistic is shown only where the base is
    at least ``min_base`` (:func:`suppress_statistic`) - a mean over a handful of children can
    disclose one child's score. ``values`` maps a column to its format, e.g.
    ``{"mean_change": "{:+.1f}"}``; a format may name two columns joined by ``|`` to show an
    interval, e.g. ``{"change_ci_low|change_ci_high": "{:+.1f} to {:+.1f}"}``.

    With ``parts_of_total`` (the default) the groups' bases add up to a total the report may
    show (children by tier), so they get secondary suppression (:func:`protect_groups`), and a
    group whose base is hidden that way has its statistics hidden too (an interval's width
    gives its base away). Say ``parts_of_total=False`` when the rows are not parts of a whole
    (several inputs measured on the same children)."""
    n = table[base].to_numpy(dtype=float)
    rounded = round_counts(n, rule)
    hidden = protect_groups(n, rule) if parts_of_total else np.isnan(rounded)
    headers = headers or {}
    out = table[label_columns].astype(str).rename(columns=headers)
    out[headers.get(base, "Children")] = _count_text(np.where(hidden, np.nan, rounded))
    for columns, fmt in values.items():
        names = columns.split("|")
        cells = []
        for position in range(len(table)):
            numbers = tuple(table[c].iloc[position] for c in names)
            text = None if hidden[position] else suppress_statistic(numbers, n[position], rule, fmt)
            cells.append(SUPPRESSED if text is None else text)
        out[headers.get(columns, columns)] = cells
    note = rule.describe() + f" Statistics are shown only for groups of at least {rule.min_base}."
    if np.any(hidden & ~np.isnan(rounded)):
        note += " " + SECONDARY_NOTE
    return PublishedTable(out.reset_index(drop=True), caption, note)


def publish_estimates(
    frame: pd.DataFrame,
    caption: str,
    note: str,
    count_columns: list[str] | tuple[str, ...] = (),
    rule: DisclosureRule = DisclosureRule(),
) -> PublishedTable:
    """A table of estimates with no counts of people in it, published as it is: model
    estimates and projections, effect sizes, intervals, weights, test statistics, assumptions,
    or figures quoted from public documents. Values are shown as given (as text), so format
    them first. Any column that does count people must be named in ``count_columns``: those
    are suppressed and rounded by ``rule`` like every other published count, and the rule joins
    the note. ``note`` says what the figures are (e.g. "model estimates, not counts of people");
    counts of people in groups go through :func:`publish_counts`, :func:`publish_proportions`
    or :func:`publish_summary` instead."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"publish_estimates takes a DataFrame, got {type(frame).__name__}")
    out = frame.copy()
    for column in count_columns:
        out[column] = _count_text(round_counts(frame[column].to_numpy(dtype=float), rule))
    if count_columns:
        note = f"{note} {', '.join(count_columns)}: {rule.describe()}".strip()
    if not note.strip():
        raise ValueError("say in the note what the estimates are, e.g. 'model projections, not counts of people'")
    return PublishedTable(out.astype(str).reset_index(drop=True), caption, note)
