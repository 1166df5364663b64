"""What an instrument is: items, valid codes, reversed items, missing-data rule, bands with their
source, the words an extract names it with, and a vectorised scorer; and the registry every
instrument enters from its own module (``NAME = register(Instrument(...))``). Instruments are
scored by item number; no item wording is shipped (several instruments are copyrighted)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evidence.errors import ConfigError, Problem, ValidationError
from evidence.validation import as_numbers, problems_where

#: The outcomes extract tables that hold questionnaire items.
EXTRACT_TABLES = ("assessments", "prems")


@dataclass(frozen=True)
class Band:
    """A named score range ``low <= score <= high`` for one scale."""

    scale: str
    label: str
    low: float
    high: float


@dataclass(frozen=True)
class Instrument:
    """An instrument defined by data plus a scorer.

    ``item_ranges`` maps item number (1-based) to its valid (lowest, highest) integer code;
    ``scorer`` takes an items matrix (rows are questionnaires, columns item 1..n, NaN for a
    missing answer) and returns one column per scale. ``higher_is_better`` says, per scale,
    which direction is improvement. ``table`` is the outcomes extract table whose rows hold it:
    ``"assessments"`` (items ``Item1``..; the ``Instrument`` column names it by ``name`` or any
    of ``labels``, case and spacing ignored) or ``"prems"`` (items ``Exp1``..).
    """

    name: str
    title: str
    item_ranges: dict[int, tuple[int, int]]
    reversed_items: tuple[int, ...]
    missing_rule: str
    scales: dict[str, tuple[int, ...]]
    higher_is_better: dict[str, bool]
    scorer: Callable[[np.ndarray], dict[str, np.ndarray]]
    reference: str
    bands: tuple[Band, ...] = ()
    bands_source: str = ""
    optional_items: frozenset[int] = field(default_factory=frozenset)
    labels: tuple[str, ...] = ()
    table: str = "assessments"

    def __post_init__(self) -> None:
        if self.name != self.name.strip().casefold() or not self.name:
            raise ConfigError(f"instrument name {self.name!r} must be lower case without surrounding spaces")
        if sorted(self.item_ranges) != list(range(1, len(self.item_ranges) + 1)):
            raise ConfigError(
                f"instrument {self.name!r}: items must be numbered 1..n without gaps, got {sorted(self.item_ranges)}"
            )
        if self.table not in EXTRACT_TABLES:
            raise ConfigError(
                f"instrument {self.name!r}: table must be one of {', '.join(EXTRACT_TABLES)}, got {self.table!r}"
            )
        if set(self.higher_is_better) != set(self.scales):
            raise ConfigError(
                f"instrument {self.name!r}: higher_is_better must name each scale once ({', '.join(self.scales)})"
            )

    @property
    def n_items(self) -> int:
        return max(self.item_ranges)

    def item_columns(self) -> list[str]:
        return [f"item_{i}" for i in range(1, self.n_items + 1)]

    def validate(
        self, items: pd.DataFrame, file: str = "<items>", rows: pd.Series | None = None, source_prefix: str = "item_"
    ) -> list[Problem]:
        """Problems with codes in ``items`` (columns ``item_1``..): non-numbers, non-integers
        and codes outside each item's range. ``rows`` gives the file row of each record and
        ``source_prefix`` the item columns' names in the file (``Item`` for ``Item1``..)."""
        problems: list[Problem] = []
        row_numbers = rows if rows is not None else pd.Series(np.arange(1, len(items) + 1), index=items.index)
        for number, (low, high) in self.item_ranges.items():
            column = f"item_{number}"
            if column not in items:
                continue
            raw = items[column]
            values = as_numbers(raw)
            bad = raw.notna() & (values.isna() | (values % 1 != 0) | (values < low) | (values > high))
            problems += problems_where(
                file,
                row_numbers,
                bad.to_numpy(),
                f"{source_prefix}{number}",
                raw,
                f"{self.name} item {number} must be a whole number from {low} to {high}",
            )
        return problems

    def score(self, items: pd.DataFrame) -> pd.DataFrame:
        """Scale scores for each row of ``items`` (columns ``item_1``..``item_n``; missing
        columns count as unanswered). Raises :class:`ValidationError` on invalid codes."""
        problems = self.validate(items)
        if problems:
            raise ValidationError(problems)
        matrix = items.reindex(columns=self.item_columns()).apply(as_numbers).to_numpy(dtype=float)
        return pd.DataFrame(self.scorer(matrix), index=items.index)

    def band(self, scores: pd.DataFrame) -> pd.DataFrame:
        """The band label of each banded scale score (missing where the score is)."""
        out = {}
        for scale in dict.fromkeys(b.scale for b in self.bands):
            bands = [b for b in self.bands if b.scale == scale]
            values = scores[scale].to_numpy(dtype=float)
            labels = np.full(values.shape, None, dtype=object)
            for b in bands:
                labels[(values >= b.low) & (values <= b.high)] = b.label
            out[f"{scale}_band"] = pd.Categorical(labels, categories=[b.label for b in bands], ordered=True)
        return pd.DataFrame(out, index=scores.index)


def mean_if_enough(values: np.ndarray, max_missing: float) -> np.ndarray:
    """Row means over answered items (NaN ignored); NaN where more than ``max_missing`` items
    are missing."""
    missing = np.isnan(values).sum(axis=1)
    answered = values.shape[1] - missing
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.nansum(values, axis=1) / answered
    return np.where((missing <= max_missing) & (answered > 0), means, np.nan)


def round_half_up(values: np.ndarray) -> np.ndarray:
    """Round to the nearest whole number, halves upwards (2.5 -> 3), unlike numpy's
    round-half-to-even."""
    return np.floor(values + 0.5)


#: Every instrument by name, in the order their modules were imported (the package imports each
#: module of ``evidence/instruments`` in name order; see :mod:`evidence.instruments`).
REGISTRY: dict[str, Instrument] = {}


def register(instrument: Instrument) -> Instrument:
    """Add ``instrument`` to the registry and return it; a name may be registered once.
    An instrument module ends ``NAME = register(Instrument(...))``; the same module imported
    again (``importlib.reload``, IPython's autoreload) replaces its own instrument."""
    existing = REGISTRY.get(instrument.name)
    if existing is not None and existing.scorer.__module__ != instrument.scorer.__module__:
        raise ConfigError(
            f"instrument {instrument.name!r} is already registered "
            f"({REGISTRY[instrument.name].title}); choose another name"
        )
    REGISTRY[instrument.name] = instrument
    return instrument
