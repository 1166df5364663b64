"""Readers: turn a raw file (CSV, Excel .xlsx, SPSS .sav) into a table of text cells.

Every reader returns a :class:`RawTable`: all cells as strings (missing as ``<NA>``), the
column names from the file's first row, and for every data row the row number a person sees
when opening the file (a spreadsheet row for CSV and Excel, the case number plus one for SPSS,
so that the header is row 1 everywhere). Typing and validation happen later, against a
definition; readers only decide whether the file can be read at all.
"""

from __future__ import annotations

import csv
import ctypes
import io
import mmap
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from evidence.errors import InputFileError

CSV_ENCODINGS = ("utf-8-sig", "cp1252")
#: Bytes that may stand next to a quote in well-formed CSV: a quote opens a field after a
#: delimiter or line break (or at the start of the file) and closes one before them.
_QUOTE_NEIGHBOURS = np.frombuffer(b',\r\n"', dtype=np.uint8)
SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".sav")


@dataclass
class RawTable:
    """A raw file as text: ``data`` (all ``string`` dtype), ``row_numbers`` aligned with it."""

    path: Path
    data: pd.DataFrame
    row_numbers: pd.Series
    encoding: str | None = None
    column_labels: dict[str, str] = field(default_factory=dict)
    #: What the reader undid to reach one header row and data (recorded in manifests): an
    #: Excel ``sep=,`` first line, a second header row of sub-answers merged into the names.
    layout: dict[str, object] = field(default_factory=dict)
    #: For a two-row header: merged column name -> (question, sub-answer) of its two cells.
    column_groups: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.path)


def read_raw(path: str | Path) -> RawTable:
    """Read ``path`` by its suffix (.csv, .xlsx, .sav). The file is opened read-only."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty (0 bytes); export it again")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _read_excel_sep_csv(path) if has_sep_line(path) else None
        table = table or _read_csv_arrow(path) or _read_csv(path)
    elif suffix == ".xlsx":
        from evidence.workbooks import read_xlsx  # openpyxl and pyreadstat only when needed

        table = read_xlsx(path)
    elif suffix == ".sav":
        from evidence.workbooks import read_sav

        table = read_sav(path)
    else:
        older = " (an Excel 97-2003 workbook: open it and save as .xlsx)" if suffix == ".xls" else ""
        raise InputFileError(
            f"{path}: unsupported file type {suffix!r}{older}; export as one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    _merge_sub_answer_row(table)
    check_header(table)
    return table


#: Cells a second header row holds under a question with one answer column (SurveyMonkey's
#: and SmartSurvey's CSV exports); an option's own text stands under each option column.
SUB_ANSWER_MARKERS = ("Response", "Open-Ended Response")


def _merge_sub_answer_row(table: RawTable) -> None:
    """Merge a two-row header (row 1: the question, once, over all its columns; row 2: the
    sub-answer of each column - ``Response``, ``Open-Ended Response`` or an option's text) into
    one name per column: the question, or ``question [option]`` where a question spans several
    columns. Recognised by a marker cell in row 2 under a named column while row 2 is blank
    under the first column (the respondent ID's place)."""
    if table.data.empty:
        return
    header = [str(c) for c in table.data.columns]
    second = table.data.iloc[0]
    markers = second.isin(list(SUB_ANSWER_MARKERS)).fillna(False).to_numpy()
    if not markers.any() or pd.notna(second.iloc[0]):
        return
    questions = pd.Series([h if h.strip() else None for h in header], dtype="object").ffill()
    if questions.isna().any():
        return
    spans = questions.groupby(questions).transform("size")
    names, groups = [], {}
    for question, sub, span in zip(questions, second.fillna(""), spans, strict=True):
        name = question if span == 1 else f"{question} [{sub}]"
        names.append(name)
        groups[name] = (question, sub)
    table.data = table.data.iloc[1:].set_axis(names, axis=1).reset_index(drop=True)
    table.row_numbers = table.row_numbers.iloc[1:].reset_index(drop=True)
    table.column_groups = groups
    table.layout["header_rows"] = 2


def has_sep_line(path: Path) -> bool:
    """Whether the CSV starts with Excel's ``sep=X`` line (which names the delimiter)."""
    with path.open("rb") as handle:
        head = handle.read(16)
    return head.removeprefix(b"\xef\xbb\xbf").lower().startswith(b"sep=")


def _read_excel_sep_csv(path: Path) -> RawTable:
    """A CSV whose first line is Excel's ``sep=,``: read without that line, row numbers as in
    the file (the header is then row 2). Another delimiter is refused as any non-comma file."""
    text, encoding = _decode(path)
    first, _, rest = text.partition("\n")
    delimiter = first.strip()[4:]
    if delimiter != ",":
        raise InputFileError(
            f"{path}, row 1: the file starts with Excel's line {first.strip()!r}, so it is "
            f"{'tab' if delimiter == chr(9) else repr(delimiter)}-separated; export the file as "
            "comma-separated CSV"
        )
    table = _csv_records(path, rest, encoding, first_row=2)
    table.layout["excel_sep_line"] = first.strip()
    return table


def _decode(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    nul = raw.find(b"\x00")
    if nul >= 0:
        row = raw.count(b"\n", 0, nul) + 1
        if raw.count(b"\x00", 0, 4096) > 16:
            raise InputFileError(
                f"{path}: the file contains NUL bytes, so it is not a text CSV (is it a spreadsheet "
                "or a UTF-16 file without a byte-order mark?); export it as CSV in UTF-8"
            )
        raise InputFileError(
            f"{path}, row {row}: contains NUL bytes (character code 0; the first at byte {nul}), "
            "which no text holds, so the file is damaged; export it again as CSV in UTF-8"
        )
    for encoding in CSV_ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as error:
            last = error
    row = raw.count(b"\n", 0, last.start) + 1
    line_start = raw.rfind(b"\n", 0, last.start) + 1
    before = raw[max(line_start, last.start - 30) : last.start].decode("cp1252", "replace")
    raise InputFileError(
        f"{path}, row {row}: byte 0x{raw[last.start]:02X} (byte {last.start} of the file, after "
        f"{before!r}) cannot be decoded as UTF-8 or Windows-1252; export the file as CSV in UTF-8"
    )


def _csv_error(path: Path, text: str, error: csv.Error) -> InputFileError:
    """Explain a csv-module error: the row where the broken record starts, and a likely cause."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error:
        pass
    reason = str(error)
    if "field larger than field limit" in reason:
        advice = (
            f"a field is longer than {csv.field_size_limit():,} characters, which no answer is; "
            "a quote left open there swallows the rest of the file, or this is not the export"
        )
    elif "expected after" in reason or "unexpected end of data" in reason:
        advice = (
            "a quoted field opened on this row is not closed properly: look for a stray "
            'double quote (") in this row and correct it, or export the file again'
        )
    else:
        advice = "export the file again as comma-separated CSV"
    return InputFileError(f"{path}, row {start}: not a well-formed CSV file ({reason}); {advice}")


def _read_csv(path: Path) -> RawTable:
    text, encoding = _decode(path)
    first_line = text.split("\n", 1)[0]
    if "," not in first_line:
        guess = next((d for d in (";", "\t", "|") if d in first_line), None)
        hint = f" it looks {'tab' if guess == chr(9) else repr(guess)}-separated;" if guess else ""
        raise InputFileError(f"{path}, row 1: the header has no commas;{hint} export the file as comma-separated CSV")
    return _csv_records(path, text, encoding)


def _csv_records(path: Path, text: str, encoding: str, first_row: int = 1) -> RawTable:
    """Parse decoded CSV ``text`` whose first line is file row ``first_row``."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        error_at = _csv_error(path, text, error)
        if first_row == 1:
            raise error_at from None
        message = str(error_at)
        row = int(message.split(", row ", 1)[1].split(":", 1)[0])
        raise InputFileError(message.replace(f", row {row}:", f", row {row + first_row - 1}:", 1)) from None
    numbered = [(n, r) for n, r in enumerate(records, start=first_row) if any(c.strip() for c in r)]
    if not numbered:
        raise InputFileError(f"{path}: the file has no header row")
    (_, header), body = numbered[0], numbered[1:]
    width = len(header)
    for number, record in body:
        if len(record) != width:
            raise InputFileError(
                f"{path}, row {number}: {len(record)} fields where the header has {width}; "
                "a quote or comma is probably out of place in this row"
            )
    data = pd.DataFrame([r for _, r in body], columns=header, dtype="string")
    data = data.replace("", pd.NA)
    row_numbers = pd.Series([n for n, _ in body], dtype="int64")
    return RawTable(path, data, row_numbers, encoding)


def plainly_well_formed(raw: np.ndarray, window: int = 64 << 20) -> bool:
    """True when the CSV bytes ``raw`` are UTF-8 text (no UTF-16 mark, no NUL), comma-separated
    and every quote is balanced and stands at a field boundary - a cheap, vectorised check that
    lets the fast reader take the file. Anything doubtful goes to the strict csv-module reader,
    which gives the precise error. Scanned in windows of ``window`` bytes, so a memory-mapped
    file larger than memory is never loaded whole."""
    head = raw[:4096].tobytes()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"," not in head.split(b"\n", 1)[0]:
        return False
    size, quotes = len(raw), 0
    for start in range(0, size, window):
        low, high = max(start - 1, 0), min(start + window + 1, size)
        chunk = np.asarray(raw[low:high])  # one byte of overlap either side for the neighbours
        if not chunk.all():  # a NUL byte
            return False
        at = np.flatnonzero(chunk == ord('"'))
        at = at[(at + low >= start) & (at + low < start + window)]
        quotes += len(at)
        before = np.where(at + low > 0, chunk[np.maximum(at - 1, 0)], ord(","))
        after = np.where(at + low < size - 1, chunk[np.minimum(at + 1, len(chunk) - 1)], ord(","))
        if not (np.isin(before, _QUOTE_NEIGHBOURS) | np.isin(after, _QUOTE_NEIGHBOURS)).all():
            return False
        release(raw, low, high)
    return quotes % 2 == 0


def release(raw: np.ndarray, start: int, stop: int) -> None:
    """Let the kernel take back the pages of ``raw[start:stop]`` when ``raw`` maps a file
    (``np.memmap``): read-only, they stay in the page cache and are read again if needed, but no
    longer count as this process's memory, so scanning a file larger than memory stays small."""
    mapping = getattr(raw, "_mmap", None)
    if mapping is None or stop <= start:
        return
    first = start // mmap.PAGESIZE * mmap.PAGESIZE
    mapping.madvise(mmap.MADV_DONTNEED, first, min(stop, len(raw)) - first)


def give_back_memory() -> None:
    """Return freed memory to the kernel: Arrow's pool keeps it for reuse, and glibc's
    ``malloc`` keeps freed pages in each thread's arena, so a process working through blocks
    would otherwise hold the peak of every block it has seen (``malloc_trim``; elsewhere, a
    no-op)."""
    pa.default_memory_pool().release_unused()
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return
    libc.malloc_trim(0)


def _read_csv_arrow(path: Path) -> RawTable | None:
    """The fast CSV reader (pyarrow, multi-threaded, columns kept as Arrow strings), for files
    that are plainly well formed (:func:`plainly_well_formed`); ``None`` otherwise, and for
    any file pyarrow refuses, so that :func:`_read_csv` decides. Both give the same table:
    the header is the first record, blank records are dropped but keep their row numbers,
    empty cells are missing."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    if not plainly_well_formed(raw):
        return None
    table = arrow_text(pa_csv.read_csv, path, _header_width(raw))
    if table is None or table.num_rows == 0:
        return None
    header = [value if value is not None else "" for value in table.slice(0, 1).to_pylist()[0].values()]
    data, row_numbers = text_frame(table.slice(1), header, first_row=2)
    return RawTable(path, data, row_numbers, CSV_ENCODINGS[0])


def _header_width(raw: np.ndarray) -> int:
    first = raw[: 1 << 20].tobytes().decode("utf-8-sig", errors="replace")
    return len(next(csv.reader(io.StringIO(first, newline=""))))


def arrow_text(read, source, width: int) -> pa.Table | None:
    """``read`` (pyarrow's ``read_csv``) of ``source`` with every one of ``width`` columns as
    text, names ``f0``..; ``None`` when pyarrow refuses the bytes (bad UTF-8, ragged rows) or
    a cell is longer than the csv module allows (``csv.field_size_limit()``, 131,072)."""
    try:
        table = read(
            source,
            read_options=pa_csv.ReadOptions(column_names=[f"f{i}" for i in range(width)], block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                check_utf8=True,
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
                column_types={f"f{i}": pa.string() for i in range(width)},
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    longest = max((pc.max(pc.binary_length(column)).as_py() or 0 for column in table.columns), default=0)
    if longest > csv.field_size_limit():  # the strict reader's limit on one cell, kept here too
        return None
    return table


def text_frame(body: pa.Table, header: list[str], first_row: int) -> tuple[pd.DataFrame, pd.Series]:
    """Arrow text rows as a ``string`` DataFrame named by ``header``, with their file row
    numbers counted from ``first_row``; blank rows dropped (their numbers are skipped)."""
    data = body.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    data.columns = header
    row_numbers = pd.Series(np.arange(first_row, first_row + len(data)), dtype="int64")
    blank = _blank(body.column(0)) if body.num_columns else np.zeros(0, dtype=bool)
    for column in body.columns[1:] if blank.any() else ():
        blank &= _blank(column)
    if blank.any():
        data, row_numbers = data[~blank].reset_index(drop=True), row_numbers[~blank].reset_index(drop=True)
    return data, row_numbers


def _blank(column: pa.ChunkedArray) -> np.ndarray:
    """Which cells of an Arrow text column are missing or only whitespace."""
    empty = pc.equal(pc.utf8_trim_whitespace(column), "")
    return pc.fill_null(empty, True).to_numpy(zero_copy_only=False)


def check_header(table: RawTable) -> None:
    names = [str(c).strip() for c in table.data.columns]
    for number, name in enumerate(names, start=1):
        hidden = next((ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf")), None)
        if hidden is not None:
            raise InputFileError(
                f"{table.path}, row 1, column {number}: the name {name!r} contains an invisible "
                f"character (U+{ord(hidden):04X} {unicodedata.name(hidden, 'control character')}); "
                + ("a second byte-order mark usually means two exports were joined - " if hidden == "\ufeff" else "")
                + "remove it and save the file again"
            )
    blanks = [i + 1 for i, n in enumerate(names) if not n]
    if blanks:
        first = table.data.iloc[0] if len(table.data) else None
        if len(blanks) > len(names) / 2 and first is not None and first.notna().all():
            raise InputFileError(
                f"{table.path}, row 1: {len(blanks)} of {len(names)} columns have no name, and row "
                f"{table.row_numbers.iloc[0]} looks like the column names: remove the title or "
                "grouping row(s) above the column names (and unmerge header cells), then save again"
            )
        where = ", ".join(f"{n} (after {names[n - 2]!r})" if n > 1 and names[n - 2] else str(n) for n in blanks[:10])
        raise InputFileError(
            f"{table.path}, row 1: column(s) {where} have no name in the header; name them or delete the empty columns"
        )
    positions: dict[str, list[int]] = {}
    for number, name in enumerate(names, start=1):
        positions.setdefault(name, []).append(number)
    for name, numbers in positions.items():
        if len(numbers) > 1:
            raise InputFileError(
                f"{table.path}, row 1: column name {name!r} appears twice (columns "
                f"{' and '.join(map(str, numbers))}); rename or remove the extra column"
            )
    folded: dict[str, list[int]] = {}
    for number, name in enumerate(names, start=1):
        folded.setdefault(name.casefold(), []).append(number)
    for numbers in folded.values():
        if len(numbers) > 1:  # headers are matched ignoring case, so one would be lost
            both = " and ".join(f"{names[n - 1]!r} (column {n})" for n in numbers)
            raise InputFileError(
                f"{table.path}, row 1: the column names {both} differ only in case; columns are matched "
                "ignoring case, so one of them would be silently dropped: rename or remove the extra column"
            )
    table.data.columns = names
