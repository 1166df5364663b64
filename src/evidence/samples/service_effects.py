"""Deterministic SYNTHETIC per-service outcome effects: an evidence table of 16 invented
services in four nations, more than the four services of the outcome sample give, so the
per-service synthesis report can show subgroups by nation.

SYNTHETIC: no row describes a real service or child. Each invented service has a number of
children seen, and the mean change (post minus pre) in an invented 0-10 goal-performance score
with its standard error, as an evidence table in the ``estimate_se`` layout
(:mod:`evidence.synthesis.evidence_table`). True service effects are drawn around an
illustrative 2.0 points with between-service SD 0.5 and small invented differences by nation;
each estimate then carries the sampling error of its service's size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evidence.files import neutralise_formulas

SEED = 20250401
SAMPLE_FILE = "service_outcome_effects_synthetic.csv"
#: Services per nation (invented).
SERVICES_PER_NATION = {"England": 9, "Scotland": 3, "Wales": 2, "Northern Ireland": 2}
SETTINGS = ["Community", "School", "CAMHS", "Acute hospital", "Early years"]
#: Illustrative: mean change, between-service SD and SD of a child's change (points).
MEAN_CHANGE, BETWEEN_SD, CHILD_SD = 2.0, 0.5, 2.4
NATION_SHIFT = {"England": 0.0, "Scotland": 0.3, "Wales": -0.2, "Northern Ireland": 0.1}


def service_effects_frame(seed: int = SEED) -> pd.DataFrame:
    """The synthetic per-service effects table (text columns as written to CSV)."""
    rng = np.random.default_rng(seed)
    nation = np.repeat(list(SERVICES_PER_NATION), list(SERVICES_PER_NATION.values()))
    n = len(nation)
    children = rng.integers(18, 141, n)
    true_effect = MEAN_CHANGE + np.vectorize(NATION_SHIFT.get)(nation) + rng.normal(0, BETWEEN_SD, n)
    # A service's observed SD of change varies with its size (chi-square), as a real one would.
    sd = CHILD_SD * np.sqrt(rng.chisquare(children - 1) / (children - 1))
    se = sd / np.sqrt(children)
    estimate = true_effect + rng.normal(0, CHILD_SD / np.sqrt(children))
    letters = [chr(ord("A") + i) for i in range(n)]
    return pd.DataFrame(
        {
            "study": [f"Service {x}" for x in letters],
            "nation": nation,
            "setting": rng.choice(np.array(SETTINGS), n),
            "children": children.astype(str),
            "estimate": [f"{x:.3f}" for x in estimate],
            "se": [f"{x:.4f}" for x in se],
            "data_label": "SYNTHETIC",
        }
    )


def write_sample(folder: str | Path, seed: int = SEED) -> Path:
    """Write the synthetic per-service effects CSV into ``folder``; return its path."""
    path = Path(folder) / SAMPLE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    # A stand-in for a received evidence table (an input, as written by hand or a spreadsheet):
    # formulas neutralised, but quoted only where needed, so its bytes stay as they were.
    table = neutralise_formulas(service_effects_frame(seed))
    path.write_bytes(table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return path
