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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from evidence import privacy
from evidence.errors import Problem, ValidationError
from evidence.paths import display_path
from evidence.readers import RawTable
from evidence.survey.definition import SurveyDefinition, workforce_survey
from evidence.survey.dialects import Dialect, prepare
from evidence.validation import (
    check_required_columns,
    normalise_text,
    problems_at,
    to_datetime,
    to_integer,
)

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


def slug(text: str) -> str:
    """A wording as part of a column name: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


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


def _looks_coded(data: pd.DataFrame, definition: SurveyDefinition) -> bool:
    """Whether the answers of the coded questions are mostly whole numbers (a numeric-values
    export); every answer is then read through the codes, and any that is not one is refused."""
    coded = [c["source"] for c in definition.columns if c.get("codes") and c["source"] in data]
    answered = numeric = 0
    for source in coded:  # each distinct cell examined once, weighted by how often it occurs
        counts = data[source].astype("string").value_counts(dropna=True)
        cells = pd.Series(counts.index, dtype="string")
        given = ~normalise_text(cells).isin(definition.missing_codes).to_numpy()
        digits = cells.str.strip().str.fullmatch(r"\d+(,\d+)*").fillna(False).to_numpy(dtype=bool)
        answered += int(counts.to_numpy()[given].sum())
        numeric += int(counts.to_numpy()[given & digits].sum())
    return answered > 0 and numeric / answered > 0.5


def _normalised(values: pd.Series) -> pd.Series:
    """:func:`evidence.validation.normalise_text` of ``values``, each distinct value normalised
    once (answers repeat a few wordings over many rows; case-folding is element-wise Python)."""
    codes, distinct = pd.factorize(values.astype("string"), use_na_sentinel=True)
    normal = normalise_text(pd.Series(distinct, dtype="string")).array
    return pd.Series(normal.take(codes, allow_fill=True), index=values.index, dtype="string")


def _decode(
    raw: RawTable,
    source: str,
    values: pd.Series,
    missing: pd.Series,
    codes: dict,
    definition: SurveyDefinition,
    several: bool = False,
) -> tuple[pd.Series, list[Problem]]:
    """Choice codes to answers through ``codes``; a cell that is not one of them is a problem
    (set to missing, so that it is reported once)."""
    lookup = {str(code): answer for code, answer in codes.items()}
    text = values.astype("string").str.strip()
    parts = text.where(~missing).str.split(",").explode().str.strip() if several else text.where(~missing)
    answers = parts.map(lookup)
    bad = parts.notna() & answers.isna()
    bad_rows = pd.RangeIndex(len(values)).isin(parts.index[bad.to_numpy()])
    allowed = ", ".join(f"{code} = {answer}" for code, answer in codes.items())
    problems = problems_at(
        raw,
        bad_rows,
        source,
        values,
        f"this export holds choice codes, and this is not one of the question's codes "
        f"({allowed}; {definition.shown_path()}); a code is never read as a wording it "
        "resembles",
    )
    if several:
        decoded = answers.dropna().groupby(level=0).agg(",".join).reindex(range(len(values)))
    else:
        decoded = answers
    return pd.Series(decoded.to_numpy(), index=values.index, dtype="string").where(~bad_rows), problems


def _to_category(
    raw: RawTable,
    source: str,
    values: pd.Series,
    missing: pd.Series,
    definition: SurveyDefinition,
    scale: str,
    ordered: bool,
) -> tuple[pd.Categorical, list[Problem]]:
    """Answer wordings to the scale's canonical answers through the scale's wordings."""
    rows = definition.scale(scale)
    labels = {
        **dict(zip(rows["canonical"].str.casefold(), rows["canonical"], strict=False)),
        **dict(zip(rows["label"], rows["canonical"], strict=True)),
    }
    codes, wordings = pd.factorize(values)  # few distinct wordings, many rows: normalise each once
    per_wording = normalise_text(pd.Series(wordings, dtype="string")).map(labels)
    categories = definition.categories(scale)
    # each row's answer as its category code (-1: not recognised, or no wording)
    answer = np.append(pd.Categorical(per_wording, categories=categories).codes, -1)[codes]
    scales_file = display_path(definition.path.parent / "answer_scales.csv") if definition.path else "the answer scales"
    problems = problems_at(
        raw,
        ~missing.to_numpy() & (answer < 0),
        source,
        values,
        f"not a recognised answer; expected one of: {', '.join(categories)} (or a missing code); "
        f"add new wordings to {scales_file} under scale {scale!r}",
    )
    answer[missing.to_numpy()] = -1
    return pd.Categorical.from_codes(answer, categories=categories, ordered=ordered), problems


def _multiselect(answers: pd.Series, spec: dict, definition: SurveyDefinition) -> tuple[np.ndarray, np.ndarray]:
    """For normalised multi-select answers (missing ones NA): which rows hold an option that is
    not one of the scale's, and which options each row chose (rows x options, in the scale's
    order). Each distinct answer is split and looked up once (answers repeat a few choices)."""
    mapping = definition.scale(spec["scale"])
    lookup = {
        **dict(zip(mapping["canonical"].str.casefold(), mapping["canonical"], strict=False)),
        **dict(zip(mapping["label"], mapping["canonical"], strict=True)),
    }
    options = definition.categories(spec["scale"])
    codes, distinct = pd.factorize(answers, use_na_sentinel=True)  # -1: missing
    parts = pd.Series(distinct, dtype="string").str.split(re.escape(spec.get("separator", ","))).explode()
    parts = parts.str.strip()
    canonical = parts.map(lookup)
    unknown = np.zeros(len(distinct) + 1, dtype=bool)  # the last row: a missing answer
    unknown[parts.index[(parts.notna() & canonical.isna()).to_numpy()]] = True
    option = pd.Categorical(canonical, categories=options).codes  # -1: not an option
    known = option >= 0
    chosen = np.zeros((len(distinct) + 1, len(options)), dtype=bool)
    chosen[parts.index[known], option[known]] = True
    return unknown[codes], chosen[codes]


def _validate_and_convert(
    raw: RawTable, data: pd.DataFrame, definition: SurveyDefinition, dialect: Dialect
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check every defined column, return the typed columns and the problems found."""
    out: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    positions = pd.RangeIndex(len(data))
    for spec in definition.columns:
        source, name, kind = spec["source"], spec["name"], spec["kind"]
        values = data[source].astype("string") if source in data else pd.Series(pd.NA, index=positions, dtype="string")
        normal = _normalised(values)
        missing = normal.isna() | normal.isin(definition.missing_codes)
        if dialect.coded and spec.get("codes"):
            values, found = _decode(
                raw, source, values, missing, spec["codes"], definition, several=kind == "multiselect"
            )
            problems += found
            normal = _normalised(values)
            missing = normal.isna() | normal.isin(definition.missing_codes)
        if spec.get("required"):
            problems += problems_at(raw, missing, source, values, "an answer is required here")
        if kind == "category":
            out[name], found = _to_category(
                raw, source, values, missing, definition, spec["scale"], bool(spec.get("ordered"))
            )
            problems += found
        elif kind == "multiselect":
            bad_rows, chosen = _multiselect(normal.where(~missing), spec, definition)
            problems += problems_at(
                raw,
                bad_rows,
                source,
                values,
                f"contains an option that is not recognised; options are: "
                f"{', '.join(definition.categories(spec['scale']))}",
            )
            for k, option in enumerate(definition.categories(spec["scale"])):
                flag = pd.array(chosen[:, k], dtype="boolean")
                flag[missing.to_numpy()] = pd.NA
                out[f"{name}__{slug(option)}"] = pd.Series(flag)
        elif kind == "integer":
            out[name], found = to_integer(raw, source, values, missing, spec["min"], spec["max"])
            problems += found
        elif kind == "datetime":
            out[name], found = to_datetime(raw, source, values, missing, *dialect.time_format)
            problems += found
        else:  # free_text (the definition's kinds are checked on load)
            out[name] = values.where(~missing)
    return pd.DataFrame(out, index=positions), problems


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
    if dialect.name == "qualtrics_labels" and _looks_coded(raw.data, definition):
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
            values, found = _decode(raw, rule["column"], values, values.isna(), rule["codes"], definition)
            problems += found
        accepted = _normalised(values).isin([k.casefold() for k in rule["keep"]])
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

    typed, column_problems = _validate_and_convert(raw, raw.data, definition, dialect)
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
            duplicate_key = duplicate_key.fillna(_normalised(raw.data[column]))
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
