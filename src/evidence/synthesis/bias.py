"""Small-study effects (funnel-plot asymmetry): Egger's regression test and the rank-correlation
test, agreeing with metafor's ``regtest`` and ``ranktest``; trim-and-fill is in
:mod:`evidence.synthesis.trimfill` and the three together, for a report, in
:mod:`evidence.synthesis.small_studies`.

Asymmetry can come from publication bias, but also from genuine differences between small and
large studies, chance or the choice of effect measure; the tests have little power with fewer
than 10 studies (Sterne et al. 2011, BMJ 343:d4002). Report them as checks, not verdicts.

When every study has the same variance (:func:`precision_varies`), the regression on the
standard error and the rank correlation cannot be estimated; the tests refuse, as metafor does,
and :func:`~evidence.synthesis.small_studies.small_study_checks` returns the reason in words for
a report instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from evidence.errors import Problem, ValidationError
from evidence.synthesis import _engine
from evidence.synthesis.models import INPUT, check_effects, check_options, json_ready

#: A regressor is collinear with the intercept when the part of it orthogonal to the intercept
#: is shorter than this fraction of its length: the tolerance of R's ``lm`` (``qr`` with
#: ``tol = 1e-7``), which metafor's ``regtest`` uses to refuse such a model.
COLLINEARITY_TOLERANCE = 1e-7


def precision_varies(vi) -> bool:
    """Whether the studies' standard errors ``sqrt(vi)`` differ enough for a regression on
    them: False when every study has (to R's ``lm`` tolerance, :data:`COLLINEARITY_TOLERANCE`)
    the same sampling variance, as when every study has the same size. Egger's regression test,
    the rank-correlation test and trim-and-fill's choice of side then cannot be estimated."""
    se = np.sqrt(np.asarray(vi, dtype=float))
    return bool(np.linalg.norm(se - se.mean()) > COLLINEARITY_TOLERANCE * np.linalg.norm(se))


def same_precision_problem(vi: np.ndarray, what: str, advice: str) -> ValidationError:
    """The refusal when every study has the same variance: names the value and what to do."""
    rule = (
        f"every study has the same sampling variance, so {what} cannot be estimated "
        "(the standard errors do not vary, and a regression on them is collinear with the "
        "intercept)"
    )
    return ValidationError([Problem(INPUT, None, "vi", f"all {len(vi)} equal to {vi[0]:.6g}", rule)], advice)


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
        return (
            f"Regression test for funnel-plot asymmetry ({self.model}, {self.method}; "
            f"predictor: standard error): {stat} = {self.statistic:.4f}, p = {self.pvalue:.4f}; "
            f"limit estimate {self.limit_estimate:.4f} ({self.limit_ci[0]:.4f} to "
            f"{self.limit_ci[1]:.4f})"
        )

    def to_dict(self) -> dict:
        return json_ready(asdict(self))


def egger_test(yi, vi, method: str = "REML", test: str = "z", model: str = "rma", level: float = 0.95) -> EggerTest:
    """Egger's regression test (Egger et al. 1997, BMJ 315:629-634), as metafor's ``regtest``.

    ``model="rma"`` (metafor's default): a meta-regression on the standard error with the same
    tau^2 ``method`` and ``test`` as the main analysis (Sterne & Egger 2005). ``model="lm"``:
    Egger's original weighted linear regression, weights 1/vi with a multiplicative dispersion
    and a t-test on k - 2 df (equivalently, fixed effect with the Knapp-Hartung scale).

    Refused (:class:`~evidence.errors.ValidationError`) when every study has the same variance
    (see :func:`precision_varies`): the slope on the standard error is not estimable, and
    metafor refuses too."""
    method, test = check_options(method, test, level)
    if model not in ("rma", "lm"):
        raise ValueError(f"model must be 'rma' or 'lm', got {model!r}")
    yi, vi, _ = check_effects(yi, vi, random_effects=method != "FE" and model == "rma", minimum=3)
    if not precision_varies(vi):
        raise same_precision_problem(
            vi,
            "Egger's regression test",
            "No regression test for funnel-plot asymmetry is possible with these studies.",
        )
    if model == "lm":
        method, test = "FE", "knha"
    X = np.column_stack([np.ones(len(yi)), np.sqrt(vi)])
    y, v, Xb, mask = _engine.batch(yi, vi, X)
    fit = _engine.fit(y, v, Xb, mask, method, test)
    beta, se = fit.beta[0], fit.se[0]
    critical = float(fit.critical(level)[0])
    return EggerTest(
        statistic=float(beta[1] / se[1]),
        pvalue=float(fit.pvalues()[0, 1]),
        df=float(fit.df[0]),
        slope=float(beta[1]),
        limit_estimate=float(beta[0]),
        limit_ci=(float(beta[0] - critical * se[0]), float(beta[0] + critical * se[0])),
        model=model,
        method=method,
    )


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
    normal approximation with the tie-corrected variance. Refused when every study has the
    same variance (see :func:`precision_varies`): Kendall's tau is then undefined (metafor
    gives NA)."""
    yi, vi, _ = check_effects(yi, vi, random_effects=False, minimum=3)
    if not precision_varies(vi):
        raise same_precision_problem(
            vi,
            "the rank correlation between effects and variances",
            "No rank correlation test is possible with these studies.",
        )
    w = 1 / vi
    theta = np.sum(w * yi) / np.sum(w)
    standardised = (yi - theta) / np.sqrt(vi - 1 / np.sum(w))
    ties = len(np.unique(standardised)) < len(yi) or len(np.unique(vi)) < len(vi)
    result = stats.kendalltau(standardised, vi, method="asymptotic" if ties else "exact")
    return RankCorrelationTest(tau=float(result.statistic), pvalue=float(result.pvalue), exact=not ties)
