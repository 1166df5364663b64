"""The README's "Your own survey" walkthrough, run exactly as written (its fenced commands and
its report entry) on the shipped parent-experience sample, in a scratch project folder."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

EVIDENCE = [sys.executable, "-m", "evidence.cli"]


def _walkthrough() -> tuple[list[str], str]:
    """The section's shell commands (continuations joined) and its YAML report entry."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Your own survey", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```(sh|yaml)\n(.*?)```", section, re.DOTALL)
    commands = [re.sub(r"\\\n\s*", "", body).strip() for kind, body in blocks if kind == "sh"]
    entry = next(body for kind, body in blocks if kind == "yaml")
    return [re.sub(r"^\s*", "", c, flags=re.MULTILINE) for c in commands], entry


def _project(tmp_path: Path) -> Path:
    """A scratch project: the scales, the parent sample, the survey notebook, an empty batch."""
    for relative in (
        "config/surveys/answer_scales.csv",
        "data/raw/sample/parent_experience_2025_synthetic.csv",
        "notebooks/survey_report.ipynb",
        "pyproject.toml",
    ):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / relative, tmp_path / relative)
    shipped = yaml.safe_load((ROOT / "config" / "annual_report.yml").read_text(encoding="utf-8"))
    header = {k: shipped[k] for k in ("year", "title", "kernel")}
    (tmp_path / "config" / "annual_report.yml").write_text(yaml.safe_dump(header) + "reports:\n", encoding="utf-8")
    return tmp_path


def _run(command: str, root: Path) -> subprocess.CompletedProcess:
    words = shlex.split(command)
    assert words[0] == "evidence", command
    env = {**os.environ, "EVIDENCE_ROOT": str(root), "PYTHONPATH": str(ROOT / "src")}
    env.pop("EVIDENCE_PSEUDONYM_KEY", None)
    done = subprocess.run([*EVIDENCE, *words[1:]], cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


def test_the_walkthrough_has_the_steps_it_describes():
    commands, entry = _walkthrough()
    assert [c.split()[:3] for c in commands] == [
        ["evidence", "init", "survey"],
        ["evidence", "ingest", "survey"],
        ["evidence", "run", "config/annual_report.yml"],
    ]
    assert yaml.safe_load(entry)[0]["parameters"]["definition_path"] == "config/surveys/my_survey.yml"


def test_init_and_ingest_as_the_readme_says(tmp_path):
    root = _project(tmp_path)
    commands, _ = _walkthrough()
    for command in commands[:2]:
        _run(command, root)
    definition = (root / "config" / "surveys" / "my_survey.yml").read_text(encoding="utf-8")
    assert definition.count("CONFIRM") >= 10 and "scale: fft" in definition and "scale: agree5" in definition
    assert "kind: free_text" in definition and "synthetic_marker" in definition
    import pandas as pd

    table = pd.read_parquet(root / "data" / "processed" / "my_survey.parquet")
    assert len(table) == 240 and table["synthetic"].all()
    assert table.filter(like="overall").iloc[:, 0].value_counts().sum() == 240  # the FFT question, all answered


@pytest.mark.slow
def test_the_whole_walkthrough_makes_the_report(tmp_path):
    root = _project(tmp_path)
    commands, entry = _walkthrough()
    _run(commands[0], root)
    _run(commands[1], root)
    with (root / "config" / "annual_report.yml").open("a", encoding="utf-8") as config:
        config.write(entry)
    _run(commands[2], root)
    report = root / "reports" / "2025" / "my_survey.html"
    assert report.is_file()
    html = report.read_text(encoding="utf-8")
    assert "sample data" in html.casefold() and "Headline measures" in html
