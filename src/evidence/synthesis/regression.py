"""Meta-regression: effect sizes on study-level moderators, with a (mixed-effects) tau^2 of
the residual heterogeneity.

The numbers agree with R's metafor (``rma.uni`` with ``mods``) to within 1e-4 on its published
example datasets; ``tests/fixtures/metafor`` holds the reference output and the R script that
made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from evidence.errors import Problem, ValidationError
from evidence.synthesis import _engine
from evidence.synthesis.models import (
    INPUT,
    METHOD_NAMES,
    _p_text,
    check_effects,
    check_options,
    json_ready,
)


@dataclass(frozen=True)
class MetaRegressionResult:
    """A (mixed-effects) meta-regression. ``coefficients`` has one row per term (intercept
    first) with estimate, se, statistic, pvalue, ci_low, ci_high. ``q`` tests residual
    heterogeneity (QE); ``qm`` tests all moderators together (chi-square on ``qm_df[0]`` df, or
    F on ``qm_df`` with Knapp-Hartung). ``r2`` is the percentage of tau^2 the moderators
    account for (Raudenbush 2009), truncated at 0."""

    coefficients: pd.DataFrame
    tau2: float
    tau2_ci: tuple[float, float]
    i2: float
    h2: float
    r2: float
    q: float
    q_df: int
    q_pvalue: float
    qm: float
    qm_df: tuple[int, float]
    qm_pvalue: float
    weights: np.ndarray = field(repr=False)
    k: int
    method: str
    test: str
    level: float

    def summary(self) -> str:
        stat = "F" if self.test == "knha" else "QM"
        dof = f"df = ({self.qm_df[0]}, {self.qm_df[1]:g})" if self.test == "knha" else f"df = {self.qm_df[0]}"
        lines = [f"Meta-regression, {METHOD_NAMES[self.method]} ({self.method}), k = {self.k}", ""]
        if self.method != "FE":
            lines.append(
                f"residual tau^2: {self.tau2:.4f} ({100 * self.level:g}% CI "
                f"{self.tau2_ci[0]:.4f} to {self.tau2_ci[1]:.4f}); residual I^2: "
                f"{self.i2:.2f}%; R^2: {self.r2:.2f}%"
            )
        lines += [
            f"Test for residual heterogeneity: QE(df = {self.q_df}) = {self.q:.4f}, p {_p_text(self.q_pvalue)}",
            f"Test of moderators: {stat}({dof}) = {self.qm:.4f}, p {_p_text(self.qm_pvalue)}",
            "",
            self.coefficients.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict:
        out = {key: json_ready(value) for key, value in asdict(self).items() if key not in ("coefficients", "weights")}
        out["coefficients"] = json_ready(self.coefficients.to_dict(orient="records"))
        return out


def design_matrix(moderators: pd.DataFrame) -> pd.DataFrame:
    """Intercept plus moderators; a text or categorical column becomes indicator columns
    against its first level in sorted order (R's treatment coding), named ``column[level]``."""
    parts = [pd.Series(1.0, index=moderators.index, name="intercept")]
    for column in moderators.columns:
        values = moderators[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            parts.append(values.astype(float).rename(column))
        else:
            levels = sorted(values.astype(str).unique())
            parts += [(values.astype(str) == level).astype(float).rename(f"{column}[{level}]") for level in levels[1:]]
    return pd.concat(parts, axis=1)


def meta_regression(
    yi,
    vi,
    moderators: pd.DataFrame,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
) -> MetaRegressionResult:
    """Meta-regression of ``yi`` on ``moderators`` (one row per study; numeric columns enter
    as they are, text columns as indicators; an intercept is added). Estimates tau^2 by
    ``method`` from the residuals (Thompson & Higgins 2002; Viechtbauer 2005)."""
    method, test = check_options(method, test, level)
    design = design_matrix(pd.DataFrame(moderators).reset_index(drop=True))
    p = design.shape[1]
    yi, vi, labels = check_effects(
        yi, vi, labels, random_effects=method != "FE", minimum=p + (0 if method == "FE" else 1)
    )
    if len(design) != len(yi):
        raise ValidationError(
            [Problem(INPUT, None, None, len(design), f"moderators need one row per study ({len(yi)})")]
        )
    missing = design.isna().any(axis=1).to_numpy()
    if missing.any():
        raise ValidationError(
            [Problem(INPUT, int(i) + 1, None, labels[i], "a moderator is missing") for i in np.flatnonzero(missing)]
        )
    X = design.to_numpy(dtype=float)
    if np.linalg.matrix_rank(X) < p:
        raise ValidationError(
            [
                Problem(
                    INPUT,
                    None,
                    None,
                    list(design.columns),
                    "the moderators are collinear (or a level has no studies); drop or merge some",
                )
            ]
        )
    y, v, Xb, mask = _engine.batch(yi, vi, X)
    fit = _engine.fit(y, v, Xb, mask, method, test)
    beta, se = fit.beta[0], fit.se[0]
    critical = float(fit.critical(level)[0])
    coefficients = pd.DataFrame(
        {
            "term": list(design.columns),
            "estimate": beta,
            "se": se,
            "statistic": beta / se,
            "pvalue": fit.pvalues()[0],
            "ci_low": beta - critical * se,
            "ci_high": beta + critical * se,
        }
    )
    moderator_b = beta[1:]
    qm = float(moderator_b @ np.linalg.solve(fit.vb[0, 1:, 1:], moderator_b))
    m = p - 1
    if test == "knha":
        qm /= m
        qm_df = (m, float(fit.df[0]))
        qm_pvalue = float(stats.f.sf(qm, m, fit.df[0]))
    else:
        qm_df = (m, np.nan)
        qm_pvalue = float(stats.chi2.sf(qm, m))
    if method == "FE":
        r2, tau2_ci = _fixed_effect_r2(yi, vi, X), (np.nan, np.nan)
    else:
        null = _engine.fit(*_engine.batch(yi, vi), method, test)
        tau2_null = float(null.tau2[0])
        r2 = 0.0 if tau2_null == 0 else max(0.0, 100 * (tau2_null - float(fit.tau2[0])) / tau2_null)
        low, high = _engine.q_profile_interval(y, v, Xb, mask, level)
        tau2_ci = (float(low[0]), float(high[0]))
    return MetaRegressionResult(
        coefficients=coefficients,
        tau2=float(fit.tau2[0]),
        tau2_ci=tau2_ci,
        i2=float(fit.i2[0]),
        h2=float(fit.h2[0]),
        r2=r2,
        q=float(fit.q[0]),
        q_df=int(fit.q_df[0]),
        q_pvalue=float(fit.q_pvalue[0]),
        qm=qm,
        qm_df=qm_df,
        qm_pvalue=qm_pvalue,
        weights=fit.weights[0],
        k=len(yi),
        method=method,
        test=test,
        level=level,
    )


def _fixed_effect_r2(yi, vi, X) -> float:
    """Adjusted R^2 of the weighted least-squares fit, in percent, truncated at 0 (what
    metafor reports for fixed-effect meta-regression)."""
    w = 1 / vi
    beta = np.linalg.solve(X.T @ (X * w[:, None]), X.T @ (w * yi))
    rss = np.sum(w * (yi - X @ beta) ** 2)
    tss = np.sum(w * (yi - np.average(yi, weights=w)) ** 2)
    if tss == 0:
        return 0.0
    n, p = X.shape
    return max(0.0, 100 * (1 - (rss / tss) * (n - 1) / (n - p)))
