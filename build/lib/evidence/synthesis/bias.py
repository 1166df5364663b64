"""Small-study effects (funnel-plot asymmetry): Egger's regression test, the rank-correlation
test and trim-and-fill, agreeing with metafor's ``regtest``, ``ranktest`` and ``trimfill``.

Asymmetry can come from publication bias, but also from genuine differences between small and
large studies, chance or the choice of effect measure; the tests have little power with fewer
than 10 studies (Sterne et al. 2011, BMJ 343:d4002). Report them as checks, not verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from evidence.synthesis import _engine
from evidence.synthesis.models import (
    MetaAnalysisResult,
    _check_options,
    check_effects,
    json_ready,
    meta_analysis,
)


@dataclass(frozen=True)
class EggerTest:
    """Regression test for funnel-plot asymmetry: the coefficient of the standard error in a
    regression of effect on standard error. ``statistic`` is z (``model="rma"`` with a z-test)
    or t on ``df``; ``limit_estimate`` is the intercept, the effect expected in a study with
    SE 0 (the "limit meta-analysis" estimate), with its interval."""

    statistic: float
    pvalue: float
    df: float
    slope: float
    limit_estimate: float
    limit_ci: tuple[float, float]
    model: str
    method: str

    def summary(self) -> str:
        stat = "z" if np.isnan(self.df) else f"t(df = {self.df:g})"
        return (f"Regression test for funnel-plot asymmetry ({self.model}, {self.method}; "
                f"predictor: standard error): {stat} = {self.statistic:.4f}, p = {self.pvalue:.4f}; "
                f"limit estimate {self.limit_estimate:.4f} ({self.limit_ci[0]:.4f} to "
                f"{self.limit_ci[1]:.4f})")

    def to_dict(self) -> dict:
        return json_ready(asdict(self))


def egger_test(yi, vi, method: str = "REML", test: str = "z", model: str = "rma",
               level: float = 0.95) -> EggerTest:
    """Egger's regression test (Egger et al. 1997, BMJ 315:629-634), as metafor's ``regtest``.

    ``model="rma"`` (metafor's default): a meta-regression on the standard error with the same
    tau^2 ``method`` and ``test`` as the main analysis (Sterne & Egger 2005). ``model="lm"``:
    Egger's original weighted linear regression, weights 1/vi with a multiplicative dispersion
    and a t-test on k - 2 df (equivalently, fixed effect with the Knapp-Hartung scale)."""
    method, test = _check_options(method, test, level)
    if model not in ("rma", "lm"):
        raise ValueError(f"model must be 'rma' or 'lm', got {model!r}")
    yi, vi, _ = check_effects(yi, vi, random_effects=method != "FE" and model == "rma", minimum=3)
    if model == "lm":
        method, test = "FE", "knha"
    X = np.column_stack([np.ones(len(yi)), np.sqrt(vi)])
    y, v, Xb, mask = _engine.batch(yi, vi, X)
    fit = _engine.fit(y, v, Xb, mask, method, test)
    beta, se = fit.beta[0], fit.se[0]
    critical = float(fit.critical(level)[0])
    return EggerTest(statistic=float(beta[1] / se[1]), pvalue=float(fit.pvalues()[0, 1]),
                     df=float(fit.df[0]), slope=float(beta[1]), limit_estimate=float(beta[0]),
                     limit_ci=(float(beta[0] - critical * se[0]), float(beta[0] + critical * se[0])),
                     model=model, method=method)


@dataclass(frozen=True)
class RankCorrelationTest:
    """Kendall's tau between standardised effects and their variances, and its p-value."""

    tau: float
    pvalue: float
    exact: bool

    def summary(self) -> str:
        kind = "exact" if self.exact else "normal approximation"
        return f"Rank correlation test: Kendall's tau = {self.tau:.4f}, p = {self.pvalue:.4f} ({kind})"

    def to_dict(self) -> dict:
        return json_ready(asdict(self))


def rank_correlation_test(yi, vi) -> RankCorrelationTest:
    """Begg & Mazumdar (1994, Biometrics 50:1088-1101) rank-correlation test, as metafor's
    ``ranktest``: effects are standardised about the fixed-effect mean,
    ``(y - theta) / sqrt(v - 1/sum(w))``, and correlated with ``v`` by Kendall's tau-b. The
    p-value is exact when there are no ties (as R's ``cor.test(exact = TRUE)``), else from the
    normal approximation with the tie-corrected variance."""
    yi, vi, _ = check_effects(yi, vi, random_effects=False, minimum=3)
    w = 1 / vi
    theta = np.sum(w * yi) / np.sum(w)
    standardised = (yi - theta) / np.sqrt(vi - 1 / np.sum(w))
    ties = len(np.unique(standardised)) < len(yi) or len(np.unique(vi)) < len(vi)
    result = stats.kendalltau(standardised, vi, method="asymptotic" if ties else "exact")
    return RankCorrelationTest(tau=float(result.statistic), pvalue=float(result.pvalue), exact=not ties)


@dataclass(frozen=True)
class TrimFillResult:
    """Trim-and-fill: ``k0`` studies estimated missing on ``side`` ("left" or "right" of the
    pooled estimate), their mirror images ``filled_yi``/``filled_vi``, and ``adjusted``, the
    model fitted to the observed plus filled studies. ``se_k0`` is the estimator's standard
    error; ``p_k0`` the p-value of R0 (NaN for L0)."""

    k0: int
    se_k0: float
    side: str
    estimator: str
    p_k0: float
    filled_yi: np.ndarray = field(repr=False)
    filled_vi: np.ndarray = field(repr=False)
    adjusted: MetaAnalysisResult = field(repr=False)
    original: MetaAnalysisResult = field(repr=False)

    def summary(self) -> str:
        if self.k0 == 0:
            return f"Trim-and-fill ({self.estimator}): no studies estimated missing."
        return (f"Trim-and-fill ({self.estimator}): {self.k0} studies estimated missing on the "
                f"{self.side} (SE {self.se_k0:.2f}); adjusted estimate {self.adjusted.estimate:.4f} "
                f"({self.adjusted.ci_low:.4f} to {self.adjusted.ci_high:.4f}) against "
                f"{self.original.estimate:.4f} observed")

    def to_dict(self) -> dict:
        return json_ready({"k0": self.k0, "se_k0": self.se_k0, "side": self.side,
                       "estimator": self.estimator, "p_k0": self.p_k0,
                       "filled_yi": list(self.filled_yi), "filled_vi": list(self.filled_vi),
                       "adjusted": self.adjusted.to_dict()})


def trim_and_fill(yi, vi, method: str = "REML", test: str = "z", level: float = 0.95,
                  estimator: str = "L0", side: str | None = None,
                  labels: Sequence[str] | None = None, max_iterations: int = 100) -> TrimFillResult:
    """Duval & Tweedie's (2000, Biometrics 56:455-463; JASA 95:89-98) trim-and-fill, as
    metafor's ``trimfill``.

    The side with missing studies is, unless given, the one opposite the sign of the slope on
    the standard error (a regression as in :func:`egger_test`). Iteratively, the ``k0`` most
    extreme studies on that side are trimmed, the model re-fitted, and ``k0`` re-estimated
    from the signed ranks of the deviations (L0: ``(4 S - k(k+1)) / (2k - 1)``; R0: the length
    of the rightmost run of ranks, minus 1), until ``k0`` stops changing. The trimmed studies'
    mirror images about the trimmed estimate are then added and the model fitted to all."""
    method, test = _check_options(method, test, level)
    estimator = estimator.upper()
    if estimator not in ("L0", "R0"):
        raise ValueError(f"estimator must be 'L0' or 'R0', got {estimator!r}")
    yi, vi, labels = check_effects(yi, vi, labels, random_effects=method != "FE", minimum=3)
    original = meta_analysis(yi, vi, method, test, level, labels)
    if side is None:
        X = np.column_stack([np.ones(len(yi)), np.sqrt(vi)])
        slope = _engine.fit(*_engine.batch(yi, vi, X), method, "z").beta[0, 1]
        side = "right" if slope < 0 else "left"
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left', 'right' or None, got {side!r}")
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * yi, kind="stable")
    y, v = sign * yi[order], vi[order]
    k = len(y)
    k0, previous, iteration = 0, -1, 0
    while k0 != previous:
        previous, iteration = k0, iteration + 1
        if iteration > max_iterations:
            raise RuntimeError("trim-and-fill did not converge")
        trimmed = np.arange(k) < k - k0
        beta = _engine.fit(*_engine.batch(y, v, mask=trimmed[None, :]), method, "z").beta[0, 0]
        deviation = y - beta
        ranks = stats.rankdata(np.abs(deviation), method="ordinal")
        signed = np.sign(deviation) * ranks
        if estimator == "L0":
            s_r = signed[signed > 0].sum()
            estimate = (4 * s_r - k * (k + 1)) / (2 * k - 1)
            var_s = (k * (k + 1) * (2 * k + 1) + 10 * estimate**3 + 27 * estimate**2 + 17 * estimate
                     - 18 * k * estimate**2 - 18 * k * estimate + 6 * k**2 * estimate) / 24
            se_k0 = 4 * np.sqrt(var_s) / (2 * k - 1)
        else:
            estimate = (k - np.max(-signed[signed < 0], initial=0)) - 1
            se_k0 = np.sqrt(2 * max(0, estimate) + 2)
        k0 = int(max(0, np.round(estimate)))
        se_k0 = float(max(0.0, se_k0))
    filled_yi = sign * (2 * beta - y[k - k0:])
    filled_vi = v[k - k0:]
    if k0 > 0:
        adjusted = meta_analysis(np.concatenate([yi, filled_yi]), np.concatenate([vi, filled_vi]),
                                 method, test, level,
                                 [*labels, *(f"Filled {i + 1}" for i in range(k0))])
    else:
        adjusted = original
    return TrimFillResult(k0=k0, se_k0=se_k0, side=side, estimator=estimator,
                          p_k0=0.5 ** (k0 + 1) if estimator == "R0" else np.nan,
                          filled_yi=filled_yi, filled_vi=filled_vi, adjusted=adjusted,
                          original=original)
