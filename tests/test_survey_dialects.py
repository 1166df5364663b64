"""The same survey exported by each survey tool ingests with the shipped definition to the same
answers table (``tests/data/survey_layouts.py`` writes the layouts from the synthetic sample);
the dialect is recognised and recorded; coded values are read only through the definition's codes."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from evidence import survey
from evidence.errors import ValidationError
from evidence.readers import read_raw

from .conftest import ROOT

ANSWERS_IGNORED = ["respondent_id"]  # a pseudonym of each tool's own response ID


def _generator():
    spec = importlib.util.spec_from_file_location("survey_layouts", ROOT / "tests" / "data" / "survey_layouts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    return _generator().write_layouts(tmp_path_factory.mktemp("layouts"))


@pytest.fixture(scope="module")
def reference(layouts):
    return survey.clean_export(read_raw(layouts["qualtrics_labels.csv"]), environ={})


EXPECTED = {
    "qualtrics_labels.csv": "qualtrics_labels", "qualtrics_numeric.csv": "qualtrics_numeric",
    "qualtrics_spss.sav": "qualtrics_spss", "microsoft_forms.xlsx": "microsoft_forms",
    "google_forms.csv": "google_forms", "surveymonkey.csv": "surveymonkey",
    "smartsurvey.csv": "smartsurvey", "excel_sep_line.csv": "qualtrics_labels",
}


@pytest.mark.parametrize("layout", list(EXPECTED))
def test_every_layout_gives_the_same_answers_table(layouts, reference, layout):
    clean = survey.clean_export(read_raw(layouts[layout]), environ={})
    assert clean.dialect["name"] == EXPECTED[layout]
    assert clean.synthetic
    ignored = ANSWERS_IGNORED + (["started_at"] if layout == "google_forms.csv" else [])  # no start time
    expected = reference.table.drop(columns=ignored)
    got = clean.table.drop(columns=ignored)
    pd.testing.assert_frame_equal(got, expected)
    assert len(expected) == 678 and expected["pressures__recruitment"].sum() > 300
    if layout == "google_forms.csv":
        assert clean.table["started_at"].isna().all()
        assert "Timestamp" in clean.dialect["respondent_key"]
    if layout in ("surveymonkey.csv", "smartsurvey.csv"):
        assert clean.dialect["header_rows"] == 2
        assert len(clean.dialect["multiselects_joined_from"]["Q9"]) == 7
        assert {"IP Address", "Email Address"} <= set(clean.dropped_identifier_columns)
    if layout == "surveymonkey.csv":
        assert {"First Name", "Last Name", "Collector ID"} <= set(clean.dropped_identifier_columns)
    if layout == "qualtrics_spss.sav":
        assert len(clean.dialect["multiselects_joined_from"]["Q9"]) == 7
    if layout == "excel_sep_line.csv":
        assert clean.dialect["excel_sep_line"]
    if layout == "microsoft_forms.xlsx":
        assert {"Email", "Name"} <= set(clean.dropped_identifier_columns)


def test_numeric_band_code_5_is_not_band_5(layouts, reference):
    clean = survey.clean_export(read_raw(layouts["qualtrics_numeric.csv"]), environ={})
    not_afc = (reference.table["band"] == "Not on Agenda for Change").sum()
    assert not_afc > 20 and (clean.table["band"] == "Not on Agenda for Change").sum() == not_afc
    assert clean.rejected == reference.rejected  # consent coded 1 is "Yes"


def test_a_code_outside_the_definition_is_refused(layouts, tmp_path):
    text = layouts["qualtrics_numeric.csv"].read_text(encoding="utf-8-sig").splitlines()
    header = text[0].split(",")
    cells = text[5].split(",")
    cells[header.index("Q4")] = "6"  # band has codes 1-5
    text[5] = ",".join(cells)
    bad = tmp_path / "coded.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        survey.clean_export(read_raw(bad), environ={})
    message = str(caught.value)
    assert "row 6, column 'Q4': value '6': this export holds choice codes" in message
    assert "5 = Not on Agenda for Change" in message
