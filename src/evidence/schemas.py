"""Schemas of the processed tables (pandera), checked wherever a processed table is loaded.

Ingest is the only door: a table under ``data/processed`` is written by it and nothing else.
These schemas state what such a table holds (columns, types, ranges, allowed answers), so a
table written by another version, or altered by hand, is refused on load with the column,
row and value that break a rule, instead of reaching a report.

* outcome tables (episodes, assessments, scores, prems): fixed columns; the instruments,
  their item columns and timepoints from :mod:`evidence.instruments` and the answer labels;
* a survey table: built from the survey definition that made it (the manifest names it):
  each question's type, a category's answers, an integer's range, a multi-select's options.

Reference: pandera, "DataFrame schemas" (pandera.readthedocs.io).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from evidence.errors import InputFileError, Problem, bulleted
from evidence.instruments import instruments_in
from evidence.paths import resolve
from evidence.survey import load_definition
from evidence.validation import scale_categories

#: How many broken rules a refused table lists.
LISTED = 25
ADVICE = (
    "The processed tables are written by `evidence ingest` only: ingest the raw data again "
    "with this version (the raw files are unchanged), then load."
)


def _text(nullable: bool = True, unique: bool = False) -> pa.Column:
    """A text column: pandas' ``str`` or ``string`` dtype, either accepted."""
    return pa.Column(
        nullable=nullable,
        unique=unique,
        coerce=False,
        checks=pa.Check(lambda s: pd.api.types.is_string_dtype(s.dtype), element_wise=False, error="must hold text"),
    )


def _answers(categories: list[str], nullable: bool = True) -> pa.Column:
    return pa.Column(nullable=nullable, checks=pa.Check.isin(categories))


def _whole(low: float, high: float) -> pa.Column:
    return pa.Column("Int64", nullable=True, checks=pa.Check.in_range(low, high))


def _dates() -> pa.Column:
    return pa.Column(
        nullable=True,
        checks=pa.Check(
            lambda s: pd.api.types.is_datetime64_any_dtype(s.dtype), element_wise=False, error="must hold dates"
        ),
    )


def _codes(low: float, high: float) -> pa.Column:
    return pa.Column(float, nullable=True, checks=pa.Check.in_range(low, high), regex=True)


def _item_codes(instrument) -> pa.Check:
    """A row check: on ``instrument``'s rows each item code is a whole number within its range
    (or blank), and the item columns past its last item are blank."""

    def valid(frame: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=frame.index)
        mine = frame["instrument"].astype("string") == instrument.name
        for column in (c for c in frame.columns if re.fullmatch(r"item_\d+", c)):
            number, values = int(column[5:]), frame[column]
            low, high = instrument.item_ranges.get(number, (None, None))
            fine = values.isna() if low is None else values.isna() | (values.between(low, high) & (values % 1 == 0))
            ok &= ~mine.fillna(False) | fine
        return ok

    return pa.Check(
        valid,
        name=f"{instrument.name} item codes",
        error=f"{instrument.name} items are whole numbers within each item's range, "
        f"and items past item {instrument.n_items} are blank",
    )


def outcome_schemas() -> dict[str, pa.DataFrameSchema]:
    """The schemas of the processed outcome tables, by table name (episodes, assessments,
    scores, prems); instruments and their item codes follow the registry."""
    assessed = instruments_in("assessments")
    lowest = min(low for i in assessed for low, _ in i.item_ranges.values())
    highest = max(high for i in assessed for _, high in i.item_ranges.values())
    experience = instruments_in("prems")
    names = [i.name for i in assessed]
    episodes = pa.DataFrameSchema(
        {
            "episode_id": _text(nullable=False, unique=True),
            "child_id": _text(nullable=False),
            "sex": _answers(scale_categories("sex")),
            "primary_need": _answers(scale_categories("need")),
            "tier": _answers(scale_categories("tier")),
            "imd_decile": _whole(1, 10),
            "service": _text(nullable=False),
            "age_years": _whole(0, 25),
            "referral_date": _dates(),
            "assessment_date": _dates(),
            "discharge_date": _dates(),
            "contacts": _whole(0, 1000),
            **{f"minutes_{band}": _whole(0, 100_000) for band in ("band5", "band6", "band7", "band8a")},
            "synthetic": pa.Column(bool),
        },
        strict=True,
        name="episodes",
    )
    assessments = pa.DataFrameSchema(
        {
            "episode_id": _text(nullable=False),
            "instrument": _answers(names, nullable=False),
            "timepoint": _answers(scale_categories("timepoint"), nullable=False),
            "assessment_date": _dates(),
            r"item_\d+": _codes(lowest, highest),
            "duplicate_of_earlier": pa.Column(bool),
        },
        checks=[_item_codes(instrument) for instrument in assessed],
        strict=True,
        name="assessments",
    )
    scores = pa.DataFrameSchema(
        {
            "episode_id": _text(nullable=False),
            "instrument": _answers(names, nullable=False),
            "timepoint": _answers(scale_categories("timepoint"), nullable=False),
            "assessment_date": _dates(),
            "duplicate_of_earlier": pa.Column(bool),
            "scale": _text(nullable=False),
            "score": pa.Column(float, nullable=True),
        },
        strict=True,
        name="scores",
    )
    prems = pa.DataFrameSchema(
        {
            "episode_id": _text(nullable=False),
            "completed_date": _dates(),
            "fft": _answers(scale_categories("fft")),
            r"item_\d+": _codes(
                min(low for i in experience for low, _ in i.item_ranges.values()),
                max(high for i in experience for _, high in i.item_ranges.values()),
            ),
            "comment": _text(),
            **{i.name: pa.Column(float, nullable=True, checks=pa.Check.in_range(0, 100)) for i in experience},
        },
        strict=True,
        name="prems",
    )
    return {"episodes": episodes, "assessments": assessments, "scores": scores, "prems": prems}


def survey_schema(definition) -> pa.DataFrameSchema:
    """The schema of a processed survey table made with ``definition``
    (:class:`evidence.survey.SurveyDefinition`): the pseudonymised ``respondent_id``, each
    question's column as its kind says, the duplicate flag and the synthetic marker."""
    columns: dict[str, pa.Column] = {"respondent_id": _text(nullable=False)}
    for spec in definition.columns:
        name, kind = spec["name"], spec["kind"]
        if kind == "category":
            columns[name] = _answers(definition.categories(spec["scale"]))
        elif kind == "multiselect":
            columns[rf"{re.escape(name)}__\w+"] = pa.Column("boolean", nullable=True, regex=True)
        elif kind == "integer":
            columns[name] = _whole(spec["min"], spec["max"])
        elif kind == "datetime":
            columns[name] = _dates()
        else:
            columns[name] = _text()
    columns["duplicate_of_earlier_response"] = pa.Column(bool)
    columns["synthetic"] = pa.Column(bool)
    return pa.DataFrameSchema(columns, strict=True, name=definition.name)


def check_table(table: pd.DataFrame, schema: pa.DataFrameSchema, path: str | Path) -> pd.DataFrame:
    """``table`` if it matches ``schema``; otherwise an :class:`InputFileError` listing every
        broken rule with its column, row (1-based, in the table's order) and value (a rule over a
    whole row, such as an instrument's item codes, names the row only)."""
    try:
        return schema.validate(table, lazy=True)
    except SchemaErrors as error:
        cases = error.failure_cases.astype(object)
        whole_row = (cases["schema_context"] == "DataFrameSchema") & cases["index"].notna()  # a row check
        cases.loc[whole_row, ["column", "failure_case"]] = None  # pandera lists each cell of the row
        cases = cases.drop_duplicates(["check", "index", "column", "failure_case"])
        problems = [
            Problem(
                str(path),
                None if pd.isna(case["index"]) else int(case["index"]) + 1,
                None if pd.isna(case["column"]) else str(case["column"]),
                None if pd.isna(case["failure_case"]) else case["failure_case"],
                f"breaks the {schema.name} schema: {case['check']}",
            )
            for case in cases.head(LISTED).to_dict("records")
        ]
        raise InputFileError(
            f"{path}: {len(cases)} problem(s) with the processed {schema.name} "
            f"table against its schema (evidence.schemas):\n{bulleted(problems, LISTED)}\n"
            f"{ADVICE}"
        ) from None


def checked_survey_table(table: pd.DataFrame, manifest: dict, path: str | Path) -> pd.DataFrame:
    """``table``, a processed survey table, checked against the schema of the definition its
    ``manifest`` names (``definition.path``, relative to the project); when that definition is
    no longer there, against the columns every survey table has."""
    named = (manifest.get("definition") or {}).get("path")
    if named and resolve(named).is_file():
        return check_table(table, survey_schema(load_definition(resolve(named))), path)
    common = pa.DataFrameSchema(
        {
            "respondent_id": _text(nullable=False),
            "duplicate_of_earlier_response": pa.Column(bool),
            "synthetic": pa.Column(bool),
        },
        name="survey",
    )
    return check_table(table, common, path)
