"""Incremental runs: what a report depends on, and the rule that skips an unchanged one.

A job's *fingerprint* hashes everything its output depends on (the notebook, its effective
parameters, the files its parameters name, configuration and published figures, the package
code, the kernel). Its last success is remembered in the reports folder's ``.state`` folder;
a job whose fingerprint is unchanged since then, and whose outputs are all there, is skipped
(``--force`` runs everything). :func:`why_run` says why each job runs or is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evidence.files import sha256_file, sha256_text
from evidence.paths import CONFIG, PUBLISHED, project_root, resolve
from evidence.reporting.jobs import BatchConfig, Job, effective_parameters

STATE_FOLDER = ".state"


def _tree_digest(paths: list[Path], root: Path) -> str:
    """One hash over files (names relative to ``root`` and contents), order independent."""
    lines = sorted(
        f"{p.relative_to(root) if p.is_relative_to(root) else p}:{sha256_file(p)}" for p in paths if p.is_file()
    )
    return sha256_text("\n".join(lines))


def package_code_digest() -> str:
    """A hash of the installed evidence package's source, data and templates."""
    package = Path(__file__).resolve().parents[1]
    files = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return _tree_digest(files, package)


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
    config_files = [p for p in (root / CONFIG).rglob("*") if p.is_file() and p.resolve() != config.path.resolve()]
    published = list((root / PUBLISHED).glob("*"))
    return {
        "notebook": sha256_file(job.notebook),
        "parameters": sha256_text(json.dumps(parameters, sort_keys=True, default=str)),
        "inputs": _tree_digest(named, root),
        "configuration": _tree_digest(config_files + published, root),
        "code": package_code_digest(),
        "kernel": sha256_text(config.kernel),
    }


def state_path(out: Path, job: Job) -> Path:
    """Where a job's last success is remembered (its fingerprint, time and files)."""
    return out / STATE_FOLDER / f"{job.name}.json"


def why_run(job: Job, config: BatchConfig, out: Path, force: bool) -> tuple[str | None, dict, dict | None]:
    """(reason to run, or None to skip; the current fingerprint; the last success's state)."""
    fingerprint = job_fingerprint(job, config)
    path = state_path(out, job)
    state: dict[str, Any] | None = json.loads(path.read_text()) if path.is_file() else None
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
