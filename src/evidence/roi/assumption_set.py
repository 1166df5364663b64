"""The validated form of an ROI assumption set (read by :mod:`evidence.roi.assumptions`):
its parameters (:class:`ModelInput`, a :class:`~evidence.sourced.SourcedValue` with a kind and
a price year), avoided-cost streams, thresholds, overrides and scenarios, and what the analysis
does with them (base case, draws, one-way ranges, report values replacing the set's)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from evidence.errors import ConfigError
from evidence.roi.model import DiscountSchedule, ModelSettings
from evidence.sourced import (
    FIXED,
    Distribution,
    Source,
    SourcedValue,
    central_values,
    draw_values,
    number_text,
)

#: Valid values of each kind of parameter: low, high, whether high is exclusive.
KIND_BOUNDS: dict[str, tuple[float, float, bool]] = {
    "cost": (0.0, math.inf, False),
    "quantity": (0.0, math.inf, False),
    "multiplier": (0.0, math.inf, False),
    "positive": (math.ulp(0.0), math.inf, False),
    "probability": (0.0, 1.0, False),
    "rate": (0.0, 1.0, True),
    "utility": (-1.0, 1.0, False),
    "effect": (-math.inf, math.inf, False),
}
KIND_RULES = {
    "cost": "a cost must not be negative",
    "quantity": "a quantity must not be negative",
    "multiplier": "a multiplier must not be negative",
    "positive": "the value must be greater than 0",
    "probability": "a probability or proportion must lie in [0, 1]",
    "rate": "a discount rate must lie in [0, 1)",
    "utility": "a utility value must lie in [-1, 1]",
    "effect": "an effect must be a finite number",
}
#: Price year of a scenario's cost whose source states none (used as published, not inflated).
UNSTATED = "not stated"


def within(kind: str, value: float) -> bool:
    """Whether ``value`` is a valid value of a parameter of ``kind`` (finite, in its bounds)."""
    low, high, exclusive = KIND_BOUNDS[kind]
    if not math.isfinite(value):
        return False
    return low <= value and (value < high if exclusive else value <= high)


@dataclass(frozen=True, kw_only=True)
class ModelInput(SourcedValue):
    """One model input: a sourced value (its ``citation`` is ``source.cite()``) of a ``kind``
    (:data:`KIND_BOUNDS`), with a price year when it is money. ``origin`` says where its value
    came from: ``assumption set`` (the YAML file), ``records`` (the processed activity and
    outcome data) or ``report parameter`` (a notebook parameter that replaced the assumption
    set's value)."""

    value: float
    name: str
    label: str
    kind: str
    price_year: str | None
    source: Source | None
    distribution: Distribution = FIXED
    range: tuple[float, float] | None = None
    origin: str = "assumption set"
    #: the value as its source gives it, in ``original_price_year`` prices (a cost moved to the
    #: set's price year keeps both; None for a value that is not money)
    original_value: float | None = None
    original_price_year: str | None = None
    price_index: str = ""

    @property
    def illustrative_spread(self) -> bool:
        """Whether the value is varied with a spread that has no source."""
        return self.distribution.kind != "fixed" and (self.illustrative or not self.distribution.source)

    def describe_price_year(self) -> str:
        """The value's price year and, when it was moved, from what and how."""
        if self.price_year is None:
            return ""
        if self.original_price_year == UNSTATED:
            return f"{UNSTATED} (used as published, not inflated)"
        if self.original_price_year in (None, self.price_year):
            return self.price_year
        return (
            f"{self.price_year}, from {number_text(self.original_value)} in {self.original_price_year} prices "
            f"({self.price_index})"
        )

    def one_way_range(self, level: float = 0.95) -> tuple[float, float] | None:
        """The range for one-way sensitivity analysis: the explicit ``range`` if given, else
        the central ``level`` interval of the distribution; None for a fixed value with no
        range."""
        if self.range is not None:
            return self.range
        if self.distribution.kind == "fixed":
            return None
        low, high = self.distribution.quantile(self.value, [(1 - level) / 2, (1 + level) / 2])
        return float(low), float(high)

    def describe_source(self) -> str:
        if self.origin == "records":
            return f"From the service's records: {self.note}"
        if self.origin == "report parameter":
            return f"Set by the report producer. {self.note}".strip()
        if self.illustrative:
            text = f"ILLUSTRATIVE: {self.note}" if self.note else "ILLUSTRATIVE"
        else:
            text = self.citation
            text = f"{text}. {self.note}" if self.note else text
        spread = self.distribution.describe_spread()
        if spread and not self.illustrative:
            text = f"{text} Distribution: {spread}."
        return text


@dataclass(frozen=True)
class Stream:
    """An avoided-cost stream: its label, whose budget it falls to, and what it means."""

    name: str
    label: str
    perspective: str
    description: str


@dataclass(frozen=True)
class Threshold:
    """A range of cost-effectiveness thresholds (pounds per QALY) with its source."""

    label: str
    low: float
    high: float
    source: Source | None
    illustrative: bool
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    """A labelled scenario: whole parameter entries that replace the base case's, reported
    beside the base case and never in it (e.g. a figure whose price year is not stated)."""

    name: str
    label: str
    description: str
    parameters: dict[str, ModelInput]


@dataclass(frozen=True)
class AssumptionSet:
    """A validated assumption set (see the module docstring)."""

    name: str
    path: str
    title: str
    description: str
    price_year: str
    comparator: str
    comparator_description: str
    horizon_years: int
    discount_first_year: bool
    instrument: str
    scale: str
    icer_perspective: tuple[str, ...]
    standard_schedule: DiscountSchedule
    health_schedule: DiscountSchedule
    schedule_source: Source | None
    thresholds: tuple[Threshold, ...]
    parameters: dict[str, ModelInput]
    streams: dict[str, Stream]
    overrides: dict[str, dict[str, ModelInput]] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)

    def settings(self, horizon_years: int | None = None, higher_is_better: bool = True) -> ModelSettings:
        """The model structure for this set (optionally another horizon)."""
        names = tuple(self.streams)
        if horizon_years is not None and horizon_years < 1:
            raise ConfigError(f"horizon: {horizon_years} years; the horizon must be at least 1 year")
        return ModelSettings(
            horizon_years=int(horizon_years or self.horizon_years),
            streams=names,
            perspective_streams=tuple(s for s in names if self.streams[s].perspective in self.icer_perspective),
            discount_first_year=self.discount_first_year,
            standard_schedule=self.standard_schedule,
            health_schedule=self.health_schedule,
            higher_is_better=higher_is_better,
        )

    def with_scenario(self, name: str) -> AssumptionSet:
        """This set with scenario ``name``'s entries replacing the base case's."""
        if name not in self.scenarios:
            raise ConfigError(f"{self.path}: no scenario {name!r} (scenarios: {', '.join(self.scenarios) or 'none'})")
        return self.with_parameters(self.scenarios[name].parameters.values())

    def for_intervention(self, intervention: str) -> AssumptionSet:
        """This set with the overrides for ``intervention`` (a tier or service) applied."""
        return self.with_parameters(self.overrides.get(intervention, {}).values())

    def with_parameters(self, parameters: Iterable[ModelInput]) -> AssumptionSet:
        """A copy with these parameters replacing those of the same name."""
        updated = dict(self.parameters)
        for parameter in parameters:
            if parameter.name not in updated:
                raise ConfigError(f"{self.path}: no parameter {parameter.name!r} to replace")
            updated[parameter.name] = parameter
        return replace(self, parameters=updated)

    def with_values(self, values: dict[str, float], reason: str) -> AssumptionSet:
        """A copy in which ``values`` replace parameter values (keeping each distribution's
        spread); those that differ from the set's are marked as set by the report."""
        changed = []
        for name, value in values.items():
            old = self.parameters[name]
            if math.isclose(float(value), old.value, rel_tol=0, abs_tol=1e-12):
                continue
            if not within(old.kind, float(value)):
                raise ConfigError(f"{reason}: {name}: value {float(value)!r}: {KIND_RULES[old.kind]}")
            note = f"{reason}; the assumption set has {number_text(old.value)} ({old.describe_source()})"
            spread = old.range
            if spread is not None and not spread[0] <= value <= spread[1]:
                spread = (min(spread[0], value), max(spread[1], value))
            changed.append(replace(old, value=float(value), origin="report parameter", note=note, range=spread))
        return self.with_parameters(changed)

    def values(self) -> dict[str, np.ndarray]:
        """The base case: each parameter's value as a length-1 array."""
        return central_values(self.parameters)

    def draw(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``n`` independent draws of every parameter from its distribution, in the set's order
        (so a seed reproduces them exactly)."""
        return draw_values(self.parameters, n, rng)

    def illustrative_count(self) -> tuple[int, int]:
        """(illustrative parameters, parameters from the assumption set)."""
        own = [p for p in self.parameters.values() if p.origin == "assumption set"]
        return sum(p.illustrative for p in own), len(own)

    def illustrative_spread_count(self) -> int:
        """Sourced parameters from the set whose probabilistic spread is illustrative."""
        return sum(
            p.origin == "assumption set" and not p.illustrative and p.illustrative_spread
            for p in self.parameters.values()
        )
