"""One exception family for the whole package.

Every error a user can cause (a malformed file, a bad parameter, a missing key) is an
:class:`EvidenceError`. The command-line interface prints these as plain messages without a
traceback and exits non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


class EvidenceError(Exception):
    """Base class: an error the user can fix, with a message that says how."""


class InputFileError(EvidenceError):
    """A raw input file cannot be read at all (missing, empty, wrong encoding, corrupt)."""


class ConfigError(EvidenceError):
    """A configuration file or a set of notebook parameters is invalid."""


class PseudonymKeyError(EvidenceError):
    """No pseudonymisation key is available for data that needs one."""


class BatchError(EvidenceError):
    """The report batch cannot run: its reports folder is in use by another run, or its
    dask scheduler cannot be reached."""


class NotebookExecutionError(EvidenceError):
    """A report notebook failed while running."""


@dataclass(frozen=True)
class Problem:
    """One broken rule at one place in an input file.

    ``row`` is the 1-based row number as the user sees it in the file (the line number of a
    CSV, the row number in Excel, the case number in SPSS); ``None`` when the problem concerns
    the whole column or file. A configuration file's problem names a line and a key instead
    (:class:`evidence.sourced.ConfigProblem`): ``row_name`` and ``column_name`` say how.
    """

    row_name: ClassVar[str] = "row"
    column_name: ClassVar[str] = "column"
    file: str
    row: int | None
    column: str | None
    value: object
    rule: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.row_name} {self.row}")
        if self.column is not None:
            where.append(f"{self.column_name} {self.column!r}")
        plain = self.value.item() if hasattr(self.value, "item") else self.value  # numpy scalar
        value = "" if plain is None else f": value {plain!r}"
        return f"{', '.join(where)}{value}: {self.rule}"


@dataclass(frozen=True)
class RepeatedProblem(Problem):
    """One rule broken in one column on many rows (a systematic problem), reported as one line:
    ``count`` rows in all; ``row`` and ``value`` are the first of them, ``rows`` the first few."""

    count: int = 1
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = [self.file] + ([f"column {self.column!r}"] if self.column is not None else [])
        more = ", ..." if self.count > len(self.rows) else ""
        first = f", the first {', '.join(map(str, self.rows))}{more}" if self.rows else ""
        plain = self.value.item() if hasattr(self.value, "item") else self.value
        value = "" if plain is None else f" ({f'row {self.row}: ' if self.row is not None else ''}value {plain!r})"
        return f"{', '.join(where)}: {self.count:,} rows{first}{value}: {self.rule}"


class ValidationError(EvidenceError):
    """Input data break one or more rules; ``problems`` lists each one (a
    :class:`RepeatedProblem` stands for many rows). Single problems are listed first, then one
    line for each repeated one."""

    max_listed = 25
    max_repeated_listed = 100

    def __init__(self, problems: list[Problem], advice: str = "") -> None:
        if not problems:
            raise ValueError("ValidationError needs at least one problem")
        self.problems = list(problems)
        single = [p for p in self.problems if not isinstance(p, RepeatedProblem)]
        repeated = [p for p in self.problems if isinstance(p, RepeatedProblem)]
        total = len(single) + sum(p.count for p in repeated)
        lines = [f"{total:,} problem(s) found; nothing was written."]
        if single:
            lines.append(bulleted(single, self.max_listed))
        if repeated:
            lines += [
                "The same problem on many rows (one line per column and rule):",
                bulleted(repeated, self.max_repeated_listed),
            ]
        if advice:
            lines.append(advice)
        super().__init__("\n".join(lines))


def bulleted(items: list, limit: int) -> str:
    """The first ``limit`` items as an indented list ("  - item"), and how many more there are."""
    lines = [f"  - {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return "\n".join(lines)
