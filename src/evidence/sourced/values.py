"""Sourced values: a number with its unit, where it comes from (a source, or flagged
``illustrative`` with a note saying what should replace it) and, when it is uncertain, a
:class:`~evidence.sourced.distribution.Distribution`; and the checks every configuration
applies to the source and illustrative flag of an entry."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from evidence.errors import ConfigError
from evidence.sourced.distribution import FIXED, Distribution
from evidence.sourced.problems import KeyPath, Problems

SOURCE_FIELDS = ("title", "publisher", "year", "table")
#: The keys of a distribution that say where its spread comes from.
SPREAD_FIELDS = {"source", "illustrative", "note"}
T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """A published source: title, publisher, year and the table or section the value is in."""

    title: str
    publisher: str
    year: int
    table: str

    def cite(self) -> str:
        return f"{self.publisher} ({self.year}), {self.title}, {self.table}"


@dataclass(frozen=True, kw_only=True)
class SourcedValue:
    """A value and where it comes from: ``citation`` names the source in words ("" when there
    is none); ``illustrative`` says there is no source to rely on (``note`` says why and what
    should replace it); ``distribution`` None means the value is not varied."""

    value: float | None
    unit: str = ""
    citation: str = ""
    illustrative: bool = False
    note: str = ""
    distribution: Distribution | None = None

    def describe(self) -> str:
        """The source and any note in words; an illustrative or unconfirmed value says so."""
        text = "; ".join(t for t in (self.citation, self.note) if t)
        return f"{text} (illustrative)" if self.illustrative else text

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws from the value's distribution (``n`` copies of the value when fixed)."""
        if self.value is None:
            raise ValueError(f"no value to draw from ({self.describe() or 'no source'})")
        return (self.distribution or FIXED).draw(self.value, n, rng)


def draw_values(values: Mapping[str, SourcedValue], n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n`` independent draws of every value, in the mapping's order, from one seeded
    generator (so a seed reproduces them exactly)."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ConfigError(
            f"draws: {n!r}; the number of Monte Carlo draws must be a whole number of at least 1 "
            "(10,000 or more for a published report)"
        )
    if not isinstance(rng, np.random.Generator):
        raise TypeError("pass a seeded numpy.random.Generator, e.g. numpy.random.default_rng(2024)")
    return {name: value.draw(int(n), rng) for name, value in values.items()}


def central_values(values: Mapping[str, SourcedValue]) -> dict[str, np.ndarray]:
    """Every value at its central value, as arrays of one draw (the base case)."""
    return {name: np.array([value.value]) for name, value in values.items()}


def structured_source(raw: Any, where: KeyPath, problems: Problems) -> Source | None:
    """A ``source`` mapping with title, publisher, year (a whole number) and table."""
    where = (*where, "source")
    if not isinstance(raw, dict):
        problems.add(where, raw, f"give a mapping with {', '.join(SOURCE_FIELDS)}, or set illustrative: true")
        return None
    missing = [f for f in SOURCE_FIELDS if f not in raw or raw[f] in (None, "")]
    if missing:
        problems.add(where, None, f"missing {', '.join(missing)} (a source needs {', '.join(SOURCE_FIELDS)})")
        return None
    if not isinstance(raw["year"], int) or isinstance(raw["year"], bool):
        problems.add((*where, "year"), raw["year"], "the year must be a whole number")
        return None
    return Source(str(raw["title"]), str(raw["publisher"]), int(raw["year"]), str(raw["table"]))


def text_source(raw: Any, where: KeyPath, problems: Problems) -> str | None:
    """A ``source`` given as a citation in words."""
    if not isinstance(raw, str) or not raw.strip():
        problems.add((*where, "source"), raw, "cite the publication (authors, year, title, table or page)")
        return None
    return raw.strip()


def provenance(
    entry: dict,
    where: KeyPath,
    problems: Problems,
    read_source: Callable[[Any, KeyPath, Problems], T | None],
    form: str,
) -> tuple[T | None, bool, str]:
    """(source, illustrative, note) of a sourced entry: it names its source (read by
    ``read_source``; ``form`` says what one holds), or is flagged ``illustrative: true`` with a
    note saying why and what should replace it. An illustrative entry may keep the source its
    figure is attributed to when that figure could not be confirmed."""
    illustrative = entry.get("illustrative", False)
    note = str(entry.get("note") or "")
    if not isinstance(illustrative, bool):
        problems.add((*where, "illustrative"), illustrative, "must be true or false")
        return None, True, note
    if illustrative:
        if not note:
            problems.add(
                where,
                None,
                "an illustrative value needs a note: add a note saying why (no source, or a "
                "source whose figure could not be confirmed) and what published figure "
                "should replace it",
            )
        return (read_source(entry["source"], where, problems) if entry.get("source") else None), True, note
    if entry.get("source") in (None, ""):
        problems.add(
            where, None, f"missing field 'source' ({form}): a value needs a source, or illustrative: true with a note"
        )
        return None, False, note
    return read_source(entry["source"], where, problems), False, note


def spread_provenance(raw: dict, where: KeyPath, sourced_value: bool, problems: Problems) -> tuple[str | None, str]:
    """(source of the spread or None, note) of a distribution that varies its value. A sourced
    value's spread must say whether it is published (``source``) or ``illustrative: true``
    (with a note); an illustrative value's spread is illustrative anyway."""
    source, illustrative, note = raw.get("source"), raw.get("illustrative"), str(raw.get("note") or "")
    if illustrative not in (None, True, False):
        problems.add((*where, "illustrative"), illustrative, "must be true or false")
    if source not in (None, "") and not isinstance(source, str):
        problems.add((*where, "source"), source, "cite the publication and table the spread comes from")
        source = None
    if source and illustrative:
        problems.add(where, None, "give either source (the spread is published) or illustrative: true, not both")
    elif sourced_value and not source and illustrative is not True:
        problems.add(
            where,
            None,
            "the value is sourced; say where its spread comes from (source: ...) or mark "
            "the spread illustrative: true with a note saying what should replace it",
        )
    elif illustrative and not note:
        problems.add(where, None, "an illustrative spread needs a note saying what should replace it")
    return (source or None), note
