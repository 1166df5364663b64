"""Processed tables are checked against their schemas (evidence.schemas) when loaded: the
shipped sample passes; a table altered after ingest is refused naming column, row and value."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from evidence import samples, schemas
from evidence.errors import InputFileError
from evidence.ingest import ingest_outcomes, load_outcomes, load_processed

from .conftest import ROOT

OUTCOME_SAMPLE = ROOT / "data" / "raw" / "sample" / samples.outcomes.FOLDER


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    out = tmp_path_factory.mktemp("outcomes")
    ingest_outcomes(OUTCOME_SAMPLE, out, environ={})
    return out


def _altered(source, tmp_path, table: str, change) -> object:
    """A copy of the processed folder ``source`` in which ``table`` (a parquet stem) is changed."""
    copy = tmp_path / "processed"
    shutil.copytree(source, copy)
    path = copy / f"{table}.parquet"
    frame = pd.read_parquet(path)
    change(frame).to_parquet(path, index=False)
    return copy


def test_the_ingested_samples_match_their_schemas(outcomes, ingested):
    tables, _ = load_outcomes(outcomes)
    assert {name: len(t) for name, t in tables.items()}["episodes"] == 1400
    survey, _ = load_processed(ingested[0] / "workforce_survey.parquet")
    assert len(survey) == ingested[1]["rows"]["out"]


def _set(column, row, value):
    def change(frame):
        frame = frame.copy()
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        return frame

    return change


def _on_first(instrument, column, value):
    def change(frame):
        frame = frame.copy()
        frame.loc[(frame["instrument"] == instrument).idxmax(), column] = value
        return frame

    return change


@pytest.mark.parametrize(
    ("table", "change", "fragments"),
    [
        ("outcomes_episodes", _set("imd_decile", 4, 11), ["imd_decile", "row 5", "11", "in_range(1, 10)"]),
        ("outcomes_episodes", lambda f: f.assign(NHSNumber="943 476 5919"), ["NHSNumber", "column_in_schema"]),
        ("outcomes_episodes", lambda f: f.drop(columns="service"), ["service", "column_in_dataframe"]),
        ("outcomes_assessments", _set("instrument", 0, "PHQ-9"), ["instrument", "row 1", "PHQ-9", "isin"]),
        (
            "outcomes_assessments",
            _on_first("pedsql", "item_3", 7.0),
            ["1 problem(s)", "pedsql items are whole numbers within each item's range"],
        ),
        ("outcomes_assessments", _on_first("pedsql", "item_30", 1.0), ["1 problem(s)", "items past item 23 are blank"]),
        ("outcomes_assessments", _set("item_3", 2, 11.0), ["item_3", "row 3", "11.0", "in_range(-2, 10)"]),
        ("outcomes_prems", _set("experience", 1, 101.0), ["experience", "row 2", "101.0"]),
    ],
)
def test_an_altered_outcome_table_is_refused_naming_column_row_and_value(outcomes, tmp_path, table, change, fragments):
    folder = _altered(outcomes, tmp_path, table, change)
    with pytest.raises(InputFileError) as refused:
        load_outcomes(folder)
    message = str(refused.value)
    assert f"{table}.parquet" in message and "ingest the raw data again" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_an_altered_survey_table_is_refused_by_its_definitions_schema(ingested, tmp_path):
    folder = _altered(ingested[0], tmp_path, "workforce_survey", _set("nation", 3, "Atlantis"))
    with pytest.raises(InputFileError, match=r"(?s)row 4, column 'nation': value 'Atlantis'.*isin"):
        load_processed(folder / "workforce_survey.parquet")
    out_of_range = _altered(ingested[0], tmp_path / "b", "workforce_survey", _set("years_with_children", 0, 51))
    with pytest.raises(InputFileError, match=r"years_with_children.*in_range\(0, 50\)"):
        load_processed(out_of_range / "workforce_survey.parquet")


def test_outcome_schemas_follow_the_instrument_registry():
    assessments = schemas.outcome_schemas()["assessments"]
    allowed = assessments.columns["instrument"].checks[0].statistics["allowed_values"]
    assert sorted(allowed) == ["copm", "gas", "pedsql", "sdq"]  # experience lives in the prems table
