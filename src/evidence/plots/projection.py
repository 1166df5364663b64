"""Projection figures: scenario fan charts and the yearly flows of the workforce.

Each function takes summaries from :mod:`evidence.projection.summary` (never the draws) and
returns a :class:`~evidence.plots.theme.Chart` whose alt text gives the numbers a sighted
reader would take from it.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from evidence.plots.theme import QUALITATIVE, THEME, Chart

_THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")


def _rounded(value: float, base: float) -> str:
    return f"{math.floor(value / base + 0.5) * base:,.0f}"


def fan_chart(
    bands: pd.DataFrame,
    quantity: str,
    title: str,
    outer: float,
    inner: float,
    draws: int,
    reference: str | None = "baseline",
    note: str = "",
    base: float = 100,
    columns: int = 3,
) -> Chart:
    """Fan charts, one small panel per scenario on a shared scale: the median line, the inner
    and outer bands of the Monte Carlo draws, and the reference scenario's median dashed in
    the other panels.

    ``bands``: from :func:`evidence.projection.summary.fan_quantiles` (columns ``scenario``,
    ``label``, ``year``, ``outer_low``, ``inner_low``, ``median``, ``inner_high``,
    ``outer_high``). ``quantity``: what is plotted, in words, with its unit (the y label).
    ``outer``/``inner``: the band levels (e.g. 0.9 and 0.5); ``draws``: how many simulations.
    ``note``: a line under the chart (e.g. that the inputs are illustrative). ``base``: the
    rounding of numbers in the alt text.
    """
    scenarios = list(dict.fromkeys(bands["scenario"]))
    labels = dict(zip(bands["scenario"], bands["label"], strict=False))
    reference_rows = bands[bands["scenario"] == reference] if reference in scenarios else None
    columns = min(columns, len(scenarios))
    rows = math.ceil(len(scenarios) / columns)
    with plt.rc_context(THEME):
        fig, axes = plt.subplots(
            rows, columns, figsize=(3.4 * columns, 2.6 * rows + 0.9), sharex=True, sharey=True, squeeze=False
        )
        for ax, scenario in zip(axes.flat, scenarios, strict=False):
            part = bands[bands["scenario"] == scenario]
            ax.fill_between(
                part["year"],
                part["outer_low"],
                part["outer_high"],
                color=QUALITATIVE[0],
                alpha=0.18,
                linewidth=0,
                label=f"{outer:.0%} of simulations",
            )
            ax.fill_between(
                part["year"],
                part["inner_low"],
                part["inner_high"],
                color=QUALITATIVE[0],
                alpha=0.35,
                linewidth=0,
                label=f"{inner:.0%} of simulations",
            )
            ax.plot(part["year"], part["median"], color=QUALITATIVE[0], linewidth=1.8, label="median")
            if reference_rows is not None and scenario != reference:
                ax.plot(
                    reference_rows["year"],
                    reference_rows["median"],
                    color="#444444",
                    linestyle="--",
                    linewidth=1,
                    label=f"{labels[reference]} median",
                )
            ax.set_title("\n".join(textwrap.wrap(labels[scenario], 34)), loc="left", fontsize=9)
            ax.yaxis.set_major_formatter(_THOUSANDS)
        axes[0, 0].set_ylim(0, 1.05 * max(float(bands["outer_high"].max()), 1.0))  # shared by all panels
        for ax in list(axes.flat)[len(scenarios) :]:
            ax.set_visible(False)
        fig.supylabel(quantity, fontsize=9)
        handles, names = [], []
        for ax in axes.flat:
            for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
                if name not in names:
                    handles.append(handle)
                    names.append(name)
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
        fig.legend(
            handles,
            names,
            loc="lower center",
            ncol=len(names),
            frameon=False,
            fontsize=8,
            bbox_to_anchor=(0.5, 0.035 if note else 0.0),
        )
        if note:
            fig.text(0.01, 0.005, note, fontsize=8, style="italic")
        fig.tight_layout(rect=(0, 0.08 if note else 0.05, 1, 0.97))
    first, last = int(bands["year"].min()), int(bands["year"].max())
    start = bands.loc[bands["year"] == first, "median"].iloc[0]  # a given figure: not rounded
    ends = bands[bands["year"] == last]
    parts = [
        f"{row['label']}: median {_rounded(row['median'], base)} ({outer:.0%} of simulations between "
        f"{_rounded(row['outer_low'], base)} and {_rounded(row['outer_high'], base)})"
        for _, row in ends.iterrows()
    ]
    alt = (
        f"Fan charts, one panel per scenario. {title}. {quantity[0].upper()}{quantity[1:]} from July "
        f"{first} (starting at {start:,.0f}) to July {last}, from {draws:,} simulations. "
        f"In July {last}: " + "; ".join(parts) + "." + (f" {note}" if note else "")
    )
    return Chart(fig, alt)


def flows_chart(flows: dict[str, pd.DataFrame], title: str, note: str = "") -> Chart:
    """Yearly joiners (by route, above zero) and leavers (by group, below zero), with the net
    change as a line, one panel per scenario; WTE.

    ``flows``: panel title to a frame from :func:`evidence.projection.summary.flows_frame`.
    """
    routes = list(dict.fromkeys(f for frame in flows.values() for f in frame.loc[frame["kind"] == "joiners", "flow"]))
    leavers = list(dict.fromkeys(f for frame in flows.values() for f in frame.loc[frame["kind"] == "leavers", "flow"]))
    colours = dict(
        zip(routes + leavers, QUALITATIVE[: len(routes)] + ["#7f7f7f", "#bdbdbd"][: len(leavers)], strict=False)
    )
    with plt.rc_context(THEME):
        fig, axes = plt.subplots(1, len(flows), figsize=(5.2 * len(flows), 3.8), sharey=True, squeeze=False)
        for ax, (name, frame) in zip(axes.flat, flows.items(), strict=True):
            wide = frame.pivot(index="year", columns="flow", values="wte")
            years = wide.index.to_numpy()
            up, down = np.zeros(len(years)), np.zeros(len(years))
            for flow in routes + leavers:
                if flow not in wide:
                    continue
                values = wide[flow].to_numpy()
                bottom = up if flow in routes else down
                ax.bar(years, values, bottom=bottom, color=colours[flow], width=0.8, label=flow)
                if flow in routes:
                    up = up + values
                else:
                    down = down + values
            net = frame.drop_duplicates("year").set_index("year")["net"]
            ax.plot(
                net.index, net.to_numpy(), color="black", marker="o", markersize=3, linewidth=1.2, label="net change"
            )
            ax.axhline(0, color="#333333", linewidth=0.8)
            ax.set_title("\n".join(textwrap.wrap(name, 45)), loc="left", fontsize=9)
            ax.yaxis.set_major_formatter(_THOUSANDS)
        axes[0, 0].set_ylabel("WTE a year (leavers below zero)")
        handles, names = axes[0, 0].get_legend_handles_labels()
        fig.suptitle(title, x=0.01, ha="left", fontsize=11)
        fig.legend(
            handles,
            names,
            loc="lower center",
            ncol=min(len(names), 4),
            frameon=False,
            fontsize=8,
            bbox_to_anchor=(0.5, 0.04 if note else 0.0),
        )
        if note:
            fig.text(0.01, 0.005, note, fontsize=8, style="italic")
        fig.tight_layout(rect=(0, 0.16 if note else 0.12, 1, 0.95))
    parts = []
    for name, frame in flows.items():
        years = sorted(frame["year"].unique())
        for year in (years[0], years[-1]):
            rows = frame[frame["year"] == year]
            joined = rows.loc[rows["kind"] == "joiners"]
            left = -rows.loc[rows["kind"] == "leavers", "wte"].sum()
            by_route = ", ".join(f"{r['flow']} {r['wte']:,.0f}" for _, r in joined.iterrows())
            parts.append(
                f"{name}, year from July {year}: joiners {joined['wte'].sum():,.0f} WTE ({by_route}), "
                f"leavers {left:,.0f} WTE, net change {rows['net'].iloc[0]:+,.0f} WTE"
            )
    alt = f"Stacked bar charts. {title}. " + "; ".join(parts) + "." + (f" {note}" if note else "")
    return Chart(fig, alt)
