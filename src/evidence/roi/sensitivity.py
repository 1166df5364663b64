"""Deterministic sensitivity analysis of the ROI model: each parameter moved on its own with
every other at its base value.

* :func:`one_way` varies each parameter over its range (explicit, or the central interval of
  its distribution), all runs in one vectorised evaluation: the table behind the tornado chart
  (Briggs, Claxton & Sculpher 2006, chapter 4).
* :func:`break_even` finds, for chosen parameters, the value at which an output (the net present
  value by default) reaches a target, by bisection run on all the parameters at once.

The probabilistic analysis is in :mod:`evidence.roi.analysis`. All functions are pure; loops run
over parameters or bisection steps, never over draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evidence.errors import EvidenceError
from evidence.roi.analysis import Prepared
from evidence.roi.assumption_set import KIND_BOUNDS, AssumptionSet, ModelInput
from evidence.roi.model import evaluate


def _varied(assumptions: AssumptionSet, level: float) -> list[tuple[ModelInput, tuple[float, float]]]:
    found = []
    for parameter in assumptions.parameters.values():
        spread = parameter.one_way_range(level)
        if spread is not None:
            found.append((parameter, spread))
    return found


def one_way(prepared: Prepared, output: str = "npv", level: float = 0.95) -> pd.DataFrame:
    """One-way sensitivity analysis: each parameter at the low and the high end of its range
    (explicit, or the central ``level`` interval of its distribution) with every other at its
    base value, all 2k runs in one evaluation. Rows sorted by swing (largest first); fixed
    parameters without a range are listed with no values."""
    assumptions = prepared.assumptions
    varied = _varied(assumptions, level)
    base_values = assumptions.values()
    k = len(varied)
    values = {name: np.repeat(v, 2 * k) for name, v in base_values.items()}
    for i, (parameter, (low, high)) in enumerate(varied):
        values[parameter.name] = values[parameter.name].copy()
        values[parameter.name][2 * i : 2 * i + 2] = (low, high)
    results = evaluate(values, prepared.settings).output(output) if k else np.empty(0)
    base = float(evaluate(base_values, prepared.settings).output(output)[0])
    rows = [
        {
            "parameter": p.name,
            "label": p.label,
            "unit": p.unit,
            "value": p.value,
            "low": low,
            "high": high,
            "output_low": float(results[2 * i]),
            "output_high": float(results[2 * i + 1]),
        }
        for i, (p, (low, high)) in enumerate(varied)
    ]
    table = pd.DataFrame(
        rows, columns=["parameter", "label", "unit", "value", "low", "high", "output_low", "output_high"]
    )
    table["swing"] = (table["output_high"] - table["output_low"]).abs()
    table = table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    fixed = [p for p in assumptions.parameters.values() if p.one_way_range(level) is None]
    if fixed:
        table = pd.concat(
            [
                table,
                pd.DataFrame(
                    {
                        "parameter": [p.name for p in fixed],
                        "label": [p.label for p in fixed],
                        "unit": [p.unit for p in fixed],
                        "value": [p.value for p in fixed],
                    }
                ),
            ],
            ignore_index=True,
        )
    table.attrs.update(output=output, base=base)
    return table


def _search_bracket(parameter: ModelInput) -> tuple[float, float]:
    """Where to look for a break-even value: the kind's valid range, or for unbounded kinds a
    generous multiple of the value or range."""
    low, high, exclusive = KIND_BOUNDS[parameter.kind]
    spread = parameter.one_way_range() or (parameter.value, parameter.value)
    scale = max(abs(parameter.value), abs(spread[0]), abs(spread[1]), 1e-9)
    if math.isinf(high):
        high = max(100 * scale, 10 * spread[1])
    elif exclusive:
        high = np.nextafter(high, low)
    if math.isinf(low):
        low = -100 * scale
    return float(low), float(high)


def break_even(
    prepared: Prepared, names: Sequence[str], output: str = "npv", target: float = 0.0, iterations: int = 80
) -> pd.DataFrame:
    """For each parameter in ``names``, the value at which ``output`` equals ``target`` (net
    present value zero by default) with every other parameter at base case, by bisection run
    on all parameters at once. Searched over the parameter's valid range (probabilities 0 to 1;
    costs and quantities 0 to 100 times the value); NaN where the output does not cross the
    target there."""
    assumptions = prepared.assumptions
    unknown = [n for n in names if n not in assumptions.parameters]
    if unknown:
        raise EvidenceError(f"unknown parameter(s) for break-even: {', '.join(unknown)}")
    params = [assumptions.parameters[n] for n in names]
    k = len(params)
    base_values = assumptions.values()
    brackets = np.array([_search_bracket(p) for p in params]).reshape(k, 2)

    def gap(points: np.ndarray) -> np.ndarray:
        values = {name: np.repeat(v, k) for name, v in base_values.items()}
        for i, p in enumerate(params):
            values[p.name] = values[p.name].copy()
            values[p.name][i] = points[i]
        return evaluate(values, prepared.settings).output(output) - target

    low, high = brackets[:, 0].copy(), brackets[:, 1].copy()
    f_low, f_high = gap(low), gap(high)
    crosses = np.sign(f_low) * np.sign(f_high) <= 0
    for _ in range(iterations):
        middle = (low + high) / 2
        f_middle = gap(middle)
        left = np.sign(f_middle) == np.sign(f_low)
        low, f_low = np.where(left, middle, low), np.where(left, f_middle, f_low)
        high = np.where(left, high, middle)
    found = np.where(crosses, (low + high) / 2, np.nan)
    return pd.DataFrame(
        {
            "parameter": [p.name for p in params],
            "label": [p.label for p in params],
            "unit": [p.unit for p in params],
            "value": [p.value for p in params],
            "break_even": found,
            "searched_low": brackets[:, 0],
            "searched_high": brackets[:, 1],
        }
    )
