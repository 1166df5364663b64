"""The local worker pool of the report batch: long-lived worker processes on this machine.

A :class:`Worker` is one ``python -m evidence.reporting.worker --serve`` process (it pays its
imports once and runs jobs one at a time, each in a fresh kernel); it dies with the batch, and
its kernels with it (:mod:`evidence.reporting.processes`). A :class:`WorkerPool` keeps one
worker per slot, replaces a worker that is used up or lost, and runs a lost worker's job again
on the new one. :class:`LocalRunner` gives the batch the pool through the same interface as
:class:`~evidence.reporting.cluster.DaskRunner`. The result helpers here (timed out, worker
lost, not run) are shared with the jobs run on dask.
"""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import IO, Any

from evidence.errors import BatchError
from evidence.reporting.processes import OwnedFolder, die_with_parent, kill_tree
from evidence.reporting.publish import start_attempt

WORKER_FOLDER_PREFIX = "evidence-worker-"  # a worker's scratch folder, in the temporary folder


def kernel_pids_in(path: Path) -> list[int]:
    with contextlib.suppress(OSError, ValueError):
        return [int(pid) for pid in path.read_text().split()]
    return []


def timed_out_result(spec: dict[str, Any], started: float) -> dict[str, Any]:
    return {
        "status": "failed",
        "seconds": time.perf_counter() - started,
        "attempts": 1,
        "error": f"timed out after {spec['timeout']:.0f} s; the job was stopped",
    }


def lost_worker_result(code: int | None, stderr: str, started: float) -> dict[str, Any]:
    """The result of a job whose worker ended without one: ``lost`` (it may be run again)."""
    how = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
    tail = "\n".join(stderr.strip().splitlines()[-5:])
    return {
        "status": "failed",
        "seconds": time.perf_counter() - started,
        "attempts": 1,
        "lost": True,
        "error": f"its worker was lost ({how}) without a result" + (f":\n{tail}" if tail else ""),
    }


def not_run_result(message: str, started: float) -> dict[str, Any]:
    """The result of a job the batch stopped, or could not start: it did not run."""
    return {"status": "failed", "seconds": time.perf_counter() - started, "attempts": 0, "ran": False, "error": message}


class Worker:
    """A long-lived worker process (``python -m evidence.reporting.worker --serve``) that runs
    jobs one at a time, each in a fresh kernel. It dies with the batch (and its kernels with
    it). A job that times out kills the worker and its kernels; a worker that dies loses its
    current job only. Either way the next job gets a new worker."""

    def __init__(self, root: str, number: int = 1) -> None:
        self.number = number
        self.scratch = OwnedFolder(WORKER_FOLDER_PREFIX)
        self.folder = self.scratch.path
        self.kernel_pids = self.folder / "kernel_pids"
        self.stderr = (self.folder / "stderr.log").open("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "evidence.reporting.worker", "--serve"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            start_new_session=True,
            text=True,
            bufsize=1,
            preexec_fn=die_with_parent(),
        )
        assert self.process.stdin is not None and self.process.stdout is not None  # both are pipes
        self.requests: IO[str] = self.process.stdin
        self.replies: IO[str] = self.process.stdout
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.killed = False
        self.jobs = 0  # jobs sent to this worker
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def name(self) -> str:
        return f"local worker {self.number} (pid {self.process.pid})"

    def _read(self) -> None:
        for line in self.replies:
            self.lines.put(line)
        self.lines.put(None)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        self.jobs += 1
        try:
            self.requests.write(json.dumps({**spec, "kernel_pids": str(self.kernel_pids)}) + "\n")
            self.requests.flush()
            line = self.lines.get(timeout=spec["timeout"])
        except queue.Empty:
            self.kill()
            return timed_out_result(spec, started)
        except (BrokenPipeError, OSError):
            line = None
        if line is None:
            self.kill()
            self.stderr.seek(0)
            return lost_worker_result(self.process.returncode, self.stderr.read(), started)
        return json.loads(line)

    def kill(self) -> None:
        """Kill the worker, every process below it and its kernels (each in a session of its own).
        Not once the worker has been reaped: its process id may then be another process's (its
        kernels died with it, by their parent-death signal)."""
        if not self.killed and self.process.returncode is None:
            self.killed = True
            kill_tree(self.process.pid, kernel_pids_in(self.kernel_pids))
            self.process.wait()

    def close(self) -> None:
        """Ask the worker to finish (it stops its kernels), killing it if it does not."""
        if self.alive and not self.killed:
            try:
                self.requests.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.alive or kernel_pids_in(self.kernel_pids):
            self.kill()
        self.stderr.close()
        self.scratch.remove()


#: A worker is replaced after this many jobs, so that what a long batch leaves behind in it
#: (caches, fragmented memory) stays bounded; its start-up is then paid once per this many jobs.
JOBS_PER_WORKER = 50
#: A job whose worker is lost (killed, out of memory) is run again this many times on a new
#: worker, as a dask cluster does; each attempt is recorded.
LOST_WORKER_RETRIES = 1


class WorkerPool:
    """``size`` pool slots, each with one long-lived :class:`Worker` (started when the slot
    takes its first job, replaced after ``jobs_per_worker`` jobs, or when it is lost: its job
    then runs again on the new worker, up to ``lost_worker_retries`` times). ``prestart``: each
    worker starts the next job's kernel while the current one runs (when jobs remain to be
    taken). :meth:`stop` kills every worker at once and runs nothing more."""

    def __init__(
        self,
        size: int,
        prestart: bool,
        jobs_per_worker: int = JOBS_PER_WORKER,
        lost_worker_retries: int = LOST_WORKER_RETRIES,
    ) -> None:
        self.threads = ThreadPoolExecutor(max_workers=size)
        self.size = size
        self.prestart = prestart
        self.jobs_per_worker = jobs_per_worker
        self.lost_worker_retries = lost_worker_retries
        self.local = threading.local()
        self.workers: list[Worker] = []
        self.lock = threading.Lock()
        self.waiting = 0
        self.stopped = False

    def submit_all(self, specs: list[dict[str, Any]]) -> list:
        with self.lock:
            self.waiting += len(specs)
        return [self.threads.submit(self._run, spec) for spec in specs]

    def _worker(self, root: str) -> Worker | None:
        """This slot's worker, a new one if it has none alive or used up; None once stopped."""
        worker = getattr(self.local, "worker", None)
        if worker is not None and worker.alive and worker.jobs >= self.jobs_per_worker:
            worker.close()
        with self.lock:
            if self.stopped:
                return None
            if worker is None or not worker.alive or worker.jobs >= self.jobs_per_worker:
                worker = self.local.worker = Worker(root, number=len(self.workers) + 1)
                self.workers.append(worker)
            return worker

    def _run(self, spec: dict[str, Any]) -> dict[str, Any]:

        started = time.perf_counter()
        with self.lock:
            self.waiting -= 1
            more = self.waiting > 0
        for attempt in range(1 + self.lost_worker_retries):
            worker = self._worker(spec["root"])
            if worker is None:
                return not_run_result("the batch was stopped before this job finished", started)
            try:
                folder = start_attempt(spec, where=worker.name)
            except BatchError as error:
                return not_run_result(str(error), started)
            ahead = more and worker.jobs + 1 < self.jobs_per_worker  # a kernel for a job this worker will run
            result = worker.run({**spec, "attempt_folder": str(folder), "prestart": self.prestart and ahead})
            if not result.get("lost") or self.stopped or attempt == self.lost_worker_retries:
                break
        with self.lock:
            taken = self.waiting == 0
        assert worker is not None  # the loop ran at least once, and returned when there was none
        if taken:  # every job is taken: this slot's worker exits now, while the others finish
            worker.close()
        if self.stopped:
            return not_run_result("the batch was stopped before this job finished", started)
        return result

    def stop(self) -> None:
        """Run nothing more, and kill every worker with its kernels now."""
        with self.lock:
            self.stopped = True
            workers = list(self.workers)
        self.threads.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.kill()

    def shutdown(self) -> None:
        self.threads.shutdown()
        for worker in self.workers:
            worker.close()


class LocalRunner:
    """The jobs of one run on a :class:`WorkerPool` of this machine; the same interface as
    :class:`~evidence.reporting.cluster.DaskRunner`."""

    def __init__(self, size: int, prestart: bool, lost_worker_retries: int) -> None:
        self.pool = WorkerPool(size, prestart=prestart, lost_worker_retries=lost_worker_retries)
        self.workers = size
        self.futures: dict[Any, str] = {}

    def submit(self, specs: dict[str, dict[str, Any]], run_id: str) -> None:
        self.futures.update(zip(self.pool.submit_all(list(specs.values())), specs, strict=True))

    def poll(self, timeout: float) -> list[tuple[str, dict[str, Any]]]:
        done, _ = wait_futures(list(self.futures), timeout=timeout, return_when=FIRST_COMPLETED)
        finished = []
        for future in done:
            name = self.futures.pop(future)
            try:
                finished.append((name, future.result()))
            except Exception as error:  # the pool could not run it (e.g. no worker process could start)
                finished.append(
                    (
                        name,
                        not_run_result(
                            f"the batch could not run it: {type(error).__name__}: {error}", time.perf_counter()
                        ),
                    )
                )
        return finished

    def problem(self) -> str | None:
        return None

    def stop(self) -> None:
        self.pool.stop()
        self.futures.clear()

    def close(self) -> None:
        self.pool.shutdown()
