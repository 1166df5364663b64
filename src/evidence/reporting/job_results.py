"""What became of each job in a run, and of the run: :class:`JobResult`, :class:`BatchOutcome`.

A finished job is *recorded* (:func:`record`): a success is published into the reports folder
and remembered for the skip rule (:mod:`evidence.reporting.fingerprints`); a job that ran and
failed has its earlier report removed; a job that did not run keeps its earlier report, marked
stale. The statuses and report states are described in :mod:`evidence.reporting.runlog`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from evidence import provenance
from evidence.files import write_text_atomic
from evidence.reporting.fingerprints import state_path
from evidence.reporting.jobs import Job
from evidence.reporting.publish import RunFolder, publish, unpublish


@dataclass
class JobResult:
    """One job in one run (see :mod:`evidence.reporting.runlog` for the statuses)."""

    job: Job
    status: str  # succeeded, skipped, failed, interrupted, not-run (queued while the run goes on)
    seconds: float
    reason: str = ""
    error: str = ""
    synthetic: bool = False
    attempts: int = 0
    files: dict[str, str] = field(default_factory=dict)  # kind -> path under the reports folder
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent in each phase of the job
    tries: list[dict[str, Any]] = field(default_factory=list)  # each attempt: where it ran, how it ended
    report: str = "none"  # what the reports folder holds for it: current, stale or none
    report_made_utc: str | None = None


@dataclass
class BatchOutcome:
    results: list[JobResult]
    index: Path
    seconds: float = 0.0
    leaks: list[str] = field(default_factory=list)
    interrupted_by: int | None = None  # the signal that stopped the run

    @property
    def succeeded(self) -> bool:
        return (
            not self.leaks
            and self.interrupted_by is None
            and all(r.status in ("succeeded", "skipped") for r in self.results)
        )

    @property
    def exit_code(self) -> int:
        """0 when every report is current, 1 when one failed (or the audit did), and 128 + the
        signal's number when interrupted (130 for SIGINT, 143 for SIGTERM), as a shell does."""
        if self.interrupted_by is not None:
            return 128 + self.interrupted_by
        return 0 if self.succeeded else 1


class PendingJob(NamedTuple):
    """A job this run runs: why (:func:`~evidence.reporting.fingerprints.why_run`), its current
    fingerprint, and the state its last success left (None if there was none)."""

    job: Job
    reason: str
    fingerprint: dict[str, str]
    state: dict[str, Any] | None


def _earlier_report(state: dict | None, out_dir: Path) -> dict[str, Any]:
    """What the reports folder holds of a job from its last success, if all of it is there."""
    if state and all((out_dir / f).is_file() for f in state["files"].values()):
        return {
            "report": "stale",
            "report_made_utc": state["succeeded_utc"],
            "files": state["files"],
            "synthetic": state.get("synthetic", False),
        }
    return {"report": "none"}


def skipped(job: Job, state: dict[str, Any]) -> JobResult:
    """A job unchanged since its last success (``state``): not run, its report current."""
    return JobResult(
        job,
        "skipped",
        0.0,
        reason=f"unchanged since {state['succeeded_utc']}",
        synthetic=state.get("synthetic", False),
        files=state["files"],
        report="current",
        report_made_utc=state["succeeded_utc"],
    )


def queued(pending: PendingJob, out_dir: Path) -> JobResult:
    """A job to run, not yet finished (its earlier report, if whole, shown meanwhile as stale)."""
    return JobResult(pending.job, "queued", 0.0, reason=pending.reason, **_earlier_report(pending.state, out_dir))


def _tries(run: RunFolder, name: str, outcome: dict[str, Any]) -> list[dict[str, Any]]:
    """Every attempt at a job in this run: where it ran, and how it ended (an attempt before
    the last, or one whose worker died, lost its worker)."""
    attempts = run.attempts(name)
    last = next(
        (a for a in attempts if a["folder"] == outcome.get("attempt_folder")), attempts[-1] if attempts else None
    )
    lost = "lost: its worker died"
    return [
        {
            "where": a["where"],
            "host": a["host"],
            "started_utc": a["started_utc"],
            "outcome": (lost if outcome.get("lost") else outcome["status"]) if a is last else lost,
        }
        for a in attempts
    ]


def interrupted(run: RunFolder, pending: PendingJob) -> JobResult:
    """A job not finished when the run was interrupted: ``interrupted`` if an attempt had
    begun, else ``not-run``; its earlier report is kept."""
    tries = [{**t, "outcome": "interrupted"} for t in _tries(run, pending.job.name, {"status": "interrupted"})]
    return JobResult(
        pending.job,
        "interrupted" if tries else "not-run",
        0.0,
        reason=pending.reason,
        attempts=len(tries),
        tries=tries,
        **_earlier_report(pending.state, run.out_dir),
    )


def record(run: RunFolder, pending: PendingJob, outcome: dict[str, Any]) -> JobResult:
    """A finished job's result: a success is published and remembered; a job that ran and
    failed has its earlier report removed; one that did not run keeps it, marked stale."""
    job = pending.job
    tries = _tries(run, job.name, outcome)
    final = 1 if outcome.get("lost") else outcome.get("attempts", 1)
    attempts = len(tries) - 1 + final if tries else outcome.get("attempts", 0)
    result = JobResult(
        job,
        outcome["status"],
        outcome["seconds"],
        reason=pending.reason,
        error=outcome.get("error", ""),
        synthetic=outcome.get("synthetic", False),
        attempts=attempts,
        tries=tries,
        phases=outcome.get("phases", {}),
    )
    remembered = state_path(run.out_dir, job)
    if result.status == "succeeded":
        try:
            result.files = publish(run.out_dir, job.name, Path(outcome["attempt_folder"]), outcome["staged"])
        except OSError as error:
            result.status, result.error = "failed", f"publishing: {type(error).__name__}: {error}"
    if result.status == "succeeded":
        result.report, result.report_made_utc = "current", provenance.utc_now()
        write_text_atomic(
            remembered,
            json.dumps(
                {
                    "fingerprint": pending.fingerprint,
                    "succeeded_utc": result.report_made_utc,
                    "run_id": run.run_id,
                    "seconds": result.seconds,
                    "synthetic": result.synthetic,
                    "files": result.files,
                },
                indent=2,
            ),
        )
    elif outcome.get("ran", True):
        unpublish(run.out_dir, job.name)
        remembered.unlink(missing_ok=True)
    else:
        for key, value in _earlier_report(pending.state, run.out_dir).items():
            setattr(result, key, value)
    return result
