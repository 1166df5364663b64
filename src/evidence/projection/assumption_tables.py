"""What a projection rests on, as tables and notes for readers: every baseline assumption with
its value, Monte Carlo range and source, what each scenario changes, the quantities the model
derives from them, the documents cited, how much is illustrative, and the HCPC register as
context.

Pure functions: :class:`~evidence.projection.assumptions.Assumptions` and
:class:`~evidence.projection.assumptions.Scenario` (or a central
:class:`~evidence.projection.scenarios.Projection`) in, tidy DataFrames or text out. The
results of a run (fan charts, horizon tables, headlines) are in
:mod:`evidence.projection.summary`.
"""

from __future__ import annotations

import html

import pandas as pd

from evidence.projection.assumptions import Assumptions, Scenario
from evidence.projection.quantities import Quantity
from evidence.projection.scenarios import Projection
from evidence.projection.summary import whole_number
from evidence.published import citation


def format_value(quantity: Quantity | None, value: float, kind: str | None = None) -> str:
    """A value as a reader sees it: proportions as percentages, counts with separators."""
    kind = kind or (quantity.kind if quantity else "number")
    if kind == "proportion":
        text = f"{100 * value:.2f}".rstrip("0").rstrip(".")
        return f"{text}%"
    if kind == "count":
        return whole_number(value)
    if kind == "year":
        return f"{value:.0f}"
    return f"{value:.3g}"


def _range_text(quantity: Quantity) -> str:
    spread = quantity.distribution
    if spread is None:
        return "fixed"
    low, high = (format_value(quantity, v) for v in spread.bounds())
    origin = "" if spread.source else " (illustrative range)"
    return f"{spread.kind} {low} to {high}{origin}"


def _source_text(quantity: Quantity) -> str:
    if quantity.status == "illustrative":
        return "ILLUSTRATIVE: no published source"
    if quantity.status == "published":
        return f"Published: {quantity.detail}"
    return f"Our reading of: {quantity.citation}"


def citations(assumptions: Assumptions, scenarios: list[Scenario]) -> list[str]:
    """The documents the published figures come from, each once, in order of first use."""
    used = [*assumptions.parameters.values(), *(q for s in scenarios for q in s.changes.values())]
    return list(dict.fromkeys(q.citation for q in used if q.status == "published"))


def assumptions_table(assumptions: Assumptions) -> pd.DataFrame:
    """Every baseline assumption: value, unit, Monte Carlo range, source (published, with the
    figure, or ILLUSTRATIVE) and how it is read. Columns ``Assumption``, ``Value``, ``Unit``,
    ``Monte Carlo range``, ``Source``, ``How it is read``."""
    rows = list(assumptions.parameters.values())
    return pd.DataFrame(
        {
            "Assumption": [q.description for q in rows],
            "Value": [format_value(q, q.value) for q in rows],
            "Unit": [q.unit for q in rows],
            "Monte Carlo range": [_range_text(q) for q in rows],
            "Source": [_source_text(q) for q in rows],
            "How it is read": [q.note for q in rows],
        }
    )


def scenario_table(scenarios: list[Scenario]) -> pd.DataFrame:
    """What each scenario changes, with value, unit, source and how it is read; a scenario
    that changes nothing (the baseline) gets one row saying so."""
    rows: list[tuple[Scenario, Quantity | None]] = [(s, q) for s in scenarios for q in s.changes.values()]
    rows += [(s, None) for s in scenarios if not s.changes]
    order = {s.name: i for i, s in enumerate(scenarios)}
    rows.sort(key=lambda row: order[row[0].name])
    return pd.DataFrame(
        {
            "Scenario": [s.label for s, _ in rows],
            "Setting": [q.description if q else s.description for s, q in rows],
            "Value": [format_value(q, q.value) if q else "" for _, q in rows],
            "Unit": [q.unit if q else "" for _, q in rows],
            "Source": [_source_text(q) if q else "" for _, q in rows],
            "How it is read": [q.note if q else "" for _, q in rows],
        }
    )


_WORKFORCE_INPUTS = ("nhs_occupational_therapists", "children_share", "wte_per_person")
_LEAVER_INPUTS = ("leaver_rate", "international_share", "international_turnover", "domestic_turnover")
_DEMAND_INPUTS = ("waiting_list_start", "waiting_list_months")


def derived_table(central: Projection, assumptions: Assumptions, reference: str = "baseline") -> pd.DataFrame:
    """Quantities the model derives from the assumptions, at central values, in the first year
    of the reference scenario: starting WTE, leaver rates by group, joiners by route,
    referrals, capacity and children taken off the list per WTE. ``Status`` is ILLUSTRATIVE
    when any input it is derived from is illustrative."""
    s = central.scenarios.index(reference)
    stock = central.workforce.stock[s, 0, 0]
    leaver_rates = central.workforce.leavers[s, 0, 0] / stock
    joiners = central.workforce.joiners[s, 0, 0]
    referrals, capacity = central.waiting.referrals[s, 0, 0], central.waiting.capacity[s, 0, 0]
    year = f"year from July {central.years[0]}"
    joiner_inputs = (*_WORKFORCE_INPUTS, *_LEAVER_INPUTS, "returner_share", "apprenticeship_share_start")
    capacity_inputs = (*_DEMAND_INPUTS, "demand_capacity_ratio")
    rows: list[tuple[str, str, str, str, tuple[str, ...]]]
    rows = [
        (
            "Children's OT workforce at the start",
            whole_number(stock.sum()),
            f"WTE, July {central.years[0]}",
            "NHS OTs x children's share x WTE per person",
            _WORKFORCE_INPUTS,
        )
    ]
    rows += [
        (
            f"Leaver rate, {group} staff",
            format_value(None, rate, "proportion"),
            "proportion per year",
            "Overall leaver rate split so the groups average to it; international = turnover ratio x domestic",
            _LEAVER_INPUTS,
        )
        for group, rate in zip(central.groups, leaver_rates, strict=True)
    ]
    rows += [
        (
            f"Joiners a year: {route}",
            f"{value:,.1f}",
            f"WTE, {year}",
            "Each group's joiners equal its leavers at central values (baseline)",
            joiner_inputs,
        )
        for route, value in zip(central.routes, joiners, strict=True)
    ]
    rows += [
        (
            "Referrals",
            whole_number(referrals),
            f"children and young people, {year}",
            "Starting list x 12 / months of referrals it represents",
            _DEMAND_INPUTS,
        ),
        (
            "Capacity",
            whole_number(capacity),
            f"children and young people taken off the list, {year}",
            "Referrals / demand-capacity ratio",
            capacity_inputs,
        ),
        (
            "Children taken off the list per WTE",
            f"{capacity / stock.sum():.1f}",
            f"per WTE, {year}",
            "Capacity / starting WTE",
            (*capacity_inputs, *_WORKFORCE_INPUTS),
        ),
    ]
    status = [
        "ILLUSTRATIVE (derived from illustrative inputs)"
        if any(assumptions.parameters[name].illustrative for name in inputs)
        else "Derived from published figures"
        for *_, inputs in rows
    ]
    frame = pd.DataFrame([row[:4] for row in rows], columns=["Derived quantity", "Value", "Unit", "How it is derived"])
    frame.insert(3, "Status", status)
    return frame


def illustrative_names(assumptions: Assumptions, scenarios: list[Scenario]) -> dict[str, list[str]]:
    """What is illustrative in a projection: ``values`` (quantities with no published source;
    scenario settings as ``<scenario>.<setting>``) and ``ranges`` (uncertain quantities whose
    Monte Carlo range has no source)."""
    values = [name for name, q in assumptions.parameters.items() if q.illustrative]
    values += [f"{s.name}.{name}" for s in scenarios for name, q in s.changes.items() if q.illustrative]
    ranges = [
        name
        for name, q in assumptions.parameters.items()
        if q.distribution is not None and q.distribution.source is None
    ]
    return {"values": values, "ranges": ranges}


def illustrative_notice(assumptions: Assumptions, scenarios: list[Scenario]) -> str:
    """A plain statement of how much of the projection rests on illustrative assumptions,
    naming each one, as an HTML note block (shown like the sample-data banner); or a statement
    that every input is published."""
    baseline = [q for q in assumptions.parameters.values() if q.illustrative]
    changes = [(s, q) for s in scenarios for q in s.changes.values() if q.illustrative]
    ranges = illustrative_names(assumptions, scenarios)["ranges"]
    used = len(assumptions.parameters) + sum(len(s.changes) for s in scenarios)
    if not baseline and not changes and not ranges:
        return "**Every input to this projection has a published source** (see Assumptions)."
    items = [html.escape(q.description, quote=False) for q in baseline]
    items += [f"{html.escape(q.description, quote=False)} ({html.escape(s.label, quote=False)})" for s, q in changes]
    text = (
        f"<strong>Illustrative assumptions.</strong> {len(baseline) + len(changes)} of the {used} inputs "
        "to this projection have no published source: they are illustrative, chosen to show how the "
        "levers work, not measured. They are:</p><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul><p>"
    )
    if ranges:
        text += (
            f"The Monte Carlo ranges of {len(ranges)} uncertain inputs are illustrative too, so the "
            "bands show the effect of those assumed ranges, not measured uncertainty. "
        )
    text += (
        "Read the results as what the published figures imply <em>if</em> these assumptions hold, not as "
        "forecasts. Every assumption and its source is listed under Assumptions."
    )
    return f'<div class="banner" role="note"><p>{text}</p></div>'


def registrant_context(snapshots: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """HCPC registrant snapshots of occupational therapists (``data/raw/published/
    hcpc_registrant_snapshots.csv``) as a context table, each with its snapshot date and source,
    and a sentence on the change between the first and the last snapshot (total and a year, by
    the compound rate over the years between their publication months). They are UK registrants
    in every sector, so they are not an input to a projection of one nation's NHS children's
    workforce; the sentence says so."""
    table = snapshots.assign(
        value=snapshots["value"].astype(float), when=pd.to_datetime(snapshots["published"].str[:7], format="%Y-%m")
    )
    table = table.sort_values("when", kind="stable")
    first, last = table.iloc[0], table.iloc[-1]
    years = (last["when"] - first["when"]).days / 365.25
    total = last["value"] / first["value"] - 1
    yearly = (1 + total) ** (1 / years) - 1 if years > 0 else float("nan")
    frame = pd.DataFrame(
        {
            "Snapshot": table["period"].str.replace("snapshot ", "", regex=False).tolist(),
            "Occupational therapists registered (UK, all sectors)": [whole_number(v) for v in table["value"]],
            "Source": [citation(row) for _, row in table.iterrows()],
        }
    )
    text = (
        f"Registered occupational therapists in the UK went from {whole_number(first['value'])} "
        f"({first['period'].replace('snapshot ', '')}) to {whole_number(last['value'])} "
        f"({last['period'].replace('snapshot ', '')}): {100 * total:+.1f}% in total, about {100 * yearly:.1f}% a "
        "year. Context only, not an input: the register counts every UK occupational therapist in every sector, "
        "while the projection starts from NHS occupational therapists in England, and no published figure gives "
        "the share working with children."
    )
    return frame, text
