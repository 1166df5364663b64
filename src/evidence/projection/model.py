"""The stock-and-flow model: pure, vectorised functions on arrays.

Time runs in whole years from a starting point (July 2024 for England). Point ``t`` is the
state at the start of year ``t`` (``t = 0 .. T``); flows in year ``t`` happen between points
``t`` and ``t + 1``. Every function works on any leading "batch" axes (in practice scenario
and Monte Carlo draw), so one call projects every scenario and every draw at once; the only
Python loop is over the years of the projection, because each year starts from the last.

Workforce (whole-time equivalents, WTE), by group ``g`` (for example domestically and
internationally recruited staff)::

    leavers[t, g]  = leaver_rate[t, g] * stock[t, g]
    stock[t+1, g]  = stock[t, g] + sum of joiners[t, r] over routes r joining g - leavers[t, g]

This is the discrete-time stock-and-flow account (Sterman, J. D. (2000), *Business Dynamics:
Systems Thinking and Modeling for a Complex World*, McGraw-Hill, ch. 6-7): leavers are a rate
times the stock at the start of the year, and joiners arrive during the year, so they are not
exposed to leaving until the next one.

Waiting list (children and young people), with referrals joining it and capacity taking
children off it to be seen::

    seen[t]     = min(capacity[t], waiting[t] + referrals[t])
    waiting[t+1] = waiting[t] + referrals[t] - seen[t]

the deterministic (fluid) approximation of a queue, in which a list grows whenever demand
exceeds capacity and shrinks only when capacity exceeds demand (Silvester, K., Lendon, R.,
Bevan, H., Steyn, R. & Walley, P. (2004), "Reducing waiting times in the NHS: is lack of
capacity the problem?", *Clinician in Management* 12(3):105-111).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WorkforcePath:
    """A projected workforce. Leading axes are the batch axes of the inputs.

    ``stock``: WTE at each point, shape (..., T + 1, G). ``joiners``: WTE joining in each year
    by route, (..., T, R) (for years with a target, the solved routes hold the numbers needed
    to meet it). ``leavers``: WTE leaving in each year by group, (..., T, G).
    ``route_group``: the group each route joins, (R,).
    """

    stock: np.ndarray
    joiners: np.ndarray
    leavers: np.ndarray
    route_group: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """Total WTE at each point, (..., T + 1)."""
        return self.stock.sum(axis=-1)

    def joiners_by_group(self) -> np.ndarray:
        """Joiners in each year summed into the group each route joins, (..., T, G)."""
        groups = self.stock.shape[-1]
        return self.joiners @ np.eye(groups)[self.route_group]


@dataclass(frozen=True)
class WaitingListPath:
    """A projected waiting list (children and young people).

    ``waiting``: the list at each point, (..., T + 1). ``referrals``, ``capacity`` and
    ``seen`` (children taken off the list to be seen), per year, (..., T).
    ``time_to_clear``: years from the start until the list first reaches zero, assuming
    referrals and capacity are spread evenly through each year; NaN when it does not clear
    within the projection, (...).
    """

    waiting: np.ndarray
    referrals: np.ndarray
    capacity: np.ndarray
    seen: np.ndarray
    time_to_clear: np.ndarray

    def weeks_of_capacity(self) -> np.ndarray:
        """The list at the end of each year in weeks of that year's capacity,
        ``52 * waiting[t+1] / capacity[t]``, (..., T): roughly how long a child joining the
        back of the list would wait if children were seen in order (Little's law; an
        approximation that ignores prioritisation; Little, J. D. C. (1961), Operations Research
        9(3):383-387). Infinite where capacity is zero."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.capacity > 0, 52.0 * self.waiting[..., 1:] / self.capacity, np.inf)


def project_workforce(
    initial_stock: np.ndarray,
    leaver_rate: np.ndarray,
    joiners: np.ndarray,
    route_group: np.ndarray,
    target_total: np.ndarray | None = None,
    solved_share: np.ndarray | None = None,
) -> WorkforcePath:
    """Project the workforce stock year by year.

    Parameters
    ----------
    initial_stock
        WTE in each group at point 0, shape (..., G).
    leaver_rate
        Proportion of each group's start-of-year stock that leaves during the year, in
        [0, 1), shape (..., T, G).
    joiners
        WTE joining by each route during each year (supply-led numbers), shape (..., T, R).
    route_group
        For each route, the index of the group it joins, shape (R,).
    target_total
        Optional total WTE to reach at each point, shape (..., T + 1); NaN where there is no
        target. In a year whose end point has a target, the routes with a positive
        ``solved_share`` take the joiners needed to meet it (never fewer than zero: a stock
        above target is not cut), shared in proportion to ``solved_share``; the other routes
        keep their supply-led numbers.
    solved_share
        Shares over routes, each year, of the joiners solved for a target, shape (..., T, R),
        summing to 1 across the solved routes. Required with ``target_total``.

    Returns
    -------
    WorkforcePath
        Stock (WTE) at every point, joiners by route and leavers by group in every year.
    """
    route_group = np.asarray(route_group, dtype=int)
    initial_stock = np.asarray(initial_stock, dtype=float)
    leaver_rate = np.asarray(leaver_rate, dtype=float)
    joiners = np.asarray(joiners, dtype=float)
    years, groups, routes = leaver_rate.shape[-2], initial_stock.shape[-1], joiners.shape[-1]
    if leaver_rate.shape[-1] != groups or route_group.shape != (routes,):
        raise ValueError(
            f"shapes do not match: {groups} groups in the stock, leaver rates for "
            f"{leaver_rate.shape[-1]}, {routes} routes but route_group {route_group.shape}"
        )
    if joiners.shape[-2] != years:
        raise ValueError(f"joiners cover {joiners.shape[-2]} years but leaver rates {years}")
    if route_group.size and (route_group.min() < 0 or route_group.max() >= groups):
        raise ValueError(f"route_group must index the {groups} groups, got {route_group}")
    batch_shapes = [initial_stock.shape[:-1], leaver_rate.shape[:-2], joiners.shape[:-2]]
    if target_total is not None:
        if solved_share is None:
            raise ValueError("a target needs solved_share: which routes take the joiners needed")
        target_total = np.asarray(target_total, dtype=float)
        solved_share = np.asarray(solved_share, dtype=float)
        batch_shapes += [target_total.shape[:-1], solved_share.shape[:-2]]
    batch = np.broadcast_shapes(*batch_shapes)

    onehot = np.eye(groups)[route_group]  # (R, G): which group each route feeds
    stock = np.empty((*batch, years + 1, groups))
    stock[..., 0, :] = initial_stock
    rates = np.broadcast_to(leaver_rate, (*batch, years, groups))
    supply = np.broadcast_to(joiners, (*batch, years, routes))
    joined = np.empty((*batch, years, routes))
    left = np.empty((*batch, years, groups))
    if target_total is not None:
        assert solved_share is not None  # a target without it was refused above
        targets = np.broadcast_to(target_total, (*batch, years + 1))
        shares = np.broadcast_to(solved_share, (*batch, years, routes))
    for t in range(years):
        start = stock[..., t, :]
        leaving = rates[..., t, :] * start
        arriving = supply[..., t, :]
        if target_total is not None:
            target = targets[..., t + 1]
            solved = shares[..., t, :] > 0
            fixed = np.where(solved, 0.0, arriving).sum(axis=-1)
            needed = np.maximum(target - (start.sum(axis=-1) - leaving.sum(axis=-1)) - fixed, 0.0)
            with_target = np.where(solved, needed[..., None] * shares[..., t, :], arriving)
            arriving = np.where(np.isnan(target)[..., None], arriving, with_target)
        joined[..., t, :] = arriving
        left[..., t, :] = leaving
        stock[..., t + 1, :] = start - leaving + arriving @ onehot
    return WorkforcePath(stock, joined, left, route_group)


def project_waiting_list(initial: np.ndarray | float, referrals: np.ndarray, capacity: np.ndarray) -> WaitingListPath:
    """Project a waiting list from referrals and capacity.

    Parameters
    ----------
    initial
        Children and young people waiting at point 0, shape (...) or a number.
    referrals
        Children and young people added to the list in each year, shape (..., T).
    capacity
        Children and young people the service can take off the list (start seeing) in each
        year, shape (..., T).

    Returns
    -------
    WaitingListPath
        The list at every point, children seen each year, and the time to clear: if the list
        reaches zero during year ``t`` (``waiting[t] + referrals[t] <= capacity[t]``), with
        referrals and capacity spread evenly through the year it empties after
        ``t + waiting[t] / (capacity[t] - referrals[t])`` years.
    """
    referrals = np.asarray(referrals, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    initial = np.asarray(initial, dtype=float)
    batch = np.broadcast_shapes(initial.shape, referrals.shape[:-1], capacity.shape[:-1])
    years = np.broadcast_shapes(referrals.shape[-1:], capacity.shape[-1:])[0]
    referrals = np.broadcast_to(referrals, (*batch, years))
    capacity = np.broadcast_to(capacity, (*batch, years))
    waiting = np.empty((*batch, years + 1))
    seen = np.empty((*batch, years))
    waiting[..., 0] = initial
    for t in range(years):
        seen[..., t] = np.minimum(capacity[..., t], waiting[..., t] + referrals[..., t])
        waiting[..., t + 1] = waiting[..., t] + referrals[..., t] - seen[..., t]
    return WaitingListPath(waiting, referrals, capacity, seen, time_to_clear(waiting[..., :-1], referrals, capacity))


def time_to_clear(waiting_start: np.ndarray, referrals: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Years until a list first reaches zero, or NaN if it does not within the years given.

    ``waiting_start``: the list at the start of each year, (..., T); ``referrals`` and
    ``capacity`` in each year, (..., T). Flows are taken as even through the year, so the
    list falls in a straight line within the clearing year.
    """
    empties = waiting_start + referrals - capacity <= 0
    first = np.argmax(empties, axis=-1)
    ever = empties.any(axis=-1)
    w = np.take_along_axis(waiting_start, first[..., None], axis=-1)[..., 0]
    net = np.take_along_axis(capacity - referrals, first[..., None], axis=-1)[..., 0]
    # Only where the list empties is w <= net, so the fraction lies in [0, 1]; elsewhere it is
    # not computed (it could overflow) and the result is NaN.
    fraction = np.divide(w, net, out=np.zeros_like(w), where=ever & (w > 0) & (net > 0))
    return np.where(ever, first + fraction, np.nan)


def group_leaver_rates(
    overall: np.ndarray | float, international_share: np.ndarray | float, turnover_ratio: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Split an overall leaver rate into domestic and international rates.

    The international rate is ``turnover_ratio`` times the domestic one, and the two average
    (weighted by the share of the stock in each group) to the overall rate::

        domestic = overall / (1 - share + share * ratio),  international = ratio * domestic

    All arguments broadcast; rates are proportions of the stock leaving per year.
    """
    overall = np.asarray(overall, dtype=float)
    share = np.asarray(international_share, dtype=float)
    domestic = overall / (1.0 - share + share * np.asarray(turnover_ratio, dtype=float))
    return domestic, domestic * turnover_ratio


def linear_ramp(
    start: np.ndarray | float,
    end: np.ndarray | float,
    start_year: int,
    end_year: np.ndarray | float,
    years: np.ndarray,
) -> np.ndarray:
    """A value moving in a straight line from ``start`` (at ``start_year``) to ``end`` (at
    ``end_year``), then staying at ``end``; ``end`` at once if ``end_year <= start_year``.

    ``start``, ``end`` and ``end_year`` broadcast over leading axes; ``years`` is the last
    axis of the result: shape (..., len(years)).
    """
    start, end = np.asarray(start, dtype=float)[..., None], np.asarray(end, dtype=float)[..., None]
    span = np.asarray(end_year, dtype=float)[..., None] - start_year
    elapsed = np.asarray(years, dtype=float) - start_year
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(span > 0, np.clip(elapsed / np.where(span > 0, span, 1.0), 0.0, 1.0), 1.0)
    return start + (end - start) * fraction


def growth_target(
    initial_total: np.ndarray | float,
    growth: np.ndarray | float,
    start_year: int,
    reached_year: np.ndarray | float,
    years: np.ndarray,
    per_year: np.ndarray | bool,
) -> np.ndarray:
    """A target path for the total stock, held level after ``reached_year``.

    With ``per_year`` false, ``growth`` is the growth in total between ``start_year`` and
    ``reached_year``, spread at a constant annual rate:
    ``initial * (1 + growth) ** (k / K)``; with ``per_year`` true, ``growth`` is an annual
    rate: ``initial * (1 + growth) ** k``; ``k`` is years since ``start_year`` (capped at
    ``K = reached_year - start_year``). Shape (..., len(years)).
    """
    initial = np.asarray(initial_total, dtype=float)[..., None]
    growth = np.asarray(growth, dtype=float)[..., None]
    span = np.maximum(np.asarray(reached_year, dtype=float)[..., None] - start_year, 1.0)
    elapsed = np.clip(np.asarray(years, dtype=float) - start_year, 0.0, span)
    exponent = np.where(np.asarray(per_year, dtype=bool)[..., None], elapsed, elapsed / span)
    return initial * (1.0 + growth) ** exponent
