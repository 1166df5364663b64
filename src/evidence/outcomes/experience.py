"""Families' experience of care: the Friends and Family Test over the processed PREMs, by group
and overall, and in words from publishable figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence.outcomes.report import _rounded


def fft_table(prems: pd.DataFrame, by: str, include_dont_know: bool = True) -> pd.DataFrame:
    """Friends and Family Test by group: responses (n) and positive answers (very good or
    good), for :func:`evidence.disclosure.publish_proportions`."""
    answered = prems.dropna(subset=["fft"])
    if not include_dont_know:
        answered = answered[answered["fft"] != "Don't know"]
    positive = answered["fft"].isin(["Very good", "Good"])
    grouped = positive.groupby(answered[by], observed=True)
    return pd.DataFrame(
        {by: grouped.size().index, "n": grouped.size().to_numpy(), "positive": grouped.sum().to_numpy().astype(int)}
    )


def fft_overall(prems: pd.DataFrame, include_dont_know: bool = True) -> dict[str, float]:
    """:func:`evidence.instruments.experience.fft_summary` over the ``fft`` column of processed PREMs
    (an ordered categorical in code order 1-6)."""
    from evidence.instruments.experience import fft_summary

    codes = pd.Series(prems["fft"].cat.codes, index=prems.index).replace(-1, np.nan) + 1
    return fft_summary(codes, include_dont_know=include_dont_know)


def describe_experience(fft: dict, experience: pd.Series, rule) -> str:
    """The Friends and Family Test and the experience score in words, from publishable
    figures: percentages from the rounded counts (as in the tables), shown only for a base of
    at least ``rule.min_base`` with the count not suppressed, and the mean score only over at
    least ``rule.min_base`` answers (:mod:`evidence.disclosure`)."""
    from evidence.disclosure import disclosed_proportions, suppress_statistic

    counts = pd.DataFrame(
        {"answer": ["positive", "negative"], "n": [fft["n"], fft["n"]], "positive": [fft["positive"], fft["negative"]]}
    )
    safe = disclosed_proportions(counts, rule=rule, parts_of_total=False)
    if not bool(safe["shown"].iloc[0]):
        return "Too few families answered the Friends and Family Test to report it."
    good = safe.iloc[0]
    text = (
        f"Of {_rounded(fft['n'], rule)} families who answered, **{100 * good['proportion']:.0f}%** said their "
        f"experience was good or very good (95% interval {100 * good['ci_low']:.0f}% to "
        f"{100 * good['ci_high']:.0f}%)"
    )
    poor = safe.iloc[1]
    text += (
        f" and {100 * poor['proportion']:.0f}% poor or very poor"
        if bool(poor["shown"])
        else "; too few said poor or very poor to give a percentage"
    )
    text += f' ("don\'t know" {"included in" if fft["dont_know_in_denominator"] else "left out of"} the base).'
    scores = experience.dropna()
    mean = suppress_statistic(scores.mean() if len(scores) else np.nan, len(scores), rule, "{:.0f}")
    if mean is not None:
        text += f" The mean experience score was {mean} out of 100 (illustrative scale)."
    return text
