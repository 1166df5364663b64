"""The report batch: ``evidence run config/annual_report.yml``.

Every report is one job: a notebook and its parameters. Parameters are checked against the
notebook's ``parameters`` cell before anything runs. Jobs run in parallel on long-lived worker
processes (``--workers``, default the number of cores; a worker imports papermill, nbconvert and
the report template once), each job in a fresh kernel of its own, through papermill, then are
rendered to offline HTML; on a dask.distributed cluster (``--scheduler``; a filesystem shared
with the workers is assumed) each job runs in a fresh worker process. A kernel that fails to
start (papermill's known "address already in use" and start-up timeout races under parallel
runs) is retried; a job that runs past its timeout is killed, with its worker and kernels. A
failed job is recorded with its failing cell and error, its stale outputs are removed, and the
other jobs carry on; the index lists every job's status.

Runs are incremental: a job whose notebook, parameters, inputs, configuration and package code
are unchanged since its last success is skipped (``--force`` runs everything), and the run log
says why each job ran or was skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence import provenance
from evidence.errors import ConfigError
from evidence.files import read_yaml_mapping, sha256_file, sha256_text, staged, write_text_atomic
from evidence.paths import display_path, project_root, resolve
from evidence.reporting.frontpage import write_year_pages
from evidence.reporting.parameters import read_parameters, validate_parameters
from evidence.reporting.render import ReportContext, declared_inputs, render_html

if TYPE_CHECKING:
    from evidence.reporting.kernels import KernelSource

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
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent in each phase of the job


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
    config = read_yaml_mapping(path, CONFIG_KEYS, missing="no such config file")
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
KERNEL_START_TIMEOUT = 60  # seconds; papermill's default start timeout


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


def execute_job(spec: dict[str, Any], kernels: KernelSource | None = None) -> dict[str, Any]:
    """Run one job in this process: papermill on a fresh kernel, then render. Retries a kernel
    that fails to start; a failing cell is reported, never retried. ``kernels`` is the worker's
    :class:`~evidence.reporting.kernels.KernelSource` (one is made, and closed, if not given);
    with ``spec["prestart"]`` the next job's kernel is started while this one runs. Returns a
    result dict, with the seconds spent in each phase."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from evidence.reporting.kernels import KernelSource, register_engine, wait_until_ready

    started = time.perf_counter()
    own_kernels = kernels is None
    kernels = kernels or KernelSource()
    engine = register_engine()
    phases: dict[str, float] = {}
    out, notebook = Path(spec["out"]), Path(spec["notebook"])
    html_path, json_path = out / f"{spec['name']}.html", out / f"{spec['name']}.json"
    executed_path = out / "notebooks" / f"{spec['name']}.ipynb"
    parameters = dict(spec["parameters"])
    if RESULTS_PARAMETER in read_parameters(notebook):
        parameters[RESULTS_PARAMETER] = str(json_path)
    for stale in (html_path, json_path):
        stale.unlink(missing_ok=True)

    def lap(phase: str, since: float) -> float:
        now = time.perf_counter()
        phases[phase] = round(phases.get(phase, 0.0) + now - since, 3)
        return now

    def failed(message: str, attempts: int) -> dict[str, Any]:
        json_path.unlink(missing_ok=True)
        if own_kernels:
            kernels.close()
        return {"status": "failed", "seconds": time.perf_counter() - started, "error": message,
                "attempts": attempts, "phases": phases}

    attempt = 0
    while True:
        attempt += 1
        km = None
        mark = time.perf_counter()
        try:
            km = kernels.take(spec["kernel"], spec["root"])
            wait_until_ready(km, timeout=KERNEL_START_TIMEOUT)
            if spec.get("prestart"):  # boots while this job runs (not while this job's kernel boots)
                kernels.prestart(spec["kernel"], spec["root"])
            mark = lap("kernel_start", mark)
            with staged(executed_path) as temp:
                papermill.execute_notebook(
                    str(notebook), str(temp), parameters=parameters, kernel_name=spec["kernel"],
                    cwd=spec["root"], progress_bar=False, log_output=False, start_timeout=KERNEL_START_TIMEOUT,
                    request_save_on_cell_execute=False, engine_name=engine, km=km,
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
        finally:
            if km is not None:
                kernels.stop(km)
            lap("execute", mark)
    if own_kernels:
        kernels.close()
    mark = time.perf_counter()
    try:
        context = ReportContext(title=spec["title"], series=spec["series"], year=spec["year"],
                                notebook=display_path(notebook), parameters=spec["effective_parameters"])
        write_text_atomic(html_path, render_html(executed, context))
    except Exception as error:  # a rendering failure fails this job only
        return failed(f"rendering: {type(error).__name__}: {error}", attempt)
    lap("render", mark)
    files = {"html": html_path.name, "notebook": f"notebooks/{executed_path.name}"}
    if json_path.exists():
        files["results"] = json_path.name
    return {"status": "succeeded", "seconds": time.perf_counter() - started, "error": "", "attempts": attempt,
            "synthetic": any(i.get("synthetic") for i in declared_inputs(executed)), "files": files,
            "phases": phases}


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_worker(process: subprocess.Popen, kernel_pids: Path) -> None:
    """Kill a worker's process group and its kernels (each kernel runs in a session of its own)."""
    _kill_group(process.pid)
    if kernel_pids.is_file():
        for pid in kernel_pids.read_text().split():
            _kill_group(int(pid))
    process.wait()


def _timed_out(spec: dict[str, Any], started: float) -> dict[str, Any]:
    return {"status": "failed", "seconds": time.perf_counter() - started, "attempts": 1,
            "error": f"timed out after {spec['timeout']:.0f} s; the job was stopped"}


def _died(code: int | None, stderr: str, started: float) -> dict[str, Any]:
    tail = "\n".join(stderr.strip().splitlines()[-5:])
    return {"status": "failed", "seconds": time.perf_counter() - started, "attempts": 1,
            "error": f"worker exited with code {code} without a result:\n{tail}"}


def execute_job_isolated(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`execute_job` in a fresh Python process (its own kernel and memory), killing
    it and its kernel after ``spec["timeout"]`` seconds. Used by dask workers."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="evidence-job-") as folder:
        spec_path, result_path = Path(folder) / "spec.json", Path(folder) / "result.json"
        kernel_pids = Path(folder) / "kernel_pids"
        spec_path.write_text(json.dumps({**spec, "result_path": str(result_path), "kernel_pids": str(kernel_pids)}))
        process = subprocess.Popen([sys.executable, "-m", "evidence.reporting.worker", str(spec_path)],
                                   cwd=spec["root"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True, text=True)
        try:
            _, stderr = process.communicate(timeout=spec["timeout"])
        except subprocess.TimeoutExpired:
            _kill_worker(process, kernel_pids)
            process.communicate()
            return _timed_out(spec, started)
        if result_path.is_file():
            return json.loads(result_path.read_text())
        return _died(process.returncode, stderr, started)


class Worker:
    """A long-lived worker process (``python -m evidence.reporting.worker --serve``) that runs
    jobs one at a time, each in a fresh kernel. A job that times out kills the worker and its
    kernels; a worker that dies fails its current job only. Either way the next job gets a new
    worker."""

    def __init__(self, root: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="evidence-worker-"))
        self.kernel_pids = self.folder / "kernel_pids"
        self.stderr = (self.folder / "stderr.log").open("w+")
        self.process = subprocess.Popen([sys.executable, "-m", "evidence.reporting.worker", "--serve"], cwd=root,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                        start_new_session=True, text=True, bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.killed = False
        self.jobs = 0  # jobs sent to this worker
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        self.jobs += 1
        try:
            self.process.stdin.write(json.dumps({**spec, "kernel_pids": str(self.kernel_pids)}) + "\n")
            self.process.stdin.flush()
            line = self.lines.get(timeout=spec["timeout"])
        except queue.Empty:
            self.kill()
            return _timed_out(spec, started)
        except (BrokenPipeError, OSError):
            line = None
        if line is None:
            self.kill()
            self.stderr.seek(0)
            return _died(self.process.returncode, self.stderr.read(), started)
        return json.loads(line)

    def kill(self) -> None:
        if not self.killed:
            self.killed = True
            _kill_worker(self.process, self.kernel_pids)

    def close(self) -> None:
        """Ask the worker to finish (it stops its kernels), killing it if it does not."""
        if self.alive:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.alive or (self.kernel_pids.is_file() and self.kernel_pids.read_text().strip()):
            self.kill()
        self.stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity (``taskset``, a container's cpuset)
    where the system reports one, else every core of the machine."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this system (macOS, Windows)
        return os.cpu_count() or 1


#: A worker is replaced after this many jobs, so that what a long batch leaves behind in it
#: (caches, fragmented memory) stays bounded; its start-up is then paid once per this many jobs.
JOBS_PER_WORKER = 50


class WorkerPool:
    """``size`` pool slots, each with one long-lived :class:`Worker` (started when the slot
    takes its first job, replaced after ``jobs_per_worker`` jobs). ``prestart``: each worker
    starts the next job's kernel while the current one runs (when jobs remain to be taken)."""

    def __init__(self, size: int, prestart: bool, jobs_per_worker: int = JOBS_PER_WORKER) -> None:
        self.threads = ThreadPoolExecutor(max_workers=size)
        self.prestart = prestart
        self.jobs_per_worker = jobs_per_worker
        self.local = threading.local()
        self.workers: list[Worker] = []
        self.lock = threading.Lock()
        self.waiting = 0

    def submit_all(self, specs: list[dict[str, Any]]) -> list:
        with self.lock:
            self.waiting += len(specs)
        return [self.threads.submit(self._run, spec) for spec in specs]

    def _run(self, spec: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.waiting -= 1
            more = self.waiting > 0
        worker = getattr(self.local, "worker", None)
        if worker is not None and worker.jobs >= self.jobs_per_worker:
            worker.close()
        if worker is None or not worker.alive:
            worker = self.local.worker = Worker(spec["root"])
            with self.lock:
                self.workers.append(worker)
        more = more and worker.jobs + 1 < self.jobs_per_worker  # a kernel for a job this worker will run
        result = worker.run({**spec, "prestart": self.prestart and more})
        with self.lock:
            taken = self.waiting == 0
        if taken:  # every job is taken: this slot's worker exits now, while the others finish
            worker.close()
        return result

    def shutdown(self) -> None:
        self.threads.shutdown()
        for worker in self.workers:
            worker.close()


def _yield_cpu_to_jobs() -> None:
    """Lower the calling thread's CPU priority to the lowest (Linux ``nice`` 19 applies per
    thread), so that work done beside the jobs takes only CPU time they leave idle. Elsewhere,
    or if refused, the thread keeps its priority."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class ProcessedAudit(threading.Thread):
    """The audit's scan of the processed data, in a thread while the jobs run (it does not
    depend on them). :meth:`findings` then scans the processed data and the outputs: files
    found clean and unchanged since (the thread's, and earlier runs', remembered in
    ``.state``) are not read again, so a change to the processed data meanwhile is still seen."""

    def __init__(self, processed: Path, out_dir: Path) -> None:
        super().__init__(daemon=True)
        self.processed = processed
        self.error: BaseException | None = None
        self.memory = out_dir / ".state" / "audit_clean_files.json"
        self.clean_files = json.loads(self.memory.read_text(encoding="utf-8")) if self.memory.is_file() else {}

    def run(self) -> None:
        from evidence import audit

        _yield_cpu_to_jobs()
        try:
            audit.scan([self.processed], audit.raw_identifier_values(self.processed), self.clean_files)
        except BaseException as error:  # raised again by findings(), in the batch's thread
            self.error = error

    def findings(self, out_dir: Path) -> list:
        """Every finding in the processed data and ``out_dir`` (see :func:`audit.scan`)."""
        from evidence import audit

        if self.error is not None:
            raise self.error
        found = audit.scan([self.processed, out_dir], audit.raw_identifier_values(self.processed), self.clean_files)
        write_text_atomic(self.memory, json.dumps(self.clean_files, indent=1, sort_keys=True))
        return found


def run_batch(config_path: str | Path, out: str | Path | None = None, show_progress: bool = True,
              workers: int | None = None, force: bool = False, scheduler: str | None = None,
              timeout: float = DEFAULT_TIMEOUT_SECONDS, retries: int = KERNEL_START_RETRIES,
              prestart: bool = True, pdf: bool = False) -> BatchOutcome:
    """Run the reports in the config that need running; write the reports, ``index.html`` and
    ``run.json`` (the run log). ``workers`` defaults to :func:`available_cores`; with
    ``prestart`` each worker starts the next report's kernel while the current report runs; with
    ``pdf`` the year's reports are also printed as one PDF, ``annual_report.pdf``."""
    from tqdm import tqdm

    started = time.perf_counter()
    config = load_config(config_path)
    out_dir = resolve(out) if out else project_root() / "reports" / str(config.year)
    workers = workers or available_cores()
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

    processed = project_root() / "data" / "processed"
    processed_audit = ProcessedAudit(processed, out_dir)
    processed_audit.start()  # reads and scans the processed data while the jobs run
    bar = tqdm(total=len(pending), desc="reports", unit="report", disable=not show_progress or not pending)
    if scheduler:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        client = Client(scheduler)
        futures = {client.submit(execute_job_isolated, spec, pure=False, key=f"report-{job.name}-{time.time_ns()}"):
                   (job, reason, fingerprint) for job, reason, fingerprint, spec in pending}
        completed = ((futures[f], f.result()) for f in dask_completed(futures))
    else:
        pool = WorkerPool(workers, prestart=prestart)
        submitted = pool.submit_all([spec for *_, spec in pending])
        futures = {future: (job, reason, fingerprint)
                   for future, (job, reason, fingerprint, _) in zip(submitted, pending, strict=True)}
        completed = ((futures[f], f.result()) for f in as_completed(futures))
    for (job, reason, fingerprint), outcome in completed:
        result = JobResult(job, outcome["status"], outcome["seconds"], reason=reason, error=outcome.get("error", ""),
                           synthetic=outcome.get("synthetic", False), attempts=outcome.get("attempts", 1),
                           files=outcome.get("files", {}), phases=outcome.get("phases", {}))
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

    processed_audit.join()
    leaks = [str(f) for f in processed_audit.findings(out_dir)]
    ordered = [results[job.name] for job in config.jobs]
    entries = [{"name": r.job.name, "title": r.job.title, "status": r.status, "reason": r.reason,
                "seconds": round(r.seconds, 2), "attempts": r.attempts, "parameters": r.job.parameters,
                "notebook": display_path(r.job.notebook), "error": r.error, "synthetic": r.synthetic,
                "html": r.files.get("html"), "results": r.files.get("results"), "phases": r.phases}
               for r in ordered]
    run = {"config": display_path(config.path), "year": config.year, "created_utc": provenance.utc_now(),
           "git_revision": provenance.git_revision(), "workers": workers, "scheduler": scheduler,
           "seconds": round(time.perf_counter() - started, 2),
           "audit": {"scanned": [display_path(processed), display_path(out_dir)], "findings": leaks},
           "jobs": entries}
    write_text_atomic(out_dir / "run.json", json.dumps(run, indent=2) + "\n")
    index = write_year_pages(out_dir, config.title, run, pdf=pdf)  # index.html, run.html, annual_report.html
    if pdf:
        from evidence.reporting.pdf import print_pdf

        print(f"pdf: {print_pdf(out_dir / 'annual_report.html', out_dir / 'annual_report.pdf')}")
    labels = {"succeeded": "ok     ", "skipped": "skipped", "failed": "FAILED "}
    for entry in entries:
        print(f"{labels[entry['status']]} {entry['name']} ({entry['seconds']:.1f} s): {entry['reason']}"
              + (f"\n        {entry['error'].splitlines()[-1]}" if entry["error"] else ""))
    print(f"index: {index}")
    if leaks:
        print(f"AUDIT FAILED: {len(leaks)} possible identifier(s) in outputs:\n  - " + "\n  - ".join(leaks[:25]))
    return BatchOutcome(ordered, index, time.perf_counter() - started, leaks)
