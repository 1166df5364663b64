"""How numbers, intervals, p-values and a few recurring phrases are written in a synthesis report,
shared by its tables (:mod:`evidence.synthesis.report_tables`) and its sentences
(:mod:`evidence.synthesis.report_text`).

Numbers are shown on the display scale (ratios for ratio measures) with two decimals;
intervals as "low to high". Nothing here computes a statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence.synthesis.effects import Measure
from evidence.synthesis.models import json_ready
from evidence.synthesis.trimfill import TrimFillResult


def records(frame: pd.DataFrame) -> list[dict]:
    """A table as JSON-ready records (missing values as null)."""
    return json_ready(frame.to_dict(orient="records"))


def number(value: float, digits: int = 2) -> str:
    """A number for text, with a true minus sign; "NA" when missing."""
    return "NA" if value is None or not np.isfinite(value) else f"{value:.{digits}f}".replace("-", "\u2212")


def interval(measure: Measure, low: float, high: float, digits: int = 2) -> str:
    """An interval given on the analysis scale, as "low to high" on the display scale."""
    lo, hi = measure.display([low, high])
    return f"{number(lo, digits)} to {number(hi, digits)}"


def estimate_with_interval(measure: Measure, estimate: float, low: float, high: float, digits: int = 2) -> str:
    """An estimate and its interval (analysis scale) as "estimate (low to high)" on the display scale."""
    return f"{number(float(measure.display(estimate)), digits)} ({interval(measure, low, high, digits)})"


def p_value(p: float) -> str:
    """A p-value for a table cell: "< 0.001" or three decimals."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float) -> str:
    """A p-value for a sentence: "p < 0.001" or "p = 0.123"."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def units(study_header: str) -> str:
    """What the rows are called in sentences: "studies", or e.g. "services" for "Service"."""
    return "studies" if study_header.lower() == "study" else f"{study_header.lower()}s"


def prediction_method(pi_type: str, test: str, pi_df: float | None = None) -> str:
    """Which prediction interval, in words: its quantile (with the degrees of freedom when
    ``pi_df`` is given) and its source. ``test`` is the model's ("z" or "knha")."""
    df = "" if pi_df is None or not np.isfinite(pi_df) else f" = {pi_df:g}"
    if pi_type == "riley":
        return f"a t-distribution on k \u2212 2{df} degrees of freedom, as Higgins, Thompson & Spiegelhalter (2009)"
    if pi_type == "t" or (pi_type == "default" and test == "knha"):
        return f"a t-distribution on k \u2212 1{df} degrees of freedom" + (
            ", as the confidence interval" if pi_type == "default" else ""
        )
    if pi_type == "simple":
        return "the normal quantile times \u03c4 alone, leaving out the uncertainty in the pooled estimate"
    return "the normal quantile, as the confidence interval"


def trim_and_fill_refit(trimfill: TrimFillResult) -> str:
    """How the model with the filled studies was fitted, in words ("" when none were filled)."""
    if trimfill.k0 == 0:
        return ""
    names = {"knha": "the Knapp-Hartung adjustment", "z": "a z-test"}
    refit, main = trimfill.adjusted.test, trimfill.original.test
    text = f"the model refitted with {names[refit]}"
    if refit == main:
        return text + ", as the main analysis"
    return (
        text
        + (", as R's metafor trimfill does by default" if refit == "z" else "")
        + f", where the main analysis uses {names[main]}"
    )
