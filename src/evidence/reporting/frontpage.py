"""The year's pages beside the reports: the front page of findings (``index.html``), the run log
(``run.html``) and every report as one document (``annual_report.html``), written together."""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any

from evidence import provenance
from evidence.files import text_writer, write_all_atomic
from evidence.reporting.findings import Finding, by_theme, findings_for_jobs
from evidence.reporting.render import TEMPLATES, stylesheet
from evidence.reporting.results_file import Figure, Part

#: Keys of a run.json job record that the run log shows in columns of their own; any other key
#: (a record may carry more: where it ran, whether it is current or stale) is listed under status.
JOB_COLUMNS = {
    "name",
    "title",
    "status",
    "reason",
    "seconds",
    "attempts",
    "parameters",
    "notebook",
    "error",
    "synthetic",
    "html",
    "results",
    "phases",
    "report",
    "report_made_utc",
}
#: Run-level keys the run log does not list as facts of the run (shown elsewhere on the page).
RUN_SHOWN_ELSEWHERE = {"jobs", "year"}


@cache
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)


def render_sentence(parts: list[Part]) -> Any:
    """A sentence as HTML: every figure in a ``<data>`` element (numbers) or a ``<span>`` (text),
    each carrying the JSON pointer it was read from."""
    from markupsafe import Markup

    out: list[str] = []
    for part in parts:
        if isinstance(part, Figure):
            pointer = html.escape(part.pointer, quote=True)
            if part.count:
                out.append(
                    f'<data value="{part.value}" data-pointer="{pointer}" data-count="">{html.escape(part.text)}</data>'
                )
            elif isinstance(part.value, str):
                out.append(f'<span data-pointer="{pointer}">{html.escape(part.text)}</span>')
            else:
                value = html.escape(json.dumps(part.value), quote=True)
                out.append(f'<data value="{value}" data-pointer="{pointer}">{html.escape(part.text)}</data>')
        else:
            out.append(html.escape(part))
    return Markup("".join(out))


def summary_text(title: str, findings: list[Finding]) -> str:
    """The front page's opening paragraph (no numbers of its own: every number on the page is a
    finding's, read from a results file)."""
    parts = [
        "This page gives the key findings of this year's reports on children's occupational therapy, "
        "theme by theme: each is a plain-language sentence from one report, with how sure we can be "
        "of it, and links to that report, where the methods, every assumption and every source are set out."
    ]
    if any(f.synthetic for f in findings):
        parts.append(
            "Findings from synthetic sample data are marked as such, one by one; they are for demonstration only."
        )
    if any(f.illustrative for f in findings):
        parts.append(
            "Findings resting on illustrative assumptions (values with no published source) are "
            "marked too: read them as scenarios."
        )
    failed = [f for f in findings if f.status == "failed"]
    if failed:
        parts.append("Some reports failed this year: they are shown as failed, with a link to the error.")
    elif all(f.status == "available" for f in findings):
        parts.append("Every report in the batch was produced.")
    return " ".join(parts)


def render_front_page(
    title: str,
    year: int,
    jobs: list[dict[str, Any]],
    folder: Path,
    pdf: bool = False,
    run: dict[str, Any] | None = None,
) -> str:
    """``index.html``: title, summary, then the findings grouped by theme; ``run`` (the run log)
    says whether the run is finished, in progress or was interrupted."""
    findings = findings_for_jobs(jobs, folder)
    return (
        _environment()
        .get_template("front.html.j2")
        .render(
            run=run or {},
            title=title,
            year=year,
            summary=summary_text(title, findings),
            themes=by_theme(findings),
            any_synthetic=any(f.synthetic for f in findings),
            render_sentence=render_sentence,
            pdf=pdf,
            css=stylesheet(),
            created_utc=provenance.utc_now(),
            git_revision=provenance.git_revision(),
        )
    )


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def render_run_log(title: str, run: dict[str, Any]) -> str:
    """``run.html``: run.json as a page. Every job key beyond the usual columns is listed with the
    job's status, so whatever the batch records (attempts, where it ran, current or stale) shows."""
    jobs = []
    for job in run["jobs"]:
        details = [
            (key.replace("_", " "), _shown(value))
            for key, value in job.items()
            if key not in JOB_COLUMNS and value not in (None, "", [], {})
        ]
        jobs.append(
            {
                **{key: job.get(key) for key in JOB_COLUMNS},
                "parameters": job.get("parameters") or {},
                "phases": job.get("phases") or {},
                "details": details,
            }
        )
    facts = [
        (key.replace("_", " "), _shown(value))
        for key, value in run.items()
        if key not in RUN_SHOWN_ELSEWHERE and value not in (None, "", [], {})
    ]
    return (
        _environment()
        .get_template("run.html.j2")
        .render(
            run=run,
            title=title,
            year=run.get("year", ""),
            jobs=jobs,
            run_facts=facts,
            css=stylesheet(),
            available=sum(
                j.get("status") in ("succeeded", "skipped") and j.get("report", "current") == "current"
                for j in run["jobs"]
            ),
            any_synthetic=any(j.get("synthetic") for j in run["jobs"]),
        )
    )


def write_year_pages(folder: Path, title: str, run: dict[str, Any], pdf: bool = False, annual: bool = True) -> Path:
    """Write ``index.html``, ``run.html`` and (with ``annual``) ``annual_report.html`` into
    ``folder`` (all or none), from ``run`` (the run.json record) and the reports and results
    files it names; returns the front page's path. ``pdf``: the front page links
    ``annual_report.pdf`` (made by :func:`evidence.reporting.pdf.print_pdf` afterwards). The
    batch rewrites the first two as reports finish, the annual document once, at the end."""
    from evidence.reporting.annual import render_annual_report

    pages = {
        folder / "index.html": render_front_page(title, run["year"], run["jobs"], folder, pdf=pdf, run=run),
        folder / "run.html": render_run_log(title, run),
    }
    if annual:
        pages[folder / "annual_report.html"] = render_annual_report(title, run["year"], run["jobs"], folder)
    write_all_atomic({path: text_writer(text) for path, text in pages.items()})
    return folder / "index.html"
