"""Soak test of the report batch under lost workers (not part of ``make test``).

``--reports`` tiny reports (default 200) run through the whole batch on ``--workers`` local
workers (default 2), every job forced, while a thread kills a worker process (``SIGKILL``)
at random intervals (exponential, mean ``--kill-every`` seconds, from a seeded
``numpy.random.Generator``). A report whose worker is killed runs again once on a new worker
(the batch's default); killed twice, it fails, saying its worker was lost. Afterwards:

- ``reports_lost``: reports neither published nor failed explicitly, or recorded as published
  but with a missing or mismatched file (results from another report or another run). Must be 0.
- ``failed_explicitly``: reports failed because their worker was lost on every attempt (the
  killed attempts that could not be retried), each with its reason in run.json.
- ``index_matches_files``: run.json and index.html list exactly the reports on disk, each
  report's HTML, notebook and results of this run; no staging, worker or job folder, and no
  process of the run (worker or kernel) left.

    python benchmarks/bench_soak.py [--reports 200] [--workers 2] [--kill-every 4] [--seed 20]
                                    [--out benchmarks/results/soak.json]

Needs the ``evidence`` kernel (``make setup``). Writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import numpy as np
import psutil
import yaml

from evidence.reporting.batch import run_batch

MARKER = "EVIDENCE_SOAK_RUN"
REPORT = """\
import json, pathlib, time
time.sleep(work_seconds)
if results_path:
    pathlib.Path(results_path).write_text(json.dumps({"name": name, "value": value, "token": token}))
print(f"report {name}: {value}")
"""


def write_notebook(path: Path) -> Path:
    nbformat.write(
        nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_markdown_cell("# Soak report\n\n## Result"),
                nbformat.v4.new_code_cell(
                    'name: str = ""  # the report\'s name\nvalue: int = 0  # a number it writes\n'
                    'token: str = ""  # this soak run\'s id\nwork_seconds: float = 0.3  # time spent in the cell\n'
                    'results_path: str = ""  # set by the batch',
                    metadata={"tags": ["parameters"]},
                ),
                nbformat.v4.new_code_cell(REPORT),
            ],
            metadata={"kernelspec": {"name": "evidence", "display_name": "Python (evidence)", "language": "python"}},
        ),
        path,
    )
    return path


def serving_workers() -> list[psutil.Process]:
    """This process's live batch workers (``python -m evidence.reporting.worker --serve``)."""
    found = []
    for child in psutil.Process().children():
        try:
            if "evidence.reporting.worker" in child.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.Error:
            continue
    return found


class Killer(threading.Thread):
    """Kills a random live worker at exponential intervals until told to stop."""

    def __init__(self, mean_seconds: float, rng: np.random.Generator) -> None:
        super().__init__(daemon=True)
        self.mean_seconds, self.rng = mean_seconds, rng
        self.done = threading.Event()
        self.kills: list[dict] = []

    def run(self) -> None:
        started = time.monotonic()
        while not self.done.wait(self.rng.exponential(self.mean_seconds)):
            workers = serving_workers()
            if not workers:
                continue
            victim = workers[int(self.rng.integers(len(workers)))]
            kernels = [c.pid for c in victim.children()]
            try:
                victim.send_signal(signal.SIGKILL)
            except psutil.Error:
                continue
            self.kills.append(
                {"at_seconds": round(time.monotonic() - started, 2), "worker": victim.pid, "kernels": kernels}
            )


def processes_of_run(marker: str) -> list[int]:
    left = []
    for process in psutil.process_iter():
        try:
            if (
                process.pid != os.getpid()
                and process.environ().get(MARKER) == marker
                and process.status() != psutil.STATUS_ZOMBIE
            ):
                left.append(process.pid)
        except psutil.Error:
            continue
    return left


def check(out: Path, log: dict, token: str) -> dict:
    """Compare run.json and the index with the files on disk."""
    problems: list[str] = []
    lost = 0
    for job in log["jobs"]:
        name = job["name"]
        html, results, notebook = out / f"{name}.html", out / f"{name}.json", out / "notebooks" / f"{name}.ipynb"
        if job["status"] == "succeeded":
            whole = html.is_file() and notebook.is_file() and results.is_file()
            content = json.loads(results.read_text()) if results.is_file() else {}
            if (
                not whole
                or content.get("name") != name
                or content.get("token") != token
                or content.get("value") != job["parameters"]["value"]
                or job["report"] != "current"
            ):
                lost += 1
                problems.append(f"{name}: recorded as published but its files are missing or not this run's")
        elif job["status"] == "failed" and "lost" in job["error"] and job["report"] == "none":
            if html.exists() or results.exists() or notebook.exists():
                problems.append(f"{name}: failed, yet a report of it is on disk")
        else:
            lost += 1
            problems.append(
                f"{name}: status {job['status']} ({job['error']!r}): neither published nor failed explicitly"
            )
    on_disk = {p.name for p in out.glob("*.html")} - {"index.html", "run.html"}
    listed = {j["html"] for j in log["jobs"] if j["html"]}
    index = (out / "index.html").read_text(encoding="utf-8")
    linked = set(re.findall(r'href="([^"#/]+\.html)"', index)) - {"index.html", "run.html"}
    if not on_disk == listed == linked:
        problems.append(
            f"index/run.json/disk disagree: {len(on_disk)} on disk, {len(listed)} in run.json, {len(linked)} linked"
        )
    if (out / ".staging").exists():
        problems.append("a staging folder is left")
    return {"reports_lost": lost, "index_matches_files": not problems, "problems": problems[:20]}


def soak(reports: int, workers: int, kill_every: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    token, marker = uuid.uuid4().hex, uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        folder = Path(folder)
        temp = folder / "tmp"
        temp.mkdir()
        os.environ.update(TMPDIR=str(temp), **{MARKER: marker})
        tempfile.tempdir = str(temp)
        notebook = write_notebook(folder / "soak.ipynb")
        config = folder / "soak.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "year": 2025,
                    "title": "Soak",
                    "kernel": "evidence",
                    "reports": [
                        {
                            "name": f"r{i:03d}",
                            "notebook": str(notebook),
                            "parameters": {"name": f"r{i:03d}", "value": i, "token": token},
                        }
                        for i in range(reports)
                    ],
                }
            )
        )
        out = folder / "reports"
        killer = Killer(kill_every, rng)
        killer.start()
        start = time.perf_counter()
        outcome = run_batch(config, out, show_progress=False, workers=workers, force=True)
        seconds = time.perf_counter() - start
        killer.done.set()
        killer.join()
        time.sleep(1)
        log = json.loads((out / "run.json").read_text())
        figures = check(out, log, token)
        statuses = [r.status for r in outcome.results]
        stray = [p.name for p in temp.iterdir()]
        left = processes_of_run(marker)
        kernels_alive = [
            k
            for kill in killer.kills
            for k in kill["kernels"]
            if psutil.pid_exists(k) and psutil.Process(k).status() != psutil.STATUS_ZOMBIE
        ]
        tempfile.tempdir = None
    return {
        "reports": reports,
        "workers": workers,
        "kill_every_mean_seconds": kill_every,
        "seed": seed,
        "seconds": round(seconds, 1),
        "workers_killed": len(killer.kills),
        "succeeded": statuses.count("succeeded"),
        "succeeded_after_a_lost_worker": sum(r.status == "succeeded" and r.attempts > 1 for r in outcome.results),
        "failed_explicitly": sum(r.status == "failed" and "lost" in r.error for r in outcome.results),
        "failed_otherwise": sum(r.status == "failed" and "lost" not in r.error for r in outcome.results),
        "attempts_lost": sum(t["outcome"].startswith("lost") for r in outcome.results for t in r.tries),
        **figures,
        "stray_temporary_files": stray,
        "processes_left": left,
        "killed_workers_kernels_alive": kernels_alive,
        "exit_code": outcome.exit_code,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=4.0, help="mean seconds between worker kills")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/soak.json"))
    args = parser.parse_args()
    figures = soak(args.reports, args.workers, args.kill_every, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    clean = (
        figures["reports_lost"] == 0
        and figures["index_matches_files"]
        and not figures["stray_temporary_files"]
        and not figures["processes_left"]
        and not figures["killed_workers_kernels_alive"]
    )
    raise SystemExit(0 if clean else 1)


if __name__ == "__main__":
    main()
