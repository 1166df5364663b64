"""Patient-reported experience measures (PREMs): the Friends and Family Test and a generic
five-item experience scale.

Friends and Family Test (FFT): "Overall, how was your experience of our service?", answered
1 very good, 2 good, 3 neither good nor poor, 4 poor, 5 very poor, 6 don't know (NHS England,
"Friends and Family Test guidance", 2019, in use from April 2020). Percent positive is (very good
+ good) / responses and percent negative is (poor + very poor) / responses. Whether "don't
know" answers belong in the denominator is a stated parameter (``include_dont_know``); NHS
England's published FFT data count all responses, so the default includes them.

Experience scale: five items answered 1 (never) to 5 (always), higher is better; the score is
the mean of answered items rescaled to 0-100, when at least 3 of 5 are answered.
This scale is generic and illustrative, not a published instrument.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evidence.instruments.base import Instrument, mean_if_enough, register
from evidence.stats import wilson_interval

FFT_LABELS = {1: "Very good", 2: "Good", 3: "Neither good nor poor", 4: "Poor", 5: "Very poor", 6: "Don't know"}
FFT_POSITIVE, FFT_NEGATIVE, FFT_DONT_KNOW = (1, 2), (4, 5), 6


def fft_summary(codes: pd.Series, include_dont_know: bool = True, level: float = 0.95) -> dict[str, float]:
    """Percent positive and negative (as proportions, with Wilson intervals) from FFT codes
    1-6; missing answers are left out; ``include_dont_know`` decides whether code 6 counts in
    the denominator."""
    answered = pd.to_numeric(codes, errors="coerce").dropna()
    if not answered.isin(FFT_LABELS).all():
        raise ValueError("FFT codes must be 1-6")
    if not include_dont_know:
        answered = answered[answered != FFT_DONT_KNOW]
    n = len(answered)
    positive = int(answered.isin(FFT_POSITIVE).sum())
    negative = int(answered.isin(FFT_NEGATIVE).sum())
    p_low, p_high = wilson_interval(positive, n, level) if n else (np.nan, np.nan)
    n_low, n_high = wilson_interval(negative, n, level) if n else (np.nan, np.nan)
    return {
        "n": n,
        "positive": positive,
        "negative": negative,
        "p_positive": positive / n if n else np.nan,
        "positive_ci_low": p_low,
        "positive_ci_high": p_high,
        "p_negative": negative / n if n else np.nan,
        "negative_ci_low": n_low,
        "negative_ci_high": n_high,
        "dont_know_in_denominator": include_dont_know,
    }


def _experience(items: np.ndarray) -> dict[str, np.ndarray]:
    return {"experience": mean_if_enough((items[:, :5] - 1) * 25.0, max_missing=2)}


EXPERIENCE = register(
    Instrument(
        name="experience",
        title="Generic experience scale (5 items, 0-100; illustrative)",
        item_ranges={i: (1, 5) for i in range(1, 6)},
        reversed_items=(),
        missing_rule="mean of answered items rescaled to 0-100 when at least 3 of 5 are answered",
        scales={"experience": (1, 2, 3, 4, 5)},
        higher_is_better={"experience": True},
        scorer=_experience,
        reference="illustrative generic scale defined by this project",
        table="prems",
    )
)
