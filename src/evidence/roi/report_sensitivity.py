"""Display tables of the ROI model's deterministic sensitivity analyses
(:mod:`evidence.roi.sensitivity`: one-way ranges and break-even values) and of its scenarios
(:mod:`evidence.roi.scenarios`: tiers, horizons and the assumption set's labelled scenarios):
pure functions from those tables to DataFrames of text for :mod:`evidence.disclosure`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evidence.roi.formatting import expected_text, format_output, money, ratio_text, value_text
from evidence.roi.model import OUTPUTS


def one_way_display(table: pd.DataFrame) -> pd.DataFrame:
    """The one-way table as text: each varied parameter's range and the output at each end, in
    the table's order; the parameters held fixed (published point values such as PSSRU's unit
    cost components, which have no published spread) are named together in one last row."""
    name = table.attrs.get("output", "npv")
    rows, fixed = [], []
    for row in table.itertuples():
        if isinstance(row.low, float) and math.isnan(row.low):
            fixed.append(row.label)
            continue
        rows.append(
            {
                "Parameter": row.label,
                "Base value": value_text(row.unit, row.value),
                "Range tested": f"{value_text(row.unit, row.low)} to {value_text(row.unit, row.high)}",
                f"{OUTPUTS[name][0]} at low end": format_output(name, row.output_low),
                "at high end": format_output(name, row.output_high),
            }
        )
    if fixed:
        rows.append(
            {
                "Parameter": f"Held fixed, not varied ({len(fixed)}): " + "; ".join(fixed),
                "Base value": "",
                "Range tested": "fixed, not varied",
                f"{OUTPUTS[name][0]} at low end": "",
                "at high end": "",
            }
        )
    return pd.DataFrame(
        rows, columns=["Parameter", "Base value", "Range tested", f"{OUTPUTS[name][0]} at low end", "at high end"]
    )


def break_even_display(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Parameter": table["label"],
            "Base value": [value_text(u, v) for u, v in zip(table["unit"], table["value"], strict=True)],
            "Break-even value (net present value zero)": [
                value_text(u, b) if not np.isnan(b) else f"none between {value_text(u, lo)} and {value_text(u, hi)}"
                for u, b, lo, hi in zip(
                    table["unit"], table["break_even"], table["searched_low"], table["searched_high"], strict=True
                )
            ],
            "Unit": table["unit"],
        }
    )


def tier_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`evidence.roi.scenarios.tier_scenarios` with text columns, keeping ``n`` for
    :func:`evidence.disclosure.publish_summary`."""
    out = table[["tier", "n"]].copy()
    out["cost"] = [money(x) for x in table["cost"]]
    out["qalys"] = [f"{x:.3f}" for x in table["qalys"]]
    out["bcr"] = [
        expected_text(b, lo, hi, bb, ratio_text)
        for b, lo, hi, bb in zip(table["bcr"], table["bcr_low"], table["bcr_high"], table["bcr_base"], strict=True)
    ]
    out["npv"] = [
        expected_text(b, lo, hi, bb, money)
        for b, lo, hi, bb in zip(table["npv"], table["npv_low"], table["npv_high"], table["npv_base"], strict=True)
    ]
    out["p"] = [f"{100 * p:.0f}%" for p in table["p_npv_positive"]]
    return out


def _expected_columns(table: pd.DataFrame) -> dict[str, list[str]]:
    """The expected ratio (interval; base case), expected NPV and chance of a positive NPV of each
    row of a horizon or scenario table, as text."""
    return {
        "£ returned per £1, expected (interval)": [
            expected_text(b, lo, hi, bb, ratio_text)
            for b, lo, hi, bb in zip(table["bcr"], table["bcr_low"], table["bcr_high"], table["bcr_base"], strict=True)
        ],
        "Net present value per child, expected": [
            f"{money(x)}; base case {money(b)}" for x, b in zip(table["npv"], table["npv_base"], strict=True)
        ],
        "Chance benefits exceed costs": [f"{100 * p:.0f}%" for p in table["p_npv_positive"]],
    }


def horizon_display(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"Horizon": [f"{h} year{'s' if h != 1 else ''}" for h in table["horizon"]], **_expected_columns(table)}
    )


def scenario_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`evidence.roi.scenarios.scenario_analysis` as text."""
    return pd.DataFrame({"Scenario": table["label"], **_expected_columns(table), "What changes": table["description"]})
