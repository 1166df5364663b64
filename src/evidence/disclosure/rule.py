"""The disclosure rule and what passing it produces: :class:`DisclosureRule` (NHS Digital's
``*`` for counts 1 to 7, rounding to the nearest 5, a minimum base for percentages),
:func:`round_counts`, :func:`suppress_statistic` for statistics about people, and
:class:`PublishedTable`, the only kind of table a report shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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


#: The NHS Digital rule with its published thresholds: the default of every function here.
DEFAULT_RULE = DisclosureRule()


def round_counts(counts, rule: DisclosureRule = DEFAULT_RULE) -> np.ndarray:
    """Rounded counts as floats, NaN where suppressed (1..small_count_max); 0 stays 0."""
    c = np.asarray(counts, dtype=float)
    if np.any(c < 0):
        raise ValueError("counts must not be negative")
    rounded = np.floor(c / rule.rounding_base + 0.5) * rule.rounding_base
    return np.where((c >= 1) & (c <= rule.small_count_max), np.nan, rounded)


def _count_text(rounded: np.ndarray) -> list[str]:
    return [SUPPRESSED if np.isnan(v) else f"{int(v):,}" for v in rounded]


def _percent_text(p: np.ndarray, decimals: int) -> list[str]:
    return [SUPPRESSED if np.isnan(v) else f"{100 * v:.{decimals}f}%" for v in p]


def suppress_statistic(value, n, rule: DisclosureRule = DEFAULT_RULE, fmt: str = "{}") -> str | None:
    """A statistic about people (a mean, median, SD, rate or effect size) as text, or ``None``
    when it must not be published: when it is over fewer than ``rule.min_base`` people, or is
    missing. A mean over a handful of children can disclose one child's value. Every narrative
    sentence and chart label that quotes such a statistic asks here first. ``fmt`` may take
    several values, e.g. ``"{:+.1f} to {:+.1f}"`` with ``value`` a tuple."""
    numbers = value if isinstance(value, (tuple, list)) else (value,)
    if n is None or pd.isna(n) or n < rule.min_base or any(x is None or pd.isna(x) for x in numbers):
        return None
    return fmt.format(*numbers)


SECONDARY_NOTE = (
    f"{SUPPRESSED} also hides some larger counts, so that a small count cannot be "
    "worked out from the totals (secondary suppression)."
)
