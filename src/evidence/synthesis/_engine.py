"""The numerical engine behind :mod:`evidence.synthesis`: weighted least squares, the
between-study variance (tau^2) estimators, Q-profile intervals and model summaries, all for a
*batch* of models at once.

Every array has a leading batch axis ``B``: effect sizes ``y`` and sampling variances ``v`` are
``(B, k)``, the design ``X`` is ``(B, k, p)`` and ``mask`` (``(B, k)``, boolean) says which
studies each model uses. One meta-analysis is a batch of one; leave-one-out is a batch of ``k``
masks; subgroups are a batch of one mask per group. Studies outside a model's mask get weight
zero, so nothing loops over studies and nothing is copied per model.

Notation follows Viechtbauer (2005), "Bias and efficiency of meta-analytic variance estimators
in the random-effects model", J Educ Behav Stat 30:261-293, and the metafor documentation:
``W = diag(1 / (v + tau2))``, ``P = W - W X (X'WX)^-1 X'W``. Two identities keep the batch cheap:
``P y = W r`` with ``r = y - X b`` the WLS residuals, so ``y'Py = sum(w r^2)`` and
``y'PPy = sum(w^2 r^2)``; and ``tr(P) = sum(w) - tr((X'WX)^-1 X'W^2 X)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Estimators of tau^2 (codes as in metafor). FE ("fixed effect", also called common or equal
#: effect) sets tau^2 = 0.
METHODS = ("FE", "DL", "HE", "HS", "SJ", "PM", "ML", "REML")
TESTS = ("z", "knha")
#: Prediction intervals, as metafor 3.8's ``predict(..., pi.type=)``; see :meth:`BatchFit.prediction_critical`.
PI_TYPES = ("default", "riley", "t", "simple")
_BISECTIONS = 200


@dataclass(frozen=True)
class BatchFit:
    """Fitted models, one per batch row. Shapes: ``(B,)`` unless stated."""

    beta: np.ndarray  # (B, p) coefficients
    vb: np.ndarray  # (B, p, p) their covariance (Knapp-Hartung scaled when test is knha)
    tau2: np.ndarray
    k: np.ndarray  # studies in each model
    p: int
    weights: np.ndarray  # (B, k) percent of the total weight (0 outside the mask)
    q: np.ndarray  # Cochran's Q (QE, residual heterogeneity), fixed-effect weights
    q_df: np.ndarray
    q_pvalue: np.ndarray
    vt: np.ndarray  # "typical" within-study variance (k - p) / tr(P_FE)
    i2: np.ndarray  # percent
    h2: np.ndarray
    df: np.ndarray  # t / F denominator degrees of freedom (k - p) for knha; NaN for z
    test: str
    method: str

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diagonal(self.vb, axis1=1, axis2=2))

    def critical(self, level: float) -> np.ndarray:
        """Two-sided critical value for intervals: normal, or t on ``k - p`` df for knha."""
        upper = 0.5 + level / 2
        if self.test == "knha":
            with np.errstate(invalid="ignore"):
                return stats.t.ppf(upper, np.where(self.df > 0, self.df, np.nan))
        return np.full(self.tau2.shape, stats.norm.ppf(upper))

    def prediction_df(self, pi_type: str) -> np.ndarray:
        """Degrees of freedom of the prediction interval's t quantile; NaN for a normal one.

        As metafor 3.8's ``predict(..., pi.type=)`` for a random-effects model with ``p``
        coefficients and tau^2 (``p + 1`` parameters): "default", the confidence interval's
        quantile (t on ``k - p`` df for knha, else normal); "riley", t on ``k - p - 1`` df
        (``k - 2`` for a pooled mean: Higgins, Thompson & Spiegelhalter 2009, J R Stat Soc A
        172:137-159; Riley, Higgins & Deeks 2011, BMJ 342:d549); "t", t on ``k - p`` df;
        "simple", normal. Degrees of freedom below 1 become 1, as in metafor."""
        if pi_type not in PI_TYPES:
            raise ValueError(f"unknown pi_type {pi_type!r}; use one of {', '.join(PI_TYPES)}")
        residual_df = (self.k - self.p).astype(float)
        if pi_type == "riley":
            return np.maximum(residual_df - 1, 1.0)
        if pi_type == "t":
            return np.maximum(residual_df, 1.0)
        if pi_type == "default" and self.test == "knha":
            return np.where(self.df > 0, self.df, np.nan)
        return np.full(self.tau2.shape, np.nan)

    def prediction_critical(self, level: float, pi_type: str) -> np.ndarray:
        """Two-sided critical value of the prediction interval (see :meth:`prediction_df`)."""
        df = self.prediction_df(pi_type)
        upper = 0.5 + level / 2
        if pi_type == "default":
            return self.critical(level)
        if pi_type == "simple":
            return np.full(self.tau2.shape, stats.norm.ppf(upper))
        return stats.t.ppf(upper, df)

    def pvalues(self) -> np.ndarray:
        """(B, p) two-sided p-values of the coefficients."""
        statistic = self.beta / self.se
        if self.test == "knha":
            return 2 * stats.t.sf(np.abs(statistic), self.df[:, None])
        return 2 * stats.norm.sf(np.abs(statistic))


def _weights(v: np.ndarray, mask: np.ndarray, tau2: np.ndarray) -> np.ndarray:
    return np.where(mask, 1.0 / (v + tau2[..., None]), 0.0)


def _wls(y: np.ndarray, w: np.ndarray, X: np.ndarray):
    """Weighted least squares for a batch: coefficients, (X'WX)^-1, residuals."""
    XtW = np.swapaxes(X, -1, -2) * w[..., None, :]
    inverse = np.linalg.inv(XtW @ X)
    beta = (inverse @ (XtW @ y[..., None]))[..., 0]
    residuals = y - (X @ beta[..., None])[..., 0]
    return beta, inverse, residuals


def _trace_p(w: np.ndarray, X: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    XtW2X = np.swapaxes(X, -1, -2) @ (X * (w**2)[..., None])
    return w.sum(-1) - np.trace(inverse @ XtW2X, axis1=-2, axis2=-1)


def generalised_q(y, v, X, mask, tau2) -> np.ndarray:
    """Q(tau2) = y'P(tau2)y = sum of weighted squared residuals at weights 1/(v + tau2);
    strictly decreasing in tau2 (the basis of the Paule-Mandel estimator and Q-profile)."""
    w = _weights(v, mask, tau2)
    _, _, r = _wls(y, w, X)
    return (w * r**2).sum(-1)


def _score_and_loglik(y, v, X, mask, tau2, reml: bool):
    """Derivative of the (restricted) profile log-likelihood in tau2, and its value up to a
    constant. ML score: (y'PPy - tr W) / 2; REML: (y'PPy - tr P) / 2 (Viechtbauer 2005)."""
    w = _weights(v, mask, tau2)
    _, inverse, r = _wls(y, w, X)
    ypp = ((w * r) ** 2).sum(-1)
    log_lik = -0.5 * np.where(mask, np.log(v + tau2[..., None]), 0.0).sum(-1) - 0.5 * (w * r**2).sum(-1)
    if reml:
        trace = _trace_p(w, X, inverse)
        log_lik = log_lik + 0.5 * np.linalg.slogdet(inverse)[1]  # - log det(X'WX) / 2
    else:
        trace = w.sum(-1)
    return 0.5 * (ypp - trace), log_lik


def _bisect_decreasing(f, target: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Root of ``f(x) = target`` for each batch row, ``f`` decreasing and the root bracketed by
    ``[low, high]``; bisection to the resolution of double precision (vectorised)."""
    low, high = low.astype(float).copy(), high.astype(float).copy()
    for _ in range(_BISECTIONS):
        middle = 0.5 * (low + high)
        above = f(middle) > target
        low = np.where(above, middle, low)
        high = np.where(above, high, middle)
        if np.all(high - low <= 4 * np.finfo(float).eps * np.maximum(np.abs(high), 1e-300)):
            break
    return 0.5 * (low + high)


def _ols_rss(y, X, mask) -> np.ndarray:
    w = mask.astype(float)
    _, _, r = _wls(y, w, X)
    return (w * r**2).sum(-1)


def _paule_mandel(y, v, X, mask, k, p) -> np.ndarray:
    """Paule & Mandel (1982): tau2 with Q(tau2) = k - p, or 0 when Q(0) <= k - p. The root is
    bracketed by RSS_OLS / (k - p), where Q is already below k - p, so it is always found
    (unlike statsmodels, which can return 0 from a poor starting value)."""
    target = (k - p).astype(float)
    zero = np.zeros(len(k))
    at_zero = generalised_q(y, v, X, mask, zero)
    high = _ols_rss(y, X, mask) / target * (1 + 1e-9) + 1e-12
    root = _bisect_decreasing(lambda t: generalised_q(y, v, X, mask, t), target, zero, high)
    return np.where(at_zero <= target, 0.0, root)


def _likelihood_tau2(y, v, X, mask, k, p, reml: bool) -> np.ndarray:
    """ML or REML tau2: the global maximum of the profile likelihood on [0, inf).

    The score is evaluated on a grid up to a bound where it is negative; every sign change
    from + to - brackets a local maximum, the one with the highest likelihood is refined by
    bisection and compared with the boundary tau2 = 0. This finds the maximum metafor's Fisher
    scoring converges to, and does not get stuck at a local one."""
    B = len(k)
    high = 2 * _ols_rss(y, X, mask) / np.maximum(k - p, 1) + 2 * np.where(mask, v, 0).max(-1) + 1e-8
    for _ in range(60):
        score, _ = _score_and_loglik(y, v, X, mask, high, reml)
        if np.all(score < 0):
            break
        high = np.where(score < 0, high, 2 * high)
    grid = high[:, None] * np.linspace(0.0, 1.0, 121) ** 2  # (B, G), dense near 0
    G = grid.shape[1]
    # row b*G + g: model b at grid g
    y_tiled, v_tiled, X_tiled, mask_tiled = (np.repeat(a, G, axis=0) for a in (y, v, X, mask))
    score, log_lik = _score_and_loglik(y_tiled, v_tiled, X_tiled, mask_tiled, grid.ravel(), reml)
    score, log_lik = score.reshape(B, G), log_lik.reshape(B, G)
    crossing = (score[:, :-1] > 0) & (score[:, 1:] <= 0)
    candidate = np.where(crossing, np.maximum(log_lik[:, :-1], log_lik[:, 1:]), -np.inf)
    cell = candidate.argmax(-1)
    has_interior = crossing.any(-1)
    rows = np.arange(B)
    low, up = grid[rows, cell], grid[rows, cell + 1]
    root = _bisect_decreasing(lambda t: _score_and_loglik(y, v, X, mask, t, reml)[0], np.zeros(B), low, up)
    root = np.where(has_interior, root, 0.0)
    _, ll_root = _score_and_loglik(y, v, X, mask, root, reml)
    boundary = score[:, 0] <= 0
    return np.where(boundary & (log_lik[:, 0] >= ll_root), 0.0, root)


def estimate_tau2(y, v, X, mask, method: str) -> np.ndarray:
    """Between-study variance by ``method`` for each batch row, truncated at 0 (as metafor
    does for every estimator; statsmodels leaves DerSimonian-Laird negative).

    FE: 0. DL: DerSimonian & Laird (1986), generalised to meta-regression. HE: Hedges (1983),
    from OLS residuals. HS: Hunter & Schmidt (2004), ``(Q - k) / sum(w)``. SJ: Sidik & Jonkman
    (2005), one step from ``tau0 = mean((y - mean y)^2)``. PM: Paule & Mandel (1982). ML, REML:
    (restricted) maximum likelihood (Viechtbauer 2005). Models with ``k <= p`` (one study for a
    pooled mean) get 0, as in metafor.
    """
    k = mask.sum(-1)
    p = X.shape[-1]
    B = len(k)
    if method == "FE":
        return np.zeros(B)
    residual_df = (k - p).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("DL", "HS"):
            w = np.where(mask, 1.0 / v, 0.0)
            _, inverse, r = _wls(y, w, X)
            q = (w * r**2).sum(-1)
            if method == "DL":
                tau2 = (q - residual_df) / _trace_p(w, X, inverse)
            else:
                tau2 = (q - k) / w.sum(-1)
        elif method == "HE":
            m = mask.astype(float)
            _, inverse, r = _wls(y, m, X)
            leverage = np.einsum("bki,bij,bkj->bk", X, inverse, X) * m
            trace_pv = (np.where(mask, v, 0.0) * (m - leverage)).sum(-1)
            tau2 = ((m * r**2).sum(-1) - trace_pv) / residual_df
        elif method == "SJ":
            mean = np.where(mask, y, 0).sum(-1) / k
            tau0 = np.where(mask, (y - mean[:, None]) ** 2, 0).sum(-1) / k
            tau2 = tau0 * generalised_q(y, v, X, mask, tau0) / residual_df
        elif method == "PM":
            tau2 = _paule_mandel(y, v, X, mask, k, p)
        elif method in ("ML", "REML"):
            tau2 = _likelihood_tau2(y, v, X, mask, k, p, reml=method == "REML")
        else:
            raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    return np.where(residual_df >= 1, np.maximum(np.nan_to_num(tau2, nan=0.0), 0.0), 0.0)


def fit(y, v, X, mask, method: str, test: str, tau2: np.ndarray | None = None) -> BatchFit:
    """Fit a batch of (mixed-effects) meta-regression models; ``tau2`` fixes the between-study
    variance instead of estimating it.

    Knapp & Hartung (2003): the coefficients' covariance is multiplied by
    ``s2 = sum(w r^2) / (k - p)`` (not truncated at 1, as in metafor's ``test="knha"``) and tests
    and intervals use t (and F) on ``k - p`` df. I^2 and H^2 come from tau^2 and the typical
    within-study variance (Higgins & Thompson 2002, as metafor defines them for every
    estimator); for FE models they come from Q.
    """
    if tau2 is None:
        tau2 = estimate_tau2(y, v, X, mask, method)
    k = mask.sum(-1)
    p = X.shape[-1]
    w = _weights(v, mask, tau2)
    beta, inverse, r = _wls(y, w, X)
    residual_df = (k - p).astype(float)
    if test == "knha":
        rss = (w * r**2).sum(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / residual_df)
        vb = inverse * s2w[:, None, None]
        df = residual_df
    elif test == "z":
        vb, df = inverse, np.full(len(k), np.nan)
    else:
        raise ValueError(f"unknown test {test!r}; use one of {', '.join(TESTS)}")

    w_fe = np.where(mask, 1.0 / v, 0.0)
    _, inverse_fe, r_fe = _wls(y, w_fe, X)
    heterogeneous = residual_df > 0
    q = np.where(heterogeneous, np.maximum(0.0, (w_fe * r_fe**2).sum(-1)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        vt = np.where(heterogeneous, residual_df / _trace_p(w_fe, X, inverse_fe), 0.0)
        if method == "FE":
            i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - residual_df) / q), 0.0)
            h2 = q / residual_df
        else:
            i2 = 100 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1
    i2 = np.where(heterogeneous, i2, 0.0)
    h2 = np.where(heterogeneous, h2, 1.0)
    q_pvalue = np.where(heterogeneous, stats.chi2.sf(q, np.maximum(residual_df, 1)), 1.0)
    weights = 100 * w / w.sum(-1, keepdims=True)
    return BatchFit(
        beta=beta,
        vb=vb,
        tau2=tau2,
        k=k,
        p=p,
        weights=weights,
        q=q,
        q_df=residual_df,
        q_pvalue=q_pvalue,
        vt=vt,
        i2=i2,
        h2=h2,
        df=df,
        test=test,
        method=method,
    )


def q_profile_interval(y, v, X, mask, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Q-profile confidence interval for tau^2 (Viechtbauer 2007, Stat Med 26:37-52): the
    values of tau^2 at which the generalised Q equals the chi-square (k - p) quantiles
    ``1 - alpha/2`` (lower bound) and ``alpha/2`` (upper bound); a bound is 0 when Q(0) is
    already below its quantile. metafor searches only up to max(100, 10 tau^2); this searches
    without limit."""
    k = mask.sum(-1)
    p = X.shape[-1]
    residual_df = (k - p).astype(float)
    alpha = 1 - level
    zero = np.zeros(len(k))
    at_zero = generalised_q(y, v, X, mask, zero)
    rss = _ols_rss(y, X, mask)
    bounds = []
    for quantile in (1 - alpha / 2, alpha / 2):
        critical = stats.chi2.ppf(quantile, residual_df)
        high = rss / critical * (1 + 1e-9) + 1e-12
        root = _bisect_decreasing(lambda t: generalised_q(y, v, X, mask, t), critical, zero, high)
        bounds.append(np.where(at_zero <= critical, 0.0, root))
    return bounds[0], bounds[1]


def batch(
    y: np.ndarray, v: np.ndarray, X: np.ndarray | None = None, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Broadcast one set of studies (``y``, ``v``: ``(k,)``; ``X``: ``(k, p)``, default an
    intercept) to a batch of ``len(mask)`` models (default one model using every study)."""
    y, v = np.asarray(y, float), np.asarray(v, float)
    X = np.ones((len(y), 1)) if X is None else np.asarray(X, float)
    mask = np.ones((1, len(y)), bool) if mask is None else np.asarray(mask, bool)
    B = len(mask)
    # Values outside a mask never enter a sum, but must be finite and positive for 1/(v+tau2).
    yb = np.where(mask, y, 0.0)
    vb = np.where(mask, v, 1.0)
    Xb = np.broadcast_to(X, (B, *X.shape)).copy()
    return yb, vb, Xb, mask
