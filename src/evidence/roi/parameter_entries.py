"""The schema of one ROI parameter entry (``parameters``, a stream's ``parameters``, an
override or a scenario in ``config/roi/*.yml``): value within its kind's range, unit, price
year moved to the set's with the price index, source or ``illustrative`` flag, distribution
(with where its spread comes from) and an optional one-way ``range``. The format is described
in :mod:`evidence.roi.assumptions` and ``config/roi/README.md``."""

from __future__ import annotations

from typing import Any

from evidence.errors import EvidenceError
from evidence.published import PriceIndex, financial_year
from evidence.roi.assumption_set import KIND_RULES, UNSTATED, ModelInput, within
from evidence.roi.model import ParameterSpec
from evidence.sourced import (
    BOUNDED,
    FIXED,
    SOURCE_FIELDS,
    SPREAD_FIELDS,
    Distribution,
    KeyPath,
    Problems,
    check_keys,
    is_number,
    provenance,
    spread_provenance,
    structured_source,
)

#: The distributions allowed for each kind of parameter.
ALLOWED_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "cost": ("fixed", "gamma", "lognormal", "uniform", "triangular"),
    "quantity": ("fixed", "gamma", "lognormal", "uniform", "triangular"),
    "multiplier": ("fixed", "gamma", "lognormal", "uniform", "triangular"),
    "positive": ("fixed", "gamma", "lognormal", "uniform", "triangular"),
    "probability": ("fixed", "beta", "uniform", "triangular"),
    "rate": ("fixed", "beta", "uniform", "triangular"),
    "utility": ("fixed", "normal", "beta", "uniform", "triangular"),
    "effect": ("fixed", "normal", "uniform", "triangular"),
}
PARAMETER_FIELDS = {"value", "unit", "price_year", "distribution", "source", "illustrative", "note", "range", "label"}
REQUIRED_FIELDS = ("value", "unit", "price_year", "distribution")
SOURCE_FORM = ", ".join(SOURCE_FIELDS)


def distribution_entry(
    raw: Any, kind: str, value: float, where: KeyPath, problems: Problems, sourced_value: bool = False
) -> Distribution | None:
    """The ``distribution`` of the entry at ``where`` around ``value``: a ``type`` allowed for a
    parameter of ``kind`` with its ``se`` or ``low``/``high``, and (unless ``fixed``) where its
    spread comes from, which a ``sourced_value`` must say. None, with the problems recorded,
    if it is invalid."""
    where = (*where, "distribution")
    allowed = ALLOWED_DISTRIBUTIONS[kind]
    if not isinstance(raw, dict) or "type" not in raw:
        problems.add(where, None, f"give a mapping with a type ({', '.join(allowed)})")
        return None
    spread = {k: raw[k] for k in SPREAD_FIELDS if k in raw}
    raw = {k: v for k, v in raw.items() if k not in SPREAD_FIELDS}
    name = raw["type"]
    if name not in allowed:
        problems.add((*where, "type"), name, f"a {kind} parameter takes one of {', '.join(allowed)}")
        return None
    expected = {"type"} if name == "fixed" else {"type", "low", "high"} if name in BOUNDED else {"type", "se"}
    extra, missing = set(raw) - expected, expected - set(raw)
    if extra or missing:
        problems.add(
            where,
            None,
            f"a {name} distribution takes {', '.join(sorted(expected - {'type'})) or 'no other fields'}"
            + (f"; missing {', '.join(sorted(missing))}" if missing else "")
            + (f"; unknown {', '.join(sorted(extra))}" if extra else ""),
        )
        return None
    if not all(is_number(raw[k]) for k in expected - {"type"}):
        problems.add(where, None, f"{', '.join(sorted(expected - {'type'}))} must be numbers")
        return None
    if name == "fixed":
        if spread:
            problems.add(where, None, f"a fixed value has no spread; remove {', '.join(sorted(spread))}")
            return None
        return FIXED
    if name in BOUNDED:
        low, high = float(raw["low"]), float(raw["high"])
        if not low <= value <= high:
            problems.add(where, None, f"low {low:g} and high {high:g} must bracket the value {value:g}")
            return None
        for bound in ("low", "high"):
            if not within(kind, raw[bound]):
                problems.add((*where, bound), raw[bound], KIND_RULES[kind])
                return None
        source, note = spread_provenance(spread, where, sourced_value, problems)
        return Distribution(name, low=low, high=high, source=source, note=note)
    source, note = spread_provenance(spread, where, sourced_value, problems)
    se = float(raw["se"])
    if not se > 0:
        problems.add((*where, "se"), raw["se"], "the standard error must be positive (use type: fixed for none)")
        return None
    if name == "beta" and not (0 < value < 1 and se**2 < value * (1 - value)):
        problems.add(
            where,
            None,
            f"a beta distribution needs 0 < value < 1 and SE^2 < value x (1 - value); value {value:g}, SE {se:g}",
        )
        return None
    if name in ("gamma", "lognormal") and not value > 0:
        problems.add(where, None, f"a {name} distribution needs a positive value, got {value:g} (use type: fixed)")
        return None
    return Distribution(name, se=se, source=source, note=note)


def cost_price_year(
    raw_year: Any,
    spec: ParameterSpec,
    where: KeyPath,
    price_year: str,
    index: PriceIndex,
    scenario: bool,
    problems: Problems,
) -> tuple[str | None, float, str]:
    """(the value's own price year, the factor to the set's ``price_year`` by ``index``, the
    index used): only a cost has one, and a base-case cost must state it."""
    where = (*where, "price_year")
    if spec.kind != "cost":
        if raw_year is not None:
            problems.add(where, raw_year, "only a cost has a price year; use null")
        return None, 1.0, ""
    if raw_year == UNSTATED and scenario:
        return UNSTATED, 1.0, ""
    if raw_year is None or raw_year == UNSTATED:
        problems.add(
            where,
            raw_year,
            f"a cost in the base case needs the financial year its source prices it in "
            f"(e.g. 2023/24); a figure with no stated price year may only be used in a "
            f"labelled scenario (price_year: {UNSTATED})",
        )
        return None, 1.0, ""
    try:
        year = financial_year(raw_year)
    except ValueError as error:
        problems.add(where, None, str(error))
        return None, 1.0, ""
    try:
        return year, index.factor(year, price_year), index.describe(year, price_year)
    except EvidenceError as error:
        problems.add(where, year, f"cannot inflate it to the set's price year {price_year}: {error}")
        return None, 1.0, ""


def one_way_range(raw: Any, kind: str, value: float, where: KeyPath, problems: Problems) -> tuple[float, float] | None:
    """The explicit one-way range ``[low, high]`` of a value, if valid."""
    if not (isinstance(raw, list) and len(raw) == 2 and all(is_number(x) for x in raw)):
        problems.add((*where, "range"), raw, "give [low, high]")
    elif not (raw[0] <= value <= raw[1] and within(kind, raw[0]) and within(kind, raw[1])):
        problems.add((*where, "range"), raw, f"must bracket the value {value:g}, and {KIND_RULES[kind]}")
    else:
        return float(raw[0]), float(raw[1])
    return None


def parameter_entry(
    name: str,
    spec: ParameterSpec,
    raw: Any,
    where: KeyPath,
    price_year: str,
    index: PriceIndex,
    problems: Problems,
    scenario: bool = False,
) -> ModelInput | None:
    """The parameter ``name`` from its entry ``raw`` at ``where``, a cost moved to the set's
    ``price_year`` (its spread and range with it); None, with the problems recorded, if the
    entry is invalid. Only a ``scenario`` may hold a cost with no stated price year."""
    if not isinstance(raw, dict):
        problems.add(where, None, f"give a mapping with {', '.join(REQUIRED_FIELDS)} and a source")
        return None
    before = problems.count()
    if not check_keys(raw, where, PARAMETER_FIELDS, problems, REQUIRED_FIELDS):
        return None
    value = raw["value"]
    if not is_number(value):
        problems.add((*where, "value"), value, "must be a number")
        return None
    value = float(value)
    valid_value = within(spec.kind, value)
    if not valid_value:
        problems.add((*where, "value"), raw["value"], KIND_RULES[spec.kind])
    unit = str(raw["unit"] or "")
    if spec.kind == "cost" and not unit.startswith("GBP"):
        problems.add((*where, "unit"), unit, f"a cost's unit starts with GBP (e.g. {spec.unit!r})")
    year, factor, index_used = cost_price_year(raw["price_year"], spec, where, price_year, index, scenario, problems)
    source, illustrative, note = provenance(raw, where, problems, structured_source, SOURCE_FORM)
    # a distribution or range around an invalid value would only repeat the problem
    distribution = (
        distribution_entry(raw["distribution"], spec.kind, value, where, problems, not illustrative)
        if valid_value
        else None
    )
    spread = one_way_range(raw["range"], spec.kind, value, where, problems) if "range" in raw and valid_value else None
    if problems.count() > before or distribution is None:
        return None
    original = value if year is not None else None
    if factor != 1.0:  # the value, its spread and its range all move to the set's price year
        value, distribution = value * factor, distribution.scaled(factor)
        spread = None if spread is None else (spread[0] * factor, spread[1] * factor)
    used_year = None if year is None else (year if year == UNSTATED else price_year)
    return ModelInput(
        name=name,
        label=str(raw.get("label") or spec.label),
        kind=spec.kind,
        value=value,
        unit=unit,
        price_year=used_year,
        distribution=distribution,
        source=source,
        citation=source.cite() if source else "",
        illustrative=illustrative,
        note=note,
        range=spread,
        original_value=original,
        original_price_year=year,
        price_index=index_used,
    )


def replacements(
    entries: Any,
    where: KeyPath,
    specs: dict[str, ParameterSpec],
    price_year: str,
    index: PriceIndex,
    problems: Problems,
    scenario: bool = False,
) -> dict[str, ModelInput]:
    """Whole parameter entries replacing the base case's (an override or a scenario)."""
    if not isinstance(entries, dict):
        problems.add(where, None, "a mapping of parameter name to a full parameter entry")
        return {}
    found = {}
    for key, entry in entries.items():
        if key not in specs:
            problems.add(where, None, f"unknown parameter {key!r}")
            continue
        parameter = parameter_entry(key, specs[key], entry, (*where, key), price_year, index, problems, scenario)
        if parameter is not None:
            found[key] = parameter
    return found
