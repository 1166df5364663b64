"""A report batch's config (``config/annual_report.yml``): its year, title, kernel and jobs.

Every report is one job: a notebook and its parameters. The parameters are checked against the
notebook's ``parameters`` cell when the config is read, before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.errors import ConfigError
from evidence.files import read_yaml_mapping
from evidence.paths import resolve
from evidence.reporting.parameters import read_parameters, validate_parameters

CONFIG_KEYS = {"year", "title", "kernel", "reports"}
JOB_KEYS = {"name", "title", "notebook", "parameters"}
#: The notebook parameter the batch sets to the job's results file (never set in a config).
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
        title = entry["title"] if "title" in entry else entry["name"]
        jobs.append(Job(entry["name"], title, notebook, parameters))
    names = [j.name for j in jobs]
    if not jobs or len(set(names)) != len(names):
        raise ConfigError(f"{path}: report names must be present and unique, got {names}")
    return BatchConfig(path, config["year"], config["title"], config.get("kernel", "evidence"), jobs)


def effective_parameters(job: Job) -> dict[str, Any]:
    """The notebook's defaults overlaid with the job's parameters (the results path excluded)."""
    declared = read_parameters(job.notebook)
    return {**{n: p.default for n, p in declared.items() if n != RESULTS_PARAMETER}, **job.parameters}
