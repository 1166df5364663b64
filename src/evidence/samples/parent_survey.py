"""The synthetic parent/carer experience survey of a children's OT service, as a deterministic
Google Forms export (``Timestamp``, then one column a question; no respondent ID).

SYNTHETIC: every answer is drawn at random from the invented, illustrative shares below; a few
comments carry a telephone number from Ofcom's drama range (07700 900000-900999), as real free
text carries identifiers. Its definition is ``config/surveys/parent_experience.yml``.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from evidence.samples.fiction import messy_labels, weighted_choice

SAMPLE_FILE = "parent_experience_2025_synthetic.csv"
SEED = 20250401
RESPONDENTS = 240
#: Illustrative (invented) shares of the Friends and Family Test answers.
FFT_SHARES = {
    "Very good": 0.58,
    "Good": 0.25,
    "Neither good nor poor": 0.06,
    "Poor": 0.04,
    "Very poor": 0.02,
    "Don't know": 0.05,
}
SETTINGS = {"Clinic": 0.5, "School": 0.35, "Home": 0.15}
#: Illustrative (invented) log-odds of agreeing with each statement, by question; a better
#: overall rating raises them (0.6 a step), for texture.
STATEMENTS = {"Q3": 0.6, "Q4": 0.2, "Q5": 0.0, "Q6": -0.5, "Q7": 0.3}
COMMENTS = [
    "The therapist was brilliant with my son.",
    "We waited a long time for the first appointment.",
    "The exercises were easy to fit into our day.",
    "School sessions meant I could not see what was done.",
    "More appointments after school would help working parents.",
    "My daughter now dresses herself, which we never expected.",
    "Clear advice and a friendly team.",
    "Parking at the clinic is difficult.",
]


def parent_experience_frame(seed: int = SEED) -> pd.DataFrame:
    """The export as a DataFrame of text, column names as in the export, and a ``DataLabel``
    column marking every row synthetic."""
    rng = np.random.default_rng(seed)
    n = RESPONDENTS
    fft = weighted_choice(rng, FFT_SHARES, n)
    rating = (
        pd.Series(fft)
        .map(
            {
                "Very good": 2.0,
                "Good": 1.0,
                "Neither good nor poor": 0.0,
                "Poor": -1.5,
                "Very poor": -2.5,
                "Don't know": 0.0,
            }
        )
        .to_numpy()
    )
    answers = {}
    for column, base in STATEMENTS.items():
        logit = base + 0.6 * rating + rng.normal(0, 0.7, n)
        level = np.digitize(logit, [-1.6, -0.7, 0.1, 1.5])  # 0..4: strongly disagree..strongly agree
        labels = np.array(
            ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"], dtype=object
        )[level]
        labels[rng.random(n) < 0.03] = ""
        answers[column] = messy_labels(rng, labels)
    comments = np.full(n, "", dtype=object)
    commenting = rng.random(n) < 0.35
    comments[commenting] = rng.choice(np.array(COMMENTS, dtype=object), int(commenting.sum()))
    for i in np.flatnonzero(commenting)[::25]:  # identifiers typed into comments, as real ones have
        comments[i] = f"Please call me on 07700 900{rng.integers(0, 1000):03d} about the waiting time."
    stamp = pd.Timestamp("2025-04-01 09:00:00") + pd.to_timedelta(
        np.sort(rng.integers(0, 364 * 24 * 3600, n)), unit="s"
    )
    return pd.DataFrame(
        {
            "Timestamp": stamp.strftime("%d/%m/%Y %H:%M:%S"),
            "Overall, how was your experience of our service?": messy_labels(rng, fft),
            "Where did your child's sessions mostly take place?": messy_labels(rng, weighted_choice(rng, SETTINGS, n)),
            "The therapist listened to me and my child.": answers["Q3"],
            "I was involved in decisions about my child's therapy.": answers["Q4"],
            "The advice I was given was easy to use at home.": answers["Q5"],
            "We were offered appointments at times that suited us.": answers["Q6"],
            "Therapy has helped my child with everyday activities.": answers["Q7"],
            "Is there anything else you would like to tell us about our service?": comments,
            "DataLabel": "SYNTHETIC",
        }
    )


def write_sample(folder: str | Path, seed: int = SEED) -> Path:
    """Write the synthetic parent-experience export (Google Forms CSV) into ``folder``."""
    path = Path(folder) / SAMPLE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    parent_experience_frame(seed).to_csv(buffer, index=False, lineterminator="\r\n")
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path
