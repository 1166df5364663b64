"""The return-on-investment model: pure, vectorised over probabilistic draws.

Every parameter is a 1-D array with one value per draw (length 1 for the deterministic base
case, 2k for a one-way sensitivity analysis of k parameters, 10,000 or more for a
probabilistic sensitivity analysis); :func:`evaluate` runs the whole model on all draws at once,
with no Python loop over draws. All money is in pounds per child at the assumption set's price
year; the cohort totals are these times the number of children.

Structure (one child, intervention against a comparator such as a waiting list or usual care):

* **Costs** (incurred in year 0, so not discounted): staff hours by Agenda for Change band x
  cost per working hour built from PSSRU's own components (salary, on-costs, overheads and
  capital per year, over the working hours per year: :func:`hourly_cost`), plus training and
  equipment; the total is uplifted for optimism bias (HM Treasury Green Book supplementary guidance). The
  comparator's cost per child is subtracted to give the incremental cost.
* **Health benefit**: the difference in outcome change (intervention minus comparator, in scale
  points, signed so that positive is better) x utility per point gives the utility gain. Its
  area under the curve (Matthews et al. 1990, BMJ 300:230-235; Manca et al. 2005, Health Econ
  14:487-496) is a linear rise from zero at the start of care to the full gain at follow-up,
  held to the end of year 1, then falling by the annual drop-off; QALYs are discounted at the
  health rate and valued at the cost-effectiveness threshold (pounds per QALY).
* **Avoided costs** as named streams, social return on investment style (Cabinet Office /
  SROI Network 2012, "A guide to Social Return on Investment"): quantity x financial proxy,
  less deadweight, attribution and displacement, falling by the drop-off each year after the
  first, for the stream's duration; discounted at the standard rate.
* **Discounting** per HM Treasury Green Book: 3.5% a year (standard), 1.5% (health), both
  declining after year 30; the rates are parameters and the declining schedule is part of the
  assumption set. Whether year 1 is discounted is a documented setting (the SROI guide
  discounts year 1).

Outputs per draw: net present value, benefit-cost ratio, return on investment, cost per QALY,
ICER and net monetary benefit against the comparator, and the payback year.

This module holds the parameters, the settings, the cost per hour and :func:`evaluate`; the
discounting and the yearly profiles of health gain and avoided-cost streams are in
:mod:`evidence.roi.present_value`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evidence.roi.present_value import (
    DiscountSchedule,
    discount_factor,
    qaly_profile,
    sroi_yearly_values,
)

#: Agenda for Change bands recorded in the activity data (``minutes_<band>`` columns).
BANDS = ("band5", "band6", "band7", "band8a")
BAND_LABELS = {"band5": "Band 5", "band6": "Band 6", "band7": "Band 7", "band8a": "Band 8a"}


@dataclass(frozen=True)
class ParameterSpec:
    """What the model expects of a parameter: its kind (which fixes the valid range and the
    distributions allowed), a label for tables and the unit it must be expressed in."""

    kind: str
    label: str
    unit: str


#: PSSRU's components of the annual cost of a member of staff, per Agenda for Change band
#: (Unit Costs of Health and Social Care, "Annual and unit costs for community-based scientific
#: and professional staff": A wages/salary, B salary on-costs, D overheads (management, admin
#: and estates staff; non-staff), E capital overheads): name -> (label, PSSRU row).
STAFF_COMPONENTS: dict[str, tuple[str, str]] = {
    "salary": ("salary", "A. Wages/salary"),
    "on_costs": ("salary on-costs", "B. Salary on-costs"),
    "management_overheads": ("overheads: management, admin and estates staff", "D. Overheads"),
    "non_staff_overheads": ("overheads: non-staff", "D. Overheads"),
}

#: The model's parameters (names as in the assumption set), in the order they are tabulated.
PARAMETERS: dict[str, ParameterSpec] = {
    **{
        f"staff.hours_{b}": ParameterSpec("quantity", f"{BAND_LABELS[b]} staff time per child", "hours per child")
        for b in BANDS
    },
    **{
        f"staff.{c}_{b}": ParameterSpec("cost", f"{BAND_LABELS[b]} {label}", "GBP per year")
        for b in BANDS
        for c, (label, _) in STAFF_COMPONENTS.items()
    },
    "staff.capital_overheads": ParameterSpec(
        "cost", "Capital overheads per member of staff (every band)", "GBP per year"
    ),
    "staff.working_hours": ParameterSpec("positive", "Working hours per year", "hours per year"),
    "costs.training_per_child": ParameterSpec("cost", "Training and groups, per child", "GBP per child"),
    "costs.equipment_share": ParameterSpec("probability", "Children provided with equipment", "proportion of children"),
    "costs.equipment_unit_cost": ParameterSpec("cost", "Equipment cost, per child provided", "GBP per child"),
    "costs.optimism_bias": ParameterSpec("multiplier", "Optimism bias uplift on costs", "proportion of cost"),
    "comparator.cost_per_child": ParameterSpec("cost", "Comparator cost per child", "GBP per child"),
    "comparator.outcome_change": ParameterSpec("effect", "Outcome change under the comparator", "scale points"),
    "outcome.change": ParameterSpec("effect", "Outcome change with the intervention", "scale points"),
    "outcome.years_to_follow_up": ParameterSpec("quantity", "Time from baseline to follow-up", "years"),
    "utility.per_point": ParameterSpec("utility", "Utility gain per scale point", "utility per scale point"),
    "qaly.drop_off": ParameterSpec(
        "probability", "Annual drop-off of the health gain after year 1", "proportion per year"
    ),
    "qaly.value": ParameterSpec("cost", "Value of a QALY (threshold)", "GBP per QALY"),
    "discount.standard_rate": ParameterSpec("rate", "Discount rate, costs and avoided costs", "per year"),
    "discount.health_rate": ParameterSpec("rate", "Discount rate, health effects", "per year"),
}


def hourly_cost(
    salary, on_costs, management_overheads, non_staff_overheads, capital_overheads, working_hours
) -> tuple[np.ndarray, np.ndarray]:
    """PSSRU's cost per working hour, split into (salary and on-costs, overheads and capital),
    pounds per hour: each annual component divided by the working hours per year. Their sum is
    PSSRU's "cost per working hour" (total costs excluding qualifications / working hours):
    Band 6, community-based, 2023/24: (39,133 + 12,940 + 11,612 + 17,840 + 7,689) / 1,574 =
    £56.68, printed as £57 (Unit Costs of Health and Social Care 2024 Manual, Table 8.2.1,
    p.64). Arguments broadcast; working hours must be positive."""
    hours = np.asarray(working_hours, dtype=float)
    pay = (np.asarray(salary, dtype=float) + np.asarray(on_costs, dtype=float)) / hours
    overheads = (
        np.asarray(management_overheads, dtype=float)
        + np.asarray(non_staff_overheads, dtype=float)
        + np.asarray(capital_overheads, dtype=float)
    ) / hours
    return pay, overheads


#: Parameters of each avoided-cost stream (``stream.<name>.<parameter>`` in the assumption set).
STREAM_PARAMETERS: dict[str, ParameterSpec] = {
    "quantity": ParameterSpec("quantity", "outcomes per child in year 1", "per child per year"),
    "unit_value": ParameterSpec("cost", "financial proxy per outcome", "GBP per outcome"),
    "deadweight": ParameterSpec("probability", "deadweight (would have happened anyway)", "proportion"),
    "attribution": ParameterSpec("probability", "attribution (owed to others)", "proportion"),
    "displacement": ParameterSpec("probability", "displacement (moved elsewhere)", "proportion"),
    "drop_off": ParameterSpec("probability", "drop-off each year after the first", "proportion per year"),
    "duration_years": ParameterSpec("quantity", "duration", "years"),
}


def stream_parameter(stream: str, name: str) -> str:
    return f"stream.{stream}.{name}"


@dataclass(frozen=True)
class ModelSettings:
    """The model's structure (not sampled): horizon, discounting conventions, the avoided-cost
    streams and which of them count as cost offsets in the ICER, and the outcome's direction."""

    horizon_years: int
    streams: tuple[str, ...]
    perspective_streams: tuple[str, ...]
    discount_first_year: bool = True
    standard_schedule: DiscountSchedule = DiscountSchedule()
    health_schedule: DiscountSchedule = DiscountSchedule()
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        if self.horizon_years < 1:
            raise ValueError(f"the horizon must be at least 1 year, got {self.horizon_years}")
        unknown = set(self.perspective_streams) - set(self.streams)
        if unknown:
            raise ValueError(f"perspective streams {sorted(unknown)} are not among the streams {self.streams}")

    def parameter_names(self) -> list[str]:
        return [*PARAMETERS, *(stream_parameter(s, p) for s in self.streams for p in STREAM_PARAMETERS)]

    def discount_years(self) -> np.ndarray:
        """The discounting exponent of model years 1..H: the year itself when year 1 is
        discounted (end-of-year convention), else one less."""
        years = np.arange(1, self.horizon_years + 1, dtype=float)
        return years if self.discount_first_year else years - 1


#: Per-draw outputs: name -> (label, unit). Money is pounds per child.
OUTPUTS: dict[str, tuple[str, str]] = {
    "intervention_cost": ("Cost of the intervention per child", "GBP"),
    "comparator_cost": ("Cost of the comparator per child", "GBP"),
    "incremental_cost": ("Incremental cost per child", "GBP"),
    "qalys": ("QALYs gained per child (discounted)", "QALY"),
    "qaly_value": ("Value of QALYs gained per child", "GBP"),
    "avoided_costs": ("Avoided costs per child (present value)", "GBP"),
    "benefits": ("Total benefits per child (present value)", "GBP"),
    "npv": ("Net present value per child", "GBP"),
    "bcr": ("Benefit-cost ratio (£ returned per £1 spent)", "ratio"),
    "roi": ("Return on investment (net £ per £1 spent)", "ratio"),
    "cost_per_qaly": ("Cost per QALY gained", "GBP per QALY"),
    "icer": ("ICER (net of avoided costs in the perspective)", "GBP per QALY"),
    "nmb": ("Net monetary benefit per child", "GBP"),
    "payback_year": ("Payback year", "year"),
}


@dataclass(frozen=True)
class ModelResults:
    """Model outputs, one value per draw (arrays of shape (n,); ``*_by_year`` (n, H);
    ``avoided_by_stream`` (n, S) in the order of ``streams``). Pounds per child."""

    streams: tuple[str, ...]
    staff_cost: np.ndarray
    overhead_cost: np.ndarray
    training_cost: np.ndarray
    equipment_cost: np.ndarray
    optimism_bias_cost: np.ndarray
    intervention_cost: np.ndarray
    comparator_cost: np.ndarray
    incremental_cost: np.ndarray
    utility_gain: np.ndarray
    qalys: np.ndarray
    qaly_value: np.ndarray
    avoided_by_stream: np.ndarray
    avoided_costs: np.ndarray
    avoided_in_perspective: np.ndarray
    benefits: np.ndarray
    benefits_by_year: np.ndarray
    npv: np.ndarray
    bcr: np.ndarray
    roi: np.ndarray
    cost_per_qaly: np.ndarray
    icer: np.ndarray
    nmb: np.ndarray
    payback_year: np.ndarray

    def output(self, name: str) -> np.ndarray:
        if name not in OUTPUTS:
            raise KeyError(f"unknown output {name!r}; known: {', '.join(OUTPUTS)}")
        return getattr(self, name)

    @property
    def draws(self) -> int:
        return len(self.npv)

    def net_cost(self) -> np.ndarray:
        """Incremental cost less the avoided costs inside the ICER's perspective (pounds)."""
        return self.incremental_cost - self.avoided_in_perspective

    def bcr_at(self, threshold: float) -> np.ndarray:
        """Benefit-cost ratio with QALYs valued at ``threshold`` pounds per QALY."""
        return _ratio(threshold * self.qalys + self.avoided_costs, self.incremental_cost)

    def nmb_at(self, threshold: float) -> np.ndarray:
        """Net monetary benefit at ``threshold``: threshold x QALYs - net cost (pounds)."""
        return threshold * self.qalys - self.net_cost()


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator where the denominator is positive, else NaN (a ratio to a
    saving or a loss of health has no meaning as a return)."""
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


def _column(values: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    """A parameter's draws as a 1-D array; a parameter with the same value on every draw (a
    fixed one) is kept as length 1, so the model does its arithmetic once, not n times."""
    try:
        value = np.asarray(values[name], dtype=float).reshape(-1)
    except KeyError:
        raise KeyError(f"model parameter {name!r} is missing") from None
    return value[:1] if value.size > 1 and np.all(value == value[0]) else value


def evaluate(values: Mapping[str, np.ndarray], settings: ModelSettings) -> ModelResults:
    """Run the model on every draw at once. ``values`` maps each name in
    ``settings.parameter_names()`` to an array of draws (all of one length n, or length 1 to
    broadcast). Returns :class:`ModelResults` (pounds per child at the assumption set's price
    year; QALYs discounted at the health rate; avoided costs at the standard rate)."""
    lengths = {np.asarray(values[name]).size for name in settings.parameter_names() if name in values}
    n = max(lengths or {1})
    if lengths - {1, n}:
        raise ValueError(f"parameter draws must all have one length (or 1), got lengths {sorted(lengths)}")
    p = {name: _column(values, name) for name in settings.parameter_names()}
    horizon = settings.horizon_years
    exponent = settings.discount_years()

    staff, overhead = np.zeros(1), np.zeros(1)
    for b in BANDS:  # a loop over four bands, not draws
        names = [*(f"staff.{c}_{b}" for c in STAFF_COMPONENTS), "staff.capital_overheads", "staff.working_hours"]
        pay, overheads = hourly_cost(*(p[name] for name in names))
        staff = staff + p[f"staff.hours_{b}"] * pay
        overhead = overhead + p[f"staff.hours_{b}"] * overheads
    training = p["costs.training_per_child"]
    equipment = p["costs.equipment_share"] * p["costs.equipment_unit_cost"]
    before_bias = staff + overhead + training + equipment
    bias = before_bias * p["costs.optimism_bias"]
    intervention = before_bias + bias
    comparator = p["comparator.cost_per_child"]
    incremental = intervention - comparator

    direction = 1.0 if settings.higher_is_better else -1.0
    utility_gain = direction * (p["outcome.change"] - p["comparator.outcome_change"]) * p["utility.per_point"]
    health_factors = discount_factor(exponent, p["discount.health_rate"][:, None], settings.health_schedule)
    qalys_by_year = (
        utility_gain[:, None]
        * qaly_profile(p["outcome.years_to_follow_up"], p["qaly.drop_off"], horizon)
        * health_factors
    )
    qalys = qalys_by_year.sum(axis=1)
    threshold = p["qaly.value"]

    standard_factors = discount_factor(exponent, p["discount.standard_rate"][:, None], settings.standard_schedule)
    avoided_by_year = np.zeros((1, horizon))
    by_stream = []
    in_perspective = np.zeros(1)
    for stream in settings.streams:  # a loop over streams, not draws
        q = {name: p[stream_parameter(stream, name)] for name in STREAM_PARAMETERS}
        yearly = sroi_yearly_values(
            q["quantity"],
            q["unit_value"],
            q["deadweight"],
            q["attribution"],
            q["displacement"],
            q["drop_off"],
            q["duration_years"],
            horizon,
        )
        discounted = yearly * standard_factors
        avoided_by_year = avoided_by_year + discounted
        by_stream.append(discounted.sum(axis=1))
        if stream in settings.perspective_streams:
            in_perspective = in_perspective + by_stream[-1]
    avoided = sum(by_stream) if by_stream else np.zeros(1)

    benefits_by_year = threshold[:, None] * qalys_by_year + avoided_by_year
    benefits = benefits_by_year.sum(axis=1)
    npv = benefits - incremental
    net_cost = incremental - in_perspective
    cumulative = np.cumsum(benefits_by_year, axis=1)
    reached = cumulative >= incremental[:, None]
    payback = np.where(incremental <= 0, 0.0, np.where(reached.any(axis=1), np.argmax(reached, axis=1) + 1.0, np.nan))

    def full(x: np.ndarray) -> np.ndarray:
        """Every output with one value per draw, whatever was constant across draws."""
        x = np.asarray(x, dtype=float)
        return np.ascontiguousarray(np.broadcast_to(x, (n, *x.shape[1:])))

    by_stream_matrix = np.column_stack([full(b) for b in by_stream]) if by_stream else np.zeros((n, 0))
    return ModelResults(
        streams=tuple(settings.streams),
        staff_cost=full(staff),
        overhead_cost=full(overhead),
        training_cost=full(training),
        equipment_cost=full(equipment),
        optimism_bias_cost=full(bias),
        intervention_cost=full(intervention),
        comparator_cost=full(comparator),
        incremental_cost=full(incremental),
        utility_gain=full(utility_gain),
        qalys=full(qalys),
        qaly_value=full(threshold * qalys),
        avoided_by_stream=by_stream_matrix,
        avoided_costs=full(avoided),
        avoided_in_perspective=full(in_perspective),
        benefits=full(benefits),
        benefits_by_year=full(benefits_by_year),
        npv=full(npv),
        bcr=full(_ratio(benefits, incremental)),
        roi=full(_ratio(npv, incremental)),
        cost_per_qaly=full(_per_qaly(incremental, qalys)),
        icer=full(_per_qaly(net_cost, qalys)),
        nmb=full(threshold * qalys - net_cost),
        payback_year=full(payback),
    )


def _per_qaly(cost: np.ndarray, qalys: np.ndarray) -> np.ndarray:
    """cost / QALYs where QALYs are gained, else NaN (a ratio to a health loss is not a cost
    per QALY; such draws are read from the net monetary benefit instead)."""
    safe = np.where(qalys > 0, qalys, 1.0)
    return np.where(qalys > 0, cost / safe, np.nan)
