"""Benchmarks of the report batch, each against a named baseline, in one run.

1. Per-report overhead: one report through the batch (fresh worker process, papermill kernel,
   offline HTML render) against the same notebook's code run as a plain Python script
   (``python script.py``, parameters inlined, outputs discarded). Goal: at most 1.5x.
2. Parallel speed-up: the same 8 reports (the workforce-survey notebook for 4 nations x
   weighting on/off; weighting by nation within one nation leaves every weight equal) with 2
   workers against 1 worker, every job forced. Goal: at least 1.7x.

    python benchmarks/bench_batch.py [--out benchmarks/results/batch.json] [--repeats 3]

Needs the processed sample data (``make ingest``) and the ``evidence`` kernel (``make setup``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

from evidence.paths import project_root
from evidence.reporting.batch import execute_job_isolated, job_spec, load_config, run_batch

NOTEBOOK = "notebooks/workforce_survey.ipynb"
NATIONS = ["England", "Scotland", "Wales", "Northern Ireland"]


def script_for(notebook: Path, parameters: dict) -> str:
    """The notebook's code cells as one script, the parameters cell followed by the values."""
    cells = nbformat.read(notebook, as_version=4).cells
    lines = []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        lines.append(cell.source)
        if "parameters" in cell.metadata.get("tags", []):
            lines.extend(f"{name} = {value!r}" for name, value in parameters.items())
    return "\n\n".join(lines) + "\n"


def overhead(root: Path, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        config_path = folder / "one.yml"
        config_path.write_text(yaml.safe_dump({"year": 2025, "title": "bench", "kernel": "evidence", "reports": [
            {"name": "survey", "notebook": str(root / NOTEBOOK), "parameters": {"nation": "All"}}]}))
        config = load_config(config_path)
        spec = job_spec(config.jobs[0], config, folder / "out", timeout=600, retries=2)
        script = folder / "survey.py"
        script.write_text(script_for(root / NOTEBOOK, {"nation": "All"}))
        env = {**os.environ, "EVIDENCE_ROOT": str(root)}
        batch_times, script_times = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            result = execute_job_isolated(spec)
            batch_times.append(time.perf_counter() - start)
            assert result["status"] == "succeeded", result
            start = time.perf_counter()
            subprocess.run([sys.executable, str(script)], cwd=root, env=env, check=True, capture_output=True)
            script_times.append(time.perf_counter() - start)
    batch_s, script_s = statistics.median(batch_times), statistics.median(script_times)
    return {"baseline": "same notebook code as a plain Python script (fresh process)",
            "batch_seconds_median": round(batch_s, 2), "script_seconds_median": round(script_s, 2),
            "ratio": round(batch_s / script_s, 2), "goal": "<= 1.5", "repeats": repeats}


def speedup(root: Path) -> dict:
    reports = [{"name": f"survey_{n.lower().replace(' ', '_')}_{'w' if w else 'u'}",
                "notebook": str(root / NOTEBOOK), "parameters": {"nation": n, "weighting": w}}
               for n in NATIONS for w in (False, True)]
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "eight.yml"
        config.write_text(yaml.safe_dump({"year": 2025, "title": "bench", "kernel": "evidence", "reports": reports}))
        for workers in (1, 2):
            start = time.perf_counter()
            outcome = run_batch(config, Path(folder) / f"out{workers}", show_progress=False, workers=workers,
                                force=True)
            times[workers] = time.perf_counter() - start
            assert outcome.succeeded
    return {"baseline": "the same 8 reports with 1 worker", "reports": len(reports),
            "one_worker_seconds": round(times[1], 2), "two_workers_seconds": round(times[2], 2),
            "speedup": round(times[1] / times[2], 2), "goal": ">= 1.7", "cores": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/batch.json"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = project_root()
    result = {"per_report_overhead": overhead(root, args.repeats), "parallel": speedup(root)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
