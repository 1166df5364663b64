"""Waiting times: waits from referral to first assessment by month, and an interrupted time
series (segmented regression) of them around a service change, with its display table and
its description in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evidence.errors import EvidenceError


def monthly_waits(episodes: pd.DataFrame, service: str | None = None) -> pd.DataFrame:
    """Waits from referral to first assessment (weeks) by calendar month of referral: referrals
    (n), still waiting at the extract, median and interquartile range. A month with anyone
    still waiting has no median (its waits are censored: the median would be biased low)."""
    referred = episodes if not service else episodes[episodes["service"] == service]
    weeks = (referred["assessment_date"] - referred["referral_date"]).dt.days / 7
    month = referred["referral_date"].dt.to_period("M").dt.to_timestamp()
    grouped = weeks.groupby(month)
    table = (
        pd.DataFrame(
            {
                "n": grouped.size(),
                "still_waiting": weeks.isna().groupby(month).sum().astype(int),
                "median_weeks": grouped.median(),
                "q1_weeks": grouped.quantile(0.25),
                "q3_weeks": grouped.quantile(0.75),
            }
        )
        .rename_axis("month")
        .reset_index()
    )
    censored = table["still_waiting"] > 0
    table.loc[censored, ["median_weeks", "q1_weeks", "q3_weeks"]] = np.nan
    return table


@dataclass(frozen=True)
class SegmentedRegression:
    """Interrupted time series estimates, each with (estimate, ci_low, ci_high), and the model
    used: "ols", "gls-ar1" or "newey-west" (see :mod:`evidence.time_series`)."""

    baseline_level: tuple[float, float, float]
    pre_slope: tuple[float, float, float]
    level_change: tuple[float, float, float]
    slope_change: tuple[float, float, float]
    months_before: int
    months_after: int
    maxlags: int  # Newey-West lag, when that model is used
    fitted: pd.Series
    model: str = "ols"
    autocorrelation_lags: int = 1
    breusch_godfrey_p: float = np.nan
    durbin_watson: float = np.nan
    ar1_phi: float = np.nan


def segmented_regression(
    series: pd.DataFrame,
    intervention: str | pd.Timestamp,
    value: str = "median_weeks",
    maxlags: int = 3,
    level: float = 0.95,
    transition_months: int = 0,
    model: str = "auto",
    autocorrelation_lags: int = 1,
) -> SegmentedRegression:
    """Segmented regression of a monthly series: value = b0 + b1 t + b2 post + b3 (t - t0) post
    (Wagner et al. 2002, J Clin Pharm Ther 27:299-309; Bernal et al. 2017, Int J Epidemiol
    46:348-355). With ``model="auto"`` the OLS residuals are tested for autocorrelation up to
    ``autocorrelation_lags`` months (Breusch-Godfrey, 5% level; Durbin-Watson reported): OLS when there is
    none, GLS with AR(1) errors (REML, as R's nlme::gls) when there is; "ols", "gls-ar1" or
    "newey-west" (lag ``maxlags``, small-sample adjusted) force one (see
    :mod:`evidence.time_series`). t intervals on the residual degrees of freedom.
    ``transition_months`` after the intervention are left out (a phase-in)."""
    from evidence.time_series import fit_segmented

    start = pd.Timestamp(intervention).to_period("M").to_timestamp()
    data = series.dropna(subset=[value]).sort_values("month")
    t = (
        (data["month"].dt.year - data["month"].iloc[0].year) * 12 + data["month"].dt.month - data["month"].iloc[0].month
    ).to_numpy(float)
    t0 = (start.year - data["month"].iloc[0].year) * 12 + start.month - data["month"].iloc[0].month
    post = (data["month"] >= start).to_numpy(float)
    keep = ~((data["month"] >= start) & (t < t0 + transition_months)).to_numpy()
    if post[keep].sum() < 3 or (1 - post[keep]).sum() < 3:
        raise EvidenceError("segmented regression needs at least 3 months before and after the intervention")
    design = np.column_stack([np.ones_like(t), t, post, (t - t0) * post])[keep]
    y = data[value].to_numpy(float)[keep]
    fit = fit_segmented(
        y, design, t[keep], model=model, test_lags=autocorrelation_lags, newey_west_lags=maxlags, level=level
    )
    est = [(float(fit.params[i]), float(fit.ci[i, 0]), float(fit.ci[i, 1])) for i in range(4)]
    fitted = pd.Series(fit.fitted, index=data["month"].to_numpy()[keep], name="fitted")
    return SegmentedRegression(
        est[0],
        est[1],
        est[2],
        est[3],
        int((1 - post[keep]).sum()),
        int(post[keep].sum()),
        maxlags,
        fitted,
        fit.model,
        autocorrelation_lags,
        fit.breusch_godfrey_p,
        fit.durbin_watson,
        fit.phi,
    )


def its_table(its: SegmentedRegression) -> pd.DataFrame:
    """The segmented-regression estimates as a display table (weeks)."""
    rows = [
        ("Median wait at the start of the series", its.baseline_level, "weeks"),
        ("Trend before the redesign", its.pre_slope, "weeks per month"),
        ("Change in level at the redesign", its.level_change, "weeks"),
        ("Change in trend after the redesign", its.slope_change, "weeks per month"),
    ]
    return pd.DataFrame(
        {
            "Estimate": [r[0] for r in rows],
            "Value": [f"{r[1][0]:+.1f} {r[2]}" for r in rows],
            "95% interval": [f"{r[1][1]:+.1f} to {r[1][2]:+.1f}" for r in rows],
        }
    )


def describe_its(its: SegmentedRegression, date: str) -> str:
    """The interrupted time series in words: the level change with its interval, and which
    model gave it and why (the autocorrelation test)."""
    level = its.level_change
    lags = "one month" if its.autocorrelation_lags == 1 else f"up to {its.autocorrelation_lags} months"
    test = (
        f"Breusch-Godfrey test for autocorrelation at {lags}, p = {its.breusch_godfrey_p:.2f}; "
        f"Durbin-Watson {its.durbin_watson:.2f}"
    )
    why = {
        "ols": f"ordinary least squares, as the residuals show no evidence of autocorrelation at the 5% level ({test})",
        "gls-ar1": f"generalised least squares with first-order autocorrelated errors (correlation "
        f"{its.ar1_phi:.2f} between consecutive months), as the residuals are autocorrelated ({test})",
        "newey-west": f"least squares with Newey-West standard errors (lag {its.maxlags}, small-sample "
        f"adjusted; {test})",
    }[its.model]
    return (
        f"After the redesign on {pd.Timestamp(date):%d %B %Y}, the median wait fell by "
        f"**{-level[0]:.0f} weeks** (95% interval {-level[2]:.0f} to {-level[1]:.0f}), from a level of "
        f"about {its.baseline_level[0] + its.pre_slope[0] * its.months_before:.0f} weeks "
        f"({its.months_before} months before, {its.months_after} after). Model: {why}."
    )
