"""Survey-tool export dialects: recognise which tool wrote an export and bring it to the
definition's columns, without hand-editing.

Each tool writes the same answers differently (verified against public exports, see
``config/surveys/README.md``):

* **Qualtrics** CSV: column IDs (``ResponseId``, ``Q1``..), then a question-text row and an
  ``{"ImportId": ..}`` row; answers as choice text ("labels") or as choice codes ("numeric
  values", read only through the definition's ``codes``). A multi-select is one cell of options
  joined by commas, or split into ``Q9_1``..``Q9_k`` (k the choice code).
* **Qualtrics SPSS** ``.sav``: the same column IDs, answers as value labels (applied by the
  reader), multi-selects split into ``Q9_1``..``Q9_k`` (1 or the option's label when chosen).
* **Microsoft Forms** ``.xlsx``: ``ID, Start time, Completion time, Email, Name``, then the
  question texts; a multi-select is one cell of options each followed by ``;``.
* **Google Forms** CSV: ``Timestamp``, ``Email address``, then the question texts; no
  respondent ID, so one is made (:func:`google_forms_key`); options joined by ``", "``.
* **SurveyMonkey** and **SmartSurvey** CSV (UTF-8 with BOM): a question row and a sub-answer
  row (merged by :mod:`evidence.readers`), one column per option of a multi-select holding the
  option's text when chosen; their identifier columns (``Respondent ID`` is the ID; ``Collector
  ID``, ``IP Address``, ``Email Address``, ``First Name``, ``Last Name``) dropped.

Columns are matched by name, by question text (normalised: :func:`.definition.normalise_header`)
or by a declared alias, in any order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evidence.errors import InputFileError, Problem
from evidence.readers import RawTable
from evidence.survey.definition import SurveyDefinition, normalise_header

#: strptime format of the start time, and the same in words, per tool.
QUALTRICS_TIME = ("%Y-%m-%d %H:%M:%S", "YYYY-MM-DD HH:MM:SS")
TIME_FORMATS = {
    "surveymonkey": ("%m/%d/%Y %I:%M:%S %p", "MM/DD/YYYY hh:mm:ss AM (SurveyMonkey's format)"),
    "smartsurvey": ("%d/%m/%Y %H:%M:%S", "DD/MM/YYYY HH:MM:SS (SmartSurvey's format)"),
}
DESCRIPTIONS = {
    "qualtrics_labels": "Qualtrics CSV, answers as choice text",
    "qualtrics_numeric": "Qualtrics CSV, answers as choice codes (read through the definition's codes)",
    "qualtrics_spss": "Qualtrics SPSS .sav, value labels applied, multi-selects split into NAME_1..NAME_k",
    "microsoft_forms": "Microsoft Forms workbook (ID, Start time, Completion time, Email, Name, questions)",
    "google_forms": "Google Forms CSV (Timestamp, Email address, questions; no respondent ID)",
    "surveymonkey": "SurveyMonkey CSV (question row and sub-answer row, one column per option)",
    "smartsurvey": "SmartSurvey CSV (question row and sub-answer row, one column per option)",
    "generic": "a CSV, workbook or .sav whose columns are matched by name, question text or alias",
}
GOOGLE_KEY_RULE = (
    "Google Forms exports have no respondent ID: the key is the Timestamp cell as "
    "exported, plus '#n' for the n-th response sharing that timestamp, in file order; "
    "stable while responses are only added"
)


@dataclass
class Dialect:
    """What was recognised about an export, recorded in the manifest."""

    name: str
    header_rows: int = 1
    excel_sep_line: bool = False
    #: file header -> definition column, for every column matched other than by its own name
    matched: dict[str, str] = field(default_factory=dict)
    #: definition multi-select -> the file's one-column-per-option columns joined into it
    split_multiselects: dict[str, list[str]] = field(default_factory=dict)
    respondent_key: str | None = None
    coded: bool = False

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.name]

    @property
    def time_format(self) -> tuple[str, str]:
        return TIME_FORMATS.get(self.name, QUALTRICS_TIME)

    def record(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "header_rows": self.header_rows,
            "excel_sep_line": self.excel_sep_line,
            "columns_matched": self.matched,
            "multiselects_joined_from": self.split_multiselects,
            "respondent_key": self.respondent_key,
            "answers_as_codes": self.coded,
        }


def detected_tool(raw: RawTable, headers: list[str]) -> str:
    """The survey tool whose export layout ``raw`` (with these ``headers``) has."""
    folded = [normalise_header(h) for h in headers]
    if raw.path.suffix.lower() == ".sav":
        return "qualtrics_spss"
    if raw.column_groups:
        return "surveymonkey" if "collector id" in folded or "respondent id" in folded else "smartsurvey"
    if folded[:3] == ["id", "start time", "completion time"]:
        return "microsoft_forms"
    if folded[:1] == ["timestamp"]:
        return "google_forms"
    first = raw.data.head(3).astype("string")
    if "responseid" in folded or first.apply(lambda c: c.str.startswith('{"ImportId"')).any().any():
        return "qualtrics_labels"
    return "generic"


def google_forms_key(timestamps: pd.Series) -> pd.Series:
    """A respondent key for an export without IDs (see :data:`GOOGLE_KEY_RULE`)."""
    text = timestamps.astype("string").str.strip()
    occurrence = text.groupby(text.fillna("")).cumcount() + 1
    return (text + "#" + occurrence.astype("string")).where(text.notna())


def prepare(raw: RawTable, definition: SurveyDefinition) -> tuple[RawTable, Dialect, list[Problem]]:
    """The export with its columns renamed to the definition's (source names), split
    multi-selects joined into one column, and the tool's own conventions undone; the dialect
    recognised; and the problems found in split option columns. ``raw`` is not changed."""
    headers = [str(c) for c in raw.data.columns]
    header_rows = raw.layout.get("header_rows", 1)
    assert isinstance(header_rows, int)  # the readers record it as a count of rows
    dialect = Dialect(
        detected_tool(raw, headers), header_rows=header_rows, excel_sep_line=bool(raw.layout.get("excel_sep_line"))
    )
    wanted = {header: source for source, names in definition.header_names().items() for header in names}
    # a column under the definition's own name wins; question texts and aliases match the rest
    rename: dict[str, str] = {h: h for h in headers if h in definition.header_names()}
    multiselects = "|".join(re.escape(c["source"]) for c in definition.columns if c["kind"] == "multiselect")
    option_column = re.compile(rf"^(?:{multiselects})_\d+$", re.IGNORECASE) if multiselects else None
    for header in headers:
        if option_column and option_column.match(header):
            continue  # one option of a split multi-select (its label is the question's text)
        candidates = [header, raw.column_labels.get(header, "")]
        source = next((wanted[normalise_header(c)] for c in candidates if c and normalise_header(c) in wanted), None)
        if source is None or header in rename or source in headers:
            continue
        if source in rename.values():
            other = next(h for h, s in rename.items() if s == source)
            raise InputFileError(
                f"{raw.path}, row 1: columns {other!r} and {header!r} both match the definition's "
                f"column {source!r}; remove one of them, or give one another alias in {definition.path}"
            )
        rename[header] = source
    data = raw.data.rename(columns=rename)
    dialect.matched = {h: s for h, s in rename.items() if h != s}
    problems: list[Problem] = []
    for spec in definition.columns:
        if spec["kind"] != "multiselect" or spec["source"] in data:
            continue
        parts = _option_columns(raw, data, spec, definition, rename)
        if parts:
            data, found = _join_options(raw, data, spec, parts, definition)
            problems += found
            dialect.split_multiselects[spec["source"]] = list(parts)
    if dialect.name == "microsoft_forms":
        for spec in definition.columns:
            if spec["kind"] == "multiselect" and spec["source"] in data:
                cells = data[spec["source"]].astype("string").str.strip().str.rstrip(";")
                data[spec["source"]] = cells.str.replace(";", spec.get("separator", ","), regex=False)
    if dialect.name == "google_forms" and definition.id_column not in data:
        data.insert(0, definition.id_column, google_forms_key(data[headers[0]]))
        dialect.respondent_key = GOOGLE_KEY_RULE
    prepared = RawTable(
        raw.path,
        data,
        raw.row_numbers.copy(),
        raw.encoding,
        dict(raw.column_labels),
        dict(raw.layout),
        dict(raw.column_groups),
    )
    return prepared, dialect, problems


def _option_columns(
    raw: RawTable, data: pd.DataFrame, spec: dict, definition: SurveyDefinition, rename: dict[str, str]
) -> dict[str, str]:
    """The file's one-column-per-option columns of a multi-select: header -> option wording.
    From a two-row header (the option is the sub-answer) or named ``SOURCE_k`` (the option is
    the definition's choice code k)."""
    question = {
        normalise_header(spec["source"]),
        normalise_header(spec.get("question", "")),
        *(normalise_header(a) for a in spec.get("aliases", ())),
    }
    parts = {}
    for header, (asked, option) in raw.column_groups.items():
        if header not in rename and normalise_header(asked) in question and option:
            parts[header] = option
    pattern = re.compile(rf"^{re.escape(spec['source'])}_(\d+)$", re.IGNORECASE)
    codes = spec.get("codes") or {}
    for header in data.columns:
        found = pattern.match(str(header))
        if found and header not in rename:
            code = int(found.group(1))
            if code not in codes:
                raise InputFileError(
                    f"{raw.path}, row 1, column {header!r}: an option column of {spec['source']} whose "
                    f"choice code {code} is not among the definition's codes ({definition.path}, "
                    f"columns {spec['source']} codes: {', '.join(map(str, codes)) or 'none'}); add it"
                )
            parts[header] = codes[code]
    if parts:  # an option without its column would read as never chosen: refused instead
        scale = definition.scale(spec["scale"])
        lookup = {
            **dict(zip(scale["canonical"].str.casefold(), scale["canonical"], strict=False)),
            **dict(zip(scale["label"], scale["canonical"], strict=True)),
        }
        present = {lookup.get(normalise_header(option)) for option in parts.values()}
        absent = [o for o in definition.categories(spec["scale"]) if o not in present]
        if absent:
            raise InputFileError(
                f"{raw.path}, row 1: the multi-select {spec['source']} is split into one column per option "
                f"({', '.join(parts)}), but the option(s) {', '.join(absent)} have no column, so they would "
                "read as never chosen; export the survey again with every option's column"
            )
    return parts


def _join_options(
    raw: RawTable, data: pd.DataFrame, spec: dict, parts: dict[str, str], definition: SurveyDefinition
) -> tuple[pd.DataFrame, list[Problem]]:
    """One cell of chosen options (joined by the definition's separator) from option columns:
    a cell is chosen when it holds 1, the option's text or a wording of the same answer; blank
    or 0 is not chosen; anything else is a problem. No option chosen at all reads as missing
    (a respondent who skipped the question and one who chose nothing look the same)."""
    separator = spec.get("separator", ",")
    scale = definition.scale(spec["scale"])
    canonical = dict(zip(scale["label"], scale["canonical"], strict=True))
    joined = pd.Series("", index=data.index, dtype="string")
    problems: list[Problem] = []
    for header, option in parts.items():
        cells = data[header].astype("string").str.strip()
        folded = cells.str.casefold().str.replace(r"\s+", " ", regex=True)
        meant = canonical.get(normalise_header(option), option)
        chosen = cells.notna() & (
            (cells == "1") | (folded.map(canonical) == meant) | (folded == normalise_header(option))
        )
        other = cells.notna() & ~chosen & (cells != "0")
        positions = np.flatnonzero(other.to_numpy())
        problems += [
            Problem(
                raw.name,
                int(raw.row_numbers.iloc[i]),
                header,
                cells.iloc[i],
                f"an option column of {spec['source']} holds 1, 0, blank or its option "
                f"{option!r}; this value is none of them",
            )
            for i in positions
        ]
        joined = joined + pd.Series(
            np.where(chosen.to_numpy(), option + separator, ""), index=data.index, dtype="string"
        )
    joined = joined.str.removesuffix(separator).replace("", pd.NA)
    data = data.drop(columns=list(parts))
    data[spec["source"]] = joined
    return data, problems
