"""Readers of workbooks and statistics files: an Excel ``.xlsx`` sheet and an SPSS ``.sav``
file as a :class:`~evidence.readers.RawTable` of text cells, as :func:`evidence.readers.read_raw`
returns every table (the header as row 1; Excel's row numbers, an SPSS case number plus one).
A formula in a workbook cell is refused: its value is not what the cell says."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from evidence.errors import InputFileError
from evidence.readers import RawTable


def read_xlsx(path: Path) -> RawTable:
    if not zipfile.is_zipfile(path):
        raise InputFileError(f"{path}: not a valid .xlsx workbook (it is not a zip archive)")
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="openpyxl")
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise InputFileError(f"{path}: the workbook cannot be read ({error})") from None
    if len(sheets) != 1:
        raise InputFileError(
            f"{path}: the workbook has {len(sheets)} sheets ({', '.join(sheets)}); "
            "export the survey as a workbook with one sheet"
        )
    (sheet,) = sheets.values()
    if sheet.empty:
        raise InputFileError(f"{path}: the sheet is empty")
    header = [str(c) if pd.notna(c) else "" for c in sheet.iloc[0]]
    _refuse_formulas(path, header)
    data = sheet.iloc[1:].set_axis(header, axis=1).astype("string").reset_index(drop=True)
    return RawTable(path, data, pd.Series(range(2, len(data) + 2)))


def _refuse_formulas(path: Path, header: list[str]) -> None:
    """Refuse a workbook holding formulas. The reader takes the value Excel saved with a formula,
    which a workbook written by other software does not have (the cell then reads as blank, and
    an answer is silently lost); and a raw export holds values, not formulas, so a formula means
    the file was edited by hand. Free text that begins with ``=`` is stored as a formula too."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=False)
    try:
        found = [
            cell for row in book.worksheets[0].iter_rows() for cell in row if getattr(cell, "data_type", None) == "f"
        ]
    finally:
        book.close()
    if found:
        cells = "; ".join(
            f"row {c.row}, column {_column_name(c.column, header)!r} (cell {c.coordinate}): {str(c.value)[:60]!r}"
            for c in found[:5]
        )
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise InputFileError(
            f"{path}: {len(found)} cell(s) hold a formula rather than a value: {cells}{more}. "
            "Ingest reads values exactly as received and does not calculate formulas: replace them "
            "with their values (Copy, then Paste Special > Values) or export the data again"
        )


def _column_name(number: int | None, header: list[str]) -> str | int | None:
    """The header of a worksheet's column ``number`` (from 1), or the number itself for a column
    beyond the header."""
    if number is not None and number <= len(header):
        return header[number - 1]
    return number


def read_sav(path: Path) -> RawTable:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=True)
    except Exception as error:  # pyreadstat raises its own ReadstatError and others
        raise InputFileError(f"{path}: not a readable SPSS .sav file ({error})") from None
    data = pd.DataFrame({column: _as_text(frame[column]) for column in frame.columns}, index=frame.index)
    labels = dict(zip(meta.column_names, meta.column_labels or [], strict=False))
    return RawTable(
        path,
        data.reset_index(drop=True),
        pd.Series(range(2, len(data) + 2)),
        column_labels={k: v for k, v in labels.items() if v},
    )


def _as_text(column: pd.Series) -> pd.Series:
    """Numbers as they were typed (12.0 -> "12"), text unchanged, missing as <NA>."""
    if pd.api.types.is_float_dtype(column):
        whole = column.notna() & (column % 1 == 0)
        text = column.astype("string")
        text[whole] = column[whole].astype("Int64").astype("string")
        return text
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.strftime("%Y-%m-%d %H:%M:%S").astype("string")
    text = column.astype("string").replace("", pd.NA)
    if column.dtype == object or isinstance(column.dtype, pd.CategoricalDtype):
        # value labels applied: labels, and numbers that have no label (99.0 -> "99")
        column = column.astype(object)
        numbers = pd.to_numeric(column.where(column.map(type).eq(float)), errors="coerce")
        whole = numbers.notna() & (numbers % 1 == 0)
        text[whole] = numbers[whole].astype("Int64").astype("string")
    return text
