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
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from evidence.errors import ConfigError, EvidenceError, bulleted
from evidence.files import read_yaml_mapping
from evidence.paths import display_path, resolve
from evidence.published import NHS_COST_INFLATION_INDEX, PriceIndex, financial_year, price_index
from evidence.roi.model import (
    PARAMETERS,
    STREAM_PARAMETERS,
    DiscountSchedule,
    ModelSettings,
    ParameterSpec,
    stream_parameter,
)

ROI_CONFIG_FOLDER = Path("config/roi")
DEFAULT_ASSUMPTIONS = ROI_CONFIG_FOLDER / "children_ot_waiting_list.yml"

#: Valid values of each kind of parameter (inclusive bounds) and the distributions allowed.
KIND_BOUNDS: dict[str, tuple[float, float, bool]] = {  # low, high, high is exclusive
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
SOURCE_FIELDS = ("title", "publisher", "year", "table")
TOP_LEVEL = {"title", "description", "price_year", "price_index", "currency", "comparator", "settings",
             "parameters", "streams", "overrides", "scenarios", "extends"}
SCENARIO_KEYS = {"label", "description", "parameters"}
#: Price year of a scenario's cost whose source states none (used as published, not inflated).
UNSTATED = "not stated"
SETTINGS_KEYS = {"horizon_years", "discount_first_year", "outcome", "icer_perspective", "declining_discount",
                 "thresholds"}
STREAM_KEYS = {"label", "perspective", "description", "parameters"}


@dataclass(frozen=True)
class Source:
    """A published source: title, publisher, year and the table or section the value is in."""

    title: str
    publisher: str
    year: int
    table: str

    def cite(self) -> str:
        return f"{self.publisher} ({self.year}), {self.title}, {self.table}"


@dataclass(frozen=True)
class Distribution:
    """A distribution for probabilistic sensitivity analysis around a parameter's value
    (its mean, or the mode for ``triangular``)."""

    kind: str  # fixed, beta, gamma, lognormal, normal, uniform, triangular
    se: float | None = None
    low: float | None = None
    high: float | None = None
    #: where the spread comes from: a citation, or None when it is illustrative
    source: str | None = None
    note: str = ""

    def _frozen(self, value: float):
        """The scipy.stats distribution with mean ``value`` and standard error ``se``."""
        if self.kind == "beta":
            common = value * (1 - value) / self.se**2 - 1
            return scipy_stats.beta(value * common, (1 - value) * common)
        if self.kind == "gamma":
            return scipy_stats.gamma((value / self.se) ** 2, scale=self.se**2 / value)
        if self.kind == "lognormal":
            sigma2 = math.log1p((self.se / value) ** 2)
            return scipy_stats.lognorm(math.sqrt(sigma2), scale=math.exp(math.log(value) - sigma2 / 2))
        if self.kind == "normal":
            return scipy_stats.norm(value, self.se)
        if self.kind == "uniform":
            return scipy_stats.uniform(self.low, self.high - self.low)
        if self.kind == "triangular":
            width = self.high - self.low
            return scipy_stats.triang((value - self.low) / width if width else 0.5, loc=self.low, scale=width)
        raise ValueError(f"no frozen distribution for {self.kind}")

    def draw(self, value: float, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws from ``rng`` (numpy's own samplers, one vectorised call)."""
        if self.kind == "fixed":
            return np.full(n, float(value))
        if self.kind == "beta":
            common = value * (1 - value) / self.se**2 - 1
            return rng.beta(value * common, (1 - value) * common, n)
        if self.kind == "gamma":
            return rng.gamma((value / self.se) ** 2, self.se**2 / value, n)
        if self.kind == "lognormal":
            sigma2 = math.log1p((self.se / value) ** 2)
            return rng.lognormal(math.log(value) - sigma2 / 2, math.sqrt(sigma2), n)
        if self.kind == "normal":
            return rng.normal(value, self.se, n)
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, n)
        if self.low == self.high:
            return np.full(n, float(value))
        return rng.triangular(self.low, value, self.high, n)

    def quantile(self, value: float, q) -> np.ndarray:
        """Quantiles ``q`` of the distribution (the value itself for ``fixed``)."""
        q = np.asarray(q, dtype=float)
        if self.kind == "fixed" or (self.kind == "triangular" and self.low == self.high):
            return np.full(q.shape, float(value))
        return self._frozen(value).ppf(q)

    def describe(self) -> str:
        if self.kind == "fixed":
            return "fixed"
        if self.kind in ("uniform", "triangular"):
            return f"{self.kind} ({_number(self.low)} to {_number(self.high)})"
        return f"{self.kind} (SE {_number(self.se)})"

    def describe_spread(self) -> str:
        """Where the spread comes from, for a value that is varied."""
        if self.kind == "fixed":
            return ""
        if self.source:
            return f"spread from {self.source}" + (f" ({self.note})" if self.note else "")
        return "ILLUSTRATIVE spread" + (f": {self.note}" if self.note else "")


def _number(x: float | None) -> str:
    if x is None:
        return ""
    if x == 0 or 0.01 <= abs(x) < 1e6:
        return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"
    return f"{x:.3g}"


@dataclass(frozen=True)
class Parameter:
    """One model input. ``origin`` says where its value came from: ``assumption set`` (the
    YAML file), ``records`` (the processed activity and outcome data) or ``report parameter``
    (a notebook parameter that replaced the assumption set's value)."""

    name: str
    label: str
    kind: str
    value: float
    unit: str
    price_year: str | None
    distribution: Distribution
    source: Source | None
    illustrative: bool
    note: str = ""
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
        return (f"{self.price_year}, from {_number(self.original_value)} in {self.original_price_year} prices "
                f"({self.price_index})")

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
            text = self.source.cite() if self.source else ""
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
    parameters: dict[str, Parameter]


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
    parameters: dict[str, Parameter]
    streams: dict[str, Stream]
    overrides: dict[str, dict[str, Parameter]] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)

    def settings(self, horizon_years: int | None = None, higher_is_better: bool = True) -> ModelSettings:
        """The model structure for this set (optionally another horizon)."""
        names = tuple(self.streams)
        if horizon_years is not None and horizon_years < 1:
            raise ConfigError(f"horizon: {horizon_years} years; the horizon must be at least 1 year")
        return ModelSettings(
            horizon_years=int(horizon_years or self.horizon_years), streams=names,
            perspective_streams=tuple(s for s in names if self.streams[s].perspective in self.icer_perspective),
            discount_first_year=self.discount_first_year, standard_schedule=self.standard_schedule,
            health_schedule=self.health_schedule, higher_is_better=higher_is_better)

    def with_scenario(self, name: str) -> AssumptionSet:
        """This set with scenario ``name``'s entries replacing the base case's."""
        if name not in self.scenarios:
            raise ConfigError(f"{self.path}: no scenario {name!r} (scenarios: {', '.join(self.scenarios) or 'none'})")
        return self.with_parameters(self.scenarios[name].parameters.values())

    def for_intervention(self, intervention: str) -> AssumptionSet:
        """This set with the overrides for ``intervention`` (a tier or service) applied."""
        return self.with_parameters(self.overrides.get(intervention, {}).values())

    def with_parameters(self, parameters: Iterable[Parameter]) -> AssumptionSet:
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
            _check_kind(old.kind, float(value), f"{reason}: {name}")
            note = f"{reason}; the assumption set has {_number(old.value)} ({old.describe_source()})"
            spread = old.range
            if spread is not None and not spread[0] <= value <= spread[1]:
                spread = (min(spread[0], value), max(spread[1], value))
            changed.append(replace(old, value=float(value), origin="report parameter", note=note, range=spread))
        return self.with_parameters(changed)

    def values(self) -> dict[str, np.ndarray]:
        """The base case: each parameter's value as a length-1 array."""
        return {name: np.array([p.value]) for name, p in self.parameters.items()}

    def draw(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``n`` independent draws of every parameter from its distribution, in the set's order
        (so a seed reproduces them exactly)."""
        if n < 1:
            raise ConfigError(f"draws: {n}; the number of simulations must be at least 1 (10,000 or more for a "
                              "published report)")
        return {name: p.distribution.draw(p.value, n, rng) for name, p in self.parameters.items()}

    def illustrative_count(self) -> tuple[int, int]:
        """(illustrative parameters, parameters from the assumption set)."""
        own = [p for p in self.parameters.values() if p.origin == "assumption set"]
        return sum(p.illustrative for p in own), len(own)

    def illustrative_spread_count(self) -> int:
        """Sourced parameters from the set whose probabilistic spread is illustrative."""
        return sum(p.origin == "assumption set" and not p.illustrative and p.illustrative_spread
                   for p in self.parameters.values())


# --- loading and validation ----------------------------------------------------------------------


def load_assumptions(path: str | Path = DEFAULT_ASSUMPTIONS) -> AssumptionSet:
    """Read and validate an assumption set; every problem found is listed in one
    :class:`~evidence.errors.ConfigError` naming the file, the entry, the value and the rule."""
    resolved = resolve(path)
    raw = _read_with_parents(resolved, [])
    where = display_path(resolved)
    problems: list[str] = []
    result = _validate(raw, where, resolved.stem, problems)
    if problems:
        raise ConfigError(f"{where}: {len(problems)} problem(s) in the assumption set:\n{bulleted(problems, 40)}\n"
                          "Fix these entries (see config/roi/README.md for the format) and run again.")
    return result


def available_assumption_sets(folder: str | Path = ROI_CONFIG_FOLDER) -> list[str]:
    return sorted(p.stem for p in resolve(folder).glob("*.yml"))


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        known = ", ".join(available_assumption_sets(path.parent)) if path.parent.is_dir() else "none"
        raise ConfigError(f"{display_path(path)}: no such assumption set (available in {display_path(path.parent)}: "
                          f"{known})")
    return read_yaml_mapping(path, TOP_LEVEL)


def _read_with_parents(path: Path, seen: list[Path]) -> dict[str, Any]:
    if path in seen:
        raise ConfigError(f"{display_path(path)}: 'extends' goes round in a circle: "
                          + " -> ".join(display_path(p) for p in [*seen, path]))
    data = _read_yaml(path)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data
    parent = _read_with_parents(path.parent / str(parent_name), [*seen, path])
    merged_keys = ("settings", "parameters", "streams", "overrides", "scenarios", "comparator")
    merged = {**parent, **{k: v for k, v in data.items() if k not in merged_keys}}
    for key in merged_keys:
        if key in data or key in parent:
            if data.get(key) is not None and not isinstance(data.get(key), dict):
                raise ConfigError(f"{display_path(path)}: {key} must be a mapping")
            merged[key] = {**(parent.get(key) or {}), **(data.get(key) or {})}
    return merged


def _check_kind(kind: str, value: float, where: str) -> None:
    if not _within(kind, value):
        raise ConfigError(f"{where}: value {value!r}: {KIND_RULES[kind]}")


def _within(kind: str, value: float) -> bool:
    low, high, exclusive = KIND_BOUNDS[kind]
    if not math.isfinite(value):
        return False
    return low <= value and (value < high if exclusive else value <= high)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _source(raw: Any, where: str, problems: list[str]) -> Source | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}.source: give a mapping with {', '.join(SOURCE_FIELDS)}, or set illustrative: true")
        return None
    missing = [f for f in SOURCE_FIELDS if f not in raw or raw[f] in (None, "")]
    if missing:
        problems.append(f"{where}.source: missing {', '.join(missing)} (a source needs {', '.join(SOURCE_FIELDS)})")
        return None
    if not isinstance(raw["year"], int) or isinstance(raw["year"], bool):
        problems.append(f"{where}.source.year: value {raw['year']!r}: the year must be a whole number")
        return None
    return Source(str(raw["title"]), str(raw["publisher"]), int(raw["year"]), str(raw["table"]))


def _provenance(raw: dict, where: str, problems: list[str]) -> tuple[Source | None, bool, str]:
    """(source, illustrative, note) of an entry: a source, or illustrative with a note."""
    illustrative = raw.get("illustrative", False)
    note = str(raw.get("note") or "")
    if not isinstance(illustrative, bool):
        problems.append(f"{where}.illustrative: value {illustrative!r}: must be true or false")
        return None, True, note
    if illustrative:
        if not note:
            problems.append(f"{where}: an illustrative value needs a note saying what published figure "
                            "should replace it")
        return (_source(raw["source"], where, problems) if raw.get("source") else None), True, note
    if "source" not in raw:
        problems.append(f"{where}: missing field 'source' (title, publisher, year, table); a value with no "
                        "source must be flagged illustrative: true")
        return None, False, note
    return _source(raw["source"], where, problems), False, note


SPREAD_FIELDS = {"source", "illustrative", "note"}


def _spread_provenance(raw: dict, where: str, sourced_value: bool, problems: list[str]) -> tuple[str | None, str]:
    """(source of the spread or None, note) of a non-fixed distribution. A sourced value's
    spread must say which it is; an illustrative value's spread is illustrative anyway."""
    source, illustrative, note = raw.get("source"), raw.get("illustrative"), str(raw.get("note") or "")
    if illustrative not in (None, True, False):
        problems.append(f"{where}.illustrative: value {illustrative!r}: must be true or false")
    if source not in (None, "") and not isinstance(source, str):
        problems.append(f"{where}.source: value {source!r}: cite the publication and table the spread comes from")
        source = None
    if source and illustrative:
        problems.append(f"{where}: give either source (the spread is published) or illustrative: true, not both")
    elif sourced_value and not source and illustrative is not True:
        problems.append(f"{where}: the value is sourced; say where its spread comes from (source: ...) or mark "
                        "the spread illustrative: true with a note saying what should replace it")
    elif illustrative and not note:
        problems.append(f"{where}: an illustrative spread needs a note saying what should replace it")
    return (source or None), note


def _distribution(raw: Any, kind: str, value: float, where: str, problems: list[str],
                  sourced_value: bool = False) -> Distribution | None:
    where = f"{where}.distribution"
    if not isinstance(raw, dict) or "type" not in raw:
        problems.append(f"{where}: give a mapping with a type ({', '.join(ALLOWED_DISTRIBUTIONS[kind])})")
        return None
    provenance = {k: raw[k] for k in SPREAD_FIELDS if k in raw}
    raw = {k: v for k, v in raw.items() if k not in SPREAD_FIELDS}
    name = raw["type"]
    if name not in ALLOWED_DISTRIBUTIONS[kind]:
        problems.append(f"{where}.type: value {name!r}: a {kind} parameter takes one of "
                        f"{', '.join(ALLOWED_DISTRIBUTIONS[kind])}")
        return None
    allowed = {"fixed": {"type"}, "uniform": {"type", "low", "high"}, "triangular": {"type", "low", "high"}}
    expected = allowed.get(name, {"type", "se"})
    extra, missing = set(raw) - expected, expected - set(raw)
    if extra or missing:
        problems.append(f"{where}: a {name} distribution takes {', '.join(sorted(expected - {'type'})) or 'no other fields'}"
                        + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                        + (f"; unknown {', '.join(sorted(extra))}" if extra else ""))
        return None
    if not all(_is_number(raw[k]) for k in expected - {"type"}):
        problems.append(f"{where}: {', '.join(sorted(expected - {'type'}))} must be numbers")
        return None
    if name in ("uniform", "triangular"):
        low, high = float(raw["low"]), float(raw["high"])
        if not low <= value <= high:
            problems.append(f"{where}: low {low:g} and high {high:g} must bracket the value {value:g}")
            return None
        for bound in (low, high):
            if not _within(kind, bound):
                problems.append(f"{where}: bound {bound!r}: {KIND_RULES[kind]}")
                return None
    if name == "fixed":
        if provenance:
            problems.append(f"{where}: a fixed value has no spread; remove {', '.join(sorted(provenance))}")
            return None
        return Distribution("fixed")
    spread_source, spread_note = _spread_provenance(provenance, where, sourced_value, problems)
    se = None if name in ("uniform", "triangular") else float(raw["se"])
    if name in ("uniform", "triangular"):
        low, high = float(raw["low"]), float(raw["high"])
        return Distribution(name, low=low, high=high, source=spread_source, note=spread_note)
    if not se > 0:
        problems.append(f"{where}.se: value {se!r}: the standard error must be positive (use type: fixed for none)")
        return None
    if name == "beta" and not (0 < value < 1 and se**2 < value * (1 - value)):
        problems.append(f"{where}: a beta distribution needs 0 < value < 1 and SE^2 < value x (1 - value); "
                        f"value {value:g}, SE {se:g}")
        return None
    if name in ("gamma", "lognormal") and not value > 0:
        problems.append(f"{where}: a {name} distribution needs a positive value, got {value:g} (use type: fixed)")
        return None
    return Distribution(name, se=se, source=spread_source, note=spread_note)


def _price_year(raw_year: Any, spec: ParameterSpec, where: str, price_year: str, index: PriceIndex,
                scenario: bool, problems: list[str]) -> tuple[str | None, float, str]:
    """(the value's own price year, the factor to the set's price year, the index used)."""
    if spec.kind != "cost":
        if raw_year is not None:
            problems.append(f"{where}.price_year: value {raw_year!r}: only a cost has a price year; use null")
        return None, 1.0, ""
    if raw_year == UNSTATED and scenario:
        return UNSTATED, 1.0, ""
    if raw_year is None or raw_year == UNSTATED:
        problems.append(f"{where}.price_year: value {raw_year!r}: a cost in the base case needs the financial year "
                        f"its source prices it in (e.g. 2023/24); a figure with no stated price year may only be "
                        f"used in a labelled scenario (price_year: {UNSTATED})")
        return None, 1.0, ""
    try:
        year = financial_year(raw_year)
    except ValueError as error:
        problems.append(f"{where}.price_year: {error}")
        return None, 1.0, ""
    try:
        return year, index.factor(year, price_year), index.describe(year, price_year)
    except EvidenceError as error:
        problems.append(f"{where}.price_year: value {year}: cannot inflate it to the set's price year "
                        f"{price_year}: {error}")
        return None, 1.0, ""


def _parameter(name: str, spec: ParameterSpec, raw: Any, where: str, price_year: str, index: PriceIndex,
               problems: list[str], scenario: bool = False) -> Parameter | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: give a mapping with {', '.join(REQUIRED_FIELDS)} and a source")
        return None
    before = len(problems)
    unknown = set(raw) - PARAMETER_FIELDS
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(PARAMETER_FIELDS))}")
    missing = [f for f in REQUIRED_FIELDS if f not in raw]
    if missing:
        problems.append(f"{where}: missing field(s) {', '.join(missing)}")
        return None
    value = raw["value"]
    if not _is_number(value):
        problems.append(f"{where}.value: value {value!r}: must be a number")
        return None
    value = float(value)
    valid_value = _within(spec.kind, value)
    if not valid_value:
        problems.append(f"{where}.value: value {value:g}: {KIND_RULES[spec.kind]}")
    unit = str(raw["unit"] or "")
    if spec.kind == "cost" and not unit.startswith("GBP"):
        problems.append(f"{where}.unit: value {unit!r}: a cost's unit starts with GBP (e.g. {spec.unit!r})")
    year, factor, index_used = _price_year(raw["price_year"], spec, where, price_year, index, scenario, problems)
    source, illustrative, note = _provenance(raw, where, problems)
    # a distribution around an invalid value would only repeat the problem
    distribution = (_distribution(raw["distribution"], spec.kind, value, where, problems, not illustrative)
                    if valid_value else None)
    spread = None
    if "range" in raw and valid_value:
        r = raw["range"]
        if not (isinstance(r, list) and len(r) == 2 and all(_is_number(x) for x in r)):
            problems.append(f"{where}.range: value {r!r}: give [low, high]")
        elif not (r[0] <= value <= r[1] and _within(spec.kind, r[0]) and _within(spec.kind, r[1])):
            problems.append(f"{where}.range: value {r!r}: must bracket the value {value:g}, and {KIND_RULES[spec.kind]}")
        else:
            spread = (float(r[0]), float(r[1]))
    if len(problems) > before or distribution is None:
        return None
    original = value if year is not None else None
    if factor != 1.0:  # the value, its spread and its range all move to the set's price year
        value = value * factor
        distribution = replace(distribution, **{k: getattr(distribution, k) * factor for k in ("se", "low", "high")
                                                if getattr(distribution, k) is not None})
        spread = None if spread is None else (spread[0] * factor, spread[1] * factor)
    used_year = None if year is None else (year if year == UNSTATED else price_year)
    return Parameter(name, str(raw.get("label") or spec.label), spec.kind, value, unit, used_year, distribution,
                     source, illustrative, note, spread, original_value=original, original_price_year=year,
                     price_index=index_used)


def _specs(streams: dict[str, Stream]) -> dict[str, ParameterSpec]:
    """Every parameter the model needs for these streams; a stream parameter's label names
    its stream."""
    specs = dict(PARAMETERS)
    for stream in streams.values():
        for name, spec in STREAM_PARAMETERS.items():
            specs[stream_parameter(stream.name, name)] = replace(spec, label=f"{stream.label}: {spec.label}")
    return specs


def _validate(raw: dict[str, Any], where: str, name: str, problems: list[str]) -> AssumptionSet | None:
    unknown = set(raw) - TOP_LEVEL
    if unknown:
        problems.append(f"unknown top-level key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(TOP_LEVEL))}")
    for key in ("title", "price_year", "comparator", "settings", "parameters", "streams"):
        if key not in raw:
            problems.append(f"missing top-level key {key!r}")
    if problems:
        return None
    try:
        price_year = financial_year(raw["price_year"])
    except ValueError as error:
        problems.append(f"price_year: {error}")
        return None
    index_entry = raw.get("price_index") or {}
    if not isinstance(index_entry, dict) or set(index_entry) - {"table", "column"}:
        problems.append("price_index: a mapping with table (a file in data/raw/published) and column "
                        "(pay_and_prices, pay or prices)")
        return None
    try:
        index = price_index(str(index_entry.get("table", NHS_COST_INFLATION_INDEX)),
                            str(index_entry.get("column", "pay_and_prices")))
    except (EvidenceError, FileNotFoundError) as error:
        problems.append(f"price_index: {error}")
        return None
    if raw.get("currency", "GBP") != "GBP":
        problems.append(f"currency: value {raw['currency']!r}: the model works in GBP")
    comparator = raw["comparator"] if isinstance(raw["comparator"], dict) else {}
    if not comparator.get("name"):
        problems.append("comparator: give a name (e.g. Waiting list, Usual care) and a description")

    settings = raw["settings"] if isinstance(raw["settings"], dict) else {}
    unknown = set(settings) - SETTINGS_KEYS
    missing = SETTINGS_KEYS - set(settings)
    if unknown or missing:
        problems.append(f"settings: unknown {sorted(unknown)}, missing {sorted(missing)}")
        return None
    horizon = settings["horizon_years"]
    if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon < 1:
        problems.append(f"settings.horizon_years: value {horizon!r}: a whole number of years, at least 1")
    if not isinstance(settings["discount_first_year"], bool):
        problems.append("settings.discount_first_year: true (year 1 discounted, as the SROI guide does) or false")
    outcome = settings["outcome"] if isinstance(settings["outcome"], dict) else {}
    if not outcome.get("instrument") or not outcome.get("scale"):
        problems.append("settings.outcome: give the instrument and scale the utility mapping applies to")
    perspective = settings["icer_perspective"]
    if not isinstance(perspective, list) or not all(isinstance(p, str) for p in perspective):
        problems.append("settings.icer_perspective: a list of stream perspectives (e.g. [NHS])")
        perspective = []
    standard, health, schedule_source = _schedules(settings["declining_discount"], problems)
    thresholds = _thresholds(settings["thresholds"], problems)

    streams: dict[str, Stream] = {}
    raw_streams = raw["streams"] if isinstance(raw["streams"], dict) else {}
    if not raw_streams:
        problems.append("streams: give at least one avoided-cost stream")
    for stream, entry in raw_streams.items():
        if not isinstance(entry, dict) or set(entry) - STREAM_KEYS or not {"label", "perspective", "parameters"} <= set(entry):
            problems.append(f"streams.{stream}: needs label, perspective, parameters (optional: description)")
            continue
        streams[stream] = Stream(stream, str(entry["label"]), str(entry["perspective"]),
                                 str(entry.get("description") or ""))
    specs = _specs(streams)

    flat: dict[str, Any] = dict(raw["parameters"] or {}) if isinstance(raw["parameters"], dict) else {}
    for stream in streams:
        entries = raw_streams[stream]["parameters"]
        if not isinstance(entries, dict):
            problems.append(f"streams.{stream}.parameters: a mapping of {', '.join(STREAM_PARAMETERS)}")
            continue
        for key, entry in entries.items():
            flat[stream_parameter(stream, key)] = entry
    unknown = [k for k in flat if k not in specs]
    if unknown:
        problems.append(f"unknown parameter(s) {', '.join(unknown)}; the model's parameters are "
                        f"{', '.join(PARAMETERS)} and, per stream, {', '.join(STREAM_PARAMETERS)}")
    missing = [k for k in specs if k not in flat]
    if missing:
        problems.append(f"missing parameter(s): {', '.join(missing)}")
    parameters: dict[str, Parameter] = {}
    for key, spec in specs.items():
        if key in flat:
            parameter = _parameter(key, spec, flat[key], _where(key), price_year, index, problems)
            if parameter is not None:
                parameters[key] = parameter

    overrides: dict[str, dict[str, Parameter]] = {}
    for intervention, entries in (raw.get("overrides") or {}).items():
        if not isinstance(entries, dict):
            problems.append(f"overrides.{intervention}: a mapping of parameter name to a full parameter entry")
            continue
        overrides[str(intervention)] = {}
        for key, entry in entries.items():
            if key not in specs:
                problems.append(f"overrides.{intervention}: unknown parameter {key!r}")
                continue
            parameter = _parameter(key, specs[key], entry, f"overrides.{intervention}.{key}", price_year, index,
                                   problems)
            if parameter is not None:
                overrides[str(intervention)][key] = parameter
    scenarios: dict[str, Scenario] = {}
    for scenario, entry in (raw.get("scenarios") or {}).items():
        here = f"scenarios.{scenario}"
        if (not isinstance(entry, dict) or set(entry) - SCENARIO_KEYS or not {"label", "parameters"} <= set(entry)
                or not isinstance(entry["parameters"], dict) or not entry["parameters"]):
            problems.append(f"{here}: needs label, description and parameters (whole entries replacing the base "
                            "case's)")
            continue
        replaced = {}
        for key, item in entry["parameters"].items():
            if key not in specs:
                problems.append(f"{here}: unknown parameter {key!r}")
                continue
            parameter = _parameter(key, specs[key], item, f"{here}.{key}", price_year, index, problems, scenario=True)
            if parameter is not None:
                replaced[key] = parameter
        scenarios[str(scenario)] = Scenario(str(scenario), str(entry["label"]), str(entry.get("description") or ""),
                                            replaced)
    if problems:
        return None
    return AssumptionSet(
        name=name, path=where, title=str(raw["title"]), description=str(raw.get("description") or ""),
        price_year=price_year, comparator=str(comparator["name"]),
        comparator_description=str(comparator.get("description") or ""), horizon_years=horizon,
        discount_first_year=settings["discount_first_year"], instrument=str(outcome["instrument"]),
        scale=str(outcome["scale"]), icer_perspective=tuple(perspective), standard_schedule=standard,
        health_schedule=health, schedule_source=schedule_source, thresholds=thresholds,
        parameters=parameters, streams=streams, overrides=overrides, scenarios=scenarios)


def _where(key: str) -> str:
    if key.startswith("stream."):
        _, stream, name = key.split(".", 2)
        return f"streams.{stream}.parameters.{name}"
    return f"parameters.{key}"


def _schedules(raw: Any, problems: list[str]) -> tuple[DiscountSchedule, DiscountSchedule, Source | None]:
    where = "settings.declining_discount"
    constant = DiscountSchedule.constant()
    if not isinstance(raw, dict) or not {"starts", "standard", "health"} <= set(raw):
        problems.append(f"{where}: give starts (first year of each period), standard and health rates, and a source")
        return constant, constant, None
    source, _, _ = _provenance(raw, where, problems)
    starts, standard, health = raw["starts"], raw["standard"], raw["health"]
    try:
        if not (len(starts) == len(standard) == len(health)):
            raise ValueError("starts, standard and health must have the same length")
        if not all(_within("rate", float(r)) for r in [*standard, *health]):
            raise ValueError("every rate must lie in [0, 1)")
        return (DiscountSchedule.from_rates(starts, standard), DiscountSchedule.from_rates(starts, health), source)
    except (TypeError, ValueError) as error:
        problems.append(f"{where}: {error}")
        return constant, constant, source


def _thresholds(raw: Any, problems: list[str]) -> tuple[Threshold, ...]:
    where = "settings.thresholds"
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: a list of threshold ranges (label, low, high, source)")
        return ()
    found = []
    for i, entry in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(entry, dict) or not {"label", "low", "high"} <= set(entry):
            problems.append(f"{here}: needs label, low, high (pounds per QALY) and a source")
            continue
        low, high = entry["low"], entry["high"]
        if not (_is_number(low) and _is_number(high) and 0 <= low <= high):
            problems.append(f"{here}: low {low!r} and high {high!r}: need 0 <= low <= high")
            continue
        source, illustrative, note = _provenance(entry, here, problems)
        found.append(Threshold(str(entry["label"]), float(low), float(high), source, illustrative, note))
    return tuple(found)
