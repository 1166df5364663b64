"""The whole extract read block by block (``--block-mb``; :mod:`evidence.outcomes.streamed`):
every table in blocks, the checks across blocks made bucket by bucket over spilled keys. The
guard is the whole-table path: the same problems (file, row, column, rule, value, count) and,
without problems, the same tables and manifest."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from evidence import csv_blocks
from evidence.errors import RepeatedProblem, ValidationError
from evidence.ingest import ingest_outcomes
from evidence.outcomes import keys
from evidence.paths import project_root

SAMPLE = project_root() / "data" / "raw" / "sample" / "outcomes_2025_synthetic"
BLOCK = 20_000  # bytes: every table of the sample in several blocks
TABLES = ("episodes", "assessments", "prems")


@pytest.fixture(autouse=True)
def several_buckets(monkeypatch):
    monkeypatch.setattr(keys, "BUCKET_BYTES", 60_000)  # the sample's keys in five buckets


def _extract(tmp_path, **edits):
    folder = tmp_path / "extract"
    shutil.copytree(SAMPLE, folder)
    for name, edit in edits.items():
        table = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        edit(table)
        table.to_csv(folder / f"{name}.csv", index=False)
    for name in TABLES:
        assert len(csv_blocks.csv_blocks(folder / f"{name}.csv", BLOCK)) >= 2, name
    return folder


def _described(error):
    return sorted(
        (p.file, p.row or 0, p.column or "", p.rule, str(p.value), p.count if isinstance(p, RepeatedProblem) else 1)
        for p in error.problems
    )


def _problems_both_ways(tmp_path, folder):
    with pytest.raises(ValidationError) as whole:
        ingest_outcomes(folder, tmp_path / "whole", block_bytes=0)
    with pytest.raises(ValidationError) as streamed:
        ingest_outcomes(folder, tmp_path / "streamed", block_bytes=BLOCK)
    assert not (tmp_path / "streamed").exists()
    return _described(whole.value), _described(streamed.value)


def _repeat_episode_far_away(table):
    table.loc[len(table) - 1, "EpisodeID"] = table.loc[0, "EpisodeID"]


def _repeat_many_episodes(table):
    table.loc[1200:1210, "EpisodeID"] = table.loc[0:10, "EpisodeID"].to_numpy()


def _service_with_a_late_childs_name(table):
    table.loc[3, "Service"] = f"Riverside OT for {table.loc[len(table) - 1, 'ChildName']}"


def _service_with_an_email(table):
    table.loc[900, "Service"] = "ot.team@example.nhs.uk"


def _unknown_episodes(table):
    table.loc[[5, 3000, 6500], "EpisodeID"] = ["EP000001", "EP000002", " EP100621"]


def _prem_of_no_episode(table):
    table.loc[600, "EpisodeID"] = "EP999999"


def _no_service_column(table):  # the episodes table is then not cleaned, but its names still mask
    del table["Service"]


def _instrument_written_as_a_childs_name(table):
    episodes = pd.read_csv(SAMPLE / "episodes.csv", dtype=str)
    table.loc[7, "Instrument"] = episodes["ChildName"].iloc[-1]


def _follow_ups_before_baseline(count):
    def edit(table):
        follow_ups = np.flatnonzero(table["Timepoint"].eq("Follow-up").to_numpy())[::97][:count]
        table.loc[follow_ups, "AssessmentDate"] = "01/01/2020"

    return edit


@pytest.mark.parametrize(
    "edits",
    [
        {"episodes": _repeat_episode_far_away},
        {"episodes": _repeat_many_episodes},
        {"episodes": _service_with_a_late_childs_name},
        {"episodes": _service_with_an_email},
        {"assessments": _unknown_episodes},
        {"prems": _prem_of_no_episode},
        {"assessments": _follow_ups_before_baseline(3)},
        {"assessments": _follow_ups_before_baseline(40)},
        {"episodes": _repeat_episode_far_away, "assessments": _unknown_episodes, "prems": _prem_of_no_episode},
        {"episodes": _no_service_column, "assessments": _instrument_written_as_a_childs_name},
    ],
    ids=lambda edits: "+".join(f"{table}:{edit.__name__}" for table, edit in edits.items()),
)
def test_the_problems_across_blocks_are_those_of_the_whole_tables(tmp_path, edits):
    whole, streamed = _problems_both_ways(tmp_path, _extract(tmp_path, **edits))
    assert whole and streamed == whole
    names = set(pd.read_csv(SAMPLE / "episodes.csv", dtype=str)["ChildName"])
    assert not any(name in str(problem) for problem in streamed for name in names)  # masked


def test_a_clean_extract_gives_the_tables_and_manifest_of_the_whole_tables(tmp_path):
    def comment_naming_a_late_child(table):  # redacted by a name from a later episodes block
        episodes = pd.read_csv(SAMPLE / "episodes.csv", dtype=str)
        table.loc[0, "Comment"] = f"{episodes['ChildName'].iloc[-1].split()[0]} loved the sessions"

    def repeat_first_questionnaire_at_the_end(table):
        table.loc[len(table)] = table.iloc[0]

    folder = _extract(tmp_path, prems=comment_naming_a_late_child, assessments=repeat_first_questionnaire_at_the_end)
    whole = ingest_outcomes(folder, tmp_path / "whole", block_bytes=0)
    streamed = ingest_outcomes(folder, tmp_path / "streamed", block_bytes=BLOCK)
    for part in ("input", "rows", "duplicates", "de_identification", "synthetic", "output"):
        assert streamed[part] == whole[part], part
    assert whole["de_identification"]["free_text_redactions"]["name"] >= 1
    assert whole["duplicates"]["flagged"] >= 1
    for name in ("episodes", "assessments", "scores", "prems"):
        a = pd.read_parquet(tmp_path / "whole" / f"outcomes_{name}.parquet")
        b = pd.read_parquet(tmp_path / "streamed" / f"outcomes_{name}.parquet")
        if name == "scores":  # whole-table scoring groups by instrument; blocks keep their order
            by = ["episode_id", "instrument", "timepoint", "duplicate_of_earlier", "scale", "assessment_date"]
            a, b = (t.sort_values(by, kind="stable").reset_index(drop=True) for t in (a, b))
        pd.testing.assert_frame_equal(a, b)
    assert not list((tmp_path / "streamed").glob(".blocks-*"))


def test_a_table_that_must_be_read_whole_is_one_block_beside_the_others(tmp_path):
    folder = _extract(tmp_path)
    text = (folder / "prems.csv").read_text(encoding="utf-8")
    (folder / "prems.csv").write_text("sep=,\n" + text, encoding="utf-8")  # Excel's first line: read whole
    assert csv_blocks.csv_blocks(folder / "prems.csv", BLOCK) is None
    whole = ingest_outcomes(folder, tmp_path / "whole", block_bytes=0)
    streamed = ingest_outcomes(folder, tmp_path / "streamed", block_bytes=BLOCK)
    assert streamed["rows"] == whole["rows"] and streamed["input"] == whole["input"]
    for name in ("episodes", "prems"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "streamed" / f"outcomes_{name}.parquet"),
            pd.read_parquet(tmp_path / "whole" / f"outcomes_{name}.parquet"),
        )


def test_on_a_dask_cluster_the_blocks_run_on_its_workers_and_give_the_same_files(tmp_path):
    """A real dask.distributed cluster (two worker processes): every block's task runs on a
    worker, and the tables are those of the threaded run."""
    from dask.distributed import Client, LocalCluster

    folder = _extract(tmp_path)
    here = ingest_outcomes(folder, tmp_path / "here", block_bytes=BLOCK)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            there = ingest_outcomes(folder, tmp_path / "there", block_bytes=BLOCK, scheduler=cluster.scheduler_address)
            done = client.run_on_scheduler(
                lambda dask_scheduler: sorted(
                    {key[0] if isinstance(key, tuple) else key for key in dask_scheduler.task_prefixes}
                )
            )
    assert {"episode_block", "assessment_block", "prem_block", "check_bucket"} <= set(done)
    assert there["rows"] == here["rows"] and there["duplicates"] == here["duplicates"]
    for name in ("episodes", "assessments", "scores", "prems"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "there" / f"outcomes_{name}.parquet"),
            pd.read_parquet(tmp_path / "here" / f"outcomes_{name}.parquet"),
        )


def test_a_cluster_ingest_needs_blocks(tmp_path):
    from evidence.errors import ConfigError

    with pytest.raises(ConfigError, match="--block-mb"):
        ingest_outcomes(SAMPLE, tmp_path / "out", scheduler="tcp://127.0.0.1:1")
