"""Trim-and-fill (Duval & Tweedie 2000), agreeing with metafor's ``trimfill``: the studies
estimated missing from one side of the funnel plot, their mirror images, and the model refitted
with them. Like the tests in :mod:`evidence.synthesis.bias` it is a check for small-study
effects, not a correction for publication bias.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from evidence.synthesis import _engine
from evidence.synthesis.bias import precision_varies, same_precision_problem
from evidence.synthesis.models import MetaAnalysisResult, check_effects, check_options, json_ready, meta_analysis


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
    :func:`~evidence.synthesis.bias.egger_test`). Iteratively, the ``k0`` most extreme studies on
    that side are trimmed, the model re-fitted, and ``k0`` re-estimated from the signed ranks of
    the deviations (L0: ``(4 S - k(k+1)) / (2k - 1)``; R0: the length of the rightmost run of
    ranks, minus 1), until ``k0`` stops changing. The trimmed studies' mirror images about the
    trimmed estimate are then added and the model fitted to all.

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
    method, test = check_options(method, test, level)
    adjusted_test = test if adjusted_test is None else check_options(method, adjusted_test, level)[1]
    estimator = estimator.upper()
    if estimator not in ("L0", "R0"):
        raise ValueError(f"estimator must be 'L0' or 'R0', got {estimator!r}")
    if side not in (None, "left", "right"):
        raise ValueError(f"side must be 'left', 'right' or None, got {side!r}")
    yi, vi, labels = check_effects(yi, vi, labels, random_effects=method != "FE", minimum=3)
    side_given = side is not None
    if not side_given and not precision_varies(vi):
        raise same_precision_problem(
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
