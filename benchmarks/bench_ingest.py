"""Benchmark: ingest and scoring of a large outcomes extract - throughput and peak memory.

The extract is the shipped synthetic sample tiled until the assessments table (one row per
questionnaire, 34 columns) has ``--rows`` rows: every copy gets its own episode and child IDs,
so the episodes table grows with it (about 2.1 million episodes and 1 million experience
questionnaires at 10 million assessments). Synthetic data, as the sample is.

Each engine runs in a fresh ``python`` process on the same files, timed from the command
line to the last file written, with its peak resident memory (``ru_maxrss``), at each of
``--sizes`` (assessment rows):

* ``duckdb`` (the named baseline): the same checks, pseudonymisation, scoring and parquet
  output written as DuckDB SQL (:mod:`duckdb_outcomes`);
* ``default``: ``evidence ingest outcomes`` as ``make ingest`` runs it: every table read,
  checked and written in 32 MiB blocks, the checks across blocks made bucket by bucket over keys
  spilled to disk (:mod:`evidence.outcomes.streamed`), the files laid out as a whole-table write
  lays them out (row groups of 2**20 rows);
* ``blocks``: the same with ``--block-mb`` (default 16), each block's rows written as they come:
  the least memory, the route for extracts much larger than memory;
* ``distributed``: ``blocks`` with ``--scheduler``, on a real dask.distributed cluster started
  for the run (a scheduler and two single-threaded worker processes, each limited to 1 GiB), at
  each of ``--cluster-sizes`` (default 50 million assessment rows) and at ``--sizes`` if named in
  ``--engines``; the client's peak and each worker's (``VmHWM``) are reported;
* ``whole`` (on request): every table read whole (``block_bytes=0``), the reference path;
* ``csv-module`` (on request): the whole path with the strict csv-module reader forced.

The JSON gives every engine's seconds, rows per second and peak MiB, each engine's time as a
multiple of DuckDB's in the same run, and whether #19's goals are met (``goals_met``).

    python benchmarks/bench_ingest.py [--sizes 1000000 10000000] [--engines duckdb default blocks whole]
        [--cluster-sizes 50000000] [--block-mb 16] [--data DIR] [--out benchmarks/results/ingest.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import in_fresh_process, last_json_line, write_summary

from evidence.paths import project_root

SAMPLE = Path("data/raw/sample/outcomes_2025_synthetic")
TABLES = ("episodes", "assessments", "prems")

RUN = """
import json, resource, sys, time
start = time.perf_counter()
engine, folder, out, block_mb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if engine == "csv-module":  # the strict csv-module reader forced (Python lists of strings)
    from evidence import readers
    readers._read_csv_arrow = lambda path: None
if engine == "duckdb":
    sys.path.insert(0, "benchmarks")
    import duckdb_outcomes
    problems = duckdb_outcomes.ingest(Path(folder), Path(out))
    assert not any(problems.values()), problems
    rows = {"in": {"assessments": duckdb_outcomes.rows(Path(out))}, "out": {}}
else:
    from evidence.ingest import ingest_outcomes
    block_bytes = {"blocks": block_mb << 20, "distributed": block_mb << 20, "whole": 0}.get(engine)
    scheduler = sys.argv[5] if engine == "distributed" else None
    manifest = ingest_outcomes(folder, out, block_bytes=block_bytes, scheduler=scheduler)
    rows = manifest["rows"]
print(json.dumps({"seconds": time.perf_counter() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows_in": rows["in"], "rows_out": rows["out"]}))
""".replace("import json,", "from pathlib import Path\nimport json,")


def tiled_extract(rows: int, folder: Path, copies_per_chunk: int = 100) -> Path:
    """The sample extract tiled to ``rows`` assessment rows (IDs made unique per copy), written
    ``copies_per_chunk`` copies at a time, so that 50 million rows fit in memory."""
    root = project_root()
    frames = {name: pd.read_csv(root / SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False) for name in TABLES}
    copies = -(-rows // len(frames["assessments"]))
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        left = rows if name == "assessments" else None
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as sink:
            for first in range(0, copies, copies_per_chunk):
                count = min(copies_per_chunk, copies - first)
                copy = np.repeat(np.arange(first, first + count).astype(str), len(frame))
                big = pd.DataFrame({column: np.tile(frame[column].to_numpy(dtype=str), count) for column in frame})
                for column in ("EpisodeID", "ChildID"):
                    if column in big:
                        big[column] = np.char.add(np.char.add(big[column].to_numpy(dtype=str), "-"), copy)
                if left is not None:
                    big, left = big.iloc[:left], left - min(left, len(big))
                big.to_csv(sink, index=False, header=first == 0, lineterminator="\n")
    return folder


def run(engine: str, folder: Path, block_mb: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-ingest-{engine}-") as out:
        if engine == "distributed":
            with Cluster(Path(out)) as cluster:
                result = last_json_line(in_fresh_process(RUN, engine, str(folder), out, str(block_mb), cluster.address))
                result["worker_peak_mib"] = [round(peak) for peak in cluster.worker_peaks_mib()]
        else:
            result = last_json_line(in_fresh_process(RUN, engine, str(folder), out, str(block_mb)))
    rows = result["rows_in"]["assessments"]
    result.update(
        rows_per_second=round(rows / result["seconds"]),
        bytes_per_row=round(result["peak_mib"] * 2**20 / rows),
        seconds=round(result["seconds"], 1),
        peak_mib=round(result["peak_mib"]),
    )
    print(engine, json.dumps(result), flush=True)
    return result


class Cluster:
    """A real dask.distributed cluster for one run: a scheduler and :data:`WORKERS` worker
    processes of one thread each, started from the command line as a user starts them, each
    worker limited to :data:`WORKER_MEMORY` (no nanny, so each worker is one process whose peak
    resident memory, ``VmHWM``, is read before it is stopped)."""

    def __init__(self, folder: Path):
        self.file, self.processes = folder / "scheduler.json", []
        self.address = ""

    def __enter__(self) -> Cluster:
        from dask.distributed import Client

        def start(*command: str) -> subprocess.Popen:
            process = subprocess.Popen(
                [sys.executable, "-m", *command, "--scheduler-file", str(self.file)],
                cwd=project_root(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.processes.append(process)
            return process

        start("distributed.cli.dask_scheduler", "--port", "0", "--dashboard-address", ":0")
        for _ in range(WORKERS):
            start("distributed.cli.dask_worker", "--nthreads", "1", "--memory-limit", WORKER_MEMORY, "--no-nanny")
        deadline = time.monotonic() + 60
        while not self.file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        with Client(scheduler_file=str(self.file), timeout=60) as client:
            client.wait_for_workers(WORKERS, timeout=60)
            self.address = client.scheduler.address
        return self

    def worker_peaks_mib(self) -> list[float]:
        peaks = []
        for process in self.processes[1:]:
            status = Path(f"/proc/{process.pid}/status").read_text()
            peaks.append(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024)
        return peaks

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            process.terminate()
            process.wait(timeout=30)


#: The cluster of the distributed engine: worker processes (one per core here), their memory limit.
WORKERS = 2
WORKER_MEMORY = "1GiB"

#: The issue's goals (#19): whole-table time at most this multiple of DuckDB's, at each size.
TIME_GOAL_VS_DUCKDB = 2.0
#: Peak resident memory goals at the large size, MiB: whole tables, and blocks.
MEMORY_GOAL_MIB = {"default": 4096, "blocks": 1024}
#: On a dask cluster: at most this peak in each process (the client and every worker), MiB.
CLUSTER_MEMORY_GOAL_MIB = 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1_000_000, 10_000_000],
        help="assessment rows of each extract measured (the last is the large one)",
    )
    parser.add_argument(
        "--engines",
        nargs="+",
        default=["duckdb", "default", "blocks", "whole"],
        choices=["duckdb", "default", "blocks", "whole", "csv-module", "distributed"],
    )
    parser.add_argument(
        "--cluster-sizes",
        type=int,
        nargs="*",
        default=[50_000_000],
        help="assessment rows of the extracts ingested on a dask cluster only (the distributed engine)",
    )
    parser.add_argument("--block-mb", type=int, default=16)
    parser.add_argument(
        "--data", type=Path, default=None, help="folder to keep the generated extracts in (default: a temporary one)"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ingest.json"))
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-data-") as temporary:
        data = args.data or Path(temporary)
        for rows in args.sizes:
            folder = data / f"extract_{rows}"
            if not (folder / "prems.csv").is_file():
                tiled_extract(rows, folder)
            results[str(rows)] = {engine: run(engine, folder, args.block_mb) for engine in args.engines}
        for rows in args.cluster_sizes:
            folder = data / f"extract_{rows}"
            if not (folder / "prems.csv").is_file():
                tiled_extract(rows, folder)
            results.setdefault(str(rows), {})["distributed"] = run("distributed", folder, args.block_mb)
    large = str(args.sizes[-1])
    summary = {
        "benchmark": "outcomes ingest and scoring (synthetic sample tiled)",
        "sizes": args.sizes,
        "block_mb": args.block_mb,
        "baseline": "duckdb: the same checks, pseudonymisation, scoring and parquet output as SQL "
        "(benchmarks/duckdb_outcomes.py)",
        "results": results,
        "time_vs_duckdb": {
            size: {
                engine: round(found[engine]["seconds"] / found["duckdb"]["seconds"], 2)
                for engine in found
                if engine != "duckdb"
            }
            for size, found in results.items()
            if "duckdb" in found
        },
        "goals": {
            "time_vs_duckdb_at_most": TIME_GOAL_VS_DUCKDB,
            "peak_mib_at_most": MEMORY_GOAL_MIB,
            "at_rows": int(large),
            "distributed_per_process_peak_mib_at_most": CLUSTER_MEMORY_GOAL_MIB,
            "distributed_at_rows": args.cluster_sizes,
        },
    }
    summary["goals_met"] = {
        **{
            f"time {engine} at {size}": ratio <= TIME_GOAL_VS_DUCKDB
            for size, ratios in summary["time_vs_duckdb"].items()
            for engine, ratio in ratios.items()
            if engine == "default"
        },
        **{
            f"peak memory {engine} at {large}": results[large][engine]["peak_mib"] <= limit
            for engine, limit in MEMORY_GOAL_MIB.items()
            if engine in results[large]
        },
        **{
            f"peak memory per process distributed at {size}": max(
                [found["distributed"]["peak_mib"], *found["distributed"]["worker_peak_mib"]]
            )
            <= CLUSTER_MEMORY_GOAL_MIB
            for size, found in results.items()
            if "distributed" in found
        },
    }
    write_summary(summary, args.out)


if __name__ == "__main__":
    main()
