"""The bad-input corpus (``tests/data/bad``, listed in ``cases.yml``): every malformed input
raises the expected error, naming file, row, column, value and rule; the CLI prints it without a
traceback and exits 2; nothing is written; the raw bytes are unchanged. Good-but-tricky inputs
are ingested. Free text that a spreadsheet would run as a formula never reaches a CSV output
unescaped."""

from __future__ import annotations

import csv
import importlib.util
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evidence import cli, errors
from evidence.files import neutralise_formulas, sha256_file, write_csv_safe
from evidence.ingest import ingest_outcomes, ingest_survey, load_outcomes, load_processed

from .conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "bad"
CASES = yaml.safe_load((CORPUS / "cases.yml").read_text(encoding="utf-8"))
INGEST = {"survey": ingest_survey, "outcomes": ingest_outcomes}
FORMULA = '=HYPERLINK("http://evil.example","click")'
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _generator():
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hashes(path: Path) -> dict[str, str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(p.relative_to(path.parent)): sha256_file(p) for p in files}


def _staged(case: dict, tmp_path: Path) -> Path:
    """A copy of the case in ``tmp_path`` (generated cases are made there)."""
    target = tmp_path / "in" / case["path"]
    target.parent.mkdir(parents=True)
    if case.get("generated"):
        target.write_bytes(_generator().enormous_line())
    elif (CORPUS / case["path"]).is_dir():
        shutil.copytree(CORPUS / case["path"], target)
    else:
        shutil.copyfile(CORPUS / case["path"], target)
    return target


def _nothing_written(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir())


def _ids(case: dict) -> str:
    return case["path"]


def test_the_corpus_is_large_and_every_file_is_listed():
    assert len(CASES) >= 30
    listed = {c["path"] for c in CASES}
    assert len(listed) == len(CASES), "a case is listed twice"
    for case in CASES:
        assert case["kind"] in INGEST
        assert case["error"] == "none" or issubclass(getattr(errors, case["error"]), errors.EvidenceError)
        assert case["error"] == "none" or case["message"], f"{case['path']}: say what the message must contain"
        assert case.get("generated") or (CORPUS / case["path"]).exists(), case["path"]
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.glob("survey/*")} | {
        str(p.relative_to(CORPUS)) for p in CORPUS.glob("outcomes/*")
    }
    assert on_disk == {c["path"] for c in CASES if not c.get("generated")}


def test_the_generator_remakes_the_committed_files_byte_for_byte():
    built = _generator().build()
    committed = {
        str(p.relative_to(CORPUS)): p.read_bytes()
        for folder in ("survey", "outcomes")
        for p in (CORPUS / folder).rglob("*")
        if p.is_file()
    }
    assert sorted(built) == sorted(committed)
    changed = [name for name in built if built[name] != committed[name]]
    assert not changed, f"run python tests/data/bad/make_corpus.py and commit: {changed}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_each_case_fails_clearly_or_is_ingested(case, tmp_path):
    committed = None if case.get("generated") else _hashes(CORPUS / case["path"])
    source = _staged(case, tmp_path)
    before = _hashes(source)
    out = tmp_path / "out"
    ingest = INGEST[case["kind"]]
    if case["error"] == "none":
        manifest = ingest(source, out, environ={})
        assert manifest["synthetic"] is True
    else:
        with pytest.raises(getattr(errors, case["error"])) as caught:
            ingest(source, out, environ={})
        message = str(caught.value)
        for fragment in case["message"]:
            assert fragment in message, f"{fragment!r} not in:\n{message}"
        assert _nothing_written(out)
    assert _hashes(source) == before
    if committed is not None:
        assert _hashes(CORPUS / case["path"]) == committed


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_the_cli_prints_the_error_without_a_traceback(case, tmp_path, capsys):
    source = _staged(case, tmp_path)
    out = tmp_path / "out"
    code = cli.main(["ingest", case["kind"], str(source), "--out", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    if case["error"] == "none":
        assert code == 0 and "ingested" in captured.out
    else:
        assert code == 2
        assert captured.err.startswith("error: ") and case["message"][0] in captured.err
        assert _nothing_written(out)


@pytest.mark.parametrize(
    "path",
    [
        "survey/unbalanced_quote.csv",
        "survey/formula_cells.xlsx",
        "survey/truncated.sav",
        "survey/enormous_line.csv",
        "outcomes/prems_nul_byte",
    ],
)
def test_the_installed_command_exits_2_without_a_traceback(path, tmp_path):
    case = next(c for c in CASES if c["path"] == path)
    source = _staged(case, tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "evidence.cli", "ingest", case["kind"], str(source), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and case["message"][0] in result.stderr
    assert _nothing_written(tmp_path / "out")


# --- formula injection -------------------------------------------------------------------------


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        # OWASP, CSV Injection (https://owasp.org/www-community/attacks/CSV_Injection): the cell as
        # typed, and as it must appear in the CSV file (quoted, quote prefixed, quotes doubled).
        ('=1+2";=1+2', '"\'=1+2"";=1+2"'),
        ("=1+2'\" ;,=1+2", '"\'=1+2\'"" ;,=1+2"'),
        (FORMULA, '"\'=HYPERLINK(""http://evil.example"",""click"")"'),
        ("+cmd|' /C calc'!A0", "\"'+cmd|' /C calc'!A0\""),
        ("-1+1", '"\'-1+1"'),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "\"'@SUM(1+1)*cmd|' /C calc'!A0\""),
        ("\t=1+2", '"\'\t=1+2"'),
        ("\r=1+2", '"\'\r=1+2"'),
        ("note\r=1+2", '"note\r=1+2"'),  # quoted, so the carriage return cannot start a new cell
        ("a;=1+2", '"a;=1+2"'),  # quoted, so a semicolon-separated reading keeps one cell
        ("1 - 2 = -1", '"1 - 2 = -1"'),
    ],
)
def test_write_csv_safe_neutralises_formulas(tmp_path, typed, written):
    path = tmp_path / "t.csv"
    write_csv_safe(pd.DataFrame({"text": [typed]}), path)
    assert path.read_bytes().decode("utf-8") == f'"text"\n{written}\n'


def test_numbers_and_missing_values_are_left_alone():
    frame = pd.DataFrame(
        {
            "estimate": [-0.42, 1.5],
            "count": pd.array([-3, None], dtype="Int64"),
            "label": pd.array(["-0.42", None], dtype="string"),
            "group": pd.Categorical(["=A", "B"]),
            "@name": ["x", "y"],
        }
    )
    safe = neutralise_formulas(frame)
    pd.testing.assert_series_equal(safe["estimate"], frame["estimate"])
    pd.testing.assert_series_equal(safe["count"], frame["count"])
    assert safe["label"].tolist()[0] == "'-0.42" and pd.isna(safe["label"].tolist()[1])  # text is text
    assert safe["group"].tolist() == ["'=A", "B"]
    assert list(safe.columns)[-1] == "'@name"
    assert frame["group"].tolist() == ["=A", "B"]  # the input is not changed


def _assert_escaped(text: str, *expected: str) -> None:
    cells = _cells(text)
    assert not [c for c in cells if c.startswith(TRIGGERS)], "a formula reached the CSV unescaped"
    for value in expected:
        assert "'" + value in cells


def test_formulas_in_survey_free_text_are_kept_in_parquet_and_escaped_in_csv(tmp_path):
    ingest_survey(CORPUS / "survey" / "formula_in_free_text_ok.csv", tmp_path / "out", environ={})
    table, _ = load_processed(tmp_path / "out" / "workforce_survey.parquet")
    comments = set(table["comment"].dropna())
    assert {FORMULA, "-1+1"} <= comments  # parquet keeps the text as typed
    write_csv_safe(table, tmp_path / "survey.csv")
    _assert_escaped((tmp_path / "survey.csv").read_text(encoding="utf-8"), FORMULA, "-1+1")


def test_formulas_in_prems_comments_are_kept_in_parquet_and_escaped_in_csv(tmp_path):
    ingest_outcomes(CORPUS / "outcomes" / "prems_formula_in_comment_ok", tmp_path / "out", environ={})
    tables, _ = load_outcomes(tmp_path / "out")
    assert FORMULA in set(tables["prems"]["comment"].dropna())
    write_csv_safe(tables["prems"], tmp_path / "prems.csv")
    _assert_escaped((tmp_path / "prems.csv").read_text(encoding="utf-8"), FORMULA, "-2+3 stars")


def test_derived_service_effects_escape_a_formula_in_a_service_name(tmp_path):
    """`evidence derive service-effects` writes service names (free text from the extract) to CSV."""
    sample = ROOT / "data" / "raw" / "sample" / "outcomes_2025_synthetic"
    extract = tmp_path / "extract"
    shutil.copytree(sample, extract)
    episodes = (extract / "episodes.csv").read_text(encoding="utf-8")
    assert "Riverside Schools OT" in episodes
    quoted = '"' + FORMULA.replace('"', '""') + '"'  # as a CSV field
    (extract / "episodes.csv").write_text(
        episodes.replace("Riverside Schools OT", quoted), encoding="utf-8", newline=""
    )
    ingest_outcomes(extract, tmp_path / "out", environ={})
    assert (
        cli.main(
            ["derive", "service-effects", "--processed", str(tmp_path / "out"), "--out", str(tmp_path / "interim")]
        )
        == 0
    )
    text = (tmp_path / "interim" / "outcomes_service_effects.csv").read_text(encoding="utf-8")
    _assert_escaped(text, FORMULA)
