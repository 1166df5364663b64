"""Benchmark: PedsQL-style scoring of many questionnaires, vectorised against row-wise.

Baseline: a straightforward ``DataFrame.apply(axis=1)`` applying the same rule (reverse and
rescale 0-4 to 0-100; scale = mean of answered items unless more than 50% are missing;
psychosocial and total from items) one questionnaire at a time. Both run on the same seeded
data in one run; the results are checked equal before timing counts. Output: JSON with
seconds, throughput and the speed-up ratio.

    python benchmarks/bench_scoring.py [--rows 1000000] [--out benchmarks/results/scoring.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evidence.instruments import get_instrument
from evidence.instruments.pedsql import SCALES, SUMMARIES


def questionnaires(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 5, (rows, 23)).astype(float)
    codes[rng.random(codes.shape) < 0.05] = np.nan
    return pd.DataFrame(codes, columns=[f"item_{i}" for i in range(1, 24)])


def score_row(row: pd.Series) -> pd.Series:
    """The PedsQL rule for one questionnaire, written the obvious way."""
    out = {}
    for name, numbers in {**SCALES, **SUMMARIES}.items():
        answered = [100 - 25 * row[f"item_{i}"] for i in numbers if not np.isnan(row[f"item_{i}"])]
        missing = len(numbers) - len(answered)
        out[name] = sum(answered) / len(answered) if answered and missing <= len(numbers) / 2 else np.nan
    return pd.Series(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=None,
        help="time the row-wise baseline on only the first N rows and scale linearly "
        "(quicker; the result says so); default: all rows",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/scoring.json"))
    args = parser.parse_args()
    pedsql = get_instrument("pedsql")
    items = questionnaires(args.rows)

    start = time.perf_counter()
    vectorised = pedsql.score(items)
    vectorised_seconds = time.perf_counter() - start

    baseline_rows = min(args.baseline_rows or args.rows, args.rows)
    start = time.perf_counter()
    rowwise = items.head(baseline_rows).apply(score_row, axis=1)
    rowwise_seconds = (time.perf_counter() - start) * args.rows / baseline_rows

    pd.testing.assert_frame_equal(
        vectorised.head(baseline_rows)[rowwise.columns], rowwise, check_dtype=False, atol=1e-9
    )
    result = {
        "benchmark": "PedsQL-style scoring",
        "rows": args.rows,
        "baseline": "DataFrame.apply(score_row, axis=1), same rule, same data",
        "baseline_rows_timed": baseline_rows,
        "baseline_extrapolated": baseline_rows < args.rows,
        "vectorised_seconds": round(vectorised_seconds, 3),
        "rowwise_seconds": round(rowwise_seconds, 3),
        "speedup": round(rowwise_seconds / vectorised_seconds, 1),
        "vectorised_rows_per_second": round(args.rows / vectorised_seconds),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
