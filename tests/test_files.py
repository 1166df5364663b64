"""Files are written with the permissions an ordinary new file gets (the process umask applies),
so that a published folder can be read by a colleague, a web server or a copy to a shared drive."""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from evidence.files import process_umask, write_all_atomic, write_csv_safe, write_text_atomic
from evidence.ingest import ingest_survey

from .conftest import SAMPLE


@contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_atomic_writers_apply_the_umask(tmp_path, mask, expected):
    with umask(mask):
        assert process_umask() == mask
        write_text_atomic(tmp_path / "report.html", "<p>text</p>")
        write_csv_safe(pd.DataFrame({"a": [1]}), tmp_path / "table.csv")
        write_all_atomic(
            {tmp_path / "one.txt": lambda p: p.write_text("1"), tmp_path / "two.txt": lambda p: p.write_text("2")}
        )
    for name in ("report.html", "table.csv", "one.txt", "two.txt"):
        assert mode(tmp_path / name) == expected, f"{name}: {oct(mode(tmp_path / name))}"
    assert not list(tmp_path.glob(".*tmp*")), "no temporary file is left behind"


def test_processed_data_is_readable_under_umask_022(tmp_path):
    with umask(0o022):
        ingest_survey(SAMPLE, tmp_path / "processed")
    written = [p for p in (tmp_path / "processed").iterdir() if p.is_file()]
    assert {p.suffix for p in written} >= {".parquet", ".json"}
    assert {p.name: oct(mode(p)) for p in written} == {p.name: oct(0o644) for p in written}
