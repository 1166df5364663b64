"""The large-data path: CSV blocks, the Arrow reader and the block-wise (dask) outcome ingest
give exactly what the whole-file path gives - same rows and row numbers, same problems, same
duplicates, same files."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from evidence import csv_blocks, readers
from evidence.cli import main
from evidence.errors import PseudonymKeyError, ValidationError
from evidence.ingest import ingest_outcomes
from evidence.outcomes import streamed
from evidence.paths import project_root

SAMPLE = project_root() / "data/raw/sample/outcomes_2025_synthetic"
TRICKY = b'a,b\n1,"x\ny"\n\n3,4\n , \n5,"q,""r"""\r\n6,7\n,\n8,9'  # quoted newline, blank rows, CRLF


def _blocks_table(path, block_bytes):
    parts = [csv_blocks.read_csv_block(b) for b in csv_blocks.csv_blocks(path, block_bytes)]
    return (
        pd.concat([p.data for p in parts], ignore_index=True),
        pd.concat([p.row_numbers for p in parts], ignore_index=True),
    )


@pytest.mark.parametrize("block_bytes", [1, 3, 7, 16, 1 << 20])
def test_blocks_give_the_whole_file_rows_and_row_numbers(tmp_path, block_bytes):
    path = tmp_path / "tricky.csv"
    path.write_bytes(TRICKY)
    whole = readers._read_csv(path)  # the strict csv-module reader is the reference
    data, rows = _blocks_table(path, block_bytes)
    pd.testing.assert_frame_equal(data, whole.data)
    pd.testing.assert_series_equal(rows, whole.row_numbers)
    assert rows.tolist() == [2, 4, 6, 7, 9]  # rows 5 and 8 are blank; the quoted newline is one row
    assert data["b"].tolist() == ["x\ny", "4", 'q,"r"', "7", "9"]


@pytest.mark.parametrize("name", ["episodes", "assessments", "prems"])
def test_arrow_reader_matches_the_csv_module_reader_on_the_sample(name):
    path = SAMPLE / f"{name}.csv"
    fast, strict = readers._read_csv_arrow(path), readers._read_csv(path)
    assert fast is not None
    pd.testing.assert_frame_equal(fast.data, strict.data)
    pd.testing.assert_series_equal(fast.row_numbers, strict.row_numbers)
    assert fast.encoding == strict.encoding
    data, rows = _blocks_table(path, 50_000)
    pd.testing.assert_frame_equal(data, strict.data)
    pd.testing.assert_series_equal(rows, strict.row_numbers)


@pytest.mark.parametrize(
    "content",
    [
        b'a,b\n1,"b"c\n',  # text after a closing quote
        b'a,b\n1,"2\n3,4\n',  # quote never closed
        b"a,b\n1,2\x00\n",  # NUL byte
        b"a;b\n1;2\n",  # not comma-separated
        b"\xff\xfea\x00,\x00b\x00",  # UTF-16
        b"a,b\n1,\xe9\n",  # not UTF-8 (cp1252)
    ],
)
def test_doubtful_files_are_left_to_the_strict_reader(tmp_path, content):
    path = tmp_path / "doubtful.csv"
    path.write_bytes(content)
    assert readers._read_csv_arrow(path) is None
    assert csv_blocks.csv_blocks(path, 4) is None


def _extract(tmp_path, edit=None):
    folder = tmp_path / "extract"
    shutil.copytree(SAMPLE, folder)
    if edit:
        assessments = pd.read_csv(folder / "assessments.csv", dtype=str, keep_default_na=False)
        edit(assessments)
        assessments.to_csv(folder / "assessments.csv", index=False)
    return folder


def _sorted(frame, by):
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


def test_block_ingest_writes_the_same_files_as_the_whole_file_ingest(tmp_path):
    def repeat_first_row_at_the_end(table):  # a duplicate questionnaire far from its original
        table.loc[len(table)] = table.iloc[0]

    folder = _extract(tmp_path, repeat_first_row_at_the_end)
    whole = ingest_outcomes(folder, tmp_path / "whole", block_bytes=0)
    blocks = ingest_outcomes(folder, tmp_path / "blocks", block_bytes=100_000)  # 6 blocks
    assert len(csv_blocks.csv_blocks(folder / "assessments.csv", 100_000)) >= 5
    for part in ("input", "rows", "duplicates", "de_identification", "synthetic"):
        assert blocks[part] == whole[part], part
    assert whole["duplicates"]["flagged"] >= 1
    keys = ["episode_id", "instrument", "timepoint", "duplicate_of_earlier", "scale"]
    for name in ("episodes", "assessments", "scores", "prems"):
        a = pd.read_parquet(tmp_path / "whole" / f"outcomes_{name}.parquet")
        b = pd.read_parquet(tmp_path / "blocks" / f"outcomes_{name}.parquet")
        if name == "scores":  # whole-file scoring groups by instrument; blocks keep file order
            a, b = _sorted(a, keys), _sorted(b, keys)
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    flagged = pd.read_parquet(tmp_path / "blocks" / "outcomes_assessments.parquet")["duplicate_of_earlier"]
    assert flagged.iloc[-1] and not flagged.iloc[0]
    assert not list((tmp_path / "blocks").glob(".partitions-*"))


def test_block_ingest_reports_every_problem_with_its_file_row(tmp_path):
    def spoil(table):
        table.loc[10, "Item1"] = "9"  # out of range, first block
        table.loc[6000, "Timepoint"] = "Later"  # unknown answer, a late block
        table.loc[6001, "EpisodeID"] = "EP999999"

    folder = _extract(tmp_path, spoil)
    with pytest.raises(ValidationError) as whole:
        ingest_outcomes(folder, tmp_path / "whole", block_bytes=0)
    with pytest.raises(ValidationError) as blocks:
        ingest_outcomes(folder, tmp_path / "blocks", block_bytes=100_000)
    described = sorted((p.row, p.column, p.rule) for p in blocks.value.problems)
    assert described == sorted((p.row, p.column, p.rule) for p in whole.value.problems)  # order: by block
    assert {(row, column) for row, column, _ in described} >= {(12, "Item1"), (6002, "Timepoint"), (6003, "EpisodeID")}
    assert not (tmp_path / "blocks").exists() or not any((tmp_path / "blocks").iterdir())


def test_block_ingest_reads_and_cleans_each_block_once(tmp_path, monkeypatch):
    """With a key at hand, the check writes each cleaned block (pseudonymised) beside the
    output and the tables are read back from there: every block of every table is read from
    the CSV once, and the temporary blocks are gone afterwards."""
    reads = []
    real_read = streamed.read_csv_block
    monkeypatch.setattr(
        streamed, "read_csv_block", lambda block: reads.append((block.path.name, block.first_row)) or real_read(block)
    )
    folder = _extract(tmp_path)
    ingest_outcomes(folder, tmp_path / "blocks", block_bytes=100_000)
    blocks = [
        b
        for name in ("episodes", "assessments", "prems")
        for b in csv_blocks.csv_blocks(folder / f"{name}.csv", 100_000)
    ]
    assert len(blocks) > 6
    assert sorted(reads) == sorted((block.path.name, block.first_row) for block in blocks)
    assert not list((tmp_path / "blocks").glob(".blocks-*"))


def test_block_ingest_of_real_data_without_a_key_reports_problems_first(tmp_path):
    """Data not marked synthetic and no key: as in the whole-file path, the extract's problems
    come first, then the missing key; nothing is spilled or written either way."""

    def spoil(table):
        table.loc[10, "Item1"] = "9"

    folder = _extract(tmp_path, spoil)
    episodes = pd.read_csv(folder / "episodes.csv", dtype=str, keep_default_na=False)
    episodes.drop(columns="DataLabel").to_csv(folder / "episodes.csv", index=False)
    with pytest.raises(ValidationError, match="Item1"):
        ingest_outcomes(folder, tmp_path / "blocks", environ={}, block_bytes=100_000)
    assert not (tmp_path / "blocks").exists()
    clean = _extract(tmp_path / "clean")
    episodes.drop(columns="DataLabel").to_csv(clean / "episodes.csv", index=False)
    with pytest.raises(PseudonymKeyError, match="not marked synthetic"):
        ingest_outcomes(clean, tmp_path / "blocks", environ={}, block_bytes=100_000)
    assert not (tmp_path / "blocks").exists()


def test_cli_block_option(tmp_path, capsys):
    assert main(["ingest", "outcomes", str(SAMPLE), "--out", str(tmp_path), "--block-mb", "1"]) == 0
    assert "assessments 6,657" in capsys.readouterr().out
    assert main(["ingest", "outcomes", str(SAMPLE), "--out", str(tmp_path), "--block-mb", "0"]) == 2
    assert "at least 1 MiB" in capsys.readouterr().err
    scores = pd.read_parquet(tmp_path / "outcomes_scores.parquet")
    assert np.isfinite(scores["score"]).any()


def test_the_default_ingest_streams_blocks_into_the_files_a_whole_table_ingest_writes(tmp_path, monkeypatch):
    """By default the assessments table is cleaned and written block by block, yet the four
    parquet files are byte for byte those of reading it whole: rows in file order, scores laid
    out instrument by instrument and scale by scale across blocks, row groups of 2**20 rows."""
    from evidence import ingest

    folder = _extract(tmp_path)
    monkeypatch.setattr(ingest, "DEFAULT_BLOCK_BYTES", 100_000)
    assert len(csv_blocks.csv_blocks(folder / "assessments.csv", 100_000)) >= 5
    ingest_outcomes(folder, tmp_path / "whole", block_bytes=0)
    ingest_outcomes(folder, tmp_path / "streamed")
    for name in ("episodes", "assessments", "scores", "prems"):
        whole = (tmp_path / "whole" / f"outcomes_{name}.parquet").read_bytes()
        assert (tmp_path / "streamed" / f"outcomes_{name}.parquet").read_bytes() == whole, name
    assert not list((tmp_path / "streamed").glob(".blocks-*"))
