"""Column checks shared by every ingest path. Each check takes a raw text column, returns the
typed column and a list of :class:`~evidence.errors.Problem` naming file, row, column, value
and rule, so that an ingest can report every problem at once. All checks are vectorised; only
the (few) failing rows are turned into Problem objects."""

from __future__ import annotations

import difflib
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evidence.errors import Problem, ValidationError
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


def problems_at(raw: RawTable, mask, column: str, values: pd.Series, rule: str) -> list[Problem]:
    """One Problem per position where ``mask`` is true."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    return [Problem(raw.name, int(raw.row_numbers.iloc[i]), column, values.iloc[i], rule)
            for i in positions]


def check_required_columns(raw: RawTable, needed: list[str], advice: str) -> None:
    """Raise a ValidationError listing every missing column, suggesting a renamed one."""
    present = list(raw.data.columns)
    unexpected = [c for c in present if c not in needed]
    problems = []
    for column in needed:
        if column not in present:
            near = [c for c in unexpected if column.casefold() in c.casefold()] or \
                difflib.get_close_matches(column, unexpected, n=1, cutoff=0.6)
            hint = f" (is {near[0]!r} the same column renamed?)" if near else ""
            problems.append(Problem(raw.name, 1, column, None,
                                    f"required column is missing from the header{hint}"))
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


def to_category(raw: RawTable, column: str, values: pd.Series, missing: pd.Series, scale: str,
                ordered: bool = False) -> tuple[pd.Categorical, list[Problem]]:
    """Map answer wordings through the mapping table to canonical categories."""
    rows = answer_labels()
    rows = rows[rows["scale"] == scale]
    labels = dict(zip(rows["label"], rows["canonical"], strict=True))
    wordings = pd.Categorical(values)  # few distinct wordings, many rows: normalise each once
    per_wording = normalise_text(pd.Series(wordings.categories, dtype="string")).map(labels)
    canonical = pd.Series(np.append(per_wording.to_numpy(dtype=object), None)[wordings.codes],
                          index=values.index, dtype="string")
    categories = scale_categories(scale)
    problems = problems_at(
        raw, ~missing & canonical.isna(), column, values,
        f"not a recognised answer; expected one of: {', '.join(categories)} (or a missing code); "
        f"add new wordings to answer_labels.csv under scale {scale!r}")
    return pd.Categorical(canonical.where(~missing), categories=categories, ordered=ordered), problems


def to_integer(raw: RawTable, column: str, values: pd.Series, missing: pd.Series,
               low: float, high: float) -> tuple[pd.Series, list[Problem]]:
    """Whole numbers within [low, high]; "1,200" and "£40" are refused, not guessed at."""
    number = as_numbers(values.where(~missing))
    not_number = ~missing & (number.isna() | (number % 1 != 0))
    problems = problems_at(raw, not_number, column, values,
                           "must be a whole number written in digits only (no thousands commas, "
                           "£ signs, units or decimals); such values are refused, not guessed at")
    outside = ~missing & ~not_number & ((number < low) | (number > high))
    problems += problems_at(raw, outside, column, values, f"must be between {low} and {high}")
    return number.where(~not_number & ~outside).astype("Int64"), problems


def to_datetime(raw: RawTable, column: str, values: pd.Series, missing: pd.Series, fmt: str,
                described: str) -> tuple[pd.Series, list[Problem]]:
    """Dates or timestamps in exactly one format (``described`` says it in words); impossible
    dates such as 31/02/2025 and other formats are problems."""
    stamp = pd.to_datetime(values.where(~missing).str.strip(), format=fmt, errors="coerce")
    problems = problems_at(raw, ~missing & stamp.isna(), column, values,
                           f"must be a real date written {described}")
    return stamp, problems
