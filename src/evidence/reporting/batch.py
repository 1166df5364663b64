"""The report batch: ``evidence run config/annual_report.yml``.

Every report is one job: a notebook and its parameters. Parameters are checked against the
notebook's ``parameters`` cell before anything runs; each job runs through papermill, then is
rendered to offline HTML. A failed job is recorded with its failing cell and error, its stale
outputs are removed, and the other jobs carry on; the index lists every job's status.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from evidence import provenance
from evidence.errors import ConfigError
from evidence.files import staged, write_text_atomic
from evidence.paths import display_path, project_root, resolve
from evidence.reporting.parameters import read_parameters, validate_parameters
from evidence.reporting.render import ReportContext, declared_inputs, render_html, render_index

CONFIG_KEYS = {"year", "title", "kernel", "reports"}
JOB_KEYS = {"name", "title", "notebook", "parameters"}
RESULTS_PARAMETER = "results_path"


@dataclass(frozen=True)
class Job:
    name: str
    title: str
    notebook: Path
    parameters: dict[str, Any]


@dataclass
class BatchConfig:
    path: Path
    year: int
    title: str
    kernel: str
    jobs: list[Job]


@dataclass
class JobResult:
    job: Job
    status: str
    seconds: float
    error: str = ""
    synthetic: bool = False
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class BatchOutcome:
    results: list[JobResult]
    index: Path

    @property
    def succeeded(self) -> bool:
        return all(r.status == "succeeded" for r in self.results)


def load_config(path: str | Path) -> BatchConfig:
    """Read and check a batch config; every report's parameters are validated here."""
    path = resolve(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: expected a mapping with keys {sorted(CONFIG_KEYS)}")
    unknown = set(config) - CONFIG_KEYS
    missing = {"year", "title", "reports"} - set(config)
    if unknown or missing:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    if not isinstance(config["year"], int) or isinstance(config["year"], bool):
        raise ConfigError(f"{path}: year must be a whole number, got {config['year']!r}")
    jobs: list[Job] = []
    for number, entry in enumerate(config["reports"] or [], start=1):
        where = f"{path}, report {number}"
        if not isinstance(entry, dict) or set(entry) - JOB_KEYS or not {"name", "notebook"} <= set(entry):
            raise ConfigError(f"{where}: needs keys name and notebook (optional: title, parameters)")
        notebook = resolve(entry["notebook"])
        if not notebook.is_file():
            raise ConfigError(f"{where}: notebook {entry['notebook']} does not exist")
        parameters = entry.get("parameters") or {}
        if RESULTS_PARAMETER in parameters:
            raise ConfigError(f"{where}: {RESULTS_PARAMETER} is set by the batch, not the config")
        validate_parameters(notebook, parameters, f"{where} ({entry['name']})")
        jobs.append(Job(entry["name"], entry.get("title", entry["name"]), notebook, parameters))
    names = [j.name for j in jobs]
    if not jobs or len(set(names)) != len(names):
        raise ConfigError(f"{path}: report names must be present and unique, got {names}")
    return BatchConfig(path, config["year"], config["title"], config.get("kernel", "evidence"), jobs)


def _run_job(job: Job, config: BatchConfig, out: Path) -> JobResult:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    html_path, json_path = out / f"{job.name}.html", out / f"{job.name}.json"
    executed_path = out / "notebooks" / f"{job.name}.ipynb"
    declared = read_parameters(job.notebook)
    parameters = dict(job.parameters)
    if RESULTS_PARAMETER in declared:
        parameters[RESULTS_PARAMETER] = str(json_path)
    for stale in (html_path, json_path):
        stale.unlink(missing_ok=True)
    try:
        with staged(executed_path) as temp:
            papermill.execute_notebook(
                str(job.notebook), str(temp), parameters=parameters, kernel_name=config.kernel,
                cwd=str(project_root()), progress_bar=False, log_output=False,
            )
            executed = nbformat.read(temp, as_version=4)
        context = ReportContext(title=job.title, series=config.title, year=config.year,
                                notebook=display_path(job.notebook),
                                parameters={**{n: p.default for n, p in declared.items()
                                               if n != RESULTS_PARAMETER}, **job.parameters})
        write_text_atomic(html_path, render_html(executed, context))
    except PapermillExecutionError as error:
        json_path.unlink(missing_ok=True)
        source = error.source.strip().splitlines()
        snippet = "\n".join(source[:6]) + ("\n..." if len(source) > 6 else "")
        return JobResult(job, "failed", time.perf_counter() - started,
                         f"cell {error.cell_index} (execution count {error.exec_count}):\n{snippet}\n"
                         f"{error.ename}: {error.evalue}")
    except Exception as error:  # kernel start-up, rendering: the job fails, the batch goes on
        json_path.unlink(missing_ok=True)
        return JobResult(job, "failed", time.perf_counter() - started,
                         f"{type(error).__name__}: {error}")
    files = {"html": html_path.name, "notebook": f"notebooks/{executed_path.name}"}
    if json_path.exists():
        files["results"] = json_path.name
    return JobResult(job, "succeeded", time.perf_counter() - started,
                     synthetic=any(i.get("synthetic") for i in declared_inputs(executed)), files=files)


def run_batch(config_path: str | Path, out: str | Path | None = None, show_progress: bool = True) -> BatchOutcome:
    """Run every report in the config; write the reports, ``index.html`` and ``run.json``."""
    from tqdm import tqdm

    config = load_config(config_path)
    out_dir = resolve(out) if out else project_root() / "reports" / str(config.year)
    results: list[JobResult] = []
    bar = tqdm(config.jobs, desc="reports", unit="report", disable=not show_progress)
    for job in bar:
        bar.set_postfix_str(job.name)
        results.append(_run_job(job, config, out_dir))
    entries = [{"name": r.job.name, "title": r.job.title, "status": r.status,
                "seconds": round(r.seconds, 2), "parameters": r.job.parameters,
                "notebook": display_path(r.job.notebook),
                "error": r.error, "synthetic": r.synthetic,
                "html": r.files.get("html"), "results": r.files.get("results")}
               for r in results]
    write_text_atomic(out_dir / "run.json", json.dumps(
        {"config": display_path(config.path), "year": config.year, "created_utc": provenance.utc_now(),
         "git_revision": provenance.git_revision(), "jobs": entries}, indent=2) + "\n")
    index = out_dir / "index.html"
    write_text_atomic(index, render_index(config.title, config.year, entries))
    for entry in entries:
        state = "ok    " if entry["status"] == "succeeded" else "FAILED"
        print(f"{state} {entry['name']} ({entry['seconds']:.1f} s)"
              + (f"\n       {entry['error'].splitlines()[-1]}" if entry["error"] else ""))
    print(f"index: {index}")
    return BatchOutcome(results, index)
