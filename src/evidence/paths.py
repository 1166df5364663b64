"""Where things live: the project root, the project's folders, and paths relative to it.

Each folder is named once here, relative to the project root (resolve one with
:func:`resolve`); see the layout in ``README.md``. Data flows one way: ``data/raw`` (as
received, never modified) -> ingest -> ``data/processed`` (ingested tables only) -> derived
tables in ``data/interim`` -> reports in ``reports/<year>``.
"""

from __future__ import annotations

import os
from pathlib import Path

from evidence.errors import ConfigError

RAW = Path("data/raw")  # inputs exactly as received, never modified
SAMPLE = RAW / "sample"  # the shipped synthetic sample
PUBLISHED = RAW / "published"  # published figures, each with its source
PROCESSED = Path("data/processed")  # ingested tables (parquet) and their manifests, nothing else
INTERIM = Path("data/interim")  # tables derived from processed data (e.g. per-service effects)
REPORTS = Path("reports")  # the batch's output, one folder per year
CONFIG = Path("config")  # the batch, definitions and assumption sets
SURVEYS_CONFIG = CONFIG / "surveys"  # survey definitions and answer scales
EXTRACTS_CONFIG = CONFIG / "extracts"  # outcomes-extract definitions
OUTCOMES_CONFIG = CONFIG / "outcomes"  # outcome measures' defaults (measures.yml)
ROI_CONFIG = CONFIG / "roi"  # return-on-investment assumption sets
PROJECTION_CONFIG = CONFIG / "projection"  # workforce-projection assumption sets


def project_root(start: Path | None = None) -> Path:
    """The repository root: ``$EVIDENCE_ROOT`` if set, else the nearest folder at or above
    ``start`` (default: the current directory) holding this project's ``pyproject.toml``."""
    env = os.environ.get("EVIDENCE_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and 'name = "evidence"' in candidate.read_text(encoding="utf-8"):
            return folder
    raise ConfigError(
        f"cannot find the evidence project root at or above {here}; run from inside the repository or set EVIDENCE_ROOT"
    )


def resolve(path: str | os.PathLike[str], root: Path | None = None) -> Path:
    """``path`` itself if absolute, else relative to the project root."""
    p = Path(path)
    return p if p.is_absolute() else (root or project_root()) / p


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` relative to the project root when it lies inside it, else as given: the form
    written into manifests and reports, so they do not carry a user's home folder."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(project_root()))
    except (ValueError, ConfigError):
        return str(p)
