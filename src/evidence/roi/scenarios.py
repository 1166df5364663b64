"""Scenarios of the ROI model: the probabilistic analysis rerun for each tier, horizon or
labelled scenario of the assumption set, on common random numbers (the same seed for each run),
so that the rows differ by what was changed rather than by simulation noise.

* :func:`tier_scenarios`: each tier with its own records and overrides.
* :func:`horizon_scenarios`: the prepared model at other horizons.
* :func:`scenario_analysis`: the base case and each scenario of the assumption set.

Each row gives expected values from the PSA (:func:`evidence.roi.analysis.expected_values`) with
their intervals and the base case beside them. Loops run over scenarios, never over draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from evidence.disclosure import DisclosureRule
from evidence.roi.analysis import Prepared, analyse, expected_values, interval, prepare
from evidence.roi.assumption_set import AssumptionSet
from evidence.roi.records import DEFAULT_RULE, TIERS


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
