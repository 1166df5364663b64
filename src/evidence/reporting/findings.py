"""Key findings for the front page, read from each report's results JSON (never retyped).

Each notebook writes its tidy results with :func:`evidence.reporting.notebook.save_results`;
an *extractor* (:mod:`evidence.reporting.extractors`), registered under the notebook's name,
turns one results file (:mod:`evidence.reporting.results_file`) into a theme and a few
plain-language sentences. Every number in a sentence is a
:class:`~evidence.reporting.results_file.Figure` that keeps the JSON pointer (RFC 6901) it was
read from and the value found there, so the page can show where each number came from and a
test can check that the page says what the file says.

An extractor reads keys strictly: a missing key, or a value of the wrong kind, raises
:class:`~evidence.reporting.results_file.FindingError` naming the file and the pointer.
:func:`findings_for_jobs` catches it and the front page says "No finding available" for that
report rather than guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.errors import ConfigError
from evidence.reporting.extractors import EXTRACTORS, NOTEBOOK_THEMES, survey_theme
from evidence.reporting.results_file import FindingError, Part, Results

#: The front page's themes, in the order they are shown: (key, heading).
THEMES: tuple[tuple[str, str], ...] = (
    ("workforce", "Workforce"),
    ("outcomes", "Children's outcomes"),
    ("families", "Families' experience"),
    ("value", "Value for money"),
    ("evidence", "Evidence"),
    ("planning", "Workforce planning"),
    ("other", "Other reports"),
)


@dataclass
class Finding:
    """What the front page says about one report."""

    name: str
    title: str
    theme: str
    status: str  # "available", "unavailable" (no finding could be read) or "failed"
    html: str | None = None  # the report's page, relative to the index
    results: str | None = None  # its results file, relative to the index
    sentences: list[list[Part]] = field(default_factory=list)
    synthetic: bool = False
    illustrative: bool = False  # rests on illustrative (unsourced) assumptions
    note: str = ""  # why no finding is available
    stale_from: str = ""  # when the report shown was made, if by an earlier run (run.json's report_made_utc)


def notebook_key(job: dict[str, Any]) -> str:
    return Path(str(job.get("notebook", ""))).stem


def _fallback_theme(job: dict[str, Any]) -> str:
    key = notebook_key(job)
    if key in ("workforce_survey", "survey_report"):
        return survey_theme(str(job.get("name", "")), str(job.get("title", "")))
    return NOTEBOOK_THEMES.get(key, "other")


def extract(job: dict[str, Any], results: Results) -> Finding:
    """The finding for one job from its results (errors propagate: for tests and callers that
    want to know)."""
    key = notebook_key(job)
    if key not in EXTRACTORS:
        raise FindingError(
            f"no extractor for notebook {key!r} (report {job.get('name')!r}); "
            f"add one to evidence.reporting.extractors.EXTRACTORS"
        )
    theme, sentences, illustrative = EXTRACTORS[key](results, job)
    synthetic = results.data.get("synthetic")
    synthetic = bool(job.get("synthetic")) if synthetic is None else bool(synthetic) or bool(job.get("synthetic"))
    return Finding(
        job["name"],
        job.get("title", job["name"]),
        theme,
        "available",
        job.get("html"),
        job.get("results"),
        sentences,
        synthetic,
        illustrative,
    )


def finding_for_job(job: dict[str, Any], folder: Path) -> Finding:
    """What the front page says about one job of ``run.json``: its finding, or why there is
    none. Never raises for bad or missing results: the page says "No finding available"."""
    name, title = job["name"], job.get("title", job["name"])
    stale_from = str(job.get("report_made_utc") or "an earlier run") if job.get("report") == "stale" else ""
    base = Finding(
        name,
        title,
        _fallback_theme(job),
        "unavailable",
        job.get("html"),
        job.get("results"),
        synthetic=bool(job.get("synthetic")),
        stale_from=stale_from,
    )
    if job.get("status") == "failed":
        base.status, base.html, base.note = "failed", None, "The report failed this year."
        return base
    if job.get("report") == "none" and job.get("status") in ("interrupted", "not-run", "queued"):
        base.html = None
        base.note = {
            "queued": "The report is still being made in this run.",
            "interrupted": "The run was interrupted while this report was being made.",
            "not-run": "The run was interrupted before this report was made.",
        }[job["status"]]
        return base
    if not job.get("results") or not (folder / job["results"]).is_file():
        status = job.get("status")
        base.note = (
            "The report wrote no results file."
            if status in ("succeeded", "skipped", None)
            else f"The report has no results (its status: {status})."
        )
        return base
    try:
        finding = extract(job, Results.read(folder / job["results"]))
        finding.stale_from = stale_from
        return finding
    except (FindingError, ConfigError, KeyError, TypeError, ValueError, IndexError) as error:
        base.note = f"The results could not be summarised ({error})."
        return base


def findings_for_jobs(jobs: list[dict[str, Any]], folder: Path) -> list[Finding]:
    """One finding per job, in the batch's order."""
    return [finding_for_job(job, folder) for job in jobs]


def by_theme(findings: list[Finding]) -> list[tuple[str, str, list[Finding]]]:
    """(theme key, heading, findings) for every theme; "other" only when it has findings."""
    grouped = [(key, heading, [f for f in findings if f.theme == key]) for key, heading in THEMES]
    return [g for g in grouped if g[0] != "other" or g[2]]
