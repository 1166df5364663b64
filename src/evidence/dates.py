"""Dates written as text, read at the speed of the hardware and exactly as pandas reads them.

:func:`dates_written` is ``pandas.to_datetime(text, format=fmt, errors="coerce")``, the
reference, with a fast path: a value written exactly in a fixed-width format (``26/12/2024`` for
``%d/%m/%Y``) is read by arithmetic on its bytes, checked field by field, in C speed over the
whole column; pandas parses every distinct value in turn, a few microseconds each, and the dates
of birth of an extract are nearly all distinct. Anything else goes through pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: The unit pandas gives dates parsed from text (the same for every format read).
DATETIME = pd.to_datetime(pd.Series(["2000-01-01"]), format="%Y-%m-%d").dtype

#: ``strptime`` fields a date format may hold for the fast path of :func:`dates_written`,
#: each written with exactly this many digits.
_FIXED_FIELDS = {"%d": 2, "%m": 2, "%Y": 4, "%H": 2, "%M": 2, "%S": 2}
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _fixed_width(fmt: str) -> tuple[int, dict[int, int], dict[str, tuple[int, int]]] | None:
    """For a format of zero-padded fields and ASCII literals (``%d/%m/%Y``): its width, the
    literal byte at each literal position, and each field's (start, width); else None."""
    literals: dict[int, int] = {}
    fields: dict[str, tuple[int, int]] = {}
    position, rest = 0, fmt
    while rest:
        if rest[:2] in _FIXED_FIELDS and rest[:2] not in fields:
            fields[rest[:2]] = (position, _FIXED_FIELDS[rest[:2]])
            position, rest = position + _FIXED_FIELDS[rest[:2]], rest[2:]
        elif rest[0] == "%" or not rest[0].isascii():
            return None
        else:
            literals[position] = ord(rest[0])
            position, rest = position + 1, rest[1:]
    return (position, literals, fields) if {"%d", "%m", "%Y"} <= set(fields) else None


def _days_since_1970(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days from 1970-01-01 to each proleptic Gregorian date (H. Hinnant, "chrono-compatible
    low-level date algorithms", ``days_from_civil``), for years 1 and later."""
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _fixed_width_dates(values: pa.Array | pa.ChunkedArray, fmt: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Dates written exactly in a fixed-width format (``26/12/2024`` for ``%d/%m/%Y``), read by
    arithmetic on the bytes: (datetime64[us] values, which values were read). A value is read
    only when every byte is the format's (digits where a field is, its literals elsewhere) and
    the fields make a real date and time; None for a format this cannot read."""
    spec = _fixed_width(fmt)
    if spec is None:
        return None
    width, literals, fields = spec
    if isinstance(values, pa.ChunkedArray):  # a column read in several pieces
        values = values.combine_chunks()
    fits = pc.fill_null(pc.equal(pc.binary_length(values), width), False)
    filled = pc.if_else(fits, values, "0" * width).cast(pa.large_binary())
    start = np.frombuffer(filled.buffers()[1], dtype=np.int64)[filled.offset]
    data = np.frombuffer(filled.buffers()[2], dtype=np.uint8)[start : start + width * len(filled)]
    cells = data.reshape(len(filled), width)
    read = fits.to_numpy(zero_copy_only=False).copy()
    for position, byte in literals.items():
        read &= cells[:, position] == byte
    number = {}
    for code, (first, digits) in fields.items():
        value = np.zeros(len(cells), dtype=np.int64)
        for column in range(first, first + digits):
            digit = cells[:, column].astype(np.int64) - ord("0")
            read &= (digit >= 0) & (digit <= 9)
            value = value * 10 + digit
        number[code] = value
    year, month, day = number["%Y"], number["%m"], number["%d"]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    read &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    read &= day <= _DAYS_IN_MONTH[np.clip(month, 0, 12)] + (leap & (month == 2))
    for code, highest in {"%H": 23, "%M": 59, "%S": 59}.items():
        read &= number.get(code, 0) <= highest
    seconds = _days_since_1970(year, month, day) * 86_400
    seconds += number.get("%H", 0) * 3600 + number.get("%M", 0) * 60 + number.get("%S", 0)
    stamp = (seconds * 1_000_000).view("datetime64[us]")
    stamp[~read] = np.datetime64("NaT", "us")
    return stamp, read


def dates_written(text: pd.Series, fmt: str) -> pd.Series:
    """Text dates read in ``fmt`` (``strptime`` form) as :data:`DATETIME` timestamps; NaT for
    missing text and anything else, as ``pandas.to_datetime(format=fmt, errors="coerce")``.

    Values written exactly in a fixed-width format (``26/12/2024``) are read at C speed by
    :func:`_fixed_width_dates` (pandas parses each distinct date in Python-level code, a few
    microseconds each: dates of birth are nearly all distinct); the rest (``1/2/2025``,
    ``31/02/2025``, another writing, a format with month names) go through pandas, whose rules
    are the reference."""
    present = text.notna().to_numpy()
    fast = _fixed_width_dates(pa.array(text.astype("string").array), fmt) if present.any() else None
    if fast is None:
        stamp, read = np.full(len(text), np.datetime64("NaT", "us")), np.zeros(len(text), dtype=bool)
    else:
        stamp, read = fast
    rest = present & ~read
    if rest.any():
        stamp[rest] = pd.to_datetime(text[rest], format=fmt, errors="coerce").astype(DATETIME).to_numpy()
    return pd.Series(stamp, index=text.index).astype(DATETIME)
