"""Logistic case-mix models for outcome data: the design matrix with missing covariates handled
explicitly, a maximum-likelihood fit to convergence, inverse-probability weighting for loss to
follow-up with a bootstrap of the whole procedure, and indirect standardisation of units.

The fits are statsmodels' binomial GLM (iteratively reweighted least squares) run until the
deviance changes by less than 1e-12, so they agree with R's ``glm(family = binomial)`` to the
last digits (see ``tests/fixtures/case_mix``). Children with a covariate missing are left out
(complete cases, as R's ``glm`` does by default) and counted, so a report can say how many.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from evidence.errors import EvidenceError
from evidence.stats import effective_sample_size

CONVERGENCE_TOLERANCE = 1e-12  # on the relative change in deviance between IRLS steps
MAX_ITERATIONS = 100
BOOTSTRAP_SEED = 16  # the default seed of the IPW bootstrap, so that a report's interval is reproducible


@dataclass(frozen=True)
class CovariateDesign:
    """A model matrix (intercept, numeric covariates, treatment-coded categories) over the rows
    with every covariate present, and which rows those are."""

    matrix: pd.DataFrame
    complete: pd.Series  # boolean, aligned with the input rows
    n_missing: int  # rows left out because a covariate was missing


def covariate_design(data: pd.DataFrame, covariates: list[str]) -> CovariateDesign:
    """The model matrix of ``covariates`` over complete cases. Numeric columns enter as they
    are; other columns (categories, text) are coded as indicators of each level but the first
    (R's treatment contrasts). A blank value is missing, never a level of its own and never
    the reference category."""
    missing = [c for c in covariates if c not in data]
    if missing:
        raise EvidenceError(f"case-mix covariates {missing} are not columns of the data")
    values = data[covariates]
    complete = values.notna().all(axis=1)
    kept = values[complete]
    numeric = [
        c
        for c in covariates
        if pd.api.types.is_numeric_dtype(kept[c]) and not isinstance(kept[c].dtype, pd.CategoricalDtype)
    ]
    categorical = [c for c in covariates if c not in numeric]
    parts = [pd.DataFrame({"intercept": 1.0}, index=kept.index), kept[numeric].astype(float)]
    for column in categorical:
        levels = kept[column].astype("category").cat.remove_unused_categories()
        dummies = pd.get_dummies(levels, prefix=column, prefix_sep=": ", dtype=float)
        parts.append(dummies.iloc[:, 1:])
    return CovariateDesign(pd.concat(parts, axis=1), complete, int((~complete).sum()))


def fit_probabilities(matrix, outcome) -> np.ndarray:
    """Fitted probabilities of a 0/1 ``outcome`` from a maximum-likelihood logistic regression
    on ``matrix`` (which carries its own intercept). Raises :class:`EvidenceError` when the fit
    does not converge (e.g. perfect separation)."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    y = np.asarray(outcome, dtype=float)
    x = np.asarray(matrix, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            fit = sm.GLM(y, x, family=sm.families.Binomial()).fit(tol=CONVERGENCE_TOLERANCE, maxiter=MAX_ITERATIONS)
        except (PerfectSeparationError, PerfectSeparationWarning):
            raise EvidenceError(
                "the logistic case-mix model cannot be fitted: the covariates separate "
                "the outcome perfectly; use fewer covariates or merge rare categories"
            ) from None
    if not fit.converged:
        raise EvidenceError(f"the logistic case-mix model did not converge in {MAX_ITERATIONS} iterations")
    return np.asarray(fit.fittedvalues, dtype=float)


@dataclass(frozen=True)
class InverseProbabilityWeights:
    """Stabilised weights for the followed-up children and the change they carry."""

    weights: np.ndarray
    change: np.ndarray
    weighted_mean: float
    effective_n: float


def inverse_probability_weights(matrix, followed_up, change) -> InverseProbabilityWeights:
    """Stabilised inverse-probability-of-follow-up weights, P(followed up) / p_i for each
    followed-up child, p_i from :func:`fit_probabilities` (Seaman & White 2013, Stat Methods Med
    Res 22:278-295), and the weighted mean change."""
    observed = np.asarray(followed_up, dtype=bool)
    if observed.all() or not observed.any():
        raise EvidenceError("the follow-up model needs both followed-up and lost episodes")
    p = fit_probabilities(matrix, observed)
    weights = observed.mean() / p[observed]
    kept = np.asarray(change, dtype=float)[observed]
    return InverseProbabilityWeights(
        weights, kept, float(np.average(kept, weights=weights)), effective_sample_size(weights)
    )


def weighted_logistic_probabilities(matrix, outcome, counts) -> np.ndarray:
    """Fitted probabilities of many logistic regressions at once: one per row of ``counts``
    (case weights, e.g. how often each child is drawn in a bootstrap resample), all on the same
    ``matrix`` and 0/1 ``outcome``; shape (len(counts), len(outcome)). Newton-Raphson from zero
    until every coefficient moves by less than 1e-10 (the same maximum-likelihood estimate as
    :func:`fit_probabilities`, checked against it in the tests). A category absent from a
    resample leaves a singular information matrix; its pseudo-inverse then leaves that
    coefficient at zero, which changes no fitted probability of the children in the resample."""
    x = np.asarray(matrix, dtype=float)
    y = np.asarray(outcome, dtype=float)
    c = np.asarray(counts, dtype=float)
    beta = np.zeros((len(c), x.shape[1]))
    for _ in range(MAX_ITERATIONS):
        p = 1 / (1 + np.exp(-(beta @ x.T)))
        gradient = (c * (y - p)) @ x
        information = np.einsum("nk,bn,nl->bkl", x, c * p * (1 - p), x, optimize=True)
        step = np.einsum("bkl,bl->bk", np.linalg.pinv(information, hermitian=True), gradient)
        beta += step
        if np.abs(step).max() < 1e-10:
            return 1 / (1 + np.exp(-(beta @ x.T)))
    raise EvidenceError(
        f"a bootstrap refit of the follow-up model did not converge in {MAX_ITERATIONS} "
        "iterations (a resample separates followed-up from lost children); use fewer "
        "covariates or merge rare categories"
    )


def bootstrap_weighted_mean(
    matrix, followed_up, change, replicates: int, rng: np.random.Generator, level: float = 0.95, chunk: int = 100
) -> tuple[float, float]:
    """Percentile interval of the inverse-probability-weighted mean change from ``replicates``
    resamples of the children (with replacement), the follow-up model refitted in each, so
    that the interval carries the uncertainty of the estimated weights (Efron & Tibshirani
    1993, ch. 13; Austin 2016, Stat Med 35:5642-5655). A resample is drawn as multinomial
    counts of each child; resamples are fitted ``chunk`` at a time."""
    x = np.asarray(matrix, dtype=float)
    observed = np.asarray(followed_up, dtype=bool)
    values = np.where(observed, np.asarray(change, dtype=float), 0.0)
    n = len(observed)
    counts = rng.multinomial(n, np.full(n, 1 / n), size=replicates).astype(float)
    estimates = []
    for start in range(0, replicates, chunk):
        c = counts[start : start + chunk]
        drawn = c[:, observed].sum(axis=1)
        if np.any(drawn == 0) or np.any(drawn == n):
            raise EvidenceError(
                "a bootstrap resample has no followed-up (or no lost) children; "
                "too few children for a bootstrap interval"
            )
        p = weighted_logistic_probabilities(x, observed, c)
        w = np.where(observed, c * (drawn / n)[:, None] / p, 0.0)  # stabilised, times the draw count
        estimates.append((w * values).sum(axis=1) / w.sum(axis=1))
    low, high = np.quantile(np.concatenate(estimates), [0.5 - level / 2, 0.5 + level / 2])
    return float(low), float(high)


def kish_interval(ipw: InverseProbabilityWeights, level: float = 0.95) -> tuple[float, float]:
    """A t interval for the weighted mean at Kish's effective sample size, treating the weights
    as known (it ignores their estimation; kept for comparison with the bootstrap)."""
    sd = np.sqrt(np.average((ipw.change - ipw.weighted_mean) ** 2, weights=ipw.weights))
    t = scipy_stats.t.ppf(0.5 + level / 2, max(ipw.effective_n - 1, 1))
    half = t * sd / np.sqrt(ipw.effective_n)
    return float(ipw.weighted_mean - half), float(ipw.weighted_mean + half)


def indirect_standardisation(units: pd.Series, outcome, expected) -> pd.DataFrame:
    """Per unit: n, observed O, expected E (sum of model probabilities p_i) and the variance of
    O under the model, sum p_i (1 - p_i); the z-score (O - E) / sqrt(sum p_i (1 - p_i)) and the
    indirectly standardised proportion p0 * O / E, p0 the overall proportion (Spiegelhalter
    2005, Stat Med 24:1185-1202, section 3.2)."""
    y = np.asarray(outcome, dtype=float)
    p = np.asarray(expected, dtype=float)
    frame = pd.DataFrame({"unit": np.asarray(units), "observed": y, "expected": p, "variance": p * (1 - p)})
    table = (
        frame.groupby("unit", observed=True)
        .agg(
            n=("observed", "size"),
            observed=("observed", "sum"),
            expected=("expected", "sum"),
            variance=("variance", "sum"),
        )
        .reset_index()
    )
    p0 = float(y.mean())
    table["adjusted_proportion"] = np.clip(p0 * table["observed"] / table["expected"], 0, 1)
    table["z"] = (table["observed"] - table["expected"]) / np.sqrt(table["variance"])
    return table


def describe_comparison(table: pd.DataFrame, tau2: float, rule) -> str:
    """The case-mix comparison in words: how many children a missing case-mix detail left out
    (``table.attrs["n_missing_covariates"]`` from :func:`evidence.outcomes.case_mix_comparison`,
    rounded as every count shown) and which control limits the funnel uses and why."""
    from evidence.disclosure import round_counts

    missing = int(table.attrs.get("n_missing_covariates", 0))
    text = ""
    if missing:
        rounded = round_counts([missing], rule)[0]
        count = f"fewer than {rule.small_count_max + 1}" if np.isnan(rounded) else f"{rounded:,.0f}"
        text = f"{count.capitalize()} children with a follow-up had a case-mix detail missing and are left out. "
    if tau2 > 0:
        return text + (
            "Services differ more than chance alone would make them, so the limits are widened by the "
            f"variation between services (tau-squared {tau2:.4f} on the arcsine scale)."
        )
    return text + (
        "Services differ no more than chance would make them, so the limits are exact binomial "
        "limits around the overall share."
    )
