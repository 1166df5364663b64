"""Outcome figures: estimates with intervals, the case-mix funnel plot, and waiting times with
an interrupted time series."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from evidence.disclosure import DisclosureRule, round_counts
from evidence.plots.intervals import interval_chart
from evidence.plots.theme import QUALITATIVE, THEME, Chart


def estimate_chart(table: pd.DataFrame, label: str, estimate: str, low: str, high: str, title: str,
                   xlabel: str, reference: float | None = 0.0) -> Chart:
    """Estimates with intervals by group, with a line at ``reference`` (0: no change; 1 for
    ratios such as £ returned per £1)."""
    return interval_chart(table, label, estimate, low, high, title, xlabel, reference=reference, who="children")


def funnel_plot(table: pd.DataFrame, label: str, p0: float, limits: dict[float, tuple], n_grid: np.ndarray,
                title: str, tau2: float, rule: DisclosureRule | None = None) -> Chart:
    """Adjusted proportions of units against their size, with control limits around ``p0``
    (``limits`` from :func:`evidence.outcomes.funnel_limits` over ``n_grid``, widened when the
    between-unit variance ``tau2`` is above 0). The caller
    leaves out units smaller than ``rule.min_base``; the alt text gives each unit's size
    rounded by ``rule``, as the published table does."""
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(8, 4.8))
        styles = {0.95: ("--", "95% limits"), 0.998: (":", "99.8% limits")}
        for level, (lo, hi) in limits.items():
            style, name = styles.get(level, ("-.", f"{level:.1%} limits"))
            ax.plot(n_grid, lo * 100, style, color="#555555", linewidth=1, label=name)
            ax.plot(n_grid, hi * 100, style, color="#555555", linewidth=1)
        ax.axhline(p0 * 100, color=QUALITATIVE[5], linewidth=1, label=f"All services {p0:.0%}")
        ax.scatter(table["n"], table["adjusted_proportion"] * 100, color=QUALITATIVE[0], zorder=3)
        for rank, (_, row) in enumerate(table.sort_values("n").iterrows()):
            ax.annotate(str(row[label]), (row["n"], row["adjusted_proportion"] * 100), fontsize=8,
                        xytext=(-6, 8 + 11 * (rank % 3)), textcoords="offset points", ha="right",
                        arrowprops={"arrowstyle": "-", "color": "#999999", "linewidth": 0.5})
        ax.set_xlabel("Children with a follow-up (n)")
        ax.set_ylabel("Case-mix-adjusted share reaching the MIC (%)")
        ax.set_title(title, loc="left")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
        fig.tight_layout()
    (lo95, hi95) = limits[min(limits)]
    grid = np.asarray(n_grid)
    outside = []
    for _, row in table.iterrows():
        i = int(np.argmin(np.abs(grid - row["n"])))
        if not lo95[i] <= row["adjusted_proportion"] <= hi95[i]:
            outside.append(str(row[label]))
    rule = rule or DisclosureRule()
    sizes = round_counts(table["n"].to_numpy(dtype=float), rule)
    parts = [f"{row[label]}: {row['adjusted_proportion']:.0%} of {'fewer than ' + str(rule.small_count_max + 1) if np.isnan(size) else f'about {size:,.0f}'}"
             for (_, row), size in zip(table.iterrows(), sizes, strict=True)]
    spread = ("exact binomial limits (no more variation between services than chance)" if tau2 == 0 else
              f"limits widened for variation between services beyond chance (tau-squared {tau2:.4f}, arcsine scale)")
    alt = (f"Funnel plot. {title}. Target {p0:.0%}; {spread}. " + "; ".join(parts) + ". "
           + ("Outside the 95% limits: " + ", ".join(outside) + "." if outside else "All services within the 95% limits."))
    return Chart(fig, alt)


def waits_chart(monthly: pd.DataFrame, fitted: pd.Series | None, intervention: pd.Timestamp, title: str) -> Chart:
    """Monthly median waits with interquartile range, the intervention date, and the
    segmented-regression fit."""
    data = monthly.dropna(subset=["median_weeks"])
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.fill_between(data["month"], data["q1_weeks"], data["q3_weeks"], color=QUALITATIVE[4], alpha=0.3,
                        label="Interquartile range")
        ax.plot(data["month"], data["median_weeks"], "o", color=QUALITATIVE[0], label="Median wait")
        if fitted is not None:
            before = fitted.index < intervention
            ax.plot(fitted.index[before], fitted[before], "-", color=QUALITATIVE[5], label="Segmented regression")
            ax.plot(fitted.index[~before], fitted[~before], "-", color=QUALITATIVE[5])
        ax.axvline(intervention, color="#333333", linestyle="--", linewidth=1, label="Redesign")
        ax.set_ylabel("Weeks from referral to assessment")
        ax.set_ylim(bottom=0)
        ax.set_title(title, loc="left")
        ax.legend(frameon=False, fontsize=8)
        fig.autofmt_xdate()
        fig.tight_layout()
    before = data[data["month"] < intervention]["median_weeks"]
    after = data[data["month"] >= intervention]["median_weeks"]
    alt = (f"Line chart. {title}. Median wait averaged {before.mean():.0f} weeks over {len(before)} months "
           f"before the redesign and {after.tail(6).mean():.0f} weeks over the last {min(6, len(after))} months "
           f"after it.")
    return Chart(fig, alt)
