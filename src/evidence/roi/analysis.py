"""Deterministic and probabilistic analysis of the ROI model.

* :func:`prepare` puts an assumption set together with an intervention's records and the
  report's choices (horizon, discount rates) into a :class:`Prepared` model.
* :func:`analyse` runs the deterministic base case and a probabilistic sensitivity analysis
  (PSA): every parameter drawn from its distribution with a seeded ``numpy.random.Generator``,
  the model evaluated on all draws at once (Briggs, Claxton & Sculpher 2006, chapter 4).
* :func:`expected_values` gives the headline figures: the expected value of each output over
  the PSA. The model is non-linear (products of uncertain inputs, a ratio to the cost), so the
  base case, which puts every input at its mean, is not the expected result; reports headline
  the expected value and show the base case beside it (Briggs, Claxton & Sculpher 2006,
  chapter 4). Ratios are ratios of expected values (e.g. expected benefits / expected cost),
  which agree with the expected net present value (the ratio exceeds 1 exactly when the
  expected NPV is positive) and, unlike a mean of per-draw ratios, stay defined when some
  draws have no cost to divide by.
* :func:`one_way` varies each parameter over its range with the others at base case (the
  tornado); :func:`break_even` finds, for chosen parameters, the value at which the net present
  value is zero; :func:`acceptability_curve` gives the probability that the intervention is
  cost-effective at each threshold (van Hout et al. 1994, Health Econ 3:309-319; Fenwick et al.
  2001, Health Econ 10:779-787).

All functions are pure; loops run over parameters, thresholds or scenarios, never over draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from evidence.disclosure import DisclosureRule
from evidence.errors import EvidenceError
from evidence.roi.assumption_set import KIND_BOUNDS, AssumptionSet, ModelInput
from evidence.roi.model import OUTPUTS, ModelResults, ModelSettings, evaluate
from evidence.roi.records import DEFAULT_RULE, TIERS, CohortInputs, cohort_inputs
from evidence.scale_defaults import scale_defaults


@dataclass(frozen=True)
class Prepared:
    """An assumption set as used for one intervention (overrides, records and report values
    applied), its model settings and, when records were used, the cohort they describe."""

    intervention: str
    assumptions: AssumptionSet
    settings: ModelSettings
    cohort: CohortInputs | None

    @property
    def children(self) -> int | None:
        return None if self.cohort is None else self.cohort.children


def prepare(
    assumptions: AssumptionSet,
    intervention: str,
    tables: dict[str, pd.DataFrame] | None = None,
    start: str | None = None,
    end: str | None = None,
    horizon_years: int | None = None,
    discount_rates: dict[str, float] | None = None,
    rule: DisclosureRule = DEFAULT_RULE,
) -> Prepared:
    """The model for ``intervention``: the set's overrides for it, then the means from its
    records (``tables`` from :func:`evidence.ingest.load_outcomes`; without them the set's own
    values are used), then ``discount_rates`` (``{"standard": r, "health": r}``) given by the
    report, and ``horizon_years`` (default: the set's)."""
    used = assumptions.for_intervention(intervention)
    cohort = None
    if tables is not None:
        cohort = cohort_inputs(
            tables["episodes"], tables["scores"], intervention, used.instrument, used.scale, start, end, rule
        )
        used = used.with_parameters(cohort.parameters)
    if discount_rates:
        used = used.with_values(
            {f"discount.{k}_rate": v for k, v in discount_rates.items()}, "Discount rate set by the report's parameters"
        )
    higher_is_better = scale_defaults(used.instrument, used.scale).higher_is_better
    return Prepared(intervention, used, used.settings(horizon_years, higher_is_better), cohort)


@dataclass(frozen=True)
class Analysis:
    """Base case and PSA of one prepared model: ``draws`` holds the sampled parameters."""

    prepared: Prepared
    base: ModelResults
    draws: dict[str, np.ndarray]
    psa: ModelResults

    @property
    def n_draws(self) -> int:
        return self.psa.draws


def analyse(prepared: Prepared, n_draws: int, rng: np.random.Generator) -> Analysis:
    """Deterministic base case and ``n_draws`` probabilistic draws, evaluated in one call."""
    base = evaluate(prepared.assumptions.values(), prepared.settings)
    draws = prepared.assumptions.draw(n_draws, rng)
    return Analysis(prepared, base, draws, evaluate(draws, prepared.settings))


def _ratio_of_means(numerator: np.ndarray, denominator: np.ndarray) -> float:
    """mean(numerator) / mean(denominator) if the mean denominator is positive, else NaN."""
    bottom = float(np.mean(denominator))
    return float(np.mean(numerator)) / bottom if bottom > 0 else math.nan


def expected_values(results: ModelResults) -> dict[str, float]:
    """The expected value of every output over the draws in ``results`` (the PSA): the mean of
    each amount (costs, QALYs, benefits, NPV, net monetary benefit) and, for each ratio, the
    ratio of the means: benefit-cost ratio = E[benefits] / E[incremental cost], return on
    investment = E[NPV] / E[incremental cost], cost per QALY = E[incremental cost] / E[QALYs],
    ICER = E[net cost] / E[QALYs]; the payback year is the first year in which the expected
    cumulative benefits reach the expected cost. On one draw (the base case) these are the
    model's own outputs."""
    cost = results.incremental_cost
    out = {
        name: float(np.mean(results.output(name)))
        for name in (
            "intervention_cost",
            "comparator_cost",
            "incremental_cost",
            "qalys",
            "qaly_value",
            "avoided_costs",
            "benefits",
            "npv",
            "nmb",
        )
    }
    out["bcr"] = _ratio_of_means(results.benefits, cost)
    out["roi"] = _ratio_of_means(results.npv, cost)
    out["cost_per_qaly"] = _ratio_of_means(cost, results.qalys)
    out["icer"] = _ratio_of_means(results.net_cost(), results.qalys)
    mean_cost = out["incremental_cost"]
    reached = np.cumsum(results.benefits_by_year.mean(axis=0)) >= mean_cost
    out["payback_year"] = 0.0 if mean_cost <= 0 else (float(np.argmax(reached) + 1) if reached.any() else math.nan)
    return {name: out[name] for name in OUTPUTS}


#: For each ratio output, its numerator and denominator as functions of the results.
_RATIOS = {
    "bcr": (lambda r: r.benefits, lambda r: r.incremental_cost),
    "roi": (lambda r: r.npv, lambda r: r.incremental_cost),
    "cost_per_qaly": (lambda r: r.incremental_cost, lambda r: r.qalys),
    "icer": (lambda r: r.net_cost(), lambda r: r.qalys),
}


def monte_carlo_se(results: ModelResults, name: str) -> float:
    """Monte Carlo standard error of an output's expected value: SD / sqrt(draws) for an
    amount; for a ratio of means a / b, by the delta method, SD(a - ratio x b) / sqrt(draws) /
    mean(b). NaN for the payback year and on fewer than two draws."""
    n = results.draws
    if name == "payback_year" or n < 2:
        return math.nan
    if name in _RATIOS:
        top, bottom = (f(results) for f in _RATIOS[name])
        ratio = _ratio_of_means(top, bottom)
        if math.isnan(ratio):
            return math.nan
        return float(np.std(top - ratio * bottom, ddof=1) / math.sqrt(n) / np.mean(bottom))
    return float(np.std(results.output(name), ddof=1) / math.sqrt(n))


def interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Central percentile interval of the defined (non-NaN) draws; NaN if none."""
    defined = x[~np.isnan(x)]
    if defined.size == 0:
        return math.nan, math.nan
    low, high = np.quantile(defined, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def summary_table(analysis: Analysis, level: float = 0.95, outputs: Sequence[str] | None = None) -> pd.DataFrame:
    """Every output: the expected value from the PSA (:func:`expected_values`) with its Monte
    Carlo standard error, the central ``level`` interval of the draws, the deterministic base
    case beside them, and the share of draws on which the output is defined (ratios are
    undefined where the denominator is not positive; the payback year where the intervention
    does not pay back within the horizon)."""
    expected = expected_values(analysis.psa)
    rows = []
    for name in outputs or OUTPUTS:
        label, unit = OUTPUTS[name]
        draws = analysis.psa.output(name)
        low, high = interval(draws, level)
        rows.append(
            {
                "output": name,
                "label": label,
                "unit": unit,
                "expected": expected[name],
                "mc_se": monte_carlo_se(analysis.psa, name),
                "low": low,
                "high": high,
                "base": float(analysis.base.output(name)[0]),
                "defined": float(np.mean(~np.isnan(draws))),
            }
        )
    return pd.DataFrame(rows)


def probabilities(analysis: Analysis) -> dict[str, float]:
    """Headline probabilities over the PSA draws: benefits exceed costs (NPV > 0, i.e. a
    benefit-cost ratio above 1), net return above £1 per £1 (ROI > 1), QALYs gained, and
    payback within the horizon."""
    psa = analysis.psa
    return {
        "npv_positive": float(np.mean(psa.npv > 0)),
        "roi_above_1": float(np.mean(psa.roi > 1)),
        "qalys_gained": float(np.mean(psa.qalys > 0)),
        "pays_back": float(np.mean(~np.isnan(psa.payback_year))),
    }


def cumulative_benefits(analysis: Analysis, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative discounted benefits per child at the end of each year: the expected value
    over the simulations and their central ``level`` interval (pounds), for a payback chart
    (with the expected cost, it gives the expected payback year of :func:`expected_values`)."""
    draws = np.cumsum(analysis.psa.benefits_by_year, axis=1)
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return draws.mean(axis=0), low, high


def acceptability_curve(qalys, net_costs, thresholds) -> np.ndarray:
    """Probability that the intervention is cost-effective at each threshold (pounds per QALY):
    the share of draws with net monetary benefit threshold x QALYs - net cost > 0. Computed by
    sorting the draws' cost/QALY ratios once (O(n log n)) rather than forming the
    draws x thresholds matrix: for QALYs > 0 the draw is cost-effective above its ratio, for
    QALYs < 0 below it, and with no QALY change only if it saves money."""
    q = np.asarray(qalys, dtype=float)
    c = np.asarray(net_costs, dtype=float)
    lam = np.asarray(thresholds, dtype=float)
    if q.shape != c.shape or q.size == 0:
        raise ValueError("qalys and net_costs must be non-empty arrays of one shape")
    gain, loss = q > 0, q < 0
    above = np.sort(c[gain] / q[gain])
    below = np.sort(c[loss] / q[loss])
    count = (
        np.searchsorted(above, lam, side="left")
        + below.size
        - np.searchsorted(below, lam, side="right")
        + np.count_nonzero(c[~gain & ~loss] < 0)
    )
    return count / q.size


def threshold_table(analysis: Analysis, thresholds: Sequence[float], level: float = 0.95) -> pd.DataFrame:
    """At each threshold (pounds per QALY): the expected benefit-cost ratio (E[threshold x
    QALYs + avoided costs] / E[cost]) and expected net monetary benefit per child with the
    interval of the draws, the base case of each beside them, and the probability of being
    cost-effective (the acceptability curve at that threshold)."""
    base, psa = analysis.base, analysis.psa
    ceac = acceptability_curve(psa.qalys, psa.net_cost(), thresholds)
    rows = []
    for threshold, probability in zip(thresholds, ceac, strict=True):
        bcr, nmb = psa.bcr_at(threshold), psa.nmb_at(threshold)
        rows.append(
            {
                "threshold": float(threshold),
                "bcr": _ratio_of_means(threshold * psa.qalys + psa.avoided_costs, psa.incremental_cost),
                "bcr_low": interval(bcr, level)[0],
                "bcr_high": interval(bcr, level)[1],
                "bcr_base": float(base.bcr_at(threshold)[0]),
                "nmb": float(np.mean(nmb)),
                "nmb_low": interval(nmb, level)[0],
                "nmb_high": interval(nmb, level)[1],
                "nmb_base": float(base.nmb_at(threshold)[0]),
                "p_cost_effective": float(probability),
            }
        )
    return pd.DataFrame(rows)


def expected_icer(analysis: Analysis) -> tuple[float, float]:
    """(expected ICER, base-case ICER), pounds per QALY. Above the expected ICER the expected
    net monetary benefit is positive, so it is the threshold at which the decision from the
    expected values changes, the point to mark on the acceptability curve (Fenwick, Claxton &
    Sculpher 2001, Health Econ 10:779-787); NaN without an expected QALY gain."""
    return expected_values(analysis.psa)["icer"], float(analysis.base.icer[0])


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


def tier_scenarios(
    assumptions: AssumptionSet,
    tables: dict[str, pd.DataFrame],
    n_draws: int,
    seed: int,
    start: str | None = None,
    end: str | None = None,
    horizon_years: int | None = None,
    discount_rates: dict[str, float] | None = None,
    rule: DisclosureRule = DEFAULT_RULE,
    level: float = 0.95,
    tiers: Sequence[str] = TIERS,
) -> pd.DataFrame:
    """The analysis for each tier (its records and overrides), with the same seed for each so
    the tiers are compared on common random numbers: children, cost per child, QALYs, benefit-
    cost ratio and NPV per child (expected value from the PSA, its interval, and the base case
    beside it) and the probability that benefits exceed costs. ``n`` is the number of completed
    episodes (for disclosure control)."""
    rows = []
    for tier in tiers:
        prepared = prepare(assumptions, tier, tables, start, end, horizon_years, discount_rates, rule)
        result = analyse(prepared, n_draws, np.random.default_rng(seed))
        psa, base = result.psa, result.base
        expected = expected_values(psa)
        rows.append(
            {
                "tier": tier,
                "n": prepared.children,
                "cost": expected["incremental_cost"],
                "qalys": expected["qalys"],
                "bcr": expected["bcr"],
                "bcr_low": interval(psa.bcr, level)[0],
                "bcr_high": interval(psa.bcr, level)[1],
                "bcr_base": float(base.bcr[0]),
                "npv": expected["npv"],
                "npv_low": interval(psa.npv, level)[0],
                "npv_high": interval(psa.npv, level)[1],
                "npv_base": float(base.npv[0]),
                "p_npv_positive": float(np.mean(psa.npv > 0)),
            }
        )
    return pd.DataFrame(rows)


def horizon_scenarios(
    prepared: Prepared, horizons: Sequence[int], n_draws: int, seed: int, level: float = 0.95
) -> pd.DataFrame:
    """The analysis at other horizons (same draws for each: the seed is reused): expected values
    from the PSA, with the base case beside them."""
    rows = []
    for horizon in horizons:
        other = replace(prepared, settings=replace(prepared.settings, horizon_years=int(horizon)))
        result = analyse(other, n_draws, np.random.default_rng(seed))
        expected = expected_values(result.psa)
        rows.append(
            {
                "horizon": int(horizon),
                "bcr": expected["bcr"],
                "bcr_base": float(result.base.bcr[0]),
                "bcr_low": interval(result.psa.bcr, level)[0],
                "bcr_high": interval(result.psa.bcr, level)[1],
                "npv": expected["npv"],
                "npv_base": float(result.base.npv[0]),
                "p_npv_positive": float(np.mean(result.psa.npv > 0)),
            }
        )
    return pd.DataFrame(rows)


def scenario_analysis(prepared: Prepared, n_draws: int, seed: int, level: float = 0.95) -> pd.DataFrame:
    """The base case and each labelled scenario of the assumption set (its entries replacing
    the base case's), all on the same seed: expected benefit-cost ratio with its interval and
    base case, expected NPV per child with its base case, and the chance benefits exceed costs.
    Scenarios hold figures that may not enter the base case (e.g. one with no stated price
    year); they are reported beside it."""
    rows = []
    options: list[tuple[str | None, str, str]] = [(None, "Base case assumptions", "The assumption set as it is.")]
    options += [(name, s.label, s.description) for name, s in prepared.assumptions.scenarios.items()]
    for name, label, description in options:
        used = prepared if name is None else replace(prepared, assumptions=prepared.assumptions.with_scenario(name))
        result = analyse(used, n_draws, np.random.default_rng(seed))
        expected = expected_values(result.psa)
        rows.append(
            {
                "scenario": name or "base",
                "label": label,
                "description": description,
                "bcr": expected["bcr"],
                "bcr_low": interval(result.psa.bcr, level)[0],
                "bcr_high": interval(result.psa.bcr, level)[1],
                "bcr_base": float(result.base.bcr[0]),
                "npv": expected["npv"],
                "npv_base": float(result.base.npv[0]),
                "p_npv_positive": float(np.mean(result.psa.npv > 0)),
            }
        )
    return pd.DataFrame(rows)
