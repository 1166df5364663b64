"""Regression for an interrupted time series with a check for autocorrelated errors.

A segmented regression is first fitted by ordinary least squares (OLS). Its residuals are
tested for autocorrelation: the Breusch-Godfrey LM test up to ``test_lags`` months (Breusch
1978, Godfrey 1978; chi-squared form, missing lagged residuals set to 0, as R's
``lmtest::bgtest``), by default first order, the alternative that the AR(1) model answers and the
one a short monthly series has most power against, with the Durbin-Watson statistic beside it. With no
evidence of autocorrelation (p >= ``alpha``) the OLS
fit is reported with t intervals; otherwise a generalised least squares (GLS) fit with AR(1)
errors, corr(e_s, e_t) = phi^|s - t| in months (so gaps from left-out months are respected),
estimated by restricted maximum likelihood as R's ``nlme::gls(correlation = corAR1(form = ~ t))``
does (Pinheiro & Bates 2000, Mixed-Effects Models in S and S-PLUS, section 5.3), with t
intervals on n - p degrees of freedom as ``intervals.gls``. Newey-West standard errors are
available on request, with R's small-sample adjustment n / (n - p) and t quantiles on the
residual degrees of freedom (``sandwich::NeweyWest(fit, lag, prewhite = FALSE, adjust = TRUE)``
with ``lmtest::coeftest(..., df = fit$df.residual)``; Newey & West 1987).

statsmodels' ``GLSAR`` is not used for the AR(1) fit: its iterative Cochrane-Orcutt-style
fit drops the first observation, treats the series as evenly spaced and is neither ML nor REML,
so it does not reproduce ``nlme::gls`` (see ``tests/fixtures/time_series``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize
from scipy import stats as scipy_stats

MODELS = ("auto", "ols", "gls-ar1", "newey-west")


@dataclass(frozen=True)
class TimeSeriesFit:
    """Coefficients, their standard errors and t intervals, and how the model was chosen."""

    model: str  # "ols", "gls-ar1" or "newey-west"
    params: np.ndarray
    se: np.ndarray
    ci: np.ndarray  # (p, 2)
    df: int
    fitted: np.ndarray
    breusch_godfrey_p: float
    breusch_godfrey_lags: int
    durbin_watson: float
    phi: float  # AR(1) correlation (GLS), NaN otherwise
    newey_west_lags: int  # 0 unless the model is "newey-west"


def breusch_godfrey(residuals: np.ndarray, design: np.ndarray, lags: int) -> tuple[float, float]:
    """Breusch-Godfrey LM statistic n R^2 of the residuals on the design and ``lags`` lagged
    residuals (missing lags set to 0), and its chi-squared(``lags``) p-value; as R's
    ``lmtest::bgtest(fit, order = lags)``."""
    n = len(residuals)
    lagged = np.column_stack([np.concatenate([np.zeros(j), residuals[: n - j]]) for j in range(1, lags + 1)])
    auxiliary = np.column_stack([design, lagged])
    coef, *_ = np.linalg.lstsq(auxiliary, residuals, rcond=None)
    explained = residuals - auxiliary @ coef
    r2 = 1 - explained @ explained / ((residuals - residuals.mean()) @ (residuals - residuals.mean()))
    statistic = n * r2
    return float(statistic), float(scipy_stats.chi2.sf(statistic, lags))


def durbin_watson(residuals: np.ndarray) -> float:
    """Durbin-Watson statistic sum (e_t - e_{t-1})^2 / sum e_t^2 (near 2: no first-order
    autocorrelation; below 2: positive)."""
    return float(np.sum(np.diff(residuals) ** 2) / np.sum(residuals**2))


def _ols(y: np.ndarray, x: np.ndarray):
    xtx_inv = np.linalg.inv(x.T @ x)
    params = xtx_inv @ x.T @ y
    residuals = y - x @ params
    return params, residuals, xtx_inv


def newey_west_covariance(x: np.ndarray, residuals: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (Bartlett kernel, weights 1 - j / (lags + 1)) covariance of OLS coefficients,
    times n / (n - p), as ``sandwich::NeweyWest(fit, lags, prewhite = FALSE, adjust = TRUE)``."""
    n, p = x.shape
    scores = x * residuals[:, None]
    meat = scores.T @ scores
    for j in range(1, lags + 1):
        gamma = scores[j:].T @ scores[:-j]
        meat += (1 - j / (lags + 1)) * (gamma + gamma.T)
    bread = np.linalg.inv(x.T @ x)
    return bread @ meat @ bread * n / (n - p)


def _ar1_correlation(times: np.ndarray, phi: float) -> np.ndarray:
    return phi ** np.abs(times[:, None] - times[None, :])


def _gls_given_phi(y, x, times, phi):
    chol = linalg.cholesky(_ar1_correlation(times, phi), lower=True)
    ys = linalg.solve_triangular(chol, y, lower=True)
    xs = linalg.solve_triangular(chol, x, lower=True)
    q, r = np.linalg.qr(xs)
    params = linalg.solve_triangular(r, q.T @ ys)
    resid = ys - xs @ params
    log_det_corr = 2 * np.sum(np.log(np.diag(chol)))
    log_det_xrx = 2 * np.sum(np.log(np.abs(np.diag(r))))
    return params, float(resid @ resid), log_det_corr, log_det_xrx, r


def ar1_reml(y: np.ndarray, x: np.ndarray, times: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
    """REML estimate of a regression with AR(1) errors at integer ``times``: (phi, coefficients,
    their covariance sigma^2 (X' R^-1 X)^-1, sigma^2). The restricted log-likelihood, profiled
    over sigma^2, -(n - p)/2 log(Q / (n - p)) - 1/2 log|R| - 1/2 log|X' R^-1 X| with Q the GLS
    residual sum of squares, is maximised over phi in (-1, 1) (Pinheiro & Bates 2000, 2.2.5)."""
    n, p = x.shape

    def negative_restricted_loglik(z: float) -> float:
        _, q, log_det_corr, log_det_xrx, _ = _gls_given_phi(y, x, times, np.tanh(z))
        return 0.5 * ((n - p) * np.log(q / (n - p)) + log_det_corr + log_det_xrx)

    best = optimize.minimize_scalar(
        negative_restricted_loglik, bounds=(-6.0, 6.0), method="bounded", options={"xatol": 1e-12, "maxiter": 500}
    )
    phi = float(np.tanh(best.x))
    params, q, _, _, r = _gls_given_phi(y, x, times, phi)
    sigma2 = q / (n - p)
    r_inv = linalg.solve_triangular(r, np.eye(p))
    return phi, params, sigma2 * r_inv @ r_inv.T, sigma2


def fit_segmented(
    y,
    design,
    times,
    model: str = "auto",
    test_lags: int = 1,
    newey_west_lags: int = 3,
    alpha: float = 0.05,
    level: float = 0.95,
) -> TimeSeriesFit:
    """Fit ``y`` on ``design`` (with intercept) observed at integer ``times`` (months): OLS, or
    GLS with AR(1) errors when ``model`` is "auto" and the Breusch-Godfrey test up to
    ``test_lags`` rejects at ``alpha`` (or when asked for with "gls-ar1"), or OLS with Newey-West
    errors ("newey-west", ``newey_west_lags`` months). Intervals are t intervals on n - p
    degrees of freedom."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    y = np.asarray(y, dtype=float)
    x = np.asarray(design, dtype=float)
    times = np.asarray(times, dtype=float)
    n, p = x.shape
    params, residuals, xtx_inv = _ols(y, x)
    _, bg_p = breusch_godfrey(residuals, x, test_lags)
    dw = durbin_watson(residuals)
    chosen = model if model != "auto" else ("gls-ar1" if bg_p < alpha else "ols")
    phi = np.nan
    if chosen == "ols":
        covariance = xtx_inv * (residuals @ residuals) / (n - p)
    elif chosen == "newey-west":
        covariance = newey_west_covariance(x, residuals, newey_west_lags)
    else:
        phi, params, covariance, _ = ar1_reml(y, x, times)
    se = np.sqrt(np.diag(covariance))
    t = scipy_stats.t.ppf(0.5 + level / 2, n - p)
    ci = np.column_stack([params - t * se, params + t * se])
    return TimeSeriesFit(
        chosen,
        params,
        se,
        ci,
        n - p,
        x @ params,
        bg_p,
        test_lags,
        dw,
        phi,
        newey_west_lags if chosen == "newey-west" else 0,
    )
