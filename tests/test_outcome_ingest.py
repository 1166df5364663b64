"""Ingest of outcome extracts: the sample, de-identification, and bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evidence import samples
from evidence.errors import InputFileError, ValidationError
from evidence.files import sha256_file
from evidence.ingest import ingest_outcomes, load_outcomes

from .conftest import ROOT

SAMPLE = ROOT / "data" / "raw" / "sample" / samples.outcomes.FOLDER


@pytest.fixture(scope="module")
def frames():
    return samples.outcomes.outcome_frames()


@pytest.fixture(scope="module")
def ingested_outcomes(tmp_path_factory):
    out = tmp_path_factory.mktemp("outcomes")
    manifest = ingest_outcomes(SAMPLE, out, environ={})
    return out, manifest


def _write(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        (folder / f"{name}.csv").write_bytes(samples.outcomes.csv_bytes(frame))
    return folder


def test_regenerating_the_outcome_sample_gives_identical_bytes(tmp_path):
    folder = samples.outcomes.write_sample(tmp_path)
    for name in ("episodes", "assessments", "prems"):
        assert (folder / f"{name}.csv").read_bytes() == (SAMPLE / f"{name}.csv").read_bytes(), name


def test_sample_ingest(ingested_outcomes, frames):
    out, manifest = ingested_outcomes
    tables, again = load_outcomes(out)
    assert again == manifest and manifest["synthetic"] is True
    assert manifest["rows"]["in"] == {
        "episodes": len(frames["episodes"]),
        "assessments": len(frames["assessments"]),
        "prems": len(frames["prems"]),
    }
    assert manifest["duplicates"]["flagged"] == 3
    assert int(tables["assessments"]["duplicate_of_earlier"].sum()) == 3
    episodes = tables["episodes"]
    assert episodes["episode_id"].is_unique and episodes["episode_id"].str.fullmatch("[0-9a-f]{16}").all()
    assert set(tables["scores"]["episode_id"]) <= set(episodes["episode_id"])
    assert set(tables["prems"]["episode_id"]) <= set(episodes["episode_id"])
    assert episodes["age_years"].between(0, 25).all()
    assert {"DateOfBirth", "NHSNumber", "ChildName", "Postcode"}.isdisjoint(episodes.columns)
    # a child with two episodes keeps one pseudonym
    assert episodes["child_id"].nunique() < len(episodes)


def test_no_identifier_reaches_processed_outcomes(ingested_outcomes, frames):
    out, _ = ingested_outcomes
    dumped = "".join(pd.read_parquet(p).to_csv() for p in out.glob("*.parquet"))
    dumped += (out / "outcomes.manifest.json").read_text()
    episodes = frames["episodes"]
    for column in ("NHSNumber", "ChildName", "Postcode", "DateOfBirth", "EpisodeID", "ChildID"):
        for value in episodes[column].head(200):
            assert value not in dumped, (column, value)
    for value in episodes["NHSNumber"].head(200):
        assert value.replace(" ", "") not in dumped


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "fragment"),
    [
        ("episodes", 4, "ReferralDate", "31/02/2024", "must be a real date written DD/MM/YYYY"),
        ("episodes", 5, "ReferralDate", "2024-02-03", "must be a real date written DD/MM/YYYY"),
        ("episodes", 6, "DischargeDate", "01/01/2023", "must not be before AssessmentDate"),
        ("episodes", 7, "IMDDecile", "11", "must be between 1 and 10"),
        ("episodes", 8, "Contacts", "1,200", "must be a whole number"),
        ("episodes", 9, "Tier", "Enhanced", "not a recognised answer"),
        ("assessments", 3, "Item5", "12", "item 5 must be a whole number from"),
        ("assessments", 10, "EpisodeID", "EP999999", "no episode with this ID"),
        ("assessments", 11, "Instrument", "Vineland", "not a recognised answer"),
        ("prems", 2, "FFT", "Excellent", "not a recognised answer"),
        ("prems", 3, "Exp2", "9", "experience item 2 must be a whole number from 1 to 5"),
    ],
)
def test_bad_values_are_named_and_nothing_is_written(tmp_path, frames, table, row, column, value, fragment):
    broken = {name: frame.copy() for name, frame in frames.items()}
    broken[table].loc[broken[table].index[row], column] = value
    if table == "episodes" and column == "DischargeDate":
        broken[table].loc[broken[table].index[row], "AssessmentDate"] = "01/06/2023"
        broken[table].loc[broken[table].index[row], "ReferralDate"] = "01/01/2023"
    folder = _write(tmp_path / "extract", broken)
    before = {p.name: sha256_file(p) for p in folder.iterdir()}
    with pytest.raises(ValidationError) as caught:
        ingest_outcomes(folder, tmp_path / "out", environ={})
    message = str(caught.value)
    assert f"{table}.csv, row {row + 2}, column '{column}'" in message
    assert fragment in message
    assert not (tmp_path / "out").exists()
    assert before == {p.name: sha256_file(p) for p in folder.iterdir()}


def test_items_beyond_an_instrument_must_be_blank(tmp_path, frames):
    broken = {name: frame.copy() for name, frame in frames.items()}
    pedsql_row = broken["assessments"].index[broken["assessments"]["Instrument"] == "PedsQL"][0]
    broken["assessments"].loc[pedsql_row, "Item27"] = "1"
    with pytest.raises(ValidationError, match="pedsql has 23 items; this item must be blank"):
        ingest_outcomes(_write(tmp_path / "x", broken), tmp_path / "out", environ={})


def test_structural_problems(tmp_path, frames):
    partial = _write(tmp_path / "partial", {"episodes": frames["episodes"], "prems": frames["prems"]})
    with pytest.raises(InputFileError, match="expected exactly one assessments file"):
        ingest_outcomes(partial, tmp_path / "out", environ={})
    renamed = dict(frames)
    renamed["episodes"] = frames["episodes"].rename(columns={"ReferralDate": "Referral Dt"})
    with pytest.raises(
        ValidationError,
        match="'ReferralDate': required column is missing from the header "
        r"\(is 'Referral Dt' the same column renamed\? then add",
    ):
        ingest_outcomes(_write(tmp_path / "renamed", renamed), tmp_path / "out", environ={})
    duplicate = dict(frames)
    duplicate["episodes"] = frames["episodes"].copy()
    duplicate["episodes"].loc[1, "EpisodeID"] = duplicate["episodes"].loc[0, "EpisodeID"]
    with pytest.raises(ValidationError, match="episode IDs must be unique"):
        ingest_outcomes(_write(tmp_path / "dup", duplicate), tmp_path / "out", environ={})
    with pytest.raises(InputFileError, match="is a folder holding"):
        ingest_outcomes(tmp_path / "nowhere", tmp_path / "out", environ={})


def test_service_effects_become_an_evidence_table(ingested_outcomes, tmp_path):
    import subprocess
    import sys

    from evidence import outcomes, synthesis

    out, _ = ingested_outcomes
    interim = tmp_path / "interim"  # derived tables go apart from the processed (ingested) ones
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "evidence.cli",
            "derive",
            "service-effects",
            "--processed",
            str(out),
            "--out",
            str(interim),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert not (out / "outcomes_service_effects.csv").exists()
    table = synthesis.read_evidence_table(interim / "outcomes_service_effects.csv", "GEN")
    assert table.synthetic and table.layout == "estimate_se"
    tables, _ = load_outcomes(out)
    paired = outcomes.paired_scores(tables["scores"], tables["episodes"], "pedsql", "total")
    direct = outcomes.change_table(paired, "service").set_index("service")
    for row in table.effects.itertuples():
        assert row.yi == pytest.approx(direct.loc[row.study, "hedges_g"], abs=1e-6)
        assert row.children == direct.loc[row.study, "n"]
