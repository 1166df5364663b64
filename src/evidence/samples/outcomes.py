"""Deterministic synthetic outcome data: episodes of care, item-level questionnaires at
baseline and follow-up, and experience (PREM) responses, for four fictional services.

SYNTHETIC: no row describes a real child, family, clinician or service. The shape imitates an
electronic patient record extract (UK dates, label text with inconsistent case, direct
identifiers a real extract carries) so that ingest is exercised as on real data. One service,
"Westvale Neurodevelopmental OT", is redesigned on 1 April 2024, after which waits fall from
about 45 to about 7 weeks, echoing the Swansea Bay case study in RCOT's "Roots of recovery"
(waiting times cut from 45 to 7 weeks); all other effects, rates and sizes are invented.

Identifiers come from ranges that reach nobody: NHS numbers from the never-issued 999 range,
Ofcom drama telephone numbers, RFC 2606 e-mail domains.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from evidence.samples.fiction import (
    FIRST_NAMES,
    POSTCODE_AREAS,
    SURNAMES,
    nhs_test_number,
    weighted_choice,
)

SEED = 20240401  # the redesign date, as a memorable seed
FOLDER = "outcomes_2025_synthetic"
EPISODES = 1400
EXTRACT_DATE = pd.Timestamp("2025-09-30")
REDESIGN = {
    "service": "Westvale Neurodevelopmental OT",
    "date": pd.Timestamp("2024-04-01"),
    "wait_before_weeks": 45.0,
    "wait_after_weeks": 7.0,
}
SERVICES = {  # name: (share of referrals, typical wait in weeks, outcome effect multiplier)
    "Northfield Community Children's OT": (0.32, 22.0, 1.0),
    "Riverside Schools OT": (0.24, 12.0, 0.9),
    "Eastbrook CAMHS OT": (0.16, 28.0, 1.05),
    "Westvale Neurodevelopmental OT": (0.28, None, 0.95),
}
NEEDS = {
    "Developmental coordination disorder": 0.22,
    "Autism": 0.22,
    "ADHD": 0.12,
    "Cerebral palsy": 0.07,
    "Sensory processing": 0.14,
    "Mental health": 0.13,
    "Other": 0.10,
}
TIERS = {"Universal": 0.2, "Targeted": 0.45, "Specialist": 0.35}
TIER_EFFECT = {"Universal": 0.25, "Targeted": 0.5, "Specialist": 0.65}  # latent improvement, SD units
CONTACTS = {"Universal": 2, "Targeted": 5, "Specialist": 9}
BAND_SHARE = {
    "Universal": (0.5, 0.4, 0.1, 0.0),
    "Targeted": (0.25, 0.5, 0.2, 0.05),
    "Specialist": (0.1, 0.4, 0.4, 0.1),
}  # minutes by band 5, 6, 7, 8a
FFT = ["Very good", "Good", "Neither good nor poor", "Poor", "Very poor", "Don't know"]
FFT_P = [0.64, 0.22, 0.05, 0.03, 0.02, 0.04]
PREM_COMMENTS = [
    "The therapist really listened to us.",
    "Waited far too long for the first appointment.",
    "Sessions at school worked well for our son.",
    "Equipment arrived quickly and made a big difference.",
    "We would have liked more sessions.",
    "Clear advice we could use at home.",
]
IDENTIFYING_PREM = [
    "Please call me on {phone} about the chair.",
    "{name} was brilliant with our daughter.",
    "Our NHS number is {nhs}, the letter had it wrong.",
]
ITEMS = 30


def _messy(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """Label text as a record system's free entry leaves it: 8% lower case, 6% with a trailing
    space (milder than a survey export's, :func:`~evidence.samples.fiction.messy_labels`)."""
    out = labels.astype(object).copy()
    draw = rng.random(len(out))
    out[draw < 0.08] = [s.lower() for s in out[draw < 0.08]]
    spaced = (draw >= 0.08) & (draw < 0.14)
    out[spaced] = [f"{s} " for s in out[spaced]]
    return out


def _uk_date(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(pd.Series(dates).dt.strftime("%d/%m/%Y").fillna(""), dtype=object)


def _nhs_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` different NHS numbers from the never-issued 999 range."""
    out: dict[str, None] = {}
    while len(out) < n:
        out[nhs_test_number(rng)] = None
    return list(out)


def outcome_frames(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """The three synthetic extracts as DataFrames of text: episodes, assessments, prems."""
    rng = np.random.default_rng(seed)
    n = EPISODES
    service = weighted_choice(rng, {k: v[0] for k, v in SERVICES.items()}, n)
    need = weighted_choice(rng, NEEDS, n)
    tier = weighted_choice(rng, TIERS, n)
    referral = pd.Timestamp("2023-01-02") + pd.to_timedelta(rng.integers(0, 820, n), unit="D")
    age = rng.integers(2, 18, n)
    birth = referral - pd.to_timedelta(age * 365.25 + rng.integers(0, 365, n), unit="D")
    imd = rng.integers(1, 11, n)
    severity = rng.normal(0, 1, n) + 0.25 * (tier == "Specialist") - 0.3 * (tier == "Universal") + 0.05 * (5.5 - imd)

    typical = np.array([SERVICES[s][1] or 0.0 for s in service])
    redesigned = service == REDESIGN["service"]
    months_after = (referral - REDESIGN["date"]).days / 30.44
    ramp = np.clip(months_after / 3, 0, 1)  # waits fall over the first three months
    westvale = REDESIGN["wait_before_weeks"] + ramp * (REDESIGN["wait_after_weeks"] - REDESIGN["wait_before_weeks"])
    wait_weeks = np.where(redesigned, westvale, typical) * rng.lognormal(0, 0.25, n)
    assessment = referral + pd.to_timedelta(np.round(wait_weeks * 7), unit="D")
    duration_weeks = rng.integers(8, 30, n) + 4 * (tier == "Specialist")
    discharge = assessment + pd.to_timedelta(duration_weeks * 7, unit="D")
    assessed = assessment <= EXTRACT_DATE
    discharged = discharge <= EXTRACT_DATE

    contacts = np.where(assessed, rng.poisson([CONTACTS[t] for t in tier]) + 1, 0)
    minutes = contacts * rng.integers(40, 65, n)
    shares = np.array([BAND_SHARE[t] for t in tier])
    band_minutes = np.round(minutes[:, None] * shares).astype(int)

    episode_id = [f"EP{100000 + i}" for i in rng.permutation(n)]
    child_number = rng.permutation(n) + 300000
    repeat = rng.random(n) < 0.04  # a few children with a second episode share a child ID
    child_number[repeat] = child_number[np.maximum(np.flatnonzero(repeat) - 1, 0)]
    first = rng.choice(np.array(FIRST_NAMES, dtype=object), n)
    last = rng.choice(np.array(SURNAMES, dtype=object), n)
    nhs = np.array(_nhs_numbers(rng, n), dtype=object)
    same_child = {c: i for i, c in enumerate(child_number)}
    canonical = np.array([same_child[c] for c in child_number])
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    postcode = np.array(
        [
            f"{POSTCODE_AREAS[a]}{d} {e}{letters[x]}{letters[y]}"
            for a, d, e, x, y in zip(
                rng.integers(0, len(POSTCODE_AREAS), n),
                rng.integers(1, 30, n),
                rng.integers(1, 10, n),
                rng.integers(0, 20, n),
                rng.integers(0, 20, n),
                strict=True,
            )
        ],
        dtype=object,
    )

    episodes = pd.DataFrame(
        {
            "EpisodeID": episode_id,
            "ChildID": [f"C{c}" for c in child_number],
            "NHSNumber": nhs[canonical],
            "ChildName": (first + " " + last)[canonical],
            "DateOfBirth": _uk_date(pd.Series(birth))[canonical],
            "Sex": _messy(rng, rng.choice(np.array(["Female", "Male"], dtype=object), n, p=[0.38, 0.62])),
            "Postcode": postcode[canonical],
            "IMDDecile": imd.astype(str),
            "Service": service,
            "PrimaryNeed": _messy(rng, need),
            "Tier": _messy(rng, tier),
            "ReferralDate": _uk_date(pd.Series(referral)),
            "AssessmentDate": np.where(assessed, _uk_date(pd.Series(assessment)), ""),
            "DischargeDate": np.where(discharged, _uk_date(pd.Series(discharge)), ""),
            "Contacts": contacts.astype(str),
            "Band5Minutes": band_minutes[:, 0].astype(str),
            "Band6Minutes": band_minutes[:, 1].astype(str),
            "Band7Minutes": band_minutes[:, 2].astype(str),
            "Band8aMinutes": band_minutes[:, 3].astype(str),
            "DataLabel": "SYNTHETIC",
        }
    )

    effect = np.array([TIER_EFFECT[t] for t in tier]) * np.array([SERVICES[s][2] for s in service])
    improvement = effect + rng.normal(0, 0.45, n)
    # loss to follow-up depends on deprivation and baseline severity (missing at random given them)
    p_follow = 1 / (1 + np.exp(-(1.3 + 0.12 * (imd - 5.5) - 0.35 * severity)))
    followed = discharged & (rng.random(n) < p_follow)

    frames = []
    uses_sdq = np.isin(need, ["Autism", "ADHD", "Mental health"]) | (service == "Eastbrook CAMHS OT")
    uses_copm = tier != "Universal"
    uses_gas = (tier != "Universal") & (rng.random(n) < 0.7)
    for instrument, used, width in (
        ("PedsQL", assessed, 23),
        ("SDQ", assessed & uses_sdq, 30),
        ("COPM", assessed & uses_copm, 10),
        ("GAS", assessed & uses_gas, 10),
    ):
        for timepoint, when, rows in (("Baseline", assessment, used), ("Follow-up", discharge, used & followed)):
            idx = np.flatnonzero(rows)
            level = severity[idx] - (improvement[idx] if timepoint == "Follow-up" else 0.0)
            items = _items(rng, instrument, level, timepoint)
            block = pd.DataFrame(items, columns=[f"Item{i}" for i in range(1, width + 1)])
            block = block.reindex(columns=[f"Item{i}" for i in range(1, ITEMS + 1)])
            block.insert(0, "AssessmentDate", _uk_date(pd.Series(when[idx])))
            block.insert(0, "Timepoint", _messy(rng, np.full(len(idx), timepoint, dtype=object)))
            block.insert(0, "Instrument", instrument)
            block.insert(0, "EpisodeID", np.asarray(episode_id, dtype=object)[idx])
            frames.append(block)
    assessments = pd.concat(frames, ignore_index=True)
    # a few questionnaires entered twice, as happens in real records
    assessments = pd.concat(
        [assessments, assessments.iloc[rng.choice(len(assessments), 3, replace=False)]], ignore_index=True
    )
    items = assessments.filter(like="Item").columns
    assessments[items] = assessments[items].astype("Int64").astype("string").fillna("")
    assessments = assessments.sort_values(["EpisodeID", "Instrument", "Timepoint"], kind="stable")

    prem_idx = np.flatnonzero(discharged & (rng.random(n) < 0.55))
    fft_codes = rng.choice(6, len(prem_idx), p=FFT_P)
    experience = np.clip(np.round(4.4 - 0.5 * (fft_codes[:, None] >= 2) + rng.normal(0, 0.6, (len(prem_idx), 5))), 1, 5)
    experience[rng.random(experience.shape) < 0.04] = np.nan
    comments = np.full(len(prem_idx), "", dtype=object)
    says = rng.random(len(prem_idx)) < 0.35
    comments[says] = rng.choice(np.array(PREM_COMMENTS, dtype=object), int(says.sum()))
    for j, i in enumerate(np.flatnonzero(says)[::25]):
        comments[i] = IDENTIFYING_PREM[j % 3].format(
            phone=f"07700 900{rng.integers(0, 1000):03d}",
            name=f"Mrs {SURNAMES[rng.integers(len(SURNAMES))]}",
            nhs=nhs[canonical][prem_idx[i]],
        )
    prems = pd.DataFrame(
        {
            "EpisodeID": np.asarray(episode_id, dtype=object)[prem_idx],
            "CompletedDate": _uk_date(
                pd.Series(discharge[prem_idx] + pd.to_timedelta(rng.integers(0, 21, len(prem_idx)), unit="D"))
            ),
            "FFT": _messy(rng, np.array(FFT, dtype=object)[fft_codes]),
            **{f"Exp{k}": [("" if np.isnan(v) else str(int(v))) for v in experience[:, k - 1]] for k in range(1, 6)},
            "Comment": comments,
        }
    )
    return {"episodes": episodes, "assessments": assessments.reset_index(drop=True), "prems": prems}


def _items(rng, instrument: str, level: np.ndarray, timepoint: str) -> np.ndarray:
    """Item codes for people at latent ``level`` (higher is worse), with some items missing."""
    m = len(level)
    noise = rng.normal(0, 0.8, (m, 30))
    if instrument == "PedsQL":
        items = np.clip(np.round(1.7 + 0.9 * level[:, None] + noise[:, :23]), 0, 4)
    elif instrument == "SDQ":
        raw = np.clip(np.round(0.9 + 0.5 * level[:, None] + 0.6 * noise[:, :25]), 0, 2)
        # prosocial items (a strength) and the reverse-worded difficulty items run the other way;
        # both lists are the instrument's own, so the synthetic totals move with the latent level
        from evidence.instruments.sdq import REVERSED, SUBSCALES

        for reverse in (*SUBSCALES["prosocial"], *REVERSED):
            raw[:, reverse - 1] = 2 - raw[:, reverse - 1]
        impact = np.clip(np.round(1.2 + 0.7 * level[:, None] + noise[:, 25:30]), 0, 3)
        items = np.hstack([raw, impact])
    elif instrument == "COPM":
        problems = rng.integers(2, 6, m)
        perf = np.clip(np.round(5.5 - 1.6 * level[:, None] + noise[:, :5] * 1.2), 1, 10)
        sat = np.clip(np.round(perf + rng.normal(-0.3, 1.0, (m, 5))), 1, 10)
        unused = np.arange(5)[None, :] >= problems[:, None]
        perf[unused], sat[unused] = np.nan, np.nan
        return np.hstack([perf, sat])
    else:  # GAS: -1 at baseline by convention; attainment at follow-up
        goals = rng.integers(2, 5, m)
        if timepoint == "Baseline":
            attain = np.full((m, 5), -1.0)
        else:
            attain = np.clip(np.round(-0.3 - 1.1 * level[:, None] + noise[:, :5]), -2, 2)
        weights = np.where(rng.random((m, 5)) < 0.3, rng.integers(1, 4, (m, 5)), np.nan)
        unused = np.arange(5)[None, :] >= goals[:, None]
        attain[unused], weights[unused] = np.nan, np.nan
        return np.hstack([attain, weights])
    holes = rng.random(items.shape) < 0.03
    sparse = rng.random(m) < 0.01  # a few questionnaires mostly blank
    holes[sparse] = rng.random((int(sparse.sum()), items.shape[1])) < 0.7
    return np.where(holes, np.nan, items)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as an EPR-style CSV extract (UTF-8, CRLF, one header row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(frame.columns)
    writer.writerows(frame.itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8")


def write_sample(parent: str | Path, seed: int = SEED) -> Path:
    """Write the three synthetic extracts into ``parent/outcomes_2025_synthetic/``."""
    folder = Path(parent) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in outcome_frames(seed).items():
        (folder / f"{name}.csv").write_bytes(csv_bytes(frame))
    return folder
