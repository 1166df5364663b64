"""``evidence init survey EXPORT --out config/surveys/NAME.yml``: a first survey definition
made from an export, for the user to confirm.

For each column of the export: the question text; a guessed kind (single choice, multi-select,
number, date, free text); the distinct answers found; whether it looks like an identifier
(dropped); and, where the answers fit one, a known answer scale of ``answer_scales.csv``
(agreement, frequency, satisfaction, the Friends and Family Test, yes/no). Answers that fit no
known scale get a new scale in ``NAME_scales.csv`` beside the definition. Every guess is marked
``# CONFIRM`` in the file. The definition loads and ingests as written, so the user can try it
at once and then correct it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from evidence import privacy
from evidence.errors import ConfigError
from evidence.files import write_text_atomic
from evidence.paths import SURVEYS_CONFIG, resolve
from evidence.readers import read_raw
from evidence.survey.answers import slug
from evidence.survey.clean import IMPORT_ID_PREFIX
from evidence.survey.definition import load_definition, normalise_header
from evidence.survey.dialects import DESCRIPTIONS, detected_tool
from evidence.survey.scales import load_scales

SHIPPED_SCALES = SURVEYS_CONFIG / "answer_scales.csv"  # from the project root
#: Known scales proposed when a question's answers are all among their wordings, most specific first.
KNOWN_SCALES = {
    "fft": "the Friends and Family Test",
    "agree5": "agreement (strongly disagree .. strongly agree)",
    "frequency5": "frequency (never .. always)",
    "satisfaction5": "satisfaction (very dissatisfied .. very satisfied)",
    "yes_no": "yes / no",
}
#: Positive answers of a known scale, proposed as a headline (scale codes).
POSITIVE_CODES = {"fft": [1, 2], "agree5": [4, 5], "satisfaction5": [4, 5]}
MISSING_WORDINGS = ["", "prefer not to say", "n/a"]
#: Answers that usually mean "no answer": proposed as missing codes where a scale does not hold them.
COMMON_MISSING = {"prefer not to say", "n/a", "not applicable", "don't know", "dont know", "do not know", "99", "-99"}
#: Columns survey tools add that are not questions (not carried, so not declared).
TOOL_COLUMNS = {
    "startdate",
    "enddate",
    "status",
    "progress",
    "duration (in seconds)",
    "finished",
    "recordeddate",
    "distributionchannel",
    "userlanguage",
    "externalreference",
    "start time",
    "completion time",
    "last modified time",
    "start date",
    "end date",
    "started",
    "ended",
    "timestamp",
    "collector id",
    "custom data 1",
    "tracking link",
    "unique id",
    "userno",
}
ID_HEADERS = ("responseid", "respondent id", "id", "userid", "response id")
MAX_CHOICES = 12
WORDS_OF_FREE_TEXT = 6  # answers longer than this on average are free text, not choices


@dataclass
class Guess:
    """What :func:`scaffold` decided about one column."""

    header: str
    question: str
    kind: str  # category, multiselect, integer, datetime, free_text, identifier, tool, id
    answers: list[str]
    scale: str | None = None
    known_scale: bool = False
    separator: str = ","
    codes: dict[int, str] | None = None  # choice code -> answer, for a split multi-select


def _answers(values: pd.Series) -> pd.Series:
    return values.dropna().astype(str).str.strip().loc[lambda v: v != ""]


def _guess_kind(values: pd.Series, known: pd.DataFrame) -> tuple[str, list[str], str]:
    """kind, distinct answers (as found), multi-select separator."""
    answers = _answers(values)
    distinct = answers.drop_duplicates().tolist()
    if not distinct:
        return "free_text", [], ","
    if answers.str.fullmatch(r"-?\d+").all() and len(distinct) > MAX_CHOICES:
        return "integer", distinct, ","
    if (
        len(distinct) > MAX_CHOICES
        and pd.to_datetime(answers, errors="coerce", dayfirst=True, format="mixed").notna().all()
    ):
        return "datetime", distinct, ","
    for separator in (";", ","):
        parts = answers.str.split(separator).explode().str.strip().loc[lambda v: v != ""]
        options = parts.drop_duplicates()
        folded = set(normalise_header(o) for o in options)
        if (
            answers.str.contains(separator, regex=False).mean() > 0.2
            and len(options) <= MAX_CHOICES * 2
            and (len(options) < len(distinct) or folded <= set(known["label"]))
        ):
            return "multiselect", options.tolist(), separator
    wordy = answers.str.split().str.len().mean() > WORDS_OF_FREE_TEXT
    if not wordy and (len(distinct) <= MAX_CHOICES or len(set(d.casefold() for d in distinct)) <= MAX_CHOICES):
        return "category", distinct, ","
    return "free_text", distinct[:5], ","


def _known_scale(answers: list[str], scales: pd.DataFrame) -> tuple[str | None, set[str]]:
    """The first known scale holding every answer (answers that usually mean no answer
    aside), and those no-answer wordings it does not hold."""
    folded = {re.sub(r"\s+", " ", a).strip().casefold() for a in answers} - set(MISSING_WORDINGS)
    for scale in KNOWN_SCALES:
        labels = set(scales.loc[scales["scale"] == scale, "label"])
        rest = folded - labels
        if folded - COMMON_MISSING and rest <= COMMON_MISSING:
            return scale, rest
    return None, set()


def scaffold(export: str | Path, out: str | Path, name: str | None = None) -> tuple[Path, Path | None]:
    """Write a definition for ``export`` at ``out`` (and ``<name>_scales.csv`` beside it when
    answers fit no known scale); refuse to overwrite. Returns the paths written."""
    export, out = Path(export), Path(out)
    if out.exists():
        raise ConfigError(f"{out}: exists already; choose another --out (nothing was written)")
    name = name or slug(out.stem)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ConfigError(f"{out}: the file name must give a survey name of lower-case letters, digits and _")
    raw = read_raw(export)
    tool = detected_tool(raw, [str(c) for c in raw.data.columns])
    data = raw.data
    questions = {str(c): raw.column_labels.get(str(c), str(c)) for c in data.columns}
    if len(data) >= 2 and data.iloc[1].astype("string").str.startswith(IMPORT_ID_PREFIX).mean() > 0.5:
        questions = {c: (q if pd.notna(q) else c) for c, q in zip(data.columns, data.iloc[0], strict=True)}
        data = data.iloc[2:]
    known = load_scales(resolve(SHIPPED_SCALES))
    guesses: list[Guess] = []
    options_of: dict[str, list[str]] = {}
    for header, (question, _option) in raw.column_groups.items():
        if header != question:  # one option column of a question spread over several
            options_of.setdefault(question, []).append(header)
    # a multi-select split into NAME_1..NAME_k (SPSS, Qualtrics "split" exports): k is the choice code
    split: dict[str, dict[int, str]] = {}
    for header in data.columns:
        found = re.fullmatch(r"(.+)_(\d+)", str(header))
        if found and found.group(1) not in data.columns:
            chosen = _answers(data[header]).loc[lambda v: v != "0"].drop_duplicates()
            split.setdefault(found.group(1), {})[int(found.group(2))] = chosen.iloc[0] if len(chosen) else header
    split = {prefix: codes for prefix, codes in split.items() if len(codes) >= 2}
    grouped = {h for headers in options_of.values() for h in headers}
    grouped |= {f"{prefix}_{code}" for prefix, codes in split.items() for code in codes}
    for header in data.columns:
        folded = normalise_header(header)
        if header in grouped:
            continue
        if len(_answers(data[header])) and _answers(data[header]).eq("SYNTHETIC").all():
            guesses.append(Guess(header, questions[header], "marker", []))
            continue
        if folded in ID_HEADERS:
            guesses.append(Guess(header, questions[header], "id", []))
        elif folded in TOOL_COLUMNS:
            guesses.append(Guess(header, questions[header], "tool", []))
        elif privacy.identifier_column_kind(header) or privacy.identifier_column_kind(questions[header]):
            guesses.append(Guess(header, questions[header], "identifier", []))
        else:
            kind, answers, separator = _guess_kind(data[header], known)
            guesses.append(Guess(header, questions[header], kind, answers, separator=separator))
    for question, headers in options_of.items():
        guesses.append(Guess(question, question, "multiselect", [raw.column_groups[h][1] for h in headers]))
    for prefix, codes in split.items():
        label = questions.get(f"{prefix}_{min(codes)}", prefix)
        guesses.append(Guess(prefix, label, "multiselect", list(codes.values()), codes=codes))
    new_scales, missing_found = [], set()
    for guess in guesses:
        if guess.kind in ("category", "multiselect"):
            guess.scale, no_answer = _known_scale(guess.answers, known)
            missing_found |= no_answer
            guess.known_scale = guess.scale is not None
            if guess.scale is None:
                guess.scale = f"{name}_{slug(guess.header)[:30] or 'answers'}"
                found = _answers(data[guess.header]) if guess.header in data else pd.Series(guess.answers)
                if guess.kind == "multiselect":
                    found = pd.Series(guess.answers, dtype="string")
                canonical = found.astype("string").str.replace(r"\s+", " ", regex=True)
                # the most common way of writing each answer is its canonical wording
                counts = canonical.value_counts(sort=True)
                firsts = counts.groupby(counts.index.str.casefold(), sort=False).head(1)
                firsts = pd.Series(firsts.index, index=firsts.index.str.casefold())
                for code, (folded, answer) in enumerate(sorted(firsts.items()), start=1):
                    if folded in COMMON_MISSING:
                        missing_found.add(folded)
                    elif folded not in MISSING_WORDINGS:
                        new_scales.append({"scale": guess.scale, "label": folded, "code": code, "canonical": answer})
    scales_out = out.with_name(f"{name}_scales.csv") if new_scales else None
    missing = MISSING_WORDINGS + sorted(missing_found - set(MISSING_WORDINGS))
    text = _definition_text(export, out, name, tool, guesses, raw.data, scales_out, missing)
    if scales_out is not None:
        if scales_out.exists():
            raise ConfigError(f"{scales_out}: exists already; nothing was written")
        write_text_atomic(scales_out, pd.DataFrame(new_scales).to_csv(index=False, lineterminator="\n"))
    write_text_atomic(out, text)
    try:
        load_definition(out.resolve())
    except ConfigError:
        out.unlink()
        if scales_out is not None:
            scales_out.unlink()
        raise
    return out, scales_out


def _flow(mapping: dict | list) -> str:
    """A mapping or list as one line of YAML (flow style)."""
    return yaml.safe_dump(mapping, default_flow_style=True, width=10_000, allow_unicode=True, sort_keys=False).strip()


def _scale_of(guess: Guess) -> str:
    """The scale :func:`scaffold` gave a category or multi-select question."""
    assert guess.scale is not None, guess.header  # scaffold names one for each before writing
    return guess.scale


def _definition_text(
    export: Path,
    out: Path,
    name: str,
    tool: str,
    guesses: list[Guess],
    data: pd.DataFrame,
    scales_out: Path | None,
    missing: list[str],
) -> str:
    shipped = Path(os.path.relpath(resolve(SHIPPED_SCALES), out.resolve().parent)).as_posix()
    scales = [shipped] + ([scales_out.name] if scales_out else [])
    id_guess = next((g for g in guesses if g.kind == "id"), None)
    marker = next((g.header for g in guesses if g.kind == "marker"), None)
    lines = [
        f"# Survey definition made by `evidence init survey {export.as_posix()}` from a {DESCRIPTIONS[tool]}.",
        "# Every line marked CONFIRM is a guess: check it against the questionnaire, then delete the mark.",
        "# The format is described in config/surveys/README.md.",
        f"name: {name}",
        f"title: {json.dumps(name.replace('_', ' ').capitalize())}  # CONFIRM: the title reports show",
        f"scales: {_flow(scales)}",
    ]
    if id_guess:
        lines.append(f"id_column: {json.dumps(id_guess.header)}  # CONFIRM: the respondent-ID column")
    else:
        lines.append("id_column: ResponseId  # the export has no respondent ID; one is made (see the README)")
    lines.append(f"missing_codes: {_flow(missing)}  # CONFIRM: answers that mean no answer")
    if marker:
        lines.append(f"synthetic_marker: {_flow({'column': marker, 'value': 'SYNTHETIC'})}  # a synthetic sample")
    identifiers = [g.header for g in guesses if g.kind == "identifier"]
    lines.append(f"direct_identifiers: {_flow(identifiers)}  # CONFIRM: columns that identify a person, dropped")
    names = [g.header for g in guesses if g.kind == "identifier" and privacy.identifier_column_kind(g.header) == "name"]
    if names:
        lines.append(f"name_columns: {_flow(names)}  # CONFIRM: their values are redacted from free text")
    tools = [g.header for g in guesses if g.kind == "tool"]
    if tools:
        lines.append(f"# Columns the survey tool adds, not carried: {', '.join(tools)}")
    consent = [
        g for g in guesses if g.kind == "category" and g.scale == "yes_no" and "consent" in g.question.casefold()
    ]
    if consent:
        lines.append("# CONFIRM: responses without consent are left out (the manifest counts them)")
        lines.append("exclusions:")
        lines += [
            f"  - {_flow({'column': g.header, 'keep': ['yes'], 'reason': 'did not consent to take part'})}"
            for g in consent
        ]
    lines.append("columns:")
    columns: list[tuple[dict[str, Any], Guess]] = []  # (YAML entry, its guess)
    names_used: set[str] = set()
    number = 0
    for guess in guesses:
        if guess.kind in ("id", "tool", "identifier", "marker") or guess in consent:
            continue
        number += 1
        column_name = "_".join(slug(guess.question).split("_")[:5]) or f"q{number}"
        column_name = column_name if column_name[0].isalpha() else f"q_{column_name}"
        while column_name in names_used:
            column_name += "_2"
        names_used.add(column_name)
        spec: dict[str, Any] = {"source": guess.header, "name": column_name, "kind": guess.kind}
        if guess.header != guess.question:
            spec["question"] = guess.question
        if guess.kind in ("category", "multiselect"):
            spec["scale"] = _scale_of(guess)
        if guess.kind == "multiselect":
            spec["separator"] = guess.separator
        if guess.codes:
            spec["codes"] = guess.codes
        if guess.kind == "integer":
            numbers = pd.to_numeric(_answers(data[guess.header]), errors="coerce")
            spec["min"], spec["max"] = int(min(0, numbers.min())), int(numbers.max())
        if guess.kind == "category" and guess.scale in ("fft", "agree5", "frequency5", "satisfaction5"):
            spec["ordered"] = True
        why = {
            "category": "single choice",
            "multiselect": "multi-select",
            "integer": "a whole number",
            "datetime": "a date",
            "free_text": "free text",
        }[guess.kind]
        scale_note = ""
        if guess.kind in ("category", "multiselect"):
            scale_note = (
                f"; proposed scale: {KNOWN_SCALES[_scale_of(guess)]}"
                if guess.known_scale
                else f"; new scale {guess.scale} in {scales_out.name if scales_out else ''}"
            )
        found = (
            "; answers found: " + ", ".join(guess.answers[:MAX_CHOICES])
            if guess.answers and guess.kind != "free_text"
            else ""
        )
        lines.append(f"  # CONFIRM: {why}{scale_note}{found}")
        if (
            guess.kind in ("category", "multiselect")
            and guess.answers
            and all(re.fullmatch(r"[\d,;]+", a) for a in guess.answers)
        ):
            lines.append(
                "  # CONFIRM: every answer is a number: if they are choice codes (a numeric-values export), "
                "use a scale of the answer wordings and give codes: {code: answer}"
            )
        lines.append(f"  - {_flow(spec)}")
        columns.append((spec, guess))
    headlines = [
        (spec, guess) for spec, guess in columns if spec["kind"] == "category" and guess.scale in POSITIVE_CODES
    ]
    if headlines:
        lines.append("# CONFIRM: headline measures (the share of valid answers in the listed scale codes)")
        lines.append("headlines:")
        for spec, guess in headlines:
            statement = ("gave a positive answer to: " + guess.question)[:120]
            entry = {
                "id": spec["name"],
                "column": spec["name"],
                "codes": POSITIVE_CODES[_scale_of(guess)],
                "statement": statement,
            }
            lines.append(f"  - {_flow(entry)}")
    agreement = {s["name"]: _short(g.question) for s, g in columns if s["kind"] == "category" and g.scale == "agree5"}
    breakdowns = {
        s["name"]: _short(g.question)
        for s, g in columns
        if s["kind"] == "category" and not g.known_scale and len({a.casefold() for a in g.answers}) <= 8
    }
    comments = [s["name"] for s, _ in columns if s["kind"] == "free_text"]
    report: dict[str, str | dict[str, str] | list[str]] = {"subject": "respondents"}
    report |= {"agreement": agreement} if agreement else {}
    report |= {"breakdowns": breakdowns} if breakdowns else {}
    report |= {"comments": comments} if comments else {}
    lines.append("# CONFIRM: what the survey report shows (notebooks/survey_report.ipynb)")
    lines.append("report:")
    lines += [f"  {key}: {_flow(value) if not isinstance(value, str) else value}" for key, value in report.items()]
    return "\n".join(lines) + "\n"


def _short(question: str, length: int = 40) -> str:
    """A question cut at a word boundary for a chart label."""
    words, out = question.rstrip("?.").split(), ""
    for word in words:
        if len(out) + len(word) + 1 > length:
            return out + "..."
        out = f"{out} {word}".strip()
    return out
