"""Reading a survey's answers into typed columns, one defined column at a time.

Each answer is checked against the definition (:mod:`.definition`) and its answer scales
(:mod:`.scales`): a category's wording is mapped to the scale's canonical answer, a
multi-select's options to one true/false column per option, integers and times are parsed in
the export's format (see :mod:`evidence.validation`), and free text is carried as it is (it is
redacted by :mod:`.clean`). In a numeric (coded) export every answer is read through the
definition's choice codes: a code outside them is refused, never read as a wording it
resembles. Every problem names the row, column, value and rule; each distinct wording is
normalised and looked up once (answers repeat a few wordings over many rows).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from evidence.errors import Problem
from evidence.paths import display_path
from evidence.readers import RawTable
from evidence.survey.definition import SurveyDefinition
from evidence.survey.dialects import Dialect
from evidence.validation import normalise_text, problems_at, to_datetime, to_integer


def slug(text: str) -> str:
    """A wording as part of a column name: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def looks_coded(data: pd.DataFrame, definition: SurveyDefinition) -> bool:
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


def normalised(values: pd.Series) -> pd.Series:
    """:func:`evidence.validation.normalise_text` of ``values``, each distinct value normalised
    once (answers repeat a few wordings over many rows; case-folding is element-wise Python)."""
    codes, distinct = pd.factorize(values.astype("string"), use_na_sentinel=True)
    normal = normalise_text(pd.Series(distinct, dtype="string")).array
    return pd.Series(normal.take(codes, allow_fill=True), index=values.index, dtype="string")


def decode(
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


def validate_and_convert(
    raw: RawTable, data: pd.DataFrame, definition: SurveyDefinition, dialect: Dialect
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check every defined column, return the typed columns and the problems found."""
    out: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    positions = pd.RangeIndex(len(data))
    for spec in definition.columns:
        source, name, kind = spec["source"], spec["name"], spec["kind"]
        values = data[source].astype("string") if source in data else pd.Series(pd.NA, index=positions, dtype="string")
        normal = normalised(values)
        missing = normal.isna() | normal.isin(definition.missing_codes)
        if dialect.coded and spec.get("codes"):
            values, found = decode(
                raw, source, values, missing, spec["codes"], definition, several=kind == "multiselect"
            )
            problems += found
            normal = normalised(values)
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
