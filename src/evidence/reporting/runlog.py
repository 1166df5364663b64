"""The run log: ``run.json`` and the index, which always tell the truth about the last run.

They are written when a run starts (``state: running``, every report to run ``queued``), as
reports finish (at most about once a second, see :data:`LOG_INTERVAL_SECONDS`), and when the
run ends (``finished``, or ``interrupted`` with the signal), so that whatever happens to the run
(a crash, ``SIGKILL``) they never describe an earlier run as this one. Each job's record says what happened
to it in this run (``status``)
and what the reports folder holds for it (``report``):

========== ===================================================================================
status     meaning
========== ===================================================================================
succeeded  it ran in this run and its report was published
skipped    unchanged since its last success: not run again (its report is current)
failed     it ran and failed (``error`` says why; its earlier report was removed), or the batch
           could not run it (no worker; its earlier report, if any, is kept and marked stale)
interrupted  it was running when the run was interrupted (nothing of it was published)
not-run    the run ended (interrupted) before it started
queued     not finished when the log was written (only while ``state`` is ``running``)
========== ===================================================================================

``report`` is ``current`` (made by this run, or skipped as unchanged), ``stale`` (made by an
earlier run, ``report_made_utc``, and not remade by this one although it was due) or ``none``.
``attempts`` counts the times the job was started (a lost worker's attempt included, and
kernel start-up retries); ``tries`` lists them, with where each ran and how it ended.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.files import write_text_atomic
from evidence.paths import display_path
from evidence.reporting.frontpage import write_year_pages

if TYPE_CHECKING:
    from evidence.reporting.job_results import JobResult
    from evidence.reporting.jobs import BatchConfig

STATUSES = ("succeeded", "skipped", "failed", "interrupted", "not-run", "queued")
#: While jobs run, the run log is rewritten after a job finishes once this many seconds have
#: passed since the last write, and at least this many times the last write's duration (the
#: index of a 200-report batch takes about 0.1 s): at most 5% of the batch's time. It is
#: always written when the run starts and when it ends.
LOG_INTERVAL_SECONDS, LOG_TIME_SHARE = 1.0, 0.05


def job_entry(result: JobResult) -> dict[str, Any]:
    """One job's record in run.json and the index."""
    files = result.files if result.report != "none" else {}
    return {
        "name": result.job.name,
        "title": result.job.title,
        "status": result.status,
        "report": result.report,
        "report_made_utc": result.report_made_utc,
        "reason": result.reason,
        "seconds": round(result.seconds, 2),
        "attempts": result.attempts,
        "tries": result.tries,
        "parameters": result.job.parameters,
        "notebook": display_path(result.job.notebook),
        "error": result.error,
        "synthetic": result.synthetic,
        "html": files.get("html"),
        "results": files.get("results"),
        "phases": result.phases,
    }


def counts(entries: list[dict[str, Any]]) -> dict[str, int]:
    return {status: sum(e["status"] == status for e in entries) for status in STATUSES}


def write_run_log(
    out_dir: Path,
    config: BatchConfig,
    run: dict[str, Any],
    results: list[JobResult],
    final: bool = False,
    pdf: bool = False,
) -> Path:
    """Write ``run.json``, the front page ``index.html`` and the run log ``run.html`` for the run
    described by ``run`` (run id, state, workers, ...), and when ``final`` (the run's last
    write) the annual document too (:func:`evidence.reporting.frontpage.write_year_pages`);
    returns the index's path. ``pdf``: the front page links ``annual_report.pdf``."""
    entries = [job_entry(r) for r in results]
    log = {"config": display_path(config.path), "year": config.year, **run, "counts": counts(entries), "jobs": entries}
    write_text_atomic(out_dir / "run.json", json.dumps(log, indent=2, default=str) + "\n")
    return write_year_pages(out_dir, config.title, log, pdf=pdf, annual=final)


class RunLog:
    """The run log of one run, rewritten as the run goes: ``run`` describes the run (run id,
    state, workers, ...; the batch updates it), ``results`` holds each job's latest result by
    name, written in the config's order."""

    def __init__(
        self, out_dir: Path, config: BatchConfig, run: dict[str, Any], results: dict[str, JobResult], pdf: bool = False
    ) -> None:
        self.out_dir, self.config, self.run, self.results, self.pdf = out_dir, config, run, results, pdf
        self.written_at, self.took = 0.0, 0.0

    def write_if_due(self) -> None:
        """Write the log if the last write is old enough (:data:`LOG_INTERVAL_SECONDS`)."""
        if time.monotonic() - self.written_at >= max(LOG_INTERVAL_SECONDS, self.took / LOG_TIME_SHARE):
            self.write()

    def write(self, final: bool = False) -> Path:
        """Write the log now (see :func:`write_run_log`); returns the index's path."""
        start = time.monotonic()
        index = write_run_log(
            self.out_dir,
            self.config,
            self.run,
            [self.results[job.name] for job in self.config.jobs],
            final=final,
            pdf=self.pdf,
        )
        self.written_at, self.took = time.monotonic(), time.monotonic() - start
        return index
