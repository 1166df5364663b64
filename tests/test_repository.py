"""The repository's own rules: one dependency list, clean notebooks, the two commands."""

from __future__ import annotations

import tomllib

import nbformat
import yaml

from .conftest import ROOT


def test_environment_yml_only_installs_the_package_through_pip():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge"]
    dependencies = environment["dependencies"]
    plain = [d for d in dependencies if isinstance(d, str)]
    assert sorted(d.split("=")[0] for d in plain) == ["pip", "python"]
    (pip,) = [d["pip"] for d in dependencies if isinstance(d, dict)]
    assert pip == ["-e .[dev]"]


def test_pyproject_declares_cli_and_dev_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["evidence"] == "evidence.cli:main"
    assert "dev" in project["optional-dependencies"]


def test_readme_starts_with_the_two_commands():
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:25])
    assert "make report" in head and "make test" in head
    assert head.index("make report") < head.index("make test")


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_gitignore_covers_generated_folders():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    for entry in (".venv/", "data/processed/*", "data/interim/*", "reports/*"):
        assert entry in ignored


def test_notebooks_are_committed_without_outputs_and_keep_their_kernel():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        assert notebook.metadata["kernelspec"]["name"] == "evidence", path
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path
        tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path


def test_sample_folder_says_it_is_synthetic():
    readme = (ROOT / "data" / "raw" / "sample" / "README.md").read_text()
    assert "SYNTHETIC" in readme.upper()
