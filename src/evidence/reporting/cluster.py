"""Report jobs on a dask.distributed cluster (``evidence run ... --scheduler tcp://host:8786``).

Each job is one dask task, :func:`execute_job_isolated`, run in a
fresh process on a worker. The scheduler runs a task again when the worker running it dies
(up to its ``distributed.scheduler.allowed-failures``, then the task fails with
``KilledWorker``); every attempt leaves a record in the run's staging folder, so the run log
lists each report's attempts and where they ran. A batch with no worker alive waits
``worker_wait`` seconds for one, then fails the reports not yet finished, saying so. An
unreachable scheduler is a :class:`~evidence.errors.BatchError` after ``connect_timeout``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from typing import Any

from evidence.errors import BatchError
from evidence.reporting.pool import (
    kernel_pids_in,
    lost_worker_result,
    not_run_result,
    timed_out_result,
)
from evidence.reporting.processes import (
    SOCKETS_FOLDER_PREFIX,
    OwnedFolder,
    die_with_parent,
    kill_tree,
    short_scratch_root,
    sweep_orphaned_folders,
)
from evidence.reporting.publish import run_is_over, start_attempt

JOB_FOLDER_PREFIX = "evidence-job-"  # a job's scratch folder on a dask worker, in its temporary folder
#: seconds to wait for the scheduler to answer
DEFAULT_CONNECT_TIMEOUT = 10.0
#: seconds to wait, with reports left to run, for a worker to join a cluster that has none
DEFAULT_WORKER_WAIT = 120.0


@contextlib.contextmanager
def _quiet_distributed():
    """distributed logs every failed connection attempt: the one error message says it all."""
    loggers = [logging.getLogger(name) for name in ("distributed", "distributed.client", "distributed.comm")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def connect(address: str, timeout: float = DEFAULT_CONNECT_TIMEOUT):
    """A dask Client on the scheduler at ``address``, or :class:`BatchError` within
    ``timeout`` seconds if it cannot be reached."""
    from dask.distributed import Client

    try:
        with _quiet_distributed():
            return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BatchError(
            f"cannot reach the dask scheduler at {address} within {timeout:g} s ({detail}); "
            "start it (dask scheduler), check --scheduler, or allow longer with "
            "--connect-timeout"
        ) from None


class DaskRunner:
    """The jobs of one run as dask futures; :meth:`poll` hands back each finished job's result
    (a task that failed becomes a failed result naming why)."""

    def __init__(self, client, worker_wait: float = DEFAULT_WORKER_WAIT) -> None:
        self.client = client
        self.worker_wait = worker_wait
        self.futures: dict[Any, str] = {}
        self.no_worker_since: float | None = None
        self.workers = self.live_workers()

    def live_workers(self) -> int:
        """Workers the scheduler has now (0 if it cannot be asked)."""
        try:
            with _quiet_distributed():
                return len(self.client.nthreads())
        except Exception:  # the scheduler is gone: as good as no worker
            return 0

    def submit(self, specs: dict[str, dict[str, Any]], run_id: str) -> None:
        for name, spec in specs.items():
            future = self.client.submit(execute_job_isolated, spec, pure=False, key=f"report-{name}-{run_id}")
            self.futures[future] = name

    def poll(self, timeout: float) -> list[tuple[str, dict[str, Any]]]:
        """Results of the jobs that finished, waiting at most ``timeout`` seconds for one."""
        if not self.futures:
            return []
        deadline = time.monotonic() + timeout
        while not any(f.done() for f in self.futures) and time.monotonic() < deadline:
            time.sleep(0.05)
        finished = []
        for future in [f for f in self.futures if f.done()]:
            name = self.futures.pop(future)
            finished.append((name, self._result(future)))
        if self.futures and self.live_workers() == 0:
            self.no_worker_since = self.no_worker_since or time.monotonic()
        else:
            self.no_worker_since = None
        return finished

    @staticmethod
    def _result(future) -> dict[str, Any]:
        if future.status == "finished":
            return future.result()
        error = future.exception() if future.status == "error" else None
        if type(error).__name__ == "KilledWorker":
            message = f"every worker that ran it died (dask gave up): {error}"
        else:
            message = f"the dask task ended with {future.status}: {type(error).__name__}: {error}"
        return {"status": "failed", "seconds": 0.0, "attempts": 0, "lost": True, "error": message}

    def problem(self) -> str | None:
        """Why the remaining jobs cannot finish, once no worker has been alive for
        ``worker_wait`` seconds; else None."""
        if self.no_worker_since is not None and time.monotonic() - self.no_worker_since >= self.worker_wait:
            return (
                f"no dask worker was alive for {self.worker_wait:g} s, so this report could not finish; "
                "start workers (dask worker <scheduler address>) and run the batch again, or allow "
                "longer with --worker-wait"
            )
        return None

    def stop(self) -> None:
        """Cancel every job not finished (their processes stop when the run's staging
        folder goes, see :func:`execute_job_isolated`)."""
        if self.futures:
            with contextlib.suppress(Exception), _quiet_distributed():
                self.client.cancel(list(self.futures), force=True)
        self.futures.clear()

    def close(self) -> None:
        with contextlib.suppress(Exception), _quiet_distributed():
            self.client.close(timeout=5)


def _where_on_dask() -> str:
    try:
        from distributed import get_worker

        worker = get_worker()
        return f"dask worker {worker.name} at {worker.address}"
    except (ImportError, ValueError):
        return f"process {os.getpid()}"


def execute_job_isolated(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`~evidence.reporting.execute.execute_job` in a fresh Python process (its own kernel and
    memory), which is
    killed, with its kernels, if this process dies, after ``spec["timeout"]`` seconds, or when
    the run that sent the job has ended. Used by dask workers; its scratch folder, and those
    of earlier jobs whose process died, are removed."""
    started = time.perf_counter()
    sweep_orphaned_folders(JOB_FOLDER_PREFIX)
    sweep_orphaned_folders(SOCKETS_FOLDER_PREFIX, short_scratch_root())
    try:
        attempt = start_attempt(spec, where=_where_on_dask())
    except BatchError as error:
        return not_run_result(str(error), started)
    scratch = OwnedFolder(JOB_FOLDER_PREFIX)
    try:
        spec_path, result_path = scratch.path / "spec.json", scratch.path / "result.json"
        kernel_pids, log_path = scratch.path / "kernel_pids", scratch.path / "stderr.log"
        spec_path.write_text(
            json.dumps(
                {
                    **spec,
                    "attempt_folder": str(attempt),
                    "result_path": str(result_path),
                    "kernel_pids": str(kernel_pids),
                }
            )
        )
        with open(log_path, "w+") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "evidence.reporting.worker", str(spec_path)],
                cwd=spec["root"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
            while True:
                try:
                    process.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    over_time, run_over = time.perf_counter() - started > spec["timeout"], run_is_over(spec)
                    if over_time or run_over:
                        kill_tree(process.pid, kernel_pids_in(kernel_pids))
                        process.wait()
                        return (
                            timed_out_result(spec, started)
                            if over_time
                            else not_run_result("the run ended before this job finished; it was stopped", started)
                        )
            if result_path.is_file():
                return json.loads(result_path.read_text())
            log.seek(0)
            return lost_worker_result(process.returncode, log.read(), started)
    finally:
        scratch.remove()
