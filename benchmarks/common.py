"""What the benchmarks do the same way: time an engine in a fresh Python process (so that its
imports, caches and peak memory are its own), and write the summary with the machine it ran on.

Benchmarks are run as scripts (``python benchmarks/bench_x.py``), so this folder is first on
``sys.path`` and they import this module as ``common``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from evidence.paths import project_root


def in_fresh_process(script: str, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``python -c script args`` from the project root and return its standard output;
    ``env`` replaces the environment (default: this one's)."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=project_root(),
        env=None if env is None else dict(env),
    )
    return done.stdout


def last_json_line(output: str) -> dict:
    """The figures a timed script prints as one JSON object on its last line."""
    return json.loads(output.strip().splitlines()[-1])


def write_summary(summary: dict, out: Path) -> None:
    """``summary`` with the Python version, machine, core count and time of measuring added,
    written to ``out`` as JSON and printed."""
    summary = {
        **summary,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "measured": time.strftime("%Y-%m-%d %H:%M"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
