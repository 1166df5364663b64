"""The leak check finds planted identifiers and stays quiet on clean outputs."""

from __future__ import annotations

import pandas as pd
import pytest

from evidence import audit

from .conftest import run_audit_command


@pytest.mark.parametrize(
    ("planted", "kind"),
    [
        ("contact jo.bloggs@example.com today", "email"),
        ("ring 07700 900123 after six", "phone"),
        ("NHS 943 476 5919 was on the letter", "nhs_number"),
        ("lives at CF10 3NQ", "postcode"),
        # forms that reached processed data before issue #14 (the audit then found nothing)
        ("my son Oliver Smith has waited two years", "name"),
        ("Call 0044 7700 900123 (work)", "phone"),
        ("DOB: 03-Apr-2015", "date"),
        ("jo.bloggs at example dot org", "email"),
        ("we moved to 12 High Street last year", "address"),
        ("Mrs Nowak was brilliant", "name"),
        ("ring +44 (0)20 7946 0958.", "phone"),
    ],
)
def test_patterns_are_found(tmp_path, planted, kind):
    (tmp_path / "report.html").write_text(f"<p>{planted}</p>")
    findings = audit.scan([tmp_path])
    assert [f.kind for f in findings] == [kind]


def test_clean_numbers_are_not_mistaken_for_identifiers(tmp_path):
    text = (
        "score 84.0909090909091; id 010144262bc6b5a8; sha 42cb809af68f7 1234567890 is not a "
        "valid NHS number; 2025-09-30; 19,070 children; interval 0.6743 to 0.7426\n"
        # a report's references, dates and ordinary words: no finding on the strict side
        "Wilson 1927; Newcombe 1998; Deming & Stephan 1940; RCOT news, 22 September 2025; "
        "Hedges' g; Swansea Bay University Health Board; Autism; May 2025; Hope; [name removed]"
    )
    (tmp_path / "r.json").write_text(text)
    pd.DataFrame({"a": [84.09090909, 0.0101442628]}).to_parquet(tmp_path / "t.parquet")
    assert audit.scan([tmp_path]) == []


def test_files_found_clean_are_not_read_again_until_they_or_the_scan_change(tmp_path, monkeypatch):
    (tmp_path / "clean.html").write_text("<p>nothing to see</p>")
    (tmp_path / "leaky.html").write_text("<p>ring 07700 900123</p>")
    reads = []
    scan_file = audit._file_findings
    monkeypatch.setattr(
        audit, "_file_findings", lambda path, wanted: reads.append(path.name) or scan_file(path, wanted)
    )
    clean: dict = {}
    assert [f.kind for f in audit.scan([tmp_path], set(), clean)] == ["phone"]
    assert sorted(reads) == ["clean.html", "leaky.html"] and list(clean) == [str(tmp_path / "clean.html")]
    reads.clear()
    assert [f.kind for f in audit.scan([tmp_path], set(), clean)] == ["phone"]  # a finding is never remembered
    assert reads == ["leaky.html"]
    reads.clear()
    (tmp_path / "clean.html").write_text("<p>now with jo.bloggs@example.com</p>")
    assert sorted(f.kind for f in audit.scan([tmp_path], set(), clean)) == ["email", "phone"]
    assert sorted(reads) == ["clean.html", "leaky.html"] and clean == {}
    (tmp_path / "clean.html").write_text("<p>seen by Jasmine Ahmed</p>")
    audit.scan([tmp_path], set(), clean)
    reads.clear()
    assert "Jasmine Ahmed" in [f.excerpt for f in audit.scan([tmp_path], {"Jasmine Ahmed"}, clean)]
    assert "clean.html" in reads  # new raw values: every file is read again


def test_raw_values_are_found_in_tables_and_text(tmp_path):
    pd.DataFrame({"comment": ["seen by Jasmine Ahmed"]}).to_parquet(tmp_path / "t.parquet")
    (tmp_path / "n.ipynb").write_text('{"text": "R_CkSnvPc0wDNrK1B"}')
    (tmp_path / ".state").mkdir()
    (tmp_path / ".state" / "s.json").write_text("Jasmine Ahmed")  # hidden folders are skipped
    findings = audit.scan([tmp_path], {"Jasmine Ahmed", "R_CkSnvPc0wDNrK1B", "Bo"})
    assert sorted(f.excerpt for f in findings) == ["Jasmine Ahmed", "R_CkSnvPc0wDNrK1B"]


def test_embedded_images_are_not_scanned(tmp_path):
    (tmp_path / "r.html").write_text('<img src="data:image/png;base64,AAAA07700900123BBBB+943 476 5919/">')
    assert audit.scan([tmp_path]) == []


def test_audit_command(tmp_path, ingested):
    processed, _ = ingested
    reports = tmp_path / "reports"
    reports.mkdir()
    interim = tmp_path / "interim"
    interim.mkdir()
    clean = run_audit_command(processed, interim, reports)
    assert clean.returncode == 0, clean.stderr
    (reports / "leak.html").write_text("<p>Jasmine Ahmed</p><p>call 07700 900489</p>")
    leaked = run_audit_command(processed, interim, reports)
    assert leaked.returncode == 2 and "Traceback" not in leaked.stderr
    assert "07700 900489" in leaked.stderr
    assert "raw identifier value: ...Jasmine Ahmed" in leaked.stderr  # a respondent's name in the raw export
    (reports / "leak.html").unlink()
    (interim / "derived.csv").write_text("service,note\nRiverside,ask Jasmine Ahmed on 07700 900489\n")
    derived = run_audit_command(processed, interim, reports)
    assert derived.returncode == 2 and "07700 900489" in derived.stderr  # derived tables are audited too
