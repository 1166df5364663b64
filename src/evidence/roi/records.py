"""Model inputs from the processed activity and outcome records of one intervention.

The intervention is a tier (Universal, Targeted, Specialist), a named service, or ``All``.
Costs use completed (discharged) episodes, whose staff minutes are final; health gain uses the
children with a baseline and a follow-up questionnaire. Each input is a mean with its standard
error (SD / sqrt(n)) and becomes a model parameter whose probabilistic distribution carries that
sampling uncertainty: gamma for staff hours and time to follow-up (non-negative), normal for the
change in score. Means over fewer children than the disclosure rule's minimum base are refused,
since a mean over a handful of children can disclose one child's record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evidence import outcomes
from evidence.disclosure import DisclosureRule
from evidence.errors import EvidenceError
from evidence.roi.assumption_set import ModelInput
from evidence.roi.model import BAND_LABELS, BANDS, PARAMETERS
from evidence.sourced import FIXED, Distribution

TIERS = ("Universal", "Targeted", "Specialist")
#: The NHS Digital rule (counts 1-7 suppressed, means only over at least 10 children).
DEFAULT_RULE = DisclosureRule()


def select_intervention(
    episodes: pd.DataFrame, intervention: str, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """Episodes of ``intervention`` (a tier, a service name or ``All``) referred between
    ``start`` and ``end``."""
    if intervention in TIERS:
        chosen = outcomes.select_episodes(episodes, "All", start, end)
        chosen = chosen[chosen["tier"].astype(str) == intervention]
        if chosen.empty:
            raise EvidenceError(f"no {intervention}-tier episodes referred between {start} and {end}")
        return chosen
    if intervention != "All" and intervention not in set(episodes["service"]):
        raise EvidenceError(
            f"unknown intervention {intervention!r}: give All, a tier ({', '.join(TIERS)}) "
            f"or a service ({', '.join(sorted(set(episodes['service'])))})"
        )
    return outcomes.select_episodes(episodes, intervention, start, end)


@dataclass(frozen=True)
class CohortInputs:
    """Inputs from the records of one intervention: the children costed (completed episodes)
    and followed up, the model parameters derived from them, and a table of the means (with
    ``n`` for publishing through :func:`evidence.disclosure.publish_summary`)."""

    intervention: str
    children: int
    followed_up: int
    parameters: tuple[ModelInput, ...]
    table: pd.DataFrame


def follow_up_years(scores: pd.DataFrame, episode_ids: pd.Series, instrument: str, scale: str) -> pd.Series:
    """Years from the baseline to the follow-up questionnaire per episode (duplicates left out),
    for episodes with both."""
    chosen = scores[
        (scores["instrument"] == instrument)
        & (scores["scale"] == scale)
        & ~scores["duplicate_of_earlier"]
        & scores["episode_id"].isin(episode_ids)
    ]
    dates = chosen.pivot(index="episode_id", columns="timepoint", values="assessment_date")
    if "Baseline" not in dates or "Follow-up" not in dates:
        return pd.Series(dtype=float)
    return ((dates["Follow-up"] - dates["Baseline"]).dt.days / 365.25).dropna()


def _mean_parameter(name: str, values: pd.Series, distribution: str, description: str) -> tuple[ModelInput, dict]:
    spec = PARAMETERS[name]
    x = values.to_numpy(dtype=float)
    n, mean = len(x), float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    if se <= 0 or (distribution == "gamma" and mean <= 0):
        dist = FIXED
    else:
        dist = Distribution(distribution, se=se)
    note = f"{description}: mean {mean:.3g} (SE {se:.2g}) over {n:,} children"
    parameter = ModelInput(
        name=name,
        label=spec.label,
        kind=spec.kind,
        value=mean,
        unit=spec.unit,
        price_year=None,
        distribution=dist,
        source=None,
        note=note,
        origin="records",
    )
    return parameter, {
        "input": spec.label,
        "unit": spec.unit,
        "n": n,
        "mean": mean,
        "se": se,
        "distribution": dist.describe(),
    }


def cohort_inputs(
    episodes: pd.DataFrame,
    scores: pd.DataFrame,
    intervention: str,
    instrument: str,
    scale: str,
    start: str | None = None,
    end: str | None = None,
    rule: DisclosureRule = DEFAULT_RULE,
) -> CohortInputs:
    """Mean staff hours by band per completed episode, mean change in ``instrument``/``scale``
    (follow-up minus baseline, in scale points) and mean years to follow-up, for the episodes
    of ``intervention`` referred between ``start`` and ``end``."""
    chosen = select_intervention(episodes, intervention, start, end)
    completed = chosen[chosen["discharge_date"].notna()]
    where = f"{intervention} ({start} to {end})"
    if len(completed) < rule.min_base:
        raise EvidenceError(
            f"{where}: {len(completed)} completed episodes; at least {rule.min_base} are needed "
            "to publish costs from the records"
        )
    paired = outcomes.paired_scores(scores, chosen, instrument, scale)
    change = paired["change"].dropna()
    if len(change) < rule.min_base:
        raise EvidenceError(
            f"{where}: {len(change)} children with baseline and follow-up {instrument} {scale} "
            f"scores; at least {rule.min_base} are needed"
        )
    years = follow_up_years(scores, paired.loc[paired["change"].notna(), "episode_id"], instrument, scale)
    found, rows = [], []
    for band in BANDS:
        hours = completed[f"minutes_{band}"].astype(float) / 60
        parameter, row = _mean_parameter(
            f"staff.hours_{band}", hours, "gamma", f"{BAND_LABELS[band]} minutes per completed episode / 60"
        )
        found.append(parameter)
        rows.append(row)
    for name, values, distribution, description in (
        ("outcome.change", change, "normal", f"{instrument} {scale} follow-up minus baseline"),
        ("outcome.years_to_follow_up", years, "gamma", "baseline to follow-up questionnaire"),
    ):
        parameter, row = _mean_parameter(name, values, distribution, description)
        found.append(parameter)
        rows.append(row)
    table = pd.DataFrame(rows)
    return CohortInputs(intervention, len(completed), len(change), tuple(found), table)
