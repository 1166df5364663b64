"""The report batch: ``evidence run config/annual_report.yml``.

Every report is one job: a notebook and its parameters (:mod:`evidence.reporting.jobs`, where
the parameters are checked against the notebook's ``parameters`` cell before anything runs).
Jobs run in parallel on long-lived worker processes (``--workers``, default the number of
cores; a worker imports papermill, nbconvert and the report template once), each job in a
fresh kernel of its own, through papermill, then are rendered to offline HTML
(:mod:`evidence.reporting.execute`); on a dask.distributed cluster (``--scheduler``; a
filesystem shared with the workers is assumed) each job runs in a fresh worker process. A
kernel that fails to start is retried; a job that runs past its timeout is killed, with its
worker and kernels. A failed job is recorded with its failing cell and error, its stale outputs
are removed, and the other jobs carry on; a job whose worker is lost runs again on a new one
(:mod:`evidence.reporting.job_results`). The index and ``run.json`` list every job's status
(:mod:`evidence.reporting.runlog`).

The local workers are :mod:`evidence.reporting.pool`, the dask side
:mod:`evidence.reporting.cluster`. Faults leave nothing half-made
(:mod:`evidence.reporting.publish`, :mod:`evidence.reporting.processes`): a job writes only
into the run's staging folder, and the run publishes a finished report by renaming its files
into place; every worker, kernel and job process dies with the process that started it;
``SIGINT``/``SIGTERM`` stop the run within seconds, killing every child, and the run log says
it was interrupted.

Runs are incremental: a job whose notebook, parameters, inputs, configuration and package code
are unchanged since its last success is skipped (``--force`` runs everything), and the run log
says why each job ran or was skipped (:mod:`evidence.reporting.fingerprints`). The identifier
audit scans the processed data beside the jobs and the reports at the end
(:mod:`evidence.reporting.background_audit`); the console shows progress and a summary
(:mod:`evidence.reporting.console`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from evidence import provenance
from evidence.errors import ConfigError
from evidence.paths import INTERIM, PROCESSED, REPORTS, display_path, project_root, resolve
from evidence.reporting import console, job_results
from evidence.reporting.background_audit import ProcessedAudit
from evidence.reporting.cluster import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_WORKER_WAIT,
    JOB_FOLDER_PREFIX,
    DaskRunner,
    connect,
)
from evidence.reporting.execute import DEFAULT_TIMEOUT_SECONDS, KERNEL_START_RETRIES, job_spec
from evidence.reporting.fingerprints import why_run
from evidence.reporting.job_results import BatchOutcome, JobResult, PendingJob
from evidence.reporting.jobs import BatchConfig, load_config
from evidence.reporting.pool import (
    LOST_WORKER_RETRIES,
    WORKER_FOLDER_PREFIX,
    LocalRunner,
    not_run_result,
)
from evidence.reporting.processes import (
    SOCKETS_FOLDER_PREFIX,
    StopSignals,
    short_scratch_root,
    sweep_orphaned_folders,
)
from evidence.reporting.publish import RunFolder
from evidence.reporting.runlog import RunLog

POLL_SECONDS = 0.25  # how often the batch looks for finished jobs, signals and lost workers


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity (``taskset``, a container's cpuset)
    where the system reports one, else every core of the machine."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this system (macOS, Windows)
        return os.cpu_count() or 1


def _check_options(**options: tuple[float, float]) -> None:
    """Each option's (value, least allowed value): a whole count at least 1, or a positive or
    non-negative number of seconds."""
    for option, (value, least) in options.items():
        if value < least:
            name = "--" + option.replace("_", "-")
            raise ConfigError(f"{name} must be {'at least 1' if least == 1 else 'positive'}, got {value}")


def run_batch(
    config_path: str | Path,
    out: str | Path | None = None,
    show_progress: bool = True,
    workers: int | None = None,
    force: bool = False,
    scheduler: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    retries: int = KERNEL_START_RETRIES,
    prestart: bool = True,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    worker_wait: float = DEFAULT_WORKER_WAIT,
    lost_worker_retries: int = LOST_WORKER_RETRIES,
    pdf: bool = False,
) -> BatchOutcome:
    """Run the reports in the config that need running; write the reports, ``index.html`` and
    ``run.json`` (the run log, see :mod:`evidence.reporting.runlog`). ``workers`` defaults to
    :func:`available_cores`; with ``prestart`` each worker starts the next report's kernel
    while the current report runs. ``SIGINT``/``SIGTERM`` stop the run within seconds: every
    worker and kernel is killed, nothing half-made is published, the run log says the run was
    interrupted (:attr:`BatchOutcome.interrupted_by`). With ``scheduler``, an unreachable
    scheduler is a :class:`BatchError` after ``connect_timeout`` s, and the reports left are
    failed once no worker has been alive for ``worker_wait`` s. With ``pdf`` the year's reports
    are also printed as one PDF, ``annual_report.pdf``."""
    started = time.perf_counter()
    config = load_config(config_path)
    out_dir = resolve(out) if out else project_root() / REPORTS / str(config.year)
    workers = workers or available_cores()
    _check_options(
        workers=(workers, 1),
        timeout=(timeout, 1e-9),
        worker_wait=(worker_wait, 0),
        connect_timeout=(connect_timeout, 1e-9),
    )
    with StopSignals() as stop:
        run = RunFolder(out_dir)
        runner: LocalRunner | DaskRunner | None = None
        try:
            if scheduler:
                runner = DaskRunner(connect(scheduler, connect_timeout), worker_wait)
            else:
                runner = LocalRunner(workers, prestart, lost_worker_retries)
            return _run_jobs(
                config,
                run,
                runner,
                stop,
                started,
                force=force,
                timeout=timeout,
                retries=retries,
                scheduler=scheduler,
                show_progress=show_progress,
                pdf=pdf,
            )
        finally:
            if runner is not None:
                runner.stop()
                runner.close()
            run.close()
            sweep_orphaned_folders(WORKER_FOLDER_PREFIX)
            sweep_orphaned_folders(JOB_FOLDER_PREFIX)
            sweep_orphaned_folders(SOCKETS_FOLDER_PREFIX, short_scratch_root())


def _run_jobs(
    config: BatchConfig,
    run: RunFolder,
    runner: LocalRunner | DaskRunner,
    stop: StopSignals,
    started: float,
    *,
    force: bool,
    timeout: float,
    retries: int,
    scheduler: str | None,
    show_progress: bool,
    pdf: bool = False,
) -> BatchOutcome:
    """The run itself: skip what is unchanged, run the rest while the audit scans the processed
    data, record each job as it finishes, then the audit's end, the run log and the summary."""
    out_dir = run.out_dir
    results: dict[str, JobResult] = {}
    pending: dict[str, PendingJob] = {}
    for job in config.jobs:
        reason, fingerprint, state = why_run(job, config, out_dir, force)
        if reason is None:
            assert state is not None  # only a job with a recorded success is skipped
            results[job.name] = job_results.skipped(job, state)
        else:
            pending[job.name] = PendingJob(job, reason, fingerprint, state)
            results[job.name] = job_results.queued(pending[job.name], out_dir)
    info: dict[str, Any] = {
        "run_id": run.run_id,
        "state": "running",
        "interrupted": False,
        "signal": None,
        "created_utc": provenance.utc_now(),
        "finished_utc": None,
        "git_revision": provenance.git_revision(),
        "workers": runner.workers,
        "scheduler": scheduler,
        "seconds": None,
        "audit": None,
    }
    log = RunLog(out_dir, config, info, results, pdf=pdf)
    log.write()
    processed_audit = ProcessedAudit(project_root() / PROCESSED, project_root() / INTERIM, out_dir)
    processed_audit.start()  # reads and scans the processed and derived data while the jobs run
    if stop.received is None:  # a signal while connecting or fingerprinting: run nothing
        runner.submit(
            {
                name: job_spec(p.job, config, out_dir, timeout, retries, staging=run.staging)
                for name, p in pending.items()
            },
            run.run_id,
        )
    _collect(run, runner, stop, pending, results, log, show_progress)
    if stop.received is not None:
        runner.stop()
        for name, left in pending.items():
            results[name] = job_results.interrupted(run, left)
        info.update(
            state="interrupted",
            interrupted=True,
            signal=stop.name,
            audit={"scanned": [], "findings": None, "not_run": "the run was interrupted"},
        )
        leaks: list[str] = []
    else:
        leaks = _finish_audit(processed_audit, out_dir, stop, info)
    info.update(finished_utc=provenance.utc_now(), seconds=round(time.perf_counter() - started, 2))
    index = log.write(final=True)
    ordered = [results[job.name] for job in config.jobs]
    printed = None
    if pdf and stop.received is None:
        from evidence.reporting.pdf import print_pdf

        printed = print_pdf(out_dir / "annual_report.html", out_dir / "annual_report.pdf")
    console.print_summary(
        ordered, index, pdf=printed, interrupted=stop.name if stop.received is not None else None, leaks=leaks
    )
    return BatchOutcome(ordered, index, time.perf_counter() - started, leaks, interrupted_by=stop.received)


def _collect(
    run: RunFolder,
    runner: LocalRunner | DaskRunner,
    stop: StopSignals,
    pending: dict[str, PendingJob],
    results: dict[str, JobResult],
    log: RunLog,
    show_progress: bool,
) -> None:
    """Record each job as it finishes, until none is left or a signal stops the run (the jobs
    left stay in ``pending``). When the runner can run no more (no worker, see its
    ``problem``), the jobs left fail, their attempts marked lost."""
    bar = console.progress_bar(len(pending), show_progress)
    while pending and stop.received is None:
        for name, outcome in runner.poll(POLL_SECONDS):
            results[name] = job_results.record(run, pending.pop(name), outcome)
            log.write_if_due()
            bar.set_postfix_str(name)
            bar.update(1)
        problem = runner.problem()
        if problem and stop.received is None:
            runner.stop()
            for name, left in list(pending.items()):
                abandoned = {
                    **not_run_result(problem, time.perf_counter()),
                    "lost": True,
                }  # attempts begun lost their worker
                results[name] = job_results.record(run, left, abandoned)
            pending.clear()
    bar.close()


def _finish_audit(processed_audit: ProcessedAudit, out_dir: Path, stop: StopSignals, info: dict[str, Any]) -> list[str]:
    """Wait for the data's scan, scan the reports, and note what was scanned in the run log."""
    while processed_audit.is_alive() and stop.received is None:
        processed_audit.join(POLL_SECONDS)
    leaks = [str(f) for f in processed_audit.findings(out_dir)]
    info.update(
        state="finished",
        audit={"scanned": [display_path(f) for f in processed_audit.folders(out_dir)], "findings": leaks},
    )
    return leaks
