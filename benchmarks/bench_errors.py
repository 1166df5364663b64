"""Benchmark: how long an outcomes extract with a systematic problem takes to be refused.

A systematic problem is one mistake made on every row: here every PedsQL item written with
its label ("3 - Often") instead of its code ("3"), as an export set to "codes and labels"
gives. Two extracts, both synthetic (the shipped sample):

* ``realistic``: the shipped sample extract (6,657 questionnaires, about 2,200 of them PedsQL:
  about 51,000 problems);
* ``rows_10000``: the sample tiled to 10,000 questionnaires (about 77,000 problems).

Each is ingested in a fresh ``python`` process, timed from the command line to the printed
error. The named baseline is the same extract *without* the mistake, ingested successfully:
refusing an extract should cost no more than ingesting it (ratio ``error / good``).

    python benchmarks/bench_errors.py [--out benchmarks/results/errors.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

from evidence.paths import project_root

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import SAMPLE, TABLES, tiled_extract  # noqa: E402
from common import in_fresh_process, write_summary  # noqa: E402

#: PedsQL answer labels by code (the instrument's response scale, 0-4).
PEDSQL_LABELS = {
    "0": "0 - Never",
    "1": "1 - Almost never",
    "2": "2 - Sometimes",
    "3": "3 - Often",
    "4": "4 - Almost always",
}

RUN = """
import sys, time
start = time.perf_counter()
from evidence.errors import ValidationError
from evidence.ingest import ingest_outcomes
try:
    ingest_outcomes(sys.argv[1], sys.argv[2])
    problems = 0
except ValidationError as error:
    problems = sum(getattr(p, "count", 1) for p in error.problems)
    message = str(error)
print(time.perf_counter() - start, problems)
"""


def labelled(folder: Path) -> Path:
    """``folder``'s extract copied beside it with every PedsQL item code written as its label."""
    target = folder.with_name(folder.name + "_labelled")
    target.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        if name == "assessments":
            pedsql = frame["Instrument"] == "PedsQL"
            for item in range(1, 24):
                column = f"Item{item}"
                frame.loc[pedsql, column] = frame.loc[pedsql, column].map(PEDSQL_LABELS).fillna("")
        frame.to_csv(target / f"{name}.csv", index=False)
    return target


def timed(folder: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-errors-") as out:
        output = in_fresh_process(RUN, str(folder), out, env={"PATH": "/usr/bin:/bin", **_python_path()})
    seconds, problems = output.split()
    return {"seconds": round(float(seconds), 2), "problems": int(problems)}


def _python_path() -> dict[str, str]:
    import os

    return {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/errors.json"))
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-errors-data-") as temporary:
        data = Path(temporary)
        sample = data / "realistic"
        sample.mkdir()
        for name in TABLES:
            (sample / f"{name}.csv").write_bytes((project_root() / SAMPLE / f"{name}.csv").read_bytes())
        for label, folder in (("realistic", sample), ("rows_10000", tiled_extract(10_000, data / "rows_10000"))):
            good, bad = timed(folder), timed(labelled(folder))
            results[label] = {"error": bad, "good": good, "error_vs_good": round(bad["seconds"] / good["seconds"], 2)}
            print(label, json.dumps(results[label]), flush=True)
    summary = {
        "benchmark": "time to refuse an outcomes extract with every PedsQL item written '3 - Often'",
        "baseline": "the same extract without the mistake, ingested successfully",
        "results": results,
    }
    write_summary(summary, args.out)


if __name__ == "__main__":
    main()
