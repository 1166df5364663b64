"""Outcome statistics for children's OT: did children improve, by how much, how sure are we.

Pure, vectorised functions over the processed outcome tables (see
:mod:`evidence.outcome_records`): the episodes a report covers, pairing of baseline and
follow-up scores, change and effect sizes with intervals, reliable and clinically meaningful
change, attrition and a sensitivity analysis for loss to follow-up. The headline sentences
about change are written in :mod:`evidence.outcomes.report`. Services are compared in
:mod:`evidence.outcomes.services`, waiting times in :mod:`evidence.outcomes.waits`, families'
experience in :mod:`evidence.outcomes.experience`.
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
    chosen = scores[(scores["instrument"] == instrument) & (scores["scale"] == scale) & ~scores["duplicate_of_earlier"]]
    if chosen.empty:
        raise EvidenceError(f"no {instrument} {scale!r} scores in the data")
    wide = chosen.pivot(index="episode_id", columns="timepoint", values="score")
    wide = wide.reindex(columns=["Baseline", "Follow-up"]).rename(
        columns={"Baseline": "baseline", "Follow-up": "follow_up"}
    )
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
        n,
        float(before.mean()),
        float(after.mean()),
        float(mean),
        (float(mean - t * sd / np.sqrt(n)), float(mean + t * sd / np.sqrt(n))),
        float(srm),
        (float(srm - z * srm_se), float(srm + z * srm_se)),
        float(g),
        (float(g - z * g_se), float(g + z * g_se)),
    )


def change_table(paired: pd.DataFrame, by: str | None = None, level: float = 0.95) -> pd.DataFrame:
    """:func:`change_summary` for all episodes or per group of ``by``: one row per group with
    n, means, mean change and its interval, SRM and Hedges' g with intervals."""
    groups = [("All", paired)] if by is None else list(paired.groupby(by, observed=False))
    rows = []
    for name, group in groups:
        s = change_summary(group, level)
        rows.append(
            {
                by or "group": name,
                "n": s.n,
                "mean_baseline": s.mean_baseline,
                "mean_follow_up": s.mean_follow_up,
                "mean_change": s.mean_change,
                "change_ci_low": s.change_ci[0],
                "change_ci_high": s.change_ci[1],
                "srm": s.srm,
                "srm_ci_low": s.srm_ci[0],
                "srm_ci_high": s.srm_ci[1],
                "hedges_g": s.hedges_g,
                "g_ci_low": s.hedges_g_ci[0],
                "g_ci_high": s.hedges_g_ci[1],
            }
        )
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


def classify_change(
    before,
    after,
    sd: float,
    reliability: float,
    higher_is_better: bool,
    cutoff: float | None = None,
    critical: float = 1.96,
) -> pd.Categorical:
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
    labels = np.select(
        [worse, better & crossed, better], ["Deteriorated", "Recovered", "Improved"], "Unchanged"
    ).astype(object)
    labels[np.isnan(b) | np.isnan(a)] = None
    return pd.Categorical(labels, categories=CHANGE_CLASSES, ordered=True)


def change_class_table(paired: pd.DataFrame, by: str, with_recovered: bool) -> pd.DataFrame:
    """Children in each reliable-change class per group (``change_class`` from
    :func:`classify_change`); the "Recovered" column only when a clinical cut-off was used."""
    counts = (
        paired.dropna(subset=["change_class"])
        .groupby([by, "change_class"], observed=False)
        .size()
        .unstack(fill_value=0)
    )
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


def flag_proportion_table(flags: pd.Series, groups: pd.Series | None = None, level: float = 0.95) -> pd.DataFrame:
    """Count, base and Wilson interval of a 0/1 flag per child (NaN ignored), e.g. reaching the
    minimal important change, overall or by group: columns [group], n, positive, proportion,
    ci_low, ci_high. (A survey's headline measures are :func:`evidence.survey.proportion_table`.)"""
    keys = groups if groups is not None else pd.Series("All", index=flags.index, name="group")
    frame = pd.DataFrame({"flag": flags, "key": keys})
    sums = frame.dropna(subset=["flag"]).groupby("key", observed=False)["flag"].agg(["count", "sum"])
    n, k = sums["count"].to_numpy(float), sums["sum"].to_numpy(float)
    low, high = wilson_interval(k, n, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
    return pd.DataFrame(
        {
            keys.name or "group": sums.index,
            "n": n.astype(int),
            "positive": k.astype(int),
            "proportion": p,
            "ci_low": low,
            "ci_high": high,
        }
    )


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


def ipw_mean_change(
    paired: pd.DataFrame,
    covariates: list[str] | None = None,
    level: float = 0.95,
    replicates: int = 999,
    rng: np.random.Generator | None = None,
) -> WeightedChange:
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
    interval = (
        kish
        if replicates == 0
        else case_mix.bootstrap_weighted_mean(
            design.matrix,
            data["followed_up"],
            data["change"],
            replicates,
            rng or np.random.default_rng(case_mix.BOOTSTRAP_SEED),
            level,
        )
    )
    observed = data["followed_up"].to_numpy(bool)
    return WeightedChange(
        float(data.loc[observed, "change"].mean()),
        ipw.weighted_mean,
        interval,
        int(observed.sum()),
        len(data),
        ipw.effective_n,
        design.n_missing,
        replicates,
        kish,
    )


# --- selection and publishable summaries ---------------------------------------------------------


def select_episodes(
    episodes: pd.DataFrame, service: str = "All", start: str | None = None, end: str | None = None
) -> pd.DataFrame:
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
