"""The reporting path: parameter checks, the batch end to end, and the HTML it produces."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

from evidence import samples
from evidence.errors import ConfigError
from evidence.ingest import ingest_survey
from evidence.reporting.batch import run_batch
from evidence.reporting.jobs import load_config
from evidence.reporting.parameters import read_parameters, validate_parameters

from .conftest import ROOT, write_export
from .front_page_numbers import check_front_page_numbers

NOTEBOOK = ROOT / "notebooks" / "workforce_survey.ipynb"


def test_parameters_cell_is_read_with_types_and_comments():
    declared = read_parameters(NOTEBOOK)
    assert declared["year"].type_name == "int" and declared["year"].default == 2025
    assert declared["weighting"].type_name == "bool"
    assert all(p.comment for p in declared.values()), "every parameter needs a comment"


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({"yaer": 2025}, "unknown parameter(s) 'yaer'"),
        ({"year": "2025"}, "value '2025' is a str, but the notebook declares int"),
        ({"year": "007"}, "value '007' is a str"),
        ({"min_base": True}, "is a bool, but the notebook declares int"),
        ({"weighting": "yes"}, "declares bool"),
    ],
)
def test_bad_parameters_are_refused(given, fragment):
    with pytest.raises(ConfigError) as caught:
        validate_parameters(NOTEBOOK, given, "test")
    assert fragment in str(caught.value)


def test_config_errors_are_caught_before_running(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "year": 2025,
                "title": "t",
                "reports": [{"name": "a", "notebook": str(NOTEBOOK), "parameters": {"nation": 3}}],
            }
        )
    )
    with pytest.raises(ConfigError, match="'nation': value 3 is a int"):
        load_config(config)
    config.write_text(
        yaml.safe_dump(
            {
                "year": 2025,
                "title": "t",
                "reports": [{"name": "a", "notebook": str(NOTEBOOK), "parameters": {"results_path": "x"}}],
            }
        )
    )
    with pytest.raises(ConfigError, match="set by the batch"):
        load_config(config)


def test_shipped_config_is_valid():
    config = load_config(ROOT / "config" / "annual_report.yml")
    assert "workforce_survey" in [j.name for j in config.jobs]


class _Page(HTMLParser):
    """Collects what a browser would fetch and what a reader would see."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.fetches: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "img":
            self.images.append(attributes)
        for name in ("src", "data", "poster", "action"):
            if attributes.get(name):
                self.fetches.append(attributes[name])
        if tag == "link" and attributes.get("href"):
            self.fetches.append(attributes["href"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


def _page(path: Path) -> tuple[str, _Page]:
    text = path.read_text(encoding="utf-8")
    parser = _Page()
    parser.feed(text)
    return text, parser


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One batch run: the survey report on an export with planted identifiers, and a report
    whose notebook fails."""
    work = tmp_path_factory.mktemp("batch")
    frame = samples.workforce_survey.workforce_survey_frame()
    planted = {
        "name": "Zebedee Quux-Tarrant",
        "email": "zebedee.quux@example.com",
        "phone": "07700 900777",
        "nhs": "943 476 5919",
        "postcode": "SW1A 9ZZ",
        "dob": "14/07/2016",
    }
    frame.loc[10, "RecipientName"] = planted["name"]
    frame.loc[10, "RecipientEmail"] = planted["email"]
    frame.loc[10, "Postcode"] = planted["postcode"]
    frame.loc[10, "Consent"] = "Yes"
    frame.loc[10, "Finished"] = "True"
    frame.loc[10, "Q11"] = (
        f"I'm Zebedee, call {planted['phone']}, child NHS {planted['nhs']}, "
        f"born {planted['dob']}, at {planted['postcode']}, {planted['email']}"
    )
    raw = write_export(frame, work / "export.csv")
    processed = work / "processed"
    ingest_survey(raw, processed)

    failing = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("threshold: int = 3  # a parameter", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("raise RuntimeError(f'planted failure at {threshold}')"),
        ],
        metadata={"kernelspec": {"name": "evidence", "display_name": "Python (evidence)", "language": "python"}},
    )
    failing_path = work / "failing.ipynb"
    nbformat.write(failing, failing_path)
    config = work / "batch.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "year": 2025,
                "title": "Test batch",
                "kernel": "evidence",
                "reports": [
                    {
                        "name": "workforce_survey",
                        "title": "Workforce survey",
                        "notebook": str(NOTEBOOK),
                        "parameters": {"input_path": str(processed / "workforce_survey.parquet")},
                    },
                    {
                        "name": "broken",
                        "title": "Broken report",
                        "notebook": str(failing_path),
                        "parameters": {"threshold": 5},
                    },
                ],
            }
        )
    )
    reports = work / "reports"
    (reports).mkdir()
    (reports / "broken.html").write_text("stale output from an earlier success")
    outcome = run_batch(config, reports, show_progress=False)
    return {
        "outcome": outcome,
        "reports": reports,
        "processed": processed,
        "planted": planted,
        "config": config,
        "work": work,
    }


@pytest.mark.slow
def test_batch_isolates_a_failure_and_names_it(batch):
    outcome, reports = batch["outcome"], batch["reports"]
    assert not outcome.succeeded
    status = {r.job.name: r.status for r in outcome.results}
    assert status == {"workforce_survey": "succeeded", "broken": "failed"}
    broken = next(r for r in outcome.results if r.job.name == "broken")
    assert "RuntimeError: planted failure at 5" in broken.error
    assert "raise RuntimeError" in broken.error  # the failing cell's source
    assert not (reports / "broken.html").exists()  # never rendered as if it succeeded
    run = json.loads((reports / "run.json").read_text())
    assert [j["status"] for j in run["jobs"]] == ["succeeded", "failed"]
    index, page = _page(reports / "index.html")
    assert 'href="workforce_survey.html"' in index and "broken.html" not in page.links
    assert "run.html#job-broken" in page.links and "Failed." in index  # shown as failed, linked to its error
    assert "run.html" in page.links
    log, log_page = _page(reports / "run.html")
    assert "planted failure at 5" in log and 'id="job-broken"' in log and "workforce_survey.html" in log_page.links
    assert check_front_page_numbers(reports) >= 12  # the survey's four headlines, three numbers each
    annual, annual_page = _page(reports / "annual_report.html")
    assert "Workforce survey" in annual and "run.html#job-broken" in annual_page.links


@pytest.mark.slow
def test_published_files_have_normal_permissions(batch):
    """Reports, results, run log and pages are readable by others under the usual umask (the
    atomic writer once left them 0600)."""
    import os
    import stat

    mask = os.umask(0o022)
    os.umask(mask)
    expected = 0o666 & ~mask
    written = [p for p in batch["reports"].rglob("*") if p.is_file() and p.name != "broken.html"]
    assert {p.suffix for p in written} >= {".html", ".json", ".ipynb"}
    wrong = {
        str(p.relative_to(batch["reports"])): oct(stat.S_IMODE(p.stat().st_mode))
        for p in written
        if stat.S_IMODE(p.stat().st_mode) != expected
    }
    assert wrong == {}, f"expected {oct(expected)}"


@pytest.mark.slow
def test_report_html_is_offline_accessible_and_codeless(batch):
    text, page = _page(batch["reports"] / "workforce_survey.html")
    assert page.fetches, "the page should have images"
    assert all(src.startswith("data:") for src in page.fetches), page.fetches
    assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", re.sub(r'href="[^"]*"', "", text)), (
        "no other host may be referenced outside links"
    )
    assert "<script" not in text and "@import" not in text
    assert len(page.images) >= 2
    for image in page.images:
        assert len((image.get("alt") or "").strip()) >= 20, image.get("alt")
        assert "%" in image["alt"]  # the alt text carries the figures, not just a label
    assert "from evidence import" not in text and "show_table(" not in text  # no code
    assert "Sample data." in text  # the synthetic banner
    for anchor in (link[1:] for link in page.links if link.startswith("#")):
        assert anchor in page.ids, anchor
    assert "How this report was made" in text and "SHA-256" in text


@pytest.mark.slow
def test_report_shows_four_headlines_with_intervals(batch):
    text, _ = _page(batch["reports"] / "workforce_survey.html")
    headlines = re.findall(r"<strong>(\d+)%</strong> ([^(]+)\(95% interval (\d+)% to (\d+)%", text)
    assert len(headlines) == 4
    for share, _, low, high in headlines:
        assert int(low) <= int(share) <= int(high)
    results = json.loads((batch["reports"] / "workforce_survey.json").read_text())
    assert {h["id"] for h in results["headlines"]} == {
        "increased_demand",
        "more_complex_needs",
        "not_fully_staffed",
        "full_staffing_insufficient",
    }
    assert results["synthetic"] is True


@pytest.mark.slow
def test_no_planted_identifier_reaches_processed_data_or_reports(batch):
    planted = batch["planted"]
    needles = [*planted.values(), "Zebedee", "Quux", planted["nhs"].replace(" ", ""), planted["phone"].replace(" ", "")]
    for folder in (batch["processed"], batch["reports"]):
        for path in folder.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                if path.suffix == ".parquet":
                    import pandas as pd

                    content = pd.read_parquet(path).to_csv().encode()
                for needle in needles:
                    assert needle.encode() not in content, f"{needle!r} found in {path}"


@pytest.mark.slow
def test_cli_run_exit_code_reflects_failure(batch, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "evidence.cli", "run", str(batch["config"]), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert re.search(r"FAILED +broken", result.stdout)
    bad = subprocess.run(
        [sys.executable, "-m", "evidence.cli", "run", str(tmp_path / "nope.yml")], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "no such config file" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_a_rerun_keeps_the_findings_on_the_front_page(batch):
    """A routine rerun skips the unchanged report; the front page still gives its findings
    (from the results file kept beside it), not a list of "skipped"."""
    outcome = run_batch(batch["config"], batch["reports"], show_progress=False)
    assert {r.job.name: r.status for r in outcome.results} == {"workforce_survey": "skipped", "broken": "failed"}
    index, _ = _page(batch["reports"] / "index.html")
    assert index.count("of respondents") == 4 and "skipped" not in index.split("<main", 1)[1]
    assert check_front_page_numbers(batch["reports"]) >= 12
