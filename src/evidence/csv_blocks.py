"""CSV files in blocks of whole records, for reading a file larger than memory a block at a
time (:mod:`evidence.outcomes.blocks`): each block gives the same table, with the same row
numbers, as the whole-file reader (:func:`evidence.readers.read_raw`) gives for its rows."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from evidence.errors import InputFileError
from evidence.readers import (
    CSV_ENCODINGS,
    RawTable,
    arrow_text,
    check_header,
    has_sep_line,
    plainly_well_formed,
    release,
    text_frame,
)


@dataclass(frozen=True)
class CsvBlock:
    """A run of whole records of a CSV file: bytes ``start``..``end`` (exclusive), whose first
    record is file row ``first_row``; ``header`` is the file's header."""

    path: Path
    start: int
    end: int
    first_row: int
    header: tuple[str, ...]


def csv_blocks(path: str | Path, block_bytes: int = 64 << 20) -> list[CsvBlock] | None:
    """Split a CSV file into blocks of whole records of about ``block_bytes`` each, for
    reading in parallel or one at a time (:func:`read_csv_block`); ``None`` when the file is
    not plainly well formed (:func:`_plainly_well_formed`) and must be read whole by
    :func:`read_raw`, which gives the precise error or reads it the careful way.

    Record ends are the newlines outside quotes; the file is scanned in windows of
    ``block_bytes`` (memory-mapped, never loaded whole), counting quotes so that a newline
    inside a quoted value does not end a record, and counting records so that every block
    knows its first row number. A file that is not ``.csv``, starts with Excel's ``sep=`` line
    or has a column without a name is read whole, where :func:`read_raw` decides about it."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return None
    if path.suffix.lower() != ".csv" or has_sep_line(path):
        return None
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    if not plainly_well_formed(raw):
        return None
    size, blocks = len(raw), []
    header_row, parity, records_before, start, rows_before = None, 0, 0, 0, 0
    target, utf8 = 0, codecs.getincrementaldecoder("utf-8")()
    for window in range(0, size, block_bytes):
        chunk = np.asarray(raw[window : window + block_bytes])
        try:  # Arrow reads UTF-8 only; anything else is read whole, the careful way
            utf8.decode(chunk.tobytes(), final=window + block_bytes >= size)
        except UnicodeDecodeError:
            return None
        quotes, newlines = np.flatnonzero(chunk == ord('"')), np.flatnonzero(chunk == ord("\n"))
        inside = (parity + np.searchsorted(quotes, newlines)) % 2 == 1
        ends = newlines[~inside] + window + 1
        parity = (parity + len(quotes)) % 2
        while True:
            if header_row is None:
                if not len(ends):
                    break
                header_row = tuple(
                    next(csv.reader(io.StringIO(raw[: ends[0]].tobytes().decode("utf-8-sig"), newline="")))
                )
                start, rows_before, target = int(ends[0]), 1, int(ends[0]) + block_bytes
            j = int(np.searchsorted(ends, target))
            if j >= len(ends):
                break
            end, rows = int(ends[j]), records_before + j + 1
            blocks.append(CsvBlock(path, start, end, rows_before + 1, header_row))
            start, rows_before, target = end, rows, end + block_bytes
        records_before += len(ends)
        release(raw, window, window + block_bytes)
    if header_row is None or not all(name.strip() for name in header_row):
        return None  # a header with unnamed columns is read whole: its first row tells what it is
    if start < size:
        blocks.append(CsvBlock(path, start, size, rows_before + 1, header_row))
    return blocks


def read_csv_block(block: CsvBlock) -> RawTable:
    """One block of a CSV file (see :func:`csv_blocks`) as a :class:`RawTable` whose row
    numbers are the rows of the whole file; the same table the whole-file reader gives for
    these rows."""
    raw = np.memmap(block.path, dtype=np.uint8, mode="r")
    source = pa.BufferReader(pa.py_buffer(np.asarray(raw[block.start : block.end])))
    table = arrow_text(pa_csv.read_csv, source, len(block.header))
    if table is None:
        raise InputFileError(
            f"{block.path}, rows from {block.first_row}: not well-formed CSV; ingest the file whole for the exact row"
        )
    data, row_numbers = text_frame(table, list(block.header), block.first_row)
    result = RawTable(block.path, data, row_numbers, CSV_ENCODINGS[0])
    check_header(result)
    return result
