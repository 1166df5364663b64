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
other jobs carry on; a job whose worker is lost runs again on a new one. The index and
``run.json`` list every job's status (:mod:`evidence.reporting.runlog`).

The local workers are :mod:`evidence.reporting.pool`, the dask side
:mod:`evidence.reporting.cluster`. Faults leave nothing half-made
(:mod:`evidence.reporting.publish`, :mod:`evidence.reporting.processes`): a job writes only into the run's staging folder, and the
run publishes a finished report by renaming its files into place; every worker, kernel and
job process dies with the process that started it; ``SIGINT``/``SIGTERM`` stop the run within
seconds, killing every child, and the run log says it was interrupted.

Runs are incremental: a job whose notebook, parameters, inputs, configuration and package code
are unchanged since its last success is skipped (``--force`` runs everything), and the run log
says why each job ran or was skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence import provenance
from evidence.errors import ConfigError
from evidence.files import read_yaml_mapping, sha256_file, sha256_text, write_text_atomic
from evidence.paths import display_path, project_root, resolve
from evidence.reporting.cluster import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_WORKER_WAIT,
    JOB_FOLDER_PREFIX,
    DaskRunner,
    connect,
)
from evidence.reporting.parameters import read_parameters, validate_parameters
from evidence.reporting.pool import (
    LOST_WORKER_RETRIES,
    WORKER_FOLDER_PREFIX,
    LocalRunner,
    not_run_result,
)
from evidence.reporting.processes import (
    SOCKETS_FOLDER_PREFIX,
    StopSignals,
    short_scratch_root,
    sweep_orphaned_folders,
)
from evidence.reporting.publish import RunFolder, publish, start_attempt, unpublish
from evidence.reporting.render import ReportContext, declared_inputs, render_html
from evidence.reporting.runlog import write_run_log

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
    """One job in one run (see :mod:`evidence.reporting.runlog` for the statuses)."""

    job: Job
    status: str  # succeeded, skipped, failed, interrupted, not-run (queued while the run goes on)
    seconds: float
    reason: str = ""
    error: str = ""
    synthetic: bool = False
    attempts: int = 0
    files: dict[str, str] = field(default_factory=dict)  # kind -> path under the reports folder
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent in each phase of the job
    tries: list[dict[str, Any]] = field(default_factory=list)  # each attempt: where it ran, how it ended
    report: str = "none"  # what the reports folder holds for it: current, stale or none
    report_made_utc: str | None = None


@dataclass
class BatchOutcome:
    results: list[JobResult]
    index: Path
    seconds: float = 0.0
    leaks: list[str] = field(default_factory=list)
    interrupted_by: int | None = None  # the signal that stopped the run

    @property
    def succeeded(self) -> bool:
        return (not self.leaks and self.interrupted_by is None
                and all(r.status in ("succeeded", "skipped") for r in self.results))

    @property
    def exit_code(self) -> int:
        """0 when every report is current, 1 when one failed (or the audit did), and 128 + the
        signal's number when interrupted (130 for SIGINT, 143 for SIGTERM), as a shell does."""
        if self.interrupted_by is not None:
            return 128 + self.interrupted_by
        return 0 if self.succeeded else 1


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


def job_spec(job: Job, config: BatchConfig, out: Path, timeout: float, retries: int, *,
             staging: Path) -> dict[str, Any]:
    """Everything a worker needs to run one job, as JSON-serialisable data. ``staging`` is the
    run's staging folder (see :mod:`evidence.reporting.publish`): every attempt writes there."""
    return {"name": job.name, "title": job.title, "notebook": str(job.notebook), "parameters": job.parameters,
            "effective_parameters": effective_parameters(job), "kernel": config.kernel,
            "series": config.title, "year": config.year, "out": str(out), "root": str(project_root()),
            "timeout": timeout, "retries": retries, "staging": str(staging)}


def _is_kernel_start_error(error: BaseException) -> bool:
    text = f"{type(error).__name__}: {error}".casefold()
    return any(marker in text for marker in KERNEL_START_ERRORS)


def execute_job(spec: dict[str, Any], kernels: KernelSource | None = None) -> dict[str, Any]:
    """Run one job in this process: papermill on a fresh kernel, then render, every output
    written in the attempt's staging folder (``spec["attempt_folder"]``, made here if not
    given). Retries a kernel that fails to start; a failing cell, or a kernel that dies in a
    cell, is reported, never retried. ``kernels`` is the worker's
    :class:`~evidence.reporting.kernels.KernelSource` (one is made, and closed, if not given);
    with ``spec["prestart"]`` the next job's kernel is started while this one runs. Returns a
    result dict, with the seconds spent in each phase and, on success, the staged files."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from evidence.reporting.kernels import (
        KernelDied,
        KernelSource,
        register_engine,
        wait_until_ready,
    )

    started = time.perf_counter()
    own_kernels = kernels is None
    kernels = kernels or KernelSource()
    engine = register_engine()
    phases: dict[str, float] = {}
    notebook, name = Path(spec["notebook"]), spec["name"]
    folder = Path(spec.get("attempt_folder") or start_attempt(spec, where=f"pid {os.getpid()}"))
    html_path, json_path, executed_path = (folder / f"{name}{suffix}" for suffix in (".html", ".json", ".ipynb"))
    parameters = dict(spec["parameters"])
    if RESULTS_PARAMETER in read_parameters(notebook):
        parameters[RESULTS_PARAMETER] = str(json_path)

    def lap(phase: str, since: float) -> float:
        now = time.perf_counter()
        phases[phase] = round(phases.get(phase, 0.0) + now - since, 3)
        return now

    def failed(message: str, attempts: int) -> dict[str, Any]:
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
            papermill.execute_notebook(
                str(notebook), str(executed_path), parameters=parameters, kernel_name=spec["kernel"],
                cwd=spec["root"], progress_bar=False, log_output=False, start_timeout=KERNEL_START_TIMEOUT,
                request_save_on_cell_execute=False, engine_name=engine, km=km,
            )
            executed = nbformat.read(executed_path, as_version=4)
            break
        except PapermillExecutionError as error:
            source = error.source.strip().splitlines()
            snippet = "\n".join(source[:6]) + ("\n..." if len(source) > 6 else "")
            return failed(f"cell {error.cell_index} (execution count {error.exec_count}):\n{snippet}\n"
                          f"{error.ename}: {error.evalue}", attempt)
        except KernelDied as error:  # the notebook ended its own kernel: running it again would too
            return failed(str(error), attempt)
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
    staged = {"html": html_path.name, "notebook": executed_path.name}
    if json_path.exists():
        staged["results"] = json_path.name
    return {"status": "succeeded", "seconds": time.perf_counter() - started, "error": "", "attempts": attempt,
            "synthetic": any(i.get("synthetic") for i in declared_inputs(executed)), "staged": staged,
            "attempt_folder": str(folder), "phases": phases}


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity (``taskset``, a container's cpuset)
    where the system reports one, else every core of the machine."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on this system (macOS, Windows)
        return os.cpu_count() or 1


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


def _earlier_report(state: dict | None, out_dir: Path) -> dict[str, Any]:
    """What the reports folder holds of a job from its last success, if all of it is there."""
    if state and all((out_dir / f).is_file() for f in state["files"].values()):
        return {"report": "stale", "report_made_utc": state["succeeded_utc"], "files": state["files"],
                "synthetic": state.get("synthetic", False)}
    return {"report": "none"}


def _tries(run: RunFolder, name: str, outcome: dict[str, Any]) -> list[dict[str, Any]]:
    """Every attempt at a job in this run: where it ran, and how it ended (an attempt before
    the last, or one whose worker died, lost its worker)."""
    attempts = run.attempts(name)
    last = next((a for a in attempts if a["folder"] == outcome.get("attempt_folder")), attempts[-1] if attempts else None)
    lost = "lost: its worker died"
    return [{"where": a["where"], "host": a["host"], "started_utc": a["started_utc"],
             "outcome": (lost if outcome.get("lost") else outcome["status"]) if a is last else lost}
            for a in attempts]


def _record(run: RunFolder, job: Job, reason: str, fingerprint: dict, state: dict | None,
            outcome: dict[str, Any]) -> JobResult:
    """A finished job's result: a success is published and remembered; a job that ran and
    failed has its earlier report removed; one that did not run keeps it, marked stale."""
    tries = _tries(run, job.name, outcome)
    final = 1 if outcome.get("lost") else outcome.get("attempts", 1)
    attempts = len(tries) - 1 + final if tries else outcome.get("attempts", 0)
    result = JobResult(job, outcome["status"], outcome["seconds"], reason=reason, error=outcome.get("error", ""),
                       synthetic=outcome.get("synthetic", False), attempts=attempts, tries=tries,
                       phases=outcome.get("phases", {}))
    state_path = _state_path(run.out_dir, job)
    if result.status == "succeeded":
        try:
            result.files = publish(run.out_dir, job.name, Path(outcome["attempt_folder"]), outcome["staged"])
        except OSError as error:
            result.status, result.error = "failed", f"publishing: {type(error).__name__}: {error}"
    if result.status == "succeeded":
        result.report, result.report_made_utc = "current", provenance.utc_now()
        write_text_atomic(state_path, json.dumps(
            {"fingerprint": fingerprint, "succeeded_utc": result.report_made_utc, "run_id": run.run_id,
             "seconds": result.seconds, "synthetic": result.synthetic, "files": result.files}, indent=2))
    elif outcome.get("ran", True):
        unpublish(run.out_dir, job.name)
        state_path.unlink(missing_ok=True)
    else:
        for key, value in _earlier_report(state, run.out_dir).items():
            setattr(result, key, value)
    return result


def run_batch(config_path: str | Path, out: str | Path | None = None, show_progress: bool = True,
              workers: int | None = None, force: bool = False, scheduler: str | None = None,
              timeout: float = DEFAULT_TIMEOUT_SECONDS, retries: int = KERNEL_START_RETRIES,
              prestart: bool = True, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
              worker_wait: float = DEFAULT_WORKER_WAIT,
              lost_worker_retries: int = LOST_WORKER_RETRIES, pdf: bool = False) -> BatchOutcome:
    """Run the reports in the config that need running; write the reports, ``index.html`` and
    ``run.json`` (the run log, see :mod:`evidence.reporting.runlog`). ``workers`` defaults to
    :func:`available_cores`; with ``prestart`` each worker starts the next report's kernel
    while the current report runs. ``SIGINT``/``SIGTERM`` stop the run within seconds: every
    worker and kernel is killed, nothing half-made is published, the run log says the run was
    interrupted (:attr:`BatchOutcome.interrupted_by`). With ``scheduler``, an unreachable
    scheduler is a :class:`BatchError` after ``connect_timeout`` s, and the reports left are
    failed once no worker has been alive for ``worker_wait`` s. With ``pdf`` the year's reports
    are also printed as one PDF, ``annual_report.pdf``."""
    started = time.perf_counter()
    config = load_config(config_path)
    out_dir = resolve(out) if out else project_root() / "reports" / str(config.year)
    workers = workers or available_cores()
    for option, value, least in (("--workers", workers, 1), ("--timeout", timeout, 1e-9),
                                 ("--worker-wait", worker_wait, 0), ("--connect-timeout", connect_timeout, 1e-9)):
        if value < least:
            raise ConfigError(f"{option} must be {'at least 1' if least == 1 else 'positive'}, got {value}")
    with StopSignals() as stop:
        run = RunFolder(out_dir)
        runner: LocalRunner | DaskRunner | None = None
        try:
            if scheduler:
                runner = DaskRunner(connect(scheduler, connect_timeout), worker_wait)
            else:
                runner = LocalRunner(workers, prestart, lost_worker_retries)
            return _run_jobs(config, run, runner, stop, started, force=force, timeout=timeout, retries=retries,
                             scheduler=scheduler, show_progress=show_progress, pdf=pdf)
        finally:
            if runner is not None:
                runner.stop()
                runner.close()
            run.close()
            sweep_orphaned_folders(WORKER_FOLDER_PREFIX)
            sweep_orphaned_folders(JOB_FOLDER_PREFIX)
            sweep_orphaned_folders(SOCKETS_FOLDER_PREFIX, short_scratch_root())


POLL_SECONDS = 0.25  # how often the batch looks for finished jobs, signals and lost workers
#: While jobs run, the run log is rewritten after a job finishes once this many seconds have
#: passed since the last write, and at least this many times the last write's duration (the
#: index of a 200-report batch takes about 0.1 s): at most 5% of the batch's time. It is
#: always written when the run starts and when it ends.
LOG_INTERVAL_SECONDS, LOG_TIME_SHARE = 1.0, 0.05


def _run_jobs(config: BatchConfig, run: RunFolder, runner: LocalRunner | DaskRunner, stop: StopSignals,
              started: float, *, force: bool, timeout: float, retries: int, scheduler: str | None,
              show_progress: bool, pdf: bool = False) -> BatchOutcome:
    from tqdm import tqdm

    out_dir = run.out_dir
    results: dict[str, JobResult] = {}
    pending: dict[str, tuple[Job, str, dict, dict | None]] = {}
    specs: dict[str, dict[str, Any]] = {}
    for job in config.jobs:
        reason, fingerprint, state = why_run(job, config, out_dir, force)
        if reason is None:
            results[job.name] = JobResult(job, "skipped", 0.0, reason=f"unchanged since {state['succeeded_utc']}",
                                          synthetic=state.get("synthetic", False), files=state["files"],
                                          report="current", report_made_utc=state["succeeded_utc"])
        else:
            pending[job.name] = (job, reason, fingerprint, state)
            results[job.name] = JobResult(job, "queued", 0.0, reason=reason, **_earlier_report(state, out_dir))
            specs[job.name] = job_spec(job, config, out_dir, timeout, retries, staging=run.staging)
    info: dict[str, Any] = {
        "run_id": run.run_id, "state": "running", "interrupted": False, "signal": None,
        "created_utc": provenance.utc_now(), "finished_utc": None, "git_revision": provenance.git_revision(),
        "workers": runner.workers, "scheduler": scheduler, "seconds": None, "audit": None}

    last_write = {"at": 0.0, "took": 0.0}

    def write_log(now: bool = True, final: bool = False) -> Path | None:
        since = time.monotonic() - last_write["at"]
        if not now and since < max(LOG_INTERVAL_SECONDS, last_write["took"] / LOG_TIME_SHARE):
            return None
        start = time.monotonic()
        index = write_run_log(out_dir, config, info, [results[job.name] for job in config.jobs],
                              final=final, pdf=pdf)
        last_write.update(at=time.monotonic(), took=time.monotonic() - start)
        return index

    write_log()
    processed = project_root() / "data" / "processed"
    processed_audit = ProcessedAudit(processed, out_dir)
    processed_audit.start()  # reads and scans the processed data while the jobs run
    bar = tqdm(total=len(pending), desc="reports", unit="report", disable=not show_progress or not pending)
    if stop.received is None:  # a signal while connecting or fingerprinting: run nothing
        runner.submit(specs, run.run_id)
    while pending and stop.received is None:
        for name, outcome in runner.poll(POLL_SECONDS):
            job, reason, fingerprint, state = pending.pop(name)
            results[name] = _record(run, job, reason, fingerprint, state, outcome)
            write_log(now=False)
            bar.set_postfix_str(name)
            bar.update(1)
        problem = runner.problem()
        if problem and stop.received is None:
            runner.stop()
            for name, (job, reason, fingerprint, state) in list(pending.items()):
                abandoned = {**not_run_result(problem, time.perf_counter()), "lost": True}  # attempts begun lost their worker
                results[name] = _record(run, job, reason, fingerprint, state, abandoned)
            pending.clear()
    bar.close()
    if stop.received is not None:
        runner.stop()
        for name, (job, reason, _, state) in pending.items():
            tries = [{**t, "outcome": "interrupted"} for t in _tries(run, name, {"status": "interrupted"})]
            results[name] = JobResult(job, "interrupted" if tries else "not-run", 0.0, reason=reason,
                                      attempts=len(tries), tries=tries, **_earlier_report(state, out_dir))
        info.update(state="interrupted", interrupted=True, signal=stop.name,
                    audit={"scanned": [], "findings": None, "not_run": "the run was interrupted"})
        leaks: list[str] = []
    else:
        while processed_audit.is_alive() and stop.received is None:
            processed_audit.join(POLL_SECONDS)
        leaks = [str(f) for f in processed_audit.findings(out_dir)]
        info.update(state="finished", audit={"scanned": [display_path(processed), display_path(out_dir)],
                                             "findings": leaks})
    info.update(finished_utc=provenance.utc_now(), seconds=round(time.perf_counter() - started, 2))
    index = write_log(final=True)
    ordered = [results[job.name] for job in config.jobs]
    if pdf and stop.received is None:
        from evidence.reporting.pdf import print_pdf

        print(f"pdf: {print_pdf(out_dir / 'annual_report.html', out_dir / 'annual_report.pdf')}")
    labels = {"succeeded": "ok     ", "skipped": "skipped", "failed": "FAILED ", "interrupted": "STOPPED",
              "not-run": "not run"}
    for r in ordered:
        stale = f" [report shown is stale, from {r.report_made_utc}]" if r.report == "stale" else ""
        print(f"{labels[r.status]} {r.job.name} ({r.seconds:.1f} s): {r.reason}{stale}"
              + (f"\n        {r.error.splitlines()[-1]}" if r.error else ""))
    print(f"index: {index}")
    if stop.received is not None:
        print(f"interrupted ({stop.name}): every worker and kernel was stopped; the index says which reports "
              "are current, stale or not made", file=sys.stderr)
    if leaks:
        print(f"AUDIT FAILED: {len(leaks)} possible identifier(s) in outputs:\n  - " + "\n  - ".join(leaks[:25]))
    return BatchOutcome(ordered, index, time.perf_counter() - started, leaks, interrupted_by=stop.received)
