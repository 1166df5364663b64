"""Meta-analysis: pooling, leave-one-out and a comparison of tau^2 estimators; the result
class and the checks of effect sizes and options shared with :mod:`.regression`,
:mod:`.subgroups` and :mod:`.bias`.

The numbers agree with R's metafor (``rma.uni``, ``confint``, ``predict``, ``leave1out``) to
within 1e-4 on its published example datasets; ``tests/fixtures/metafor`` holds the reference
output and the R script that made it.

statsmodels' ``combine_effects`` is not used: its DerSimonian-Laird tau^2 is not truncated at
0, its Paule-Mandel iteration can return 0 from a high starting value, and it computes I^2 from
Q whatever the estimator. Here every tau^2 is truncated at 0, Paule-Mandel is solved by a
bracketed root search, and I^2 and H^2 follow from tau^2 (Higgins & Thompson 2002, as metafor
defines them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from evidence.errors import Problem, ValidationError
from evidence.synthesis import _engine
from evidence.synthesis._engine import METHODS, PI_TYPES, TESTS

INPUT = "effect sizes"  # the "file" named by problems found in arrays passed in directly

METHOD_NAMES = {
    "FE": "fixed-effect (common-effect) model",
    "DL": "random-effects model, DerSimonian-Laird tau\u00b2",
    "HE": "random-effects model, Hedges tau\u00b2",
    "HS": "random-effects model, Hunter-Schmidt tau\u00b2",
    "SJ": "random-effects model, Sidik-Jonkman tau\u00b2",
    "PM": "random-effects model, Paule-Mandel tau\u00b2",
    "ML": "random-effects model, maximum-likelihood tau\u00b2",
    "REML": "random-effects model, restricted maximum-likelihood tau\u00b2",
}


def _check_pi_type(pi_type: str) -> str:
    pi_type = pi_type.lower()
    if pi_type not in PI_TYPES:
        raise ValueError(f"pi_type must be one of {', '.join(PI_TYPES)}, got {pi_type!r}")
    return pi_type


def check_options(method: str, test: str, level: float) -> tuple[str, str]:
    """A meta-analysis' options checked: the method (upper case; metafor's ``EE`` is ``FE``) and
    the test (lower case), or a ValueError naming what is allowed."""
    method, test = method.upper(), test.lower()
    if method == "EE":
        method = "FE"
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}, got {test!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    return method, test


def check_effects(
    yi, vi, labels: Sequence[str] | None = None, random_effects: bool = True, minimum: int = 1, source: str = INPUT
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Validate effect sizes and variances; return them as float arrays with labels.

    Refused, each as a :class:`~evidence.errors.Problem`: different lengths, missing or
    infinite values, zero or negative variances, duplicate study labels, and fewer than two
    studies for a random-effects model (tau^2 cannot be estimated from one study)."""
    yi = np.asarray(yi, dtype=float).ravel()
    vi = np.asarray(vi, dtype=float).ravel()
    labels = [f"Study {i + 1}" for i in range(len(yi))] if labels is None else [str(x) for x in labels]
    if not (len(yi) == len(vi) == len(labels)):
        raise ValidationError(
            [
                Problem(
                    source,
                    None,
                    None,
                    None,
                    f"yi, vi and labels must have the same length, got {len(yi)}, {len(vi)} and {len(labels)}",
                )
            ]
        )
    problems: list[Problem] = []
    for name, values in (("yi", yi), ("vi", vi)):
        for i in np.flatnonzero(~np.isfinite(values)):
            problems.append(Problem(source, int(i) + 1, name, f"{labels[i]}: {values[i]}", "must be a finite number"))
    for i in np.flatnonzero(np.isfinite(vi) & (vi <= 0)):
        problems.append(
            Problem(source, int(i) + 1, "vi", f"{labels[i]}: {vi[i]}", "a sampling variance must be greater than 0")
        )
    seen = pd.Series(labels).duplicated(keep=False).to_numpy()
    for i in np.flatnonzero(seen):
        problems.append(
            Problem(source, int(i) + 1, "study", labels[i], "study labels must be unique (each study once)")
        )
    needed = max(minimum, 2 if random_effects else 1)
    if len(yi) < needed:
        rule = (
            "random-effects pooling needs at least two studies (tau\u00b2 cannot be "
            "estimated from one); use method='FE' or add studies"
            if random_effects and needed == 2
            else f"this analysis needs at least {needed} studies"
        )
        problems.append(Problem(source, None, None, len(yi), rule))
    if problems:
        raise ValidationError(problems)
    return yi, vi, labels


def _p_text(p: float) -> str:
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}"


@dataclass(frozen=True)
class MetaAnalysisResult:
    """A pooled estimate and everything a reviewer asks of it.

    On the analysis scale (log for ratio measures). ``i2`` and ``weights`` are percentages;
    ``statistic`` is z, or t on ``df`` degrees of freedom with the Knapp-Hartung test.
    ``tau2_ci``, ``i2_ci`` and ``h2_ci`` are Q-profile intervals (NaN for the fixed-effect
    model), ``pi_low``/``pi_high`` the prediction interval for the effect in a new study
    (NaN for the fixed-effect model), of kind ``pi_type`` (see :func:`meta_analysis`) with a t
    quantile on ``pi_df`` degrees of freedom (NaN: a normal quantile)."""

    estimate: float
    se: float
    statistic: float
    pvalue: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    tau2_ci: tuple[float, float]
    i2: float
    i2_ci: tuple[float, float]
    h2: float
    h2_ci: tuple[float, float]
    q: float
    q_df: int
    q_pvalue: float
    weights: np.ndarray = field(repr=False)
    labels: tuple[str, ...] = field(repr=False)
    k: int
    method: str
    test: str
    level: float
    df: float  # t degrees of freedom (knha); NaN for z
    pi_type: str = "default"
    pi_df: float = np.nan

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))

    @property
    def random_effects(self) -> bool:
        return self.method != "FE"

    @property
    def model_name(self) -> str:
        test = "Knapp-Hartung t-test" if self.test == "knha" else "z-test"
        return f"{METHOD_NAMES[self.method]} ({self.method}; {test})"

    def summary(self) -> str:
        """A plain-text summary laid out like metafor's ``print.rma.uni``."""
        pct = f"{100 * self.level:g}%"
        lines = [f"{self.model_name.capitalize()}, k = {self.k}", ""]
        if self.random_effects:
            lines += [
                f"tau^2 (between-study variance): {self.tau2:.4f} "
                f"({pct} CI {self.tau2_ci[0]:.4f} to {self.tau2_ci[1]:.4f}, Q-profile)",
                f"tau   (between-study SD):       {self.tau:.4f}",
                f"I^2   (share of variability from heterogeneity): {self.i2:.2f}% "
                f"({pct} CI {self.i2_ci[0]:.2f}% to {self.i2_ci[1]:.2f}%)",
                f"H^2   (total / sampling variability):          {self.h2:.2f} "
                f"({pct} CI {self.h2_ci[0]:.2f} to {self.h2_ci[1]:.2f})",
            ]
        else:
            lines += [f"I^2 (from Q): {self.i2:.2f}%", f"H^2 (from Q): {self.h2:.2f}"]
        stat = "t" if self.test == "knha" else "z"
        dof = f"(df = {self.df:g})" if self.test == "knha" else ""
        lines += [
            "",
            f"Test for heterogeneity: Q(df = {self.q_df}) = {self.q:.4f}, p {_p_text(self.q_pvalue)}",
            "",
            f"estimate = {self.estimate:.4f}, SE = {self.se:.4f}, {stat}{dof} = {self.statistic:.4f}, "
            f"p {_p_text(self.pvalue)}",
            f"{pct} CI: {self.ci_low:.4f} to {self.ci_high:.4f}",
        ]
        if self.random_effects:
            lines.append(
                f"{pct} prediction interval ({prediction_quantile(self.pi_type, self.pi_df)}): "
                f"{self.pi_low:.4f} to {self.pi_high:.4f}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict:
        """Plain types for JSON results."""
        out = asdict(self)
        out["weights"] = [float(w) for w in self.weights]
        out["labels"] = list(self.labels)
        return {key: json_ready(value) for key, value in out.items()}


def prediction_quantile(pi_type: str, pi_df: float) -> str:
    """How a prediction interval was made, in a few words: its quantile, and for "simple"
    that it leaves out the pooled estimate's uncertainty."""
    quantile = "normal quantile" if np.isnan(pi_df) else f"t on {pi_df:g} df"
    return quantile + (" \u00d7 \u03c4 only" if pi_type == "simple" else "")


def prediction_bounds(estimate, se, tau2, critical, pi_type: str) -> tuple[np.ndarray | float, np.ndarray | float]:
    """``estimate -/+ critical * sqrt(se^2 + tau2)``; "simple" leaves out ``se^2``, as metafor.
    Arguments broadcast: arrays of estimates give arrays of bounds, one estimate two numbers."""
    variance = tau2 + (0.0 if pi_type == "simple" else np.asarray(se) ** 2)
    spread = critical * np.sqrt(variance)
    return estimate - spread, estimate + spread


def json_ready(value):
    """JSON-ready: NumPy scalars as Python numbers, NaN and infinity as None."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _pooled(
    fit: _engine.BatchFit, row: int, level: float, labels, ci=None, pi_type: str = "default"
) -> MetaAnalysisResult:
    """Row ``row`` of a batch fit of intercept-only models as a result; ``ci`` holds the
    Q-profile bounds of tau^2 for the batch."""
    estimate, se = float(fit.beta[row, 0]), float(fit.se[row, 0])
    critical = float(fit.critical(level)[row])
    tau2 = float(fit.tau2[row])
    random = fit.method != "FE"
    if random:
        pi = prediction_bounds(estimate, se, tau2, float(fit.prediction_critical(level, pi_type)[row]), pi_type)
        pi_df = float(fit.prediction_df(pi_type)[row])
    else:
        pi, pi_df = (np.nan, np.nan), np.nan
    vt = float(fit.vt[row])
    if ci is not None and random:
        low, high = float(ci[0][row]), float(ci[1][row])
        tau2_ci = (low, high)
        i2_ci = (100 * low / (vt + low), 100 * high / (vt + high))
        h2_ci = (low / vt + 1, high / vt + 1)
    else:
        tau2_ci = i2_ci = h2_ci = (np.nan, np.nan)
    mask = fit.weights[row] > 0
    return MetaAnalysisResult(
        estimate=estimate,
        se=se,
        statistic=estimate / se,
        pvalue=float(fit.pvalues()[row, 0]),
        ci_low=estimate - critical * se,
        ci_high=estimate + critical * se,
        pi_low=float(pi[0]),
        pi_high=float(pi[1]),
        tau2=tau2,
        tau2_ci=tau2_ci,
        i2=float(fit.i2[row]),
        i2_ci=i2_ci,
        h2=float(fit.h2[row]),
        h2_ci=h2_ci,
        q=float(fit.q[row]),
        q_df=int(fit.q_df[row]),
        q_pvalue=float(fit.q_pvalue[row]),
        weights=fit.weights[row][mask],
        labels=tuple(labels),
        k=int(fit.k[row]),
        method=fit.method,
        test=fit.test,
        level=level,
        df=float(fit.df[row]),
        pi_type=pi_type,
        pi_df=pi_df,
    )


def meta_analysis(
    yi,
    vi,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
    pi_type: str = "default",
) -> MetaAnalysisResult:
    """Pool effect sizes ``yi`` with sampling variances ``vi`` (inverse-variance weights).

    ``method``: FE (fixed/common effect), or the random-effects tau^2 estimator DL, HE, HS,
    SJ, PM, ML or REML (default; Viechtbauer 2005 recommends REML or PM). ``test``: "z", or
    "knha" for the Knapp & Hartung (2003) adjustment with t on k - 1 df (recommended when
    there are few studies; IntHout et al. 2014, BMC Med Res Methodol 14:25). ``level``: the
    confidence level of every interval.

    The prediction interval is ``estimate -/+ crit * sqrt(se^2 + tau^2)``; ``pi_type`` chooses
    ``crit`` as metafor 3.8's ``predict(..., pi.type=)`` does: "default", the confidence
    interval's quantile (normal, or t on k - 1 df with knha), so that it equals the confidence
    interval when tau^2 = 0; "riley", t on k - 2 df (Higgins, Thompson & Spiegelhalter 2009,
    J R Stat Soc A 172:137-159; Riley, Higgins & Deeks 2011, BMJ 342:d549), which allows for
    tau^2 being estimated; "t", t on k - 1 df; "simple", the normal quantile times tau alone
    (leaving out ``se^2``). All are approximations (metafor's documentation).
    """
    method, test = check_options(method, test, level)
    pi_type = _check_pi_type(pi_type)
    yi, vi, labels = check_effects(yi, vi, labels, random_effects=method != "FE", minimum=2 if test == "knha" else 1)
    y, v, X, mask = _engine.batch(yi, vi)
    fit = _engine.fit(y, v, X, mask, method, test)
    ci = _engine.q_profile_interval(y, v, X, mask, level) if method != "FE" else None
    return _pooled(fit, 0, level, labels, ci, pi_type)


# ---- leave-one-out -----------------------------------------------------------------------


def leave_one_out(
    yi, vi, method: str = "REML", test: str = "z", level: float = 0.95, labels: Sequence[str] | None = None
) -> pd.DataFrame:
    """Re-fit the model ``k`` times, each time without one study (as metafor's
    ``leave1out``): one row per omitted study with estimate, se, statistic, pvalue, ci_low,
    ci_high, q, q_pvalue, tau2, i2 and h2. A study whose omission moves the estimate a lot,
    or removes most of the heterogeneity, deserves a closer look (Viechtbauer & Cheung 2010)."""
    method, test = check_options(method, test, level)
    yi, vi, labels = check_effects(
        yi, vi, labels, random_effects=method != "FE", minimum=3 if method != "FE" or test == "knha" else 2
    )
    masks = ~np.eye(len(yi), dtype=bool)
    y, v, X, mask = _engine.batch(yi, vi, mask=masks)
    fit = _engine.fit(y, v, X, mask, method, test)
    estimate, se = fit.beta[:, 0], fit.se[:, 0]
    critical = fit.critical(level)
    return pd.DataFrame(
        {
            "omitted": labels,
            "estimate": estimate,
            "se": se,
            "statistic": estimate / se,
            "pvalue": fit.pvalues()[:, 0],
            "ci_low": estimate - critical * se,
            "ci_high": estimate + critical * se,
            "q": fit.q,
            "q_pvalue": fit.q_pvalue,
            "tau2": fit.tau2,
            "i2": fit.i2,
            "h2": fit.h2,
        }
    )


def compare_estimators(
    yi,
    vi,
    methods: Sequence[str] = ("FE", "DL", "PM", "REML"),
    test: str = "z",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
    pi_type: str = "default",
) -> pd.DataFrame:
    """The pooled estimate under several tau^2 estimators, a sensitivity analysis: one row per
    method with estimate, ci_low, ci_high, pi_low, pi_high (of kind ``pi_type``, see
    :func:`meta_analysis`), tau2 and i2."""
    rows = []
    for method in methods:
        r = meta_analysis(yi, vi, method, test if method != "FE" else "z", level, labels, pi_type)
        rows.append(
            {
                "method": r.method,
                "estimate": r.estimate,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "pi_low": r.pi_low,
                "pi_high": r.pi_high,
                "tau2": r.tau2,
                "i2": r.i2,
            }
        )
    return pd.DataFrame(rows)
