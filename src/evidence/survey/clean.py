"""Cleaning a raw survey export against its definition.

A raw export (see :mod:`evidence.readers`), brought to the definition's columns by its dialect
(:mod:`.dialects`), is checked against the definition and its answer scales
(:mod:`.definition`): every problem is collected and reported together, naming file, row,
column, value and rule. A clean table has one row per response with typed columns, a
pseudonymised respondent ID, redacted free text, and no direct identifiers. Undeclared columns
are not carried; those whose header names an identifier ("Child name", "email address", ...)
are listed as identifier columns dropped, and their names are redacted from free text too.
Problem values that look like identifiers are masked in error messages (see
:mod:`evidence.privacy` for every rule). A numeric (coded) export is read only through the
definition's choice codes: a code outside them is refused, never read as a wording it resembles.
Each defined column's answers are read into a typed column by :mod:`.answers`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from evidence import privacy
from evidence.errors import Problem, ValidationError
from evidence.readers import RawTable
from evidence.survey.answers import decode, looks_coded, normalised, validate_and_convert
from evidence.survey.definition import SurveyDefinition, workforce_survey
from evidence.survey.dialects import prepare
from evidence.validation import check_required_columns, problems_at

IMPORT_ID_PREFIX = '{"ImportId"'
#: First cells of a summary row a tool or a person adds under the responses.
SUMMARY_LABELS = re.compile(r"^(totals?|total responses|responses|count|sum|n)\b[\s:]*", re.IGNORECASE)


@dataclass
class CleanSurvey:
    """The result of cleaning: the table and what happened on the way (for the manifest)."""

    table: pd.DataFrame
    synthetic: bool
    rows_in: int
    header_rows_removed: int
    rejected: dict[str, int]
    duplicates: dict[str, Any]
    redactions: dict[str, int]
    dropped_identifier_columns: list[str]
    ignored_columns: list[str]
    key_origin: str
    dialect: dict[str, Any] = field(default_factory=dict)
    summary_rows_removed: list[dict[str, Any]] = field(default_factory=list)


def _strip_header_rows(raw: RawTable, definition: SurveyDefinition) -> int:
    """Remove the extra header rows an online-survey export puts under the column names
    (question text, ``{"ImportId": ...}``); return how many were removed."""
    questions = {c["source"]: c.get("question", "") for c in definition.columns}
    removed = 0
    while removed < min(5, len(raw.data)):
        row = raw.data.iloc[removed].dropna().astype(str)
        if row.empty:
            break
        import_ids = row.str.startswith(IMPORT_ID_PREFIX).mean()
        same_as_question = pd.Series([row[c] == questions[c] for c in row.index if c in questions], dtype=bool)
        echoes_names = (row == row.index.to_series()[row.index]).mean()
        if import_ids > 0.5 or echoes_names > 0.5 or (len(same_as_question) and same_as_question.mean() > 0.5):
            removed += 1
        else:
            break
    if removed:
        raw.data = raw.data.iloc[removed:].reset_index(drop=True)
        raw.row_numbers = raw.row_numbers.iloc[removed:].reset_index(drop=True)
    return removed


def _strip_summary_rows(raw: RawTable, definition: SurveyDefinition) -> list[dict[str, Any]]:
    """Remove summary rows ("Total responses", "Total", "Count", ...) at the end of the export:
    no respondent ID (or the label in its place) and a first non-blank cell that is such a
    label. They are reported in the manifest, never counted as responses or refusals."""
    if raw.data.empty:
        return []
    # Only an unbroken run of rows at the end is removed, so the last rows are examined, and
    # more only while every row examined is a summary row (the cost does not grow with rows).
    examined = min(SUMMARY_ROWS_EXAMINED, len(raw.data))
    while True:
        summary = _summary_rows(raw.data.iloc[-examined:], definition)
        if not summary.all() or examined == len(raw.data):
            break
        examined = min(4 * examined, len(raw.data))
    trailing = np.zeros(len(raw.data), dtype=bool)
    trailing[-examined:] = summary.to_numpy()[::-1].cumprod()[::-1].astype(bool)  # only the last rows
    first = _first_cells(raw.data.iloc[-examined:])
    removed = [
        {"row": int(row), "label": label}
        for row, label in zip(raw.row_numbers[trailing], first[trailing[-examined:]], strict=True)
    ]
    if trailing.any():
        raw.data = raw.data[~trailing].reset_index(drop=True)
        raw.row_numbers = raw.row_numbers[~trailing].reset_index(drop=True)
    return removed


#: Rows at the end of an export first examined for summary rows (more when all of them are).
SUMMARY_ROWS_EXAMINED = 64


def _first_cells(rows: pd.DataFrame) -> pd.Series:
    """The first non-blank cell of each row, trimmed ("" for a row with none)."""
    cells = rows.astype("string")
    return cells.bfill(axis=1).iloc[:, 0].fillna("").str.strip()


def _summary_rows(rows: pd.DataFrame, definition: SurveyDefinition) -> pd.Series:
    """Which ``rows`` look like a summary row (see :func:`_strip_summary_rows`)."""
    first = _first_cells(rows)
    ids = rows[definition.id_column].astype("string").fillna("").str.strip() if definition.id_column in rows else first
    return first.str.match(SUMMARY_LABELS.pattern, case=False) & ((ids == "") | (ids == first))


def _check_columns(raw: RawTable, definition: SurveyDefinition) -> None:
    needed = [definition.id_column, *(c["source"] for c in definition.columns if not c.get("optional"))]
    needed += [e["column"] for e in definition.exclusions if not e.get("optional")]
    check_required_columns(
        raw,
        needed,
        "Export the survey again with every question included, or add "
        f"the header your tool uses as an alias in {definition.shown_path()}.",
    )


def clean_export(
    raw: RawTable, definition: SurveyDefinition | None = None, environ: dict[str, str] | None = None
) -> CleanSurvey:
    """Validate, type and de-identify a raw survey export. Raises :class:`ValidationError`
    listing every problem; returns a :class:`CleanSurvey` otherwise. ``raw`` is not changed."""
    definition = definition or workforce_survey()
    raw, dialect, problems = prepare(raw, definition)
    headers = {source: header for header, source in dialect.matched.items()}
    rows_in = len(raw.data)
    header_rows = _strip_header_rows(raw, definition)
    if raw.data.empty:
        raise ValidationError([Problem(raw.name, None, None, None, "the file has a header but no responses")])
    summary_rows = _strip_summary_rows(raw, definition)
    _check_columns(raw, definition)
    if dialect.name == "qualtrics_labels" and looks_coded(raw.data, definition):
        dialect.name, dialect.coded = "qualtrics_numeric", True

    marker = definition.synthetic_marker
    synthetic = bool(
        marker
        and marker["column"] in raw.data
        and (raw.data[marker["column"]].astype("string").str.strip() == marker["value"]).all()
    )

    keep = pd.Series(True, index=raw.data.index)
    rejected: dict[str, int] = {}
    for rule in definition.exclusions:
        if rule["column"] not in raw.data:  # an optional column (the rest are checked above)
            continue
        values = raw.data[rule["column"]]
        if dialect.coded and rule.get("codes"):
            values, found = decode(raw, rule["column"], values, values.isna(), rule["codes"], definition)
            problems += found
        accepted = normalised(values).isin([k.casefold() for k in rule["keep"]])
        newly = keep & ~accepted
        if newly.any():
            rejected[rule["reason"]] = int(newly.sum())
        keep &= accepted
    if problems:
        raise ValidationError(problems, "Correct the export (the raw file is unchanged) and ingest again.")
    if not keep.any():  # an empty table would pass here and fail later, far from its cause
        reasons = "; ".join(f"{reason}: {count}" for reason, count in rejected.items())
        raise ValidationError(
            [
                Problem(
                    raw.name,
                    None,
                    None,
                    None,
                    f"every response is excluded by design ({reasons}), so there "
                    "is nothing to ingest; is this the right export?",
                )
            ]
        )
    raw.data = raw.data[keep.to_numpy()].reset_index(drop=True)
    raw.row_numbers = raw.row_numbers[keep.to_numpy()].reset_index(drop=True)

    ids = raw.data[definition.id_column].astype("string").str.strip()
    problems = problems_at(raw, ids.isna(), definition.id_column, ids, "every response needs an ID")
    repeated = ids.duplicated(keep=False) & ids.notna()
    problems += problems_at(
        raw, repeated, definition.id_column, ids, "response IDs must be unique; the same ID appears on another row"
    )

    used = {
        definition.id_column,
        *(c["source"] for c in definition.columns),
        *(e["column"] for e in definition.exclusions),
        marker.get("column"),
    }
    declared = set(definition.direct_identifiers) | set(definition.name_columns) | set(definition.duplicate_keys)
    extra_identifiers = privacy.identifier_columns(raw.data.columns, used | declared)
    name_sources = [*definition.name_columns, *(c for c, kind in extra_identifiers.items() if kind == "name")]
    names = pd.concat([raw.data[c] for c in name_sources if c in raw.data] or [pd.Series(dtype="string")])
    names = names.dropna().drop_duplicates()  # every use of the names is by distinct name

    typed, column_problems = validate_and_convert(raw, raw.data, definition, dialect)
    problems += column_problems
    free_text = {spec["name"] for spec in definition.columns if spec["kind"] == "free_text"}
    sources = {spec["name"]: spec["source"] for spec in definition.columns}
    for name in typed.columns:
        if (
            name not in free_text
            and pd.api.types.is_string_dtype(typed[name])
            and not isinstance(typed[name].dtype, pd.CategoricalDtype)
        ):
            problems += privacy.identifier_problems(
                raw.name, typed[name], raw.row_numbers, sources.get(name, name), names
            )
    if problems:
        # dataclasses.replace keeps a RepeatedProblem's count and rows (a new Problem dropped them)
        problems = [replace(p, column=_as_in_file(p.column, headers)) for p in problems]
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise ValidationError(
            privacy.masked_problems(problems, names), "Correct the export (the raw file is unchanged) and ingest again."
        )

    key = privacy.pseudonym_key(synthetic, environ)
    typed.insert(0, "respondent_id", privacy.pseudonymise(ids, key))

    duplicate_key = pd.Series(pd.NA, index=raw.data.index, dtype="string")
    for column in definition.duplicate_keys:
        if column in raw.data:
            duplicate_key = duplicate_key.fillna(normalised(raw.data[column]))
    repeat = duplicate_key.notna() & duplicate_key.duplicated(keep="first")
    typed["duplicate_of_earlier_response"] = repeat.to_numpy()
    duplicates = {
        "rule": f"same {' / '.join(definition.duplicate_keys)} (after trimming and case-folding)",
        "later_responses_flagged": int(repeat.sum()),
        "respondent_ids": typed.loc[repeat.to_numpy(), "respondent_id"].tolist(),
    }

    redactions: dict[str, int] = {}
    for spec in definition.columns:
        if spec["kind"] == "free_text":
            typed[spec["name"]], counts = privacy.redact_free_text(typed[spec["name"]], names)
            for kind, n in counts.items():
                redactions[kind] = redactions.get(kind, 0) + n

    typed["synthetic"] = synthetic
    identifiers = [c for c in definition.direct_identifiers if c in raw.data] + list(extra_identifiers)
    return CleanSurvey(
        table=typed,
        synthetic=synthetic,
        rows_in=rows_in - header_rows - len(summary_rows),
        header_rows_removed=header_rows,
        rejected=rejected,
        duplicates=duplicates,
        redactions=redactions,
        dropped_identifier_columns=[headers.get(c, c) for c in identifiers],
        ignored_columns=[
            headers.get(c, c)
            for c in raw.data.columns
            if c not in used and c not in declared and c not in extra_identifiers
        ],
        key_origin=key.origin,
        dialect=dialect.record(),
        summary_rows_removed=summary_rows,
    )


def _as_in_file(column: str | None, headers: dict[str, str]) -> str | None:
    """A definition column as the file names it (with the definition's name when they differ)."""
    return f"{headers[column]} ({column})" if column in headers else column
