"""Summaries of a projection for reports: fan-chart quantiles, the horizon table, the
headline sentences and the flows of one run. The tables of what a projection rests on (every
assumption, scenario setting and derived quantity) are in
:mod:`evidence.projection.assumption_tables`.

Pure functions: a :class:`~evidence.projection.scenarios.Projection` in, tidy DataFrames or
text out. Intervals are central intervals of the Monte Carlo draws
(quantiles ``(1 - level) / 2`` and ``(1 + level) / 2``): they show the spread produced by the
uncertain inputs, not a statistical confidence interval.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from evidence.projection.assumptions import REFERENCE_SCENARIO, Scenario
from evidence.projection.scenarios import NEWLY_QUALIFIED, Projection

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


def whole_number(value: float) -> str:
    """A number rounded to a whole one, with thousands separators ("12,345")."""
    return f"{value:,.0f}"


def _years(value: float) -> str:
    return "not within the horizon" if not np.isfinite(value) else f"{value:.1f} years"


def horizon_table(summary: pd.DataFrame, list_base: float = 100, wte_base: float = 10) -> pd.DataFrame:
    """The horizon summary as display text: children rounded to ``list_base``, WTE to
    ``wte_base``, each with its interval."""
    level, end = summary.attrs["level"], summary.attrs["end_year"]

    def ranged(name: str, base: float) -> list[str]:
        m, lo, hi = (round_to(summary[f"{name}_{k}"], base) for k in ("median", "low", "high"))
        return [
            f"{whole_number(a)} ({whole_number(b)} to {whole_number(c)})" for a, b, c in zip(m, lo, hi, strict=True)
        ]

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
        return [
            f"{whole_number(a)} ({whole_number(b)} to {whole_number(c)})" for a, b, c in zip(m, lo, hi, strict=True)
        ]

    return pd.DataFrame(
        {
            "Scenario": summary["label"],
            f"WTE, July {start}": [whole_number(v) for v in round_to(summary["wte_start"], wte_base)],
            f"WTE, July {end} (median, {level:.0%} interval)": ranged("wte"),
            "Newly qualified joiners a year, first year (WTE)": [
                whole_number(v) for v in round_to(summary["newly_qualified_start"], 1)
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
            f"- **{row['label']}**: about **{whole_number(median[i])}** children and young people "
            f"waiting in July {end} ({level:.0%} interval {whole_number(low[i])} to {whole_number(high[i])}); "
            f"{clears}."
        )
    ordered = summary.assign(m=summary["waiting_median"]).sort_values("m")
    best, worst = ordered.iloc[0], ordered.iloc[-1]
    lead = (
        f"From {whole_number(first)} children and young people waiting in July {start}, the shortest "
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


def reference_scenario(scenarios: list[Scenario]) -> str:
    """The scenario others are compared with: ``baseline`` if it is in the set, else the first."""
    names = [s.name for s in scenarios]
    return REFERENCE_SCENARIO if REFERENCE_SCENARIO in names else names[0]


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
