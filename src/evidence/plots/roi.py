"""Return-on-investment figures: tornado (one-way sensitivity), cost-effectiveness plane,
cost-effectiveness acceptability curve and cumulative benefits against cost (payback). Each
takes results from :mod:`evidence.roi.analysis` (the tornado from :mod:`evidence.roi.sensitivity`)
and returns a :class:`Chart` whose alt text carries the numbers a sighted reader would take from it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from evidence.plots.theme import QUALITATIVE, THEME, Chart


def _pounds(x: float, decimals: int = 0) -> str:
    sign = "\u2212" if x < 0 else ""
    return f"{sign}£{abs(x):,.{decimals}f}"


def _axis_pounds(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda x, _: _pounds(x)))


def tornado_chart(table: pd.DataFrame, title: str, output_label: str, top: int = 15, money: bool = True) -> Chart:
    """One-way sensitivity as a tornado: for the ``top`` parameters with the largest swing, a
    bar from the base-case output to the output at each end of the parameter's range
    (``table`` from :func:`evidence.roi.sensitivity.one_way`)."""
    base = float(table.attrs["base"])
    shown = table.dropna(subset=["output_low"]).head(top)
    fmt = _pounds if money else (lambda x: f"{x:.2f}")
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(9, 1.2 + 0.42 * max(len(shown), 1)))
        y = np.arange(len(shown))[::-1]
        for ends, colour, name in (
            ("output_low", QUALITATIVE[0], "Low end of range"),
            ("output_high", QUALITATIVE[1], "High end of range"),
        ):
            values = shown[ends].to_numpy(float)
            ax.barh(y, values - base, left=base, color=colour, height=0.6, label=name)
        ax.axvline(base, color="#333333", linewidth=1)
        ax.set_yticks(y, shown["label"].tolist(), fontsize=8)
        ax.set_xlabel(f"{output_label} (base case {fmt(base)})")
        if money:
            _axis_pounds(ax.xaxis)
        ax.set_title(title, loc="left")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
        fig.tight_layout()
    parts = [
        f"{row.label}: {fmt(row.output_low)} at the low end, {fmt(row.output_high)} at the high end"
        for row in shown.head(5).itertuples()
    ]
    alt = (
        f"Tornado chart. {title}. Base case {output_label.lower()} {fmt(base)}. The {len(shown)} parameters with the "
        f"largest effect are shown; the five largest are " + "; ".join(parts) + "."
    )
    return Chart(fig, alt)


def _padded(x: np.ndarray) -> tuple[float, float]:
    """Axis limits that hold every value and zero, with a margin."""
    low, high = min(float(np.min(x)), 0.0), max(float(np.max(x)), 0.0)
    margin = 0.08 * (high - low or 1.0)
    return low - margin, high + margin


def ce_plane_chart(
    qalys: np.ndarray, net_costs: np.ndarray, thresholds: list[float], title: str, max_points: int = 2000
) -> Chart:
    """Cost-effectiveness plane: each simulation's QALYs gained against its net incremental
    cost per child, with lines of constant cost per QALY at each threshold (axes fitted to the
    simulations, so steep lines leave the frame). Only the first ``max_points`` simulations are
    drawn (they are a random sample of all of them); the shares in the alt text use every
    simulation."""
    q, c = np.asarray(qalys, float), np.asarray(net_costs, float)
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(8, 5.5))
        ax.scatter(
            q[:max_points],
            c[:max_points],
            s=6,
            alpha=0.35,
            color=QUALITATIVE[0],
            linewidths=0,
            label=f"Simulations (first {min(max_points, q.size):,} of {q.size:,})",
        )
        x_low, x_high = _padded(q)
        y_low, y_high = _padded(c)
        span = np.array([x_low, x_high])
        styles = ["--", ":", "-.", (0, (1, 3))]
        for i, threshold in enumerate(thresholds):
            ax.plot(
                span,
                threshold * span,
                linestyle=styles[i % 4],
                color=["#333333", "#777777"][i // 4 % 2],
                linewidth=1.2,
                label=f"{_pounds(threshold)} per QALY",
            )
        ax.axhline(0, color="#999999", linewidth=0.8)
        ax.axvline(0, color="#999999", linewidth=0.8)
        ax.set_xlim(x_low, x_high)
        ax.set_ylim(y_low, y_high)
        ax.set_xlabel("QALYs gained per child")
        ax.set_ylabel("Net incremental cost per child")
        _axis_pounds(ax.yaxis)
        ax.set_title(title, loc="left")
        ax.legend(frameon=False, fontsize=8, loc="upper left")
        fig.tight_layout()
    quadrants = {
        "more health at more cost": np.mean((q > 0) & (c > 0)),
        "more health and a saving": np.mean((q > 0) & (c <= 0)),
        "less health at more cost": np.mean((q <= 0) & (c > 0)),
        "less health and a saving": np.mean((q <= 0) & (c <= 0)),
    }
    below = [f"{100 * np.mean(t * q - c > 0):.0f}% below the {_pounds(t)} line" for t in thresholds]
    alt = (
        f"Scatter plot, the cost-effectiveness plane. {title}. Of {q.size:,} simulations: "
        + "; ".join(f"{100 * share:.0f}% {name}" for name, share in quadrants.items())
        + ". "
        + "; ".join(below)
        + f". Median QALYs gained {np.median(q):.3f}, median net cost {_pounds(np.median(c))}."
    )
    return Chart(fig, alt)


def acceptability_chart(
    thresholds: np.ndarray,
    probability: np.ndarray,
    marks: list[float],
    title: str,
    expected_icer: float | None = None,
    base_icer: float | None = None,
) -> Chart:
    """Cost-effectiveness acceptability curve: the probability of being cost-effective against
    the value placed on a QALY, with the reported thresholds marked and, when given, the
    expected ICER from the simulations (above it the expected net monetary benefit is positive:
    the decision the headline's expected values give), with the base-case ICER in the label."""
    lam, p = np.asarray(thresholds, float), np.asarray(probability, float)
    # The expected ICER when it is finite and within the thresholds drawn, else None.
    shown_icer = (
        expected_icer
        if expected_icer is not None and np.isfinite(expected_icer) and lam.min() <= expected_icer <= lam.max()
        else None
    )
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(8, 4.2))
        ax.plot(lam, 100 * p, color=QUALITATIVE[0], linewidth=2)
        for mark in marks:
            ax.axvline(mark, color="#777777", linestyle=":", linewidth=1)
        if shown_icer is not None:
            base_text = f"; base case {_pounds(base_icer)}" if base_icer is not None and np.isfinite(base_icer) else ""
            ax.axvline(
                shown_icer,
                color=QUALITATIVE[1],
                linestyle="--",
                linewidth=1.2,
                label=f"Expected ICER {_pounds(shown_icer)}{base_text}",
            )
            ax.legend(frameon=False, fontsize=8, loc="lower right")
        ax.set_ylim(0, 100)
        ax.set_xlim(lam.min(), lam.max())
        ax.set_xlabel("Value placed on a QALY (threshold)")
        ax.set_ylabel("Chance of being cost-effective (%)")
        _axis_pounds(ax.xaxis)
        ax.set_title(title, loc="left")
        fig.tight_layout()
    at = [f"{100 * np.interp(m, lam, p):.0f}% at {_pounds(m)}" for m in marks]
    alt = (
        f"Line chart, the cost-effectiveness acceptability curve. {title}. The chance of being cost-effective is "
        f"{100 * p[0]:.0f}% at {_pounds(lam[0])} per QALY, "
        + ", ".join(at)
        + f" and {100 * p[-1]:.0f}% at {_pounds(lam[-1])}."
    )
    if expected_icer is not None and np.isfinite(expected_icer):
        alt += (
            f" The expected ICER from the simulations is {_pounds(expected_icer)} per QALY"
            + (f" (base case {_pounds(base_icer)})" if base_icer is not None and np.isfinite(base_icer) else "")
            + ("" if shown_icer is not None else ", outside the range shown")
            + "."
        )
    return Chart(fig, alt)


def payback_chart(
    cumulative: np.ndarray, low: np.ndarray, high: np.ndarray, cost: float, title: str, level: float = 0.95
) -> Chart:
    """Cumulative discounted benefits per child by year (expected over the simulations, with
    their interval) against the expected incremental cost per child: payback is where they
    cross."""
    years = np.arange(1, len(cumulative) + 1)
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(8, 4.2))
        ax.fill_between(
            years, low, high, color=QUALITATIVE[4], alpha=0.35, label=f"{level:.0%} interval of simulations"
        )
        ax.plot(years, cumulative, "o-", color=QUALITATIVE[0], label="Cumulative benefits (expected)")
        ax.axhline(cost, color=QUALITATIVE[5], linestyle="--", linewidth=1.2, label=f"Cost per child {_pounds(cost)}")
        ax.set_xticks(years)
        ax.set_ylim(bottom=min(0.0, float(np.min(low)), cost) * 1.05)
        ax.set_xlabel("Year")
        ax.set_ylabel("Present value per child")
        _axis_pounds(ax.yaxis)
        ax.set_title(title, loc="left")
        ax.legend(frameon=False, fontsize=8, loc="upper left")
        fig.tight_layout()
    crossed = np.flatnonzero(cumulative >= cost)
    when = f"pass the cost in year {years[crossed[0]]}" if crossed.size else "do not reach the cost within the horizon"
    alt = (
        f"Line chart. {title}. Cumulative discounted benefits per child (expected over the simulations) "
        + ", ".join(f"year {y}: {_pounds(v)}" for y, v in zip(years, cumulative, strict=True))
        + f"; they {when} ({_pounds(cost)} per child)."
    )
    return Chart(fig, alt)
