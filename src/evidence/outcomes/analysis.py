"""Outcome statistics for children's OT: did children improve, by how much, how sure are we.

Pure, vectorised functions over the processed outcome tables (see
:mod:`evidence.outcome_records`): pairing of baseline and follow-up scores, change and effect
sizes with intervals, reliable and clinically meaningful change, attrition and a sensitivity
analysis for loss to follow-up, case-mix-adjusted comparison of services for a funnel plot,
and an interrupted time series of waiting times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from evidence.errors import EvidenceError
from evidence.stats import wilson_interval
from evidence.synthesis.effects import hedges_correction

COVARIATES = ["baseline", "age_years", "imd_decile", "primary_need"]


def paired_scores(scores: pd.DataFrame, episodes: pd.DataFrame, instrument: str, scale: str) -> pd.DataFrame:
    """One row per episode with a baseline score on ``instrument``/``scale``: ``baseline``,
    ``follow_up`` (NaN when lost to follow-up), ``change`` (follow-up minus baseline) and the
    episode's details. Questionnaires flagged as duplicates are left out."""
    chosen = scores[(scores["instrument"] == instrument) & (scores["scale"] == scale)
                    & ~scores["duplicate_of_earlier"]]
    if chosen.empty:
        raise EvidenceError(f"no {instrument} {scale!r} scores in the data")
    wide = chosen.pivot(index="episode_id", columns="timepoint", values="score")
    wide = wide.reindex(columns=["Baseline", "Follow-up"]).rename(
        columns={"Baseline": "baseline", "Follow-up": "follow_up"})
    wide.columns.name = None
    wide = wide[wide["baseline"].notna()]
    wide["change"] = wide["follow_up"] - wide["baseline"]
    wide["followed_up"] = wide["follow_up"].notna()
    return episodes.merge(wide, left_on="episode_id", right_index=True, how="inner")


@dataclass(frozen=True)
class ChangeSummary:
    n: int
    mean_baseline: float
    mean_follow_up: float
    mean_change: float
    change_ci: tuple[float, float]
    srm: float
    srm_ci: tuple[float, float]
    hedges_g: float
    hedges_g_ci: tuple[float, float]


def change_summary(paired: pd.DataFrame, level: float = 0.95) -> ChangeSummary:
    """Mean change with a t interval; the standardised response mean (mean change / SD of
    change; Liang et al. 1990) with the large-sample interval SE = sqrt(1/n + SRM^2 / (2n));
    and Hedges' g for a pre-post design standardised by the baseline SD (Becker 1988), with
    the exact small-sample correction and variance 2(1 - r)/n + g^2/(2n), r the baseline /
    follow-up correlation (Morris 2000)."""
    complete = paired.dropna(subset=["baseline", "follow_up"])
    n = len(complete)
    if n < 3:
        nan2 = (np.nan, np.nan)
        return ChangeSummary(n, np.nan, np.nan, np.nan, nan2, np.nan, nan2, np.nan, nan2)
    before, after = complete["baseline"].to_numpy(float), complete["follow_up"].to_numpy(float)
    change = after - before
    z = scipy_stats.norm.ppf(0.5 + level / 2)
    t = scipy_stats.t.ppf(0.5 + level / 2, n - 1)
    mean, sd = change.mean(), change.std(ddof=1)
    srm = mean / sd
    srm_se = np.sqrt(1 / n + srm**2 / (2 * n))
    r = np.corrcoef(before, after)[0, 1]
    g = hedges_correction(n - 1) * mean / before.std(ddof=1)
    g_se = np.sqrt(2 * (1 - r) / n + g**2 / (2 * n))
    return ChangeSummary(
        n, float(before.mean()), float(after.mean()), float(mean),
        (float(mean - t * sd / np.sqrt(n)), float(mean + t * sd / np.sqrt(n))),
        float(srm), (float(srm - z * srm_se), float(srm + z * srm_se)),
        float(g), (float(g - z * g_se), float(g + z * g_se)))


def change_table(paired: pd.DataFrame, by: str | None = None, level: float = 0.95) -> pd.DataFrame:
    """:func:`change_summary` for all episodes or per group of ``by``: one row per group with
    n, means, mean change and its interval, SRM and Hedges' g with intervals."""
    groups = [("All", paired)] if by is None else list(paired.groupby(by, observed=False))
    rows = []
    for name, group in groups:
        s = change_summary(group, level)
        rows.append({by or "group": name, "n": s.n, "mean_baseline": s.mean_baseline,
                     "mean_follow_up": s.mean_follow_up, "mean_change": s.mean_change,
                     "change_ci_low": s.change_ci[0], "change_ci_high": s.change_ci[1],
                     "srm": s.srm, "srm_ci_low": s.srm_ci[0], "srm_ci_high": s.srm_ci[1],
                     "hedges_g": s.hedges_g, "g_ci_low": s.hedges_g_ci[0], "g_ci_high": s.hedges_g_ci[1]})
    return pd.DataFrame(rows)


def reliable_change_index(before, after, sd: float, reliability: float) -> np.ndarray:
    """Jacobson-Truax reliable change index: (after - before) / S_diff, where
    S_diff = sqrt(2) * SE_measurement and SE_measurement = sd * sqrt(1 - reliability).
    Reference: Jacobson N.S. & Truax P. (1991) J Consult Clin Psychol 59:12-19.
    Example: sd 10, reliability 0.85, 30 -> 18 gives -2.19."""
    if not 0 <= reliability < 1:
        raise ValueError(f"reliability must be in [0, 1), got {reliability}")
    if sd <= 0:
        raise ValueError(f"sd must be positive, got {sd}")
    s_diff = np.sqrt(2) * sd * np.sqrt(1 - reliability)
    return (np.asarray(after, dtype=float) - np.asarray(before, dtype=float)) / s_diff


CHANGE_CLASSES = ["Recovered", "Improved", "Unchanged", "Deteriorated"]


def classify_change(before, after, sd: float, reliability: float, higher_is_better: bool,
                    cutoff: float | None = None, critical: float = 1.96) -> pd.Categorical:
    """Jacobson-Truax classes: *deteriorated* (reliable change for the worse), *recovered*
    (reliable improvement that crosses ``cutoff`` from the clinical to the non-clinical side),
    *improved* (other reliable improvement), *unchanged*; missing where a score is missing."""
    b, a = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    rci = reliable_change_index(b, a, sd, reliability) * (1 if higher_is_better else -1)
    better, worse = rci > critical, rci < -critical
    if cutoff is None:
        crossed = np.zeros_like(better)
    elif higher_is_better:
        crossed = (b < cutoff) & (a >= cutoff)
    else:
        crossed = (b > cutoff) & (a <= cutoff)
    labels = np.select([worse, better & crossed, better], ["Deteriorated", "Recovered", "Improved"], "Unchanged")
    labels = np.where(np.isnan(b) | np.isnan(a), None, labels)
    return pd.Categorical(labels, categories=CHANGE_CLASSES, ordered=True)


def change_class_table(paired: pd.DataFrame, by: str, with_recovered: bool) -> pd.DataFrame:
    """Children in each reliable-change class per group (``change_class`` from
    :func:`classify_change`); the "Recovered" column only when a clinical cut-off was used."""
    counts = (paired.dropna(subset=["change_class"]).groupby([by, "change_class"], observed=False)
              .size().unstack(fill_value=0))
    counts.columns = counts.columns.astype(str)
    counts.columns.name = None
    if not with_recovered:
        counts = counts.drop(columns="Recovered")
    return counts.reset_index()


def meaningful_change(change, mic: float, higher_is_better: bool) -> np.ndarray:
    """1.0 where the change reaches the minimal important change in the better direction,
    0.0 where it does not, NaN where missing."""
    c = np.asarray(change, dtype=float) * (1 if higher_is_better else -1)
    return np.where(np.isnan(c), np.nan, (c >= mic).astype(float))


def proportion_table(flags: pd.Series, groups: pd.Series | None = None, level: float = 0.95) -> pd.DataFrame:
    """Count, base and Wilson interval of a 0/1 flag (NaN ignored), overall or by group:
    columns [group], n, positive, proportion, ci_low, ci_high."""
    keys = groups if groups is not None else pd.Series("All", index=flags.index, name="group")
    frame = pd.DataFrame({"flag": flags, "key": keys})
    sums = frame.dropna(subset=["flag"]).groupby("key", observed=False)["flag"].agg(["count", "sum"])
    n, k = sums["count"].to_numpy(float), sums["sum"].to_numpy(float)
    low, high = wilson_interval(k, n, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
    return pd.DataFrame({keys.name or "group": sums.index, "n": n.astype(int), "positive": k.astype(int),
                         "proportion": p, "ci_low": low, "ci_high": high})


def attrition_table(paired: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Baseline questionnaires, follow-ups and losses (all episodes with a baseline score,
    including those still open), overall or per group."""
    keys = paired[by] if by else pd.Series("All", index=paired.index, name="group")
    grouped = paired.groupby(keys, observed=False)["followed_up"]
    out = pd.DataFrame({"baseline": grouped.size(), "followed_up": grouped.sum().astype(int)})
    out["lost"] = out["baseline"] - out["followed_up"]
    return out.rename_axis(by or "group").reset_index()


@dataclass(frozen=True)
class WeightedChange:
    complete_case_mean: float
    weighted_mean: float
    weighted_ci: tuple[float, float]
    n_complete: int
    n_baseline: int
    effective_n: float
    n_missing_covariates: int = 0
    bootstrap_replicates: int = 0
    kish_ci: tuple[float, float] = (np.nan, np.nan)


def ipw_mean_change(paired: pd.DataFrame, covariates: list[str] | None = None,
                    level: float = 0.95, replicates: int = 999,
                    rng: np.random.Generator | None = None) -> WeightedChange:
    """Sensitivity analysis for loss to follow-up: the mean change re-weighted by the inverse
    probability of being followed up, from a maximum-likelihood logistic regression on baseline
    score and case mix (Seaman & White 2013, Stat Methods Med Res 22:278-295; see
    :mod:`evidence.case_mix`). Stabilised weights. Children with a covariate missing are left
    out and counted (``n_missing_covariates``). The interval is the percentile interval of
    ``replicates`` bootstrap resamples of the whole procedure, the model refitted in each
    (seeded ``rng``, by default :data:`evidence.case_mix.BOOTSTRAP_SEED`), so it carries the uncertainty of the
    estimated weights; ``replicates=0`` gives instead the interval at Kish's effective sample
    size, which treats the weights as known. Assumes follow-up is missing at random given the
    covariates."""
    from evidence import case_mix

    covariates = covariates or COVARIATES
    design = case_mix.covariate_design(paired, covariates)
    data = paired[design.complete]
    ipw = case_mix.inverse_probability_weights(design.matrix, data["followed_up"], data["change"])
    kish = case_mix.kish_interval(ipw, level)
    interval = kish if replicates == 0 else case_mix.bootstrap_weighted_mean(
        design.matrix, data["followed_up"], data["change"], replicates,
        rng or np.random.default_rng(case_mix.BOOTSTRAP_SEED), level)
    observed = data["followed_up"].to_numpy(bool)
    return WeightedChange(float(data.loc[observed, "change"].mean()), ipw.weighted_mean, interval,
                          int(observed.sum()), len(data), ipw.effective_n, design.n_missing, replicates, kish)


def funnel_limits(p0: float, n, levels=(0.95, 0.998), tau2: float = 0.0
                  ) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Control limits for a proportion around target ``p0`` at each whole-number base ``n``:
    the interpolated exact binomial limits (Spiegelhalter 2005, Stat Med 24:1185-1202, appendix
    A.1.1) when ``tau2`` is 0, otherwise limits widened by the additive between-unit variance
    ``tau2`` on the arcsine scale (Spiegelhalter et al. 2012, JRSS A 175:1-47; as FunnelPlotR).
    See :mod:`evidence.funnel`. For p0 0.85 and n 100 the exact 95% limits are 0.7717 and 0.9116."""
    from evidence import funnel

    if tau2 > 0:
        return funnel.overdispersed_limits(p0, n, tau2, levels)
    return funnel.exact_limits(p0, n, levels)


def overdispersion(proportion, n, p0: float, trim: float = 0.1):
    """The between-unit variance tau^2 of unit proportions around ``p0`` (arcsine scale,
    DerSimonian-Laird from z-scores winsorised at ``trim`` each side), with the dispersion
    ratio phi and adjusted z-scores: :func:`evidence.funnel.arcsine_overdispersion`."""
    from evidence import funnel

    return funnel.arcsine_overdispersion(proportion, n, p0, trim)


def case_mix_comparison(paired: pd.DataFrame, flag: pd.Series, by: str = "service",
                        covariates: list[str] | None = None) -> tuple[pd.DataFrame, float, float]:
    """Indirectly standardised comparison of units (services) on a 0/1 outcome (e.g. reaching
    the minimal important change): a maximum-likelihood logistic model of the outcome on case
    mix (without the unit; :mod:`evidence.case_mix`) gives each child's expected probability
    p_i; per unit, observed O, expected E, the adjusted proportion p0 * O / E and the z-score
    (O - E) / sqrt(sum p_i (1 - p_i)). Children with a covariate missing are left out (their
    number is ``table.attrs["n_missing_covariates"]``). Returns (table, p0, tau2): tau2 is the
    additive between-unit variance (arcsine scale) for :func:`funnel_limits`, and the table's
    ``z_overdispersed`` the z-score allowing for it."""
    from evidence import case_mix

    covariates = covariates or COVARIATES
    data = paired.assign(outcome=flag).dropna(subset=["outcome"])
    design = case_mix.covariate_design(data, covariates)
    data = data[design.complete]
    y = data["outcome"].to_numpy(float)
    table = case_mix.indirect_standardisation(data[by], y, case_mix.fit_probabilities(design.matrix, y))
    table = table.rename(columns={"unit": by}).drop(columns="variance")
    p0 = float(y.mean())
    spread = overdispersion(table["adjusted_proportion"], table["n"], p0)
    table["z_overdispersed"] = spread.z_adjusted
    table.attrs["n_missing_covariates"] = design.n_missing
    return table, p0, spread.limits_tau2


def monthly_waits(episodes: pd.DataFrame, service: str | None = None) -> pd.DataFrame:
    """Waits from referral to first assessment (weeks) by calendar month of referral: referrals
    (n), still waiting at the extract, median and interquartile range. A month with anyone
    still waiting has no median (its waits are censored: the median would be biased low)."""
    referred = episodes if not service else episodes[episodes["service"] == service]
    weeks = (referred["assessment_date"] - referred["referral_date"]).dt.days / 7
    month = referred["referral_date"].dt.to_period("M").dt.to_timestamp()
    grouped = weeks.groupby(month)
    table = pd.DataFrame({"n": grouped.size(), "still_waiting": weeks.isna().groupby(month).sum().astype(int),
                          "median_weeks": grouped.median(), "q1_weeks": grouped.quantile(0.25),
                          "q3_weeks": grouped.quantile(0.75)}).rename_axis("month").reset_index()
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


def segmented_regression(series: pd.DataFrame, intervention: str | pd.Timestamp, value: str = "median_weeks",
                         maxlags: int = 3, level: float = 0.95, transition_months: int = 0,
                         model: str = "auto", autocorrelation_lags: int = 1) -> SegmentedRegression:
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
    t = ((data["month"].dt.year - data["month"].iloc[0].year) * 12
         + data["month"].dt.month - data["month"].iloc[0].month).to_numpy(float)
    t0 = ((start.year - data["month"].iloc[0].year) * 12 + start.month - data["month"].iloc[0].month)
    post = (data["month"] >= start).to_numpy(float)
    keep = ~((data["month"] >= start) & (t < t0 + transition_months)).to_numpy()
    if post[keep].sum() < 3 or (1 - post[keep]).sum() < 3:
        raise EvidenceError("segmented regression needs at least 3 months before and after the intervention")
    design = np.column_stack([np.ones_like(t), t, post, (t - t0) * post])[keep]
    y = data[value].to_numpy(float)[keep]
    fit = fit_segmented(y, design, t[keep], model=model, test_lags=autocorrelation_lags,
                        newey_west_lags=maxlags, level=level)
    est = [(float(fit.params[i]), float(fit.ci[i, 0]), float(fit.ci[i, 1])) for i in range(4)]
    fitted = pd.Series(fit.fitted, index=data["month"].to_numpy()[keep], name="fitted")
    return SegmentedRegression(est[0], est[1], est[2], est[3], int((1 - post[keep]).sum()),
                               int(post[keep].sum()), maxlags, fitted, fit.model, autocorrelation_lags,
                               fit.breusch_godfrey_p, fit.durbin_watson, fit.phi)


# --- selection and publishable summaries ---------------------------------------------------------


def select_episodes(episodes: pd.DataFrame, service: str = "All", start: str | None = None,
                    end: str | None = None) -> pd.DataFrame:
    """Episodes of one service (or ``"All"``) referred between ``start`` and ``end`` inclusive."""
    chosen = episodes
    if service != "All":
        known = set(episodes["service"])
        if service not in known:
            raise EvidenceError(f"unknown service {service!r}; the data have: {', '.join(sorted(known))}")
        chosen = chosen[chosen["service"] == service]
    if start:
        chosen = chosen[chosen["referral_date"] >= pd.Timestamp(start)]
    if end:
        chosen = chosen[chosen["referral_date"] <= pd.Timestamp(end)]
    if chosen.empty:
        raise EvidenceError(f"no episodes for {service} referred between {start} and {end}")
    return chosen


def mask_small_groups(table: pd.DataFrame, min_base: int, columns: list[str], base: str = "n") -> pd.DataFrame:
    """``table`` with ``columns`` set to NaN where the group is smaller than ``min_base`` (for
    figures, which must not show what the tables suppress)."""
    out = table.copy()
    out.loc[out[base] < min_base, columns] = np.nan
    return out


def fft_table(prems: pd.DataFrame, by: str, include_dont_know: bool = True) -> pd.DataFrame:
    """Friends and Family Test by group: responses (n) and positive answers (very good or
    good), for :func:`evidence.disclosure.publish_proportions`."""
    answered = prems.dropna(subset=["fft"])
    if not include_dont_know:
        answered = answered[answered["fft"] != "Don't know"]
    positive = answered["fft"].isin(["Very good", "Good"])
    grouped = positive.groupby(answered[by], observed=True)
    return pd.DataFrame({by: grouped.size().index, "n": grouped.size().to_numpy(),
                         "positive": grouped.sum().to_numpy().astype(int)})


def fft_overall(prems: pd.DataFrame, include_dont_know: bool = True) -> dict[str, float]:
    """:func:`evidence.instruments.experience.fft_summary` over the ``fft`` column of processed PREMs
    (an ordered categorical in code order 1-6)."""
    from evidence.instruments.experience import fft_summary

    codes = pd.Series(prems["fft"].cat.codes, index=prems.index).replace(-1, np.nan) + 1
    return fft_summary(codes, include_dont_know=include_dont_know)


def its_table(its: SegmentedRegression) -> pd.DataFrame:
    """The segmented-regression estimates as a display table (weeks)."""
    rows = [("Median wait at the start of the series", its.baseline_level, "weeks"),
            ("Trend before the redesign", its.pre_slope, "weeks per month"),
            ("Change in level at the redesign", its.level_change, "weeks"),
            ("Change in trend after the redesign", its.slope_change, "weeks per month")]
    return pd.DataFrame({"Estimate": [r[0] for r in rows],
                         "Value": [f"{r[1][0]:+.1f} {r[2]}" for r in rows],
                         "95% interval": [f"{r[1][1]:+.1f} to {r[1][2]:+.1f}" for r in rows]})


def effects_for_synthesis(paired: pd.DataFrame, by: str = "service", min_base: int = 10) -> pd.DataFrame:
    """Per-group pre-post effects (Hedges' g and its standard error) for evidence synthesis:
    columns label, estimate, se, n. Groups smaller than ``min_base`` are left out."""
    table = change_table(paired, by)
    table = table[table["n"] >= min_base]
    z = scipy_stats.norm.ppf(0.975)
    return pd.DataFrame({"label": table[by].astype(str), "estimate": table["hedges_g"],
                         "se": (table["g_ci_high"] - table["g_ci_low"]) / (2 * z), "n": table["n"]})


def service_effects_table(tables: dict[str, pd.DataFrame], synthetic: bool, instrument: str = "pedsql",
                          scale: str = "total", min_base: int = 10) -> pd.DataFrame:
    """An evidence table (``evidence.synthesis`` "estimate, se" layout) of each service's pre-post
    Hedges' g on ``instrument``/``scale``: study, estimate, se, children, data_label. Services
    with fewer than ``min_base`` children with both questionnaires are left out; the children
    count is published later through disclosure control."""
    paired = paired_scores(tables["scores"], tables["episodes"], instrument, scale)
    effects = effects_for_synthesis(paired, "service", min_base)
    return pd.DataFrame({"study": effects["label"], "estimate": effects["estimate"].round(6),
                         "se": effects["se"].round(6), "children": effects["n"],
                         "data_label": "SYNTHETIC" if synthetic else ""})


# --- plain-language text ------------------------------------------------------------------------


def _rounded(count: float, rule) -> str:
    from evidence.disclosure import round_counts

    value = round_counts([count], rule)[0]
    return f"fewer than {rule.small_count_max + 1}" if np.isnan(value) else f"{value:,.0f}"


def describe_change(summary: ChangeSummary, mic_row: pd.Series, scale_name: str, where: str, mic: float,
                    higher_is_better: bool, rule) -> str:
    """Headline sentences about change, from publishable figures: the mean change and effect
    size only over at least ``rule.min_base`` children
    (:func:`evidence.disclosure.suppress_statistic`)."""
    from evidence.disclosure import suppress_statistic

    if suppress_statistic(summary.mean_change, summary.n, rule) is None:
        return f"Too few children ({_rounded(summary.n, rule)}) had both questionnaires to report change in {where}."
    direction = "improvement" if (summary.mean_change > 0) == higher_is_better else "worsening"
    lines = [
        f"- **{_rounded(summary.n, rule)} children** in {where} completed the {scale_name} at baseline and follow-up.",
        f"- The average change was **{summary.mean_change:+.1f} points** (95% interval {summary.change_ci[0]:+.1f} "
        f"to {summary.change_ci[1]:+.1f}), an {direction}; Hedges' g {summary.hedges_g:.2f} "
        f"(95% interval {summary.hedges_g_ci[0]:.2f} to {summary.hedges_g_ci[1]:.2f}).",
    ]
    if bool(mic_row["shown"]):
        lines.append(f"- **{100 * mic_row['proportion']:.0f}%** reached the minimal important change of {mic:g} points "
                     f"(95% interval {100 * mic_row['ci_low']:.0f}% to {100 * mic_row['ci_high']:.0f}%).")
    return "\n".join(lines)


def describe_measure_sources(defaults, reliability: float, mic: float, baseline_sd: float) -> str:
    """Where the reliability and MIC used came from."""
    def line(name: str, used: float, sourced) -> str:
        if sourced.value is not None and abs(used - sourced.value) < 1e-12:
            return f"- {name} {used:g}: {sourced.describe()}."
        return f"- {name} {used:g}: set by the report producer (the default is {sourced.value}, {sourced.describe()})."
    return "\n".join([line("Reliability", reliability, defaults.reliability), line("MIC", mic, defaults.mic),
                      f"- Standard deviation for the reliable change index: {baseline_sd:.1f}, the baseline SD of "
                      "these children."])


def describe_weighting(weighted: WeightedChange, rule) -> str:
    """The loss-to-follow-up sensitivity analysis in words; the means only when at least
    ``rule.min_base`` children were followed up (:func:`evidence.disclosure.suppress_statistic`)."""
    from evidence.disclosure import suppress_statistic

    counts = (f"Of {_rounded(weighted.n_baseline, rule)} children with a baseline questionnaire, "
              f"{_rounded(weighted.n_complete, rule)} were followed up.")
    if weighted.n_missing_covariates:
        counts += (f" A further {_rounded(weighted.n_missing_covariates, rule)} with a baseline questionnaire had "
                   "a case-mix detail missing (age, deprivation or need) and are left out of this analysis.")
    interval = (f"95% bootstrap interval, {weighted.bootstrap_replicates:,} resamples refitting the follow-up model"
                if weighted.bootstrap_replicates else "approximate 95% interval, weights treated as known")
    complete = suppress_statistic(weighted.complete_case_mean, weighted.n_complete, rule, "{:+.1f}")
    reweighted = suppress_statistic((weighted.weighted_mean, *weighted.weighted_ci), weighted.n_complete, rule,
                                    "{:+.1f} (" + interval + ", {:+.1f} to {:+.1f})")
    if complete is None or reweighted is None:
        return counts + " Too few were followed up to report their mean change."
    shift = weighted.weighted_mean - weighted.complete_case_mean
    return (f"{counts} Their mean change was {complete} points; re-weighted for who was followed up, it is "
            f"{reweighted}, a shift of {shift:+.1f}. "
            + ("Loss to follow-up changes the picture little." if abs(shift) < 1 else
               "Loss to follow-up matters here: read the change with care."))


def describe_its(its: SegmentedRegression, date: str) -> str:
    """The interrupted time series in words: the level change with its interval, and which
    model gave it and why (the autocorrelation test)."""
    level = its.level_change
    lags = "one month" if its.autocorrelation_lags == 1 else f"up to {its.autocorrelation_lags} months"
    test = (f"Breusch-Godfrey test for autocorrelation at {lags}, p = {its.breusch_godfrey_p:.2f}; "
            f"Durbin-Watson {its.durbin_watson:.2f}")
    why = {"ols": f"ordinary least squares, as the residuals show no evidence of autocorrelation at the 5% level ({test})",
           "gls-ar1": f"generalised least squares with first-order autocorrelated errors (correlation "
                      f"{its.ar1_phi:.2f} between consecutive months), as the residuals are autocorrelated ({test})",
           "newey-west": f"least squares with Newey-West standard errors (lag {its.maxlags}, small-sample "
                         f"adjusted; {test})"}[its.model]
    return (f"After the redesign on {pd.Timestamp(date):%d %B %Y}, the median wait fell by "
            f"**{-level[0]:.0f} weeks** (95% interval {-level[2]:.0f} to {-level[1]:.0f}), from a level of "
            f"about {its.baseline_level[0] + its.pre_slope[0] * its.months_before:.0f} weeks "
            f"({its.months_before} months before, {its.months_after} after). Model: {why}.")


def describe_experience(fft: dict, experience: pd.Series, rule) -> str:
    """The Friends and Family Test and the experience score in words, from publishable
    figures: percentages from the rounded counts (as in the tables), shown only for a base of
    at least ``rule.min_base`` with the count not suppressed, and the mean score only over at
    least ``rule.min_base`` answers (:mod:`evidence.disclosure`)."""
    from evidence.disclosure import disclosed_proportions, suppress_statistic

    counts = pd.DataFrame({"answer": ["positive", "negative"], "n": [fft["n"], fft["n"]],
                           "positive": [fft["positive"], fft["negative"]]})
    safe = disclosed_proportions(counts, rule=rule, parts_of_total=False)
    if not bool(safe["shown"].iloc[0]):
        return "Too few families answered the Friends and Family Test to report it."
    good = safe.iloc[0]
    text = (f"Of {_rounded(fft['n'], rule)} families who answered, **{100 * good['proportion']:.0f}%** said their "
            f"experience was good or very good (95% interval {100 * good['ci_low']:.0f}% to "
            f"{100 * good['ci_high']:.0f}%)")
    poor = safe.iloc[1]
    text += (f" and {100 * poor['proportion']:.0f}% poor or very poor" if bool(poor["shown"])
             else "; too few said poor or very poor to give a percentage")
    text += (f" (\"don't know\" {'included in' if fft['dont_know_in_denominator'] else 'left out of'} the base).")
    scores = experience.dropna()
    mean = suppress_statistic(scores.mean() if len(scores) else np.nan, len(scores), rule, "{:.0f}")
    if mean is not None:
        text += f" The mean experience score was {mean} out of 100 (illustrative scale)."
    return text
