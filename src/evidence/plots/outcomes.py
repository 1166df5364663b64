"""Outcome figures: estimates with intervals, the distribution of change, the case-mix funnel
plot, and waiting times with an interrupted time series."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from evidence.disclosure import DisclosureRule, round_counts, suppress_statistic
from evidence.plots.intervals import interval_chart
from evidence.plots.theme import QUALITATIVE, THEME, Chart


def estimate_chart(
    table: pd.DataFrame,
    label: str,
    estimate: str,
    low: str,
    high: str,
    title: str,
    xlabel: str,
    reference: float | None = 0.0,
) -> Chart:
    """Estimates with intervals by group, with a line at ``reference`` (0: no change; 1 for
    ratios such as £ returned per £1)."""
    return interval_chart(table, label, estimate, low, high, title, xlabel, reference=reference, who="children")


def binned_change(
    paired: pd.DataFrame, by: str, bin_width: float, rule: DisclosureRule | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Each ``by`` group's change scores (``paired["change"]``, children followed up) in bins
    ``bin_width`` points wide, as published: one row per group and bin (``group``,
    ``bin_low``, ``bin_high``, ``children`` rounded by ``rule``, NaN where 1 to
    ``rule.small_count_max`` children are hidden, and ``percent`` of the group's rounded
    total); groups with fewer than ``rule.min_base`` children are left out and returned
    as the second value."""
    rule = rule or DisclosureRule()
    if bin_width <= 0:
        raise ValueError(f"bin_width must be positive, got {bin_width}")
    followed = paired.dropna(subset=["change"])
    if followed.empty:
        raise ValueError("no child has a change score (no follow-ups)")
    sizes = followed.groupby(by, observed=True)["change"].size()
    left_out = sizes.index[sizes < rule.min_base].astype(str).tolist()
    kept = followed[followed[by].isin(sizes.index[sizes >= rule.min_base])]
    low = np.floor(followed["change"].min() / bin_width) * bin_width
    edges = np.arange(low, followed["change"].max() + bin_width, bin_width)
    if len(edges) < 2 or edges[-1] <= followed["change"].max():
        edges = np.append(edges, edges[-1] + bin_width)
    bins = pd.cut(kept["change"], edges, right=False, labels=False)
    counts = (
        pd.crosstab(kept[by].astype(str), bins)
        .reindex(columns=range(len(edges) - 1), fill_value=0)
        .stack()
        .rename("count")
        .reset_index()
    )
    counts.columns = ["group", "bin", "count"]
    counts["children"] = round_counts(counts["count"].to_numpy(), rule)
    totals = round_counts(counts.groupby("group")["count"].transform("sum").to_numpy(), rule)
    counts["percent"] = 100 * counts["children"] / totals
    counts["bin_low"], counts["bin_high"] = edges[counts["bin"]], edges[counts["bin"] + 1]
    order = [str(group) for group in sizes.index[sizes >= rule.min_base]]  # the groups' own order (tiers)
    counts["group"] = pd.Categorical(counts["group"], categories=order, ordered=True)
    counts = counts.sort_values(["group", "bin"], kind="stable").reset_index(drop=True)
    return counts[["group", "bin_low", "bin_high", "children", "percent"]].astype({"group": str}), left_out


def change_distribution_chart(
    paired: pd.DataFrame, by: str, title: str, xlabel: str, bin_width: float, rule: DisclosureRule | None = None
) -> Chart:
    """The distribution of change (follow-up minus baseline) in each ``by`` group as a step
    histogram of the percentage of the group in each ``bin_width``-point bin (seaborn
    ``histplot``), with a line at no change. Counts are rounded and small ones hidden as in
    every published table (:func:`binned_change`); the alt text gives each group's size and
    median change."""
    import seaborn as sns  # here, not at the top: it imports scipy.stats (see plots.theme)

    rule = rule or DisclosureRule()
    binned, left_out = binned_change(paired, by, bin_width, rule)
    shown = binned.dropna(subset=["percent"])
    groups = list(dict.fromkeys(binned["group"]))
    edges = np.union1d(binned["bin_low"], binned["bin_high"])  # a list below: seaborn 0.13 compares bins with "auto"
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(8, 4))
        if groups:
            sns.histplot(
                data=shown,
                x="bin_low",
                weights="percent",
                bins=edges.tolist(),
                hue="group",
                hue_order=groups,
                element="step",
                fill=False,
                linewidth=1.5,
                palette=QUALITATIVE[: len(groups)],
                ax=ax,
            )
            legend = ax.get_legend()
            if legend is not None:
                legend.set_title("")
                legend.set_frame_on(False)
        ax.axvline(0, color="#333333", linewidth=1)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Children in the group (%)")
        ax.set_title(title, loc="left")
        note = [f"Bins with 1 to {rule.small_count_max} children are not drawn"]
        if left_out:
            note.append("not shown (too few children): " + ", ".join(left_out))
        fig.text(0.01, 0.01, "; ".join(note) + ".", fontsize=8)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    followed = paired.dropna(subset=["change"])
    parts = []
    for group in groups:
        changes = followed.loc[followed[by].astype(str) == group, "change"]
        size = round_counts([len(changes)], rule)[0]
        median = suppress_statistic(changes.median(), len(changes), rule, "{:+.1f}")
        parts.append(f"{group}: about {size:,.0f} children, median change {median}")
    alt = (
        f"Step histogram. {title}. "
        + ("; ".join(parts) + ". " if parts else "")
        + f"Bins are {bin_width:g} points wide; bins with 1 to {rule.small_count_max} children are not drawn."
        + (" Not shown because of too few children: " + ", ".join(left_out) + "." if left_out else "")
    )
    return Chart(fig, alt)


def funnel_plot(
    table: pd.DataFrame,
    label: str,
    p0: float,
    limits: dict[float, tuple],
    n_grid: np.ndarray,
    title: str,
    tau2: float,
    rule: DisclosureRule | None = None,
) -> Chart:
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
            ax.annotate(
                str(row[label]),
                (row["n"], row["adjusted_proportion"] * 100),
                fontsize=8,
                xytext=(-6, 8 + 11 * (rank % 3)),
                textcoords="offset points",
                ha="right",
                arrowprops={"arrowstyle": "-", "color": "#999999", "linewidth": 0.5},
            )
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
    fewer = f"fewer than {rule.small_count_max + 1}"
    parts = [
        f"{row[label]}: {row['adjusted_proportion']:.0%} of {fewer if np.isnan(size) else f'about {size:,.0f}'}"
        for (_, row), size in zip(table.iterrows(), sizes, strict=True)
    ]
    spread = (
        "exact binomial limits (no more variation between services than chance)"
        if tau2 == 0
        else f"limits widened for variation between services beyond chance (tau-squared {tau2:.4f}, arcsine scale)"
    )
    alt = (
        f"Funnel plot. {title}. Target {p0:.0%}; {spread}. "
        + "; ".join(parts)
        + ". "
        + ("Outside the 95% limits: " + ", ".join(outside) + "." if outside else "All services within the 95% limits.")
    )
    return Chart(fig, alt)


def waits_chart(monthly: pd.DataFrame, fitted: pd.Series | None, intervention: pd.Timestamp, title: str) -> Chart:
    """Monthly median waits with interquartile range, the intervention date, and the
    segmented-regression fit."""
    data = monthly.dropna(subset=["median_weeks"])
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.fill_between(
            data["month"],
            data["q1_weeks"],
            data["q3_weeks"],
            color=QUALITATIVE[4],
            alpha=0.3,
            label="Interquartile range",
        )
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
    alt = (
        f"Line chart. {title}. Median wait averaged {before.mean():.0f} weeks over {len(before)} months "
        f"before the redesign and {after.tail(6).mean():.0f} weeks over the last {min(6, len(after))} months "
        f"after it."
    )
    return Chart(fig, alt)
