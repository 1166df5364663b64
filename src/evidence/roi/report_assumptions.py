"""The ROI report's account of its assumptions: the avoided-cost streams' SROI adjustments,
every assumption with its unit, price year, distribution, range and source (illustrative ones
flagged), and the model's structural settings in words. Pure functions from an assumption set
or a prepared model to DataFrames of text and Markdown strings."""

from __future__ import annotations

import pandas as pd

from evidence.roi.analysis import Prepared
from evidence.roi.assumption_set import AssumptionSet, ModelInput, Threshold
from evidence.roi.formatting import money, value_text


def stream_adjustment_table(assumptions: AssumptionSet) -> pd.DataFrame:
    """The SROI adjustments of each avoided-cost stream (base-case values)."""
    p = assumptions.parameters
    rows = []
    for name, stream in assumptions.streams.items():

        def value(key: str, name: str = name) -> ModelInput:
            return p[f"stream.{name}.{key}"]

        rows.append(
            {
                "Stream": stream.label,
                "Quantity": f"{value('quantity').value:g} {value('quantity').unit}",
                "Financial proxy": f"{money(value('unit_value').value)} ({value('unit_value').unit})",
                "Deadweight": f"{100 * value('deadweight').value:.0f}%",
                "Attribution": f"{100 * value('attribution').value:.0f}%",
                "Displacement": f"{100 * value('displacement').value:.0f}%",
                "Drop-off": f"{100 * value('drop_off').value:.0f}% a year",
                "Duration": f"{value('duration_years').value:g} year"
                + ("" if value("duration_years").value == 1 else "s"),
            }
        )
    return pd.DataFrame(rows)


def assumptions_display(assumptions: AssumptionSet) -> pd.DataFrame:
    """Every assumption from the set (and any value set by the report) with its unit, price
    year, distribution, range and source; illustrative ones flagged. Values taken from the
    records are tabulated separately, through disclosure control. A source or note the same as
    the row above's (PSSRU's one table serves every staff cost component) reads "As the row
    above", so the table prints in a few pages rather than repeating one citation."""
    rows = []
    previous = None
    for p in assumptions.parameters.values():
        if p.origin == "records":
            continue
        spread = p.one_way_range()
        rows.append(
            {
                "Assumption": p.label,
                "Value": value_text(p.unit, p.value),
                "Unit": p.unit,
                "Price year": p.describe_price_year(),
                "Distribution": p.distribution.describe(),
                "One-way range": f"{value_text(p.unit, spread[0])} to {value_text(p.unit, spread[1])}"
                if spread
                else "",
                "Illustrative": "ILLUSTRATIVE"
                if p.illustrative
                else ("sourced (spread illustrative)" if p.illustrative_spread else "sourced"),
                "Source or note": "As the row above." if p.describe_source() == previous else p.describe_source(),
            }
        )
        previous = p.describe_source()
    return pd.DataFrame(rows)


def _threshold_source(threshold: Threshold) -> str:
    if threshold.illustrative:
        return "ILLUSTRATIVE: " + threshold.note
    assert threshold.source is not None  # a threshold that is not illustrative is refused without one
    return threshold.source.cite()


def settings_markdown(prepared: Prepared) -> str:
    """The model's structural settings and their sources, in words."""
    a, s = prepared.assumptions, prepared.settings
    source = a.schedule_source.cite() if a.schedule_source else "no source given"
    ranges = "; ".join(
        f"{t.label} {money(t.low)} to {money(t.high)} per QALY ({_threshold_source(t)})" for t in a.thresholds
    )
    perspective = ", ".join(a.icer_perspective) or "none"
    return "\n".join(
        [
            f"- **Assumption set:** {a.title} (`{a.path}`), prices in {a.price_year} pounds.",
            f"- **Comparator:** {a.comparator}. {a.comparator_description}",
            f"- **Horizon:** {s.horizon_years} years; costs of care in year 0; year 1 "
            + ("discounted (the SROI guide's convention)." if s.discount_first_year else "not discounted."),
            f"- **Discounting:** declining schedules after year 30 from {source}.",
            f"- **Thresholds reported:** {ranges}.",
            f"- **ICER perspective:** avoided costs falling to {perspective} offset costs in the ICER and net monetary "
            "benefit; all streams count in the net present value and benefit-cost ratio.",
            f"- **Outcome:** {a.instrument} {a.scale}, mapped to utility through the utility-per-point parameter"
            + (
                " (ILLUSTRATIVE: see its note in the table below)."
                if a.parameters["utility.per_point"].illustrative
                else "."
            ),
            f"- **Prices:** {a.price_year} pounds; a cost its source prices in another year is moved with the NHS Cost "
            "Inflation Index (its original value, year and the index used are in the Price year column).",
            "- **Headline figures** are expected values over the simulations, with the base case beside them.",
        ]
    )
