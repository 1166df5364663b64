"""The batch's identifier audit of the processed and derived data, run in a thread beside the jobs.

The scan of the processed data (and the tables derived from it, ``data/interim``) does not
depend on the reports, so it runs while they do, at the lowest CPU priority (it takes only time
the jobs leave idle); at the end of the run :meth:`ProcessedAudit.findings` scans them and the
reports (:func:`evidence.audit.scan`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path

from evidence.files import write_text_atomic
from evidence.reporting.fingerprints import STATE_FOLDER


def _yield_cpu_to_jobs() -> None:
    """Lower the calling thread's CPU priority to the lowest (Linux ``nice`` 19 applies per
    thread), so that work done beside the jobs takes only CPU time they leave idle. Elsewhere,
    or if refused, the thread keeps its priority."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class ProcessedAudit(threading.Thread):
    """The audit's scan of the processed data and of the tables derived from it (``interim``),
    in a thread while the jobs run (it does not depend on them). :meth:`findings` then scans
    them and the outputs: files found clean and unchanged since (the thread's, and earlier
    runs', remembered in ``.state``) are not read again, so a change to the data meanwhile is
    still seen."""

    def __init__(self, processed: Path, interim: Path, out_dir: Path) -> None:
        super().__init__(daemon=True)
        self.processed, self.interim = processed, interim
        self.error: BaseException | None = None
        self.memory = out_dir / STATE_FOLDER / "audit_clean_files.json"
        self.clean_files = json.loads(self.memory.read_text(encoding="utf-8")) if self.memory.is_file() else {}

    def run(self) -> None:
        from evidence import audit

        _yield_cpu_to_jobs()
        try:
            audit.scan([self.processed, self.interim], audit.raw_identifier_values(self.processed), self.clean_files)
        except BaseException as error:  # raised again by findings(), in the batch's thread
            self.error = error

    def findings(self, out_dir: Path) -> list:
        """Every finding in the processed and derived data and ``out_dir`` (see :func:`audit.scan`)."""
        from evidence import audit

        if self.error is not None:
            raise self.error
        found = audit.scan(self.folders(out_dir), audit.raw_identifier_values(self.processed), self.clean_files)
        write_text_atomic(self.memory, json.dumps(self.clean_files, indent=1, sort_keys=True))
        return found

    def folders(self, out_dir: Path) -> list[Path]:
        """The folders :meth:`findings` scans."""
        return [self.processed, self.interim, out_dir]
