"""The findings of each shipped notebook: an *extractor*, registered in :data:`EXTRACTORS`
under the notebook's name, turns one results file (:class:`~evidence.reporting.results_file.Results`)
into a theme, a few plain-language sentences (text and :class:`~evidence.reporting.results_file.Figure`
parts) and whether they rest on illustrative assumptions. A new report's notebook gets one here
(see :mod:`evidence.reporting.findings`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from evidence.reporting.formats import (
    about,
    chance,
    decimal2,
    humane,
    percent,
    percent_points,
    pounds,
    pounds_pence,
    whole,
    year,
)
from evidence.reporting.results_file import FindingError, Part, Results, pointer_token

NUMBER = re.compile(r"^[+\-\u2212]?\d[\d,]*(?:\.\d+)?$")


def _published(value: Any) -> bool:
    """A disclosure-controlled table cell that holds a number (not ``*`` or blank)."""
    return isinstance(value, str) and bool(NUMBER.match(value.strip()))


#: What an extractor returns: (theme, sentences, illustrative).
Extracted = tuple[str, list[list[Part]], bool]
PARENT_WORDS = ("parent", "carer", "famil", "experience")


def survey_theme(*names: str) -> str:
    """The survey notebook serves the workforce survey and the parents' experience survey: the
    results' ``report`` name (or the job's name and title) tells which."""
    text = " ".join(names).casefold()
    return "families" if any(word in text for word in PARENT_WORDS) else "workforce"


def survey_findings(results: Results, job: dict[str, Any]) -> Extracted:
    """Each headline share with its 95% Wilson interval and its base (the survey notebook's
    ``headlines``)."""
    theme = survey_theme(
        results.text("/report").value,
        str(results.data.get("survey", "")),
        str(job.get("name", "")),
        str(job.get("title", "")),
    )
    sentences: list[list[Part]] = []
    for i, _ in enumerate(results.rows("/headlines")):
        at = f"/headlines/{i}"
        sentences.append(
            [
                results.figure(f"{at}/proportion", percent),
                " of respondents ",
                results.text(f"{at}/statement"),
                " (95% interval ",
                results.figure(f"{at}/ci_low", percent),
                " to ",
                results.figure(f"{at}/ci_high", percent),
                "; ",
                results.figure(f"{at}/n", whole),
                " answered).",
            ]
        )
    return theme, sentences, False


def outcomes_findings(results: Results, job: dict[str, Any]) -> Extracted:
    """The mean change in score per intervention tier, with its 95% interval and the number of
    children (the published, disclosure-controlled ``change_by_tier`` table)."""
    from evidence.instruments import get_instrument

    instrument, scale = results.text("/instrument").value, results.text("/scale").value
    better = get_instrument(instrument).higher_is_better.get(scale)
    if better is None:
        raise FindingError(f"{results.source}: instrument {instrument!r} has no scale {scale!r}")
    service = results.text("/service")
    where: list[Part] = ["across all services"] if service.value == "All" else ["at ", service]
    sentences: list[list[Part]] = [
        [
            "Change in the ",
            results.text("/scale", humane),
            " score from first to last assessment, ",
            *where,
            f" ({'a rise' if better else 'a fall'} is an improvement):",
        ]
    ]
    interval_key = "change_ci_low|change_ci_high"
    for i, row in enumerate(results.rows("/change_by_tier")):
        at = f"/change_by_tier/{i}"
        for key in ("tier", "Children", "mean_change", interval_key):
            results.get(f"{at}/{pointer_token(key)}")  # a missing column fails loudly
        tier = results.text(f"{at}/tier")
        if not (_published(row["mean_change"]) and _published(row["Children"])):
            sentences.append([tier, " tier: not published (too few children to show safely)."])
            continue
        interval = row[interval_key]
        bounds = interval.split(" to ") if isinstance(interval, str) else []
        if len(bounds) != 2 or not all(_published(b) for b in bounds):
            raise FindingError(f"{results.source}: {at}/{interval_key} should read 'low to high', got {interval!r}")
        sentences.append(
            [
                tier,
                " tier: ",
                results.text(f"{at}/mean_change"),
                " points on average (95% interval ",
                results.text(f"{at}/{pointer_token(interval_key)}"),
                "; ",
                results.text(f"{at}/Children"),
                " children).",
            ]
        )
    return "outcomes", sentences, False


def roi_findings(results: Results, job: dict[str, Any]) -> Extracted:
    """Benefit-cost ratio and net benefit per child: their expected values with 95% Monte Carlo
    intervals and the base case beside them (as the ROI report headlines them), the chance that
    benefits exceed costs, and how many assumptions are illustrative."""
    illustrative = results.number("/headline/illustrative_assumptions")
    sentences: list[list[Part]] = [
        [
            "Each pound spent on the ",
            results.text("/intervention", str.lower),
            " intervention returns, on average over the simulations, about ",
            results.figure("/headline/bcr", pounds_pence),
            " in health and avoided costs (95% interval ",
            results.figure("/headline/bcr_interval/0", pounds_pence),
            " to ",
            results.figure("/headline/bcr_interval/1", pounds_pence),
            "; base case ",
            results.figure("/headline/base_case/bcr", pounds_pence),
            "), compared with the comparator, \u201c",
            results.text("/comparator"),
            "\u201d.",
        ],
        [
            "Expected net benefit per child ",
            results.figure("/headline/npv_per_child", pounds),
            " (95% interval ",
            results.figure("/headline/npv_interval/0", pounds),
            " to ",
            results.figure("/headline/npv_interval/1", pounds),
            "; base case ",
            results.figure("/headline/base_case/npv", pounds),
            "); the chance that benefits exceed costs is ",
            results.figure("/headline/probabilities/npv_positive", chance),
            ".",
        ],
        [
            results.figure("/headline/illustrative_assumptions", whole),
            " of the ",
            results.figure("/headline/assumptions_from_the_set", whole),
            " assumptions are illustrative, not published figures.",
        ],
    ]
    return "value", sentences, illustrative > 0


MEASURES = {
    "SMD": "standardised mean difference",
    "MC": "mean change",
    "GEN": "pooled effect",
    "OR": "odds ratio (log scale)",
    "RR": "risk ratio (log scale)",
    "MD": "mean difference",
}


def synthesis_findings(results: Results, job: dict[str, Any]) -> Extracted:
    """The pooled effect with its confidence and prediction intervals, and I-squared."""
    measure = results.text("/measure").value
    label = MEASURES.get(measure, f"effect ({measure})")
    sentences: list[list[Part]] = [
        [
            "Pooled over ",
            results.count("/studies"),
            f" studies, the {label} is ",
            results.figure("/pooled/estimate", decimal2),
            " (",
            results.figure("/level", percent),
            " confidence interval ",
            results.figure("/pooled/ci_low", decimal2),
            " to ",
            results.figure("/pooled/ci_high", decimal2),
            ").",
        ],
        [
            "In a new setting it could plausibly lie between ",
            results.figure("/pooled/pi_low", decimal2),
            " and ",
            results.figure("/pooled/pi_high", decimal2),
            " (prediction interval); I\u00b2, the share of the variation due to real differences between studies, is ",
            results.figure("/pooled/i2", percent_points),
            ".",
        ],
    ]
    return "evidence", sentences, False


def projection_findings(results: Results, job: dict[str, Any]) -> Extracted:
    """The waiting list at the horizon under the baseline and under the scenario that ends
    shortest, with the projection's interval, and how many assumptions are illustrative."""
    rows = results.rows("/horizon")
    for i in range(len(rows)):
        results.number(f"/horizon/{i}/waiting_median")
    best = min(range(len(rows)), key=lambda i: rows[i]["waiting_median"])
    baseline = next((i for i, r in enumerate(rows) if r.get("scenario") == "baseline"), 0)

    def at_horizon(i: int) -> list[Part]:
        at = f"/horizon/{i}"
        return [
            results.figure(f"{at}/waiting_median", about),
            " children (",
            results.figure("/interval", percent),
            " interval ",
            results.figure(f"{at}/waiting_low", about),
            " to ",
            results.figure(f"{at}/waiting_high", about),
            ")",
        ]

    start, end = (
        results.number(f"/horizon/{baseline}/waiting_start"),
        results.number(f"/horizon/{baseline}/waiting_median"),
    )
    sentences: list[list[Part]] = [
        [
            "Under the ",
            results.text(f"/horizon/{baseline}/label", str.lower),
            " scenario the waiting list in ",
            results.text("/nation"),
            f" {'grows' if end > start else 'falls'} from ",
            results.figure(f"/horizon/{baseline}/waiting_start", about),
            " children in ",
            results.figure("/start_year", year),
            " to about ",
            *at_horizon(baseline),
            " after ",
            results.figure("/horizon_years", whole),
            " years.",
        ],
    ]
    if best != baseline:
        sentences.append(
            [
                "The shortest list comes under \u201c",
                results.text(f"/horizon/{best}/label"),
                "\u201d: about ",
                *at_horizon(best),
                ".",
            ]
        )
    illustrative = results.get("/illustrative/values")
    if not isinstance(illustrative, list):
        raise FindingError(f"{results.source}: /illustrative/values should be a list")
    sentences.append(
        [
            results.count("/illustrative/values"),
            " of the values it rests on are illustrative "
            "(no published source), so these are planning scenarios, not forecasts.",
        ]
    )
    return "planning", sentences, bool(illustrative)


#: Extractors by notebook file name (without ``.ipynb``).
EXTRACTORS: dict[str, Callable[[Results, dict[str, Any]], Extracted]] = {
    "workforce_survey": survey_findings,
    "survey_report": survey_findings,  # any survey with a definition (e.g. the parents' experience survey)
    "intervention_outcomes": outcomes_findings,
    "return_on_investment": roi_findings,
    "evidence_synthesis": synthesis_findings,
    "workforce_projection": projection_findings,
}
#: The theme of a report whose results cannot be read (a failed run), by notebook.
NOTEBOOK_THEMES = {
    "workforce_survey": "workforce",
    "survey_report": "families",
    "intervention_outcomes": "outcomes",
    "return_on_investment": "value",
    "evidence_synthesis": "evidence",
    "workforce_projection": "planning",
}
