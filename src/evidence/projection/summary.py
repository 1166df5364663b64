"""Summaries of a projection for reports: fan-chart quantiles, the horizon table, the
headline sentences, the flows of one run and the table of every assumption.

Pure functions: a :class:`~evidence.projection.scenarios.Projection` (or assumptions) in,
tidy DataFrames or text out. Intervals are central intervals of the Monte Carlo draws
(quantiles ``(1 - level) / 2`` and ``(1 + level) / 2``): they show the spread produced by the
uncertain inputs, not a statistical confidence interval.
"""

from __future__ import annotations

import html
from typing import Literal

import numpy as np
import pandas as pd

from evidence.projection.assumptions import REFERENCE_SCENARIO, Assumptions, Quantity, Scenario
from evidence.projection.scenarios import NEWLY_QUALIFIED, Projection
from evidence.published import citation

QUANTITIES = {"waiting": "children and young people waiting", "wte": "whole-time equivalents (WTE)"}


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"an interval level must be between 0 and 1, got {level}")


def _values(projection: Projection, quantity: str) -> np.ndarray:
    if quantity == "waiting":
        return projection.waiting.waiting
    if quantity == "wte":
        return projection.wte
    raise ValueError(f"unknown quantity {quantity!r}; use one of {', '.join(QUANTITIES)}")


def fan_quantiles(projection: Projection, quantity: str, outer: float = 0.9, inner: float = 0.5) -> pd.DataFrame:
    """Quantiles across draws at every point: one row per scenario and year (July), columns
    ``scenario``, ``label``, ``year``, ``outer_low``, ``inner_low``, ``median``,
    ``inner_high``, ``outer_high``. ``quantity``: ``waiting`` (children and young people) or
    ``wte`` (whole-time equivalents)."""
    _check_level(outer)
    _check_level(inner)
    if inner >= outer:
        raise ValueError(f"the inner band ({inner}) must be narrower than the outer ({outer})")
    probabilities = [(1 - outer) / 2, (1 - inner) / 2, 0.5, (1 + inner) / 2, (1 + outer) / 2]
    q = np.quantile(_values(projection, quantity), probabilities, axis=1)  # (5, S, T + 1)
    scenarios, years = len(projection.scenarios), len(projection.years)
    frame = pd.DataFrame(
        {
            "scenario": np.repeat(projection.scenarios, years),
            "label": np.repeat(projection.labels, years),
            "year": np.tile(projection.years, scenarios),
        }
    )
    for name, values in zip(("outer_low", "inner_low", "median", "inner_high", "outer_high"), q, strict=True):
        frame[name] = values.reshape(-1)
    return frame


def _interval(values: np.ndarray, level: float, axis: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and central interval along ``axis``, as :func:`fan_quantiles` computes them
    (linear interpolation); with infinite values (e.g. "not cleared") the inverted-CDF
    quantile is used instead, so that no infinity is interpolated."""
    method: Literal["linear", "inverted_cdf"] = "linear" if np.isfinite(values).all() else "inverted_cdf"
    q = np.quantile(values, [(1 - level) / 2, 0.5, (1 + level) / 2], axis=axis, method=method)
    return q[1], q[0], q[2]


def horizon_summary(projection: Projection, level: float = 0.9) -> pd.DataFrame:
    """One row per scenario: where it ends (the last point) and how it gets there.

    Columns: ``waiting_*`` and ``wte_*`` (median, low, high at the last point);
    ``weeks_*`` (the list at the end in weeks of the last year's capacity); ``cleared`` (share
    of draws in which the list reaches zero within the horizon); ``clear_*`` (years to clear,
    infinite when not within the horizon); ``capacity_per_referral`` (median capacity over
    referrals in the last year); ``newly_qualified_*`` (graduates plus degree apprentices a
    year, averaged over the years); ``newly_qualified_start`` (the same, first year).
    """
    _check_level(level)
    waiting, wte = projection.waiting, projection.wte
    clear = np.where(np.isnan(waiting.time_to_clear), np.inf, waiting.time_to_clear)
    newly = projection.workforce.joiners[..., list(NEWLY_QUALIFIED)].sum(axis=-1)  # (S, D, T)
    rows: dict[str, list[str] | np.ndarray] = {"scenario": list(projection.scenarios), "label": list(projection.labels)}
    for name, values in (
        ("waiting", waiting.waiting[..., -1]),
        ("wte", wte[..., -1]),
        ("weeks", waiting.weeks_of_capacity()[..., -1]),
        ("clear", clear),
        ("newly_qualified", newly.mean(axis=-1)),
    ):
        median, low, high = _interval(values, level)
        rows |= {f"{name}_median": median, f"{name}_low": low, f"{name}_high": high}
    rows["waiting_start"] = np.median(waiting.waiting[..., 0], axis=1)
    rows["wte_start"] = np.median(wte[..., 0], axis=1)
    rows["newly_qualified_start"] = np.median(newly[..., 0], axis=1)
    rows["cleared"] = np.isfinite(clear).mean(axis=1)
    rows["capacity_per_referral"] = np.median(waiting.capacity[..., -1] / waiting.referrals[..., -1], axis=1)
    frame = pd.DataFrame(rows)
    frame.attrs |= {
        "level": level,
        "start_year": int(projection.years[0]),
        "end_year": int(projection.years[-1]),
        "draws": projection.draws,
    }
    return frame


def round_to(values, base: float) -> np.ndarray:
    """Round to the nearest multiple of ``base`` (half away from zero); infinities stay."""
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(values), np.sign(values) * np.floor(np.abs(values) / base + 0.5) * base, values)


def _whole(value: float) -> str:
    return f"{value:,.0f}"


def _years(value: float) -> str:
    return "not within the horizon" if not np.isfinite(value) else f"{value:.1f} years"


def horizon_table(summary: pd.DataFrame, list_base: float = 100, wte_base: float = 10) -> pd.DataFrame:
    """The horizon summary as display text: children rounded to ``list_base``, WTE to
    ``wte_base``, each with its interval."""
    level, end = summary.attrs["level"], summary.attrs["end_year"]

    def ranged(name: str, base: float) -> list[str]:
        m, lo, hi = (round_to(summary[f"{name}_{k}"], base) for k in ("median", "low", "high"))
        return [f"{_whole(a)} ({_whole(b)} to {_whole(c)})" for a, b, c in zip(m, lo, hi, strict=True)]

    return pd.DataFrame(
        {
            "Scenario": summary["label"],
            f"Waiting in July {end} (median, {level:.0%} interval)": ranged("waiting", list_base),
            f"List in weeks of capacity, July {end}": [
                f"{a:.0f} ({b:.0f} to {c:.0f})"
                for a, b, c in zip(summary["weeks_median"], summary["weeks_low"], summary["weeks_high"], strict=True)
            ],
            "Simulations in which the list clears": [f"{v:.0%}" for v in summary["cleared"]],
            "Median time to clear": [_years(v) for v in summary["clear_median"]],
            f"Capacity / referrals, year to July {end}": [f"{v:.2f}" for v in summary["capacity_per_referral"]],
        }
    )


def workforce_table(summary: pd.DataFrame, wte_base: float = 10) -> pd.DataFrame:
    """Workforce at the start and the end, and newly qualified joiners a year, as text."""
    level, start, end = summary.attrs["level"], summary.attrs["start_year"], summary.attrs["end_year"]

    def ranged(name: str, base: float = wte_base) -> list[str]:
        m, lo, hi = (round_to(summary[f"{name}_{k}"], base) for k in ("median", "low", "high"))
        return [f"{_whole(a)} ({_whole(b)} to {_whole(c)})" for a, b, c in zip(m, lo, hi, strict=True)]

    return pd.DataFrame(
        {
            "Scenario": summary["label"],
            f"WTE, July {start}": [_whole(v) for v in round_to(summary["wte_start"], wte_base)],
            f"WTE, July {end} (median, {level:.0%} interval)": ranged("wte"),
            "Newly qualified joiners a year, first year (WTE)": [
                _whole(v) for v in round_to(summary["newly_qualified_start"], 1)
            ],
            "Newly qualified joiners a year, average (WTE)": ranged("newly_qualified", 1),
        }
    )


def describe_headlines(summary: pd.DataFrame, reference: str = "baseline", list_base: float = 100) -> str:
    """Plain-language headlines (markdown): where the waiting list ends in each scenario, with
    its interval, against the start and the reference scenario."""
    level, start, end = summary.attrs["level"], summary.attrs["start_year"], summary.attrs["end_year"]
    draws = summary.attrs["draws"]
    median = round_to(summary["waiting_median"], list_base)
    low, high = round_to(summary["waiting_low"], list_base), round_to(summary["waiting_high"], list_base)
    first = summary["waiting_start"].iloc[0]
    lines = []
    for i, row in summary.reset_index(drop=True).iterrows():
        cleared = row["cleared"]
        clears = (
            "it clears within the horizon in none of the simulations"
            if cleared == 0
            else f"it clears within the horizon in {cleared:.0%} of the simulations"
            + (f" (median {row['clear_median']:.1f} years)" if np.isfinite(row["clear_median"]) else "")
        )
        lines.append(
            f"- **{row['label']}**: about **{_whole(median[i])}** children and young people "
            f"waiting in July {end} ({level:.0%} interval {_whole(low[i])} to {_whole(high[i])}); "
            f"{clears}."
        )
    ordered = summary.assign(m=summary["waiting_median"]).sort_values("m")
    best, worst = ordered.iloc[0], ordered.iloc[-1]
    lead = (
        f"From {_whole(first)} children and young people waiting in July {start}, the shortest "
        f"list in July {end} comes with **{best['label']}** and the longest with "
        f"**{worst['label']}** (medians of {draws:,} simulations)."
    )
    if reference in set(summary["scenario"]):
        ref = summary.set_index("scenario").loc[reference]
        ends = "longer" if ref["waiting_median"] > first else "shorter"
        lead += (
            f" In the {ref['label'].lower()} scenario the list ends {ends} than it started, and capacity "
            f"in the last year is {ref['capacity_per_referral']:.2f} times referrals."
        )
    return lead + "\n\n" + "\n".join(lines)


def flows_frame(projection: Projection, scenario: str, draw: int = 0) -> pd.DataFrame:
    """Joiners by route and leavers by group in each year of one scenario and draw (WTE), long:
    ``year`` (the July the year starts), ``flow``, ``kind`` (joiners or leavers), ``wte``
    (leavers negative), plus ``net`` per year (joiners minus leavers)."""
    s = projection.scenarios.index(scenario)
    joiners = projection.workforce.joiners[s, draw]
    leavers = projection.workforce.leavers[s, draw]
    years = projection.years[:-1]
    parts = [
        pd.DataFrame({"year": years, "flow": route, "kind": "joiners", "wte": joiners[:, r]})
        for r, route in enumerate(projection.routes)
    ]
    parts += [
        pd.DataFrame({"year": years, "flow": f"leavers ({group})", "kind": "leavers", "wte": -leavers[:, g]})
        for g, group in enumerate(projection.groups)
    ]
    frame = pd.concat(parts, ignore_index=True)
    frame["net"] = np.tile(joiners.sum(axis=-1) - leavers.sum(axis=-1), len(parts))
    return frame


def format_value(quantity: Quantity | None, value: float, kind: str | None = None) -> str:
    """A value as a reader sees it: proportions as percentages, counts with separators."""
    kind = kind or (quantity.kind if quantity else "number")
    if kind == "proportion":
        text = f"{100 * value:.2f}".rstrip("0").rstrip(".")
        return f"{text}%"
    if kind == "count":
        return _whole(value)
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
            _whole(stock.sum()),
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
            _whole(referrals),
            f"children and young people, {year}",
            "Starting list x 12 / months of referrals it represents",
            _DEMAND_INPUTS,
        ),
        (
            "Capacity",
            _whole(capacity),
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


def reference_scenario(scenarios: list[Scenario]) -> str:
    """The scenario others are compared with: ``baseline`` if it is in the set, else the first."""
    names = [s.name for s in scenarios]
    return REFERENCE_SCENARIO if REFERENCE_SCENARIO in names else names[0]


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


def flow_panels(central: Projection, summary: pd.DataFrame, reference: str) -> dict[str, pd.DataFrame]:
    """Flows to chart: the reference scenario and, if different, the scenario whose workforce
    ends largest (median), each at central values, keyed by scenario label."""
    largest = summary.sort_values("wte_median", ascending=False)["scenario"].iloc[0]
    labels = dict(zip(central.scenarios, central.labels, strict=True))
    chosen = dict.fromkeys([reference, largest])
    return {labels[s]: flows_frame(central, s) for s in chosen}


def to_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dictionaries for JSON, with NaN and infinity as None (JSON has neither)."""
    clean = frame.astype(object).where(frame.map(lambda v: not isinstance(v, float) or np.isfinite(v)), None)
    return clean.to_dict(orient="records")


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
            "Occupational therapists registered (UK, all sectors)": [_whole(v) for v in table["value"]],
            "Source": [citation(row) for _, row in table.iterrows()],
        }
    )
    text = (
        f"Registered occupational therapists in the UK went from {_whole(first['value'])} "
        f"({first['period'].replace('snapshot ', '')}) to {_whole(last['value'])} "
        f"({last['period'].replace('snapshot ', '')}): {100 * total:+.1f}% in total, about {100 * yearly:.1f}% a "
        "year. Context only, not an input: the register counts every UK occupational therapist in every sector, "
        "while the projection starts from NHS occupational therapists in England, and no published figure gives "
        "the share working with children."
    )
    return frame, text
