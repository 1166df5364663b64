"""Assumption sets for the ROI model (``config/roi/*.yml``): every parameter with its value,
unit, price year, distribution for probabilistic analysis and source, checked on load.

A parameter either names its source (title, publisher, year and table or section) or is
flagged ``illustrative: true`` with a note saying what should replace it; reports show every
illustrative value as such. Distributions are given by their mean (the parameter's value) and
standard error, as is usual in decision modelling (Briggs, Claxton & Sculpher 2006, Decision
Modelling for Health Economic Evaluation, chapter 4): beta for probabilities, gamma or
lognormal for costs and other non-negative quantities, normal or beta for utilities, normal
for effects; uniform and triangular take explicit bounds; ``fixed`` is not varied in the
probabilistic analysis but may still carry a ``range`` for the one-way analysis.

An assumption set may ``extends: other.yml`` (entries given replace the parent's, whole), may
hold ``overrides`` per intervention (a tier or a service name) and labelled ``scenarios`` (whole
entries replacing the base case's, reported beside it, never in it).

**Price years.** The set has one price year, a financial year (``2023/24``). Every cost states
the financial year its source prices it in; the loader moves it to the set's price year with the
NHS Cost Inflation Index (PSSRU, Unit Costs of Health and Social Care 2024 Manual, Table
12.1.1; :func:`evidence.published.price_index`) and keeps the original value, its year and the
index used, for the assumptions table. A scenario's cost may have no stated price year (then it
is used as published and the table says so); a base-case cost may not.

**Spread.** A sourced value with a distribution says whether its spread is sourced
(``distribution.source``) or illustrative (``distribution.illustrative: true``), as the
projection's Monte Carlo ranges do; an illustrative value's spread is illustrative too.

This module holds the schema; the values, sources, distributions and the problem collector
are :mod:`evidence.sourced`'s, and the validated set is :mod:`evidence.roi.assumption_set`'s.
Every problem is listed at once, each naming the file, line, key, value and what is allowed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from evidence.errors import ConfigError, EvidenceError
from evidence.paths import ROI_CONFIG, display_path, resolve
from evidence.published import NHS_COST_INFLATION_INDEX, PriceIndex, financial_year, price_index
from evidence.roi.assumption_set import AssumptionSet, Scenario, Stream, Threshold, within
from evidence.roi.model import (
    PARAMETERS,
    STREAM_PARAMETERS,
    DiscountSchedule,
    ParameterSpec,
    stream_parameter,
)
from evidence.roi.parameter_entries import SOURCE_FORM, parameter_entry, replacements
from evidence.sourced import (
    KeyPath,
    Locations,
    Problems,
    Source,
    check_keys,
    is_number,
    merge_locations,
    provenance,
    read_yaml,
    structured_source,
)

ROI_CONFIG_FOLDER = ROI_CONFIG
DEFAULT_ASSUMPTIONS = ROI_CONFIG_FOLDER / "children_ot_waiting_list.yml"

TOP_LEVEL = {
    "title",
    "description",
    "price_year",
    "price_index",
    "currency",
    "comparator",
    "settings",
    "parameters",
    "streams",
    "overrides",
    "scenarios",
    "extends",
}
#: Top-level entries an extending set merges with its parent's, entry by entry.
MERGED_KEYS = ("settings", "parameters", "streams", "overrides", "scenarios", "comparator")
SCENARIO_KEYS = {"label", "description", "parameters"}
SETTINGS_KEYS = {
    "horizon_years",
    "discount_first_year",
    "outcome",
    "icer_perspective",
    "declining_discount",
    "thresholds",
}
STREAM_KEYS = {"label", "perspective", "description", "parameters"}


def load_assumptions(path: str | Path = DEFAULT_ASSUMPTIONS) -> AssumptionSet:
    """Read and validate an assumption set; every problem found is listed in one
    :class:`~evidence.errors.ConfigError` naming the file, line, entry, value and rule."""
    resolved = resolve(path)
    raw, locations = _read_with_parents(resolved, [])
    where = display_path(resolved)
    problems = Problems(resolved, locations)
    result = _validate(raw, where, resolved.stem, problems)
    problems.raise_if_any(
        f"the assumption set {where}", "Fix these entries (see config/roi/README.md for the format) and run again."
    )
    assert result is not None  # None only with a problem recorded, which raised above
    return result


def available_assumption_sets(folder: str | Path = ROI_CONFIG_FOLDER) -> list[str]:
    return sorted(p.stem for p in resolve(folder).glob("*.yml"))


def _read_with_parents(path: Path, seen: list[Path]) -> tuple[dict[str, Any], Locations]:
    """The set in ``path`` merged over the set it ``extends`` (entry by entry in
    :data:`MERGED_KEYS`, whole elsewhere), and where each key came from."""
    if path in seen:
        raise ConfigError(
            f"{display_path(path)}: 'extends' goes round in a circle: "
            + " -> ".join(display_path(p) for p in [*seen, path])
        )
    if not path.is_file():
        known = ", ".join(available_assumption_sets(path.parent)) if path.parent.is_dir() else "none"
        raise ConfigError(
            f"{display_path(path)}: no such assumption set (available in {display_path(path.parent)}: {known})"
        )
    data, locations = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{display_path(path)}: expected a mapping with keys {sorted(TOP_LEVEL)}")
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data, locations
    parent, parent_locations = _read_with_parents(path.parent / str(parent_name), [*seen, path])
    merged = {**parent, **{k: v for k, v in data.items() if k not in MERGED_KEYS}}
    replaced: list[KeyPath] = [(str(k),) for k in data if k not in MERGED_KEYS]
    for key in MERGED_KEYS:
        if key in data or key in parent:
            if data.get(key) is not None and not isinstance(data.get(key), dict):
                raise ConfigError(f"{display_path(path)}: {key} must be a mapping")
            merged[key] = {**(parent.get(key) or {}), **(data.get(key) or {})}
            replaced += [(key, str(entry)) for entry in data.get(key) or {}]
    return merged, merge_locations(parent_locations, locations, replaced)


def _specs(streams: dict[str, Stream]) -> dict[str, ParameterSpec]:
    """Every parameter the model needs for these streams; a stream parameter's label names
    its stream."""
    specs = dict(PARAMETERS)
    for stream in streams.values():
        for name, spec in STREAM_PARAMETERS.items():
            specs[stream_parameter(stream.name, name)] = replace(spec, label=f"{stream.label}: {spec.label}")
    return specs


def _price_index(raw: dict[str, Any], problems: Problems) -> tuple[str, PriceIndex] | None:
    """The set's price year and the index that moves costs to it."""
    try:
        price_year = financial_year(raw["price_year"])
    except ValueError as error:
        problems.add(("price_year",), None, str(error))
        return None
    entry = raw.get("price_index") or {}
    if not isinstance(entry, dict) or set(entry) - {"table", "column"}:
        problems.add(
            ("price_index",),
            None,
            "a mapping with table (a file in data/raw/published) and column (pay_and_prices, pay or prices)",
        )
        return None
    try:
        return price_year, price_index(
            str(entry.get("table", NHS_COST_INFLATION_INDEX)), str(entry.get("column", "pay_and_prices"))
        )
    except (EvidenceError, FileNotFoundError) as error:
        problems.add(("price_index",), None, str(error))
        return None


def _validate(raw: dict[str, Any], where: str, name: str, problems: Problems) -> AssumptionSet | None:
    check_keys(raw, (), TOP_LEVEL, problems, ("title", "price_year", "comparator", "settings", "parameters", "streams"))
    if problems.count():
        return None
    prices = _price_index(raw, problems)
    if prices is None:
        return None
    price_year, index = prices
    if raw.get("currency", "GBP") != "GBP":
        problems.add(("currency",), raw["currency"], "the model works in GBP")
    comparator = raw["comparator"] if isinstance(raw["comparator"], dict) else {}
    if not comparator.get("name"):
        problems.add(("comparator",), None, "give a name (e.g. Waiting list, Usual care) and a description")

    settings = raw["settings"] if isinstance(raw["settings"], dict) else {}
    if not check_keys(settings, ("settings",), SETTINGS_KEYS, problems, sorted(SETTINGS_KEYS)):
        return None
    horizon = settings["horizon_years"]
    if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon < 1:
        problems.add(("settings", "horizon_years"), horizon, "a whole number of years, at least 1")
    if not isinstance(settings["discount_first_year"], bool):
        problems.add(
            ("settings", "discount_first_year"),
            settings["discount_first_year"],
            "true (year 1 discounted, as the SROI guide does) or false",
        )
    outcome = settings["outcome"] if isinstance(settings["outcome"], dict) else {}
    if not outcome.get("instrument") or not outcome.get("scale"):
        problems.add(("settings", "outcome"), None, "give the instrument and scale the utility mapping applies to")
    perspective = settings["icer_perspective"]
    if not isinstance(perspective, list) or not all(isinstance(p, str) for p in perspective):
        problems.add(("settings", "icer_perspective"), None, "a list of stream perspectives (e.g. [NHS])")
        perspective = []
    standard, health, schedule_source = _schedules(settings["declining_discount"], problems)
    thresholds = _thresholds(settings["thresholds"], problems)

    streams: dict[str, Stream] = {}
    raw_streams = raw["streams"] if isinstance(raw["streams"], dict) else {}
    if not raw_streams:
        problems.add(("streams",), None, "give at least one avoided-cost stream")
    for stream, entry in raw_streams.items():
        if (
            not isinstance(entry, dict)
            or set(entry) - STREAM_KEYS
            or not {"label", "perspective", "parameters"} <= set(entry)
        ):
            problems.add(("streams", str(stream)), None, "needs label, perspective, parameters (optional: description)")
            continue
        streams[stream] = Stream(
            stream, str(entry["label"]), str(entry["perspective"]), str(entry.get("description") or "")
        )
    specs = _specs(streams)

    flat: dict[str, Any] = dict(raw["parameters"] or {}) if isinstance(raw["parameters"], dict) else {}
    for stream in streams:
        entries = raw_streams[stream]["parameters"]
        if not isinstance(entries, dict):
            problems.add(("streams", stream, "parameters"), None, f"a mapping of {', '.join(STREAM_PARAMETERS)}")
            continue
        for key, entry in entries.items():
            flat[stream_parameter(stream, key)] = entry
    unknown = [k for k in flat if k not in specs]
    if unknown:
        problems.add(
            ("parameters",),
            None,
            f"unknown parameter(s) {', '.join(unknown)}; the model's parameters are "
            f"{', '.join(PARAMETERS)} and, per stream, {', '.join(STREAM_PARAMETERS)}",
        )
    missing = [k for k in specs if k not in flat]
    if missing:
        problems.add(("parameters",), None, f"missing parameter(s): {', '.join(missing)}")
    parameters = {
        key: parameter
        for key, spec in specs.items()
        if key in flat
        and (parameter := parameter_entry(key, spec, flat[key], _where(key), price_year, index, problems))
    }
    overrides = {
        str(intervention): replacements(entries, ("overrides", str(intervention)), specs, price_year, index, problems)
        for intervention, entries in (raw.get("overrides") or {}).items()
    }
    scenarios: dict[str, Scenario] = {}
    for scenario, entry in (raw.get("scenarios") or {}).items():
        here = ("scenarios", str(scenario))
        if (
            not isinstance(entry, dict)
            or set(entry) - SCENARIO_KEYS
            or not {"label", "parameters"} <= set(entry)
            or not isinstance(entry["parameters"], dict)
            or not entry["parameters"]
        ):
            problems.add(
                here, None, "needs label, description and parameters (whole entries replacing the base case's)"
            )
            continue
        replaced = replacements(
            entry["parameters"], (*here, "parameters"), specs, price_year, index, problems, scenario=True
        )
        scenarios[str(scenario)] = Scenario(
            str(scenario), str(entry["label"]), str(entry.get("description") or ""), replaced
        )
    if problems.count():
        return None
    return AssumptionSet(
        name=name,
        path=where,
        title=str(raw["title"]),
        description=str(raw.get("description") or ""),
        price_year=price_year,
        comparator=str(comparator["name"]),
        comparator_description=str(comparator.get("description") or ""),
        horizon_years=horizon,
        discount_first_year=settings["discount_first_year"],
        instrument=str(outcome["instrument"]),
        scale=str(outcome["scale"]),
        icer_perspective=tuple(perspective),
        standard_schedule=standard,
        health_schedule=health,
        schedule_source=schedule_source,
        thresholds=thresholds,
        parameters=parameters,
        streams=streams,
        overrides=overrides,
        scenarios=scenarios,
    )


def _where(key: str) -> KeyPath:
    """The key path of a model parameter in the set (a stream's are under its stream)."""
    if key.startswith("stream."):
        _, stream, name = key.split(".", 2)
        return ("streams", stream, "parameters", name)
    return ("parameters", key)


def _schedules(raw: Any, problems: Problems) -> tuple[DiscountSchedule, DiscountSchedule, Source | None]:
    where = ("settings", "declining_discount")
    constant = DiscountSchedule.constant()
    if not isinstance(raw, dict) or not {"starts", "standard", "health"} <= set(raw):
        problems.add(where, None, "give starts (first year of each period), standard and health rates, and a source")
        return constant, constant, None
    source, _, _ = provenance(raw, where, problems, structured_source, SOURCE_FORM)
    starts, standard, health = raw["starts"], raw["standard"], raw["health"]
    try:
        if not (len(starts) == len(standard) == len(health)):
            raise ValueError("starts, standard and health must have the same length")
        if not all(within("rate", float(r)) for r in [*standard, *health]):
            raise ValueError("every rate must lie in [0, 1)")
        return (DiscountSchedule.from_rates(starts, standard), DiscountSchedule.from_rates(starts, health), source)
    except (TypeError, ValueError) as error:
        problems.add(where, None, str(error))
        return constant, constant, source


def _thresholds(raw: Any, problems: Problems) -> tuple[Threshold, ...]:
    where = ("settings", "thresholds")
    if not isinstance(raw, list) or not raw:
        problems.add(where, None, "a list of threshold ranges (label, low, high, source)")
        return ()
    found = []
    for i, entry in enumerate(raw):
        here = (*where, str(i))
        if not isinstance(entry, dict) or not {"label", "low", "high"} <= set(entry):
            problems.add(here, None, "needs label, low, high (pounds per QALY) and a source")
            continue
        low, high = entry["low"], entry["high"]
        if not (is_number(low) and is_number(high) and 0 <= low <= high):
            problems.add(here, None, f"low {low!r} and high {high!r}: need 0 <= low <= high")
            continue
        source, illustrative, note = provenance(entry, here, problems, structured_source, SOURCE_FORM)
        found.append(Threshold(str(entry["label"]), float(low), float(high), source, illustrative, note))
    return tuple(found)
