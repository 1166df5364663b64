"""Number formats for the front page's sentences (UK style; a true minus sign for negatives,
as the reports print them; no value shown as "-0")."""

from __future__ import annotations

import math

MINUS = "\u2212"  # a true minus sign, as the reports print negative numbers


def _signed(text: str, negative: bool) -> str:
    return f"{MINUS}{text}" if negative else text


def percent(value: float) -> str:
    """A proportion (0.7045) as a whole percentage ("70%")."""
    return _signed(f"{abs(value) * 100:.0f}%", value < 0 and round(abs(value) * 100) != 0)


def chance(value: float) -> str:
    """A probability as a whole percentage, never rounded to certainty: 0.9995 is "over 99%",
    0.0004 "under 1%"."""
    if 0.995 <= value < 1:
        return "over 99%"
    if 0 < value < 0.005:
        return "under 1%"
    return percent(value)


def percent_points(value: float) -> str:
    """A value already in percent (41.8) as a whole percentage ("42%")."""
    return _signed(f"{abs(value):.0f}%", value < 0 and round(abs(value)) != 0)


def pounds(value: float) -> str:
    """Whole pounds: "£1,201", "−£313"."""
    return _signed(f"£{abs(value):,.0f}", value < 0 and round(abs(value)) != 0)


def pounds_pence(value: float) -> str:
    """Pounds and pence: "£2.65", "−£0.72"."""
    return _signed(f"£{abs(value):,.2f}", value < 0 and round(abs(value), 2) != 0)


def decimal2(value: float) -> str:
    return _signed(f"{abs(value):.2f}", value < 0 and round(abs(value), 2) != 0)


def whole(value: float) -> str:
    return _signed(f"{abs(value):,.0f}", value < 0 and round(abs(value)) != 0)


def year(value: float) -> str:
    return f"{value:.0f}"


def about(value: float) -> str:
    """Three significant figures for large counts ("172,578" as "173,000"); smaller ones whole."""
    if abs(value) < 1000:
        return whole(value)
    digits = int(math.floor(math.log10(abs(value)))) + 1
    return whole(round(value, 3 - digits))


def humane(text: str) -> str:
    """A code such as ``total_difficulties`` as words."""
    return text.replace("_", " ")
