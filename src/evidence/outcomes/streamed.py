"""A whole outcomes extract read block by block: memory follows the block, not the extract.

:func:`clean_streamed` reads each of the three tables (episodes, assessments, PREMs) in
blocks of whole CSV records (:func:`evidence.csv_blocks.csv_blocks`), each block a dask task:
checked as the whole-table path checks it (:mod:`evidence.outcomes.clean`), its keys spilled
in buckets by episode (:mod:`evidence.outcomes.keys`), and, when it has no problems,
pseudonymised and spilled as an uncompressed Arrow file. Episodes come first, since their names
(``ChildName`` and undeclared name columns) are redacted from every comment. The checks that
span blocks (unique episode IDs, every questionnaire matched to an episode, repeated
questionnaires, follow-ups dated before their baseline) then run bucket by bucket, also as dask
tasks. The cleaned tables come back as lazy dask DataFrames over the spilled blocks, written
block by block by :mod:`evidence.ingest`. On a dask.distributed cluster (``evidence ingest
outcomes --scheduler``) the tasks run on its workers, which must see the spill folder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evidence import privacy
from evidence.csv_blocks import CsvBlock, csv_blocks, read_csv_block
from evidence.errors import InputFileError, Problem, PseudonymKeyError, ValidationError
from evidence.outcomes import clean as whole
from evidence.outcomes.assessments import assessment_keys, clean_assessments, follow_up_problems, score_assessments
from evidence.outcomes.blocks import KEEP_DTYPES
from evidence.outcomes.extract_layout import ExtractDefinition
from evidence.outcomes.keys import bucket_count, check_bucket, id_keys, write_keys
from evidence.outcomes.reading import Reading
from evidence.readers import RawTable, give_back_memory, read_raw
from evidence.validation import condensed, masked, names_in

#: The file row of each spilled questionnaire, to set its duplicate flag when read back.
ROW = "__row"


@dataclass(frozen=True)
class BlockTask:
    """What a block's task needs: the block (or, for a table read whole, the ``table``
    itself, already under the fields' names), the renames from the file's headers to the
    fields, the spill files for its cleaned rows and its keys, the number of key buckets, and
    the key (None when no usable key is at hand: the block is then checked only)."""

    block: CsvBlock | None
    renames: dict[str, str]
    part: Path
    keys: Path
    buckets: int
    key: privacy.PseudonymKey | None
    table: RawTable | None = None

    def read(self) -> RawTable:
        """The block's rows under the fields' names; the file is opened by its absolute path (a
        worker of a cluster may run elsewhere), and named in messages as the extract names it."""
        if self.block is None:
            if self.table is None:
                raise ValueError("a block task reads a block of a CSV file, or holds its whole table")
            return self.table
        try:
            raw = read_csv_block(dataclasses.replace(self.block, path=self.block.path.resolve()))
        except InputFileError:  # a block Arrow cannot read: the whole-file reader names the row at fault
            read_raw(self.block.path.resolve())
            raise
        return RawTable(self.block.path, raw.data.rename(columns=self.renames), raw.row_numbers, raw.encoding)


@dataclass
class EpisodeBlock:
    """What an episodes block tells the extract: its problems and rows, the names in it, its
    services (each distinct value with its file rows, for the known-name check), and whether
    every row carries the synthetic-data marker."""

    problems: list[Problem]
    rows: int
    names: set[str]
    services: dict[str, np.ndarray]
    marked: bool


def episode_block(task: BlockTask, reading: Reading, name_columns: list[str], marker: tuple[str, str]) -> EpisodeBlock:
    raw = task.read()
    cleaned, problems = whole.clean_episodes(raw, reading, unique_ids=False)
    problems += privacy.identifier_problems(raw.name, cleaned["service"], raw.row_numbers, "Service")
    names = {str(v) for c in name_columns if c in raw.data for v in raw.data[c].dropna().unique()}
    codes, values = pd.factorize(cleaned["service"].astype(object))
    order = np.argsort(codes, kind="stable")
    rows = np.split(
        raw.row_numbers.to_numpy(dtype=np.int64)[order], np.searchsorted(codes[order], np.arange(1, len(values)))
    )
    write_keys(id_keys(raw.data["EpisodeID"], raw.row_numbers), task.buckets, task.keys)
    if task.key is not None and not problems:
        whole.pseudonymise_episodes(cleaned, raw, task.key, privacy.Pseudonyms.of(raw.data["EpisodeID"], task.key))
        cleaned.reset_index(drop=True).to_feather(task.part, compression="uncompressed")
    found = EpisodeBlock(
        problems, len(raw.data), names, dict(zip(values, rows, strict=True)), whole.marked_synthetic(raw, marker)
    )
    del raw, cleaned
    give_back_memory()
    return found


def prem_block(task: BlockTask, reading: Reading, names: list[str]) -> tuple[list[Problem], int, dict[str, int]]:
    """A PREMs block's problems, rows and redactions (by kind)."""
    raw = task.read()
    cleaned, problems = whole.clean_prems(raw, None, reading)
    keys = id_keys(raw.data["EpisodeID"], raw.row_numbers)
    write_keys(keys, task.buckets, task.keys)
    redactions: dict[str, int] = {}
    if task.key is not None and not problems:
        redactions = whole.finish_prems(cleaned, privacy.Pseudonyms.of(cleaned["episode_id"], task.key), names)
        cleaned.reset_index(drop=True).to_feather(task.part, compression="uncompressed")
    rows = len(raw.data)
    del raw, cleaned
    give_back_memory()
    return problems, rows, redactions


def assessment_block(task: BlockTask, reading: Reading) -> tuple[list[Problem], int]:
    """An assessments block's problems and rows."""
    raw = task.read()
    cleaned, problems = clean_assessments(raw, None, reading)
    keys = assessment_keys(cleaned, raw)
    keys.insert(0, "raw_id", raw.data["EpisodeID"].astype("string").reset_index(drop=True))
    write_keys(keys.rename(columns={"episode_id": "trimmed"}), task.buckets, task.keys)
    if task.key is not None and not problems:
        cleaned["episode_id"] = privacy.Pseudonyms.of(cleaned["episode_id"], task.key).apply(cleaned["episode_id"])
        cleaned[ROW] = raw.row_numbers.to_numpy(dtype=np.int64)
        cleaned.reset_index(drop=True).to_feather(task.part, compression="uncompressed")
    rows = len(raw.data)
    del raw, cleaned, keys
    give_back_memory()
    return problems, rows


def read_part(part: Path) -> pd.DataFrame:
    return pd.read_feather(part)


def episodes_part(part: Path, synthetic: bool) -> pd.DataFrame:
    cleaned = pd.read_feather(part)
    cleaned["synthetic"] = synthetic
    return cleaned


def assessments_part(part: Path, flagged: np.ndarray) -> pd.DataFrame:
    """A spilled assessments block, each row flagged when it repeats an earlier questionnaire
    (``flagged``: the sorted file rows of those that do)."""
    cleaned = pd.read_feather(part)
    cleaned["duplicate_of_earlier"] = np.isin(cleaned.pop(ROW).to_numpy(), flagged)
    return cleaned


def table_blocks(paths: dict[str, Path], block_bytes: int) -> dict[str, list[CsvBlock] | None]:
    """Each table's blocks; None for a table read whole (an .xlsx/.sav file, a CSV that is not
    plainly well formed, one with no rows), the careful way, by :func:`evidence.readers.read_raw`."""
    return {name: csv_blocks(path, block_bytes) or None for name, path in paths.items()}


def clean_streamed(
    folder: str | Path,
    environ: dict[str, str] | None,
    block_bytes: int,
    spill: Path,
    definition: ExtractDefinition,
) -> whole.CleanOutcomes:
    """:func:`evidence.outcomes.clean.clean_extract` of ``folder``, every table read in blocks
    of about ``block_bytes`` bytes (see the module's description), the cleaned blocks waiting
    in ``spill`` (a folder the caller owns and removes). A table that is not plainly
    well-formed CSV is read whole, as one block."""
    import dask

    paths = whole.find_tables(folder, definition)
    blocks = table_blocks(paths, block_bytes)
    reading = Reading(definition)
    raw = whole.read_tables(paths, {name: found[0] for name, found in blocks.items() if found})
    read_whole = [name for name, found in blocks.items() if found is None]
    problems, headers, complete, extra = whole.match_tables(raw, definition, read_whole)
    marker = definition.synthetic_marker
    name_columns = {
        name: [c for c, kind in found.items() if kind == "name"] + (["ChildName"] if name == "episodes" else [])
        for name, found in extra.items()
    }
    key = None
    try:  # the key the data will need if every episode turns out marked synthetic; checked again below
        key = privacy.pseudonym_key(True, environ)
    except PseudonymKeyError:
        pass
    buckets = bucket_count(sum(path.stat().st_size for path in paths.values()))
    tasks = {
        name: [
            BlockTask(
                block,
                {header: target for target, header in headers[raw[name].name].items()},
                spill / f"{name}-{number:06d}.arrow",
                spill / f"{name}-keys-{number:06d}.arrow",
                buckets,
                key,
                None if block else raw[name],
            )
            for number, block in enumerate(blocks[name] or [None])
        ]
        for name in whole.TABLES
    }
    files = {name: table.name for name, table in raw.items()}

    checked = {name: tasks[name] if name in complete else [] for name in whole.TABLES}  # cleaned and keyed
    # one graph: assessments alongside episodes; PREMs once every name is known (they redact
    # comments with them); the buckets once every block has spilled its keys
    delayed = dask.delayed
    episodes = [delayed(episode_block)(task, reading, name_columns["episodes"], marker) for task in checked["episodes"]]
    named = [  # names in a table not cleaned, or in a questionnaire table
        delayed(_names_in_block)(task, columns)
        for name, columns in name_columns.items()
        if columns and (name != "episodes" or name not in complete)
        for task in tasks[name]
    ]
    names = delayed(_all_names)(episodes, named)
    assessed = [delayed(assessment_block)(task, reading) for task in checked["assessments"]]
    prems = [delayed(prem_block)(task, reading, names) for task in checked["prems"]]
    keys = {name: [task.keys for task in found] for name, found in checked.items()}
    spilled = delayed(_all_done)(episodes, assessed, prems)
    buckets_checked = [
        delayed(check_bucket)(n, keys["episodes"], keys["assessments"], keys["prems"], files, spilled)
        for n in range(buckets)
    ]
    episodes, names, assessed, prems, buckets_checked = dask.compute(episodes, names, assessed, prems, buckets_checked)

    for found in episodes:
        problems += found.problems
    problems += _service_name_problems(episodes, names, files["episodes"])
    for found, _ in assessed:
        problems += found
    for found, _, _ in prems:
        problems += found
    for found, _, _, _ in buckets_checked:
        problems += found
    early = pd.concat([e for _, _, e, _ in buckets_checked if len(e)] or [pd.DataFrame()], ignore_index=True)
    if len(early):
        early = early.sort_values("row", kind="stable").reset_index(drop=True)
    problems += follow_up_problems(early, sum(c for _, _, _, c in buckets_checked), files["assessments"])
    rows_in = {
        "episodes": sum(found.rows for found in episodes),
        "assessments": sum(rows for _, rows in assessed),
        "prems": sum(rows for _, rows, _ in prems),
    }
    for name in whole.TABLES:
        if name in complete and not rows_in[name]:
            problems.append(Problem(files[name], None, None, None, "the table has a header but no rows"))
    if problems:
        raise ValidationError(
            masked(whole.as_in_file(condensed(problems), headers), names),
            "Correct the extract (the raw files are unchanged) and ingest again.",
        )

    synthetic = bool(episodes) and all(found.marked for found in episodes)
    final = privacy.pseudonym_key(synthetic, environ)  # no usable key: an error, after the problems
    assert key == final, "the key the blocks were pseudonymised with is the run's key"
    flagged = np.sort(np.concatenate([f for _, f, _, _ in buckets_checked] or [np.zeros(0, dtype=np.int64)]))
    redactions: dict[str, int] = {}
    for _, _, counts in prems:
        for kind, count in counts.items():
            redactions[kind] = redactions.get(kind, 0) + count
    episodes_table, assessments_table, scores_table, prems_table = _lazy_tables(tasks, synthetic, flagged)
    return whole.CleanOutcomes(
        episodes_table,
        assessments_table,
        scores_table,
        prems_table,
        synthetic,
        {name: table.encoding for name, table in raw.items()},
        {
            "rule": "same episode, instrument and timepoint; the first row is used, later ones flagged",
            "flagged": len(flagged),
        },
        redactions,
        final.origin,
        {name: list(found) for name, found in extra.items() if found},
        rows_in,
        paths,
        definition,
        [c for c in whole.DIRECT_IDENTIFIERS if c in raw["episodes"].data],
    )


def _all_names(episodes: list[EpisodeBlock], named: list[set[str]]) -> list[str]:
    """Every name of the extract, each once, in order (for redaction and masking)."""
    return sorted(set().union(*(found.names for found in episodes), *named))


def _all_done(*results) -> None:
    """Nothing: a task that waits for every block's task (the buckets read their keys' files)."""


def _names_in_block(task: BlockTask, columns: list[str]) -> set[str]:
    data = task.read().data
    return {str(v) for c in columns if c in data for v in data[c].dropna().unique()}


def _service_name_problems(episodes: tuple[EpisodeBlock, ...], names: set[str], file: str) -> list[Problem]:
    """The rows whose service holds a known name (a child's name from any block); services
    holding another kind of identifier were reported by their block."""
    rows: dict[str, list[np.ndarray]] = {}
    for found in episodes:
        for value, found_rows in found.services.items():
            rows.setdefault(value, []).append(found_rows)
    hits = names_in(rows, names)
    named = [v for v in rows if privacy.identifier_kind(v) is None and privacy.identifier_kind(v, hits) == "name"]
    if not hits or not named:
        return []
    numbers = np.concatenate([part for value in named for part in rows[value]])
    values = np.repeat(np.array(named, dtype=object), [sum(len(part) for part in rows[value]) for value in named])
    order = np.argsort(numbers, kind="stable")
    return privacy.identifier_problems(
        file, pd.Series(values[order], dtype="string"), pd.Series(numbers[order]), "Service", hits
    )


def _lazy_tables(tasks: dict[str, list[BlockTask]], synthetic: bool, flagged: np.ndarray):
    """The cleaned episodes, assessments, scores and PREMs as lazy dask DataFrames over the
    spilled blocks (one partition per block)."""
    import dask
    import dask.dataframe as dd

    parts = {name: [task.part for task in found] for name, found in tasks.items()}
    with dask.config.set(KEEP_DTYPES):
        episodes = dd.from_map(
            episodes_part,
            parts["episodes"],
            synthetic=synthetic,
            meta=episodes_part(parts["episodes"][0], synthetic).iloc[:0],
            label="outcome-episodes",
            enforce_metadata=False,
        )
        example = assessments_part(parts["assessments"][0], flagged).head(100)  # the tables' shape
        assessments = dd.from_map(
            assessments_part,
            parts["assessments"],
            flagged=flagged,
            meta=example.iloc[:0],
            label="outcome-assessments",
            enforce_metadata=False,
        )
        scores = assessments.map_partitions(score_assessments, meta=score_assessments(example).iloc[:0])
        prems = dd.from_map(
            read_part,
            parts["prems"],
            meta=read_part(parts["prems"][0]).iloc[:0],
            label="outcome-prems",
            enforce_metadata=False,
        )
    return episodes, assessments, scores, prems
