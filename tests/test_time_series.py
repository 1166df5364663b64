"""Interrupted time series against R (tests/fixtures/time_series/make_fixture.R): lm, lmtest's
Breusch-Godfrey and Durbin-Watson, nlme::gls with corAR1 (REML), sandwich's Newey-West."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evidence import outcomes, time_series

FIXTURES = Path(__file__).parent / "fixtures" / "time_series"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))


def fit(name: str, model: str) -> outcomes.SegmentedRegression:
    case = EXPECTED[name]
    series = pd.read_csv(FIXTURES / case["file"], parse_dates=["month"])
    return outcomes.segmented_regression(
        series, case["intervention"], transition_months=case["transition_months"], model=model
    )


def estimates(its: outcomes.SegmentedRegression) -> np.ndarray:
    return np.array([its.baseline_level, its.pre_slope, its.level_change, its.slope_change])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_autocorrelation_tests_match_lmtest(name):
    case = EXPECTED[name]
    series = pd.read_csv(FIXTURES / case["file"], parse_dates=["month"])
    one = outcomes.segmented_regression(series, case["intervention"], transition_months=case["transition_months"])
    three = outcomes.segmented_regression(
        series, case["intervention"], transition_months=case["transition_months"], autocorrelation_lags=3
    )
    assert one.months_before + one.months_after == case["n"]
    assert one.breusch_godfrey_p == pytest.approx(case["breusch_godfrey_1"]["p"], abs=1e-10)
    assert three.breusch_godfrey_p == pytest.approx(case["breusch_godfrey_3"]["p"], abs=1e-10)
    assert one.durbin_watson == pytest.approx(case["durbin_watson"], abs=1e-10)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ols_matches_lm(name):
    ols = EXPECTED[name]["ols"]
    result = estimates(fit(name, "ols"))
    np.testing.assert_allclose(result[:, 0], ols["coef"], atol=1e-9)
    np.testing.assert_allclose(result[:, 1:], ols["ci"], atol=1e-9)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_gls_ar1_matches_nlme_reml(name):
    reference = EXPECTED[name]["gls_reml"]
    its = fit(name, "gls-ar1")
    # nlme's optimiser stops at its own tolerance: agreement to ~1e-7 on phi
    assert its.ar1_phi == pytest.approx(reference["phi"], abs=1e-6)
    result = estimates(its)
    np.testing.assert_allclose(result[:, 0], reference["coef"], atol=1e-6)
    np.testing.assert_allclose(result[:, 1:], reference["ci"], atol=1e-6)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_newey_west_matches_sandwich_with_adjustment_and_t(name):
    reference = EXPECTED[name]["newey_west"]
    its = fit(name, "newey-west")
    np.testing.assert_allclose(estimates(its)[:, 1:], reference["ci"], atol=1e-9)


def test_auto_chooses_by_the_breusch_godfrey_test():
    westvale = fit("westvale", "auto")  # no autocorrelation (p 0.07): OLS
    assert westvale.model == "ols"
    np.testing.assert_allclose(estimates(westvale)[:, 1:], EXPECTED["westvale"]["ols"]["ci"], atol=1e-9)
    simulated = fit("ar1", "auto")  # AR(1) errors, p 0.011: GLS
    assert simulated.model == "gls-ar1"
    assert "autocorrelated" in outcomes.describe_its(simulated, EXPECTED["ar1"]["intervention"])
    assert "no evidence of autocorrelation" in outcomes.describe_its(westvale, EXPECTED["westvale"]["intervention"])


def test_statsmodels_glsar_is_not_the_nlme_fit():
    # GLSAR's iterative fit drops the first point and treats the months as evenly spaced (the
    # left-out months are gaps): its estimates are not nlme's REML ones, which ours reproduce
    import statsmodels.api as sm

    case = EXPECTED["ar1"]
    series = pd.read_csv(FIXTURES / case["file"], parse_dates=["month"]).dropna()
    first, start = series["month"].iloc[0], pd.Timestamp(case["intervention"])
    months = (series["month"].dt.year - first.year) * 12 + series["month"].dt.month - first.month
    series = series[months.isin(case["t"])]
    t = np.asarray(case["t"], dtype=float)
    t0 = (start.year - first.year) * 12 + start.month - first.month
    post = (t >= t0).astype(float)
    design = np.column_stack([np.ones_like(t), t, post, (t - t0) * post])
    glsar = sm.GLSAR(series["median_weeks"].to_numpy(), design, rho=1).iterative_fit(maxiter=100)
    ours = estimates(fit("ar1", "gls-ar1"))[:, 0]
    gap_glsar = np.abs(glsar.params - case["gls_reml"]["coef"]).max()
    gap_ours = np.abs(ours - case["gls_reml"]["coef"]).max()
    assert gap_glsar > 1e-3 > 1e-6 > gap_ours


def test_newey_west_covariance_by_hand():
    # one regressor, lag 1: meat = sum u^2 + (1 - 1/2) * 2 * sum u_t u_{t-1}, with u = x e
    x = np.array([[1.0], [1.0], [1.0], [1.0]])
    e = np.array([1.0, -1.0, 2.0, -2.0])
    cov = time_series.newey_west_covariance(x, e, 1)
    meat = 10 + (-1 - 2 - 4)
    assert cov[0, 0] == pytest.approx(meat / 16 * 4 / 3)
