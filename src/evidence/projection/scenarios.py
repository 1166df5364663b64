"""From assumptions to projections: Monte Carlo draws, scenario arrays, one model run.

All scenarios and all draws are projected together: inputs are arrays with a scenario axis
``S`` and a draw axis ``D``, and the model (:mod:`evidence.projection.model`) loops only over
years. Draws are shared between scenarios (common random numbers), so a difference between
two scenarios in one draw is the effect of the scenario alone, not of different luck.

How the baseline is built (units: WTE, children and young people, years from July of
``start_year``):

* Starting workforce: NHS occupational therapists x children's share x WTE per person, split
  into domestic and international groups by the international share.
* Leaver rates: the overall rate split between the groups so that they average to it, the
  international rate being the published turnover ratio times the domestic one
  (:func:`~evidence.projection.model.group_leaver_rates`).
* Joiners: each group's joiners equal its leavers at the *central* values, so that at central
  values the workforce holds its size (the baseline); domestic joiners are returners,
  university graduates and degree apprentices. In a draw whose leaver rate is above the
  central value the workforce shrinks, and grows in one below it.
* Demand: first-year referrals are the starting list times 12 over the months of referrals it
  represents; capacity is referrals over the demand/capacity ratio, and then moves in
  proportion to the mid-year workforce and with productivity growth.

Scenarios change that baseline: a leaver-rate ramp, an apprenticeship-share ramp (apprentices
added to an unchanged number of graduates), a multiple of international recruits, a different
referral growth, or a workforce growth target met by solving for newly qualified joiners.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evidence import sourced
from evidence.errors import ConfigError
from evidence.projection.assumptions import Assumptions, Scenario
from evidence.projection.model import (
    WaitingListPath,
    WorkforcePath,
    group_leaver_rates,
    growth_target,
    linear_ramp,
    project_waiting_list,
    project_workforce,
)

GROUPS = ("domestic", "international")
ROUTES = ("graduates", "degree apprentices", "returners", "international recruits")
ROUTE_GROUP = np.array([0, 0, 0, 1])
NEWLY_QUALIFIED = (0, 1)  # routes solved for when a scenario sets a workforce target
MAX_HORIZON = 50


@dataclass(frozen=True)
class Projection:
    """Every scenario and draw of one projection.

    Axes: scenario (``S``, in the order of ``scenarios``), draw (``D``), then point in time
    (``T + 1``, labelled by ``years``: July of each year) or year of flows (``T``), then
    group or route. ``target`` is the workforce target (WTE, NaN where none), (S, D, T + 1).
    """

    scenarios: tuple[str, ...]
    labels: tuple[str, ...]
    years: np.ndarray
    workforce: WorkforcePath
    waiting: WaitingListPath
    target: np.ndarray
    groups: tuple[str, ...] = GROUPS
    routes: tuple[str, ...] = ROUTES

    @property
    def draws(self) -> int:
        return self.workforce.stock.shape[1]

    @property
    def wte(self) -> np.ndarray:
        """Total WTE at each point, (S, D, T + 1)."""
        return self.workforce.total


def central_values(assumptions: Assumptions) -> dict[str, np.ndarray]:
    """Every baseline quantity at its central value, as arrays of one draw."""
    return sourced.central_values(assumptions.parameters)


def sample_values(assumptions: Assumptions, draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``draws`` Monte Carlo draws of every baseline quantity
    (:func:`evidence.sourced.draw_values`): quantities with a distribution are sampled
    (triangular with its mode at the central value, or uniform), the others repeat their value.
    Quantities are sampled in the fixed order of
    :data:`~evidence.projection.assumptions.BASELINE_SPECS` (whatever the order in the file),
    so a seed gives the same draws every time."""
    return sourced.draw_values(assumptions.parameters, draws, rng)


def _change(scenarios: list[Scenario], name: str, default: float) -> np.ndarray:
    """One value per scenario: the scenario's change to ``name``, or ``default``; shape (S,)."""
    return np.array([s.changes[name].value if name in s.changes else default for s in scenarios])


def project_scenarios(
    assumptions: Assumptions,
    scenarios: list[Scenario],
    horizon_years: int,
    values: dict[str, np.ndarray],
) -> Projection:
    """Project every scenario in ``scenarios`` for every draw in ``values`` (from
    :func:`sample_values` or :func:`central_values`) over ``horizon_years`` years."""
    if not isinstance(horizon_years, int) or isinstance(horizon_years, bool) or not 1 <= horizon_years <= MAX_HORIZON:
        raise ConfigError(f"the horizon must be a whole number of years from 1 to {MAX_HORIZON}, got {horizon_years!r}")
    if not scenarios:
        raise ConfigError("no scenarios to project")
    p = values
    central = {name: q.value for name, q in assumptions.parameters.items()}
    start = assumptions.start_year
    years = start + np.arange(horizon_years + 1)
    flow_years = years[:-1]
    elapsed = np.arange(horizon_years)

    # Workforce at the start, by group (D, G), and leaver rates by group (D, G).
    initial_total = p["nhs_occupational_therapists"] * p["children_share"] * p["wte_per_person"]
    share = p["international_share"]
    initial = initial_total[:, None] * np.stack([1 - share, share], axis=-1)
    domestic_rate, international_rate = group_leaver_rates(
        p["leaver_rate"], share, p["international_turnover"] / p["domestic_turnover"]
    )
    rates = np.stack([domestic_rate, international_rate], axis=-1)
    retention = linear_ramp(
        1.0,
        _change(scenarios, "leaver_rate_to", central["leaver_rate"]) / central["leaver_rate"],
        start,
        _change(scenarios, "leaver_rate_by", start),
        flow_years,
    )  # (S, T)
    leaver_rate = retention[:, None, :, None] * rates[None, :, None, :]  # (S, D, T, G)
    if np.any(leaver_rate >= 1) or np.any(leaver_rate < 0):
        raise ConfigError(
            "a scenario or draw gives a leaver rate outside [0, 1): check leaver_rate, "
            "its distribution, the turnover figures and leaver_rate_to"
        )

    # Joiners: each group's joiners equal its leavers at the central values (the baseline).
    c_total = central["nhs_occupational_therapists"] * central["children_share"] * central["wte_per_person"]
    c_domestic, c_international = group_leaver_rates(
        central["leaver_rate"],
        central["international_share"],
        central["international_turnover"] / central["domestic_turnover"],
    )
    domestic_joiners = c_domestic * c_total * (1 - central["international_share"])
    international_joiners = c_international * c_total * central["international_share"]
    returners = p["returner_share"] * domestic_joiners  # (D,)
    graduates = (1 - p["returner_share"]) * (1 - p["apprenticeship_share_start"]) * domestic_joiners
    apprentice_to = _change(scenarios, "apprenticeship_share_to", np.nan)  # (S,)
    apprentice_to = np.where(
        np.isnan(apprentice_to)[:, None], p["apprenticeship_share_start"][None, :], apprentice_to[:, None]
    )  # (S, D)
    apprentice_share = linear_ramp(
        p["apprenticeship_share_start"][None, :],
        apprentice_to,
        start,
        _change(scenarios, "apprenticeship_share_by", start)[:, None],
        flow_years,
    )
    apprentices = graduates[None, :, None] * apprentice_share / (1 - apprentice_share)  # (S, D, T)
    international = _change(scenarios, "international_recruits_factor", 1.0)[:, None, None] * international_joiners
    shape = apprentices.shape
    joiners = np.stack(
        [
            np.broadcast_to(graduates[None, :, None], shape),
            apprentices,
            np.broadcast_to(returners[None, :, None], shape),
            np.broadcast_to(international, shape),
        ],
        axis=-1,
    )  # (S, D, T, R)

    # Workforce targets (S, D, T + 1), met by newly qualified joiners in the apprenticeship mix.
    has_target = np.array(["workforce_growth" in s.changes for s in scenarios])
    per_year = np.array([s.growth_reading == "per_year" for s in scenarios])
    path = growth_target(
        initial_total[None, :],
        _change(scenarios, "workforce_growth", 0.0)[:, None],
        start,
        _change(scenarios, "workforce_growth_by", start)[:, None],
        years,
        per_year[:, None],
    )
    target = np.where(has_target[:, None, None], path, np.nan)
    solved_share = np.zeros_like(joiners)
    solved_share[..., NEWLY_QUALIFIED[0]] = 1 - apprentice_share
    solved_share[..., NEWLY_QUALIFIED[1]] = apprentice_share
    workforce = project_workforce(initial[None], leaver_rate, joiners, ROUTE_GROUP, target, solved_share)

    # Demand and capacity (S, D, T), then the waiting list.
    first_referrals = p["waiting_list_start"] * 12 / p["waiting_list_months"]
    first_capacity = first_referrals / p["demand_capacity_ratio"]
    growth = (
        p["referral_growth"][None, :]
        + (_change(scenarios, "referral_growth", central["referral_growth"]) - central["referral_growth"])[:, None]
    )
    referrals = first_referrals[None, :, None] * (1 + growth[..., None]) ** elapsed
    total = workforce.total
    mid_year = (total[..., :-1] + total[..., 1:]) / 2
    capacity = (
        first_capacity[None, :, None]
        * mid_year
        / initial_total[None, :, None]
        * (1 + p["productivity_growth"][None, :, None]) ** elapsed
    )
    waiting = project_waiting_list(p["waiting_list_start"][None, :], referrals, capacity)
    return Projection(
        tuple(s.name for s in scenarios), tuple(s.label for s in scenarios), years, workforce, waiting, target
    )
