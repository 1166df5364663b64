"""Ingest of the workforce survey: readers, validation, de-identification, manifest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from evidence import privacy, survey
from evidence.errors import InputFileError, PseudonymKeyError, ValidationError
from evidence.files import sha256_file
from evidence.ingest import ingest_survey, load_processed
from evidence.readers import read_raw
from evidence.samples import workforce_survey as survey_sample

from .conftest import write_export


def test_sample_ingest_manifest(ingested, sample_csv):
    out, manifest = ingested
    assert manifest["synthetic"] is True
    assert manifest["input"]["sha256"] == sha256_file(sample_csv)
    assert manifest["input"]["encoding"] == "utf-8-sig"
    rows = manifest["rows"]
    total = (
        survey_sample.RESPONDENTS
        + survey_sample.DUPLICATE_SUBMISSIONS
        + survey_sample.NO_CONSENT
        + survey_sample.UNFINISHED
    )
    assert rows["in"] == total and rows["header_rows_removed"] == 2
    assert rows["rejected"] == {
        "did not consent to take part": survey_sample.NO_CONSENT,
        "did not finish the survey": survey_sample.UNFINISHED,
    }
    assert rows["out"] == total - survey_sample.NO_CONSENT - survey_sample.UNFINISHED
    assert manifest["duplicates"]["later_responses_flagged"] == survey_sample.DUPLICATE_SUBMISSIONS
    assert set(manifest["de_identification"]["identifier_columns_dropped"]) == {
        "RecipientName",
        "RecipientEmail",
        "IPAddress",
        "Postcode",
    }
    assert "demo key" in manifest["de_identification"]["pseudonym_key"]
    assert all(
        manifest["de_identification"]["free_text_redactions"][k] > 0
        for k in ("email", "phone", "nhs_number", "postcode", "date", "name")
    )
    table, again = load_processed(out / "workforce_survey.parquet")
    assert again == manifest and len(table) == rows["out"]


def test_clean_table_is_typed_and_normalised(ingested):
    out, _ = ingested
    table, _ = load_processed(out / "workforce_survey.parquet")
    assert set(table["nation"].dropna()) <= {"England", "Scotland", "Wales", "Northern Ireland"}
    assert list(table["demand_change"].cat.categories) == [
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ]
    assert table["years_with_children"].max() <= 50  # the 99 missing code is gone
    assert table["years_with_children"].isna().sum() > 0
    assert table["respondent_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert table["respondent_id"].is_unique
    assert table["synthetic"].all()


def test_headlines_land_near_the_published_survey(ingested):
    out, _ = ingested
    table, _ = load_processed(out / "workforce_survey.parquet")
    responses = survey.analysable(table)
    assert len(responses) == survey_sample.RESPONDENTS
    estimates = survey.headline_estimates(responses).set_index("id")["proportion"]
    for headline, target in survey_sample.HEADLINE_TARGETS.items():
        assert estimates[headline] == pytest.approx(target, abs=0.005), headline


def test_regenerating_the_sample_gives_identical_bytes(tmp_path, sample_csv):
    path = survey_sample.write_sample(tmp_path)
    assert path.read_bytes() == sample_csv.read_bytes()


def _clean(path: Path) -> pd.DataFrame:
    return survey.clean_export(read_raw(path), environ={}).table


def test_xlsx_and_sav_give_the_same_table(tmp_path, sample_frame):
    frame = sample_frame.head(80)
    csv_table = _clean(write_export(frame, tmp_path / "s.csv"))
    xlsx = tmp_path / "s.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:  # one header row, as Excel exports
        frame.to_excel(writer, index=False)
    pd.testing.assert_frame_equal(_clean(xlsx), csv_table)
    sav = tmp_path / "s.sav"
    spss = frame.rename(columns={"Duration (in seconds)": "Duration"})
    pyreadstat.write_sav(spss, str(sav))
    pd.testing.assert_frame_equal(_clean(sav), csv_table)


def test_cp1252_csv_with_pound_signs(tmp_path, sample_frame):
    frame = sample_frame.head(30).copy()
    frame.loc[frame.index[0], "Q11"] = "Equipment budget cut by £20,000 this year"
    path = tmp_path / "windows.csv"
    path.write_bytes(survey_sample.export_csv_bytes(frame).decode("utf-8-sig").encode("cp1252"))
    raw = read_raw(path)
    assert raw.encoding == "cp1252"
    table = survey.clean_export(raw, environ={}).table
    assert "£20,000" in table["comment"].iloc[0]


def test_plain_utf8_without_bom(tmp_path, sample_frame):
    path = tmp_path / "plain.csv"
    path.write_bytes(survey_sample.export_csv_bytes(sample_frame.head(20)).decode("utf-8-sig").encode("utf-8"))
    assert read_raw(path).encoding == "utf-8-sig"  # decodes plain UTF-8 too
    assert len(_clean(path)) > 0


# --- bad input --------------------------------------------------------------------------


def _bad(tmp_path: Path, frame: pd.DataFrame) -> Path:
    return write_export(frame, tmp_path / "bad.csv")


def _assert_nothing_written(tmp_path: Path, source: Path, call):
    before = sha256_file(source)
    out = tmp_path / "out"
    with pytest.raises((ValidationError, InputFileError)) as caught:
        call(out)
    assert not out.exists() or not any(out.iterdir())
    assert sha256_file(source) == before
    return caught.value


def test_unknown_answer_names_file_row_column_value_and_rule(tmp_path, sample_frame):
    frame = sample_frame.copy()
    frame.loc[5, "Q5"] = "Agree strongly?"
    path = _bad(tmp_path, frame)
    error = _assert_nothing_written(tmp_path, path, lambda out: ingest_survey(path, out))
    message = str(error)
    # header rows are file rows 1-3, data row index 5 is file row 9
    assert f"{path}, row 9, column 'Q5': value 'Agree strongly?': not a recognised answer" in message
    assert "config/surveys/answer_scales.csv" in message


def test_every_problem_is_reported_together(tmp_path, sample_frame):
    frame = sample_frame.copy()
    frame.loc[0, "Q10"] = "twelve"
    frame.loc[1, "Q10"] = "60"
    frame.loc[2, "StartDate"] = "31/02/2025 10:00"
    frame.loc[3, "Q9"] = "Recruitment,Parking"
    frame.loc[4, "ResponseId"] = frame.loc[6, "ResponseId"]
    error = _assert_nothing_written(tmp_path, p := _bad(tmp_path, frame), lambda out: ingest_survey(p, out))
    rules = [problem.rule for problem in error.problems]
    assert any("whole number" in r for r in rules)
    assert any("between 0 and 50" in r for r in rules)
    assert any("YYYY-MM-DD" in r for r in rules)
    assert any("option that is not recognised" in r for r in rules)
    assert sum("must be unique" in r for r in rules) == 2


def test_missing_and_renamed_columns(tmp_path, sample_frame):
    frame = sample_frame.rename(columns={"Q3": "Q3_setting"}).drop(columns=["Q7"])
    error = _assert_nothing_written(tmp_path, p := _bad(tmp_path, frame), lambda out: ingest_survey(p, out))
    message = str(error)
    assert (
        "column 'Q3': required column is missing from the header (is 'Q3_setting' the same column renamed?)" in message
    )
    assert "column 'Q7'" in message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"StartDate;EndDate;ResponseId\n1;2;3\n", "looks ';'-separated"),
        (b"\x00\x01\x02binary", "NUL bytes"),
        (b'a,b\n"unclosed,2\n', "well-formed"),
        (b"a,b,c\n1,2\n", "row 2: 2 fields where the header has 3"),
    ],
)
def test_unreadable_files(tmp_path, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    error = _assert_nothing_written(tmp_path, path, lambda out: ingest_survey(path, out))
    assert fragment in str(error)


def test_header_only_export(tmp_path, sample_frame):
    error = _assert_nothing_written(
        tmp_path, p := _bad(tmp_path, sample_frame.head(0)), lambda out: ingest_survey(p, out)
    )
    assert "no responses" in str(error)


def test_corrupt_and_multi_sheet_workbooks(tmp_path, sample_frame):
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputFileError, match="workbook"):
        read_raw(corrupt)
    two = tmp_path / "two.xlsx"
    with pd.ExcelWriter(two, engine="openpyxl") as writer:
        sample_frame.head(3).to_excel(writer, sheet_name="Responses", index=False)
        sample_frame.head(3).to_excel(writer, sheet_name="Notes", index=False)
    with pytest.raises(InputFileError, match="2 sheets"):
        read_raw(two)
    bad_sav = tmp_path / "bad.sav"
    bad_sav.write_bytes(b"$FL2 truncated")
    with pytest.raises(InputFileError, match="SPSS"):
        read_raw(bad_sav)


def test_real_data_needs_a_key(tmp_path, sample_frame, monkeypatch):
    frame = sample_frame.drop(columns=["DataLabel"])
    path = _bad(tmp_path, frame)
    with pytest.raises(PseudonymKeyError, match="EVIDENCE_PSEUDONYM_KEY"):
        ingest_survey(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    monkeypatch.setenv(privacy.KEY_ENVIRONMENT_VARIABLE, "a-real-secret-key-of-enough-length")
    manifest = ingest_survey(path, tmp_path / "out")
    assert manifest["synthetic"] is False
    assert "environment variable" in manifest["de_identification"]["pseudonym_key"]


def test_outputs_may_not_go_under_data_raw(sample_csv):
    from evidence.errors import ConfigError

    with pytest.raises(ConfigError, match="data/raw"):
        ingest_survey(sample_csv, sample_csv.parent / "processed")


def test_cli_prints_a_clear_error_without_traceback(tmp_path, sample_frame):
    frame = sample_frame.copy()
    frame.loc[0, "Q1"] = "Atlantis"
    path = _bad(tmp_path, frame)
    result = subprocess.run(
        [sys.executable, "-m", "evidence.cli", "ingest", "survey", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "value 'Atlantis': not a recognised answer" in result.stderr
    assert not (tmp_path / "out").exists()


def test_manifest_is_json_and_complete(ingested):
    out, _ = ingested
    manifest = json.loads((out / "workforce_survey.manifest.json").read_text())
    for key in ("input", "rows", "duplicates", "de_identification", "package_version", "git_revision", "created_utc"):
        assert key in manifest
