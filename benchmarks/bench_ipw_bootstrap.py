"""Benchmark: the bootstrap of inverse-probability weighting (the follow-up model refitted in
every resample), batched Newton-Raphson against one statsmodels GLM fit per resample.

Baseline: for each resample, ``statsmodels`` GLM(Binomial) with the resample's multinomial
counts as frequency weights, the obvious way to refit. Both use the same seeded counts on the
same seeded children; the weighted means are checked equal (to 1e-8) before the times count.
Output: JSON with seconds and the speed-up ratio.

    python benchmarks/bench_ipw_bootstrap.py [--children 1400] [--replicates 999]
        [--out benchmarks/results/ipw_bootstrap.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evidence import case_mix


def children(n: int, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "baseline": rng.normal(60, 12, n),
            "age_years": rng.integers(4, 17, n).astype(float),
            "imd_decile": rng.integers(1, 11, n).astype(float),
            "primary_need": pd.Categorical(rng.choice(["ADHD", "Autism", "CP", "DCD", "Other"], n)),
        }
    )
    lp = 0.5 + 0.03 * (data["baseline"] - 60) - 0.05 * (data["age_years"] - 10)
    followed = rng.random(n) < 1 / (1 + np.exp(-lp))
    change = np.where(followed, rng.normal(5, 8, n), np.nan)
    return case_mix.covariate_design(data, list(data.columns)).matrix, followed.to_numpy(), change


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1400)
    parser.add_argument("--replicates", type=int, default=999)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ipw_bootstrap.json"))
    args = parser.parse_args()
    import statsmodels.api as sm

    matrix, followed, change = children(args.children)
    x = matrix.to_numpy()
    n = len(followed)
    counts = np.random.default_rng(2).multinomial(n, np.full(n, 1 / n), size=args.replicates).astype(float)
    values = np.where(followed, change, 0.0)

    start = time.perf_counter()
    p = np.vstack(
        [
            case_mix.weighted_logistic_probabilities(x, followed, counts[i : i + 100])
            for i in range(0, args.replicates, 100)
        ]
    )
    w = np.where(followed, counts / p, 0.0)
    batched = (w * values).sum(axis=1) / w.sum(axis=1)
    batched_seconds = time.perf_counter() - start

    start = time.perf_counter()
    looped = np.empty(args.replicates)
    for b in range(args.replicates):
        fit = sm.GLM(followed.astype(float), x, family=sm.families.Binomial(), freq_weights=counts[b]).fit(tol=1e-12)
        wb = np.where(followed, counts[b] / fit.predict(x), 0.0)
        looped[b] = (wb * values).sum() / wb.sum()
    looped_seconds = time.perf_counter() - start

    if not np.allclose(batched, looped, rtol=0, atol=1e-8):
        raise SystemExit(f"batched and looped bootstrap disagree by {np.abs(batched - looped).max():.2e}")
    result = {
        "benchmark": "ipw_bootstrap",
        "children": n,
        "replicates": args.replicates,
        "batched_newton_seconds": round(batched_seconds, 3),
        "statsmodels_per_resample_seconds": round(looped_seconds, 3),
        "speed_up": round(looped_seconds / batched_seconds, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
