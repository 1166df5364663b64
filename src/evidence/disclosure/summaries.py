"""Tables of statistics about groups of people (means, medians, effect sizes: shown only for
groups of at least ``min_base``) and tables of estimates with no counts of people in them
(model estimates, projections, quoted figures).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence.disclosure.rule import (
    DEFAULT_RULE,
    SECONDARY_NOTE,
    SUPPRESSED,
    DisclosureRule,
    PublishedTable,
    _count_text,
    round_counts,
    suppress_statistic,
)
from evidence.disclosure.secondary import protect_groups


def publish_summary(
    table: pd.DataFrame,
    label_columns: list[str],
    base: str,
    values: dict[str, str],
    caption: str,
    rule: DisclosureRule = DEFAULT_RULE,
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
    rule: DisclosureRule = DEFAULT_RULE,
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
