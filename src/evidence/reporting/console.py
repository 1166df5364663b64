"""What ``evidence run`` shows on the console: a progress bar while reports run, then one line
per report (its status, time and why it ran or was skipped), the index, and any interruption
or audit failure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

    from evidence.reporting.job_results import JobResult

LABELS = {
    "succeeded": "ok     ",
    "skipped": "skipped",
    "failed": "FAILED ",
    "interrupted": "STOPPED",
    "not-run": "not run",
}
LEAKS_SHOWN = 25  # the audit's findings listed; the count says how many there are


def progress_bar(total: int, show: bool) -> tqdm:
    """A bar counting finished reports (hidden when not ``show`` or nothing is to run)."""
    from tqdm import tqdm

    return tqdm(total=total, desc="reports", unit="report", disable=not show or not total)


def print_summary(
    results: list[JobResult],
    index: Path | None,
    *,
    pdf: Path | None = None,
    interrupted: str | None = None,
    leaks: list[str] | None = None,
) -> None:
    """One line per report, with the last line of its error and whether the report shown is
    stale; the PDF and index written; ``interrupted``, the signal's name; the audit's ``leaks``."""
    if pdf is not None:
        print(f"pdf: {pdf}")
    for r in results:
        stale = f" [report shown is stale, from {r.report_made_utc}]" if r.report == "stale" else ""
        print(
            f"{LABELS[r.status]} {r.job.name} ({r.seconds:.1f} s): {r.reason}{stale}"
            + (f"\n        {r.error.splitlines()[-1]}" if r.error else "")
        )
    print(f"index: {index}")
    if interrupted is not None:
        print(
            f"interrupted ({interrupted}): every worker and kernel was stopped; the index says which reports "
            "are current, stale or not made",
            file=sys.stderr,
        )
    if leaks:
        print(
            f"AUDIT FAILED: {len(leaks)} possible identifier(s) in outputs:\n  - " + "\n  - ".join(leaks[:LEAKS_SHOWN])
        )
