"""Key findings for the front page, read from each report's results JSON (never retyped).

Each notebook writes its tidy results with :func:`evidence.reporting.notebook.save_results`;
an *extractor*, registered here under the notebook's name, turns one results file into a theme
and a few plain-language sentences. Every number in a sentence is a :class:`Figure` that keeps
the JSON pointer (RFC 6901) it was read from and the value found there, so the page can show
where each number came from and a test can check that the page says what the file says.

An extractor reads keys strictly: a missing key, or a value of the wrong kind, raises
:class:`FindingError` naming the file and the pointer. :func:`findings_for_jobs` catches it and
the front page says "No finding available" for that report rather than guessing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.errors import ConfigError, EvidenceError

#: The front page's themes, in the order they are shown: (key, heading).
THEMES: tuple[tuple[str, str], ...] = (
    ("workforce", "Workforce"),
    ("outcomes", "Children's outcomes"),
    ("families", "Families' experience"),
    ("value", "Value for money"),
    ("evidence", "Evidence"),
    ("planning", "Workforce planning"),
    ("other", "Other reports"),
)
MINUS = "\u2212"  # a true minus sign, as the reports print negative numbers


class FindingError(EvidenceError):
    """A results file lacks what its extractor needs (or holds it in another shape)."""


@dataclass(frozen=True)
class Figure:
    """One value shown on the front page: ``text`` as shown, ``value`` as found at ``pointer``
    in the results file (a number, or text such as a disclosure-controlled ``"+3.8"``);
    ``count`` marks the length of the list at ``pointer``."""

    pointer: str
    value: Any
    text: str
    count: bool = False


Part = str | Figure


@dataclass
class Finding:
    """What the front page says about one report."""

    name: str
    title: str
    theme: str
    status: str  # "available", "unavailable" (no finding could be read) or "failed"
    html: str | None = None  # the report's page, relative to the index
    results: str | None = None  # its results file, relative to the index
    sentences: list[list[Part]] = field(default_factory=list)
    synthetic: bool = False
    illustrative: bool = False  # rests on illustrative (unsourced) assumptions
    note: str = ""  # why no finding is available
    stale_from: str = ""  # when the report shown was made, if by an earlier run (run.json's report_made_utc)


class Results:
    """A results file with strict, pointer-based access."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        if not isinstance(data, dict):
            raise FindingError(f"{source}: results must be a JSON object, got {type(data).__name__}")
        self.data = data
        self.source = source

    @classmethod
    def read(cls, path: Path) -> Results:
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")), path.name)
        except (OSError, ValueError) as error:
            raise FindingError(f"{path.name}: cannot read the results file ({error})") from None

    def get(self, pointer: str) -> Any:
        """The value at a JSON pointer such as ``/headline/bcr_interval/0``."""
        return resolve_pointer(self.data, pointer, self.source)

    def number(self, pointer: str) -> float:
        value = self.get(pointer)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise FindingError(f"{self.source}: {pointer} should be a finite number, got {value!r}")
        return float(value)

    def rows(self, pointer: str) -> list[dict[str, Any]]:
        value = self.get(pointer)
        if not isinstance(value, list) or not value or not all(isinstance(r, dict) for r in value):
            raise FindingError(f"{self.source}: {pointer} should be a non-empty list of records, got {value!r:.80}")
        return value

    def figure(self, pointer: str, show: Callable[[float], str]) -> Figure:
        value = self.number(pointer)
        return Figure(pointer, self.get(pointer), show(value))

    def text(self, pointer: str, show: Callable[[str], str] = str) -> Figure:
        value = self.get(pointer)
        if not isinstance(value, str) or not value.strip():
            raise FindingError(f"{self.source}: {pointer} should be text, got {value!r}")
        return Figure(pointer, value, show(value))

    def count(self, pointer: str) -> Figure:
        value = self.get(pointer)
        if not isinstance(value, list):
            raise FindingError(f"{self.source}: {pointer} should be a list, got {value!r:.80}")
        return Figure(pointer, len(value), f"{len(value):,}", count=True)


def resolve_pointer(data: Any, pointer: str, source: str = "results") -> Any:
    """The value at an RFC 6901 JSON pointer; a missing key or index is a :class:`FindingError`."""
    if pointer == "":
        return data
    if not pointer.startswith("/"):
        raise FindingError(f"{source}: {pointer!r} is not a JSON pointer")
    value = data
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            raise FindingError(f"{source}: no {pointer} in the results (missing {token!r})")
    return value


def pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# Number formats (UK style; a minus sign for negatives).

def _signed(text: str, negative: bool) -> str:
    return f"{MINUS}{text}" if negative else text


def percent(value: float) -> str:
    """A proportion (0.7045) as a whole percentage ("70%")."""
    return _signed(f"{abs(value) * 100:.0f}%", value < 0 and round(abs(value) * 100) != 0)


def chance(value: float) -> str:
    """A probability as a whole percentage, never rounded to certainty: 0.9995 is "over 99%",
    0.0004 "under 1%"."""
    if 0.995 <= value < 1:
        return "over 99%"
    if 0 < value < 0.005:
        return "under 1%"
    return percent(value)


def percent_points(value: float) -> str:
    """A value already in percent (41.8) as a whole percentage ("42%")."""
    return _signed(f"{abs(value):.0f}%", value < 0 and round(abs(value)) != 0)


def pounds(value: float) -> str:
    """Whole pounds: "£1,201", "−£313"."""
    return _signed(f"£{abs(value):,.0f}", value < 0 and round(abs(value)) != 0)


def pounds_pence(value: float) -> str:
    """Pounds and pence: "£2.65", "−£0.72"."""
    return _signed(f"£{abs(value):,.2f}", value < 0 and round(abs(value), 2) != 0)


def decimal2(value: float) -> str:
    return _signed(f"{abs(value):.2f}", value < 0 and round(abs(value), 2) != 0)


def whole(value: float) -> str:
    return _signed(f"{abs(value):,.0f}", value < 0 and round(abs(value)) != 0)


def year(value: float) -> str:
    return f"{value:.0f}"


def about(value: float) -> str:
    """Three significant figures for large counts ("172,578" as "173,000"); smaller ones whole."""
    if abs(value) < 1000:
        return whole(value)
    digits = int(math.floor(math.log10(abs(value)))) + 1
    return whole(round(value, 3 - digits))


def humane(text: str) -> str:
    """A code such as ``total_difficulties`` as words."""
    return text.replace("_", " ")


NUMBER = re.compile(r"^[+\-\u2212]?\d[\d,]*(?:\.\d+)?$")


def _published(value: Any) -> bool:
    """A disclosure-controlled table cell that holds a number (not ``*`` or blank)."""
    return isinstance(value, str) and bool(NUMBER.match(value.strip()))


# Extractors: one per notebook. Each returns (theme, sentences, illustrative).

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
    theme = survey_theme(results.text("/report").value, str(results.data.get("survey", "")),
                         str(job.get("name", "")), str(job.get("title", "")))
    sentences: list[list[Part]] = []
    for i, _ in enumerate(results.rows("/headlines")):
        at = f"/headlines/{i}"
        sentences.append([
            results.figure(f"{at}/proportion", percent), " of respondents ", results.text(f"{at}/statement"),
            " (95% interval ", results.figure(f"{at}/ci_low", percent), " to ",
            results.figure(f"{at}/ci_high", percent), "; ", results.figure(f"{at}/n", whole), " answered).",
        ])
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
    sentences: list[list[Part]] = [[
        "Change in the ", results.text("/scale", humane), " score from first to last assessment, ", *where,
        f" ({'a rise' if better else 'a fall'} is an improvement):"]]
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
        sentences.append([
            tier, " tier: ", results.text(f"{at}/mean_change"), " points on average (95% interval ",
            results.text(f"{at}/{pointer_token(interval_key)}"), "; ", results.text(f"{at}/Children"),
            " children)."])
    return "outcomes", sentences, False


def roi_findings(results: Results, job: dict[str, Any]) -> Extracted:
    """Benefit-cost ratio and net benefit per child: their expected values with 95% Monte Carlo
    intervals and the base case beside them (as the ROI report headlines them), the chance that
    benefits exceed costs, and how many assumptions are illustrative."""
    illustrative = results.number("/headline/illustrative_assumptions")
    sentences: list[list[Part]] = [
        ["Each pound spent on the ", results.text("/intervention", str.lower), " intervention returns, on "
         "average over the simulations, about ", results.figure("/headline/bcr", pounds_pence),
         " in health and avoided costs (95% interval ",
         results.figure("/headline/bcr_interval/0", pounds_pence), " to ",
         results.figure("/headline/bcr_interval/1", pounds_pence), "; base case ",
         results.figure("/headline/base_case/bcr", pounds_pence), "), compared with the comparator, \u201c",
         results.text("/comparator"), "\u201d."],
        ["Expected net benefit per child ", results.figure("/headline/npv_per_child", pounds), " (95% interval ",
         results.figure("/headline/npv_interval/0", pounds), " to ", results.figure("/headline/npv_interval/1", pounds),
         "; base case ", results.figure("/headline/base_case/npv", pounds),
         "); the chance that benefits exceed costs is ",
         results.figure("/headline/probabilities/npv_positive", chance), "."],
        [results.figure("/headline/illustrative_assumptions", whole), " of the ",
         results.figure("/headline/assumptions_from_the_set", whole),
         " assumptions are illustrative, not published figures."],
    ]
    return "value", sentences, illustrative > 0


MEASURES = {"SMD": "standardised mean difference", "MC": "mean change", "GEN": "pooled effect",
            "OR": "odds ratio (log scale)", "RR": "risk ratio (log scale)", "MD": "mean difference"}


def synthesis_findings(results: Results, job: dict[str, Any]) -> Extracted:
    """The pooled effect with its confidence and prediction intervals, and I-squared."""
    measure = results.text("/measure").value
    label = MEASURES.get(measure, f"effect ({measure})")
    sentences: list[list[Part]] = [
        ["Pooled over ", results.count("/studies"), f" studies, the {label} is ",
         results.figure("/pooled/estimate", decimal2), " (", results.figure("/level", percent),
         " confidence interval ", results.figure("/pooled/ci_low", decimal2), " to ",
         results.figure("/pooled/ci_high", decimal2), ")."],
        ["In a new setting it could plausibly lie between ", results.figure("/pooled/pi_low", decimal2), " and ",
         results.figure("/pooled/pi_high", decimal2), " (prediction interval); I\u00b2, the share of the "
         "variation due to real differences between studies, is ", results.figure("/pooled/i2", percent_points), "."],
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
        return [results.figure(f"{at}/waiting_median", about), " children (", results.figure("/interval", percent),
                " interval ", results.figure(f"{at}/waiting_low", about), " to ",
                results.figure(f"{at}/waiting_high", about), ")"]

    start, end = results.number(f"/horizon/{baseline}/waiting_start"), results.number(f"/horizon/{baseline}/waiting_median")
    sentences: list[list[Part]] = [
        ["Under the ", results.text(f"/horizon/{baseline}/label", str.lower), " scenario the waiting list in ",
         results.text("/nation"), f" {'grows' if end > start else 'falls'} from ",
         results.figure(f"/horizon/{baseline}/waiting_start", about), " children in ",
         results.figure("/start_year", year), " to about ", *at_horizon(baseline), " after ",
         results.figure("/horizon_years", whole), " years."],
    ]
    if best != baseline:
        sentences.append(["The shortest list comes under \u201c", results.text(f"/horizon/{best}/label"),
                          "\u201d: about ", *at_horizon(best), "."])
    illustrative = results.get("/illustrative/values")
    if not isinstance(illustrative, list):
        raise FindingError(f"{results.source}: /illustrative/values should be a list")
    sentences.append([results.count("/illustrative/values"), " of the values it rests on are illustrative "
                      "(no published source), so these are planning scenarios, not forecasts."])
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
NOTEBOOK_THEMES = {"workforce_survey": "workforce", "survey_report": "families", "intervention_outcomes": "outcomes",
                   "return_on_investment": "value", "evidence_synthesis": "evidence",
                   "workforce_projection": "planning"}


def notebook_key(job: dict[str, Any]) -> str:
    return Path(str(job.get("notebook", ""))).stem


def _fallback_theme(job: dict[str, Any]) -> str:
    key = notebook_key(job)
    if key in ("workforce_survey", "survey_report"):
        return survey_theme(str(job.get("name", "")), str(job.get("title", "")))
    return NOTEBOOK_THEMES.get(key, "other")


def extract(job: dict[str, Any], results: Results) -> Finding:
    """The finding for one job from its results (errors propagate: for tests and callers that
    want to know)."""
    key = notebook_key(job)
    if key not in EXTRACTORS:
        raise FindingError(f"no extractor for notebook {key!r} (report {job.get('name')!r}); "
                           f"add one to evidence.reporting.findings.EXTRACTORS")
    theme, sentences, illustrative = EXTRACTORS[key](results, job)
    synthetic = results.data.get("synthetic")
    synthetic = bool(job.get("synthetic")) if synthetic is None else bool(synthetic) or bool(job.get("synthetic"))
    return Finding(job["name"], job.get("title", job["name"]), theme, "available", job.get("html"),
                   job.get("results"), sentences, synthetic, illustrative)


def finding_for_job(job: dict[str, Any], folder: Path) -> Finding:
    """What the front page says about one job of ``run.json``: its finding, or why there is
    none. Never raises for bad or missing results: the page says "No finding available"."""
    name, title = job["name"], job.get("title", job["name"])
    stale_from = str(job.get("report_made_utc") or "an earlier run") if job.get("report") == "stale" else ""
    base = Finding(name, title, _fallback_theme(job), "unavailable", job.get("html"), job.get("results"),
                   synthetic=bool(job.get("synthetic")), stale_from=stale_from)
    if job.get("status") == "failed":
        base.status, base.html, base.note = "failed", None, "The report failed this year."
        return base
    if job.get("report") == "none" and job.get("status") in ("interrupted", "not-run", "queued"):
        base.html = None
        base.note = {"queued": "The report is still being made in this run.",
                     "interrupted": "The run was interrupted while this report was being made.",
                     "not-run": "The run was interrupted before this report was made."}[job["status"]]
        return base
    if not job.get("results") or not (folder / job["results"]).is_file():
        status = job.get("status")
        base.note = ("The report wrote no results file." if status in ("succeeded", "skipped", None)
                     else f"The report has no results (its status: {status}).")
        return base
    try:
        finding = extract(job, Results.read(folder / job["results"]))
        finding.stale_from = stale_from
        return finding
    except (FindingError, ConfigError, KeyError, TypeError, ValueError, IndexError) as error:
        base.note = f"The results could not be summarised ({error})."
        return base


def findings_for_jobs(jobs: list[dict[str, Any]], folder: Path) -> list[Finding]:
    """One finding per job, in the batch's order."""
    return [finding_for_job(job, folder) for job in jobs]


def by_theme(findings: list[Finding]) -> list[tuple[str, str, list[Finding]]]:
    """(theme key, heading, findings) for every theme; "other" only when it has findings."""
    grouped = [(key, heading, [f for f in findings if f.theme == key]) for key, heading in THEMES]
    return [g for g in grouped if g[0] != "other" or g[2]]
