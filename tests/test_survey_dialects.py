"""The same survey exported by each survey tool ingests with the shipped definition to the same
answers table (``tests/data/survey_layouts.py`` writes the layouts from the synthetic sample);
the dialect is recognised and recorded; coded values are read only through the definition's codes."""

from __future__ import annotations

import csv
import importlib.util
import io

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
    "qualtrics_labels.csv": "qualtrics_labels",
    "qualtrics_numeric.csv": "qualtrics_numeric",
    "qualtrics_spss.sav": "qualtrics_spss",
    "microsoft_forms.xlsx": "microsoft_forms",
    "google_forms.csv": "google_forms",
    "surveymonkey.csv": "surveymonkey",
    "smartsurvey.csv": "smartsurvey",
    "excel_sep_line.csv": "qualtrics_labels",
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


def test_a_summary_row_is_reported_not_counted_as_a_refusal(tmp_path):
    from evidence.ingest import ingest_survey

    corpus = ROOT / "tests" / "data" / "bad" / "survey"
    manifest = ingest_survey(corpus / "summary_row_ok.csv", tmp_path / "a", environ={})
    without = ingest_survey(corpus / "excel_sep_line_ok.csv", tmp_path / "b", environ={})  # the same responses
    assert manifest["rows"]["summary_rows_removed"] == [{"row": 16, "label": "Total responses"}]
    assert without["rows"]["summary_rows_removed"] == []
    assert manifest["rows"]["in"] == 12 == without["rows"]["in"]
    assert manifest["rows"]["rejected"] == without["rows"]["rejected"]


def test_rows_after_an_excel_sep_line_keep_their_file_row_numbers(tmp_path):
    text = (ROOT / "tests" / "data" / "bad" / "survey" / "excel_sep_line_ok.csv").read_bytes().decode("utf-8-sig")
    first, rest = text.split("\r\n", 1)
    rows = list(csv.reader(io.StringIO(rest, newline="")))
    rows[6][rows[0].index("Q10")] = "75"  # file row 8: the sep line, three header rows, four responses
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    bad = tmp_path / "sep.csv"
    bad.write_text(first + "\r\n" + buffer.getvalue(), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"sep.csv, row 8, column 'Q10': value '75'"):
        survey.clean_export(read_raw(bad), environ={})


def test_a_definition_error_names_file_line_key_and_what_is_allowed(tmp_path):
    from evidence.errors import ConfigError

    text = (ROOT / "config" / "surveys" / "parent_experience.yml").read_text(encoding="utf-8")
    (tmp_path / "answer_scales.csv").write_bytes((ROOT / "config" / "surveys" / "answer_scales.csv").read_bytes())
    broken = text.replace("name: listened, kind: category", "name: listened, kind: likert")
    (tmp_path / "p.yml").write_text(broken, encoding="utf-8")
    line = next(i for i, row in enumerate(broken.splitlines(), start=1) if "kind: likert" in row)
    with pytest.raises(ConfigError) as caught:
        survey.load_definition(tmp_path / "p.yml")
    assert f"p.yml, line {line}, key columns.2.kind: 'likert' is not allowed; one of category, multiselect" in str(
        caught.value
    )
    (tmp_path / "p.yml").write_text(text.replace("scale: fft,", "scale: fft, colour: blue,"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"key columns.0.colour: unknown key 'colour'; allowed: source"):
        survey.load_definition(tmp_path / "p.yml")


def test_a_split_multiselect_missing_an_option_column_is_refused(layouts, tmp_path):
    import pyreadstat

    from evidence.errors import InputFileError

    frame, meta = pyreadstat.read_sav(str(layouts["qualtrics_spss.sav"]))
    bad = tmp_path / "q9_1_only.sav"
    pyreadstat.write_sav(
        frame.drop(columns=[f"Q9_{k}" for k in range(2, 8)]), str(bad), variable_value_labels=meta.variable_value_labels
    )
    with pytest.raises(InputFileError, match=r"the option\(s\) Retention, Funding, .* have no column"):
        survey.clean_export(read_raw(bad), environ={})


@pytest.mark.parametrize("layout", list(EXPECTED))
def test_init_survey_scaffolds_a_definition_that_ingests_the_layout(layouts, tmp_path, layout):
    from evidence.survey.scaffold import scaffold

    definition, _ = scaffold(layouts[layout], tmp_path / "mine.yml")
    text = definition.read_text(encoding="utf-8")
    if layout == "qualtrics_numeric.csv":  # codes only: no wording to recognise a scale by, and it says so
        assert "every answer is a number: if they are choice codes" in text
    else:
        assert "CONFIRM" in text and "scale: agree5" in text
    if layout == "qualtrics_spss.sav":
        assert "source: Q9, name: which_of_these_pressures_affect, kind: multiselect" in text
    clean = survey.clean_export(read_raw(layouts[layout]), survey.load_definition(definition), environ={})
    assert len(clean.table) >= 678 and clean.synthetic
    if layout != "qualtrics_numeric.csv":  # the consent question became an exclusion
        assert clean.rejected["did not consent to take part"] == 12


def test_regenerating_the_parent_sample_gives_identical_bytes(tmp_path):
    from evidence import samples

    assert (
        samples.parent_survey.write_sample(tmp_path).read_bytes()
        == (ROOT / "data" / "raw" / "sample" / samples.parent_survey.SAMPLE_FILE).read_bytes()
    )
