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
:class:`~evidence.errors.RepeatedProblem` (count and first rows). Child and episode IDs are pseudonymised; names, NHS numbers, postcodes and dates
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

import contextlib
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from evidence import privacy
from evidence.errors import InputFileError, Problem, PseudonymKeyError, ValidationError
from evidence.files import sha256_file
from evidence.instruments import get_instrument
from evidence.instruments.experience import EXPERIENCE
from evidence.outcomes.definition import (
    DATE_FORMATS,
    DEFAULT_DEFINITION,
    FIELDS,
    ExtractDefinition,
    load_extract_definition,
)
from evidence.readers import (
    SUPPORTED_SUFFIXES,
    CsvBlock,
    RawTable,
    csv_blocks,
    read_csv_block,
    read_raw,
)
from evidence.validation import (
    as_numbers,
    condensed,
    is_in,
    masked,
    names_in,
    problems_at,
    problems_where,
    to_coded,
    to_date,
    to_integer,
)

TABLES = ("episodes", "assessments", "prems")
DIRECT_IDENTIFIERS = ("NHSNumber", "ChildName", "DateOfBirth", "Postcode")
BANDS = {"Band5Minutes": "band5", "Band6Minutes": "band6", "Band7Minutes": "band7", "Band8aMinutes": "band8a"}


@dataclass
class CleanOutcomes:
    """A cleaned extract. ``assessments`` and ``scores`` are dask DataFrames (computed when
    written) when the extract was cleaned block by block, pandas DataFrames otherwise;
    ``rows_in`` counts the raw rows of each table and ``sources`` names its file;
    ``definition`` is the extract definition it was read with."""

    episodes: pd.DataFrame
    assessments: pd.DataFrame
    scores: pd.DataFrame
    prems: pd.DataFrame
    synthetic: bool
    raw: dict[str, RawTable]
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
        raise InputFileError(f"{folder}: an outcomes extract is a folder holding "
                             f"{', '.join(files.values())} (each {'/'.join(SUPPORTED_SUFFIXES)})")
    found = {}
    for table, stem in files.items():
        matches = [folder / f"{stem}{s}" for s in SUPPORTED_SUFFIXES if (folder / f"{stem}{s}").is_file()]
        if len(matches) != 1:
            raise InputFileError(f"{folder}: expected exactly one {table} file "
                                 f"({' or '.join(stem + s for s in SUPPORTED_SUFFIXES)}), found {len(matches)}")
        found[table] = matches[0]
    return found


def _missing(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "")


class _Reading:
    """What every table's cleaning needs from the definition: date formats, code lists and the
    instruments, with where each is declared (for the advice in messages)."""

    def __init__(self, definition: ExtractDefinition):
        self.definition = definition
        self.formats = {words: DATE_FORMATS[words] for words in definition.date_formats}

    def date(self, raw: RawTable, column: str) -> tuple[pd.Series, list[Problem]]:
        values = raw.data[column]
        return to_date(raw, column, values, _missing(values), self.formats, self.definition.where("dates"))

    def coded(self, raw: RawTable, column: str) -> tuple[pd.Categorical, list[Problem]]:
        values = raw.data[column]
        return to_coded(raw, column, values, _missing(values), self.definition.codes[column],
                        self.definition.categories[column], column in ("Tier", "Timepoint", "FFT"),
                        self.definition.where(f"codes.{column}"))

    def instrument(self, raw: RawTable) -> tuple[pd.Categorical, list[Problem]]:
        values = raw.data["Instrument"]
        return to_coded(raw, "Instrument", values, _missing(values), self.definition.instruments,
                        self.definition.instrument_order, False, self.definition.where("instruments"))


def _clean_episodes(raw: RawTable, reading: _Reading) -> tuple[pd.DataFrame, list[Problem]]:
    data = raw.data
    problems: list[Problem] = []
    out: dict[str, object] = {}
    for column in ("EpisodeID", "ChildID", "Service"):
        problems += problems_at(raw, _missing(data[column]), column, data[column], "a value is required")
    repeated = data["EpisodeID"].duplicated(keep=False) & ~_missing(data["EpisodeID"])
    problems += problems_at(raw, repeated, "EpisodeID", data["EpisodeID"],
                            "episode IDs must be unique; the same ID appears on another row")
    for column, name in (("Sex", "sex"), ("PrimaryNeed", "primary_need"), ("Tier", "tier")):
        out[name], found = reading.coded(raw, column)
        problems += found
    out["imd_decile"], found = to_integer(raw, "IMDDecile", data["IMDDecile"], _missing(data["IMDDecile"]), 1, 10)
    problems += found
    out["service"] = data["Service"].str.strip().str.replace(r"\s+", " ", regex=True)
    dates = {}
    for column in ("DateOfBirth", "ReferralDate", "AssessmentDate", "DischargeDate"):
        dates[column], found = reading.date(raw, column)
        problems += found
    for column in ("DateOfBirth", "ReferralDate"):
        problems += problems_at(raw, _missing(data[column]), column, data[column], "a date is required")
    order = [("DateOfBirth", "ReferralDate"), ("ReferralDate", "AssessmentDate"),
             ("AssessmentDate", "DischargeDate")]
    for earlier, later in order:
        wrong = (dates[later] < dates[earlier]).fillna(False)
        problems += problems_at(raw, wrong, later, data[later], f"must not be before {earlier}")
    no_assessment = _missing(data["AssessmentDate"]) & dates["DischargeDate"].notna()
    problems += problems_at(raw, no_assessment, "DischargeDate", data["DischargeDate"],
                            "a discharged episode needs an AssessmentDate")
    age = np.floor((dates["ReferralDate"] - dates["DateOfBirth"]).dt.days / 365.25)
    problems += problems_at(raw, (age > 25).fillna(False), "DateOfBirth", data["DateOfBirth"],
                            "gives an age at referral over 25; children's services see 0-25")
    out["age_years"] = age.astype("Int64")
    out["referral_date"] = dates["ReferralDate"]
    out["assessment_date"] = dates["AssessmentDate"]
    out["discharge_date"] = dates["DischargeDate"]
    out["contacts"], found = to_integer(raw, "Contacts", data["Contacts"], _missing(data["Contacts"]), 0, 1000)
    problems += found
    for column, band in BANDS.items():
        out[f"minutes_{band}"], found = to_integer(raw, column, data[column], _missing(data[column]), 0, 100_000)
        problems += found
    return pd.DataFrame(out, index=data.index), problems


def _items(data: pd.DataFrame, prefix: str, count: int) -> pd.DataFrame:
    return data[[f"{prefix}{i}" for i in range(1, count + 1)]].set_axis(
        [f"item_{i}" for i in range(1, count + 1)], axis=1)


def _clean_assessments(raw: RawTable, episode_ids: pa.Array | None,
                       reading: _Reading) -> tuple[pd.DataFrame, list[Problem]]:
    """The typed assessments and their problems; without ``episode_ids`` (the episodes table
    could not be read) questionnaires are not matched to episodes."""
    data = raw.data
    problems: list[Problem] = []
    if episode_ids is not None:
        problems += problems_at(raw, ~is_in(data["EpisodeID"], episode_ids), "EpisodeID", data["EpisodeID"],
                                "no episode with this ID in the episodes table")
    instrument, found = reading.instrument(raw)
    problems += found + problems_at(raw, _missing(data["Instrument"]), "Instrument", data["Instrument"],
                                    "an instrument is required")
    timepoint, found = reading.coded(raw, "Timepoint")
    problems += found + problems_at(raw, _missing(data["Timepoint"]), "Timepoint", data["Timepoint"],
                                    "a timepoint is required")
    date, found = reading.date(raw, "AssessmentDate")
    problems += found
    count = reading.definition.tables["assessments"].item_count
    instrument_names = pd.Series(instrument, index=data.index).astype("string")
    numbers, found = _item_codes(raw, instrument_names, count)
    problems += found
    out = pd.DataFrame({"episode_id": data["EpisodeID"].str.strip(), "instrument": instrument,
                        "timepoint": timepoint, "assessment_date": date}, index=data.index)
    out = pd.concat([out, pd.DataFrame(numbers, columns=[f"item_{i}" for i in range(1, count + 1)],
                                       index=data.index)], axis=1)
    out["duplicate_of_earlier"] = out.duplicated(["episode_id", "instrument", "timepoint"], keep="first").to_numpy()
    return out, problems


def _item_codes(raw: RawTable, instrument_names: pd.Series, count: int) -> tuple[np.ndarray, list[Problem]]:
    """The item codes ``Item1``..``Item<count>`` as a float matrix (NaN where blank), and the
    problems of each row's codes under its instrument: a code that is not a whole number in its
    item's range, and a code beyond the instrument's items. Each column is read as numbers once;
    the checks are masks over the matrix."""
    columns = [raw.data[f"Item{i}"] for i in range(1, count + 1)]
    numbers = np.column_stack([as_numbers(column).to_numpy() for column in columns]) if columns \
        else np.empty((len(raw.data), 0))
    present = np.column_stack([column.notna().to_numpy() for column in columns]) if columns \
        else np.empty((len(raw.data), 0), dtype=bool)
    with np.errstate(invalid="ignore"):
        whole = present & ~np.isnan(numbers) & (numbers % 1 == 0)
    problems: list[Problem] = []
    for name in instrument_names.dropna().unique():
        definition = get_instrument(name)
        rows = (instrument_names == name).fillna(False).to_numpy()
        for number, (low, high) in definition.item_ranges.items():
            if number > count:
                continue
            j = number - 1
            with np.errstate(invalid="ignore"):
                valid = whole[:, j] & (numbers[:, j] >= low) & (numbers[:, j] <= high)
            problems += problems_at(raw, rows & present[:, j] & ~valid, f"Item{number}", columns[j],
                                    f"{name} item {number} must be a whole number from {low} to {high}")
        for j in range(definition.n_items, count):
            problems += problems_at(raw, rows & present[:, j], f"Item{j + 1}", columns[j],
                                    f"{name} has {definition.n_items} items; this item must be blank")
    return numbers, problems


def follow_up_before_baseline(keys: pd.DataFrame, file: str) -> list[Problem]:
    """Problems for follow-up questionnaires dated before the baseline of the same episode and
    instrument (the first baseline row, the one analysis uses). ``keys`` holds episode_id,
    instrument, timepoint, assessment_date, the raw ``value`` of the date and the file ``row``."""
    dated = keys.dropna(subset=["episode_id", "instrument", "timepoint", "assessment_date"])
    pair = ["episode_id", "instrument"]
    baseline = dated[dated["timepoint"] == "Baseline"].drop_duplicates(pair, keep="first")
    follow_up = dated[dated["timepoint"] == "Follow-up"]
    joined = follow_up.merge(baseline[[*pair, "assessment_date", "row"]], on=pair, suffixes=("", "_baseline"))
    early = joined[joined["assessment_date"] < joined["assessment_date_baseline"]].sort_values("row")
    if len(early) and len(early) <= 5:
        return [Problem(file, int(r.row), "AssessmentDate", r.value,
                        f"a follow-up dated before its baseline (row {int(r.row_baseline)}, "
                        f"{r.assessment_date_baseline:%d/%m/%Y}) for the same episode and instrument; "
                        "correct the date, or the timepoint")
                for r in early.itertuples()]
    return problems_where(file, early["row"], np.ones(len(early), dtype=bool), "AssessmentDate", early["value"],
                          "a follow-up dated before its baseline for the same episode and instrument; "
                          "correct the dates, or the timepoints")


def _assessment_keys(cleaned: pd.DataFrame, raw: RawTable) -> pd.DataFrame:
    """The columns duplicate and date-order checks need, one row per raw row."""
    keys = cleaned[["episode_id", "instrument", "timepoint", "assessment_date"]].copy()
    keys["value"] = raw.data["AssessmentDate"].to_numpy()
    keys["row"] = raw.row_numbers.to_numpy()
    return keys.reset_index(drop=True)


def _clean_prems(raw: RawTable, episode_ids: pa.Array | None,
                 reading: _Reading) -> tuple[pd.DataFrame, list[Problem]]:
    data = raw.data
    problems: list[Problem] = []
    if episode_ids is not None:
        problems += problems_at(raw, ~is_in(data["EpisodeID"], episode_ids), "EpisodeID", data["EpisodeID"],
                                "no episode with this ID in the episodes table")
    fft, found = reading.coded(raw, "FFT")
    problems += found
    date, found = reading.date(raw, "CompletedDate")
    problems += found
    items = _items(data, "Exp", 5)
    problems += EXPERIENCE.validate(items, raw.name, raw.row_numbers, source_prefix="Exp")
    numeric = items.apply(as_numbers)
    out = pd.DataFrame({"episode_id": data["EpisodeID"].str.strip(), "completed_date": date, "fft": fft},
                       index=data.index)
    out = pd.concat([out, numeric], axis=1)
    out["comment"] = data["Comment"].where(~_missing(data["Comment"]))
    return out, problems


def _as_in_file(problems: list[Problem], headers: dict[str, dict[str, str]]) -> list[Problem]:
    """Problems naming each column by its header in the file (``Episode ID``), not the field."""
    out = []
    for problem in problems:
        header = headers.get(problem.file, {}).get(problem.column)
        out.append(problem if header in (None, problem.column) else dataclasses.replace(problem, column=header))
    return out


def clean_extract(folder: str | Path, environ: dict[str, str] | None = None,
                  block_bytes: int | None = None, spill: str | Path | None = None,
                  definition: ExtractDefinition | str | Path | None = None) -> CleanOutcomes:
    """Validate, type, score and de-identify an outcomes extract folder, read as ``definition``
    says (an :class:`ExtractDefinition` or the path of one; default
    ``config/extracts/outcomes.yml``).

    Every problem of every table is reported in one :class:`ValidationError`: headers that
    are missing or name a column twice, empty tables, and the values of every table whose
    header is complete (questionnaires are matched to episodes when the episodes table could be
    read). A problem on more rows than a few is one line with its count and first rows.

    With ``block_bytes``, the assessments table (the long one: one row per questionnaire) is
    read and cleaned in blocks of about that many bytes through ``dask.dataframe`` rather
    than loaded whole: every block is checked first (all problems reported together, file
    row numbers as in the whole-file path), duplicates and follow-ups dated before their
    baseline are found across blocks from their keys, and ``assessments`` and ``scores`` come
    back as lazy dask DataFrames that a writer computes block by block, so memory is bounded
    by the blocks in flight, not the file. Episodes and experience questionnaires (one row per
    episode at most) are read whole. A CSV that is not plainly well formed, and .xlsx/.sav,
    are read whole either way.

    The block-wise path needs ``spill``, a folder the caller owns and removes (the ingest uses
    a temporary folder inside the output folder): each block is read and cleaned once, and
    while the problems of later blocks are still being gathered, the cleaned block waits there,
    already pseudonymised; the lazy tables read those parts back. Without a usable
    pseudonymisation key nothing is kept, and the missing key is reported after the problems,
    as in the whole-file path."""
    if block_bytes and spill is None:
        raise ValueError("block-wise cleaning needs a spill folder for the cleaned blocks")
    if not isinstance(definition, ExtractDefinition):
        definition = load_extract_definition(definition or DEFAULT_DEFINITION)
    reading = _Reading(definition)
    paths = find_tables(folder, definition)
    blocks = csv_blocks(paths["assessments"], block_bytes) if block_bytes else None
    raw = _read_tables({name: path for name, path in paths.items() if not (blocks and name == "assessments")})
    if blocks:
        raw["assessments"] = _header_only(blocks[0])
    problems: list[Problem] = []
    headers: dict[str, dict[str, str]] = {}
    complete = set()
    for name in TABLES:
        raw[name], headers[raw[name].name], found = definition.match_headers(name, raw[name])
        problems += found
        if raw[name].data.empty and not (blocks and name == "assessments"):
            problems.append(Problem(raw[name].name, None, None, None, "the table has a header but no rows"))
        elif not found:
            complete.add(name)
    marker = definition.synthetic_marker
    extra = {name: privacy.identifier_columns(table.data.columns, [*FIELDS[name], marker[0]])
             for name, table in raw.items()}
    name_columns = [raw["episodes"].data[c] for c in ("ChildName",) if c in raw["episodes"].data]
    names = pd.concat(name_columns + [raw[name].data[c] for name, found in extra.items()
                                      for c, kind in found.items() if kind == "name"]
                      or [pd.Series([], dtype="string")]).dropna()
    ids = None
    if "episodes" in complete:
        episodes, found = _clean_episodes(raw["episodes"], reading)
        problems += found + privacy.identifier_problems(raw["episodes"].name, episodes["service"],
                                                        raw["episodes"].row_numbers, "Service",
                                                        names_in(episodes["service"].dropna().unique(), names))
        ids = pa.array(raw["episodes"].data["EpisodeID"].dropna().unique(), type=pa.string())
    synthetic = _marked_synthetic(raw["episodes"], marker)
    rows_in = {name: len(table.data) for name, table in raw.items()}
    if blocks and "assessments" in complete:
        early_key = None
        with contextlib.suppress(PseudonymKeyError):  # reported below, after the problems
            early_key = privacy.pseudonym_key(synthetic, environ)
        checked = _BlockwiseAssessments(blocks, _Shared(ids, sha256_file(paths["episodes"])), early_key,
                                        Path(spill), reading, headers[raw["assessments"].name])
        problems += checked.problems
        rows_in["assessments"] = checked.rows  # not the header-only table's 0
    elif "assessments" in complete:
        assessments, found = _clean_assessments(raw["assessments"], ids, reading)
        problems += found + follow_up_before_baseline(_assessment_keys(assessments, raw["assessments"]),
                                                      raw["assessments"].name)
    if "prems" in complete:
        prems, found = _clean_prems(raw["prems"], ids, reading)
        problems += found
    if blocks and "assessments" in complete and not rows_in["assessments"]:
        problems.append(Problem(raw["assessments"].name, None, None, None, "the table has a header but no rows"))
    if problems:
        raise ValidationError(masked(_as_in_file(condensed(problems), headers), names),
                              "Correct the extract (the raw files are unchanged) and ingest again.")

    key = privacy.pseudonym_key(synthetic, environ)
    episode_pseudonyms = privacy.Pseudonyms.of(raw["episodes"].data["EpisodeID"], key)
    episodes.insert(0, "child_id", privacy.pseudonymise(raw["episodes"].data["ChildID"], key))
    episodes.insert(0, "episode_id", episode_pseudonyms.apply(raw["episodes"].data["EpisodeID"]))
    prems["episode_id"] = episode_pseudonyms.apply(prems["episode_id"])
    prems["comment"], redactions = privacy.redact_free_text(prems["comment"], names)
    prems["experience"] = EXPERIENCE.score(prems[[f"item_{i}" for i in range(1, 6)]])["experience"]
    episodes["synthetic"] = synthetic

    if blocks:
        assessments, scores, flagged = checked.cleaned(key)
    else:
        assessments["episode_id"] = episode_pseudonyms.apply(assessments["episode_id"])
        assessments = assessments.reset_index(drop=True)
        scores = score_assessments(assessments)
        flagged = int(assessments["duplicate_of_earlier"].sum())
    duplicates = {"rule": "same episode, instrument and timepoint; the first row is used, later ones flagged",
                  "flagged": flagged}
    present = [c for c in DIRECT_IDENTIFIERS if c in raw["episodes"].data]
    return CleanOutcomes(episodes.reset_index(drop=True), assessments, scores,
                         prems.reset_index(drop=True), synthetic, raw, duplicates, redactions, key.origin,
                         {name: list(found) for name, found in extra.items() if found}, rows_in, paths,
                         definition, present)


def _read_tables(paths: dict[str, Path]) -> dict[str, RawTable]:
    """Every table read; a file that cannot be read at all is reported together with any other
    (one :class:`InputFileError` naming each)."""
    tables, unreadable = {}, []
    for name, path in paths.items():
        try:
            tables[name] = read_raw(path)
        except InputFileError as error:
            unreadable.append(str(error))
    if len(unreadable) == 1:
        raise InputFileError(unreadable[0])
    if unreadable:
        raise InputFileError(f"{len(unreadable)} tables of the extract cannot be read:\n"
                             + "\n".join(f"  - {message}" for message in unreadable))
    return tables


def _marked_synthetic(episodes: RawTable, marker: tuple[str, str] = ("DataLabel", "SYNTHETIC")) -> bool:
    """Whether every episode carries the synthetic-data marker."""
    column, value = marker
    values = episodes.data.get(column)
    return values is not None and len(values) > 0 and bool((values.astype("string").str.strip() == value).all())


def _header_only(block: CsvBlock) -> RawTable:
    """A block's file as a table with its header and no rows (for the column checks)."""
    return RawTable(block.path, pd.DataFrame(columns=list(block.header), dtype="string"),
                    pd.Series([], dtype="int64"), "utf-8-sig")


class _Shared:
    """A large value every block needs (the episode IDs), with a cheap dask token (the
    episodes file's hash) so that dask does not hash millions of IDs to name the tasks."""

    def __init__(self, value, token: str):
        self.value, self.token = value, token

    def __dask_tokenize__(self) -> str:
        return self.token


class _BlockwiseAssessments:
    """The assessments table of an extract, cleaned block by block (see :func:`clean_extract`).

    Construction checks every block (in parallel through dask) and keeps the problems, the row
    count and the duplicate keys; with a pseudonymisation ``key`` it also writes each cleaned
    block without problems to ``folder``, pseudonymised. :meth:`cleaned` returns the lazy
    cleaned and scored tables, read back from those blocks."""

    def __init__(self, blocks: list[CsvBlock], ids: _Shared, key: privacy.PseudonymKey | None, folder: Path,
                 reading: _Reading, headers: dict[str, str]):
        import dask

        self.key = key
        self.parts = [folder / f"block-{number:06d}.parquet" for number in range(len(blocks))]
        renames = {header: target for target, header in headers.items()}
        checked = dask.compute(*[dask.delayed(_check_block)(block, ids, key, part, reading, renames)
                                 for block, part in zip(blocks, self.parts, strict=True)])
        self.problems = [problem for _, _, found in checked for problem in found]
        self.rows = sum(len(keys) for keys, _, _ in checked)
        keys = pd.concat([keys for keys, _, _ in checked], ignore_index=True)
        later = keys.duplicated(["episode_id", "instrument", "timepoint"], keep="first").to_numpy()
        self.flags = np.split(later, np.cumsum([len(keys) for keys, _, _ in checked])[:-1])
        self.problems += follow_up_before_baseline(keys, str(blocks[0].path))
        self.example = checked[0][1]  # a few cleaned rows of the first block: the tables' shape

    def cleaned(self, key: privacy.PseudonymKey):
        import dask.dataframe as dd

        if self.problems or key != self.key:  # clean_extract raises before it gets here
            raise RuntimeError("the cleaned blocks were not kept (problems found, or no key when checked)")
        example = self.example.assign(episode_id=privacy.pseudonymise(self.example["episode_id"], key))
        assessments = dd.from_map(_kept_block, self.parts, self.flags, meta=example.iloc[:0],
                                  label="outcome-assessments", enforce_metadata=False)
        scores = assessments.map_partitions(score_assessments, meta=score_assessments(example).iloc[:0])
        return assessments, scores, int(sum(flags.sum() for flags in self.flags))


def _check_block(block: CsvBlock, ids: _Shared, key: privacy.PseudonymKey | None, part: Path,
                 reading: _Reading, renames: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """A block's keys (see :func:`_assessment_keys`; one row per raw row), first cleaned rows,
    and problems; with a ``key``, a block without problems is also written to ``part``,
    pseudonymised. ``renames`` maps the file's headers to the fields they name."""
    raw = read_csv_block(block)
    raw = RawTable(raw.path, raw.data.rename(columns=renames), raw.row_numbers, raw.encoding)
    cleaned, problems = _clean_assessments(raw, ids.value, reading)
    keys, example = _assessment_keys(cleaned, raw), cleaned.head(100)
    if key is not None and not problems:
        cleaned["episode_id"] = privacy.pseudonymise(cleaned["episode_id"], key)
        cleaned.reset_index(drop=True).to_parquet(part, index=False)
    return keys, example, problems


def _kept_block(part: Path, later: np.ndarray) -> pd.DataFrame:
    """A block written by :func:`_check_block`, with its rows' duplicate flags across blocks."""
    cleaned = pd.read_parquet(part)
    cleaned["duplicate_of_earlier"] = later
    return cleaned


def score_assessments(assessments: pd.DataFrame) -> pd.DataFrame:
    """Long table of scale scores: episode_id, instrument, timepoint, assessment_date,
    duplicate_of_earlier, scale, score (one row per questionnaire and scale; for each
    instrument in order of first appearance, each scale in turn over its questionnaires in
    order, as ``DataFrame.melt`` lays them out). The item codes are already checked, so each
    instrument's scorer runs on them directly."""
    keys = ["episode_id", "instrument", "timepoint", "assessment_date", "duplicate_of_earlier"]
    instruments = pd.Categorical(assessments["instrument"])
    positions, scale_names, scale_codes, scores = [], [], [], []
    for name in pd.unique(instruments.dropna()):
        definition = get_instrument(str(name))
        rows = np.flatnonzero(np.asarray(instruments == name))
        columns = definition.item_columns()
        matrix = assessments.reindex(columns=columns).to_numpy(dtype=float)[rows]
        scored = definition.scorer(matrix)
        positions.append(np.tile(rows, len(scored)))
        scale_codes.append(np.repeat(np.arange(len(scale_names), len(scale_names) + len(scored)), len(rows)))
        scale_names += list(scored)
        scores += [np.asarray(values, dtype=float) for values in scored.values()]
    if not positions:  # no questionnaires (an empty block): the columns, no rows
        positions = scale_codes = scores = [np.zeros(0, dtype=int)]
    out = assessments[keys].take(np.concatenate(positions)).reset_index(drop=True)
    out["instrument"] = _decoded(instruments.codes[np.concatenate(positions)], list(instruments.categories))
    out["scale"] = _decoded(np.concatenate(scale_codes), scale_names)
    out["score"] = np.concatenate(scores).astype(float)
    return out


def _decoded(codes: np.ndarray, names: list[str]) -> pd.Series:
    """``names[code]`` for each code as ``string`` values (missing where the code is -1),
    decoded by Arrow; pandas' ``astype("string")`` of a categorical makes a Python object per row."""
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    decoded = pa.DictionaryArray.from_arrays(indices, pa.array(names, type=pa.large_string())).dictionary_decode()
    return pd.Series(pd.array(decoded, dtype="string"))
