"""Identifiers at ingest (issue #7, part 1): undeclared identifier columns, identifiers typed
into answer or published columns, and masked error messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evidence import privacy, samples, survey
from evidence.errors import ValidationError
from evidence.ingest import ingest_outcomes, ingest_survey
from evidence.readers import read_raw

from .conftest import write_export

NHS = "999 000 1006"  # valid check digit, 999 range (never issued)


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Child name", "name"),
        ("Parent_Name", "name"),
        ("ChildName", "name"),
        ("Surname", "name"),
        ("email address", "email"),
        ("E-mail", "email"),
        ("DOB", "date_of_birth"),
        ("Date of birth", "date_of_birth"),
        ("NHS no", "nhs_number"),
        ("NHSNumber", "nhs_number"),
        ("Mobile", "phone"),
        ("Home postcode", "postcode"),
        ("IPAddress", "ip_address"),
        ("Service name", None),
        ("School name", None),
        ("Q11", None),
        ("Service", None),
        ("Notes", None),
        ("ResponseId", None),
        ("Instrument", None),
        ("DataLabel", None),
        ("Duration (in seconds)", None),
    ],
)
def test_identifier_headers(header, kind):
    assert privacy.identifier_column_kind(header) == kind


def test_mask_hides_all_but_the_ends():
    assert privacy.mask(NHS) == "9** *** **06"
    assert privacy.mask("Bo") == "**"
    assert "quartermaine" not in privacy.mask("zeb.quartermaine@example.net")


def _refused(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return str(caught.value)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Q1", NHS),
        ("Q1", "9990001006"),
        ("Q10", "9990001006"),
        ("Q5", "jo.bloggs@example.com"),
        ("Q3", "07700 900123"),
        ("Q2", "CF10 3NQ"),
    ],
)
def test_identifier_in_an_answer_column_is_refused_and_masked(tmp_path, sample_frame, column, value):
    frame = sample_frame.head(40).copy()
    frame.loc[frame.index[5], column] = value
    path = write_export(frame, tmp_path / "s.csv")
    message = _refused(lambda: ingest_survey(path, tmp_path / "out", environ={}))
    assert f"{path}, row 9, column '{column}'" in message  # 3 header rows, so data row 6 is row 9
    assert value not in message and value.replace(" ", "") not in message
    assert privacy.mask(value) in message and "masked" in message
    assert not (tmp_path / "out").exists()


def test_a_known_name_in_an_answer_column_is_masked(tmp_path, sample_frame):
    frame = sample_frame.head(40).copy()
    name = frame.loc[frame.index[7], "RecipientName"]
    frame.loc[frame.index[5], "Q1"] = name
    message = _refused(lambda: survey.clean_export(read_raw(write_export(frame, tmp_path / "s.csv")), environ={}))
    assert name not in message and "column 'Q1'" in message


def test_undeclared_name_like_columns_are_dropped_and_their_names_redacted(tmp_path, sample_frame):
    frame = sample_frame.head(40).copy()
    frame["Child name"] = "Ottoline Fairweather"
    frame["Parent_Name"] = ""
    frame["email address"] = "o.f@example.net"
    frame["Notes"] = "nothing"
    first = frame.index[(frame["Consent"].str.strip().str.casefold() == "yes") & (frame["Finished"] == "True")][0]
    frame.loc[first, "Q11"] = "Ottoline asked me to add this."
    frame.loc[first, "Parent_Name"] = "Barnaby Rudge"
    frame.loc[first + 1, "Q11"] = "Barnaby too."
    manifest = ingest_survey(write_export(frame, tmp_path / "s.csv"), tmp_path / "out", environ={})
    dropped = manifest["de_identification"]["identifier_columns_dropped"]
    assert {"Child name", "Parent_Name", "email address"} <= set(dropped)
    assert "Notes" in manifest["columns_not_carried"]
    assert not {"Child name", "Parent_Name", "email address"} & set(manifest["columns_not_carried"])
    table = pd.read_parquet(tmp_path / "out" / "workforce_survey.parquet")
    dumped = table.to_csv()
    for word in ("Ottoline", "Fairweather", "Barnaby", "o.f@example.net"):
        assert word not in dumped
    assert manifest["de_identification"]["free_text_redactions"]["name"] >= 2


@pytest.fixture(scope="module")
def outcome_frames():
    frames = samples.outcomes.outcome_frames()
    keep = set(frames["episodes"]["EpisodeID"].head(200))
    return {name: frame[frame["EpisodeID"].isin(keep)].reset_index(drop=True) for name, frame in frames.items()}


def _write(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        (folder / f"{name}.csv").write_bytes(samples.outcomes.csv_bytes(frame))
    return folder


@pytest.mark.parametrize(
    "value",
    [NHS, "9990001006", "999-000-1006", "someone@example.org", "07700 900123", "LS8 9YP", "14/07/2016", "child:NAME"],
)
def test_identifier_in_a_service_name_is_refused_and_masked(tmp_path, outcome_frames, value):
    frames = {name: frame.copy() for name, frame in outcome_frames.items()}
    episodes = frames["episodes"]
    if value == "child:NAME":
        value = f"{episodes.loc[3, 'ChildName']} OT"
    episodes.loc[4, "Service"] = value
    folder = _write(tmp_path / "extract", frames)
    message = _refused(lambda: ingest_outcomes(folder, tmp_path / "out", environ={}))
    assert "episodes.csv, row 6, column 'Service'" in message
    assert "identifiers may not reach a published column" in message
    assert value not in message and privacy.mask(value) in message
    assert not (tmp_path / "out").exists()


def test_errors_in_date_of_birth_columns_are_masked(tmp_path, outcome_frames):
    frames = {name: frame.copy() for name, frame in outcome_frames.items()}
    frames["episodes"].loc[2, "DateOfBirth"] = "31/02/2016"
    message = _refused(lambda: ingest_outcomes(_write(tmp_path / "x", frames), tmp_path / "out", environ={}))
    assert "column 'DateOfBirth'" in message and "31/02/2016" not in message


def test_undeclared_outcome_identifier_columns_are_listed_and_names_redacted(tmp_path, outcome_frames):
    frames = {name: frame.copy() for name, frame in outcome_frames.items()}
    frames["episodes"]["Parent_Name"] = "Ottoline Fairweather"
    frames["prems"]["Notes"] = "x"
    frames["prems"].loc[0, "Comment"] = "Fairweather was kind"
    manifest = ingest_outcomes(_write(tmp_path / "x", frames), tmp_path / "out", environ={})
    assert manifest["de_identification"]["undeclared_identifier_columns_dropped"] == {"episodes": ["Parent_Name"]}
    prems = pd.read_parquet(tmp_path / "out" / "outcomes_prems.parquet")
    assert prems.loc[0, "comment"] == "[name removed] was kind"
