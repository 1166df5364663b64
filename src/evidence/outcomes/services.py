"""Comparing services on children's outcomes: case-mix-adjusted proportions with funnel-plot
control limits, and each service's pre-post effect as a study for evidence synthesis.

Pure functions over the paired scores of :func:`evidence.outcomes.analysis.paired_scores`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from evidence.outcomes.analysis import COVARIATES, change_table, paired_scores


def funnel_limits(p0: float, n, levels=(0.95, 0.998), tau2: float = 0.0) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Control limits for a proportion around target ``p0`` at each whole-number base ``n``:
    the interpolated exact binomial limits (Spiegelhalter 2005, Stat Med 24:1185-1202, appendix
    A.1.1) when ``tau2`` is 0, otherwise limits widened by the additive between-unit variance
    ``tau2`` on the arcsine scale (Spiegelhalter et al. 2012, JRSS A 175:1-47; as FunnelPlotR).
    See :mod:`evidence.funnel`. For p0 0.85 and n 100 the exact 95% limits are 0.7717 and 0.9116."""
    from evidence import funnel

    if tau2 > 0:
        return funnel.overdispersed_limits(p0, n, tau2, levels)
    return funnel.exact_limits(p0, n, levels)


def overdispersion(proportion, n, p0: float, trim: float = 0.1):
    """The between-unit variance tau^2 of unit proportions around ``p0`` (arcsine scale,
    DerSimonian-Laird from z-scores winsorised at ``trim`` each side), with the dispersion
    ratio phi and adjusted z-scores: :func:`evidence.funnel.arcsine_overdispersion`."""
    from evidence import funnel

    return funnel.arcsine_overdispersion(proportion, n, p0, trim)


def case_mix_comparison(
    paired: pd.DataFrame, flag: pd.Series, by: str = "service", covariates: list[str] | None = None
) -> tuple[pd.DataFrame, float, float]:
    """Indirectly standardised comparison of units (services) on a 0/1 outcome (e.g. reaching
    the minimal important change): a maximum-likelihood logistic model of the outcome on case
    mix (without the unit; :mod:`evidence.case_mix`) gives each child's expected probability
    p_i; per unit, observed O, expected E, the adjusted proportion p0 * O / E and the z-score
    (O - E) / sqrt(sum p_i (1 - p_i)). Children with a covariate missing are left out (their
    number is ``table.attrs["n_missing_covariates"]``). Returns (table, p0, tau2): tau2 is the
    additive between-unit variance (arcsine scale) for :func:`funnel_limits`, and the table's
    ``z_overdispersed`` the z-score allowing for it."""
    from evidence import case_mix

    covariates = covariates or COVARIATES
    data = paired.assign(outcome=flag).dropna(subset=["outcome"])
    design = case_mix.covariate_design(data, covariates)
    data = data[design.complete]
    y = data["outcome"].to_numpy(float)
    table = case_mix.indirect_standardisation(data[by], y, case_mix.fit_probabilities(design.matrix, y))
    table = table.rename(columns={"unit": by}).drop(columns="variance")
    p0 = float(y.mean())
    spread = overdispersion(table["adjusted_proportion"], table["n"], p0)
    table["z_overdispersed"] = spread.z_adjusted
    table.attrs["n_missing_covariates"] = design.n_missing
    return table, p0, spread.limits_tau2


def effects_for_synthesis(paired: pd.DataFrame, by: str = "service", min_base: int = 10) -> pd.DataFrame:
    """Per-group pre-post effects (Hedges' g and its standard error) for evidence synthesis:
    columns label, estimate, se, n. Groups smaller than ``min_base`` are left out."""
    table = change_table(paired, by)
    table = table[table["n"] >= min_base]
    z = scipy_stats.norm.ppf(0.975)
    return pd.DataFrame(
        {
            "label": table[by].astype(str),
            "estimate": table["hedges_g"],
            "se": (table["g_ci_high"] - table["g_ci_low"]) / (2 * z),
            "n": table["n"],
        }
    )


def service_effects_table(
    tables: dict[str, pd.DataFrame],
    synthetic: bool,
    instrument: str = "pedsql",
    scale: str = "total",
    min_base: int = 10,
) -> pd.DataFrame:
    """An evidence table (``evidence.synthesis`` "estimate, se" layout) of each service's pre-post
    Hedges' g on ``instrument``/``scale``: study, estimate, se, children, data_label. Services
    with fewer than ``min_base`` children with both questionnaires are left out; the children
    count is published later through disclosure control."""
    paired = paired_scores(tables["scores"], tables["episodes"], instrument, scale)
    effects = effects_for_synthesis(paired, "service", min_base)
    return pd.DataFrame(
        {
            "study": effects["label"],
            "estimate": effects["estimate"].round(6),
            "se": effects["se"].round(6),
            "children": effects["n"],
            "data_label": "SYNTHETIC" if synthetic else "",
        }
    )
