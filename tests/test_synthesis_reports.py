"""The synthesis reports of the annual batch, run end to end as `make report` runs them, and one
more on studies that all have the same variance."""

from __future__ import annotations

import html
import json
import re

import pytest
import yaml

from evidence import synthesis
from evidence.reporting.batch import run_batch

from .conftest import ROOT

pytestmark = pytest.mark.slow

REFERENCE = json.loads((ROOT / "tests" / "fixtures" / "metafor" / "reference.json").read_text(encoding="utf-8"))


def _equal_variance_job(work) -> dict:
    """A report on ten synthetic studies that all have the same variance: Egger's test, the rank
    test and trim-and-fill (without a side) cannot be estimated, and the report must say so."""
    data = REFERENCE["effects"]["equal_variance_0.04"]
    path = work / "equal_variance_synthetic.csv"
    rows = [f"{label},{y},{v},SYNTHETIC" for label, y, v in zip(data["labels"], data["yi"], data["vi"], strict=True)]
    path.write_text("\n".join(["study,yi,vi,data_label", *rows]) + "\n")
    return {
        "name": "evidence_synthesis_equal_variance",
        "title": "Ten studies of equal size (synthetic)",
        "notebook": "notebooks/evidence_synthesis.ipynb",
        "parameters": {
            "evidence_path": str(path),
            "topic": "ten synthetic studies of equal size",
            "measure": "GEN",
            "effect_label": "",
            "method": "REML",
            "test": "knha",
            "subgroup_column": "",
            "moderators": [],
            "favours": [],
        },
    }


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    config = yaml.safe_load((ROOT / "config" / "annual_report.yml").read_text())
    config["reports"] = [r for r in config["reports"] if r["name"].startswith("evidence_synthesis")]
    assert [r["name"] for r in config["reports"]] == [
        "evidence_synthesis_services",
        "evidence_synthesis_outcomes",
        "evidence_synthesis_literature",
    ]
    work = tmp_path_factory.mktemp("synthesis")
    config["reports"].append(_equal_variance_job(work))
    path = work / "batch.yml"
    path.write_text(yaml.safe_dump(config))
    outcome = run_batch(path, work / "reports", show_progress=False)
    return {"outcome": outcome, "folder": work / "reports", "config": config}


def _job(reports, name: str) -> dict:
    return next(r for r in reports["config"]["reports"] if r["name"] == name)


def _page(reports, name: str) -> str:
    return (reports["folder"] / f"{name}.html").read_text(encoding="utf-8")


def test_every_synthesis_report_succeeds(reports):
    assert reports["outcome"].succeeded, [r.error for r in reports["outcome"].results]


def test_own_services_report_pools_the_processed_outcomes(reports):
    page = _page(reports, "evidence_synthesis_outcomes")
    assert "Sample data." in page  # the outcome data are the synthetic sample
    results = json.loads((reports["folder"] / "evidence_synthesis_outcomes.json").read_text())
    assert results["synthetic"] is True


def test_service_report_is_marked_synthetic_and_rounds_its_counts(reports):
    page = _page(reports, "evidence_synthesis_services")
    assert "Sample data." in page and "Synthetic data." in page
    table = page[page.index("Study estimates and weights") :]
    table = table[: table.index("</table>")]
    children = re.findall(r"<td>Service [A-Z]</td>\s*<td>([^<]+)</td>", table)
    assert len(children) == 16
    assert all(c == "*" or int(c.replace(",", "")) % 5 == 0 for c in children)
    results = json.loads((reports["folder"] / "evidence_synthesis_services.json").read_text())
    assert results["synthetic"] is True and results["subgroups"]["column"] == "nation"


def test_literature_report_cites_its_source_and_matches_the_analysis(reports):
    page = _page(reports, "evidence_synthesis_literature")
    assert "Sample data." not in page
    assert "Raudenbush SW. Journal of Educational Psychology 76(1):85-97" in page
    assert "doi:10.1037/0022-0663.76.1.85" in page
    for heading in ("Summary", "Heterogeneity", "Subgroups", "Small-study effects", "Methods"):
        assert f'href="#{heading.lower().replace(" ", "-")}"' in page
    parameters = _job(reports, "evidence_synthesis_literature")["parameters"]
    table = synthesis.read_evidence_table(parameters["evidence_path"], parameters["measure"])
    expected = synthesis.meta_analysis(
        table.effects["yi"], table.effects["vi"], parameters["method"], parameters["test"]
    )
    results = json.loads((reports["folder"] / "evidence_synthesis_literature.json").read_text())
    assert results["pooled"]["estimate"] == pytest.approx(expected.estimate)
    assert results["pooled"]["i2_ci"] == pytest.approx(list(expected.i2_ci))
    assert results["meta_regression"]["coefficients"][1]["term"] == "weeks"
    # which prediction interval, and how trim-and-fill refitted the model, are stated
    assert results["pi_type"] == "riley" and results["pooled"]["pi_df"] == 17
    assert "t-distribution on k \u2212 2 = 17 degrees of freedom" in page
    trimfill = results["small_study_checks"]["trim_and_fill"]
    assert trimfill["k0"] == 3 and trimfill["adjusted_test"] == "knha"
    assert "the model refitted with the Knapp-Hartung adjustment, as the main analysis" in page


def test_equal_variances_give_sentences_in_the_report_not_an_error(reports):
    page = html.unescape(_page(reports, "evidence_synthesis_equal_variance"))
    assert "Egger's regression test cannot be estimated: every study has the same standard error (0.2)" in page
    assert "Trim-and-fill was not run" in page and "Traceback" not in page
    results = json.loads((reports["folder"] / "evidence_synthesis_equal_variance.json").read_text())
    checks = results["small_study_checks"]
    assert checks["egger"] is checks["rank_correlation"] is checks["trim_and_fill"] is None
    assert set(checks["not_run"]) == {"egger", "rank", "trim_and_fill"}


def test_synthesis_figures_carry_alt_text_with_numbers(reports):
    for name in ("evidence_synthesis_services", "evidence_synthesis_literature"):
        alts = re.findall(r'<img[^>]*alt="([^"]*)"', _page(reports, name))
        assert len(alts) == 3  # forest, forest by subgroup, funnel
        assert all(len(a) >= 20 and re.search(r"\d", a) for a in alts)
