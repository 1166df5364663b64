"""The batch's child processes: they die with their parent, and are killed as a whole tree.

A report job runs in a chain of processes: the batch (or a dask worker) starts a worker
process, the worker starts one kernel per job, and a notebook may start processes of its own.
Each link is started with a *parent-death signal* (Linux ``prctl(PR_SET_PDEATHSIG)``): when
the process that started it dies, however it dies (killed, out of memory, ``SIGKILL``), the
kernel sends the child ``SIGKILL``, so no orphaned job keeps running and writes late.
Elsewhere the signal is unavailable and only :func:`kill_tree` applies.

A scratch folder (:class:`OwnedFolder`) holds an exclusive ``flock`` for as long as the
process that made it lives; :func:`sweep_orphaned_folders` removes those whose owner is gone
(the lock is released by the kernel when its holder dies), so a worker killed with its folder
leaves nothing behind for long.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

try:
    import fcntl
except ImportError:  # Windows: folders are still removed by their owner, never swept
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from types import FrameType

    #: What signal.signal takes and returns.
    SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
OWNER_FILE = ".owner.lock"
SOCKETS_FOLDER_PREFIX = "evk-"  # kernels' socket folders, when the temporary folder's path is long


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
        prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        prctl.restype = ctypes.c_int
        return prctl
    return None


_PRCTL = _load_prctl()  # resolved before any fork: the child then only makes the call


def parent_death_signal_supported() -> bool:
    return _PRCTL is not None


def die_with_parent(parent_pid: int | None = None) -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that makes the child receive ``SIGKILL``
    when its parent dies; ``None`` where the system has no such signal. If the parent died
    before the child set the signal, the child exits at once.

    The signal follows the *thread* that started the child: start children from a thread
    that outlives them (a pool thread, the main thread)."""
    if _PRCTL is None:
        return None
    parent = parent_pid or os.getpid()

    def preexec() -> None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def kill_tree(pid: int, also: Iterable[int] = ()) -> None:
    """``SIGKILL`` a process, every process below it, the process groups they lead, and the
    processes in ``also`` (with theirs), then wait (at most 5 s) for those below to go. The
    roots are not reaped here: the caller's ``Popen.wait`` does that, and so still learns
    their exit status."""
    roots = [pid, *also]
    victims: dict[int, psutil.Process] = {}
    for root in roots:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(root)
            victims[root] = process
            for child in process.children(recursive=True):
                victims[child.pid] = child
    for process in victims.values():  # parents first: they cannot start new children after
        with contextlib.suppress(psutil.Error):
            process.kill()
    for root in roots:  # a process group may hold processes already orphaned from the tree
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            if os.getpgid(root) == root:
                os.killpg(root, signal.SIGKILL)
    psutil.wait_procs([p for p in victims.values() if p.pid not in roots], timeout=5)


def short_scratch_root() -> str:
    """A folder with a short path for scratch that needs one (socket files): the temporary
    folder if its path is short, else ``/tmp`` where there is one."""
    temp = tempfile.gettempdir()
    return "/tmp" if len(temp) > 40 and os.path.isdir("/tmp") else temp


class OwnedFolder:
    """A new temporary folder named ``<prefix><random>``, holding a lock for as long as this
    object (and so this process) lives; :meth:`remove` deletes it."""

    def __init__(self, prefix: str, parent: str | Path | None = None) -> None:
        # made under a hidden name, locked, then renamed: a sweep never sees it unlocked
        making = Path(tempfile.mkdtemp(prefix=f".{prefix}", dir=parent))
        self._lock = open(making / OWNER_FILE, "w")  # noqa: SIM115 (held open on purpose)
        if fcntl is not None:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.path = making.with_name(making.name[1:])
        os.rename(making, self.path)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self._lock.close()


def sweep_orphaned_folders(prefix: str, parent: str | Path | None = None) -> list[Path]:
    """Remove the folders ``<parent>/<prefix>*`` (default: the temporary folder) made by an
    :class:`OwnedFolder` whose owner has died; returns what was removed."""
    if fcntl is None:
        return []
    removed: list[Path] = []
    for folder in Path(parent or tempfile.gettempdir()).glob(f"{prefix}*"):
        lock_path = folder / OWNER_FILE
        try:
            handle = open(lock_path)  # noqa: SIM115
        except OSError:
            continue  # not one of ours, or being made right now
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # its owner is alive
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class StopSignals:
    """While in this context, ``SIGINT`` (Ctrl-C) and ``SIGTERM`` do not interrupt the code
    where it happens to be (mid-write, mid-publish): the first one received is kept in
    :attr:`received`, for the caller to check between steps and stop cleanly. Outside the
    main thread, where signals cannot be handled, nothing changes."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, SignalHandler] = {}

    def _handle(self, signum: int, frame) -> None:
        if self.received is None:
            self.received = signum

    @property
    def name(self) -> str | None:
        return signal.Signals(self.received).name if self.received is not None else None

    def __enter__(self) -> StopSignals:
        with contextlib.suppress(ValueError):  # not the main thread
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
