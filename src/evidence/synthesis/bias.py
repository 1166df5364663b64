"""Small-study effects (funnel-plot asymmetry): Egger's regression test, the rank-correlation
test and trim-and-fill, agreeing with metafor's ``regtest``, ``ranktest`` and ``trimfill``.

Asymmetry can come from publication bias, but also from genuine differences between small and
large studies, chance or the choice of effect measure; the tests have little power with fewer
than 10 studies (Sterne et al. 2011, BMJ 343:d4002). Report them as checks, not verdicts.

When every study has the same variance (:func:`precision_varies`), the regression on the
standard error and the rank correlation cannot be estimated; the tests refuse, as metafor does,
and :func:`small_study_checks` returns the reason in words for a report instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from evidence.errors import Problem, ValidationError
from evidence.synthesis import _engine
from evidence.synthesis.models import (
    INPUT,
    MetaAnalysisResult,
    _check_options,
    check_effects,
    json_ready,
    meta_analysis,
)

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


def _same_precision_problem(vi: np.ndarray, what: str, advice: str) -> ValidationError:
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
    method, test = _check_options(method, test, level)
    if model not in ("rma", "lm"):
        raise ValueError(f"model must be 'rma' or 'lm', got {model!r}")
    yi, vi, _ = check_effects(yi, vi, random_effects=method != "FE" and model == "rma", minimum=3)
    if not precision_varies(vi):
        raise _same_precision_problem(
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
        raise _same_precision_problem(
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


@dataclass(frozen=True)
class TrimFillResult:
    """Trim-and-fill: ``k0`` studies estimated missing on ``side`` ("left" or "right" of the
    pooled estimate; ``side_given`` says whether the caller chose it), their mirror images
    ``filled_yi``/``filled_vi``, and ``adjusted``, the model fitted to the observed plus filled
    studies with the test ``adjusted.test`` ("z" or "knha"; when ``k0`` is 0 it is
    ``original``). ``se_k0`` is the estimator's standard error (NaN when the L0 variance
    formula goes negative, as in metafor); ``p_k0`` the p-value of R0 (NaN for L0)."""

    k0: int
    se_k0: float
    side: str
    estimator: str
    p_k0: float
    filled_yi: np.ndarray = field(repr=False)
    filled_vi: np.ndarray = field(repr=False)
    adjusted: MetaAnalysisResult = field(repr=False)
    original: MetaAnalysisResult = field(repr=False)
    side_given: bool = False

    def summary(self) -> str:
        if self.k0 == 0:
            return f"Trim-and-fill ({self.estimator}, {self.side} side): no studies estimated missing."
        test = "Knapp-Hartung t-test" if self.adjusted.test == "knha" else "z-test"
        return (
            f"Trim-and-fill ({self.estimator}): {self.k0} studies estimated missing on the "
            f"{self.side} (SE {'NA' if np.isnan(self.se_k0) else f'{self.se_k0:.2f}'}); "
            f"adjusted estimate {self.adjusted.estimate:.4f} "
            f"({self.adjusted.ci_low:.4f} to {self.adjusted.ci_high:.4f}, {test}) against "
            f"{self.original.estimate:.4f} observed"
        )

    def to_dict(self) -> dict:
        return json_ready(
            {
                "k0": self.k0,
                "se_k0": self.se_k0,
                "side": self.side,
                "side_given": self.side_given,
                "estimator": self.estimator,
                "p_k0": self.p_k0,
                "adjusted_test": self.adjusted.test,
                "filled_yi": list(self.filled_yi),
                "filled_vi": list(self.filled_vi),
                "adjusted": self.adjusted.to_dict(),
            }
        )


def trim_and_fill(
    yi,
    vi,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    estimator: str = "L0",
    side: str | None = None,
    labels: Sequence[str] | None = None,
    max_iterations: int = 100,
    adjusted_test: str | None = None,
    pi_type: str = "default",
) -> TrimFillResult:
    """Duval & Tweedie's (2000, Biometrics 56:455-463; JASA 95:89-98) trim-and-fill, as
    metafor's ``trimfill``.

    The side with missing studies is, unless given (``side``: "left" or "right", metafor's
    ``side``), the one opposite the sign of the slope on the standard error (a regression as in
    :func:`egger_test`). Iteratively, the ``k0`` most extreme studies on that side are trimmed,
    the model re-fitted, and ``k0`` re-estimated from the signed ranks of the deviations (L0:
    ``(4 S - k(k+1)) / (2k - 1)``; R0: the length of the rightmost run of ranks, minus 1),
    until ``k0`` stops changing. The trimmed studies' mirror images about the trimmed estimate
    are then added and the model fitted to all.

    ``adjusted_test``: the test of that last fit. None (default) uses ``test``, so that the
    adjusted interval is made as the observed one is; "z" is what metafor's ``trimfill`` does
    unless a test is passed on to it (it refits with ``rma``'s default, so after a
    Knapp-Hartung fit its adjusted interval is a z interval, while with ``k0 = 0`` it returns
    the Knapp-Hartung model itself). The iterations use only the pooled estimate, which does
    not depend on the test. ``pi_type``: the prediction intervals', as in
    :func:`~evidence.synthesis.meta_analysis`.

    With every study of the same variance (see :func:`precision_varies`) the slope is not
    estimable: the side must then be given, else a
    :class:`~evidence.errors.ValidationError` says so (metafor stops with an error)."""
    method, test = _check_options(method, test, level)
    adjusted_test = test if adjusted_test is None else _check_options(method, adjusted_test, level)[1]
    estimator = estimator.upper()
    if estimator not in ("L0", "R0"):
        raise ValueError(f"estimator must be 'L0' or 'R0', got {estimator!r}")
    if side not in (None, "left", "right"):
        raise ValueError(f"side must be 'left', 'right' or None, got {side!r}")
    yi, vi, labels = check_effects(yi, vi, labels, random_effects=method != "FE", minimum=3)
    side_given = side is not None
    if not side_given and not precision_varies(vi):
        raise _same_precision_problem(
            vi,
            "trim-and-fill's choice of side (from the regression on the standard error)",
            "Give the side (side='left' or side='right') to run trim-and-fill on these studies.",
        )
    original = meta_analysis(yi, vi, method, test, level, labels, pi_type)
    if side is None:
        X = np.column_stack([np.ones(len(yi)), np.sqrt(vi)])
        slope = _engine.fit(*_engine.batch(yi, vi, X), method, "z").beta[0, 1]
        side = "right" if slope < 0 else "left"
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
            var_s = (
                k * (k + 1) * (2 * k + 1)
                + 10 * estimate**3
                + 27 * estimate**2
                + 17 * estimate
                - 18 * k * estimate**2
                - 18 * k * estimate
                + 6 * k**2 * estimate
            ) / 24
            with np.errstate(invalid="ignore"):  # a negative variance: NaN, as in metafor
                se_k0 = 4 * np.sqrt(var_s) / (2 * k - 1)
        else:
            estimate = (k - np.max(-signed[signed < 0], initial=0)) - 1
            se_k0 = np.sqrt(2 * max(0, estimate) + 2)
        k0 = int(max(0, np.round(estimate)))
        se_k0 = float(np.maximum(0.0, se_k0))  # NaN stays NaN as in R (Python's max(0.0, nan) is 0.0)
    filled_yi = sign * (2 * beta - y[k - k0 :])
    filled_vi = v[k - k0 :]
    if k0 > 0:
        adjusted = meta_analysis(
            np.concatenate([yi, filled_yi]),
            np.concatenate([vi, filled_vi]),
            method,
            adjusted_test,
            level,
            [*labels, *(f"Filled {i + 1}" for i in range(k0))],
            pi_type,
        )
    else:
        adjusted = original
    return TrimFillResult(
        k0=k0,
        se_k0=se_k0,
        side=side,
        estimator=estimator,
        p_k0=0.5 ** (k0 + 1) if estimator == "R0" else np.nan,
        filled_yi=filled_yi,
        filled_vi=filled_vi,
        adjusted=adjusted,
        original=original,
        side_given=side_given,
    )


@dataclass(frozen=True)
class SmallStudyChecks:
    """The three checks for small-study effects a report shows, each either run or, when it
    cannot be estimated from these studies, None with the reason in ``not_run`` (keyed
    "egger", "rank" and "trim_and_fill"), so that a report can say so in a sentence."""

    egger: EggerTest | None
    rank: RankCorrelationTest | None
    trimfill: TrimFillResult | None
    not_run: dict[str, str]
    k: int

    def summary(self) -> str:
        parts = [
            check.summary() if check is not None else self.not_run[name]
            for name, check in (("egger", self.egger), ("rank", self.rank), ("trim_and_fill", self.trimfill))
        ]
        return "\n".join(parts)

    def to_dict(self) -> dict:
        return {
            "egger": self.egger.to_dict() if self.egger else None,
            "rank_correlation": self.rank.to_dict() if self.rank else None,
            "trim_and_fill": self.trimfill.to_dict() if self.trimfill else None,
            "not_run": dict(self.not_run),
            "k": self.k,
        }


def small_study_checks(
    yi,
    vi,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
    estimator: str = "L0",
    side: str | None = None,
    adjusted_test: str | None = None,
    pi_type: str = "default",
) -> SmallStudyChecks:
    """Egger's test (:func:`egger_test`, ``model="rma"``), the rank correlation test
    (:func:`rank_correlation_test`) and trim-and-fill (:func:`trim_and_fill`, with
    ``estimator``, ``side``, ``adjusted_test`` and ``pi_type``) for one set of studies.

    When every study has the same variance (:func:`precision_varies` is False) the regression
    and the rank correlation cannot be estimated and are not run, nor is trim-and-fill unless
    ``side`` is given (its side otherwise comes from that regression); ``not_run`` says why,
    in words for a report."""
    yi, vi, labels = check_effects(yi, vi, labels, random_effects=method != "FE", minimum=3)
    egger: EggerTest | None
    rank: RankCorrelationTest | None
    if precision_varies(vi):
        egger = egger_test(yi, vi, method, test, level=level)
        rank = rank_correlation_test(yi, vi)
        not_run = {}
    else:
        egger = rank = None
        same = f"every study has the same standard error ({np.sqrt(vi[0]):.3g}), so there is no spread in precision"
        not_run = {
            "egger": f"Egger's regression test cannot be estimated: {same} to regress the effects on.",
            "rank": f"The rank correlation test cannot be computed: {same} to rank the effects against.",
        }
        if side is None:
            not_run["trim_and_fill"] = (
                "Trim-and-fill was not run: it takes the side of the funnel on which studies are "
                "missing from the regression on the standard error, which cannot be estimated "
                "here; give the side (left or right) to run it."
            )
    trimfill = (
        None
        if "trim_and_fill" in not_run
        else trim_and_fill(
            yi, vi, method, test, level, estimator, side, labels, adjusted_test=adjusted_test, pi_type=pi_type
        )
    )
    return SmallStudyChecks(egger=egger, rank=rank, trimfill=trimfill, not_run=not_run, k=len(yi))
