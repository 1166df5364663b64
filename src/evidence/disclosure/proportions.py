"""Tables of proportions: bases and counts rounded or suppressed (with secondary suppression
across groups that make up a whole), percentages and Wilson intervals from the rounded counts
and only over a base of at least ``min_base``; long tables and wide grids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence import stats
from evidence.disclosure.rule import (
    DEFAULT_RULE,
    SECONDARY_NOTE,
    SUPPRESSED,
    DisclosureRule,
    PublishedTable,
    _count_text,
    _percent_text,
    round_counts,
)
from evidence.disclosure.secondary import protect_groups


def disclosed_proportions(
    table: pd.DataFrame,
    count: str = "positive",
    base: str = "n",
    rule: DisclosureRule = DEFAULT_RULE,
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
    return any(
        bool(
            np.any(
                np.isnan(safe[c].to_numpy(dtype=float)) & ~np.isnan(round_counts(table[c].to_numpy(dtype=float), rule))
            )
        )
        for c in columns
    )


def publish_proportions(
    table: pd.DataFrame,
    label_columns: list[str],
    caption: str,
    count: str = "positive",
    base: str = "n",
    rule: DisclosureRule = DEFAULT_RULE,
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
    headers = {"n": "Responses", "count": "Of whom", "p": "%", "ci": f"{level:.0%} interval", **(headers or {})}
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
    rule: DisclosureRule = DEFAULT_RULE,
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
    safe = disclosed_proportions(
        table, "positive", "n", rule, level, table if weighted else None, parts_of_total=True, within=column
    )
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
    note = (
        f"Each cell: percentage and {level:.0%} interval. "
        + rule.describe()
        + (" " + SECONDARY_NOTE if _any_secondary(table, safe, ["n", "positive"], rule) else "")
        + (" Percentages and intervals are weighted; counts are unweighted." if weighted else "")
    )
    return PublishedTable(wide, caption, note)
