"""The synthetic workforce survey of children's OT staff, as a deterministic online-survey export.

SYNTHETIC: nothing here describes a real person or a real survey response. The sample imitates an
online-survey export (Qualtrics-style: three header rows, answers as
label text with inconsistent case and stray spaces, missing codes, a multi-select column, free
text, timestamps, and the direct identifiers a real export carries) so that the ingest path is
exercised as it will be on real data. The headline proportions are calibrated to the published
RCOT 2025 workforce survey (``data/raw/published/rcot_workforce_survey_2025.csv``); the
breakdowns by nation, sector, setting and band are invented and illustrative.

Identifiers are drawn from ranges reserved for fiction or documentation: e-mail domains from
RFC 2606 (example.com/.org/.net), IP addresses from RFC 5737, telephone numbers from Ofcom's
drama ranges (07700 900000-900999, 020 7946 0000-0999, 0113 496 0000-0999), and NHS numbers
from the 999 range, which NHS England does not issue.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from evidence.samples.fiction import (
    FIRST_NAMES,
    POSTCODE_AREAS,
    SURNAMES,
    messy_labels,
    nhs_test_number,
    weighted_choice,
)
from evidence.survey.definition import SurveyDefinition, workforce_survey

SEED = 20250922  # the date the survey results were published, as a memorable seed
SAMPLE_FILE = "workforce_survey_2025_synthetic.csv"
RESPONDENTS = 675
DUPLICATE_SUBMISSIONS = 3
NO_CONSENT = 12
UNFINISHED = 11

#: Published headline proportions the sample is calibrated to (RCOT news, 22 Sep 2025).
HEADLINE_TARGETS = {
    "increased_demand": 0.71,
    "more_complex_needs": 0.64,
    "not_fully_staffed": 0.46,
    "full_staffing_insufficient": 0.47,
}

NATIONS = {"England": 0.76, "Scotland": 0.11, "Wales": 0.08, "Northern Ireland": 0.05}
SECTORS = {
    "NHS": 0.68,
    "Local authority": 0.08,
    "Education": 0.07,
    "Independent sector": 0.12,
    "Charity or third sector": 0.05,
}
SETTINGS = {
    "Community": 0.38,
    "School": 0.18,
    "CAMHS": 0.10,
    "Acute hospital": 0.12,
    "Neonatal": 0.05,
    "Youth justice": 0.03,
    "Social care": 0.08,
    "Early years": 0.06,
}
BANDS = {"Band 5": 0.12, "Band 6": 0.38, "Band 7": 0.32, "Band 8a or above": 0.13, "Not on Agenda for Change": 0.05}
PRESSURES = {
    "Recruitment": 0.62,
    "Retention": 0.48,
    "Funding": 0.55,
    "Referral volume": 0.70,
    "Complexity of need": 0.58,
    "Waiting lists": 0.66,
    "Space and equipment": 0.27,
}
#: Illustrative log-odds shifts that give the breakdowns some texture (invented).
SETTING_EFFECTS = {
    "increased_demand": {"CAMHS": 0.6, "School": 0.3, "Neonatal": -0.5, "Acute hospital": -0.3},
    "more_complex_needs": {"CAMHS": 0.7, "Youth justice": 0.5, "Early years": 0.2, "Acute hospital": -0.2},
    "not_fully_staffed": {"Community": 0.2, "CAMHS": 0.3, "School": -0.2},
    "full_staffing_insufficient": {"Community": 0.3, "School": 0.2, "Neonatal": -0.4},
}
NATION_EFFECTS = {"Wales": 0.2, "Scotland": -0.15, "Northern Ireland": 0.25}
SECTOR_EFFECTS = {"Independent sector": -0.7, "Charity or third sector": -0.3}

COMMENTS = [
    "Referrals have risen sharply and we cannot keep up.",
    "We have had two vacancies for over a year.",
    "More children are presenting with sensory and mental health needs.",
    "School-based work is rewarding but caseloads are too high.",
    "Equipment budgets have been cut again this year.",
    "Band 5 posts are hard to fill because there is no preceptorship capacity.",
    "Our waiting list has doubled since 2023.",
    "Early intervention would save so much later on.",
    "Staff are burning out; sickness absence is rising.",
    "We rely on agency staff to cover gaps.",
    "Families wait too long for assessment.",
    "Retention of experienced staff is our biggest problem.",
]
#: Comments that carry identifiers, as real free text does; {..} is filled per respondent.
IDENTIFYING_COMMENTS = [
    "Happy to discuss further, call me on {phone}.",
    "Please contact me at {email} about the findings.",
    "Our lead {title_name} retired and was never replaced.",
    "I am {full_name}, team lead, and we are at breaking point.",
    "One child (NHS number {nhs}) waited 70 weeks.",
    "Our base is at {postcode} and parking is impossible.",
    "A child born {dob} is still waiting for assessment.",
]


def _top_k(rng: np.random.Generator, logits: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """Exactly ``k`` positives among ``eligible``, chosen without replacement with
    probability rising with ``logits`` (Gumbel top-k)."""
    keys = np.where(eligible, logits + rng.gumbel(size=len(logits)), -np.inf)
    chosen = np.zeros(len(logits), dtype=bool)
    chosen[np.argsort(-keys, kind="stable")[:k]] = True
    return chosen


def _postcode(rng: np.random.Generator) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    area = POSTCODE_AREAS[rng.integers(len(POSTCODE_AREAS))]
    return (
        f"{area}{rng.integers(1, 30)} {rng.integers(1, 10)}"
        f"{letters[rng.integers(len(letters))]}{letters[rng.integers(len(letters))]}"
    )


def workforce_survey_frame(seed: int = SEED, definition: SurveyDefinition | None = None) -> pd.DataFrame:
    """The synthetic survey export as a DataFrame of text, column names as in the export."""
    definition = definition or workforce_survey()
    rng = np.random.default_rng(seed)
    n = RESPONDENTS
    nation = weighted_choice(rng, NATIONS, n)
    sector = weighted_choice(rng, SECTORS, n)
    setting = weighted_choice(rng, SETTINGS, n)
    band = weighted_choice(rng, BANDS, n)
    independent = np.isin(sector, ["Independent sector", "Charity or third sector"])
    band[independent & (rng.random(n) < 0.55)] = "Not on Agenda for Change"
    base_years = {"Band 5": 2, "Band 6": 6, "Band 7": 12, "Band 8a or above": 18, "Not on Agenda for Change": 10}
    years = np.clip(np.round(np.array([base_years[b] for b in band]) * rng.gamma(3, 1 / 3, n)), 0, 45)

    columns = {c["name"]: c for c in definition.columns}
    answers: dict[str, np.ndarray] = {}
    positives: dict[str, np.ndarray] = {}
    for headline in definition.headlines:
        hid, column = headline["id"], headline["column"]
        scale = columns[column]["scale"]
        logits = (
            np.vectorize(SETTING_EFFECTS[hid].get)(setting, 0.0)
            + np.vectorize(NATION_EFFECTS.get)(nation, 0.0)
            + np.vectorize(SECTOR_EFFECTS.get)(sector, 0.0) * (hid == "not_fully_staffed")
        )
        if hid in ("more_complex_needs", "full_staffing_insufficient"):
            logits = logits + 0.9 * positives["increased_demand"]
        missing_rate = 0.06 if scale == "yes_no" else 0.03
        missing = rng.random(n) < missing_rate
        k = int(round(HEADLINE_TARGETS[hid] * (~missing).sum()))
        positive = _top_k(rng, logits, ~missing, k)
        positives[hid] = positive.astype(float)
        if scale == "agree5":
            upper = np.where(rng.random(n) < 0.58, "Agree", "Strongly agree")
            lower = rng.choice(
                np.array(["Neither agree nor disagree", "Disagree", "Strongly disagree"]), size=n, p=[0.45, 0.40, 0.15]
            )
            label = np.where(positive, upper, lower).astype(object)
            codes = ["", "Prefer not to say", "Don't know", "99"]
        else:  # the headline is the "No" answer
            label = np.where(positive, "No", "Yes").astype(object)
            codes = ["", "Don't know", "Don't know", "Prefer not to say"]
        label = messy_labels(rng, label)
        label[missing] = rng.choice(np.array(codes, dtype=object), size=int(missing.sum()))
        answers[columns[column]["source"]] = label

    chosen = np.column_stack([rng.random(n) < p for p in PRESSURES.values()])
    pressures = np.array(
        [",".join(o for o, c in zip(PRESSURES, row, strict=True) if c) for row in chosen], dtype=object
    )
    pressures[rng.random(n) < 0.04] = ""

    years_text = years.astype(int).astype(str).astype(object)
    years_text[rng.random(n) < 0.03] = "99"
    years_text[rng.random(n) < 0.02] = ""

    first = rng.choice(np.array(FIRST_NAMES, dtype=object), n)
    last = rng.choice(np.array(SURNAMES, dtype=object), n)
    full_name = first + " " + last
    domains = rng.choice(np.array(["example.com", "example.org", "example.net"], dtype=object), n)
    email = [
        f"{f.lower()}.{s.lower().replace(chr(39), '')}{i % 97}@{d}"
        for i, (f, s, d) in enumerate(zip(first, last, domains, strict=True))
    ]
    comments = np.full(n, "", dtype=object)
    commenting = rng.random(n) < 0.3
    comments[commenting] = rng.choice(np.array(COMMENTS, dtype=object), int(commenting.sum()))
    identifying = np.flatnonzero(commenting)[:: max(1, int(commenting.sum()) // 14)]
    for j, i in enumerate(identifying):
        template = IDENTIFYING_COMMENTS[j % len(IDENTIFYING_COMMENTS)]
        comments[i] = template.format(
            phone=f"07700 900{rng.integers(0, 1000):03d}",
            email=email[i],
            title_name=f"Dr {SURNAMES[rng.integers(len(SURNAMES))]}",
            full_name=full_name[i],
            nhs=nhs_test_number(rng),
            postcode=_postcode(rng),
            dob=f"{rng.integers(1, 29):02d}/{rng.integers(1, 13):02d}/{rng.integers(2010, 2022)}",
        )

    start = pd.Timestamp("2025-05-06 08:00:00") + pd.to_timedelta(rng.integers(0, 52 * 24 * 3600, n), unit="s")
    duration = rng.integers(240, 1800, n)
    frame = pd.DataFrame(
        {
            "StartDate": start.strftime("%Y-%m-%d %H:%M:%S"),
            "EndDate": (start + pd.to_timedelta(duration, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "Status": "IP Address",
            "IPAddress": [
                f"{net}.{rng.integers(1, 255)}"
                for net in rng.choice(np.array(["192.0.2", "198.51.100", "203.0.113"]), n)
            ],
            "Progress": "100",
            "Duration (in seconds)": duration.astype(str),
            "Finished": "True",
            "RecordedDate": (start + pd.to_timedelta(duration, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "ResponseId": _response_ids(rng, n + DUPLICATE_SUBMISSIONS + NO_CONSENT + UNFINISHED)[:n],
            "RecipientName": full_name,
            "RecipientEmail": email,
            "Consent": messy_labels(rng, np.full(n, "Yes", dtype=object)),
            "Q1": messy_labels(rng, nation),
            "Q2": messy_labels(rng, sector),
            "Q3": messy_labels(rng, setting),
            "Q4": messy_labels(rng, band),
            **answers,
            "Q9": pressures,
            "Q10": years_text,
            "Q11": comments,
            "Postcode": [_postcode(rng) for _ in range(n)],
            "DataLabel": "SYNTHETIC",
        }
    )
    return _add_excluded_rows(rng, frame)


def _response_ids(rng: np.random.Generator, count: int) -> list[str]:
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    ids = ["R_" + "".join(rng.choice(alphabet, 15)) for _ in range(count)]
    if len(set(ids)) != count:  # 62^15 makes this practically impossible; never silently
        raise RuntimeError("synthetic response IDs collided; change the seed")
    return ids


def _add_excluded_rows(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows a real export has that analysis must not count: repeat submissions (same person,
    new response ID), refusals of consent and unfinished responses."""
    n = len(frame)
    spare_ids = iter(_response_ids(rng, DUPLICATE_SUBMISSIONS + NO_CONSENT + UNFINISHED))
    repeats = frame.iloc[rng.choice(n, DUPLICATE_SUBMISSIONS, replace=False)].copy()
    repeats["StartDate"] = (pd.to_datetime(repeats["StartDate"]) + pd.Timedelta(days=2)).dt.strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    refusals = frame.iloc[rng.choice(n, NO_CONSENT, replace=False)].copy()
    refusals["Consent"] = "No"
    refusals.loc[:, "Q1":"Q11"] = ""
    unfinished = frame.iloc[rng.choice(n, UNFINISHED, replace=False)].copy()
    unfinished["Finished"] = "False"
    unfinished["Progress"] = rng.integers(5, 60, UNFINISHED).astype(str)
    unfinished.loc[:, "Q5":"Q11"] = ""
    extra = pd.concat([repeats, refusals, unfinished])
    extra["ResponseId"] = [next(spare_ids) for _ in range(len(extra))]
    both = pd.concat([frame, extra], ignore_index=True)
    return both.sort_values(["StartDate", "ResponseId"], kind="stable").reset_index(drop=True)


EXPORT_QUESTION_TEXT = {
    "StartDate": "Start Date",
    "EndDate": "End Date",
    "Status": "Response Type",
    "IPAddress": "IP Address",
    "Progress": "Progress",
    "Duration (in seconds)": "Duration (in seconds)",
    "Finished": "Finished",
    "RecordedDate": "Recorded Date",
    "ResponseId": "Response ID",
    "RecipientName": "Recipient Name",
    "RecipientEmail": "Recipient Email",
    "Consent": "Do you consent to take part in this survey?",
    "Postcode": "Your home postcode (for the prize draw)",
    "DataLabel": "DataLabel",
}


def export_csv_bytes(frame: pd.DataFrame, definition: SurveyDefinition | None = None) -> bytes:
    """The frame as an online-survey CSV export: column IDs, question text, import IDs."""
    definition = definition or workforce_survey()
    questions = {**EXPORT_QUESTION_TEXT, **{c["source"]: c["question"] for c in definition.columns}}
    import_ids = [json.dumps({"ImportId": c if not c.startswith("Q") else f"QID{c[1:]}"}) for c in frame.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(frame.columns)
    writer.writerow([questions.get(c, c) for c in frame.columns])
    writer.writerow(import_ids)
    writer.writerows(frame.itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8-sig")


def write_sample(folder: str | Path, seed: int = SEED) -> Path:
    """Write the synthetic workforce-survey export into ``folder``; return its path."""
    path = Path(folder) / SAMPLE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(export_csv_bytes(workforce_survey_frame(seed)))
    return path
