"""Report jobs on a dask.distributed cluster (``evidence run ... --scheduler tcp://host:8786``).

Each job is one dask task, :func:`evidence.reporting.batch.execute_job_isolated`, run in a
fresh process on a worker. The scheduler runs a task again when the worker running it dies
(up to its ``distributed.scheduler.allowed-failures``, then the task fails with
``KilledWorker``); every attempt leaves a record in the run's staging folder, so the run log
lists each report's attempts and where they ran. A batch with no worker alive waits
``worker_wait`` seconds for one, then fails the reports not yet finished, saying so. An
unreachable scheduler is a :class:`~evidence.errors.BatchError` after ``connect_timeout``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from evidence.errors import BatchError

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
        raise BatchError(f"cannot reach the dask scheduler at {address} within {timeout:g} s ({detail}); "
                         "start it (dask scheduler), check --scheduler, or allow longer with "
                         "--connect-timeout") from None


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
        from evidence.reporting.batch import execute_job_isolated

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
            return (f"no dask worker was alive for {self.worker_wait:g} s, so this report could not finish; "
                    "start workers (dask worker <scheduler address>) and run the batch again, or allow "
                    "longer with --worker-wait")
        return None

    def stop(self) -> None:
        """Cancel every job not finished (their processes stop when the run's staging
        folder goes, see :func:`~evidence.reporting.batch.execute_job_isolated`)."""
        if self.futures:
            with contextlib.suppress(Exception), _quiet_distributed():
                self.client.cancel(list(self.futures), force=True)
        self.futures.clear()

    def close(self) -> None:
        with contextlib.suppress(Exception), _quiet_distributed():
            self.client.close(timeout=5)
