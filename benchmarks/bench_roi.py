"""Benchmark: the ROI model on many probabilistic draws, vectorised against per-draw loops.

The vectorised run is :func:`evidence.roi.evaluate` on all draws at once. Two baselines run on
the same draws in the same process:

* ``loop_same_model``: a Python loop calling the same :func:`evidence.roi.evaluate` on one
  draw at a time (the same model, per draw);
* ``loop_plain_python``: a loop over draws of :func:`evaluate_one`, the model written the
  obvious way in plain Python (``math``, no numpy), an independent transcription of the model
  that also checks it.

All three must agree on every output before the timings count. Parameter sampling (one
vectorised call per parameter) is timed separately and shared. Output: JSON with seconds,
draws per second and speed-up ratios.

    python benchmarks/bench_roi.py [--draws 100000] [--baseline-draws N] [--out benchmarks/results/roi.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np

from evidence.roi import OUTPUTS, evaluate, load_assumptions
from evidence.roi.model import BANDS, STREAM_PARAMETERS, ModelSettings, stream_parameter
from evidence.roi.present_value import DiscountSchedule


def _factor(year: float, rate: float, schedule: DiscountSchedule) -> float:
    """Discount factor for one year, multiplying year by year through the schedule."""
    factor = 1.0
    for y in range(1, int(year) + 1):
        ratio = schedule.ratios[0]
        for start, r in zip(schedule.starts, schedule.ratios, strict=True):
            if y >= start:
                ratio = r
        factor /= 1.0 + rate * ratio
    return factor


def evaluate_one(p: dict[str, float], settings: ModelSettings) -> dict[str, float]:
    """The ROI model for one draw, in plain Python: same definitions as
    :func:`evidence.roi.evaluate` (see its module docstring), written without numpy."""
    horizon = settings.horizon_years
    staff = 0.0
    for b in BANDS:  # PSSRU: total annual cost (excluding qualifications) / working hours per year
        annual = (
            p[f"staff.salary_{b}"]
            + p[f"staff.on_costs_{b}"]
            + p[f"staff.management_overheads_{b}"]
            + p[f"staff.non_staff_overheads_{b}"]
            + p["staff.capital_overheads"]
        )
        staff += p[f"staff.hours_{b}"] * annual / p["staff.working_hours"]
    before = staff + p["costs.training_per_child"] + p["costs.equipment_share"] * p["costs.equipment_unit_cost"]
    intervention = before * (1 + p["costs.optimism_bias"])
    incremental = intervention - p["comparator.cost_per_child"]
    sign = 1.0 if settings.higher_is_better else -1.0
    gain = sign * (p["outcome.change"] - p["comparator.outcome_change"]) * p["utility.per_point"]
    follow_up = min(max(p["outcome.years_to_follow_up"], 0.0), 1.0)
    qalys, avoided, in_perspective = 0.0, 0.0, 0.0
    yearly = []
    for t in range(1, horizon + 1):
        year = t if settings.discount_first_year else t - 1
        shape = 1 - follow_up / 2 if t == 1 else (1 - p["qaly.drop_off"]) ** (t - 1)
        q = gain * shape * _factor(year, p["discount.health_rate"], settings.health_schedule)
        qalys += q
        benefit = p["qaly.value"] * q
        for stream in settings.streams:
            s = {k: p[stream_parameter(stream, k)] for k in STREAM_PARAMETERS}
            lasting = min(max(s["duration_years"] - (t - 1), 0.0), 1.0)
            value = (
                s["quantity"]
                * s["unit_value"]
                * (1 - s["deadweight"])
                * (1 - s["attribution"])
                * (1 - s["displacement"])
                * (1 - s["drop_off"]) ** (t - 1)
                * lasting
                * _factor(year, p["discount.standard_rate"], settings.standard_schedule)
            )
            benefit += value
            avoided += value
            if stream in settings.perspective_streams:
                in_perspective += value
        yearly.append(benefit)
    benefits = sum(yearly)
    npv = benefits - incremental
    net_cost = incremental - in_perspective
    payback = math.nan
    if incremental <= 0:
        payback = 0.0
    else:
        running = 0.0
        for t, benefit in enumerate(yearly, start=1):
            running += benefit
            if running >= incremental:
                payback = float(t)
                break
    positive = incremental > 0
    return {
        "intervention_cost": intervention,
        "comparator_cost": p["comparator.cost_per_child"],
        "incremental_cost": incremental,
        "qalys": qalys,
        "qaly_value": p["qaly.value"] * qalys,
        "avoided_costs": avoided,
        "benefits": benefits,
        "npv": npv,
        "bcr": benefits / incremental if positive else math.nan,
        "roi": npv / incremental if positive else math.nan,
        "cost_per_qaly": incremental / qalys if qalys > 0 else math.nan,
        "icer": net_cost / qalys if qalys > 0 else math.nan,
        "nmb": p["qaly.value"] * qalys - net_cost,
        "payback_year": payback,
    }


def _best_of(repeats: int, run) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument(
        "--baseline-draws",
        type=int,
        default=None,
        help="time the per-draw loops on only the first N draws and scale linearly (quicker; the "
        "result says so); default: all draws",
    )
    parser.add_argument("--assumptions", default="config/roi/children_ot_waiting_list.yml")
    parser.add_argument("--intervention", default="Specialist")
    parser.add_argument("--horizon", type=int, default=None, help="years (default: the assumption set's)")
    parser.add_argument("--seed", type=int, default=20250401)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/roi.json"))
    args = parser.parse_args()

    assumptions = load_assumptions(args.assumptions).for_intervention(args.intervention)
    settings = assumptions.settings(args.horizon)
    rng = np.random.default_rng(args.seed)
    sampling_seconds, draws = _best_of(1, lambda: assumptions.draw(args.draws, rng))
    vector_seconds, vectorised = _best_of(3, lambda: evaluate(draws, settings))

    m = min(args.baseline_draws or args.draws, args.draws)
    names = list(draws)

    def loop_same():
        return [evaluate({k: draws[k][i : i + 1] for k in names}, settings) for i in range(m)]

    def loop_plain():
        columns = {k: draws[k][:m].tolist() for k in names}
        return [evaluate_one({k: columns[k][i] for k in names}, settings) for i in range(m)]

    same_seconds, same = _best_of(1, loop_same)
    plain_seconds, plain = _best_of(1, loop_plain)
    for name in OUTPUTS:
        expected = vectorised.output(name)[:m]
        np.testing.assert_allclose(
            np.concatenate([r.output(name) for r in same]), expected, rtol=1e-12, equal_nan=True, err_msg=name
        )
        np.testing.assert_allclose(
            np.array([r[name] for r in plain]), expected, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=name
        )
    scale = args.draws / m
    same_seconds, plain_seconds = same_seconds * scale, plain_seconds * scale
    result = {
        "benchmark": "ROI model, probabilistic sensitivity analysis",
        "draws": args.draws,
        "assumptions": args.assumptions,
        "intervention": args.intervention,
        "horizon_years": settings.horizon_years,
        "streams": len(settings.streams),
        "parameters": len(names),
        "baseline_draws_timed": m,
        "baseline_extrapolated": m < args.draws,
        "sampling_seconds": round(sampling_seconds, 4),
        "vectorised_seconds": round(vector_seconds, 4),
        "loop_same_model_seconds": round(same_seconds, 3),
        "loop_plain_python_seconds": round(plain_seconds, 3),
        "speedup_vs_loop_same_model": round(same_seconds / vector_seconds, 1),
        "speedup_vs_loop_plain_python": round(plain_seconds / vector_seconds, 1),
        "speedup_including_sampling_vs_loop_same_model": round(
            (same_seconds + sampling_seconds) / (vector_seconds + sampling_seconds), 1
        ),
        "vectorised_draws_per_second": round(args.draws / vector_seconds),
        "outputs_checked_equal": sorted(OUTPUTS),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
