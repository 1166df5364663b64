"""Shared fixtures: the shipped sample export, a fresh ingest of it, and helpers to write
altered copies of it (the sample itself is never modified)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evidence import samples
from evidence.ingest import ingest_survey

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw" / "sample" / samples.workforce_survey.SAMPLE_FILE


@pytest.fixture(autouse=True)
def _no_real_key(monkeypatch):
    """Tests never see a developer's real key unless they set one."""
    monkeypatch.delenv("EVIDENCE_PSEUDONYM_KEY", raising=False)


@pytest.fixture(scope="session")
def sample_csv() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_frame() -> pd.DataFrame:
    """The sample export as the generator makes it (text, export column names)."""
    return samples.workforce_survey.workforce_survey_frame()


@pytest.fixture(scope="session")
def ingested(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("processed")
    saved = os.environ.pop("EVIDENCE_PSEUDONYM_KEY", None)
    try:
        manifest = ingest_survey(SAMPLE, out)
    finally:
        if saved is not None:
            os.environ["EVIDENCE_PSEUDONYM_KEY"] = saved
    return out, manifest


def write_export(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as a survey-export CSV with the three header rows."""
    path.write_bytes(samples.workforce_survey.export_csv_bytes(frame))
    return path


def run_audit_command(processed: Path, interim: Path, reports: Path) -> subprocess.CompletedProcess:
    """``evidence audit`` over these folders, run as a user runs it (its own process, output
    captured)."""
    command = [sys.executable, "-m", "evidence.cli", "audit"]
    command += ["--processed", str(processed), "--interim", str(interim), "--reports", str(reports)]
    return subprocess.run(command, capture_output=True, text=True)
