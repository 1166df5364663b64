"""The pre-commit hooks (``.pre-commit-config.yaml``): offline, passing on the repository, and
doing what they say (outputs stripped with the kernelspec kept, secrets and large files refused)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from .conftest import ROOT

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
CONFIG = ROOT / ".pre-commit-config.yaml"


def _tool(name: str) -> str:
    found = shutil.which(name, path=ENV["PATH"])
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return found


def test_every_hook_is_local_and_installed_by_the_dev_extra():
    config = yaml.safe_load(CONFIG.read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]  # nothing to download
    hooks = config["repos"][0]["hooks"]
    assert {h["id"] for h in hooks} == {
        "ruff",
        "ruff-format",
        "mypy",
        "nbstripout",
        "detect-secrets",
        "check-added-large-files",
    }
    dev = (ROOT / "pyproject.toml").read_text()
    for hook in hooks:
        assert hook["language"] == "system"
        assert shutil.which(hook["entry"].split()[0], path=ENV["PATH"]), hook["entry"]
    for package in ("pre-commit", "nbstripout", "detect-secrets", "pre-commit-hooks", "ruff", "mypy"):
        assert f'"{package}>=' in dev, package


def test_nbstripout_strips_outputs_and_keeps_the_kernelspec(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "evidence", "display_name": "Python (evidence)", "language": "python"}
    cell = nbformat.v4.new_code_cell("print('hello')", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    notebook.cells = [cell, nbformat.v4.new_markdown_cell("# Title")]
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    subprocess.run([_tool("nbstripout"), "--keep-id", str(path)], check=True, env=ENV)
    stripped = nbformat.read(path, as_version=4)
    assert stripped.cells[0].outputs == [] and stripped.cells[0].execution_count is None
    assert stripped.cells[0].source == "print('hello')" and stripped.cells[0].id == cell.id
    assert stripped.metadata["kernelspec"]["name"] == "evidence"  # papermill chooses the kernel by it


def test_detect_secrets_refuses_a_key_and_allows_the_published_demo_key(tmp_path):
    hook = [_tool("detect-secrets-hook"), "--baseline", str(ROOT / ".secrets.baseline")]
    leak = tmp_path / "settings.py"
    planted = 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'  # pragma: allowlist secret
    leak.write_text(planted + "\n")
    assert subprocess.run([*hook, str(leak)], env=ENV, capture_output=True, cwd=tmp_path).returncode == 1
    privacy = ROOT / "src" / "evidence" / "privacy.py"
    assert subprocess.run([*hook, str(privacy)], env=ENV, capture_output=True, cwd=ROOT).returncode == 0


@pytest.mark.slow
def test_pre_commit_passes_on_a_copy_of_the_repository(tmp_path):
    """``pre-commit run --all-files`` offline, in a fresh repository holding this working tree's
    files (tracked and new, not ignored)."""
    pre_commit, git = _tool("pre-commit"), shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    listed = (
        subprocess.run([git, "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True)
        .stdout.decode()
        .split("\0")
    )
    copy = tmp_path / "repo"
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com"]
    for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "copy"]):
        subprocess.run([git, *command], cwd=copy, check=True, capture_output=True)
    env = {**ENV, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "SKIP": ""}
    run = subprocess.run([pre_commit, "run", "--all-files"], cwd=copy, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Passed") == 6
