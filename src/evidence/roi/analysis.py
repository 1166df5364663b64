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
* :func:`acceptability_curve` gives the probability that the intervention is cost-effective
  at each threshold (van Hout et al. 1994, Health Econ 3:309-319; Fenwick et al. 2001, Health
  Econ 10:779-787).

The one-way analysis and break-even values (the tornado) are in :mod:`evidence.roi.sensitivity`;
the analysis rerun for each tier, horizon or scenario is in :mod:`evidence.roi.scenarios`.

All functions are pure; loops run over parameters or thresholds, never over draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evidence.disclosure import DisclosureRule
from evidence.roi.assumption_set import AssumptionSet
from evidence.roi.model import OUTPUTS, ModelResults, ModelSettings, evaluate
from evidence.roi.records import DEFAULT_RULE, CohortInputs, cohort_inputs
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
