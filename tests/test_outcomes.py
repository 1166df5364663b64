"""Outcome statistics: worked values from the methods' papers and hand-computed examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from evidence import outcomes
from evidence.errors import EvidenceError


def test_reliable_change_index_worked_value():
    assert outcomes.reliable_change_index(30, 18, sd=10, reliability=0.85) == pytest.approx(-2.19, abs=0.005)
    with pytest.raises(ValueError):
        outcomes.reliable_change_index(1, 2, sd=10, reliability=1.0)


def test_funnel_limits_worked_value():
    limits = outcomes.funnel_limits(0.85, 100)
    # exact binomial, interpolated (R: qbinom and pbinom as in tests/fixtures/funnel); the normal approximation
    # 0.85 -/+ 1.96 sqrt(0.85 * 0.15 / 100) would give 0.780 and 0.920
    assert limits[0.95][0] == pytest.approx(0.7716677971, abs=1e-10)
    assert limits[0.95][1] == pytest.approx(0.9116169893, abs=1e-10)
    wide = outcomes.funnel_limits(0.85, 100, tau2=0.01)
    # arcsine scale: asin(sqrt(0.85)) + 1.96 sqrt(1/400 + 0.01), squared sine
    assert wide[0.95][1] == pytest.approx(np.sin(np.arcsin(np.sqrt(0.85)) + 1.959964 * np.sqrt(0.0125)) ** 2, abs=1e-6)


def test_overdispersion_by_hand():
    # four units of n = 100 around p0 = 0.5: s = 1 / (2 sqrt(100)), z = 20 (asin(sqrt(y)) - pi/4)
    y = np.array([0.4, 0.6, 0.4, 0.6])
    spread = outcomes.overdispersion(y, [100] * 4, 0.5)
    a = 20 * (np.arcsin(np.sqrt(0.6)) - np.pi / 4)
    np.testing.assert_allclose(spread.z_unadjusted, [-a, a, -a, a])
    # quantiles of (-a, -a, a, a) at 0.1 and 0.9: -a and a (the two lowest are equal)
    assert spread.phi == pytest.approx(a**2)
    # DerSimonian-Laird: w = 400 each, (k phi - (k - 1)) / (sum w - sum w^2 / sum w) = (4a^2 - 3) / 1200
    assert spread.tau2 == pytest.approx((4 * a**2 - 3) / 1200)


def test_hedges_exact_correction():
    # J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)); m = 3: Gamma(1.5) / (sqrt(1.5) Gamma(1)) = 0.72360
    assert outcomes.hedges_correction(3) == pytest.approx(special.gamma(1.5) / np.sqrt(1.5), rel=1e-12)
    assert outcomes.hedges_correction(10) == pytest.approx(0.92274, abs=1e-5)
    assert outcomes.hedges_correction(10) != pytest.approx(1 - 3 / (4 * 10 - 1), abs=1e-5)


def test_change_summary_by_hand():
    paired = pd.DataFrame({"baseline": [10.0, 12, 14, 16], "follow_up": [13.0, 14, 18, 19]})
    s = outcomes.change_summary(paired)
    # changes 3, 2, 4, 3: mean 3, SD sqrt(2/3) = 0.8165; t(0.975, 3) = 3.1824
    assert s.n == 4 and s.mean_change == 3.0
    assert s.change_ci == pytest.approx((3 - 3.18245 * 0.816497 / 2, 3 + 3.18245 * 0.816497 / 2), abs=1e-4)
    assert s.srm == pytest.approx(3 / 0.816497, rel=1e-5)
    # g = J(3) * 3 / SD(baseline) = 0.723601 * 3 / 2.581989 = 0.840755
    assert s.hedges_g == pytest.approx(0.840755, abs=1e-5)
    # r = 22 / sqrt(20 * 26) = 0.964764; var = 2(1 - r)/4 + g^2/8
    se = np.sqrt(2 * (1 - 0.964764) / 4 + 0.840755**2 / 8)
    assert s.hedges_g_ci == pytest.approx((0.840755 - 1.959964 * se, 0.840755 + 1.959964 * se), abs=1e-4)


def test_classify_change():
    before = np.array([30, 30, 30, 30, 30, np.nan])
    after = np.array([18, 28, 42, 10, 45, 20])
    # sd 10, r 0.85: S_diff 5.477; lower is better with cut-off 20
    got = outcomes.classify_change(before, after, 10, 0.85, higher_is_better=False, cutoff=20)
    assert list(got[:5]) == ["Recovered", "Unchanged", "Deteriorated", "Recovered", "Deteriorated"]
    assert pd.isna(got[5])
    no_cutoff = outcomes.classify_change(before, after, 10, 0.85, higher_is_better=False)
    assert list(no_cutoff[:5]) == ["Improved", "Unchanged", "Deteriorated", "Improved", "Deteriorated"]
    # higher is better: -10 is within measurement error (RCI -1.83), -12 is not (RCI -2.19)
    up = outcomes.classify_change([50, 50], [40, 38], 10, 0.85, higher_is_better=True)
    assert list(up) == ["Unchanged", "Deteriorated"]


def test_meaningful_change_and_proportions():
    flags = pd.Series(outcomes.meaningful_change([5, 4.4, -6, np.nan], 4.5, True))
    assert flags.tolist()[:3] == [1.0, 0.0, 0.0] and np.isnan(flags.iloc[3])
    down = outcomes.meaningful_change([-5, 5], 4.5, higher_is_better=False)
    assert down.tolist() == [1.0, 0.0]
    table = outcomes.flag_proportion_table(pd.Series([1, 0, 1, np.nan]), pd.Series(["a", "a", "b", "b"], name="g"))
    assert table.to_dict("list")["n"] == [2, 1] and table["proportion"].tolist() == [0.5, 1.0]


def test_ipw_recovers_the_full_sample_mean_when_follow_up_depends_on_a_covariate():
    # stratum x=0: change 1, 90 of 100 followed up; x=1: change 5, 30 of 100 followed up
    x = np.repeat([0.0, 1.0], 100)
    followed = np.concatenate([np.arange(100) < 90, np.arange(100) < 30])
    change = np.where(x == 1, 5.0, 1.0)
    paired = pd.DataFrame({"baseline": x, "followed_up": followed, "change": np.where(followed, change, np.nan)})
    result = outcomes.ipw_mean_change(paired, covariates=["baseline"])
    assert result.complete_case_mean == pytest.approx((90 * 1 + 30 * 5) / 120)
    assert result.weighted_mean == pytest.approx(3.0, abs=1e-4)  # the mean over all 200
    assert result.n_complete == 120 and result.n_baseline == 200


def test_segmented_regression_recovers_a_known_series():
    months = pd.date_range("2022-01-01", periods=30, freq="MS")
    t = np.arange(30.0)
    t0 = 15
    value = 40 + 0.5 * t - 25 * (t >= t0) - 0.4 * (t - t0) * (t >= t0)
    series = pd.DataFrame({"month": months, "median_weeks": value})
    fit = outcomes.segmented_regression(series, months[t0])
    assert fit.baseline_level[0] == pytest.approx(40)
    assert fit.pre_slope[0] == pytest.approx(0.5)
    assert fit.level_change[0] == pytest.approx(-25)
    assert fit.slope_change[0] == pytest.approx(-0.4)
    assert (fit.months_before, fit.months_after) == (15, 15)
    phased = outcomes.segmented_regression(series, months[t0], transition_months=3)
    assert phased.months_after == 12 and phased.level_change[0] == pytest.approx(-25)
    with pytest.raises(EvidenceError, match="at least 3 months"):
        outcomes.segmented_regression(series.head(17), months[t0])


def test_monthly_waits_leaves_censored_months_out():
    episodes = pd.DataFrame(
        {
            "service": "S",
            "referral_date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-03", "2024-02-10"]),
            "assessment_date": pd.to_datetime(["2024-01-19", "2024-02-17", "2024-03-02", None]),
        }
    )
    table = outcomes.monthly_waits(episodes)
    assert table["median_weeks"].iloc[0] == pytest.approx(3.0)  # waits of 2 and 4 weeks
    assert table["still_waiting"].tolist() == [0, 1]
    assert np.isnan(table["median_weeks"].iloc[1])


def test_case_mix_comparison_has_expected_totals():
    rng = np.random.default_rng(1)
    n = 400
    paired = pd.DataFrame(
        {
            "service": np.repeat(["A", "B"], n // 2),
            "baseline": rng.normal(50, 10, n),
            "age_years": rng.integers(4, 16, n).astype(float),
            "imd_decile": rng.integers(1, 11, n).astype(float),
            "primary_need": rng.choice(["x", "y"], n),
        }
    )
    flag = pd.Series((rng.random(n) < 1 / (1 + np.exp(-(paired["baseline"] - 50) / 10))).astype(float))
    table, p0, tau2 = outcomes.case_mix_comparison(paired, flag)
    # a maximum-likelihood logistic model with an intercept reproduces the total: sum E = sum O
    assert table["expected"].sum() == pytest.approx(table["observed"].sum(), rel=1e-10)
    assert p0 == pytest.approx(flag.mean())
    assert tau2 >= 0.0
