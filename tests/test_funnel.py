"""Funnel-plot limits and overdispersion: a hand-worked value from Spiegelhalter (2005), and
R fixtures (tests/fixtures/funnel/make_fixture.R: qbinom/pbinom, FunnelPlotR's formulas)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evidence import funnel, outcomes

EXPECTED = json.loads((Path(__file__).parent / "fixtures" / "funnel" / "expected.json").read_text(encoding="utf-8"))


def test_exact_limit_by_hand():
    # Binomial(10, 0.5): P(R <= 1) = 11/1024, P(R <= 2) = 56/1024, so the 2.5% quantile is r = 2 and
    # alpha = (56/1024 - 0.025) / (45/1024) = (56 - 25.6) / 45; the limit is (2 - alpha) / 10
    low, high = funnel.exact_limits(0.5, [10], levels=(0.95,))[0.95]
    assert low[0] == pytest.approx((2 - (56 - 25.6) / 45) / 10, abs=1e-12)
    # P(R <= 7) = 968/1024, P(R <= 8) = 1013/1024: r = 8, alpha = (1013 - 998.4) / 45
    assert high[0] == pytest.approx((8 - (1013 - 998.4) / 45) / 10, abs=1e-12)


@pytest.mark.parametrize("case", EXPECTED["exact"], ids=lambda c: f"p0={c['p0']}-{c['level']}")
def test_exact_limits_match_r(case):
    low, high = outcomes.funnel_limits(case["p0"], case["n"], levels=(case["level"],))[case["level"]]
    np.testing.assert_allclose(low, case["low"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, case["high"], rtol=0, atol=1e-12)


def test_exact_limits_need_whole_numbers():
    with pytest.raises(ValueError, match="whole-number"):
        funnel.exact_limits(0.8, [10.5])


@pytest.mark.parametrize("name", ["overdispersed", "binomial"])
def test_overdispersion_matches_funnelplotr(name):
    case = EXPECTED[name]
    proportion = np.asarray(case["numerator"]) / np.asarray(case["denominator"])
    spread = outcomes.overdispersion(proportion, case["denominator"], case["target"])
    np.testing.assert_allclose(spread.z_unadjusted, case["z"], atol=1e-10)
    np.testing.assert_allclose(spread.z_winsorised, case["z_winsorised"], atol=1e-10)
    assert spread.phi == pytest.approx(case["phi"], abs=1e-10)
    assert spread.tau2 == pytest.approx(case["tau2"], abs=1e-12)
    np.testing.assert_allclose(spread.z_adjusted, case["z_adjusted"], atol=1e-10)
    limits = outcomes.funnel_limits(case["target"], case["limit_n"], tau2=spread.tau2) if spread.tau2 > 0 else None
    if limits is None:
        assert name == "binomial"
        return
    for level, key in [(0.95, "limits_95"), (0.998, "limits_998")]:
        reference = case[key]
        inside = (np.asarray(reference["low_angle"]) >= 0) & (np.asarray(reference["high_angle"]) <= np.pi / 2)
        # FunnelPlotR rounds z to 1.959964 and 3.090232: agreement to ~1e-7
        np.testing.assert_allclose(limits[level][0][inside], np.asarray(reference["low"])[inside], atol=2e-7)
        np.testing.assert_allclose(limits[level][1][inside], np.asarray(reference["high"])[inside], atol=2e-7)
        # past 0 (or pi/2) the arcsine limit folds back; it is drawn at 0 (or 1) instead
        assert np.all(limits[level][0][~inside & (np.asarray(reference["low_angle"]) < 0)] == 0)


def test_tau2_is_used_for_limits_only_when_phi_exceeds_one():
    # k = 4 z-scores of +/-0.9 (no winsorising at these quantiles): phi = 0.81 < 1 but k phi > k - 1
    z = 0.9
    y = np.sin(np.pi / 4 + np.array([-z, z, -z, z]) / 20) ** 2
    spread = outcomes.overdispersion(y, [100] * 4, 0.5)
    assert spread.phi == pytest.approx(0.81)
    assert spread.tau2 == pytest.approx((4 * 0.81 - 3) / 1200) and spread.tau2 > 0
    assert spread.limits_tau2 == 0.0


def test_no_overdispersion_keeps_exact_limits():
    case = EXPECTED["binomial"]
    proportion = np.asarray(case["numerator"]) / np.asarray(case["denominator"])
    spread = outcomes.overdispersion(proportion, case["denominator"], case["target"])
    assert spread.tau2 == 0.0
    np.testing.assert_array_equal(spread.z_adjusted, spread.z_unadjusted)


def test_case_mix_z_uses_the_model_variance():
    # x = 0: 1 of 4 reach the outcome, x = 1: 3 of 4, so the model gives p = 0.25 and 0.75.
    # Service A has two children of each (outcomes 1, 0 and 1, 1): O = 3, E = 2, and
    # sum p(1 - p) = 4 * 0.1875 = 0.75, so z = 1 / sqrt(0.75) = 1.1547 (p0 (1 - p0) / n would give 1.0)
    paired = pd.DataFrame(
        {"service": ["A", "A", "B", "B", "A", "A", "B", "B"], "x": [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]}
    )
    flag = pd.Series([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    table, p0, _ = outcomes.case_mix_comparison(paired, flag, covariates=["x"])
    assert p0 == pytest.approx(0.5)
    np.testing.assert_allclose(table["observed"], [3.0, 1.0])
    np.testing.assert_allclose(table["expected"], [2.0, 2.0], atol=1e-9)
    np.testing.assert_allclose(table["z"], [1 / np.sqrt(0.75), -1 / np.sqrt(0.75)], atol=1e-9)
    np.testing.assert_allclose(table["adjusted_proportion"], [0.75, 0.25], atol=1e-9)
