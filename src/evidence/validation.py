"""Column checks shared by every ingest path. Each check takes a raw text column, returns the
typed column and a list of :class:`~evidence.errors.Problem` naming file, row, column, value
and rule, so that an ingest can report every problem at once. All checks are vectorised; only
the (few) failing rows are turned into Problem objects."""

from __future__ import annotations

import difflib
import re
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evidence import privacy
from evidence.dates import dates_written
from evidence.errors import Problem, RepeatedProblem, ValidationError
from evidence.readers import RawTable


def normalise_text(values: pd.Series) -> pd.Series:
    """Trim, collapse inner whitespace and case-fold; the form labels are matched in."""
    return values.astype("string").str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()


def as_numbers(values: pd.Series) -> pd.Series:
    """Text cells as float64 numbers, surrounding whitespace ignored; missing, and anything
    that is not a number ("1,200", "£40", "n/a"), as NaN. Numeric input passes through.

    Arrow's cast parses a whole column at C speed; only a column holding something that is not
    a number takes the slower element-wise ``pandas.to_numeric`` (whose rules are the same for
    the decimal numbers that reach it)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64")
    text = pa.array(values.astype("string"))
    try:
        numbers = pc.cast(pc.utf8_trim_whitespace(text), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(values.astype("string").str.strip(), errors="coerce").astype("float64")
    return pd.Series(numbers.to_numpy(zero_copy_only=False), index=values.index, dtype="float64")


def is_in(values: pd.Series, known: pa.Array) -> np.ndarray:
    """Which ``values`` are among ``known`` (missing never is), by Arrow's hash lookup.
    ``Series.isin`` turns a large set of strings into Python objects on every call."""
    found = pc.is_in(pa.array(values.astype("string")), value_set=known)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


#: How a date cell of a workbook, or an SPSS date variable, reaches the text table.
CELL_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
#: At most this many rows breaking one rule in one column are reported one by one; more
#: become one :class:`~evidence.errors.RepeatedProblem` (count and first rows), so that a
#: systematic problem costs the same whatever the number of rows.
SINGLE_LIMIT = 5
#: The first rows a repeated problem names.
FIRST_ROWS = 10


def problems_where(file: str, row_numbers, mask, column: str, values: pd.Series, rule: str) -> list[Problem]:
    """A Problem for each position where ``mask`` is true (``row_numbers`` and ``values``
    aligned with it by position); beyond :data:`SINGLE_LIMIT` positions, one
    :class:`~evidence.errors.RepeatedProblem` for them all instead, so that only a handful of
    objects is ever made."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    rows = np.asarray(row_numbers)
    if len(positions) <= SINGLE_LIMIT:
        return [Problem(file, int(rows[i]), column, values.iloc[i], rule) for i in positions]
    first = positions[:FIRST_ROWS]
    return [
        RepeatedProblem(
            file,
            int(rows[first[0]]),
            column,
            values.iloc[first[0]],
            rule,
            count=len(positions),
            rows=tuple(int(r) for r in rows[first]),
        )
    ]


def problems_at(raw: RawTable, mask, column: str, values: pd.Series, rule: str) -> list[Problem]:
    """The problems where ``mask`` is true (see :func:`problems_where`), rows as in ``raw``."""
    return problems_where(raw.name, raw.row_numbers, mask, column, values, rule)


def condensed(problems: list[Problem]) -> list[Problem]:
    """``problems`` with those that break one rule in one column of one file gathered into one
    :class:`~evidence.errors.RepeatedProblem` when there are more than :data:`SINGLE_LIMIT`
    rows (e.g. the problems of several blocks of one file), in order of first appearance."""
    groups: dict[tuple, list[Problem]] = {}
    for problem in problems:
        groups.setdefault((problem.file, problem.column, problem.rule), []).append(problem)
    out: list[Problem] = []
    for found in groups.values():
        count = sum(p.count if isinstance(p, RepeatedProblem) else 1 for p in found)
        if count <= SINGLE_LIMIT or len(found) == 1:
            out += found
            continue
        places = (
            sorted(
                (r, p) for p in found for r in (p.rows if isinstance(p, RepeatedProblem) else (p.row,)) if r is not None
            )
            if all(p.row is not None for p in found)
            else []
        )
        first = min(found, key=lambda p: (p.row is None, p.row or 0))
        out.append(
            RepeatedProblem(
                first.file,
                first.row,
                first.column,
                first.value,
                first.rule,
                count=count,
                rows=tuple(r for r, _ in places[:FIRST_ROWS]),
            )
        )
    return out


def names_in(texts, known_names) -> set[str]:
    """The known full names (:func:`evidence.privacy.known_full_names`) that occur in any of
    ``texts`` as :func:`evidence.privacy.identifier_kind` looks for them (whole words, case
    ignored): passing only these on gives the privacy checks the same answer at a cost that does
    not grow with the number of names, since one pattern of every name is compiled once and each
    distinct text searched once (the checks themselves compile one pattern per name)."""
    names = privacy.known_full_names(known_names)
    texts = {t for t in texts if isinstance(t, str) and t.strip()}
    if not names or not texts:
        return set()
    by_folded: dict[str, str] = {}
    for name in names:
        by_folded.setdefault(name.casefold(), name)
    alternatives = "|".join(re.escape(n) for n in sorted(by_folded, key=len, reverse=True))
    pattern = re.compile(rf"\b(?:{alternatives})\b")
    return {by_folded[m] for text in texts for m in pattern.findall(text.casefold())}


def masked(problems: list[Problem], known_names) -> list[Problem]:
    """:func:`evidence.privacy.masked_problems`, at a cost that does not grow with the number
    of known names: only the names found in the problems' values (:func:`names_in`) are passed
    on, which gives the masking rule the same answer."""
    return privacy.masked_problems(
        problems, names_in({p.value for p in problems if isinstance(p.value, str)}, known_names)
    )


def check_required_columns(raw: RawTable, needed: list[str], advice: str) -> None:
    """Raise a ValidationError listing every missing column, suggesting a renamed one."""
    present = list(raw.data.columns)
    unexpected = [c for c in present if c not in needed]
    problems = []
    for column in needed:
        if column not in present:
            near = [c for c in unexpected if column.casefold() in c.casefold()] or difflib.get_close_matches(
                column, unexpected, n=1, cutoff=0.6
            )
            hint = f" (is {near[0]!r} the same column renamed?)" if near else ""
            problems.append(Problem(raw.name, 1, column, None, f"required column is missing from the header{hint}"))
    if problems:
        raise ValidationError(problems, advice)


@cache
def _label_file() -> pd.DataFrame:
    with (resources.files("evidence") / "data" / "answer_labels.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={"label": str, "canonical": str}, keep_default_na=False)


def answer_labels() -> pd.DataFrame:
    """The answer-label mapping table: scale, label, code, canonical. The rows of
    ``data/answer_labels.csv``, and those of the ``instrument`` scale, which come from the
    registered instruments (:func:`evidence.instruments.instrument_labels`)."""
    from evidence.instruments import instrument_labels  # the instruments import this module

    return pd.concat([_label_file(), instrument_labels()], ignore_index=True)


def scale_categories(scale: str) -> list[str]:
    """Canonical answers of a scale in code order."""
    rows = answer_labels()
    rows = rows[rows["scale"] == scale].drop_duplicates("canonical").sort_values("code")
    if rows.empty:
        raise ValueError(f"no scale {scale!r} in answer_labels.csv")
    return rows["canonical"].tolist()


def scale_codes(scale: str) -> dict[str, int]:
    """Canonical answer -> numeric code for a scale."""
    rows = answer_labels()
    rows = rows[rows["scale"] == scale]
    return dict(zip(rows["canonical"], rows["code"], strict=False))


def to_category(
    raw: RawTable, column: str, values: pd.Series, missing: pd.Series, scale: str, ordered: bool = False
) -> tuple[pd.Categorical, list[Problem]]:
    """Map answer wordings through the mapping table to canonical categories."""
    rows = answer_labels()
    rows = rows[rows["scale"] == scale]
    labels = dict(zip(rows["label"], rows["canonical"], strict=True))
    wordings = pd.Categorical(values)  # few distinct wordings, many rows: normalise each once
    per_wording = normalise_text(pd.Series(wordings.categories, dtype="string")).map(labels)
    canonical = pd.Series(
        np.append(per_wording.to_numpy(dtype=object), [None])[wordings.codes], index=values.index, dtype="string"
    )
    categories = scale_categories(scale)
    problems = problems_at(
        raw,
        ~missing & canonical.isna(),
        column,
        values,
        f"not a recognised answer; expected one of: {', '.join(categories)} (or a missing code); "
        f"add new wordings to answer_labels.csv under scale {scale!r}",
    )
    return pd.Categorical(canonical.where(~missing), categories=categories, ordered=ordered), problems


def to_integer(
    raw: RawTable, column: str, values: pd.Series, missing: pd.Series, low: float, high: float
) -> tuple[pd.Series, list[Problem]]:
    """Whole numbers within [low, high]; "1,200" and "£40" are refused, not guessed at."""
    number = as_numbers(values.where(~missing))
    not_number = ~missing & (number.isna() | (number % 1 != 0))
    problems = problems_at(
        raw,
        not_number,
        column,
        values,
        "must be a whole number written in digits only (no thousands commas, "
        "£ signs, units or decimals); such values are refused, not guessed at",
    )
    outside = ~missing & ~not_number & ((number < low) | (number > high))
    problems += problems_at(raw, outside, column, values, f"must be between {low} and {high}")
    return number.where(~not_number & ~outside).astype("Int64"), problems


def to_datetime(
    raw: RawTable, column: str, values: pd.Series, missing: pd.Series, fmt: str, described: str
) -> tuple[pd.Series, list[Problem]]:
    """Dates or timestamps in exactly one format (``described`` says it in words); impossible
    dates such as 31/02/2025 and other formats are problems. Read by :func:`~evidence.dates.dates_written`."""
    stamp = dates_written(values.where(~missing).str.strip(), fmt)
    problems = problems_at(raw, ~missing & stamp.isna(), column, values, f"must be a real date written {described}")
    return stamp, problems


def to_coded(
    raw: RawTable,
    column: str,
    values: pd.Series,
    missing: pd.Series,
    wordings: dict[str, str],
    categories: tuple[str, ...] | list[str],
    ordered: bool,
    where: str,
) -> tuple[pd.Categorical, list[Problem]]:
    """Map the wordings of a coded column through a code list (normalised wording -> answer,
    :func:`normalise_text`) to categories; a wording not listed is a problem, never guessed.
    ``where`` says where the code list is, for the advice."""
    distinct = pd.Categorical(values)  # few distinct wordings, many rows: normalise each once
    per_wording = normalise_text(pd.Series(distinct.categories, dtype="string")).map(wordings)
    canonical = pd.Series(
        np.append(per_wording.to_numpy(dtype=object), [None])[distinct.codes], index=values.index, dtype="string"
    )
    problems = problems_at(
        raw,
        ~missing & canonical.isna(),
        column,
        values,
        f"not a recognised answer; expected one of: {', '.join(categories)} (or blank); if this wording "
        f"means one of them, add it under that answer in {where}",
    )
    return pd.Categorical(canonical.where(~missing), categories=list(categories), ordered=ordered), problems


def to_date(
    raw: RawTable, column: str, values: pd.Series, missing: pd.Series, formats: dict[str, str], where: str
) -> tuple[pd.Series, list[Problem]]:
    """Dates written in one of ``formats`` (words -> ``strptime`` form, tried in order), as
    timestamps; impossible dates (31/02/2025) and any other writing are problems. A workbook's
    date cells and an SPSS file's date variables reach the text table as ``YYYY-MM-DD[ HH:MM:SS]``
    and are read as the dates they are, whatever ``formats`` says. ``where`` names the
    definition that declares the formats, for the advice."""
    text = values.where(~missing).astype("string").str.strip()
    cells = raw.path.suffix.lower() in (".xlsx", ".sav")
    extra: tuple[str, ...] = CELL_DATE_FORMATS if cells else ()
    first, *others = [*formats.values(), *extra]
    stamp = dates_written(text, first)
    for fmt in others:
        todo = stamp.isna() & text.notna()
        if not todo.any():
            break
        stamp = stamp.where(~todo, dates_written(text.where(todo), fmt))
    described = " or ".join(formats)
    if raw.path.suffix.lower() == ".xlsx":
        rule = (
            f"must be a real date: this cell holds text, not an Excel date, and text is read as a date "
            f"written {described} (the formats declared in {where}); retype it as a date, or declare the "
            "format it is written in there"
        )
    else:
        rule = (
            f"must be a real date written {described} (the formats declared in {where}; if the "
            "extract writes dates another way, declare that format there)"
        )
    return stamp, problems_at(raw, ~missing & stamp.isna(), column, values, rule)
