"""Dates written as text (:func:`evidence.dates.dates_written`): the same timestamps as
``pandas.to_datetime(format=..., errors="coerce")``, the reference, whichever path reads them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evidence.dates import DATETIME, dates_written

AWKWARD = [
    "26/12/2024", "1/2/2025", "31/02/2025", None, "2025-01-01", "26/12/24", "29/02/2024", "29/02/2023",
    " 26/12/2024", "26/12/2024 ", "00/12/2024", "26/13/2024", "26/12/0999", "+26/12/2024", "31/04/2025",
    "\uff12\uff16/12/2024", "26/12/2024\n", "29/02/1900", "29/02/2000", "01/01/0000", "26-12-2024",
    "2a/12/2024", "01/01/0001", "31/12/9999", "28/02/1600", "29/02/1600", "01/03/1969", "31/12/1969",
]  # fmt: skip


def reference(text: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(text, format=fmt, errors="coerce").astype(DATETIME)


def test_awkward_writings_are_read_as_pandas_reads_them():
    text = pd.Series(AWKWARD, dtype="string")
    found = dates_written(text, "%d/%m/%Y")
    pd.testing.assert_series_equal(found, reference(text, "%d/%m/%Y"))
    assert found.iloc[0] == pd.Timestamp("2024-12-26") and pd.isna(found.iloc[2])  # 31 February is refused


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"])
def test_random_writings_of_every_field_agree_with_pandas(fmt):
    """200,000 values with every field drawn past its range (day 0-32, month 0-13, hour 0-24,
    minute and second 0-60, year 0-9999): real dates, impossible ones and rolled-over ones."""
    rng = np.random.default_rng(20261201)
    n = 200_000
    parts = {"%d": rng.integers(0, 33, n), "%m": rng.integers(0, 14, n), "%Y": rng.integers(0, 10_000, n),
             "%H": rng.integers(0, 25, n), "%M": rng.integers(0, 61, n), "%S": rng.integers(0, 61, n)}  # fmt: skip
    widths = {"%d": 2, "%m": 2, "%Y": 4, "%H": 2, "%M": 2, "%S": 2}
    written, rest = pd.Series([""] * n), fmt
    while rest:  # the format's fields zero-padded, its other characters as they are
        if rest[:2] in parts:
            written = written + pd.Series(parts[rest[:2]]).astype(str).str.zfill(widths[rest[:2]])
            rest = rest[2:]
        else:
            written, rest = written + rest[0], rest[1:]
    text = written.astype("string")
    pd.testing.assert_series_equal(dates_written(text, fmt), reference(text, fmt))


def test_formats_the_fast_path_cannot_read_go_to_pandas():
    text = pd.Series(["26 Dec 2024", "26 December 2024", "31 Feb 2024", None], dtype="string")
    for fmt in ("%d %b %Y", "%d %B %Y"):
        pd.testing.assert_series_equal(dates_written(text, fmt), reference(text, fmt))


def test_a_column_read_in_pieces_is_read_whole():
    """Arrow-backed text as a CSV reader gives it: several chunks, large_string, a slice."""
    import pyarrow as pa

    chunks = [
        pa.array(["26/12/2024", None, "31/02/2025"], type=pa.large_string()),
        pa.array(["01/01/2000", "1/2/2025"]),
    ]
    text = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([c.cast(pa.large_string()) for c in chunks])))
    text = text.iloc[1:]  # an offset into the first chunk
    pd.testing.assert_series_equal(dates_written(text, "%d/%m/%Y"), reference(text, "%d/%m/%Y"))
