"""Running one report job: papermill on a fresh kernel, then the offline HTML.

A job runs in a worker process (:mod:`evidence.reporting.worker`) from a *spec*, plain data
made by :func:`job_spec`. A kernel that fails to start (papermill's known "address already in
use" and start-up timeout races under parallel runs) is retried; a failing cell, or a kernel
that dies in a cell, fails the job with the cell and the error. Every output is written in the
attempt's staging folder (:mod:`evidence.reporting.publish`); the batch publishes it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.files import write_text_atomic
from evidence.paths import display_path, project_root
from evidence.reporting.jobs import RESULTS_PARAMETER, BatchConfig, Job, effective_parameters
from evidence.reporting.parameters import read_parameters
from evidence.reporting.publish import start_attempt
from evidence.reporting.render import ReportContext, declared_inputs, render_html

if TYPE_CHECKING:
    from evidence.reporting.kernels import KernelSource

DEFAULT_TIMEOUT_SECONDS = 1800
KERNEL_START_RETRIES = 2
KERNEL_START_ERRORS = (
    "address already in use",
    "kernel didn't respond",
    "kernel died before replying",
    "timeout waiting for kernel",
    "kernel_info_reply",
    "zmqerror",
)
KERNEL_START_TIMEOUT = 60  # seconds; papermill's default start timeout


def job_spec(
    job: Job, config: BatchConfig, out: Path, timeout: float, retries: int, *, staging: Path
) -> dict[str, Any]:
    """Everything a worker needs to run one job, as JSON-serialisable data. ``staging`` is the
    run's staging folder (see :mod:`evidence.reporting.publish`): every attempt writes there."""
    return {
        "name": job.name,
        "title": job.title,
        "notebook": str(job.notebook),
        "parameters": job.parameters,
        "effective_parameters": effective_parameters(job),
        "kernel": config.kernel,
        "series": config.title,
        "year": config.year,
        "out": str(out),
        "root": str(project_root()),
        "timeout": timeout,
        "retries": retries,
        "staging": str(staging),
    }


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

    from evidence.reporting.engine import ENGINE_NAME, KernelDied
    from evidence.reporting.kernels import KernelSource, wait_until_ready

    started = time.perf_counter()
    own_kernels = kernels is None
    kernels = kernels or KernelSource()
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
        return {
            "status": "failed",
            "seconds": time.perf_counter() - started,
            "error": message,
            "attempts": attempts,
            "phases": phases,
        }

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
                str(notebook),
                str(executed_path),
                parameters=parameters,
                kernel_name=spec["kernel"],
                cwd=spec["root"],
                progress_bar=False,
                log_output=False,
                start_timeout=KERNEL_START_TIMEOUT,
                request_save_on_cell_execute=False,
                engine_name=ENGINE_NAME,
                km=km,
            )
            executed = nbformat.read(executed_path, as_version=4)
            break
        except PapermillExecutionError as error:
            source = error.source.strip().splitlines()
            snippet = "\n".join(source[:6]) + ("\n..." if len(source) > 6 else "")
            return failed(
                f"cell {error.cell_index} (execution count {error.exec_count}):\n{snippet}\n"
                f"{error.ename}: {error.evalue}",
                attempt,
            )
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
        context = ReportContext(
            title=spec["title"],
            series=spec["series"],
            year=spec["year"],
            notebook=display_path(notebook),
            parameters=spec["effective_parameters"],
        )
        write_text_atomic(html_path, render_html(executed, context))
    except Exception as error:  # a rendering failure fails this job only
        return failed(f"rendering: {type(error).__name__}: {error}", attempt)
    lap("render", mark)
    staged = {"html": html_path.name, "notebook": executed_path.name}
    if json_path.exists():
        staged["results"] = json_path.name
    return {
        "status": "succeeded",
        "seconds": time.perf_counter() - started,
        "error": "",
        "attempts": attempt,
        "synthetic": any(i.get("synthetic") for i in declared_inputs(executed)),
        "staged": staged,
        "attempt_folder": str(folder),
        "phases": phases,
    }
