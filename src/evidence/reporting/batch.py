"""The report batch: ``evidence run config/annual_report.yml``.

Every report is one job: a notebook and its parameters. Parameters are checked against the
notebook's ``parameters`` cell before anything runs. Jobs run in parallel, each in its own
worker process (``--workers``, default the number of cores) or on a dask.distributed cluster
(``--scheduler``; a filesystem shared with the workers is assumed), through papermill, then are
rendered to offline HTML. A kernel that fails to start (papermill's known "address already in
use" and start-up timeout races under parallel runs) is retried; a job that runs past its
timeout is killed. A failed job is recorded with its failing cell and error, its stale outputs
are removed, and the other jobs carry on; the index lists every job's status.

Runs are incremental: a job whose notebook, parameters, inputs, configuration and package code
are unchanged since its last success is skipped (``--force`` runs everything), and the run log
says why each job ran or was skipped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evidence import provenance
from evidence.errors import ConfigError
from evidence.files import sha256_file, sha256_text, staged, write_text_atomic
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
    status: str  # succeeded, failed or skipped
    seconds: float
    reason: str = ""
    error: str = ""
    synthetic: bool = False
    attempts: int = 0
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class BatchOutcome:
    results: list[JobResult]
    index: Path
    seconds: float = 0.0
    leaks: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return not self.leaks and all(r.status in ("succeeded", "skipped") for r in self.results)


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


DEFAULT_TIMEOUT_SECONDS = 1800
KERNEL_START_RETRIES = 2
KERNEL_START_ERRORS = ("address already in use", "kernel didn't respond", "kernel died before replying",
                       "timeout waiting for kernel", "kernel_info_reply", "zmqerror")
STATE_FOLDER = ".state"


def _tree_digest(paths: list[Path], root: Path) -> str:
    """One hash over files (names relative to ``root`` and contents), order independent."""
    lines = sorted(f"{p.relative_to(root) if p.is_relative_to(root) else p}:{sha256_file(p)}"
                   for p in paths if p.is_file())
    return sha256_text("\n".join(lines))


def package_code_digest() -> str:
    """A hash of the installed evidence package's source, data and templates."""
    package = Path(__file__).resolve().parents[1]
    files = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return _tree_digest(files, package)


def effective_parameters(job: Job) -> dict[str, Any]:
    """The notebook's defaults overlaid with the job's parameters (the results path excluded)."""
    declared = read_parameters(job.notebook)
    return {**{n: p.default for n, p in declared.items() if n != RESULTS_PARAMETER}, **job.parameters}


def job_fingerprint(job: Job, config: BatchConfig) -> dict[str, str]:
    """What a job's output depends on, as hashes: the notebook, its effective parameters, the
    files and folders its parameters name, configuration and published figures, the package
    code and the kernel."""
    root = project_root()
    parameters = effective_parameters(job)
    named: list[Path] = []
    for value in parameters.values():
        if isinstance(value, str) and value and len(value) < 500:
            path = resolve(value)
            if path.is_file():
                named.append(path)
            elif path.is_dir():
                named.extend(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    config_files = [p for p in (root / "config").rglob("*") if p.is_file() and p.resolve() != config.path.resolve()]
    published = list((root / "data" / "raw" / "published").glob("*"))
    return {
        "notebook": sha256_file(job.notebook),
        "parameters": sha256_text(json.dumps(parameters, sort_keys=True, default=str)),
        "inputs": _tree_digest(named, root),
        "configuration": _tree_digest(config_files + published, root),
        "code": package_code_digest(),
        "kernel": sha256_text(config.kernel),
    }


def _state_path(out: Path, job: Job) -> Path:
    return out / STATE_FOLDER / f"{job.name}.json"


def why_run(job: Job, config: BatchConfig, out: Path, force: bool) -> tuple[str | None, dict, dict | None]:
    """(reason to run, or None to skip; the current fingerprint; the last success's state)."""
    fingerprint = job_fingerprint(job, config)
    state_path = _state_path(out, job)
    state = json.loads(state_path.read_text()) if state_path.is_file() else None
    if force:
        return "forced (--force)", fingerprint, state
    if state is None:
        return "no earlier success recorded", fingerprint, state
    missing = [f for f in state["files"].values() if not (out / f).is_file()]
    if missing:
        return f"output missing ({', '.join(missing)})", fingerprint, state
    changed = [k for k, v in fingerprint.items() if state["fingerprint"].get(k) != v]
    if changed:
        return f"changed since the last success: {', '.join(changed)}", fingerprint, state
    return None, fingerprint, state


def job_spec(job: Job, config: BatchConfig, out: Path, timeout: float, retries: int) -> dict[str, Any]:
    """Everything a worker needs to run one job, as JSON-serialisable data."""
    return {"name": job.name, "title": job.title, "notebook": str(job.notebook), "parameters": job.parameters,
            "effective_parameters": effective_parameters(job), "kernel": config.kernel,
            "series": config.title, "year": config.year, "out": str(out), "root": str(project_root()),
            "timeout": timeout, "retries": retries}


def _is_kernel_start_error(error: BaseException) -> bool:
    text = f"{type(error).__name__}: {error}".casefold()
    return any(marker in text for marker in KERNEL_START_ERRORS)


def execute_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one job in this process: papermill, then render. Retries a kernel that fails to
    start; a failing cell is reported, never retried. Returns a result dict."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    out, notebook = Path(spec["out"]), Path(spec["notebook"])
    html_path, json_path = out / f"{spec['name']}.html", out / f"{spec['name']}.json"
    executed_path = out / "notebooks" / f"{spec['name']}.ipynb"
    parameters = dict(spec["parameters"])
    if RESULTS_PARAMETER in read_parameters(notebook):
        parameters[RESULTS_PARAMETER] = str(json_path)
    for stale in (html_path, json_path):
        stale.unlink(missing_ok=True)

    def failed(message: str, attempts: int) -> dict[str, Any]:
        json_path.unlink(missing_ok=True)
        return {"status": "failed", "seconds": time.perf_counter() - started, "error": message,
                "attempts": attempts}

    attempt = 0
    while True:
        attempt += 1
        try:
            with staged(executed_path) as temp:
                papermill.execute_notebook(
                    str(notebook), str(temp), parameters=parameters, kernel_name=spec["kernel"],
                    cwd=spec["root"], progress_bar=False, log_output=False, start_timeout=120,
                )
                executed = nbformat.read(temp, as_version=4)
            break
        except PapermillExecutionError as error:
            source = error.source.strip().splitlines()
            snippet = "\n".join(source[:6]) + ("\n..." if len(source) > 6 else "")
            return failed(f"cell {error.cell_index} (execution count {error.exec_count}):\n{snippet}\n"
                          f"{error.ename}: {error.evalue}", attempt)
        except Exception as error:  # kernel start-up and the like: retried, then the job fails
            if _is_kernel_start_error(error) and attempt <= spec["retries"]:
                time.sleep(1.5 * attempt)
                continue
            return failed(f"{type(error).__name__}: {error}", attempt)
    try:
        context = ReportContext(title=spec["title"], series=spec["series"], year=spec["year"],
                                notebook=display_path(notebook), parameters=spec["effective_parameters"])
        write_text_atomic(html_path, render_html(executed, context))
    except Exception as error:  # a rendering failure fails this job only
        return failed(f"rendering: {type(error).__name__}: {error}", attempt)
    files = {"html": html_path.name, "notebook": f"notebooks/{executed_path.name}"}
    if json_path.exists():
        files["results"] = json_path.name
    return {"status": "succeeded", "seconds": time.perf_counter() - started, "error": "", "attempts": attempt,
            "synthetic": any(i.get("synthetic") for i in declared_inputs(executed)), "files": files}


def execute_job_isolated(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`execute_job` in a fresh Python process (its own kernel and memory), killing
    it and its kernel after ``spec["timeout"]`` seconds. Used by local and dask workers."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="evidence-job-") as folder:
        spec_path, result_path = Path(folder) / "spec.json", Path(folder) / "result.json"
        spec_path.write_text(json.dumps({**spec, "result_path": str(result_path)}))
        process = subprocess.Popen([sys.executable, "-m", "evidence.reporting.worker", str(spec_path)],
                                   cwd=spec["root"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True, text=True)
        try:
            _, stderr = process.communicate(timeout=spec["timeout"])
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return {"status": "failed", "seconds": time.perf_counter() - started, "attempts": 1,
                    "error": f"timed out after {spec['timeout']:.0f} s; the job was stopped"}
        if result_path.is_file():
            return json.loads(result_path.read_text())
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        return {"status": "failed", "seconds": time.perf_counter() - started, "attempts": 1,
                "error": f"worker exited with code {process.returncode} without a result:\n{tail}"}


def run_batch(config_path: str | Path, out: str | Path | None = None, show_progress: bool = True,
              workers: int | None = None, force: bool = False, scheduler: str | None = None,
              timeout: float = DEFAULT_TIMEOUT_SECONDS, retries: int = KERNEL_START_RETRIES) -> BatchOutcome:
    """Run the reports in the config that need running; write the reports, ``index.html`` and
    ``run.json`` (the run log)."""
    from tqdm import tqdm

    started = time.perf_counter()
    config = load_config(config_path)
    out_dir = resolve(out) if out else project_root() / "reports" / str(config.year)
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    results: dict[str, JobResult] = {}
    pending: list[tuple[Job, str, dict, dict]] = []
    for job in config.jobs:
        reason, fingerprint, state = why_run(job, config, out_dir, force)
        if reason is None:
            results[job.name] = JobResult(job, "skipped", 0.0, reason=f"unchanged since {state['succeeded_utc']}",
                                          synthetic=state.get("synthetic", False), files=state["files"])
        else:
            pending.append((job, reason, fingerprint, job_spec(job, config, out_dir, timeout, retries)))

    bar = tqdm(total=len(pending), desc="reports", unit="report", disable=not show_progress or not pending)
    if scheduler:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        client = Client(scheduler)
        futures = {client.submit(execute_job_isolated, spec, pure=False, key=f"report-{job.name}-{time.time_ns()}"):
                   (job, reason, fingerprint) for job, reason, fingerprint, spec in pending}
        completed = ((futures[f], f.result()) for f in dask_completed(futures))
    else:
        pool = ThreadPoolExecutor(max_workers=workers)
        futures = {pool.submit(execute_job_isolated, spec): (job, reason, fingerprint)
                   for job, reason, fingerprint, spec in pending}
        completed = ((futures[f], f.result()) for f in as_completed(futures))
    for (job, reason, fingerprint), outcome in completed:
        result = JobResult(job, outcome["status"], outcome["seconds"], reason=reason, error=outcome.get("error", ""),
                           synthetic=outcome.get("synthetic", False), attempts=outcome.get("attempts", 1),
                           files=outcome.get("files", {}))
        results[job.name] = result
        state_path = _state_path(out_dir, job)
        if result.status == "succeeded":
            write_text_atomic(state_path, json.dumps(
                {"fingerprint": fingerprint, "succeeded_utc": provenance.utc_now(), "seconds": result.seconds,
                 "synthetic": result.synthetic, "files": result.files}, indent=2))
        else:
            state_path.unlink(missing_ok=True)
        bar.set_postfix_str(job.name)
        bar.update(1)
    bar.close()
    if scheduler:
        client.close()
    else:
        pool.shutdown()

    from evidence import audit

    processed = project_root() / "data" / "processed"
    leaks = [str(f) for f in audit.scan([processed, out_dir], audit.raw_identifier_values(processed))]
    ordered = [results[job.name] for job in config.jobs]
    entries = [{"name": r.job.name, "title": r.job.title, "status": r.status, "reason": r.reason,
                "seconds": round(r.seconds, 2), "attempts": r.attempts, "parameters": r.job.parameters,
                "notebook": display_path(r.job.notebook), "error": r.error, "synthetic": r.synthetic,
                "html": r.files.get("html"), "results": r.files.get("results")}
               for r in ordered]
    write_text_atomic(out_dir / "run.json", json.dumps(
        {"config": display_path(config.path), "year": config.year, "created_utc": provenance.utc_now(),
         "git_revision": provenance.git_revision(), "workers": workers, "scheduler": scheduler,
         "seconds": round(time.perf_counter() - started, 2),
         "audit": {"scanned": [display_path(processed), display_path(out_dir)], "findings": leaks},
         "jobs": entries}, indent=2) + "\n")
    index = out_dir / "index.html"
    write_text_atomic(index, render_index(config.title, config.year, entries))
    labels = {"succeeded": "ok     ", "skipped": "skipped", "failed": "FAILED "}
    for entry in entries:
        print(f"{labels[entry['status']]} {entry['name']} ({entry['seconds']:.1f} s): {entry['reason']}"
              + (f"\n        {entry['error'].splitlines()[-1]}" if entry["error"] else ""))
    print(f"index: {index}")
    if leaks:
        print(f"AUDIT FAILED: {len(leaks)} possible identifier(s) in outputs:\n  - " + "\n  - ".join(leaks[:25]))
    return BatchOutcome(ordered, index, time.perf_counter() - started, leaks)
