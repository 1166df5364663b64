"""Subgroup analysis: pooled estimates within subgroups, with separate or a common tau^2, and
the test of subgroup differences.

The numbers agree with R's metafor (``rma.uni`` per subgroup, and with subgroup indicators as
moderators for a common tau^2) to within 1e-4; ``tests/fixtures/metafor`` holds the reference
output and the R script that made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evidence.errors import Problem, ValidationError
from evidence.synthesis import _engine
from evidence.synthesis.models import (
    INPUT,
    MetaAnalysisResult,
    _check_pi_type,
    _p_text,
    _pooled,
    check_effects,
    check_options,
    json_ready,
    meta_analysis,
    prediction_bounds,
)
from evidence.synthesis.regression import design_matrix


@dataclass(frozen=True)
class SubgroupResult:
    """Pooled estimates within subgroups and a test of whether they differ.

    ``table``: one row per subgroup (subgroup, k, estimate, se, ci_low, ci_high, pi_low,
    pi_high, tau2, i2, q, q_pvalue). ``results``: the :class:`MetaAnalysisResult` of each
    subgroup (separate tau^2 only). ``q_between`` is the test of subgroup differences:
    with separate tau^2, Cochran's Q of the subgroup estimates about their fixed-effect mean
    (Borenstein et al. 2009, ch. 19; the Cochrane Handbook's test); with a common tau^2, the
    moderator test of a meta-regression on subgroup indicators."""

    table: pd.DataFrame
    results: dict[str, MetaAnalysisResult]
    q_between: float
    q_between_df: int
    q_between_pvalue: float
    common_tau2: bool
    tau2: float  # the common tau^2 (NaN with separate tau^2)
    overall: MetaAnalysisResult
    method: str
    test: str
    level: float
    column: str = ""
    pi_type: str = "default"

    def summary(self) -> str:
        kind = "common tau^2" if self.common_tau2 else "separate tau^2 in each subgroup"
        return "\n".join(
            [
                f"Subgroup analysis ({kind}; {self.method}), k = {self.overall.k}",
                "",
                self.table.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
                "",
                f"Test for subgroup differences: Q(df = {self.q_between_df}) = {self.q_between:.4f}, "
                f"p {_p_text(self.q_between_pvalue)}",
            ]
        )

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict:
        return {
            "table": json_ready(self.table.to_dict(orient="records")),
            "q_between": self.q_between,
            "q_between_df": self.q_between_df,
            "q_between_pvalue": self.q_between_pvalue,
            "common_tau2": self.common_tau2,
            "tau2": json_ready(self.tau2),
            "method": self.method,
            "test": self.test,
            "level": self.level,
            "column": self.column,
            "pi_type": self.pi_type,
            "subgroups": {k: v.to_dict() for k, v in self.results.items()},
        }


def subgroup_analysis(
    yi,
    vi,
    groups,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
    common_tau2: bool = False,
    column: str = "",
    pi_type: str = "default",
) -> SubgroupResult:
    """Pool within each subgroup (``groups``: one value per study) and test the difference.

    With separate tau^2 (default), each subgroup is a meta-analysis of its own; a subgroup of
    one study is shown as that study (tau^2 = 0, z interval), as metafor does. With
    ``common_tau2=True`` one tau^2 is estimated across subgroups (a meta-regression on subgroup
    indicators) and the subgroup estimates are its fitted values. ``pi_type``: the prediction
    intervals', as in :func:`meta_analysis` (with a common tau^2, the t quantiles have one
    degree of freedom fewer per extra subgroup, as metafor's ``predict`` on that model)."""
    method, test = check_options(method, test, level)
    pi_type = _check_pi_type(pi_type)
    yi, vi, labels = check_effects(yi, vi, labels, random_effects=method != "FE")
    groups = pd.Series(np.asarray(groups, dtype=object)).astype(str).to_numpy()
    if len(groups) != len(yi):
        raise ValidationError(
            [Problem(INPUT, None, "subgroup", len(groups), f"need one subgroup per study ({len(yi)})")]
        )
    levels = sorted(pd.unique(groups))
    if len(levels) < 2:
        raise ValidationError(
            [Problem(INPUT, None, "subgroup", levels, "a subgroup analysis needs at least two subgroups")]
        )
    overall = meta_analysis(yi, vi, method, test, level, labels, pi_type)
    masks = np.stack([groups == g for g in levels])
    sizes = masks.sum(1)
    if common_tau2:
        return _common_tau2_subgroups(yi, vi, groups, levels, sizes, method, test, level, overall, column, pi_type)
    y, v, X, mask = _engine.batch(yi, vi, mask=masks)
    fit = _engine.fit(y, v, X, mask, method, test)
    single = sizes == 1
    if single.any():  # one study: the study itself, with its own z interval (as metafor's k = 1)
        z_fit = _engine.fit(y, v, X, mask, "FE", "z")
        fit = _engine.BatchFit(
            **{
                **fit.__dict__,
                "vb": np.where(single[:, None, None], z_fit.vb, fit.vb),
                "df": np.where(single, np.nan, fit.df),
            }
        )
    testable = (sizes >= 2) & (method != "FE")
    tau2_low, tau2_high = np.full(len(levels), np.nan), np.full(len(levels), np.nan)
    if testable.any():
        tau2_low[testable], tau2_high[testable] = _engine.q_profile_interval(
            y[testable], v[testable], X[testable], mask[testable], level
        )
    results = {}
    for row, group in enumerate(levels):
        group_labels = [label for label, g in zip(labels, groups, strict=True) if g == group]
        interval = (tau2_low[[row]], tau2_high[[row]]) if testable[row] else None
        results[group] = _pooled(_single(fit, row, single[row]), 0, level, group_labels, interval, pi_type)
    estimates = np.array([r.estimate for r in results.values()])
    ses = np.array([r.se for r in results.values()])
    between = _engine.fit(*_engine.batch(estimates, ses**2), "FE", "z")
    q_between = float(between.q[0])
    table = _subgroup_table(levels, sizes, results)
    return SubgroupResult(
        table=table,
        results=results,
        q_between=q_between,
        q_between_df=len(levels) - 1,
        q_between_pvalue=float(stats.chi2.sf(q_between, len(levels) - 1)),
        common_tau2=False,
        tau2=np.nan,
        overall=overall,
        method=method,
        test=test,
        level=level,
        column=column,
        pi_type=pi_type,
    )


def _single(fit: _engine.BatchFit, row: int, one_study: bool) -> _engine.BatchFit:
    """Row ``row`` of a batch fit as a batch of one (a one-study subgroup reported with z)."""
    picked: dict[str, Any] = {
        name: (value[[row]] if isinstance(value, np.ndarray) else value) for name, value in fit.__dict__.items()
    }
    if one_study:
        picked["test"] = "z"
    return _engine.BatchFit(**picked)


def _subgroup_table(levels, sizes, results) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subgroup": levels,
            "k": sizes,
            **{
                name: [getattr(r, name) for r in results.values()]
                for name in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "q", "q_pvalue")
            },
        }
    )


def _common_tau2_subgroups(yi, vi, groups, levels, sizes, method, test, level, overall, column, pi_type):
    indicators = pd.DataFrame({"subgroup": groups})
    X = design_matrix(indicators).to_numpy(dtype=float)
    y, v, Xb, mask = _engine.batch(yi, vi, X)
    fit = _engine.fit(y, v, Xb, mask, method, test)
    # Fitted value for each level: intercept plus that level's indicator coefficient.
    L = np.zeros((len(levels), X.shape[1]))
    L[:, 0] = 1
    L[np.arange(1, len(levels)), np.arange(1, len(levels))] = 1
    estimate = L @ fit.beta[0]
    se = np.sqrt(np.einsum("gi,ij,gj->g", L, fit.vb[0], L))
    critical = float(fit.critical(level)[0])
    tau2 = float(fit.tau2[0])
    if method != "FE":
        pi_low, pi_high = prediction_bounds(
            estimate, se, tau2, float(fit.prediction_critical(level, pi_type)[0]), pi_type
        )
    else:
        pi_low = pi_high = np.full(len(levels), np.nan)
    table = pd.DataFrame(
        {
            "subgroup": levels,
            "k": sizes,
            "estimate": estimate,
            "se": se,
            "ci_low": estimate - critical * se,
            "ci_high": estimate + critical * se,
            "pi_low": pi_low,
            "pi_high": pi_high,
            "tau2": tau2,
            "i2": np.nan,
            "q": np.nan,
            "q_pvalue": np.nan,
        }
    )
    b, cov = fit.beta[0, 1:], fit.vb[0, 1:, 1:]
    qm = float(b @ np.linalg.solve(cov, b))
    m = len(levels) - 1
    if test == "knha":
        qm /= m
        p = float(stats.f.sf(qm, m, fit.df[0]))
    else:
        p = float(stats.chi2.sf(qm, m))
    return SubgroupResult(
        table=table,
        results={},
        q_between=qm,
        q_between_df=m,
        q_between_pvalue=p,
        common_tau2=True,
        tau2=tau2,
        overall=overall,
        method=method,
        test=test,
        level=level,
        column=column,
        pi_type=pi_type,
    )
