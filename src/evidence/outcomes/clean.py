"""Outcome records: cleaning an episode-level extract of children's OT care.

An extract is a folder of three tables (each ``.csv``, ``.xlsx`` or ``.sav``):

* ``episodes``: one row per episode of care - IDs, the child's details, service, primary need,
  tier, referral / assessment / discharge dates, contacts and staff minutes by Agenda for
  Change band;
* ``assessments``: one row per questionnaire - episode, instrument, timepoint (baseline or
  follow-up), date, and item codes ``Item1``..``Item30`` scored by item number;
* ``prems``: one row per experience questionnaire - episode, date, Friends and Family Test
  answer, five experience items, free-text comment.

How a given extract writes these (its file names, headers, date formats, code lists and
instrument names) is its definition, ``config/extracts/<name>.yml``
(:mod:`evidence.outcomes.definition`); the tables are cleaned under the product's own column
names, and problems name the columns as the file does.

Every problem in all three tables is collected and reported together (file, row, column,
value, rule); one rule broken on many rows of a column is one
:class:`~evidence.errors.RepeatedProblem` (count and first rows). Child and episode IDs are pseudonymised;
names, NHS numbers, postcodes and dates
of birth are dropped (age at referral is kept, in whole years); identifiers in comments are
redacted. Columns not listed here are never carried; undeclared ones whose header names an
identifier ("Parent_Name", "email address", ...) are listed in the manifest as identifier
columns dropped, and names in them are redacted from comments as well. A service name holding
an identifier (an NHS number, e-mail, phone number, postcode, date or a child's name) refuses
the ingest, and no error message repeats an identifier in full (see :mod:`evidence.privacy`).
Duplicate (episode, instrument, timepoint) questionnaires are kept, flagged and counted, never
silently dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from evidence import privacy
from evidence.csv_blocks import CsvBlock
from evidence.errors import InputFileError, Problem, ValidationError
from evidence.instruments.experience import EXPERIENCE
from evidence.outcomes.assessments import (
    assessment_keys,
    clean_assessments,
    follow_up_before_baseline,
    score_assessments,
)
from evidence.outcomes.blocks import header_only
from evidence.outcomes.definition import DEFAULT_DEFINITION, load_extract_definition
from evidence.outcomes.extract_layout import FIELDS, ExtractDefinition
from evidence.outcomes.reading import Reading, item_frame, missing, repeated_episodes, unmatched_episodes
from evidence.readers import SUPPORTED_SUFFIXES, RawTable, give_back_memory, read_raw
from evidence.validation import (
    as_numbers,
    condensed,
    masked,
    names_in,
    problems_at,
    to_integer,
)

TABLES = ("episodes", "assessments", "prems")
DIRECT_IDENTIFIERS = ("NHSNumber", "ChildName", "DateOfBirth", "Postcode")
BANDS = {"Band5Minutes": "band5", "Band6Minutes": "band6", "Band7Minutes": "band7", "Band8aMinutes": "band8a"}


@dataclass
class CleanOutcomes:
    """A cleaned extract. The four tables are dask DataFrames (computed when written) when the
    extract was cleaned block by block (:mod:`evidence.outcomes.streamed`), pandas DataFrames
    when it was cleaned whole;
    ``encodings`` says how each table's file was decoded, ``rows_in`` counts the raw rows of
    each table and ``sources`` names its file;
    ``definition`` is the extract definition it was read with."""

    episodes: pd.DataFrame
    assessments: pd.DataFrame
    scores: pd.DataFrame
    prems: pd.DataFrame
    synthetic: bool
    encodings: dict[str, str | None]
    duplicates: dict[str, object]
    redactions: dict[str, int]
    key_origin: str
    identifier_columns_dropped: dict[str, list[str]] = field(default_factory=dict)
    rows_in: dict[str, int] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    definition: ExtractDefinition | None = None
    direct_identifiers: list[str] = field(default_factory=list)


def find_tables(folder: str | Path, definition: ExtractDefinition | None = None) -> dict[str, Path]:
    """The three table files in ``folder`` (by the definition's file names, any supported suffix)."""
    folder = Path(folder)
    files = {t: definition.tables[t].file if definition else t for t in TABLES}
    if not folder.is_dir():
        raise InputFileError(
            f"{folder}: an outcomes extract is a folder holding "
            f"{', '.join(files.values())} (each {'/'.join(SUPPORTED_SUFFIXES)})"
        )
    found = {}
    for table, stem in files.items():
        matches = [folder / f"{stem}{s}" for s in SUPPORTED_SUFFIXES if (folder / f"{stem}{s}").is_file()]
        if len(matches) != 1:
            raise InputFileError(
                f"{folder}: expected exactly one {table} file "
                f"({' or '.join(stem + s for s in SUPPORTED_SUFFIXES)}), found {len(matches)}"
            )
        found[table] = matches[0]
    return found


def clean_episodes(raw: RawTable, reading: Reading, unique_ids: bool = True) -> tuple[pd.DataFrame, list[Problem]]:
    """The typed episodes and their problems; without ``unique_ids`` repeated episode IDs are
    left for the caller to find (across the blocks of a file read block by block)."""
    data = raw.data
    problems: list[Problem] = []
    out: dict[str, object] = {}
    for column in ("EpisodeID", "ChildID", "Service"):
        problems += problems_at(raw, missing(data[column]), column, data[column], "a value is required")
    if unique_ids:
        problems += repeated_episodes(raw.name, data["EpisodeID"], raw.row_numbers)
    for column, name in (("Sex", "sex"), ("PrimaryNeed", "primary_need"), ("Tier", "tier")):
        out[name], found = reading.coded(raw, column)
        problems += found
    out["imd_decile"], found = to_integer(raw, "IMDDecile", data["IMDDecile"], missing(data["IMDDecile"]), 1, 10)
    problems += found
    out["service"] = data["Service"].str.strip().str.replace(r"\s+", " ", regex=True)
    dates = {}
    for column in ("DateOfBirth", "ReferralDate", "AssessmentDate", "DischargeDate"):
        dates[column], found = reading.date(raw, column)
        problems += found
    for column in ("DateOfBirth", "ReferralDate"):
        problems += problems_at(raw, missing(data[column]), column, data[column], "a date is required")
    order = [("DateOfBirth", "ReferralDate"), ("ReferralDate", "AssessmentDate"), ("AssessmentDate", "DischargeDate")]
    for earlier, later in order:
        wrong = (dates[later] < dates[earlier]).fillna(False)
        problems += problems_at(raw, wrong, later, data[later], f"must not be before {earlier}")
    no_assessment = missing(data["AssessmentDate"]) & dates["DischargeDate"].notna()
    problems += problems_at(
        raw, no_assessment, "DischargeDate", data["DischargeDate"], "a discharged episode needs an AssessmentDate"
    )
    age = np.floor((dates["ReferralDate"] - dates["DateOfBirth"]).dt.days / 365.25)
    problems += problems_at(
        raw,
        (age > 25).fillna(False),
        "DateOfBirth",
        data["DateOfBirth"],
        "gives an age at referral over 25; children's services see 0-25",
    )
    out["age_years"] = age.astype("Int64")
    out["referral_date"] = dates["ReferralDate"]
    out["assessment_date"] = dates["AssessmentDate"]
    out["discharge_date"] = dates["DischargeDate"]
    out["contacts"], found = to_integer(raw, "Contacts", data["Contacts"], missing(data["Contacts"]), 0, 1000)
    problems += found
    for column, band in BANDS.items():
        out[f"minutes_{band}"], found = to_integer(raw, column, data[column], missing(data[column]), 0, 100_000)
        problems += found
    return pd.DataFrame(out, index=data.index), problems


def clean_prems(raw: RawTable, episode_ids: pa.Array | None, reading: Reading) -> tuple[pd.DataFrame, list[Problem]]:
    """The typed experience questionnaires and their problems; without ``episode_ids`` they
    are not matched to episodes (the episodes table could not be read, or the caller matches
    them across blocks)."""
    data = raw.data
    problems: list[Problem] = []
    problems += unmatched_episodes(raw.name, raw.data["EpisodeID"], raw.row_numbers, episode_ids)
    fft, found = reading.coded(raw, "FFT")
    problems += found
    date, found = reading.date(raw, "CompletedDate")
    problems += found
    items = item_frame(data, "Exp", 5)
    problems += EXPERIENCE.validate(items, raw.name, raw.row_numbers, source_prefix="Exp")
    numeric = items.apply(as_numbers)
    out = pd.DataFrame(
        {"episode_id": data["EpisodeID"].str.strip(), "completed_date": date, "fft": fft}, index=data.index
    )
    out = pd.concat([out, numeric], axis=1)
    out["comment"] = data["Comment"].where(~missing(data["Comment"]))
    return out, problems


def pseudonymise_episodes(
    episodes: pd.DataFrame, raw: RawTable, key: privacy.PseudonymKey, pseudonyms: privacy.Pseudonyms
) -> None:
    """Put the pseudonymised episode and child IDs first in the cleaned ``episodes`` (of the
    episodes table ``raw``), the episodes' through ``pseudonyms`` (see :class:`privacy.Pseudonyms`)."""
    episodes.insert(0, "child_id", privacy.pseudonymise(raw.data["ChildID"], key))
    episodes.insert(0, "episode_id", pseudonyms.apply(raw.data["EpisodeID"]))


def finish_prems(prems: pd.DataFrame, pseudonyms: privacy.Pseudonyms, names) -> dict[str, int]:
    """Pseudonymise the cleaned experience questionnaires' episodes (through ``pseudonyms``),
    redact identifiers and the known ``names`` from their comments, and score them, in place;
    return the redactions by kind."""
    prems["episode_id"] = pseudonyms.apply(prems["episode_id"])
    prems["comment"], redactions = privacy.redact_free_text(prems["comment"], names)
    prems["experience"] = EXPERIENCE.score(prems[[f"item_{i}" for i in range(1, 6)]])["experience"]
    return redactions


def as_in_file(problems: list[Problem], headers: dict[str, dict[str, str]]) -> list[Problem]:
    """Problems naming each column by its header in the file (``Episode ID``), not the field."""
    out = []
    for problem in problems:
        header = headers.get(problem.file or "", {}).get(problem.column or "")
        out.append(problem if header in (None, problem.column) else dataclasses.replace(problem, column=header))
    return out


def clean_extract(
    folder: str | Path,
    environ: dict[str, str] | None = None,
    definition: ExtractDefinition | str | Path | None = None,
) -> CleanOutcomes:
    """Validate, type, score and de-identify an outcomes extract folder, every table read
    whole, as ``definition`` says (an :class:`ExtractDefinition` or the path of one; default
    ``config/extracts/outcomes.yml``). The reference for the ingest's block-wise cleaning
    (:func:`evidence.outcomes.streamed.clean_streamed`), which gives the same tables and problems.

    Every problem of every table is reported in one :class:`ValidationError`: headers that
    are missing or name a column twice, empty tables, and the values of every table whose
    header is complete (questionnaires are matched to episodes when the episodes table could be
    read). A problem on more rows than a few is one line with its count and first rows. Without
    a usable pseudonymisation key, the missing key is reported after the problems."""
    if not isinstance(definition, ExtractDefinition):
        definition = load_extract_definition(definition or DEFAULT_DEFINITION)
    reading = Reading(definition)
    paths = find_tables(folder, definition)
    raw = read_tables(paths, {})
    problems, headers, complete, extra = match_tables(raw, definition, TABLES)
    marker = definition.synthetic_marker
    name_columns = [raw["episodes"].data[c] for c in ("ChildName",) if c in raw["episodes"].data]
    names = pd.concat(
        name_columns
        + [raw[name].data[c] for name, found in extra.items() for c, kind in found.items() if kind == "name"]
        or [pd.Series([], dtype="string")]
    ).dropna()
    ids = None
    if "episodes" in complete:
        episodes, found = clean_episodes(raw["episodes"], reading)
        problems += found + privacy.identifier_problems(
            raw["episodes"].name,
            episodes["service"],
            raw["episodes"].row_numbers,
            "Service",
            names_in(episodes["service"].dropna().unique(), names),
        )
        ids = pa.array(raw["episodes"].data["EpisodeID"].dropna().unique(), type=pa.string())
    synthetic = marked_synthetic(raw["episodes"], marker)
    rows_in = {name: len(table.data) for name, table in raw.items()}
    if "assessments" in complete:
        assessments, found = clean_assessments(raw["assessments"], ids, reading)
        problems += found + follow_up_before_baseline(
            assessment_keys(assessments, raw["assessments"]), raw["assessments"].name
        )
    if "prems" in complete:
        prems, found = clean_prems(raw["prems"], ids, reading)
        problems += found
    if problems:
        raise ValidationError(
            masked(as_in_file(condensed(problems), headers), names),
            "Correct the extract (the raw files are unchanged) and ingest again.",
        )

    key = privacy.pseudonym_key(synthetic, environ)
    episode_pseudonyms = privacy.Pseudonyms.of(raw["episodes"].data["EpisodeID"], key)
    pseudonymise_episodes(episodes, raw["episodes"], key, episode_pseudonyms)
    redactions = finish_prems(prems, episode_pseudonyms, names)
    episodes["synthetic"] = synthetic

    assessments["episode_id"] = episode_pseudonyms.apply(assessments["episode_id"])
    assessments = assessments.reset_index(drop=True)
    scores = score_assessments(assessments)
    flagged = int(assessments["duplicate_of_earlier"].sum())
    duplicates = {
        "rule": "same episode, instrument and timepoint; the first row is used, later ones flagged",
        "flagged": flagged,
    }
    present = [c for c in DIRECT_IDENTIFIERS if c in raw["episodes"].data]
    encodings = {name: table.encoding for name, table in raw.items()}
    raw.clear()  # the raw cells are not needed past here
    give_back_memory()
    return CleanOutcomes(
        episodes.reset_index(drop=True),
        assessments,
        scores,
        prems.reset_index(drop=True),
        synthetic,
        encodings,
        duplicates,
        redactions,
        key.origin,
        {name: list(found) for name, found in extra.items() if found},
        rows_in,
        paths,
        definition,
        present,
    )


def match_tables(
    raw: dict[str, RawTable], definition: ExtractDefinition, read: Iterable[str]
) -> tuple[list[Problem], dict[str, dict[str, str]], set[str], dict[str, dict[str, str]]]:
    """Each table's header matched to the definition, ``raw`` renamed to the fields in place.
    Return the problems (of the headers, and of each table of ``read``, those read with their
    rows, that has none), the headers of each file by field, the tables whose header is
    complete (and, if read, that have rows), and each table's undeclared identifier columns
    with their kinds."""
    problems: list[Problem] = []
    headers: dict[str, dict[str, str]] = {}
    complete = set()
    for name in TABLES:
        raw[name], headers[raw[name].name], found = definition.match_headers(name, raw[name])
        problems += found
        if name in read and raw[name].data.empty:
            problems.append(Problem(raw[name].name, None, None, None, "the table has a header but no rows"))
        elif not found:
            complete.add(name)
    marker = definition.synthetic_marker[0]
    extra = {
        name: privacy.identifier_columns(table.data.columns, [*FIELDS[name], marker]) for name, table in raw.items()
    }
    return problems, headers, complete, extra


def read_tables(paths: dict[str, Path], headers_only: dict[str, CsvBlock]) -> dict[str, RawTable]:
    """Every table read (of those in ``headers_only``, the header only: their rows are read in
    blocks); a file that cannot be read at all is reported together with any other (one
    :class:`InputFileError` naming each)."""
    tables, unreadable = {}, []
    for name, path in paths.items():
        try:
            tables[name] = header_only(headers_only[name]) if name in headers_only else read_raw(path)
        except InputFileError as error:
            unreadable.append(str(error))
    if len(unreadable) == 1:
        raise InputFileError(unreadable[0])
    if unreadable:
        raise InputFileError(
            f"{len(unreadable)} tables of the extract cannot be read:\n"
            + "\n".join(f"  - {message}" for message in unreadable)
        )
    return tables


def marked_synthetic(episodes: RawTable, marker: tuple[str, str] = ("DataLabel", "SYNTHETIC")) -> bool:
    """Whether every episode carries the synthetic-data marker."""
    column, value = marker
    values = episodes.data.get(column)
    return values is not None and len(values) > 0 and bool((values.astype("string").str.strip() == value).all())
