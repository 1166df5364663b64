"""Checks on a projection: accounting identities, the flat-stock property, exact solutions,
and a back test against an observed series.

* Flows add up: in every scenario, draw, year and group, the change in stock equals joiners
  minus leavers; the change in the waiting list equals referrals minus children seen.
* Flat stock: with no growth and each group's joiners equal to its leavers, the stock stays
  where it started.
* Exact solutions: with constant joiners ``J`` and leaver rate ``r`` the stock is
  ``J / r + (S0 - J / r) * (1 - r) ** t`` (the solution of the linear difference equation
  ``S[t+1] = (1 - r) S[t] + J``; e.g. Elaydi, S. (2005), *An Introduction to Difference
  Equations*, 3rd ed., Springer, section 1.2), and with constant referrals ``R`` and
  capacity ``C`` the list is ``max(W0 + (R - C) t, 0)``.
* Back test (:func:`back_test`): a projection against an observed series: errors, mean
  absolute (percentage) error, bias and how often the observed value fell inside the
  projection's interval (the usual forecast-accuracy measures; Hyndman, R. J. & Athanasopoulos,
  G. (2021), *Forecasting: Principles and Practice*, 3rd ed., OTexts, sections 5.8-5.9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evidence.errors import EvidenceError
from evidence.projection.model import WaitingListPath, WorkforcePath, project_workforce
from evidence.projection.scenarios import Projection


def workforce_flow_error(workforce: WorkforcePath) -> np.ndarray:
    """``stock[t+1] - stock[t] - (joiners into the group - leavers)`` for every year and group,
    shape (..., T, G); zero (to rounding) when the flows add up."""
    change = np.diff(workforce.stock, axis=-2)
    return change - (workforce.joiners_by_group() - workforce.leavers)


def waiting_flow_error(waiting: WaitingListPath) -> np.ndarray:
    """``waiting[t+1] - waiting[t] - (referrals - seen)`` for every year, shape (..., T)."""
    return np.diff(waiting.waiting, axis=-1) - (waiting.referrals - waiting.seen)


def stock_drift(projection: Projection, scenario: str) -> np.ndarray:
    """Largest absolute change of the total stock from its starting value over the
    projection, for each draw of one scenario (WTE), shape (D,)."""
    total = projection.wte[projection.scenarios.index(scenario)]
    return np.abs(total - total[:, :1]).max(axis=-1)


def closed_form_stock(initial: float, joiners: float, rate: float, steps: int) -> np.ndarray:
    """Stock under constant joiners (WTE a year) and leaver rate (proportion a year), at
    points 0..steps: ``J / r + (S0 - J / r) (1 - r) ** t`` (``S0 + J t`` when ``r == 0``)."""
    t = np.arange(steps + 1)
    if rate == 0:
        return initial + joiners * t
    level = joiners / rate
    return level + (initial - level) * (1 - rate) ** t


def closed_form_waiting(initial: float, referrals: float, capacity: float, steps: int) -> np.ndarray:
    """A list under constant referrals and capacity (a year), at points 0..steps:
    ``max(W0 + (R - C) t, 0)``."""
    return np.maximum(initial + (referrals - capacity) * np.arange(steps + 1), 0.0)


@dataclass(frozen=True)
class BackTest:
    """A projection compared with an observed series.

    ``table``: one row per year with ``observed``, ``projected`` (median), ``low``, ``high``,
    ``error`` (projected minus observed), ``percentage_error`` (error over observed, NaN where
    observed is zero) and ``inside`` (observed within [low, high]). The summary measures are
    over the years compared.
    """

    table: pd.DataFrame
    mean_absolute_error: float
    mean_absolute_percentage_error: float
    mean_error: float
    coverage: float

    def summary(self) -> str:
        coverage = (
            "no interval (a single run)"
            if np.isnan(self.coverage)
            else f"observed inside the interval in {self.coverage:.0%} of years"
        )
        return (
            f"{len(self.table)} years compared: mean absolute error {self.mean_absolute_error:,.3g}, "
            f"mean absolute percentage error {self.mean_absolute_percentage_error:.3g}, "
            f"mean error (bias) {self.mean_error:+,.3g}; {coverage}"
        )


def back_test(observed: pd.Series, projected: pd.DataFrame) -> BackTest:
    """Compare ``observed`` (values indexed by year) with ``projected`` (columns ``year``,
    ``median``, ``outer_low``, ``outer_high``, as from
    :func:`evidence.projection.summary.fan_quantiles` for one scenario), on the years both
    have. Raises ValueError if they share no year, or a year appears twice in either."""
    if observed.index.has_duplicates or projected["year"].duplicated().any():
        raise ValueError("each year may appear only once in the observed and the projected series")
    merged = projected.set_index("year")[["median", "outer_low", "outer_high"]].join(
        observed.rename("observed"), how="inner"
    )
    if merged.empty:
        raise ValueError("the observed and projected series share no year")
    table = pd.DataFrame(
        {
            "year": merged.index.to_numpy(),
            "observed": merged["observed"].to_numpy(dtype=float),
            "projected": merged["median"].to_numpy(dtype=float),
            "low": merged["outer_low"].to_numpy(dtype=float),
            "high": merged["outer_high"].to_numpy(dtype=float),
        }
    )
    table["error"] = table["projected"] - table["observed"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["percentage_error"] = np.where(table["observed"] != 0, table["error"] / table["observed"], np.nan)
    table["inside"] = (table["observed"] >= table["low"]) & (table["observed"] <= table["high"])
    has_interval = bool((table["high"] > table["low"]).any())
    return BackTest(
        table,
        float(table["error"].abs().mean()),
        float(table["percentage_error"].abs().mean()),
        float(table["error"].mean()),
        float(table["inside"].mean()) if has_interval else float("nan"),
    )


def exact_solution_check(central: Projection, reference: str = "baseline") -> BackTest:
    """Run the workforce model on a case with a known exact answer and back-test it: a
    workforce starting from zero, filled by the ``reference`` scenario's first-year joiners
    (all routes, WTE a year) and losing its first-year overall leaver rate, against
    :func:`closed_form_stock` over the same years."""
    s = central.scenarios.index(reference)
    joiners = float(central.workforce.joiners[s, 0, 0].sum())
    rate = float(central.workforce.leavers[s, 0, 0].sum() / central.workforce.stock[s, 0, 0].sum())
    steps = len(central.years) - 1
    path = project_workforce(np.zeros(1), np.full((steps, 1), rate), np.full((steps, 1), joiners), np.array([0]))
    total = path.total
    projected = pd.DataFrame({"year": central.years, "median": total, "outer_low": total, "outer_high": total})
    exact = pd.Series(closed_form_stock(0.0, joiners, rate, steps), index=central.years)
    return back_test(exact, projected)


def require_passed(validation: pd.DataFrame) -> None:
    """Raise :class:`~evidence.errors.EvidenceError` naming every failed check in a table from
    :func:`validation_table`: a projection whose accounts do not add up is not published."""
    failed = validation.loc[validation["Passed"] != "yes", "Check"].tolist()
    if failed:
        raise EvidenceError("projection checks failed: " + "; ".join(failed))


def validation_table(
    projection: Projection, central: Projection, exact: BackTest, reference: str = "baseline", tolerance: float = 1e-6
) -> pd.DataFrame:
    """The checks a report shows, as text: flows add up in ``projection`` (every scenario,
    draw and year), the ``reference`` scenario's stock stays flat at central values (no growth,
    balanced flows), and the model reproduces an exact solution (``exact``, from
    :func:`back_test` against :func:`closed_form_stock` or :func:`closed_form_waiting`).
    ``tolerance``: the largest discrepancy accepted, relative to the quantity's scale."""
    workforce = np.abs(workforce_flow_error(projection.workforce)).max()
    waiting = np.abs(waiting_flow_error(projection.waiting)).max()
    drift = stock_drift(central, reference).max()
    wte_scale = max(float(np.abs(projection.wte).max()), 1.0)
    list_scale = max(float(np.abs(projection.waiting.waiting).max()), 1.0)
    rows = [
        (
            "Workforce: stock change = joiners - leavers, every year, scenario and simulation",
            f"largest discrepancy {workforce:.2e} WTE",
            workforce <= tolerance * wte_scale,
        ),
        (
            "Waiting list: change = referrals - children seen, every year, scenario and simulation",
            f"largest discrepancy {waiting:.2e} children",
            waiting <= tolerance * list_scale,
        ),
        (
            f"No growth and balanced flows ({reference}, central values): the workforce stays flat",
            f"largest change from the start {drift:.2e} WTE",
            drift <= tolerance * wte_scale,
        ),
        (
            "Model against the exact solution for constant flows",
            exact.summary(),
            exact.mean_absolute_error <= tolerance * max(float(exact.table["observed"].abs().max()), 1.0),
        ),
    ]
    return pd.DataFrame(
        {
            "Check": [r[0] for r in rows],
            "Result": [r[1] for r in rows],
            "Passed": ["yes" if r[2] else "NO" for r in rows],
        }
    )
