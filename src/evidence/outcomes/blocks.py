"""The assessments table cleaned block by block, and the streamed writing of what it makes.

:func:`evidence.outcomes.clean.clean_extract` reads the long table (one row per questionnaire)
in blocks of whole CSV records (:func:`evidence.csv_blocks.csv_blocks`) through dask: every block is
checked (all problems reported together, with the file's row numbers), duplicates and follow-ups
dated before their baseline are found across blocks from compact keys, and each cleaned block
waits in a spill folder, already pseudonymised, as an uncompressed Arrow file. The cleaned and
scored tables are lazy dask DataFrames over those blocks, which :func:`write_streamed` writes
block by block, in order, into parquet row groups of the size pandas' ``to_parquet`` uses, so
memory is bounded by the blocks in flight and the files are those a whole-table write makes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from evidence.csv_blocks import CsvBlock, read_csv_block
from evidence.errors import Problem
from evidence.outcomes.assessments import (
    assessment_keys,
    clean_assessments,
    follow_up_before_baseline,
    score_assessments,
)
from evidence.outcomes.reading import Reading
from evidence.readers import RawTable, check_header, give_back_memory

if TYPE_CHECKING:
    import dask.dataframe as dd

#: Rows per parquet row group: pyarrow's default, which ``DataFrame.to_parquet`` uses.
ROW_GROUP_ROWS = 1 << 20
#: dask turns text columns into its own string dtype unless told not to; the tables keep pandas'
#: (the dtypes of the whole-table path, and so the same files).
KEEP_DTYPES = {"dataframe.convert-string": False}
#: Blocks cleaned or written at once (each a few hundred MB at 32 MiB of CSV).
BLOCKS_IN_FLIGHT = 2


def header_only(block: CsvBlock) -> RawTable:
    """A block's file as a table with its header and no rows (for the column checks), the
    header checked as :func:`evidence.readers.read_raw` checks it."""
    table = RawTable(
        block.path, pd.DataFrame(columns=list(block.header), dtype="string"), pd.Series([], dtype="int64"), "utf-8-sig"
    )
    check_header(table)
    return table


class Shared:
    """A large value every block needs (the episode IDs, their pseudonyms), with a cheap dask
    token (the episodes file's hash) so that dask does not hash millions of IDs to name tasks."""

    def __init__(self, value, token: str):
        self.value, self.token = value, token

    def __dask_tokenize__(self) -> str:
        return self.token


class BlockwiseAssessments:
    """The assessments table of an extract, cleaned block by block.

    Construction checks every block (in parallel through dask) and keeps the problems, the row
    count and the duplicate keys; with ``pseudonyms`` (the episodes' IDs and pseudonyms, when a
    key is at hand) it also writes each cleaned block without problems to ``folder``,
    pseudonymised. :meth:`cleaned` returns the lazy cleaned and scored tables, read back from
    those blocks. ``ids`` are the episodes' IDs as written (for the match check) and ``known``
    the same IDs trimmed, each once (the keys name an episode by its position there)."""

    def __init__(
        self,
        blocks: list[CsvBlock],
        ids: Shared,
        known: Shared,
        pseudonyms: Shared | None,
        folder: Path,
        reading: Reading,
        headers: dict[str, str],
    ):
        import dask

        self.parts = [folder / f"block-{number:06d}.arrow" for number in range(len(blocks))]
        renames = {header: target for target, header in headers.items()}
        checked = dask.compute(
            *[
                dask.delayed(check_block)(block, ids, known, pseudonyms, part, reading, renames)
                for block, part in zip(blocks, self.parts, strict=True)
            ]
        )
        self.problems = [problem for _, _, found in checked for problem in found]
        self.rows = sum(len(keys) for keys, _, _ in checked)
        keys = _joined_keys([keys for keys, _, _ in checked], len(known.value))
        later = keys.duplicated(["episode_id", "instrument", "timepoint"], keep="first").to_numpy()
        self.flags = np.split(later, np.cumsum([len(keys) for keys, _, _ in checked])[:-1])
        self.problems += follow_up_before_baseline(keys, str(blocks[0].path))
        self.example = checked[0][1]  # a few cleaned rows of the first block: the tables' shape
        self.pseudonyms = pseudonyms

    def cleaned(self):
        """The cleaned assessments and their scores (lazy dask DataFrames, one partition per
        block), and the number of questionnaires flagged as duplicates."""
        import dask
        import dask.dataframe as dd

        if self.problems or self.pseudonyms is None:  # clean_extract raises before it gets here
            raise RuntimeError("the cleaned blocks were not kept (problems found, or no key when checked)")
        example = self.example.assign(episode_id=self.pseudonyms.value.apply(self.example["episode_id"]))
        with dask.config.set(KEEP_DTYPES):
            assessments = dd.from_map(
                kept_block,
                self.parts,
                self.flags,
                meta=example.iloc[:0],
                label="outcome-assessments",
                enforce_metadata=False,
            )
            scores = assessments.map_partitions(score_assessments, meta=score_assessments(example).iloc[:0])
        return assessments, scores, int(sum(flags.sum() for flags in self.flags))


def check_block(
    block: CsvBlock,
    ids: Shared,
    known: Shared,
    pseudonyms: Shared | None,
    part: Path,
    reading: Reading,
    renames: dict[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """A block's compact keys (see :func:`_compact_keys`; one row per raw row), first cleaned
    rows, and problems; with ``pseudonyms``, a block without problems is also written to
    ``part``, pseudonymised. ``renames`` maps the file's headers to the fields they name."""
    raw = read_csv_block(block)
    raw = RawTable(raw.path, raw.data.rename(columns=renames), raw.row_numbers, raw.encoding)
    cleaned, problems = clean_assessments(raw, ids.value, reading)
    keys, example = _compact_keys(assessment_keys(cleaned, raw), known.value), cleaned.head(100)
    if pseudonyms is not None and not problems:
        cleaned["episode_id"] = pseudonyms.value.apply(cleaned["episode_id"])
        cleaned.reset_index(drop=True).to_feather(part, compression="uncompressed")
    return keys, example, problems


def _compact_keys(keys: pd.DataFrame, known: pa.Array) -> pd.DataFrame:
    """Keys small enough to hold for ten million rows (about 20 bytes a row): the episode as its
    position among the ``known`` IDs (an ID not among them, a problem already, is kept as text
    in an ``unknown_episode`` column, there only when the block has one), the date's text as a
    categorical, the row as 32 bits."""
    position = pc.index_in(pa.array(keys["episode_id"].array), value_set=known)
    compact = keys.assign(
        episode_id=pd.array(position, dtype="Int32"),
        value=pd.Categorical(keys["value"]),
        row=keys["row"].astype(np.int32),
    )
    unknown = compact["episode_id"].isna() & keys["episode_id"].notna()
    if unknown.any():
        compact["unknown_episode"] = keys["episode_id"].where(unknown)
    return compact


def _joined_keys(parts: list[pd.DataFrame], known: int) -> pd.DataFrame:
    """The blocks' compact keys as one table, an unknown episode ID numbered after the known."""
    values = pd.api.types.union_categoricals([part["value"] for part in parts])
    keys = pd.concat(
        [part.drop(columns=["value", "unknown_episode"], errors="ignore") for part in parts], ignore_index=True
    )
    keys["value"] = values
    if any("unknown_episode" in part for part in parts):
        unknown = pd.concat(
            [
                part["unknown_episode"]
                if "unknown_episode" in part
                else pd.Series(pd.NA, index=part.index, dtype="string")
                for part in parts
            ],
            ignore_index=True,
        )
        codes, _ = pd.factorize(unknown)
        keys["episode_id"] = keys["episode_id"].astype("Int64")
        keys.loc[codes >= 0, "episode_id"] = codes[codes >= 0] + known
    return keys


def kept_block(part: Path, later: np.ndarray) -> pd.DataFrame:
    """A block written by :func:`check_block`, with its rows' duplicate flags across blocks."""
    cleaned = pd.read_feather(part)
    cleaned["duplicate_of_earlier"] = later
    return cleaned


class RowGroupWriter:
    """A parquet file written from tables given in order. With ``regroup``, in row groups of
    :data:`ROW_GROUP_ROWS` rows (the last one shorter): the file ``DataFrame.to_parquet`` makes
    of all of them at once, without holding them all (but up to a row group of them: about
    250 MB of assessments); without, each table as it comes (its own row groups, the same
    table when read)."""

    def __init__(self, path: Path, regroup: bool = True):
        self.path, self.regroup, self.rows = path, regroup, 0
        self.writer: pq.ParquetWriter | None = None
        self.waiting: list[pa.Table] = []

    def add(self, table: pa.Table) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.waiting.append(table)
        self.rows += len(table)
        if not self.regroup or sum(len(t) for t in self.waiting) >= ROW_GROUP_ROWS:
            self._flush(final=not self.regroup)

    def close(self) -> None:
        self._flush(final=True)
        if self.writer is not None:
            self.writer.close()

    def _flush(self, final: bool) -> None:
        if not self.waiting or self.writer is None:  # nothing added yet
            return
        table = pa.concat_tables(self.waiting)
        whole = len(table) if final else len(table) - len(table) % ROW_GROUP_ROWS
        for start in range(0, whole, ROW_GROUP_ROWS):
            # a row group made of several blocks' chunks is written as one array would be (same bytes)
            self.writer.write_table(table.slice(start, ROW_GROUP_ROWS), row_group_size=ROW_GROUP_ROWS)
        self.waiting = [table.slice(whole)] if whole < len(table) else []


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A pandas table as ``DataFrame.to_parquet(index=False)`` hands it to Arrow."""
    return pa.Table.from_pandas(frame, preserve_index=False)


class ScoresInTableOrder:
    """The scores of each block, kept aside until all are made, then laid out as scoring the
    whole table lays them out: instrument by instrument (in order of first appearance), scale by
    scale, every block's rows in turn. Each block's scores are already grouped so (see
    :func:`~evidence.outcomes.assessments.score_assessments`); each run of one instrument and
    scale is one record batch of an Arrow file in ``folder``, read back alone."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.blocks: list[tuple[Path, dict[tuple[str, str], int]]] = []
        self.order: dict[str, dict[str, None]] = {}  # instrument -> its scales, in first-seen order

    def add(self, table: pa.Table) -> None:
        instrument = table.column("instrument").to_numpy(zero_copy_only=False)
        scale = table.column("scale").to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(np.r_[True, (instrument[1:] != instrument[:-1]) | (scale[1:] != scale[:-1])])
        path = self.folder / f"scores-{len(self.blocks):06d}.arrow"
        runs: dict[tuple[str, str], int] = {}
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            for number, (start, stop) in enumerate(zip(starts, [*starts[1:], len(table)], strict=True)):
                writer.write_batch(table.slice(start, stop - start).combine_chunks().to_batches()[0])
                key = (str(instrument[start]), str(scale[start]))
                runs[key] = number
                self.order.setdefault(key[0], {})[key[1]] = None
        self.blocks.append((path, runs))

    def write_to(self, writer: RowGroupWriter) -> None:
        for instrument, scales in self.order.items():
            for scale in scales:
                for path, runs in self.blocks:
                    if (instrument, scale) in runs:
                        with pa.OSFile(str(path)) as source:
                            batch = pa.ipc.open_file(source).get_batch(runs[(instrument, scale)])
                            writer.add(pa.Table.from_batches([batch]))


def write_streamed_table(frame: dd.DataFrame, path: Path, regroup: bool = True) -> int:
    """Write a lazy table (a dask DataFrame) to ``path`` as :func:`write_streamed` writes the
    assessments, :data:`BLOCKS_IN_FLIGHT` partitions computed at a time; return its rows."""
    import dask

    writer = RowGroupWriter(path, regroup)
    parts = frame.to_delayed()
    try:
        for start in range(0, len(parts), BLOCKS_IN_FLIGHT):
            with dask.config.set(KEEP_DTYPES):
                window = dask.compute(*parts[start : start + BLOCKS_IN_FLIGHT])
            for part in window:
                writer.add(arrow_table(part))
            del window
            give_back_memory()
        if writer.writer is None:
            writer.add(arrow_table(frame._meta))
    finally:
        writer.close()
    return writer.rows


def write_streamed(
    assessments: dd.DataFrame, scores: dd.DataFrame, paths: tuple[Path, Path], spill: Path, regroup: bool = True
) -> tuple[int, int]:
    """Write the lazy cleaned assessments and their scores (dask DataFrames of the same
    partitions) to ``paths``, :data:`BLOCKS_IN_FLIGHT` partitions computed at a time and
    assessments added in order. With ``regroup`` the files are those a whole-table write makes
    (row groups: :class:`RowGroupWriter`; the scores' order: :class:`ScoresInTableOrder`, kept
    aside in ``spill``); without, each block's rows are written as they come. Return the row
    counts. A table whose partitions hold no rows still gets its file (its ``_meta``'s schema)."""
    import dask

    writers = RowGroupWriter(paths[0], regroup), RowGroupWriter(paths[1], regroup)
    aside = ScoresInTableOrder(spill) if regroup else None
    parts = assessments.to_delayed(), scores.to_delayed()
    try:
        for start in range(0, len(parts[0]), BLOCKS_IN_FLIGHT):
            with dask.config.set(KEEP_DTYPES):
                window = dask.compute([delayed[start : start + BLOCKS_IN_FLIGHT] for delayed in parts])[0]
            for assessed, scored in zip(*window, strict=True):
                writers[0].add(arrow_table(assessed))
                if len(scored) and aside is not None:
                    aside.add(arrow_table(scored))
                elif len(scored):
                    writers[1].add(arrow_table(scored))
            del window, assessed, scored
            give_back_memory()
        if aside is not None:
            aside.write_to(writers[1])
        for writer, table in zip(writers, (assessments, scores), strict=True):
            if writer.writer is None:
                writer.add(arrow_table(table._meta))
    finally:
        for writer in writers:
            writer.close()
    return writers[0].rows, writers[1].rows
