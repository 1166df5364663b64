"""CONTRIBUTING.md's checklists, followed: in a copy of the repository, a made-up questionnaire
is added as one module plus its defaults and scores an extract; a report made from the
template runs through the batch. The copy runs in a subprocess with its own ``src`` first on
the path, so the registry it builds is the copy's, as a contributor's would be."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from evidence.errors import ConfigError
from evidence.instruments import REGISTRY, Instrument, instrument_labels, max_items, register

from .conftest import ROOT

EXTRACT = ROOT / "data" / "raw" / "sample" / "outcomes_2025_synthetic"
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")

#: The made-up instrument: 32 items coded 0-3 (more items than any shipped instrument, so
#: extracts must carry Item31 and Item32); total = sum of the items, only when all are answered.
TOY_MODULE = '''\
"""Toy Scale: a made-up 32-item questionnaire for testing CONTRIBUTING.md's checklist; items
coded 0-3; total = sum of the 32 items (0-96), missing unless every item is answered.
Reference: none (illustrative)."""

from __future__ import annotations

import numpy as np

from evidence.instruments.base import Instrument, register


def _score(items: np.ndarray) -> dict[str, np.ndarray]:
    complete = ~np.isnan(items[:, :32]).any(axis=1)
    return {"total": np.where(complete, np.nansum(items[:, :32], axis=1), np.nan)}


TOY = register(Instrument(
    name="toy", title="Toy Scale (32 items, illustrative)",
    item_ranges={i: (0, 3) for i in range(1, 33)}, reversed_items=(),
    missing_rule="total only when all 32 items are answered",
    scales={"total": tuple(range(1, 33))}, higher_is_better={"total": True},
    scorer=_score, reference="none (illustrative)", labels=("Toy Scale v1",),
))
'''
TOY_DEFAULTS = """
toy/total:
  higher_is_better: true
  reliability: {value: 0.8, illustrative: true, note: "made up for the extension-point test"}
  mic: {value: 5, illustrative: true, note: "made up for the extension-point test"}
  clinical_cutoff: {value: null, illustrative: true, note: "no cut-off"}
"""


def _copy_repository(to: Path, with_data: bool = True) -> Path:
    """The parts of the repository a contributor works in: pyproject (it marks the project
    root), src, config, notebooks and the raw sample data (never the generated folders)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    to.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", to / "pyproject.toml")
    for folder in ("src", "config", "notebooks", *(["data/raw"] if with_data else [])):
        shutil.copytree(ROOT / folder, to / folder, ignore=ignore)
    return to


def _run(copy: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy / "src"), "EVIDENCE_ROOT": str(copy)}
    env.pop("EVIDENCE_PSEUDONYM_KEY", None)  # the sample is synthetic: the published demo key
    result = subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _toy_extract(folder: Path) -> dict[str, list[int | None]]:
    """The sample extract with two Toy Scale questionnaires added (and the columns Item31 and
    Item32, blank for the others); returns the items written for each toy row."""
    folder.mkdir()
    for table in ("episodes", "prems"):
        shutil.copy2(EXTRACT / f"{table}.csv", folder / f"{table}.csv")
    assessments = pd.read_csv(EXTRACT / "assessments.csv", dtype=str, keep_default_na=False).head(40)
    assessments["Item31"] = assessments["Item32"] = ""
    episode = assessments["EpisodeID"].iloc[0]
    first = [i % 4 for i in range(1, 33)]  # 1, 2, 3, 0, ...: 8 x (0 + 1 + 2 + 3) = 48
    second = [3] * 31 + [None]  # one item unanswered: no total
    toy = pd.DataFrame(
        [
            {
                "EpisodeID": episode,
                "Instrument": "toy scale  V1",
                "Timepoint": "Baseline",
                "AssessmentDate": "01/01/2025",
                **{f"Item{i}": str(v) for i, v in enumerate(first, start=1)},
            },
            {
                "EpisodeID": episode,
                "Instrument": "TOY",
                "Timepoint": "Follow-up",
                "AssessmentDate": "01/06/2025",
                **{f"Item{i}": "" if v is None else str(v) for i, v in enumerate(second, start=1)},
            },
        ]
    )
    pd.concat([assessments, toy], ignore_index=True).fillna("").to_csv(folder / "assessments.csv", index=False)
    return {"baseline": first, "follow_up": second}


@pytest.mark.slow  # a copy of the repository, run in a subprocess
def test_a_questionnaire_is_one_module_plus_its_defaults(tmp_path):
    """CONTRIBUTING.md, "A questionnaire": steps 1 to 3, then ingest an extract that uses it."""
    assert "src/evidence/instruments/<name>.py" in CONTRIBUTING and "config/outcomes/measures.yml" in CONTRIBUTING
    copy = _copy_repository(tmp_path / "repository")
    (copy / "src" / "evidence" / "instruments" / "toy.py").write_text(TOY_MODULE, encoding="utf-8")  # step 1
    with (copy / "config" / "outcomes" / "measures.yml").open("a", encoding="utf-8") as handle:  # step 2
        handle.write(TOY_DEFAULTS)
    extract_definition = copy / "config" / "extracts" / "outcomes.yml"  # step 3
    text = extract_definition.read_text(encoding="utf-8")
    assert "  gas: [GAS]\n" in text and 'aliases: ["Q{n}"], count: 30}' in text
    extract_definition.write_text(
        text.replace("  gas: [GAS]\n", "  gas: [GAS]\n  toy: [TOY, Toy Scale v1]\n").replace(
            'aliases: ["Q{n}"], count: 30}', 'aliases: ["Q{n}"], count: 32}'
        ),
        encoding="utf-8",
    )
    written = _toy_extract(copy / "extract")

    _run(copy, "-m", "evidence.cli", "ingest", "outcomes", "extract", "--out", "data/processed")
    report = _run(
        copy,
        "-c",
        textwrap.dedent("""
        import json
        from evidence.ingest import load_outcomes
        from evidence.instruments import REGISTRY, max_items
        from evidence.scale_defaults import scale_defaults
        tables, _ = load_outcomes("data/processed")
        toy = tables["scores"][tables["scores"]["instrument"] == "toy"]
        print(json.dumps({"registered": list(REGISTRY), "max_items": max_items(),
                          "scores": toy.sort_values("timepoint")["score"].tolist(),
                          "mic": scale_defaults("toy", "total").mic.value}))
    """),
    ).stdout
    found = json.loads(report.strip().splitlines()[-1])
    assert "toy" in found["registered"] and found["max_items"] == 32
    assert found["scores"][0] == sum(written["baseline"]) == 48
    assert pd.isna(found["scores"][1])  # one item unanswered
    assert found["mic"] == 5

    # the extract definition now asks for 32 item columns: an extract without Item31 and Item32 is refused
    short = copy / "extract_30"
    shutil.copytree(copy / "extract", short)
    table = pd.read_csv(short / "assessments.csv", dtype=str, keep_default_na=False)
    table.drop(columns=["Item31", "Item32"]).to_csv(short / "assessments.csv", index=False)
    refused = _run(copy, "-m", "evidence.cli", "ingest", "outcomes", "extract_30", "--out", "data/other", check=False)
    assert refused.returncode != 0 and "Item31" in refused.stderr + refused.stdout


def test_the_shipped_registry_and_what_follows_from_it():
    assert list(REGISTRY) == ["copm", "experience", "gas", "pedsql", "sdq"]  # module name order
    assert max_items("assessments") == 30 and max_items("prems") == 5
    labels = instrument_labels()
    assert labels["canonical"].tolist() == ["copm", "gas", "pedsql", "sdq"]  # experience is a prems instrument
    assert labels["code"].tolist() == [1, 2, 3, 4]


def test_a_name_is_registered_once_and_an_instrument_is_checked_when_made():
    sdq = REGISTRY["sdq"]
    with pytest.raises(ConfigError, match="'sdq' is already registered"):
        register(Instrument(**{**sdq.__dict__, "scorer": lambda items: {}}))  # another module's
    importlib.reload(sys.modules["evidence.instruments.sdq"])  # the same module again replaces its own
    assert REGISTRY["sdq"] is not sdq and REGISTRY["sdq"].title == sdq.title
    fields = dict(
        title="t",
        reversed_items=(),
        missing_rule="m",
        scales={"total": (1, 2)},
        higher_is_better={"total": True},
        scorer=lambda items: {},
        reference="r",
    )
    with pytest.raises(ConfigError, match="numbered 1..n without gaps"):
        Instrument(name="gappy", item_ranges={1: (0, 1), 3: (0, 1)}, **fields)
    with pytest.raises(ConfigError, match="lower case"):
        Instrument(name="Upper", item_ranges={1: (0, 1)}, **fields)
    with pytest.raises(ConfigError, match="higher_is_better must name each scale"):
        Instrument(name="odd", item_ranges={1: (0, 1)}, **{**fields, "higher_is_better": {}})
    with pytest.raises(ConfigError, match="table must be one of"):
        Instrument(name="odd", item_ranges={1: (0, 1)}, table="episodes", **fields)


@pytest.mark.slow
def test_a_report_from_the_template_runs_through_the_batch(tmp_path):
    """CONTRIBUTING.md, "A report": copy the template, give it its own parameters and an entry in
    a batch config, run `evidence run` on it; the page and the tidy results come out."""
    assert "notebooks/template_report.ipynb" in CONTRIBUTING and "config/annual_report.yml" in CONTRIBUTING
    copy = _copy_repository(tmp_path / "repository")
    _run(copy, "-m", "evidence.cli", "ingest", "outcomes", str(EXTRACT), "--out", "data/processed")
    notebook = nbformat.read(copy / "notebooks" / "template_report.ipynb", as_version=4)
    parameters = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert 'results_path: str = ""' in parameters.source and "min_base: int" in parameters.source
    assert not any(c.get("outputs") for c in notebook.cells if c.cell_type == "code")  # committed clean
    notebook.cells[0].source = "# Change by primary need\n\nA toy report made from the template."
    nbformat.write(notebook, copy / "notebooks" / "toy_report.ipynb")
    (copy / "config" / "toy_batch.yml").write_text(
        textwrap.dedent("""\
        year: 2025
        title: "Toy batch"
        kernel: evidence
        reports:
          - name: toy_report
            title: Change by primary need (toy report)
            notebook: notebooks/toy_report.ipynb
            parameters: {year: 2025, instrument: sdq, scale: total_difficulties, by: primary_need, bin_width: 2.0}
    """),
        encoding="utf-8",
    )
    _run(copy, "-m", "evidence.cli", "run", "config/toy_batch.yml", "--out", "reports/2025", "--workers", "1")
    page = (copy / "reports" / "2025" / "toy_report.html").read_text(encoding="utf-8")
    assert "Change by primary need" in page and "Step histogram" in page
    saved = json.loads((copy / "reports" / "2025" / "toy_report.json").read_text(encoding="utf-8"))
    assert saved["by"] == "primary_need" and saved["instrument"] == "sdq" and saved["synthetic"] is True
    assert {row["Primary need"] for row in saved["change_by_group"]} >= {"Autism", "ADHD"}
