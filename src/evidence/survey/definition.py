"""Survey definitions: project files ``config/surveys/<name>.yml``, with their answer scales.

A definition says what a survey export holds: its questions (with the question text, aliases
other tools use, the answer scale and, for coded exports, the choice codes), the respondent-ID
column, identifier columns to drop, exclusions, missing codes, the headlines (each the share of
valid answers in some codes of a question) and what the report shows. Answer scales (canonical
answers, their codes and every accepted wording) are a CSV file beside the definition
(``scales:``), editable by the user, read by :mod:`.scales`. Both are checked on load: an error
names the file, the line, the key and what is allowed (see ``config/surveys/README.md``);
:mod:`.definition_checks` collects a definition's mistakes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from evidence.errors import ConfigError
from evidence.paths import SURVEYS_CONFIG, display_path, resolve
from evidence.survey.definition_checks import DefinitionChecker, line_map
from evidence.survey.scales import load_scales

DEFAULT_DEFINITION = SURVEYS_CONFIG / "workforce_survey.yml"
KINDS = ("category", "multiselect", "integer", "datetime", "free_text")
TOP_LEVEL = {
    "name": "a short name of lower-case letters, digits and _ (names the processed table)",
    "title": "the survey's title, as reports show it",
    "scales": "the answer-scales CSV file (or a list of them), relative to this file",
    "id_column": "the export's respondent-ID column",
    "missing_codes": "answers that mean no answer, in any column",
    "synthetic_marker": "{column, value}: the column and value that mark a synthetic export",
    "direct_identifiers": "columns that identify a person, never carried",
    "name_columns": "columns holding a person's name, also redacted from free text",
    "exclusions": "rows left out by design: {column, keep, reason[, question, aliases, codes]}",
    "duplicate_keys": "columns identifying the same person across responses",
    "aliases": "other tools' names for a metadata column: {column: [names]}",
    "columns": "the questions: {source, name, kind, ...}",
    "headlines": "headline measures: {id, column, codes, statement}",
    "report": "what the survey report shows: {subject, agreement, breakdowns, multiselects, comments}",
}
REQUIRED = ("name", "title", "id_column", "columns")
COLUMN_KEYS = {
    "source": "the column's name in the reference export (Qualtrics column ID)",
    "name": "the column's name in the processed table (lower-case, digits, _)",
    "kind": f"one of {', '.join(KINDS)}",
    "question": "the question text, as a survey tool shows it",
    "aliases": "other headers the column may have",
    "scale": "an answer scale of the scales file (category, multiselect)",
    "codes": "choice code -> canonical answer, for numeric (coded) exports",
    "separator": "multiselect: what separates the options in one cell",
    "ordered": "category: true when the answers have an order (agreement, bands)",
    "required": "true when every response must answer",
    "optional": "true when the column may be absent from an export (then all missing)",
    "min": "integer: smallest allowed value",
    "max": "integer: largest allowed value",
}
EXCLUSION_KEYS = {
    "column": "the column",
    "keep": "answers kept (canonical or as exported)",
    "reason": "why the others are excluded, as the manifest records it",
    "question": "the question text",
    "aliases": "other headers",
    "codes": "choice code -> answer for numeric exports",
    "optional": "may be absent",
}
HEADLINE_KEYS = {
    "id": "a short identifier",
    "column": "a category column's name",
    "codes": "the scale codes that count as positive",
    "statement": "plain words",
}
REPORT_KEYS = {
    "subject": "who answered, in words (e.g. 'parents and carers')",
    "agreement": "{column: short label}: agreement statements to chart",
    "breakdowns": "{column: label}: category columns to break the headlines down by",
    "multiselects": "{column: label}: multi-select questions to count",
    "comments": "free-text columns whose answers are counted (never shown)",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def normalise_header(text: str) -> str:
    """A header or question text in the form columns are matched in: case-folded, inner
    whitespace collapsed, a leading number ("10.", "Q10.", "10)", "Q10:") and a trailing
    "(select all that apply)" or "- Selected Choice" removed."""
    text = re.sub(r"\s+", " ", str(text)).strip().casefold()
    text = re.sub(r"^q?\d+[a-z]?\s*[.):]\s*", "", text)
    text = re.sub(r"\s*(\((please )?select all that apply\)|- selected choice)\s*$", "", text)
    return text.strip()


@dataclass(frozen=True)
class SurveyDefinition:
    """A survey definition loaded from YAML (see :func:`load_definition`)."""

    name: str
    title: str
    id_column: str
    missing_codes: frozenset[str]
    synthetic_marker: dict[str, str]
    direct_identifiers: tuple[str, ...]
    name_columns: tuple[str, ...]
    exclusions: tuple[dict[str, Any], ...]
    duplicate_keys: tuple[str, ...]
    columns: tuple[dict[str, Any], ...]
    headlines: tuple[dict[str, Any], ...]
    scales: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def shown_path(self) -> str:
        """The definition's file for a message ("the survey definition" when it was built in code)."""
        return display_path(self.path) if self.path else "the survey definition"

    def column(self, name: str) -> dict[str, Any]:
        return next(c for c in self.columns if c["name"] == name)

    def scale(self, scale: str) -> pd.DataFrame:
        """The mapping rows (label, code, canonical) of one answer scale."""
        return self.scales[self.scales["scale"] == scale]

    def categories(self, scale: str) -> list[str]:
        """Canonical answers of a scale in code order."""
        rows = self.scale(scale).drop_duplicates("canonical").sort_values("code", kind="stable")
        return rows["canonical"].tolist()

    def labels_for_codes(self, column: str, codes: list[int]) -> list[str]:
        rows = self.scale(self.column(column)["scale"])
        return rows.loc[rows["code"].isin(codes), "canonical"].unique().tolist()

    def header_names(self) -> dict[str, list[str]]:
        """Every source column the definition refers to -> the headers it may have (its own
        name, its question text, its aliases), in the form headers are matched in."""
        names: dict[str, list[str]] = {}

        def add(source: str, *others: str) -> None:
            names.setdefault(source, [])
            for text in (source, *others):
                if text and normalise_header(text) not in names[source]:
                    names[source].append(normalise_header(text))

        add(self.id_column, *self.aliases.get(self.id_column, ()))
        for spec in (*self.columns, *self.exclusions):
            source = spec["source"] if "source" in spec else spec["column"]  # a column's, an exclusion's
            add(source, spec.get("question", ""), *spec.get("aliases", ()), *self.aliases.get(source, ()))
        for source in (
            *self.direct_identifiers,
            *self.name_columns,
            *self.duplicate_keys,
            self.synthetic_marker.get("column", ""),
        ):
            if source:
                add(source, *self.aliases.get(source, ()))
        return names


def load_definition(path: str | Path = DEFAULT_DEFINITION) -> SurveyDefinition:
    """Load and check a survey definition (relative paths from the project root)."""
    path = resolve(path)
    return _load(path, path.stat().st_mtime_ns if path.is_file() else 0)


@cache
def _load(path: Path, _mtime: int) -> SurveyDefinition:
    if not path.is_file():
        raise ConfigError(
            f"{path}: no such survey definition; make one with "
            "`evidence init survey EXPORT --out config/surveys/NAME.yml`"
        )
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        spec = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(error, 'problem', error)})") from None
    check = DefinitionChecker(path, line_map(node) if node else {})
    if not check.keys(spec, (), TOP_LEVEL, REQUIRED):
        check.raise_any()
    if "name" in spec and not (isinstance(spec["name"], str) and _NAME.match(spec["name"])):
        check.fail(("name",), f"{spec['name']!r} is not allowed; {TOP_LEVEL['name']}")
    named = spec.get("scales", "answer_scales.csv")
    scales_paths = [path.parent / name for name in ([named] if isinstance(named, str) else named or [])]
    for scales_path in scales_paths:
        if not scales_path.is_file():
            check.fail(
                ("scales",),
                f"no answer-scales file {scales_path}; give a CSV file (or a list of them) relative to this file",
            )
    if not scales_paths:
        check.fail(("scales",), "give the answer-scales CSV file (or a list of them)")
    check.raise_any()
    scales = pd.concat([load_scales(p) for p in scales_paths], ignore_index=True)
    if len(scales_paths) > 1:
        twice = scales.duplicated(["scale", "label"])
        if twice.any():
            first = scales[twice].iloc[0]
            check.fail(
                ("scales",),
                f"scale {first['scale']!r} gives the wording {first['label']!r} in two of the files; keep one",
            )
    scales_path = scales_paths[0]
    known_scales = set(scales["scale"])
    canonical = scales.groupby("scale")["canonical"].agg(set).to_dict()
    scale_codes = scales.groupby("scale")["code"].agg(set).to_dict()

    missing = {str(c).casefold() for c in spec.get("missing_codes", [""])}

    def check_codes(codes: Any, at: tuple, scale: str | None) -> None:
        if not isinstance(codes, dict) or not codes:
            check.fail(at, "must map each choice code (a whole number) to a canonical answer")
            return
        for code, answer in codes.items():
            if not isinstance(code, int) or isinstance(code, bool):
                check.fail((*at, code), f"choice code {code!r} is not a whole number")
            if scale in canonical and answer not in canonical[scale] and str(answer).casefold() not in missing:
                check.fail(
                    (*at, code),
                    f"{answer!r} is not an answer of scale {scale!r} nor a missing "
                    f"code; allowed: {', '.join(sorted(canonical[scale]))}, or one of missing_codes",
                )

    columns = spec.get("columns") or []
    if not isinstance(columns, list) or not columns:
        check.fail(("columns",), "must be a list of questions, at least one")
        columns = []
    names: dict[str, int] = {}
    for i, column in enumerate(columns):
        at = ("columns", i)
        if not check.keys(column, at, COLUMN_KEYS, ("source", "name", "kind")):
            continue
        kind, name = column.get("kind"), column.get("name")
        if not (isinstance(name, str) and _NAME.match(name)):
            check.fail((*at, "name"), f"{name!r} is not allowed; {COLUMN_KEYS['name']}")
        elif name in names:
            check.fail((*at, "name"), f"{name!r} is used twice (also columns.{names[name]})")
        if isinstance(name, str):
            names[name] = i
        if kind not in KINDS:
            check.fail((*at, "kind"), f"{kind!r} is not allowed; one of {', '.join(KINDS)}")
        if kind in ("category", "multiselect"):
            if column.get("scale") not in known_scales:
                check.fail(
                    (*at, "scale"),
                    f"{column.get('scale')!r} is not a scale of {scales_path.name}; "
                    f"allowed: {', '.join(sorted(known_scales))}",
                )
            if "codes" in column:
                check_codes(column["codes"], (*at, "codes"), column.get("scale"))
        if kind == "multiselect" and not isinstance(column.get("separator", ","), str):
            check.fail((*at, "separator"), "must be text, e.g. ','")
        if kind == "integer":
            for bound in ("min", "max"):
                if not isinstance(column.get(bound), int | float) or isinstance(column.get(bound), bool):
                    check.fail((*at, bound), f"an integer column needs {bound}: a number")
        if "aliases" in column and not isinstance(column["aliases"], list):
            check.fail((*at, "aliases"), "must be a list of headers")
    for i, rule in enumerate(spec.get("exclusions") or []):
        at = ("exclusions", i)
        if check.keys(rule, at, EXCLUSION_KEYS, ("column", "keep", "reason")) and "codes" in rule:
            check_codes(rule["codes"], (*at, "codes"), None)
    by_name = {c["name"]: c for c in columns if isinstance(c, dict) and isinstance(c.get("name"), str)}
    for i, headline in enumerate(spec.get("headlines") or []):
        at = ("headlines", i)
        if not check.keys(headline, at, HEADLINE_KEYS, tuple(HEADLINE_KEYS)):
            continue
        target = by_name.get(headline["column"])
        if target is None or target.get("kind") != "category":
            check.fail(
                (*at, "column"),
                f"{headline['column']!r} is not a category column's name; "
                f"allowed: {', '.join(n for n, c in by_name.items() if c.get('kind') == 'category')}",
            )
        elif not set(headline["codes"] or []) <= scale_codes.get(target.get("scale"), set()):
            check.fail(
                (*at, "codes"),
                f"{headline['codes']} are not all codes of scale {target['scale']!r}; "
                f"allowed: {sorted(scale_codes.get(target.get('scale'), set()))}",
            )
    report = spec.get("report") or {}
    if check.keys(report, ("report",), REPORT_KEYS, ()):
        for key in ("agreement", "breakdowns", "multiselects"):
            for column in report.get(key) or {}:
                if column not in by_name:
                    check.fail(
                        ("report", key, column), f"{column!r} is not a column's name; allowed: " + ", ".join(by_name)
                    )
        for column in report.get("comments") or []:
            if by_name.get(column, {}).get("kind") != "free_text":
                check.fail(("report", "comments"), f"{column!r} is not a free_text column's name")
    aliases = spec.get("aliases") or {}
    if not isinstance(aliases, dict) or not all(isinstance(v, list) for v in aliases.values()):
        check.fail(("aliases",), "must map a column to a list of other names")
        aliases = {}
    check.raise_any()

    definition = SurveyDefinition(
        name=spec["name"],
        title=spec["title"],
        id_column=spec["id_column"],
        missing_codes=frozenset(str(c).casefold() for c in spec.get("missing_codes", [""])),
        synthetic_marker=spec.get("synthetic_marker") or {},
        direct_identifiers=tuple(spec.get("direct_identifiers") or ()),
        name_columns=tuple(spec.get("name_columns") or ()),
        exclusions=tuple(spec.get("exclusions") or ()),
        duplicate_keys=tuple(spec.get("duplicate_keys") or ()),
        columns=tuple(columns),
        headlines=tuple(spec.get("headlines") or ()),
        scales=scales,
        aliases={k: tuple(v) for k, v in aliases.items()},
        report=report,
        path=path,
    )
    _check_headers_unique(definition, check)
    check.raise_any()
    return definition


def _check_headers_unique(definition: SurveyDefinition, check: DefinitionChecker) -> None:
    """No header may name two columns (it could not be told which is meant)."""
    owner: dict[str, str] = {}
    for source, headers in definition.header_names().items():
        for header in headers:
            if owner.setdefault(header, source) != source:
                check.fail(
                    ("columns",),
                    f"the header {header!r} would match both {owner[header]!r} "
                    f"and {source!r}; give one of them another question text or alias",
                )


def workforce_survey() -> SurveyDefinition:
    """The shipped workforce-survey definition (``config/surveys/workforce_survey.yml``)."""
    return load_definition(DEFAULT_DEFINITION)
