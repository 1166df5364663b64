"""Published figures quoted from public documents (``data/raw/published``), with sources.

These are reference figures, not records about people, so they are read here directly; a
file whose rows lack a source is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evidence.errors import EvidenceError, Problem, ValidationError
from evidence.paths import PUBLISHED, resolve

PUBLISHED_FOLDER = PUBLISHED
SOURCE_COLUMNS = ("source_title", "publisher", "published")


def read_published(name: str, folder: str | Path = PUBLISHED_FOLDER) -> pd.DataFrame:
    """Read ``<folder>/<name>.csv``; every row must name its source."""
    path = resolve(Path(folder) / f"{name}.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = [
        Problem(str(path), None, c, None, "every published figure needs a source column")
        for c in SOURCE_COLUMNS
        if c not in table
    ]
    for column in SOURCE_COLUMNS:
        if column in table:
            blank = table.index[table[column].str.strip() == ""]
            problems += [Problem(str(path), int(i) + 2, column, "", "the source must be given") for i in blank]
    if problems:
        raise ValidationError(problems)
    return table


def citation(row: pd.Series) -> str:
    """A one-line citation: publisher, title, date."""
    return f"{row['publisher']}, \u201c{row['source_title']}\u201d, {row['published']}"


# --- price years ---------------------------------------------------------------------------------

#: The NHS Cost Inflation Index as PSSRU prints it (``data/raw/published/nhs_cost_inflation_index.csv``).
NHS_COST_INFLATION_INDEX = "nhs_cost_inflation_index"
INDEX_COLUMNS = {"pay_and_prices": "pay_and_prices_percent", "pay": "pay_percent", "prices": "prices_percent"}
_FINANCIAL_YEAR = re.compile(r"(\d{4})/(\d{2})")


def financial_year(text: object) -> str:
    """A UK financial year written ``YYYY/YY`` (e.g. ``2023/24``; PSSRU's ``2023/2024`` is
    accepted and shortened). Anything else, including a calendar year or ``2023/25``, raises
    :class:`ValueError` saying what to write: a price year that only resembles a financial
    year is refused, not guessed."""
    raw = str(text).strip()
    long_form = re.fullmatch(r"(\d{4})/(\d{4})", raw)
    if long_form:
        raw = (
            f"{long_form.group(1)}/{long_form.group(2)[2:]}"
            if int(long_form.group(2)) == int(long_form.group(1)) + 1
            else raw
        )
    match = _FINANCIAL_YEAR.fullmatch(raw)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(
            f"{text!r} is not a financial year; write it as YYYY/YY, e.g. 2023/24 (April 2023 to "
            "March 2024), the form PSSRU and the National Cost Collection use"
        )
    return raw


@dataclass(frozen=True)
class PriceIndex:
    """A price index by financial year, from published annual percentage increases.

    ``levels[year]`` is the index in ``year`` relative to the year before the first increase
    (1.0): the running product of (1 + increase / 100). Moving a value from one price year to
    another multiplies it by ``levels[to] / levels[from]`` (PSSRU, Unit Costs of Health and
    Social Care 2024 Manual, section 12.1: costs are uprated with the NHS Cost Inflation Index).
    ``provisional`` lists the years whose increase the publisher marks provisional."""

    name: str
    column: str
    levels: dict[str, float]
    provisional: tuple[str, ...]
    citation: str

    def factor(self, from_year: str, to_year: str) -> float:
        """The multiplier that moves a value from ``from_year`` prices to ``to_year`` prices."""
        missing = [y for y in (from_year, to_year) if y not in self.levels]
        if missing:
            raise EvidenceError(
                f"{self.name}: no {self.column.replace('_', ' ')} index for {', '.join(missing)} (the table covers "
                f"{min(self.levels)} to {max(self.levels)}). Add the year's published increase to "
                f"{PUBLISHED_FOLDER / (self.name + '.csv')} with its source, or give the value in a year the "
                "table covers."
            )
        return self.levels[to_year] / self.levels[from_year]

    def convert(self, value: float, from_year: str, to_year: str) -> float:
        """``value`` in ``from_year`` prices expressed in ``to_year`` prices."""
        return float(value) * self.factor(from_year, to_year)

    def describe(self, from_year: str, to_year: str) -> str:
        """The index used for a conversion, in words, e.g. for an assumptions table."""
        if from_year == to_year:
            return "none needed (already in the price year)"
        years = sorted({from_year, to_year})
        flagged = [y for y in self.provisional if years[0] < y <= years[1]]
        note = f"; {', '.join(flagged)} provisional" if flagged else ""
        return (
            f"NHS Cost Inflation Index ({self.column.replace('_', ' ')}), {from_year} to {to_year}: x"
            f"{self.factor(from_year, to_year):.4f}{note} ({self.citation})"
        )


def price_index(
    name: str = NHS_COST_INFLATION_INDEX, column: str = "pay_and_prices", folder: str | Path = PUBLISHED_FOLDER
) -> PriceIndex:
    """Read a published price index (``<folder>/<name>.csv``: ``financial_year``, the annual
    percentage increase in ``<column>_percent``, ``provisional`` yes/no and the source
    columns). Years must follow one another with no gap; a problem names the row and column."""
    if column not in INDEX_COLUMNS:
        raise EvidenceError(f"unknown index column {column!r}; use one of {', '.join(INDEX_COLUMNS)}")
    table = read_published(name, folder)
    path = str(resolve(Path(folder) / f"{name}.csv"))
    percent = INDEX_COLUMNS[column]
    problems = [
        Problem(path, None, c, None, "a price index needs this column")
        for c in ("financial_year", percent, "provisional")
        if c not in table
    ]
    if problems:
        raise ValidationError(problems)
    levels: dict[str, float] = {}
    provisional: list[str] = []
    previous: str | None = None
    level = 1.0
    for i, row in table.iterrows():  # a few rows of a reference table, not records
        line = int(i) + 2
        try:
            year = financial_year(row["financial_year"])
        except ValueError as error:
            problems.append(Problem(path, line, "financial_year", row["financial_year"], str(error)))
            continue
        try:
            increase = float(row[percent])
        except ValueError:
            problems.append(Problem(path, line, percent, row[percent], "must be a percentage increase, e.g. 4.31"))
            continue
        if not -50 < increase < 100:
            problems.append(
                Problem(
                    path,
                    line,
                    percent,
                    row[percent],
                    "an annual increase must lie between -50 and 100 (percent, not a proportion)",
                )
            )
        if row["provisional"] not in ("yes", "no"):
            problems.append(Problem(path, line, "provisional", row["provisional"], "must be yes or no"))
        if previous is None:
            start = int(year[:4]) - 1
            levels[f"{start}/{(start + 1) % 100:02d}"] = 1.0
        elif int(year[:4]) != int(previous[:4]) + 1:
            problems.append(
                Problem(path, line, "financial_year", year, f"must follow {previous} (no gaps or repeats, in order)")
            )
            continue
        level *= 1 + increase / 100
        levels[year] = level
        if row["provisional"] == "yes":
            provisional.append(year)
        previous = year
    if problems:
        raise ValidationError(problems)
    first = table.iloc[0]
    cited = f"{first['source_title']} ({first['published']}), {first.get('table', '')}".strip(", ")
    if first.get("page"):
        cited += f", p.{first['page']}"
    return PriceIndex(name, column, levels, tuple(provisional), cited)
