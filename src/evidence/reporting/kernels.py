"""Kernels for report jobs: a fresh kernel for every job, optionally started ahead of time.

Every job runs in a kernel of its own (jobs never share interpreter state). A worker that runs
many jobs can *pre-start* the next job's kernel while the current job runs (a kernel pool of
size one). A kernel's start-up (imports, then handshakes, partly spent waiting) is then hidden
on a spare core, and its waiting is hidden even without one (``benchmarks/bench_batch.py``
measures the gain).

papermill normally starts and stops its own kernel; the engine that runs a notebook on a
kernel started here is :mod:`evidence.reporting.engine`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from evidence.files import write_text_atomic
from evidence.reporting.processes import (
    SOCKETS_FOLDER_PREFIX,
    OwnedFolder,
    die_with_parent,
    short_scratch_root,
)

#: A Unix-domain socket's path must fit in ``sun_path`` (108 bytes on Linux, 104 on macOS);
#: a longer one makes the kernel fall back to TCP and never answer this client.
SOCKET_PATH_LIMIT = 100

#: nbclient keeps IPython's history in memory for kernels it starts; so do we (parallel
#: kernels writing one history.sqlite slow each other down and can lock it).
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]


def _kernel_pid(km: AsyncKernelManager) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    return getattr(provisioner, "pid", None)


class KernelSource:
    """Starts kernels for one worker; keeps at most one started ahead of time.

    ``pid_file``, if given, always lists the process ids of the kernels this source has
    running, so that whoever kills the worker (on a job timeout) can kill its kernels too: a
    kernel runs in a session of its own, outside the worker's process group.
    """

    def __init__(self, pid_file: str | Path | None = None) -> None:
        self.pid_file = Path(pid_file) if pid_file else None
        self.running: list[AsyncKernelManager] = []
        self.ready: tuple[tuple[str, str], AsyncKernelManager] | None = None
        self.started = 0
        self.sockets: str | None = None  # a short folder for the kernels' IPC sockets (POSIX)
        self._short: OwnedFolder | None = None

    def _record(self) -> None:
        if self.pid_file is not None:
            pids = [str(p) for p in (_kernel_pid(km) for km in self.running) if p]
            write_text_atomic(self.pid_file, "".join(f"{pid}\n" for pid in pids))

    def _manager(self, kernel_name: str) -> AsyncKernelManager:
        """A kernel manager on Unix-domain sockets where the system has them. Over TCP, each
        kernel's ports are picked free and released before the kernel binds them, so two
        kernels starting at once (parallel workers, pre-starting) can pick the same port: the
        kernel then never answers and the job waits out the start timeout. A socket file in a
        folder of this worker's own cannot collide; the kernel's connection file is kept there too.
        The folder is beside ``pid_file`` (the batch removes that folder even when it kills the
        worker), else a new temporary one; either way short, as a socket path must fit in
        about 100 bytes."""
        if os.name != "posix":
            return AsyncKernelManager(kernel_name=kernel_name)
        if self.sockets is None:
            beside = self.pid_file.parent / "sockets" if self.pid_file is not None else None
            if beside is not None and len(str(beside / "k9999-65535")) <= SOCKET_PATH_LIMIT:
                self.sockets = str(beside)
                os.makedirs(self.sockets, exist_ok=True)
            else:  # a long temporary folder (TMPDIR): a short one of its own, swept if left behind
                self._short = OwnedFolder(SOCKETS_FOLDER_PREFIX, short_scratch_root())
                self.sockets = str(self._short.path)
        self.started += 1
        # the connection file goes there too (by default it is a temporary file that a killed
        # worker would leave behind)
        return AsyncKernelManager(
            kernel_name=kernel_name,
            transport="ipc",
            ip=os.path.join(self.sockets, f"k{self.started}"),
            connection_file=os.path.join(self.sockets, f"k{self.started}.json"),
        )

    def _start(self, kernel_name: str, cwd: str) -> AsyncKernelManager:
        km = self._manager(kernel_name)
        # the kernel is killed if this worker dies (it runs in a session of its own, outside
        # the worker's process group): no orphaned kernel goes on running a report
        run_sync(km.start_kernel)(cwd=cwd, extra_arguments=list(KERNEL_ARGUMENTS), preexec_fn=die_with_parent())
        self.running.append(km)
        self._record()
        return km

    def take(self, kernel_name: str, cwd: str) -> AsyncKernelManager:
        """A started kernel for one job: the pre-started one if it matches, else a new one.
        The kernel may still be booting; nbclient waits until it is ready."""
        if self.ready is not None:
            key, km = self.ready
            self.ready = None
            if key == (kernel_name, cwd) and run_sync(km.is_alive)():
                return km
            self.stop(km)
        return self._start(kernel_name, cwd)

    def prestart(self, kernel_name: str, cwd: str) -> None:
        """Start the next job's kernel now, to boot while this job runs."""
        if self.ready is None:
            with contextlib.suppress(Exception):  # the next job starts its own kernel instead
                self.ready = ((kernel_name, cwd), self._start(kernel_name, cwd))

    def stop(self, km: AsyncKernelManager) -> None:
        """Stop a kernel at once (its job is over: nothing in it needs a graceful exit)."""
        if km not in self.running:
            return
        self.running.remove(km)
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # already gone: release its files and ports
            with contextlib.suppress(Exception):
                run_sync(km.cleanup_resources)()
        self._record()

    def close(self) -> None:
        self.ready = None
        for km in list(self.running):
            self.stop(km)
        if self.sockets is not None:
            shutil.rmtree(self.sockets, ignore_errors=True)
            self.sockets = None
        if self._short is not None:
            self._short.remove()
            self._short = None


def wait_until_ready(km: AsyncKernelManager, timeout: float) -> None:
    """Block until the kernel answers (raises jupyter_client's start-up errors otherwise)."""
    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=timeout)
    finally:
        client.stop_channels()
