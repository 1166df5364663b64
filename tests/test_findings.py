"""The front page's findings: read from each report's results JSON, strict about what they read,
honest when they cannot (a failed report, a missing key, an unknown notebook)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from evidence.reporting import extractors, formats
from evidence.reporting.findings import extract, finding_for_job
from evidence.reporting.frontpage import render_front_page, render_run_log
from evidence.reporting.jobs import load_config
from evidence.reporting.results_file import FindingError, Results

from .conftest import ROOT
from .front_page_numbers import check_front_page_numbers, shown_number

SURVEY = {
    "report": "workforce_survey",
    "year": 2025,
    "nation": "Wales",
    "synthetic": True,
    "headlines": [
        {
            "id": "increased_demand",
            "statement": "reported increased demand over the past year",
            "proportion": 45 / 60,
            "ci_low": 0.6267,
            "ci_high": 0.8424,
            "n": 60.0,
            "positive": 45.0,
        }
    ],
}
OUTCOMES = {
    "report": "intervention_outcomes",
    "service": "All",
    "instrument": "sdq",
    "scale": "total_difficulties",
    "synthetic": True,
    "change_by_tier": [
        {
            "tier": "Universal",
            "Children": "95",
            "mean_change": "\u22121.2",
            "change_ci_low|change_ci_high": "\u22122.0 to \u22120.4",
        },
        {"tier": "Specialist", "Children": "*", "mean_change": "", "change_ci_low|change_ci_high": ""},
    ],
}
ROI = {
    "report": "return_on_investment",
    "intervention": "Targeted",
    "comparator": "Waiting list",
    "synthetic": True,
    "headline": {
        "bcr": 5.7449,
        "bcr_interval": [-0.7167, 11.4061],
        "npv_per_child": 1456.6,
        "npv_interval": [-312.85, 3104.2],
        "probabilities": {"npv_positive": 0.9996},
        "base_case": {"bcr": 5.6012, "npv": 1401.4},
        "illustrative_assumptions": 41,
        "assumptions_from_the_set": 44,
    },
}
SYNTHESIS = {
    "report": "evidence_synthesis",
    "synthetic": False,
    "measure": "SMD",
    "level": 0.95,
    "studies": [{"study": s, "yi": 0.1, "vi": 0.01} for s in "abc"],
    "pooled": {
        "estimate": 0.0837,
        "ci_low": -0.0457,
        "ci_high": 0.2131,
        "pi_low": -0.2322,
        "pi_high": 0.3996,
        "i2": 41.85,
    },
}
PROJECTION = {
    "report": "workforce_projection",
    "nation": "England",
    "horizon_years": 15,
    "start_year": 2024,
    "interval": 0.9,
    "illustrative": {"values": ["a", "b"], "ranges": []},
    "horizon": [
        {
            "scenario": "baseline",
            "label": "Baseline",
            "waiting_start": 19070.0,
            "waiting_median": 172577.7,
            "waiting_low": 100215.3,
            "waiting_high": 273329.0,
        },
        {
            "scenario": "low_demand",
            "label": "Low demand growth (1% a year)",
            "waiting_start": 19070.0,
            "waiting_median": 84327.2,
            "waiting_low": 40001.0,
            "waiting_high": 150049.9,
        },
    ],
}
NOTEBOOK_RESULTS = {
    "workforce_survey": SURVEY,
    "intervention_outcomes": OUTCOMES,
    "return_on_investment": ROI,
    "evidence_synthesis": SYNTHESIS,
    "workforce_projection": PROJECTION,
}


def _job(name: str, notebook: str, **more) -> dict:
    return {
        "name": name,
        "title": name.replace("_", " ").title(),
        "status": "succeeded",
        "html": f"{name}.html",
        "results": f"{name}.json",
        "notebook": f"notebooks/{notebook}.ipynb",
        "synthetic": True,
        **more,
    }


def _sentences(finding) -> list[str]:
    return ["".join(p if isinstance(p, str) else p.text for p in s) for s in finding.sentences]


def _extract(notebook: str, data: dict, name: str = "report"):
    return extract(_job(name, notebook), Results(copy.deepcopy(data), f"{name}.json"))


def test_survey_sentence_is_read_from_the_headline():
    finding = _extract("workforce_survey", SURVEY)
    assert finding.theme == "workforce" and finding.synthetic
    assert _sentences(finding) == [
        "75% of respondents reported increased demand over the past year (95% interval 63% to 84%; 60 answered)."
    ]


def test_parent_experience_survey_is_filed_under_families():
    parents = {**SURVEY, "report": "parent_experience"}
    assert _extract("workforce_survey", parents).theme == "families"
    assert _extract("workforce_survey", SURVEY, name="parent_experience_survey").theme == "families"
    assert _extract("workforce_survey", SURVEY, name="workforce_survey_wales").theme == "workforce"
    failed = finding_for_job(_job("parent_experience_survey", "workforce_survey", status="failed"), Path("."))
    assert (failed.theme, failed.status) == ("families", "failed")


def test_outcomes_say_which_direction_is_better_and_keep_suppression():
    sentences = _sentences(_extract("intervention_outcomes", OUTCOMES))
    assert sentences[0].endswith("across all services (a fall is an improvement):")  # SDQ difficulties
    assert (
        sentences[1]
        == "Universal tier: \u22121.2 points on average (95% interval \u22122.0 to \u22120.4; 95 children)."
    )
    assert sentences[2] == "Specialist tier: not published (too few children to show safely)."


def test_roi_sentences_never_round_a_chance_to_certainty():
    sentences = _sentences(_extract("return_on_investment", ROI))
    assert sentences == [
        "Each pound spent on the targeted intervention returns, on average over the simulations, about £5.74 "
        "in health and avoided costs (95% interval \u2212£0.72 to £11.41; base case £5.60), compared with the "
        "comparator, \u201cWaiting list\u201d.",
        "Expected net benefit per child £1,457 (95% interval \u2212£313 to £3,104; base case £1,401); the chance "
        "that benefits exceed costs is over 99%.",
        "41 of the 44 assumptions are illustrative, not published figures.",
    ]
    assert _extract("return_on_investment", ROI).illustrative


def test_synthesis_and_projection_sentences():
    synthesis = _sentences(_extract("evidence_synthesis", SYNTHESIS))
    assert synthesis[0] == (
        "Pooled over 3 studies, the standardised mean difference is 0.08 (95% confidence interval \u22120.05 to 0.21)."
    )
    assert "between \u22120.23 and 0.40" in synthesis[1] and synthesis[1].endswith("is 42%.")
    projection = _sentences(_extract("workforce_projection", PROJECTION))
    assert projection[0] == (
        "Under the baseline scenario the waiting list in England grows from 19,100 children "
        "in 2024 to about 173,000 children (90% interval 100,000 to 273,000) after 15 years."
    )
    assert projection[1].startswith(
        "The shortest list comes under \u201cLow demand growth (1% a year)\u201d: about 84,300"
    )
    assert projection[2].startswith("2 of the values")


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_RESULTS))
def test_a_missing_key_fails_loudly_naming_file_and_pointer(notebook):
    data = copy.deepcopy(NOTEBOOK_RESULTS[notebook])
    first_list = next(k for k, v in data.items() if isinstance(v, list | dict) and k not in ("illustrative",))
    del data[first_list]
    with pytest.raises(FindingError, match=rf"report\.json: no /{first_list}"):
        _extract(notebook, data)


def test_front_page_says_no_finding_rather_than_guess(tmp_path):
    broken = {**SURVEY, "headlines": [{"id": "x", "statement": "said something"}]}  # no proportion
    (tmp_path / "survey.json").write_text(json.dumps(broken))
    (tmp_path / "mystery.json").write_text(json.dumps({"report": "mystery", "answer": 42}))
    jobs = [
        _job("survey", "workforce_survey"),
        _job("mystery", "mystery_notebook"),
        _job("no_results", "return_on_investment", results=None),
        _job("broken", "evidence_synthesis", status="failed", html=None, error="RuntimeError: boom"),
    ]
    with pytest.raises(FindingError, match="no /headlines/0/proportion"):
        extract(jobs[0], Results.read(tmp_path / "survey.json"))
    with pytest.raises(FindingError, match="no extractor for notebook 'mystery_notebook'"):
        extract(jobs[1], Results.read(tmp_path / "mystery.json"))
    page = render_front_page("Test 2025", 2025, jobs, tmp_path)
    assert page.count("No finding available.") == 3
    assert "42" not in page.split("<main", 1)[1].split("</main>")[0]
    assert 'href="run.html#job-broken"' in page and "broken.html" not in page
    assert "Other reports" in page  # the unknown notebook's theme
    assert "No report this year covers this theme." in page  # workforce planning, families
    log = render_run_log(
        "Test 2025",
        {
            "year": 2025,
            "interrupted": True,
            "jobs": [{**jobs[3], "state": "stale", "where": "worker 2", "attempts": 2}],
        },
    )
    assert 'id="job-broken"' in log and "RuntimeError: boom" in log
    assert "state: stale" in log and "where: worker 2" in log and "interrupted" in log  # fields it does not know


def test_front_page_numbers_are_the_results_numbers(tmp_path):
    jobs = []
    for notebook, data in NOTEBOOK_RESULTS.items():
        (tmp_path / f"{notebook}.json").write_text(json.dumps(data))
        jobs.append(_job(notebook, notebook))
    (tmp_path / "index.html").write_text(render_front_page("Test 2025", 2025, jobs, tmp_path))
    assert check_front_page_numbers(tmp_path) >= 30
    page = (tmp_path / "index.html").read_text()
    assert page.count("synthetic sample data</span>") >= 4  # marked finding by finding (synthesis is not)
    tampered = page.replace(">75%</data>", ">76%</data>", 1)
    assert tampered != page
    (tmp_path / "index.html").write_text(tampered)
    with pytest.raises(AssertionError, match="another number"):
        check_front_page_numbers(tmp_path)
    (tmp_path / "index.html").write_text(page.replace("answered)", "answered, 12 left out)", 1))
    with pytest.raises(AssertionError, match="not read from a results file"):
        check_front_page_numbers(tmp_path)


def test_shown_numbers_are_read_with_their_precision():
    assert shown_number("\u2212£1,201") == (-1201.0, 0.5, "")
    assert shown_number("173,000") == (173000.0, 500.0, "")
    assert shown_number("2.65") == (2.65, pytest.approx(0.005), "")
    assert shown_number("over 99%") == (99.0, 0.5, "over")


def test_every_shipped_notebook_has_an_extractor():
    notebooks = {job.notebook.stem for job in load_config(ROOT / "config" / "annual_report.yml").jobs}
    assert notebooks <= set(extractors.EXTRACTORS), notebooks - set(extractors.EXTRACTORS)
    assert notebooks <= set(extractors.NOTEBOOK_THEMES)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.7045, "70%"),
        (-0.004, "0%"),
        (0.9996, "over 99%"),
        (0.0004, "under 1%"),
        (1.0, "100%"),
    ],
)
def test_chance_formatting(value, shown):
    assert formats.chance(value) == shown


def test_money_and_counts_formatting():
    assert formats.pounds(-312.85) == "\u2212£313" and formats.pounds(-0.4) == "£0"
    assert formats.pounds_pence(2.652) == "£2.65"
    assert formats.about(172577.7) == "173,000" and formats.about(19070) == "19,100" and formats.about(660) == "660"
