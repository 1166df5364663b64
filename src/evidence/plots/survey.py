"""Survey figures: diverging Likert bars and proportions with intervals."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from evidence.plots.intervals import interval_chart
from evidence.plots.theme import DIVERGING_5, THEME, Chart


def likert_chart(distribution: pd.DataFrame, questions: dict[str, str], title: str) -> Chart:
    """Diverging stacked bars: one bar per question, disagreement left of zero, agreement
    right, the neutral answer split across zero (Robbins & Heiberger 2011, JSM).

    ``distribution``: rows are questions (index matches ``questions``), columns the five
    answers in scale order, values counts (already disclosure-rounded by the caller).
    """
    counts = distribution.astype(float)
    shares = counts.div(counts.sum(axis=1), axis=0) * 100
    levels = list(shares.columns)
    if len(levels) != 5:
        raise ValueError(f"likert_chart needs five answer levels, got {levels}")
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(8, 1.1 + 0.75 * len(shares)))
        y = np.arange(len(shares))[::-1]
        left = -(shares.iloc[:, 0] + shares.iloc[:, 1] + shares.iloc[:, 2] / 2).to_numpy()
        for level, colour in zip(levels, DIVERGING_5, strict=True):
            width = shares[level].to_numpy()
            ax.barh(y, width, left=left, color=colour, edgecolor="white", height=0.6, label=level)
            for yi, xi, wi in zip(y, left, width, strict=True):
                if wi >= 6:
                    ax.text(
                        xi + wi / 2,
                        yi,
                        f"{wi:.0f}%",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if colour in (DIVERGING_5[0], DIVERGING_5[4]) else "black",
                    )
            left = left + width
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_yticks(y, [questions[q] for q in shares.index])
        ax.set_xlim(-100, 100)
        ax.set_xticks(range(-100, 101, 25), [f"{abs(t)}%" for t in range(-100, 101, 25)])
        ax.set_xlabel("Share of valid answers")
        ax.set_title(title, loc="left")
        ax.legend(
            ncol=5,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.35 if len(shares) < 3 else -0.2),
            frameon=False,
            fontsize=8,
        )
        fig.tight_layout()
    agree = (shares.iloc[:, 3] + shares.iloc[:, 4]).round().astype(int)
    disagree = (shares.iloc[:, 0] + shares.iloc[:, 1]).round().astype(int)
    parts = [
        f"{questions[q]}: {agree[q]}% agree or strongly agree, {disagree[q]}% disagree or strongly disagree"
        for q in shares.index
    ]
    return Chart(fig, f"Diverging bar chart. {title}. " + "; ".join(parts) + ".")


def proportion_dot_chart(
    estimates: pd.DataFrame,
    label: str,
    title: str,
    xlabel: str,
    reference: float | None = None,
    reference_label: str = "",
) -> Chart:
    """Proportions with interval bars, one row per group, on a 0-100% axis (groups with no
    published estimate are listed as suppressed). ``estimates`` has columns ``label``,
    ``proportion``, ``ci_low``, ``ci_high`` (proportions in [0, 1])."""
    return interval_chart(
        estimates,
        label,
        "proportion",
        "ci_low",
        "ci_high",
        title,
        xlabel,
        scale=100,
        fmt="{:.0f}%",
        xlim=(0, 100),
        reference=reference,
        reference_label=reference_label,
        who="responses",
    )
