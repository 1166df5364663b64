"""Point estimates with interval bars, one row per group: the one chart behind survey
proportions by group and outcome effect sizes by tier."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from evidence.plots.theme import QUALITATIVE, THEME, Chart


def interval_chart(
    table: pd.DataFrame,
    label: str,
    estimate: str,
    low: str,
    high: str,
    title: str,
    xlabel: str,
    scale: float = 1.0,
    fmt: str = "{:+.2f}",
    xlim: tuple[float, float] | None = None,
    reference: float | None = None,
    reference_label: str = "",
    who: str = "people",
) -> Chart:
    """Estimates (times ``scale``) with interval bars; rows with no estimate (suppressed) are
    listed beneath as not shown. ``fmt`` formats numbers in the alt text; ``reference`` draws a
    vertical line, with a legend entry when ``reference_label`` is given."""
    shown = table.dropna(subset=[estimate])
    hidden = table.loc[table[estimate].isna(), label].astype(str).tolist()
    e, lo, hi = (shown[c].to_numpy(float) * scale for c in (estimate, low, high))
    with plt.rc_context(THEME):
        fig, ax = plt.subplots(figsize=(8, 1.3 + 0.45 * max(len(shown), 1)))
        y = np.arange(len(shown))[::-1]
        ax.errorbar(e, y, xerr=np.vstack([e - lo, hi - e]), fmt="o", color=QUALITATIVE[0], ecolor="#555555", capsize=3)
        if reference is not None:
            ax.axvline(
                reference * scale,
                color=QUALITATIVE[5] if reference_label else "#333333",
                linestyle="--" if reference_label else "-",
                linewidth=1,
                label=reference_label or None,
            )
            if reference_label:
                ax.legend(
                    frameon=False, fontsize=8, loc="upper right", bbox_to_anchor=(1.0, -0.12 - 0.5 / max(len(shown), 1))
                )
        ax.set_yticks(y, shown[label].astype(str))
        if xlim:
            ax.set_xlim(*xlim)
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left")
        if hidden:
            fig.text(0.01, 0.01, f"Not shown (too few {who}): " + ", ".join(hidden), fontsize=8)
        fig.tight_layout(rect=(0, 0.05 if hidden else 0, 1, 1))
    parts = [
        f"{name}: {fmt.format(a)} (interval {fmt.format(b)} to {fmt.format(c)})"
        for name, a, b, c in zip(shown[label].astype(str), e, lo, hi, strict=True)
    ]
    alt = f"Dot chart with interval bars. {title}. " + "; ".join(parts) + "."
    if hidden:
        alt += f" Not shown because of too few {who}: " + ", ".join(hidden) + "."
    return Chart(fig, alt)
