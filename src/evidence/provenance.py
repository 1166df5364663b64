"""Provenance: what made an output (package versions, git revision, time)."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from importlib import metadata
from pathlib import Path

REPORTED_PACKAGES = (
    "evidence",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "pyarrow",
    "papermill",
    "nbconvert",
)


def package_version() -> str:
    try:
        return metadata.version("evidence")
    except metadata.PackageNotFoundError:
        return "not installed"


def package_versions(names: tuple[str, ...] = REPORTED_PACKAGES) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_revision(folder: Path | None = None) -> str:
    """The commit checked out (with ``-dirty`` when there are uncommitted changes), or
    ``unknown`` outside a git repository."""
    try:

        def run(*args: str) -> str:
            return subprocess.run(
                ["git", *args], cwd=folder, capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()

        revision = run("rev-parse", "--short=12", "HEAD")
        dirty = run("status", "--porcelain", "--untracked-files=no")
        return f"{revision}-dirty" if dirty else revision
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
