"""The ROI report's headline and main results: pure functions from analysis results to
Markdown strings and DataFrames of text (for :mod:`evidence.disclosure`): the headline in plain
words, what it costs and what it returns per child, every result with its uncertainty, results
at each threshold, published figures quoted for context, and the headline numbers for the tidy
results file.

The displays of the one-way, break-even and scenario analyses are in
:mod:`evidence.roi.report_sensitivity`; the assumption set's tables and settings in
:mod:`evidence.roi.report_assumptions`; the number formats all three use in
:mod:`evidence.roi.formatting`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evidence.disclosure import DisclosureRule, round_counts
from evidence.roi.analysis import Analysis, Prepared, expected_values, interval, probabilities
from evidence.roi.assumption_set import AssumptionSet
from evidence.roi.formatting import expected_text, format_output, money, ratio_text
from evidence.roi.model import BAND_LABELS, BANDS, STAFF_COMPONENTS, hourly_cost


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


def threshold_display(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """:func:`evidence.roi.analysis.threshold_table` as text: expected values (interval), base
    case beside."""
    return pd.DataFrame(
        {
            "Value of a QALY": [money(x) for x in table["threshold"]],
            "£ returned per £1, expected (interval)": [
                expected_text(b, lo, hi, bb, ratio_text)
                for b, lo, hi, bb in zip(
                    table["bcr"], table["bcr_low"], table["bcr_high"], table["bcr_base"], strict=True
                )
            ],
            "Net monetary benefit per child, expected (interval)": [
                expected_text(b, lo, hi, bb, money)
                for b, lo, hi, bb in zip(
                    table["nmb"], table["nmb_low"], table["nmb_high"], table["nmb_base"], strict=True
                )
            ],
            "Chance cost-effective": [f"{100 * p:.0f}%" for p in table["p_cost_effective"]],
        }
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
