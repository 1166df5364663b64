"""The streamed writing of tables cleaned block by block (:mod:`evidence.outcomes.streamed`).

The cleaned tables are lazy dask DataFrames over blocks spilled to disk, which
:func:`write_streamed` and :func:`write_streamed_table` write block by block, in order: into
parquet row groups of the size pandas' ``to_parquet`` uses (the scores laid out as a whole-table
scoring lays them out), so that the files are those a whole-table write makes, or, to hold
less, each block's rows as they come. Memory is bounded by the blocks in flight.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from evidence.csv_blocks import CsvBlock
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


def computed_partitions(*frames: dd.DataFrame) -> Iterator[tuple[pd.DataFrame, ...]]:
    """The partitions of lazy tables of the same partitions, in order, one of each at a time;
    :data:`BLOCKS_IN_FLIGHT` are computed together (one dask compute, so tables made from the
    same blocks read them once), and the memory of each window is given back before the next."""
    import dask

    parts = [frame.to_delayed() for frame in frames]
    for start in range(0, len(parts[0]), BLOCKS_IN_FLIGHT):
        with dask.config.set(KEEP_DTYPES):
            window = dask.compute([delayed[start : start + BLOCKS_IN_FLIGHT] for delayed in parts])[0]
        yield from zip(*window, strict=True)
        del window
        give_back_memory()


def give_schema(writer: RowGroupWriter, frame: dd.DataFrame) -> None:
    """A table whose partitions held no rows still gets its file: the schema of the lazy
    table's ``_meta``, no rows."""
    if writer.writer is None:
        writer.add(arrow_table(frame._meta))


def write_streamed_table(frame: dd.DataFrame, path: Path, regroup: bool = True) -> int:
    """Write a lazy table (a dask DataFrame) to ``path`` as :func:`write_streamed` writes the
    assessments; return its rows."""
    writer = RowGroupWriter(path, regroup)
    try:
        for (part,) in computed_partitions(frame):
            writer.add(arrow_table(part))
        give_schema(writer, frame)
    finally:
        writer.close()
    return writer.rows


def write_streamed(
    assessments: dd.DataFrame, scores: dd.DataFrame, paths: tuple[Path, Path], spill: Path, regroup: bool = True
) -> tuple[int, int]:
    """Write the lazy cleaned assessments and their scores (dask DataFrames of the same
    partitions) to ``paths``, assessments added in order (:func:`computed_partitions`). With
    ``regroup`` the files are those a whole-table write makes (row groups:
    :class:`RowGroupWriter`; the scores' order: :class:`ScoresInTableOrder`, kept aside in
    ``spill``); without, each block's rows are written as they come. Return the row counts."""
    writers = RowGroupWriter(paths[0], regroup), RowGroupWriter(paths[1], regroup)
    aside = ScoresInTableOrder(spill) if regroup else None
    try:
        for assessed, scored in computed_partitions(assessments, scores):
            writers[0].add(arrow_table(assessed))
            if len(scored):
                (aside or writers[1]).add(arrow_table(scored))
        if aside is not None:
            aside.write_to(writers[1])
        for writer, table in zip(writers, (assessments, scores), strict=True):
            give_schema(writer, table)
    finally:
        for writer in writers:
            writer.close()
    return writers[0].rows, writers[1].rows
