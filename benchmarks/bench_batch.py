"""Benchmarks of the report batch, each against a named baseline, in one run.

Cores are the resource: every run is confined by CPU affinity (inherited by workers and
kernels) to the cores it is said to use, so that "1 worker" cannot quietly use the second core.

1. Per-report overhead: reports through the whole batch with 1 worker (``run_batch``:
   fingerprints, a long-lived worker, a fresh kernel per report, papermill, offline HTML, the
   audit, run.json and the index) against the same notebooks' code run as plain Python scripts,
   one fresh ``python script.py`` process each (parameters inlined, every import paid, the same
   results JSON written, other outputs discarded), one after another. Seconds per report, median
   of the repeats, batch and scripts alternating. Goal: at most 1.5x.
   - ``per_report_overhead``: the shipped annual batch (``config/annual_report.yml``, 13
     reports from 5 notebooks) on 1 core.
   - ``per_report_overhead_lightest_report``: 4 copies of the lightest report (the
     workforce-survey notebook for the 4 nations) on 1 core, where a report's fixed costs
     weigh most; and the same on 2 cores, where the worker's next kernel boots on the spare
     core (the figure before cores were confined).
   - ``cold_single_report``: one report in a fresh worker (``execute_job_isolated``, as dask
     jobs run) against one script, both free to use every core.
2. Parallel speed-up: 8 reports (the workforce-survey notebook for 4 nations x weighting on/off;
   weighting by nation within one nation leaves every weight equal), every job forced, 1 core
   (1 worker) against 2 cores (2 workers). Goal: at least 1.7x. Also against 1 worker allowed
   both cores, and the gain from pre-starting kernels on 1 core.

    python benchmarks/bench_batch.py [--out benchmarks/results/batch.json] [--repeats 3]

Needs the processed sample data (``make ingest``) and the ``evidence`` kernel (``make setup``).
Writes the figures, and where a report's time went (kernel start, execution, rendering), as
JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

from evidence.paths import project_root
from evidence.reporting.batch import available_cores, run_batch
from evidence.reporting.cluster import execute_job_isolated
from evidence.reporting.execute import job_spec
from evidence.reporting.jobs import RESULTS_PARAMETER, load_config
from evidence.reporting.parameters import read_parameters

NOTEBOOK = "notebooks/workforce_survey.ipynb"
ANNUAL_CONFIG = "config/annual_report.yml"
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


def write_config(folder: Path, reports: list[dict]) -> Path:
    """A batch config of ``reports`` (name, notebook, parameters) in ``folder``."""
    path = folder / "batch.yml"
    path.write_text(yaml.safe_dump({"year": 2025, "title": "bench", "kernel": "evidence", "reports": reports}))
    return path


def write_script(folder: Path, report: dict) -> Path:
    """The report's notebook code as a script in ``folder``, writing the same results JSON."""
    parameters = dict(report["parameters"])
    if RESULTS_PARAMETER in read_parameters(Path(report["notebook"])):
        parameters[RESULTS_PARAMETER] = str(folder / f"{report['name']}.json")
    path = folder / f"{report['name']}.py"
    path.write_text(script_for(Path(report["notebook"]), parameters))
    return path


def run_script(root: Path, script: Path) -> None:
    subprocess.run(
        [sys.executable, str(script)],
        cwd=root,
        env={**os.environ, "EVIDENCE_ROOT": str(root)},
        check=True,
        capture_output=True,
    )


def _median_phases(phases: list[dict[str, float]]) -> dict:
    names = sorted({name for p in phases for name in p})
    return {name: round(statistics.median(p.get(name, 0.0) for p in phases), 2) for name in names}


@contextlib.contextmanager
def on_cores(count: int):
    """Run the block (and the workers and kernels it starts, which inherit the mask) on the
    first ``count`` cores this process may use."""
    allowed = sorted(os.sched_getaffinity(0))
    if count > len(allowed):
        raise SystemExit(f"the benchmark needs {count} cores, this process may use {len(allowed)}")
    os.sched_setaffinity(0, allowed[:count])
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


def survey_reports(root: Path) -> list[dict]:
    """The lightest report, 4 times: the workforce-survey notebook for the 4 nations."""
    return [
        {"name": f"survey_{n.lower().replace(' ', '_')}", "notebook": str(root / NOTEBOOK), "parameters": {"nation": n}}
        for n in NATIONS
    ]


def annual_reports(root: Path) -> list[dict]:
    """Every report of the shipped annual batch (``config/annual_report.yml``)."""
    config = load_config(root / ANNUAL_CONFIG)
    return [{"name": job.name, "notebook": str(job.notebook), "parameters": job.parameters} for job in config.jobs]


def overhead(root: Path, repeats: int, cores: int, reports: list[dict]) -> dict:
    """Seconds per report: the reports as a batch with 1 worker against the same notebooks' code
    as fresh script processes one after another, both confined to ``cores`` cores (with 2, the
    worker's next kernel boots on the spare core; with 1, neither the batch nor a script gets a
    second core). A script writes the same results JSON as the report."""
    batch_times, script_times, jobs, fixed = [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        config = write_config(folder, reports)
        scripts = [write_script(folder, report) for report in reports]
        for repeat in range(repeats):
            with on_cores(cores):
                start = time.perf_counter()
                outcome = run_batch(config, folder / f"out{repeat}", show_progress=False, workers=1, force=True)
                batch_times.append((time.perf_counter() - start) / len(reports))
                assert outcome.succeeded, [r.error for r in outcome.results]
                jobs.extend(outcome.results)
                fixed.append(outcome.seconds - sum(r.seconds for r in outcome.results))
                start = time.perf_counter()
                for script in scripts:
                    run_script(root, script)
                script_times.append((time.perf_counter() - start) / len(reports))
    batch_s, script_s = statistics.median(batch_times), statistics.median(script_times)
    return {
        "baseline": "the same notebook code as plain Python scripts, a fresh process each, one after another",
        "reports": len(reports),
        "notebooks": sorted({Path(r["notebook"]).name for r in reports}),
        "cores": cores,
        "workers": 1,
        "prestart": True,
        "batch_seconds_per_report_median": round(batch_s, 2),
        "script_seconds_per_report_median": round(script_s, 2),
        "ratio": round(batch_s / script_s, 2),
        "goal": "<= 1.5",
        "repeats": repeats,
        "batch_per_report_runs": [round(t, 2) for t in batch_times],
        "script_per_report_runs": [round(t, 2) for t in script_times],
        "job_phases_median": _median_phases([r.phases for r in jobs]),
        "job_seconds_median": round(statistics.median(r.seconds for r in jobs), 2),
        "batch_fixed_seconds_median": round(statistics.median(fixed), 2),
    }


def cold_single_report(root: Path, repeats: int) -> dict:
    """One report in a fresh worker process (its imports and kernel start unhidden) against one
    script."""
    report = {"name": "survey", "notebook": str(root / NOTEBOOK), "parameters": {"nation": "All"}}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        config = load_config(write_config(folder, [report]))
        staging = folder / "out" / ".staging" / "benchmark"  # what a run's RunFolder makes
        staging.mkdir(parents=True)
        spec = job_spec(config.jobs[0], config, folder / "out", timeout=600, retries=2, staging=staging)
        script = write_script(folder, report)
        batch_times, script_times, phases = [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            result = execute_job_isolated(spec)
            batch_times.append(time.perf_counter() - start)
            assert result["status"] == "succeeded", result
            phases.append(result["phases"])
            start = time.perf_counter()
            run_script(root, script)
            script_times.append(time.perf_counter() - start)
    batch_s, script_s = statistics.median(batch_times), statistics.median(script_times)
    return {
        "baseline": "same notebook code as a plain Python script (fresh process)",
        "batch_seconds_median": round(batch_s, 2),
        "script_seconds_median": round(script_s, 2),
        "ratio": round(batch_s / script_s, 2),
        "repeats": repeats,
        "job_phases_median": _median_phases(phases),
    }


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished descendants (workers and their kernels)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def speedup(root: Path, repeats: int) -> dict:
    """8 reports on 2 workers against 1, every job forced, each configuration run ``repeats``
    times in turn (medians; single runs on 2 shared cores vary by 20%).

    The speed-up is T(1 core) / T(2 cores): the default batch confined to one core (CPU
    affinity, inherited by workers and kernels; the batch then runs 1 worker) against the
    default batch confined to two cores (2 workers). Also reported: ``--workers 1`` with both
    cores allowed, where the one worker's pre-started kernels, its messaging and the audit use
    part of the second core; and one core without pre-starting."""
    reports = [
        {
            "name": f"survey_{n.lower().replace(' ', '_')}_{'w' if w else 'u'}",
            "notebook": str(root / NOTEBOOK),
            "parameters": {"nation": n, "weighting": w},
        }
        for n in NATIONS
        for w in (False, True)
    ]
    # label: (cores allowed, --workers (None: the default, one per core), pre-start kernels)
    runs = {
        "one_core": (1, None, True),
        "two_cores": (2, None, True),
        "one_worker_two_cores": (2, 1, True),
        "one_core_no_prestart": (1, None, False),
    }
    times, cpu, settings = {}, {}, {}
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), reports)
        for _ in range(repeats):
            for label, (cores, workers, prestart) in runs.items():
                with on_cores(cores):
                    settings[label] = {
                        "cores": available_cores(),
                        "workers": workers or available_cores(),
                        "prestart": prestart,
                    }
                    start, cpu_start = time.perf_counter(), _cpu_seconds()
                    outcome = run_batch(
                        config,
                        Path(folder) / label,
                        show_progress=False,
                        workers=workers,
                        force=True,
                        prestart=prestart,
                    )
                    times.setdefault(label, []).append(time.perf_counter() - start)
                    cpu.setdefault(label, []).append(_cpu_seconds() - cpu_start)
                assert outcome.succeeded
    runs_seconds = {label: [round(t, 2) for t in ts] for label, ts in times.items()}
    times = {label: statistics.median(ts) for label, ts in times.items()}
    cpu = {label: statistics.median(ts) for label, ts in cpu.items()}
    return {
        "baseline": "the same 8 reports on 1 core (1 worker)",
        "reports": len(reports),
        "settings": settings,
        **{f"{label}_seconds": round(t, 2) for label, t in times.items()},
        "repeats": repeats,
        "runs_seconds": runs_seconds,
        "speedup": round(times["one_core"] / times["two_cores"], 2),
        "goal": ">= 1.7",
        "speedup_over_one_worker_on_two_cores": round(times["one_worker_two_cores"] / times["two_cores"], 2),
        "prestart_gain_on_one_core": round(times["one_core_no_prestart"] / times["one_core"], 2),
        "machine_cores": os.cpu_count(),
        "cpu_seconds": {label: round(t, 1) for label, t in cpu.items()},
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "note": "CPU seconds: this process, its workers and their kernels. One worker allowed both cores "
        "uses part of the second (its next kernel boots there, its own messaging and the audit "
        "run beside the kernel), so the speed-up over it is smaller than over one core",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/batch.json"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = project_root()
    result = {
        "per_report_overhead": overhead(root, args.repeats, 1, annual_reports(root)),
        "per_report_overhead_lightest_report": overhead(root, args.repeats, 1, survey_reports(root)),
        "per_report_overhead_lightest_report_two_cores": overhead(root, args.repeats, 2, survey_reports(root)),
        "cold_single_report": cold_single_report(root, args.repeats),
        "parallel": speedup(root, args.repeats),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
