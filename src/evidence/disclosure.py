"""Statistical disclosure control for every table a report publishes.

The default is the NHS Digital rule for published statistics: counts from 1 to 7 are shown as
``*``, other counts are rounded to the nearest 5, and percentages are calculated from the
rounded counts (NHS Digital, "Disclosure control method for Hospital Episode Statistics and
other published statistics"; the same rule is used across NHS Digital's official statistics).
A subgroup percentage is shown only when its base is at least ``min_base`` responses.

Reports display tables only through :class:`PublishedTable`, which only this module makes, so a
table cannot reach a report without passing through here.
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


def round_count_table(table: pd.DataFrame, rule: DisclosureRule = DisclosureRule()) -> pd.DataFrame:
    """Every cell of a table of counts rounded, suppressed cells as 0 (for charts, which
    cannot show ``*``; the matching published table shows the suppression)."""
    return pd.DataFrame(np.nan_to_num(round_counts(table.to_numpy(), rule)),
                        index=table.index, columns=table.columns)


def _count_text(rounded: np.ndarray) -> list[str]:
    return [SUPPRESSED if np.isnan(v) else f"{int(v):,}" for v in rounded]


def _percent_text(p: np.ndarray, decimals: int) -> list[str]:
    return [SUPPRESSED if np.isnan(v) else f"{100 * v:.{decimals}f}%" for v in p]


def publish_counts(
    table: pd.DataFrame,
    label_columns: list[str],
    count_columns: list[str],
    caption: str,
    rule: DisclosureRule = DisclosureRule(),
) -> PublishedTable:
    """Counts table: every count column suppressed and rounded; labels unchanged."""
    out = table[label_columns].astype(str).copy()
    for column in count_columns:
        out[column] = _count_text(round_counts(table[column].to_numpy(), rule))
    return PublishedTable(out.reset_index(drop=True), caption, rule.describe())


def disclosed_proportions(
    table: pd.DataFrame,
    count: str = "positive",
    base: str = "n",
    rule: DisclosureRule = DisclosureRule(),
    level: float = 0.95,
    weighted: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Numbers safe to publish for a proportions table: ``n`` and ``count`` rounded (NaN where
    suppressed) and the proportion and Wilson interval from the rounded counts, NaN unless the
    count is shown and the base is at least ``min_base``. Other columns are kept as they are.

    With ``weighted`` (columns ``proportion``, ``ci_low``, ``ci_high`` aligned with ``table``),
    the weighted estimates are published instead, in exactly the places the unweighted ones
    would be shown."""
    n = round_counts(table[base].to_numpy(), rule)
    k = round_counts(table[count].to_numpy(), rule)
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
) -> PublishedTable:
    """Proportions table for display, through :func:`disclosed_proportions`. When ``weighted``
    is given (columns ``proportion``, ``ci_low``, ``ci_high`` aligned with ``table``) the
    weighted figures are shown instead, in the same places the unweighted ones would be.
    ``headers`` renames the output columns: keys ``n``, ``count``, ``p``, ``ci`` or a label
    column's name."""
    safe = disclosed_proportions(table, count, base, rule, level, weighted)
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
    with ``n``, ``positive`` and, when ``weighted``, ``proportion``/``ci_low``/``ci_high``."""
    safe = disclosed_proportions(table, "positive", "n", rule, level, table if weighted else None)
    safe["cell"] = [
        f"{100 * p:.0f}% ({100 * a:.0f}% to {100 * b:.0f}%)" if ok else SUPPRESSED
        for p, a, b, ok in zip(safe["proportion"], safe["ci_low"], safe["ci_high"], safe["shown"], strict=True)
    ]
    wide = safe.pivot(index=row, columns=column, values="cell")
    if column_order:
        wide = wide[column_order]
    base = safe.groupby(row, observed=False)["n"].max()
    wide.insert(0, "Responses (largest base)", _count_text(base.reindex(wide.index).to_numpy()))
    wide = wide.reset_index().rename(columns={row: row.replace("_", " ").capitalize()})
    wide.columns.name = None
    note = (f"Each cell: percentage and {level:.0%} interval. " + rule.describe()
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
) -> PublishedTable:
    """Summary statistics (means, medians, effect sizes) per group: the base count is
    suppressed or rounded like any count, and every statistic is shown only where the base is
    at least ``min_base`` - a mean over a handful of children can disclose one child's score.
    ``values`` maps a column to its format, e.g. ``{"mean_change": "{:+.1f}"}``; a format may
    name two columns joined by ``|`` to show an interval, e.g.
    ``{"change_ci_low|change_ci_high": "{:+.1f} to {:+.1f}"}``."""
    n = table[base].to_numpy(dtype=float)
    shown = n >= rule.min_base
    headers = headers or {}
    out = table[label_columns].astype(str).rename(columns=headers)
    out[headers.get(base, "Children")] = _count_text(round_counts(n, rule))
    for columns, fmt in values.items():
        names = columns.split("|")
        cells = []
        for position, ok in enumerate(shown):
            numbers = [table[c].iloc[position] for c in names]
            cells.append(fmt.format(*numbers) if ok and not any(pd.isna(x) for x in numbers) else SUPPRESSED)
        out[headers.get(columns, columns)] = cells
    return PublishedTable(out.reset_index(drop=True), caption,
                          rule.describe() + f" Statistics are shown only for groups of at least {rule.min_base}.")


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
