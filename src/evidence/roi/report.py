"""Display tables and plain-language text for the ROI report: pure functions from analysis
results to DataFrames of text (for :mod:`evidence.disclosure`) and Markdown strings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evidence.disclosure import DisclosureRule, round_counts
from evidence.roi.analysis import Analysis, Prepared, expected_values, interval, probabilities
from evidence.roi.assumption_set import AssumptionSet, ModelInput, Threshold
from evidence.roi.model import BAND_LABELS, BANDS, OUTPUTS, STAFF_COMPONENTS, hourly_cost


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


def cohort_total(children: int | None, per_child: float, rule: DisclosureRule) -> str:
    """'; for the N children ..., about £X' with N rounded by the disclosure rule and the total
    from the rounded N, to two significant figures (an exact total would give away the exact
    count); empty without records or when N is suppressed."""
    if children is None:
        return ""
    rounded = round_counts([children], rule)[0]
    if np.isnan(rounded) or rounded == 0:
        return ""
    total = float(f"{per_child * rounded:.2g}")
    return f"; for the {rounded:,.0f} children whose care was completed, about {money(total)}"


def _intervention_name(prepared: Prepared) -> str:
    name = prepared.intervention
    if name in ("Universal", "Targeted", "Specialist"):
        return f"{name.lower()}-tier occupational therapy"
    return "occupational therapy (all services)" if name == "All" else name


def headline(analysis: Analysis, rule: DisclosureRule, level: float = 0.95) -> str:
    """The headline in plain words: the expected return per £1 from the probabilistic analysis
    with its interval and the base case beside it, the chance the intervention returns more
    than it costs, and how far the figures rest on illustrative assumptions."""
    prepared, base, psa = analysis.prepared, analysis.base, analysis.psa
    settings, assumptions = prepared.settings, prepared.assumptions
    expected = expected_values(psa)
    bcr_low, bcr_high = interval(psa.bcr, level)
    npv_low, npv_high = interval(psa.npv, level)
    chance = probabilities(analysis)
    who = _intervention_name(prepared)
    years = f"{settings.horizon_years} year{'s' if settings.horizon_years != 1 else ''}"
    lines = []
    if expected["incremental_cost"] > 0:
        lines.append(
            f"- For every **£1** spent on {who} rather than the comparator ({assumptions.comparator.lower()}), "
            f"an expected **{money(expected['bcr'], 2)}** comes back in health gains and avoided costs over {years} "
            f"({level:.0%} interval {money(bcr_low, 2)} to {money(bcr_high, 2)}, from {analysis.n_draws:,} "
            f"simulations; with every assumption at its central value, the base case, {money(base.bcr[0], 2)})."
        )
    else:
        lines.append(
            f"- {who[0].upper() + who[1:]} is expected to cost less than the comparator "
            f"({assumptions.comparator.lower()}), so it has no cost to return."
        )
    lines.append(
        f"- The chance that it returns more than it costs (a benefit-cost ratio above 1) is "
        f"**{100 * chance['npv_positive']:.0f}%**; the chance of a net return above £1 per £1 spent "
        f"(return on investment above 1) is {100 * chance['roi_above_1']:.0f}%."
    )
    lines.append(
        f"- Net present value: an expected **{money(expected['npv'])} per child** ({level:.0%} interval "
        f"{money(npv_low)} to {money(npv_high)}; base case {money(base.npv[0])})"
        f"{cohort_total(prepared.children, expected['npv'], rule)}."
    )
    qaly_line = (
        f"- Health gain: an expected {expected['qalys']:.3f} QALYs per child (base case {base.qalys[0]:.3f}); "
        f"expected cost per QALY gained {format_output('cost_per_qaly', expected['cost_per_qaly'])} "
        f"(base case {format_output('cost_per_qaly', base.cost_per_qaly[0])})"
    )
    payback = expected["payback_year"]
    qaly_line += (
        f"; the expected cost is paid back in {format_output('payback_year', payback)}."
        if not np.isnan(payback)
        else f"; the expected cost is not paid back within {years}."
    )
    lines.append(qaly_line)
    lines.append(
        "- Expected values are the averages over the simulations (a ratio is the ratio of the averages); "
        "the model is not linear, so they differ from the base case, which puts every assumption at its "
        "central value."
    )
    illustrative, total = assumptions.illustrative_count()
    spread = assumptions.illustrative_spread_count()
    spread_text = (
        f" The spread used for {spread} sourced value{'s' if spread != 1 else ''} in the simulations is "
        "illustrative too."
        if spread
        else ""
    )
    if illustrative:
        lines.append(
            f"- **Read with care:** {illustrative} of the {total} assumptions behind these figures are "
            "illustrative, not taken from a published source (they are listed at the end)."
            + spread_text
            + " The figures show how the method works; they are not evidence of what this service returns."
        )
    elif spread_text:
        lines.append(f"- Every assumption has a published source.{spread_text}")
    return "\n".join(lines)


def _standard_error_text(unit: str, se: float) -> str:
    """A Monte Carlo standard error to two significant figures, in pounds for money."""
    if math.isnan(se):
        return ""
    text = f"{float(f'{se:.2g}'):,.10g}"
    return f"£{text}" if unit.startswith("GBP") else text


def summary_display(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """:func:`evidence.roi.analysis.summary_table` as text."""
    rows = []
    for row in table.itertuples():
        note = "" if row.defined >= 1 else f"defined in {100 * row.defined:.1f}% of simulations"
        rows.append(
            {
                "Result": row.label,
                "Expected (simulations)": format_output(row.output, row.expected),
                "Monte Carlo SE": _standard_error_text(row.unit, row.mc_se),
                f"{level:.0%} interval": f"{format_output(row.output, row.low)} to "
                f"{format_output(row.output, row.high)}",
                "Base case": format_output(row.output, row.base),
                "Note": note,
            }
        )
    return pd.DataFrame(rows)


def staff_hourly_costs(assumptions: AssumptionSet) -> dict[str, tuple[float, float]]:
    """(salary and on-costs, overheads and capital) per working hour for each band, pounds."""
    p = assumptions.parameters
    costs = {}
    for band in BANDS:
        names = [*(f"staff.{c}_{band}" for c in STAFF_COMPONENTS), "staff.capital_overheads", "staff.working_hours"]
        pay, overheads = hourly_cost(*(p[name].value for name in names))
        costs[band] = (float(pay), float(overheads))
    return costs


def cost_table(analysis: Analysis) -> pd.DataFrame:
    """Base-case cost per child, built up: staff time by band x PSSRU's cost per working hour
    (salary and on-costs, then overheads and capital), training, equipment, optimism bias, the
    comparator and the incremental cost."""
    p = analysis.prepared.assumptions.parameters
    base = analysis.base
    rows = []
    hourly = staff_hourly_costs(analysis.prepared.assumptions)
    for band in BANDS:
        hours, (pay, overheads) = p[f"staff.hours_{band}"].value, hourly[band]
        rows.append(
            (
                f"{BAND_LABELS[band]} staff",
                f"{hours:.2f} hours x {money(pay + overheads, 2)} per working hour "
                f"({money(pay, 2)} salary and on-costs, {money(overheads, 2)} overheads and capital)",
                hours * (pay + overheads),
            )
        )
    rows += [
        (
            "of which overheads and capital",
            "PSSRU's overheads and capital per working hour x hours",
            base.overhead_cost[0],
        ),
        ("Training", "per child", base.training_cost[0]),
        (
            "Equipment",
            f"{100 * p['costs.equipment_share'].value:.0f}% of children x "
            f"{money(p['costs.equipment_unit_cost'].value)}",
            base.equipment_cost[0],
        ),
        ("Optimism bias", f"{100 * p['costs.optimism_bias'].value:.0f}% uplift", base.optimism_bias_cost[0]),
        ("Intervention, total", "", base.intervention_cost[0]),
        (f"Comparator ({analysis.prepared.assumptions.comparator.lower()})", "", base.comparator_cost[0]),
        ("Incremental cost", "intervention minus comparator", base.incremental_cost[0]),
        (
            "Incremental cost, expected",
            f"mean over the {analysis.n_draws:,} simulations (headline figures use it)",
            float(np.mean(analysis.psa.incremental_cost)),
        ),
    ]
    return pd.DataFrame(
        {"Cost": [r[0] for r in rows], "How": [r[1] for r in rows], "Per child": [money(r[2], 2) for r in rows]}
    )


def benefit_table(analysis: Analysis, level: float = 0.95) -> pd.DataFrame:
    """Present value per child of each benefit: QALYs valued at the threshold, then each
    avoided-cost stream (whose budget, expected value over the simulations, interval, base
    case, share of the expected benefits)."""
    assumptions = analysis.prepared.assumptions
    base, psa = analysis.base, analysis.psa
    total = float(np.mean(psa.benefits))
    threshold = assumptions.parameters["qaly.value"].value
    columns = [("Health gain", "Children and families", psa.qaly_value, base.qaly_value[0])]
    columns += [
        (
            assumptions.streams[name].label,
            assumptions.streams[name].perspective,
            psa.avoided_by_stream[:, i],
            base.avoided_by_stream[0, i],
        )
        for i, name in enumerate(base.streams)
    ]
    rows = []
    for label, whose, draws, base_value in columns:
        expected = float(np.mean(draws))
        if label == "Health gain":
            label = f"Health gain ({np.mean(psa.qalys):.3f} QALYs expected, at {money(threshold)} per QALY)"
        rows.append(
            {
                "Benefit": label,
                "Whose": whose,
                "Present value per child, expected": money(expected),
                f"{level:.0%} interval": " to ".join(money(x) for x in interval(draws, level)),
                "Base case": money(base_value),
                "Share": f"{100 * expected / total:.0f}%" if total > 0 else "",
            }
        )
    return pd.DataFrame(rows)


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


def _expected_text(expected: float, low: float, high: float, base: float, fmt) -> str:
    """'E (L to H); base case B' for a display cell."""
    return f"{fmt(expected)} ({fmt(low)} to {fmt(high)}); base case {fmt(base)}"


def _ratio_text(x: float) -> str:
    return "not defined" if math.isnan(x) else f"{x:.2f}"


def threshold_display(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """:func:`evidence.roi.analysis.threshold_table` as text: expected values (interval), base
    case beside."""
    return pd.DataFrame(
        {
            "Value of a QALY": [money(x) for x in table["threshold"]],
            "£ returned per £1, expected (interval)": [
                _expected_text(b, lo, hi, bb, _ratio_text)
                for b, lo, hi, bb in zip(
                    table["bcr"], table["bcr_low"], table["bcr_high"], table["bcr_base"], strict=True
                )
            ],
            "Net monetary benefit per child, expected (interval)": [
                _expected_text(b, lo, hi, bb, money)
                for b, lo, hi, bb in zip(
                    table["nmb"], table["nmb_low"], table["nmb_high"], table["nmb_base"], strict=True
                )
            ],
            "Chance cost-effective": [f"{100 * p:.0f}%" for p in table["p_cost_effective"]],
        }
    )


def _value_text(parameter_unit: str, x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return ""
    return (
        money(x, 2)
        if parameter_unit.startswith("GBP") and abs(x) < 1000
        else (money(x) if parameter_unit.startswith("GBP") else f"{x:,.4g}")
    )


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
                "Base value": _value_text(row.unit, row.value),
                "Range tested": f"{_value_text(row.unit, row.low)} to {_value_text(row.unit, row.high)}",
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
            "Base value": [_value_text(u, v) for u, v in zip(table["unit"], table["value"], strict=True)],
            "Break-even value (net present value zero)": [
                _value_text(u, b) if not np.isnan(b) else f"none between {_value_text(u, lo)} and {_value_text(u, hi)}"
                for u, b, lo, hi in zip(
                    table["unit"], table["break_even"], table["searched_low"], table["searched_high"], strict=True
                )
            ],
            "Unit": table["unit"],
        }
    )


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
                "Value": _value_text(p.unit, p.value),
                "Unit": p.unit,
                "Price year": p.describe_price_year(),
                "Distribution": p.distribution.describe(),
                "One-way range": f"{_value_text(p.unit, spread[0])} to {_value_text(p.unit, spread[1])}"
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


def tier_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`evidence.roi.scenarios.tier_scenarios` with text columns, keeping ``n`` for
    :func:`evidence.disclosure.publish_summary`."""
    out = table[["tier", "n"]].copy()
    out["cost"] = [money(x) for x in table["cost"]]
    out["qalys"] = [f"{x:.3f}" for x in table["qalys"]]
    out["bcr"] = [
        _expected_text(b, lo, hi, bb, _ratio_text)
        for b, lo, hi, bb in zip(table["bcr"], table["bcr_low"], table["bcr_high"], table["bcr_base"], strict=True)
    ]
    out["npv"] = [
        _expected_text(b, lo, hi, bb, money)
        for b, lo, hi, bb in zip(table["npv"], table["npv_low"], table["npv_high"], table["npv_base"], strict=True)
    ]
    out["p"] = [f"{100 * p:.0f}%" for p in table["p_npv_positive"]]
    return out


def _expected_columns(table: pd.DataFrame) -> dict[str, list[str]]:
    """The expected ratio (interval; base case), expected NPV and chance of a positive NPV of each
    row of a horizon or scenario table, as text."""
    return {
        "£ returned per £1, expected (interval)": [
            _expected_text(b, lo, hi, bb, _ratio_text)
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


def context_markdown(published: pd.DataFrame) -> str:
    """Published return-on-investment figures quoted for context (``data/raw/published``),
    each with its source, and a warning that they are about other interventions."""
    lines = []
    for row in published.itertuples():
        lines.append(
            f"- For context, not comparison: {row.statement}, **£{float(row.value):.2f}** per £1 "
            f"({row.publisher}, {row.published}, \u201c{row.source_title}\u201d, quoted in {row.quoted_in}). "
            "That figure is about education, not occupational therapy."
        )
    return "\n".join(lines)


def results_record(analysis: Analysis, level: float = 0.95) -> dict:
    """The headline numbers as plain values for the tidy results file: expected values from
    the probabilistic analysis (as headlined), their intervals, and the base case beside them."""
    base, psa = analysis.base, analysis.psa
    expected = expected_values(psa)
    assumptions = analysis.prepared.assumptions
    illustrative, total = assumptions.illustrative_count()
    return {
        "bcr": expected["bcr"],
        "bcr_interval": list(interval(psa.bcr, level)),
        "npv_per_child": expected["npv"],
        "npv_interval": list(interval(psa.npv, level)),
        "qalys_per_child": expected["qalys"],
        "cost_per_qaly": expected["cost_per_qaly"],
        "icer": expected["icer"],
        "payback_year": expected["payback_year"],
        "base_case": {
            name: float(base.output(name)[0])
            for name in ("bcr", "npv", "qalys", "cost_per_qaly", "icer", "payback_year")
        },
        "price_year": assumptions.price_year,
        "probabilities": probabilities(analysis),
        "draws": analysis.n_draws,
        "illustrative_assumptions": illustrative,
        "assumptions_from_the_set": total,
        "illustrative_spreads_of_sourced_values": assumptions.illustrative_spread_count(),
    }


def scenario_display(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`evidence.roi.scenarios.scenario_analysis` as text."""
    return pd.DataFrame({"Scenario": table["label"], **_expected_columns(table), "What changes": table["description"]})
