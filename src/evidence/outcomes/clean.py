"""Outcome records: cleaning an episode-level extract of children's OT care.

An extract is a folder of three tables (each ``.csv``, ``.xlsx`` or ``.sav``):

* ``episodes``: one row per episode of care - IDs, the child's details, service, primary need,
  tier, referral / assessment / discharge dates, contacts and staff minutes by Agenda for
  Change band;
* ``assessments``: one row per questionnaire - episode, instrument, timepoint (baseline or
  follow-up), date, and item codes ``Item1``..``Item30`` scored by item number;
* ``prems``: one row per experience questionnaire - episode, date, Friends and Family Test
  answer, five experience items, free-text comment.

Every problem in all three tables is collected and reported together (file, row, column,
value, rule). Child and episode IDs are pseudonymised; names, NHS numbers, postcodes and dates
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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from evidence import privacy
from evidence.errors import InputFileError, Problem, PseudonymKeyError, ValidationError
from evidence.files import sha256_file
from evidence.instruments import get_instrument
from evidence.instruments.prem import EXPERIENCE
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
    check_required_columns,
    is_in,
    problems_at,
    to_category,
    to_datetime,
    to_integer,
)

TABLES = ("episodes", "assessments", "prems")
ITEM_COLUMNS = [f"Item{i}" for i in range(1, 31)]
DATE_FORMAT, DATE_WORDS = "%d/%m/%Y", "DD/MM/YYYY"
SYNTHETIC_MARKER = ("DataLabel", "SYNTHETIC")
DIRECT_IDENTIFIERS = ("NHSNumber", "ChildName", "DateOfBirth", "Postcode")
REQUIRED = {
    "episodes": ["EpisodeID", "ChildID", "NHSNumber", "ChildName", "DateOfBirth", "Sex", "Postcode",
                 "IMDDecile", "Service", "PrimaryNeed", "Tier", "ReferralDate", "AssessmentDate",
                 "DischargeDate", "Contacts", "Band5Minutes", "Band6Minutes", "Band7Minutes",
                 "Band8aMinutes"],
    "assessments": ["EpisodeID", "Instrument", "Timepoint", "AssessmentDate", *ITEM_COLUMNS],
    "prems": ["EpisodeID", "CompletedDate", "FFT", "Exp1", "Exp2", "Exp3", "Exp4", "Exp5", "Comment"],
}
BANDS = {"Band5Minutes": "band5", "Band6Minutes": "band6", "Band7Minutes": "band7", "Band8aMinutes": "band8a"}


@dataclass
class CleanOutcomes:
    """A cleaned extract. ``assessments`` and ``scores`` are dask DataFrames (computed when
    written) when the extract was cleaned block by block, pandas DataFrames otherwise;
    ``rows_in`` counts the raw rows of each table and ``sources`` names its file."""

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


def find_tables(folder: str | Path) -> dict[str, Path]:
    """The three table files in ``folder`` (by name, any supported suffix)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: an outcomes extract is a folder holding "
                             f"{', '.join(TABLES)} (each {'/'.join(SUPPORTED_SUFFIXES)})")
    found = {}
    for table in TABLES:
        matches = [folder / f"{table}{s}" for s in SUPPORTED_SUFFIXES if (folder / f"{table}{s}").is_file()]
        if len(matches) != 1:
            raise InputFileError(f"{folder}: expected exactly one {table} file "
                                 f"({' or '.join(table + s for s in SUPPORTED_SUFFIXES)}), found {len(matches)}")
        found[table] = matches[0]
    return found


def _missing(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "")


def _clean_episodes(raw: RawTable) -> tuple[pd.DataFrame, list[Problem]]:
    data = raw.data
    problems: list[Problem] = []
    out: dict[str, object] = {}
    for column in ("EpisodeID", "ChildID", "Service"):
        problems += problems_at(raw, _missing(data[column]), column, data[column], "a value is required")
    repeated = data["EpisodeID"].duplicated(keep=False) & ~_missing(data["EpisodeID"])
    problems += problems_at(raw, repeated, "EpisodeID", data["EpisodeID"],
                            "episode IDs must be unique; the same ID appears on another row")
    for column, scale, name in (("Sex", "sex", "sex"), ("PrimaryNeed", "need", "primary_need"),
                                ("Tier", "tier", "tier")):
        out[name], found = to_category(raw, column, data[column], _missing(data[column]), scale,
                                       ordered=scale == "tier")
        problems += found
    out["imd_decile"], found = to_integer(raw, "IMDDecile", data["IMDDecile"], _missing(data["IMDDecile"]), 1, 10)
    problems += found
    out["service"] = data["Service"].str.strip().str.replace(r"\s+", " ", regex=True)
    dates = {}
    for column in ("DateOfBirth", "ReferralDate", "AssessmentDate", "DischargeDate"):
        dates[column], found = to_datetime(raw, column, data[column], _missing(data[column]),
                                           DATE_FORMAT, DATE_WORDS)
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


def _clean_assessments(raw: RawTable, episode_ids: pa.Array) -> tuple[pd.DataFrame, list[Problem]]:
    data = raw.data
    problems: list[Problem] = []
    unknown = ~is_in(data["EpisodeID"], episode_ids)
    problems += problems_at(raw, unknown, "EpisodeID", data["EpisodeID"],
                            "no episode with this ID in the episodes table")
    instrument, found = to_category(raw, "Instrument", data["Instrument"], _missing(data["Instrument"]), "instrument")
    problems += found + problems_at(raw, _missing(data["Instrument"]), "Instrument", data["Instrument"],
                                    "an instrument is required")
    timepoint, found = to_category(raw, "Timepoint", data["Timepoint"], _missing(data["Timepoint"]), "timepoint",
                                   ordered=True)
    problems += found + problems_at(raw, _missing(data["Timepoint"]), "Timepoint", data["Timepoint"],
                                    "a timepoint is required")
    date, found = to_datetime(raw, "AssessmentDate", data["AssessmentDate"], _missing(data["AssessmentDate"]),
                              DATE_FORMAT, DATE_WORDS)
    problems += found
    items = _items(data, "Item", 30)
    instrument_names = pd.Series(instrument, index=data.index).astype("string")
    for name in instrument_names.dropna().unique():
        definition = get_instrument(name)
        rows = (instrument_names == name).fillna(False).to_numpy()
        subset = items[rows]
        problems += definition.validate(subset, raw.name, raw.row_numbers[rows], source_prefix="Item")
        extra = subset.iloc[:, definition.n_items:].notna().any(axis=1)
        for position in np.flatnonzero(extra.to_numpy()):
            column = subset.columns[definition.n_items:][subset.iloc[position, definition.n_items:].notna().to_numpy()][0]
            problems.append(Problem(raw.name, int(raw.row_numbers[rows].iloc[position]),
                                    column.replace("item_", "Item"), subset.iloc[position][column],
                                    f"{name} has {definition.n_items} items; this item must be blank"))
    numeric = items.apply(as_numbers)
    out = pd.DataFrame({"episode_id": data["EpisodeID"].str.strip(), "instrument": instrument,
                        "timepoint": timepoint, "assessment_date": date}, index=data.index)
    out = pd.concat([out, numeric], axis=1)
    out["duplicate_of_earlier"] = out.duplicated(["episode_id", "instrument", "timepoint"], keep="first").to_numpy()
    return out, problems


def _clean_prems(raw: RawTable, episode_ids: pa.Array) -> tuple[pd.DataFrame, list[Problem]]:
    data = raw.data
    problems = problems_at(raw, ~is_in(data["EpisodeID"], episode_ids), "EpisodeID", data["EpisodeID"],
                           "no episode with this ID in the episodes table")
    fft, found = to_category(raw, "FFT", data["FFT"], _missing(data["FFT"]), "fft", ordered=True)
    problems += found
    date, found = to_datetime(raw, "CompletedDate", data["CompletedDate"], _missing(data["CompletedDate"]),
                              DATE_FORMAT, DATE_WORDS)
    problems += found
    items = _items(data, "Exp", 5)
    problems += EXPERIENCE.validate(items, raw.name, raw.row_numbers, source_prefix="Exp")
    numeric = items.apply(as_numbers)
    out = pd.DataFrame({"episode_id": data["EpisodeID"].str.strip(), "completed_date": date, "fft": fft},
                       index=data.index)
    out = pd.concat([out, numeric], axis=1)
    out["comment"] = data["Comment"].where(~_missing(data["Comment"]))
    return out, problems


def clean_extract(folder: str | Path, environ: dict[str, str] | None = None,
                  block_bytes: int | None = None, spill: str | Path | None = None) -> CleanOutcomes:
    """Validate, type, score and de-identify an outcomes extract folder.

    With ``block_bytes``, the assessments table (the long one: one row per questionnaire) is
    read and cleaned in blocks of about that many bytes through ``dask.dataframe`` rather
    than loaded whole: every block is checked first (all problems reported together, file
    row numbers as in the whole-file path), duplicates are found across blocks from their
    keys, and ``assessments`` and ``scores`` come back as lazy dask DataFrames that a writer
    computes block by block, so memory is bounded by the blocks in flight, not the file.
    Episodes and experience questionnaires (one row per episode at most) are read whole.
    A CSV that is not plainly well formed, and .xlsx/.sav, are read whole either way.

    The block-wise path needs ``spill``, a folder the caller owns and removes (the ingest uses
    a temporary folder inside the output folder): each block is read and cleaned once, and
    while the problems of later blocks are still being gathered, the cleaned block waits there,
    already pseudonymised; the lazy tables read those parts back. Without a usable
    pseudonymisation key nothing is kept, and the missing key is reported after the problems,
    as in the whole-file path."""
    if block_bytes and spill is None:
        raise ValueError("block-wise cleaning needs a spill folder for the cleaned blocks")
    paths = find_tables(folder)
    blocks = csv_blocks(paths["assessments"], block_bytes) if block_bytes else None
    raw = {name: read_raw(path) for name, path in paths.items() if not (blocks and name == "assessments")}
    if blocks:
        raw["assessments"] = _header_only(blocks[0])
    for name, table in raw.items():
        check_required_columns(table, REQUIRED[name], f"Extract the {name} table again with every column.")
        if table.data.empty and not (blocks and name == "assessments"):
            raise ValidationError([Problem(table.name, None, None, None, "the table has a header but no rows")])
    extra = {name: privacy.identifier_columns(table.data.columns, [*REQUIRED[name], SYNTHETIC_MARKER[0]])
             for name, table in raw.items()}
    names = pd.concat([raw["episodes"].data["ChildName"]]
                      + [raw[name].data[c] for name, found in extra.items()
                         for c, kind in found.items() if kind == "name"]).dropna()
    episodes, problems = _clean_episodes(raw["episodes"])
    problems += privacy.identifier_problems(raw["episodes"].name, episodes["service"],
                                            raw["episodes"].row_numbers, "Service", names)
    ids = pa.array(raw["episodes"].data["EpisodeID"].dropna().unique(), type=pa.string())
    synthetic = _marked_synthetic(raw["episodes"])
    rows_in = {name: len(table.data) for name, table in raw.items()}
    if blocks:
        early_key = None
        with contextlib.suppress(PseudonymKeyError):  # reported below, after the problems
            early_key = privacy.pseudonym_key(synthetic, environ)
        checked = _BlockwiseAssessments(blocks, _Shared(ids, sha256_file(paths["episodes"])), early_key, Path(spill))
        problems += checked.problems
        rows_in["assessments"] = checked.rows  # not the header-only table's 0
    else:
        assessments, found = _clean_assessments(raw["assessments"], ids)
        problems += found
    prems, found = _clean_prems(raw["prems"], ids)
    problems += found
    if problems:
        raise ValidationError(privacy.masked_problems(problems, names),
                              "Correct the extract (the raw files are unchanged) and ingest again.")
    if not rows_in["assessments"]:
        raise ValidationError([Problem(raw["assessments"].name, None, None, None,
                                       "the table has a header but no rows")])

    key = privacy.pseudonym_key(synthetic, environ)
    episode_pseudonym = dict(zip(raw["episodes"].data["EpisodeID"].str.strip(),
                                 privacy.pseudonymise(raw["episodes"].data["EpisodeID"], key), strict=True))
    episodes.insert(0, "child_id", privacy.pseudonymise(raw["episodes"].data["ChildID"], key))
    episodes.insert(0, "episode_id", raw["episodes"].data["EpisodeID"].str.strip().map(episode_pseudonym))
    prems["episode_id"] = prems["episode_id"].map(episode_pseudonym)
    prems["comment"], redactions = privacy.redact_free_text(prems["comment"], names)
    prems["experience"] = EXPERIENCE.score(prems[[f"item_{i}" for i in range(1, 6)]])["experience"]
    episodes["synthetic"] = synthetic

    if blocks:
        assessments, scores, flagged = checked.cleaned(key)
    else:
        assessments["episode_id"] = assessments["episode_id"].map(episode_pseudonym)
        assessments = assessments.reset_index(drop=True)
        scores = score_assessments(assessments)
        flagged = int(assessments["duplicate_of_earlier"].sum())
    duplicates = {"rule": "same episode, instrument and timepoint; the first row is used, later ones flagged",
                  "flagged": flagged}
    return CleanOutcomes(episodes.reset_index(drop=True), assessments, scores,
                         prems.reset_index(drop=True), synthetic, raw, duplicates, redactions, key.origin,
                         {name: list(found) for name, found in extra.items() if found}, rows_in, paths)


def _marked_synthetic(episodes: RawTable) -> bool:
    """Whether every episode carries the synthetic-data marker."""
    column, value = SYNTHETIC_MARKER
    marker = episodes.data.get(column)
    return marker is not None and bool((marker.astype("string").str.strip() == value).all())


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

    def __init__(self, blocks: list[CsvBlock], ids: _Shared, key: privacy.PseudonymKey | None, folder: Path):
        import dask

        self.key = key
        self.parts = [folder / f"block-{number:06d}.parquet" for number in range(len(blocks))]
        checked = dask.compute(*[dask.delayed(_check_block)(block, ids, key, part)
                                 for block, part in zip(blocks, self.parts, strict=True)])
        self.problems = [problem for _, _, found in checked for problem in found]
        self.rows = sum(len(keys) for keys, _, _ in checked)
        keys = pd.concat([keys for keys, _, _ in checked], ignore_index=True)
        later = keys.duplicated(keep="first").to_numpy()
        self.flags = np.split(later, np.cumsum([len(keys) for keys, _, _ in checked])[:-1])
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


def _check_block(block: CsvBlock, ids: _Shared, key: privacy.PseudonymKey | None,
                 part: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """A block's duplicate keys (one row per raw row), first cleaned rows, and problems; with
    a ``key``, a block without problems is also written to ``part``, pseudonymised."""
    cleaned, problems = _clean_assessments(read_csv_block(block), ids.value)
    keys, example = cleaned[["episode_id", "instrument", "timepoint"]], cleaned.head(100)
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
    duplicate_of_earlier, scale, score (one row per questionnaire and scale)."""
    keys = ["episode_id", "instrument", "timepoint", "assessment_date", "duplicate_of_earlier"]
    frames = []
    for name in assessments["instrument"].dropna().unique():
        definition = get_instrument(str(name))
        rows = assessments[assessments["instrument"] == name]
        scored = definition.score(rows[definition.item_columns()])
        long = pd.concat([rows[keys], scored], axis=1).melt(id_vars=keys, var_name="scale", value_name="score")
        frames.append(long)
    if not frames:  # no questionnaires (an empty block): the columns, no rows
        frames.append(assessments[keys].assign(scale=pd.Series(dtype="string"), score=pd.Series(dtype="float64")))
    out = pd.concat(frames, ignore_index=True)
    out["instrument"] = out["instrument"].astype("string")
    out["scale"] = out["scale"].astype("string")
    return out
