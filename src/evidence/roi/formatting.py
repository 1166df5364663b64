"""Numbers as text for the ROI report's tables and sentences: pounds, each output in its unit,
ratios, an assumption's value in its unit, and "expected (interval); base case" cells. Pure
functions of floats to strings, shared by :mod:`evidence.roi.report`,
:mod:`evidence.roi.report_sensitivity` and :mod:`evidence.roi.report_assumptions`."""

from __future__ import annotations

import math
from collections.abc import Callable

from evidence.roi.model import OUTPUTS


def money(x: float, decimals: int = 0) -> str:
    """Pounds with thousands separators and a proper minus sign: -1234.5 -> '-£1,235'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not defined"
    sign = "\u2212" if x < 0 else ""
    return f"{sign}£{abs(x):,.{decimals}f}"


def format_output(name: str, x: float) -> str:
    """An output value in its unit (pounds, pounds per QALY, QALYs, ratio or year)."""
    if x is None or math.isnan(x):
        return "not defined"
    unit = OUTPUTS[name][1] if name in OUTPUTS else ""
    if name in ("bcr", "roi"):
        return f"{x:.2f}"
    if unit == "QALY":
        return f"{x:.3f}"
    if unit == "year":
        return f"year {x:.0f}" if x >= 1 else "immediately"
    if unit.startswith("GBP"):
        return money(x)
    return f"{x:,.3g}"


def expected_text(expected: float, low: float, high: float, base: float, fmt: Callable[[float], str]) -> str:
    """'E (L to H); base case B' for a display cell, each number written by ``fmt`` (e.g.
    :func:`money` or :func:`ratio_text`)."""
    return f"{fmt(expected)} ({fmt(low)} to {fmt(high)}); base case {fmt(base)}"


def ratio_text(x: float) -> str:
    """A ratio (benefit-cost ratio, return on investment) to two decimals; "not defined" for NaN."""
    return "not defined" if math.isnan(x) else f"{x:.2f}"


def value_text(parameter_unit: str, x: float) -> str:
    """An assumption's value in its unit: pounds (with pence below £1,000) where the unit is
    ``GBP...``, else four significant figures; empty for NaN (a fixed parameter's range)."""
    if isinstance(x, float) and math.isnan(x):
        return ""
    return (
        money(x, 2)
        if parameter_unit.startswith("GBP") and abs(x) < 1000
        else (money(x) if parameter_unit.startswith("GBP") else f"{x:,.4g}")
    )
