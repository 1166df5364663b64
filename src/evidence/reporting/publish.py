"""A batch run's hold on its reports folder, and how a report is published whole or not at all.

One run at a time owns a reports folder: it holds the lock ``.state/run.lock`` (``flock``,
released by the system when the run's process dies, however it dies) and has an id. Each
attempt at a job writes its HTML, results JSON and executed notebook into a staging folder of
its own, ``.staging/<run id>/<report>/<attempt>/``, beside the reports (so moving a file into
place is an atomic rename on the same filesystem). Only the run, in its own process, moves a
finished attempt's files into place (:func:`publish`); a job that fails, or is cut short,
publishes nothing, and a worker that outlives its run writes only into a staging folder that
is removed. An attempt also leaves ``where.json`` (which worker ran it, and when), from which
the run knows each report's attempts, including those whose worker was lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from evidence import provenance
from evidence.errors import BatchError
from evidence.files import write_text_atomic

try:
    import fcntl
except ImportError:  # Windows: no lock; one run at a time is then the user's to keep
    fcntl = None  # type: ignore[assignment]

STAGING_FOLDER = ".staging"
LOCK_FILE = Path(".state") / "run.lock"
WHERE_FILE = "where.json"
#: kind of output -> where it is published, relative to the reports folder
PUBLISHED = {"html": "{name}.html", "results": "{name}.json", "notebook": "notebooks/{name}.ipynb"}


def new_run_id() -> str:
    """A run's id: its UTC start time and a random suffix, e.g. ``20260101T093000Z-3f2a1c``."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:6]}"


class RunFolder:
    """This run's ownership of ``out_dir``: the lock, the run id and the staging folder.
    Raises :class:`BatchError` if another run holds the folder. Staging folders left by
    earlier runs (which can only be dead, as this run holds the lock) are removed."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.run_id = new_run_id()
        lock_path = out_dir / LOCK_FILE
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(lock_path, "a+")  # noqa: SIM115 (held for the whole run)
        if fcntl is not None:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._lock.seek(0)
                holder = self._lock.read().strip() or "another process"
                self._lock.close()
                raise BatchError(
                    f"{out_dir}: another batch run is writing these reports ({holder}); "
                    "wait for it to finish, or give this run another --out folder"
                ) from None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(f"run {self.run_id}, pid {os.getpid()} on {socket.gethostname()}\n")
        self._lock.flush()
        shutil.rmtree(out_dir / STAGING_FOLDER, ignore_errors=True)
        self.staging = out_dir / STAGING_FOLDER / self.run_id
        self.staging.mkdir(parents=True)

    def attempts(self, name: str) -> list[dict[str, Any]]:
        """Every attempt started at job ``name`` in this run, oldest first: each attempt's
        ``where.json`` with its ``folder``."""
        found = []
        for where in (self.staging / name).glob(f"*/{WHERE_FILE}"):
            with contextlib.suppress(OSError, ValueError):
                found.append({**json.loads(where.read_text(encoding="utf-8")), "folder": str(where.parent)})
        return sorted(found, key=lambda a: (a.get("started", 0.0), a["folder"]))

    def close(self) -> None:
        """Remove the staging folder and release the folder (on every path out of a run)."""
        shutil.rmtree(self.out_dir / STAGING_FOLDER, ignore_errors=True)
        if not self._lock.closed:
            self._lock.close()


def start_attempt(spec: dict[str, Any], where: str) -> Path:
    """Make the staging folder for one attempt at the job ``spec`` (run by ``where``, e.g. a
    worker's address) and record where and when it started. Fails if the run's staging
    folder is gone (the run is over): a late attempt then writes nothing."""
    run_folder = Path(spec["staging"])
    if not run_folder.is_dir():
        raise BatchError(f"the run {run_folder.name} is over; this attempt at {spec['name']} is not needed")
    folder = run_folder / spec["name"] / uuid.uuid4().hex[:8]
    folder.mkdir(parents=True)
    write_text_atomic(
        folder / WHERE_FILE,
        json.dumps(
            {
                "where": where,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "started": time.time(),
                "started_utc": provenance.utc_now(),
            }
        ),
    )
    return folder


def run_is_over(spec: dict[str, Any]) -> bool:
    """Whether the run that sent ``spec`` has ended (its staging folder is gone)."""
    return not Path(spec["staging"]).is_dir()


def published_files(name: str) -> dict[str, str]:
    return {kind: pattern.format(name=name) for kind, pattern in PUBLISHED.items()}


def publish(out_dir: Path, name: str, attempt_folder: Path, staged: dict[str, str]) -> dict[str, str]:
    """Move one finished attempt's files (``staged``: kind -> file name in ``attempt_folder``)
    into place under ``out_dir``, each by an atomic rename; an output the attempt did not make
    (a notebook that writes no results) is removed, so no file of an earlier run remains
    beside the new ones. Returns kind -> published path, relative to ``out_dir``."""
    published = {}
    for kind, relative in published_files(name).items():
        target = out_dir / relative
        if kind in staged:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(attempt_folder / staged[kind], target)
            published[kind] = relative
        else:
            target.unlink(missing_ok=True)
    return published


def unpublish(out_dir: Path, name: str) -> None:
    """Remove a report's published files (its job failed: an earlier run's report would
    otherwise stand in for it)."""
    for relative in published_files(name).values():
        (out_dir / relative).unlink(missing_ok=True)
