"""Benchmark: ingest of a large survey export - throughput and peak memory against DuckDB.

The export is the shipped synthetic workforce survey (a Qualtrics CSV: three header rows,
701 responses, 25 columns) tiled until it has ``--rows`` responses: every copy gets its own
respondent IDs and e-mail addresses (``-<copy>`` and ``c<copy>.`` added), so IDs stay unique
and the duplicate respondents flagged are the sample's own, once per copy; the free-text
comments are kept as they are. Synthetic data, as the sample is. A second export, the same
with every comment blank (``no_comments``), shows what the free-text redaction costs.

Each engine runs in a fresh ``python`` process on the same file, timed from the command line
to the last file written, with its peak resident memory (``ru_maxrss``); each ``--repeat``
times, interleaved, the fastest run counting (a shared machine's other work only slows a run):

* ``evidence``: ``evidence ingest survey`` (:func:`evidence.ingest.ingest_survey`) against
  ``config/surveys/workforce_survey.yml``, as ``make ingest`` runs it;
* ``duckdb`` (named baseline): the same checks, pseudonymisation and parquet output as SQL
  (``benchmarks/duckdb_survey.py``). Free-text redaction, the identifier guard, masked per-row
  messages, dialect detection and the manifest are the ingest's and not the baseline's.

    python benchmarks/bench_survey_ingest.py [--rows 1000000] [--repeat 3] [--data DIR]
        [--out benchmarks/results/survey_ingest.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from common import in_fresh_process, last_json_line, write_summary

from evidence.paths import project_root
from evidence.survey.definition import DEFAULT_DEFINITION, load_definition

SAMPLE = Path("data/raw/sample/workforce_survey_2025_synthetic.csv")
#: Rows of the export above the responses: column IDs, question texts, ImportIds.
HEADER_ROWS = 3
#: Each engine on each export: (engine, export variant).
RUNS = {
    "duckdb": ("duckdb", "full"),
    "evidence": ("evidence", "full"),
    "duckdb_no_comments": ("duckdb", "no_comments"),
    "evidence_no_comments": ("evidence", "no_comments"),
}

RUN = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
engine, export, out, definition = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
if engine == "duckdb":
    sys.path.insert(0, "benchmarks")
    import duckdb_survey
    problems = duckdb_survey.ingest(export, out, definition)
    assert not any(v for k, v in problems.items() if k != "excluded_by_design"), problems
    rows = {"in": duckdb_survey.rows(out, definition) + problems["excluded_by_design"],
            "out": duckdb_survey.rows(out, definition)}
else:
    from evidence.ingest import ingest_survey
    manifest = ingest_survey(export, out, environ={}, definition=definition)
    rows = {"in": manifest["rows"]["in"], "out": manifest["rows"]["out"],
            "redactions": manifest["de_identification"]["free_text_redactions"]}
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rows": rows}))
"""


def tiled_export(rows: int, path: Path, comments: bool = True) -> Path:
    """The sample export tiled to ``rows`` responses (IDs and e-mail addresses made unique per
    copy; comments as they are, or every one blank when not ``comments``), written to ``path``."""
    source = project_root() / SAMPLE
    with source.open(encoding="utf-8-sig", newline="") as handle:
        header = [line for _, line in zip(range(HEADER_ROWS), csv.reader(handle), strict=False)]
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, skiprows=range(1, HEADER_ROWS), encoding="utf-8-sig")
    copies = -(-rows // len(frame))
    copy = np.repeat(np.arange(copies).astype(str), len(frame)).astype(object)
    big = pd.DataFrame({column: np.tile(frame[column].to_numpy(dtype=object), copies) for column in frame})
    big["ResponseId"] = big["ResponseId"] + "-" + copy
    big["RecipientEmail"] = ("c" + copy + ".") + big["RecipientEmail"]
    if not comments:
        big["Q11"] = ""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(header)
        big.iloc[:rows].to_csv(handle, index=False, header=False, lineterminator="\r\n")
    return path


def run(name: str, export: Path, definition: Path) -> dict:
    """One run of engine ``name`` on ``export`` in a fresh process: its figures."""
    engine, _ = RUNS[name]
    with tempfile.TemporaryDirectory(prefix=f"bench-survey-{name}-") as out:
        environment = {k: v for k, v in os.environ.items() if k != "EVIDENCE_PSEUDONYM_KEY"}
        output = in_fresh_process(RUN, engine, str(export), out, str(definition), env=environment)
    result = last_json_line(output)
    print(name, json.dumps(result), flush=True)
    return result


def best(runs: list[dict]) -> dict:
    """The figures of the fastest of ``runs`` (the machine is shared: the others waited for it),
    with every run's seconds, and the highest peak memory of any run."""
    fastest = min(runs, key=lambda r: r["seconds"])
    rows = fastest["rows"]["in"]
    return {
        **fastest,
        "seconds": round(fastest["seconds"], 1),
        "rows_per_second": round(rows / fastest["seconds"]),
        "seconds_each_run": [round(r["seconds"], 1) for r in runs],
        "peak_mib": round(max(r["peak_mib"] for r in runs)),
        "bytes_per_row": round(max(r["peak_mib"] for r in runs) * 2**20 / rows),
    }


#: The issue's goals (#19): ingest time at most this multiple of DuckDB's.
TIME_GOAL_VS_DUCKDB = 2.0
#: Peak resident memory goal of the whole-table ingest, MiB.
MEMORY_GOAL_MIB = 4096


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses in the tiled export")
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each engine; the fastest counts (the machine may be shared)"
    )
    parser.add_argument("--definition", type=Path, default=DEFAULT_DEFINITION)
    parser.add_argument(
        "--data", type=Path, default=None, help="folder to keep the generated exports in (default: a temporary one)"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/survey_ingest.json"))
    args = parser.parse_args()
    load_definition(args.definition)  # a broken definition fails here, not in every engine
    with tempfile.TemporaryDirectory(prefix="bench-survey-data-") as temporary:
        data = args.data or Path(temporary)
        exports = {}
        for variant in {RUNS[name][1] for name in args.runs}:
            exports[variant] = data / f"workforce_survey_{args.rows}_{variant}.csv"
            if not exports[variant].is_file():
                tiled_export(args.rows, exports[variant], comments=variant == "full")
        runs: dict[str, list[dict]] = {name: [] for name in args.runs}
        for _ in range(args.repeat):  # interleaved, so that a busy spell slows every engine alike
            for name in args.runs:
                runs[name].append(run(name, exports[RUNS[name][1]], args.definition))
        found = {name: best(found) for name, found in runs.items()}
    ratios = {
        name: round(result["seconds"] / found[baseline]["seconds"], 2)
        for name, result in found.items()
        if RUNS[name][0] == "evidence" and (baseline := name.replace("evidence", "duckdb")) in found
    }
    summary = {
        "benchmark": "survey ingest (synthetic workforce survey sample tiled)",
        "sizes": [args.rows],
        "repeat": args.repeat,
        "timing": "seconds: the fastest of the runs (seconds_each_run), each in a fresh process from start to "
        "the last file written; peak_mib: the highest ru_maxrss of any run",
        "baseline": "duckdb: the same answer checks (every answer a missing code or in its scale, every "
        "multi-select option in its scale, whole numbers in range, real timestamps, required "
        "answers and unique IDs present), exclusions, pseudonymisation (SHA-256 of key and ID), "
        "duplicate flags and parquet output as SQL (benchmarks/duckdb_survey.py)",
        "not_in_baseline": "free-text redaction (names, e-mail addresses, phone and NHS numbers, dates, "
        "addresses, postcodes), the identifier guard on text columns, dialect detection, "
        "masked per-row messages and the manifest are the ingest's only; the *_no_comments "
        "runs are the same export with every free-text comment blank",
        "results": {str(args.rows): found},
        "time_vs_duckdb": {str(args.rows): ratios},
        "goals": {
            "time_vs_duckdb_at_most": TIME_GOAL_VS_DUCKDB,
            "peak_mib_at_most": {"evidence": MEMORY_GOAL_MIB},
            "at_rows": args.rows,
        },
    }
    summary["goals_met"] = {
        **{f"time {name} at {args.rows}": ratio <= TIME_GOAL_VS_DUCKDB for name, ratio in ratios.items()},
        **{
            f"peak memory {name} at {args.rows}": result["peak_mib"] <= MEMORY_GOAL_MIB
            for name, result in found.items()
            if RUNS[name][0] == "evidence"
        },
    }
    write_summary(summary, args.out)


if __name__ == "__main__":
    main()
