"""Projection assumptions: read and check ``config/projection/<nation>.yml`` and
``config/projection/scenarios.yml``.

A nation file gives every baseline quantity in :data:`BASELINE_SPECS`; the scenarios file
names scenarios, each changing some of :data:`SCENARIO_SPECS`, and sets of them. Every number
is a :class:`~evidence.projection.quantities.Quantity` with a unit and exactly one of
``published``, ``source`` or ``illustrative: true`` (:mod:`evidence.projection.quantities`
says what each means and how an entry is checked); this module holds the files' schema.

Everything is checked on load; all problems are reported together, each naming the file, the
line, the key, the value and the rule broken (:mod:`evidence.sourced.problems`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.errors import ConfigError
from evidence.files import sha256_file
from evidence.paths import PROJECTION_CONFIG, display_path, resolve
from evidence.projection.quantities import Quantity, Spec, read_quantity
from evidence.projection.references import PublishedFigures
from evidence.published import PUBLISHED_FOLDER
from evidence.sourced import ConfigProblem, Problems, check_keys, raise_if_any, read_yaml

NATIONS = ("England", "Scotland", "Wales", "Northern Ireland")
SCENARIOS_FILE = "scenarios.yml"
REFERENCE_SCENARIO = "baseline"
GROWTH_READINGS = ("total", "per_year")

#: The baseline quantities every nation file must give, in the order they are sampled.
BASELINE_SPECS: tuple[Spec, ...] = (
    Spec("nhs_occupational_therapists", "Occupational therapists working in the NHS", "count", 1),
    Spec(
        "children_share",
        "Share of NHS occupational therapists working with children and young people",
        "proportion",
        0,
        1,
    ),
    Spec("wte_per_person", "Whole-time equivalents per occupational therapist", "number", 0.05, 1),
    Spec(
        "international_share",
        "Share of the children's OT workforce recruited internationally",
        "proportion",
        0,
        1,
        True,
    ),
    Spec("leaver_rate", "Annual leaver rate, all occupational therapists", "proportion", 0, 1, True),
    Spec("international_turnover", "12-month turnover, internationally recruited OTs", "proportion", 0, 1),
    Spec("domestic_turnover", "12-month turnover, domestically recruited OTs", "proportion", 0.001, 1),
    Spec("returner_share", "Share of domestic joiners who are returners to practice", "proportion", 0, 1, True),
    Spec(
        "apprenticeship_share_start",
        "Share of newly qualified joiners trained by degree apprenticeship, first year",
        "proportion",
        0,
        1,
        True,
    ),
    Spec("waiting_list_start", "Children and young people waiting for community OT at the start", "count", 0),
    Spec("waiting_list_months", "Months of referrals the starting waiting list represents", "number", 0.1, 120),
    Spec("demand_capacity_ratio", "Referrals divided by capacity in the first year", "number", 0.1, 10),
    Spec("referral_growth", "Growth in referrals per year", "proportion", -0.5, 1),
    Spec("productivity_growth", "Growth in children seen per WTE per year", "proportion", -0.5, 1),
)

#: The quantities a scenario may change; each is optional, some come in pairs.
SCENARIO_SPECS: tuple[Spec, ...] = (
    Spec(
        "referral_growth",
        "Growth in referrals per year (central value; draws keep their spread)",
        "proportion",
        -0.5,
        1,
    ),
    Spec("leaver_rate_to", "Leaver rate reached (all OTs; each draw scaled in proportion)", "proportion", 0, 1, True),
    Spec("leaver_rate_by", "Year (July) by which the new leaver rate is reached", "year", 2000, 2100),
    Spec(
        "international_recruits_factor", "International recruits as a multiple of the baseline number", "number", 0, 10
    ),
    Spec(
        "apprenticeship_share_to",
        "Share of newly qualified joiners trained by degree apprenticeship, reached",
        "proportion",
        0,
        1,
        True,
    ),
    Spec("apprenticeship_share_by", "Year (July) by which that apprenticeship share is reached", "year", 2000, 2100),
    Spec("workforce_growth", "Workforce growth delivered (the joiners needed are solved for)", "proportion", -0.9, 10),
    Spec("workforce_growth_by", "Year (July) by which the workforce growth is reached", "year", 2000, 2100),
)
SCENARIO_PAIRS = (
    ("leaver_rate_to", "leaver_rate_by"),
    ("apprenticeship_share_to", "apprenticeship_share_by"),
    ("workforce_growth", "workforce_growth_by"),
)
NATION_KEYS = {"nation", "start_year", "description", "parameters"}
SCENARIO_KEYS = {"label", "description", "workforce_growth_reading"} | {s.name for s in SCENARIO_SPECS}


@dataclass(frozen=True)
class Scenario:
    """A named scenario: the baseline with the quantities in ``changes`` replaced or added."""

    name: str
    label: str
    description: str
    changes: dict[str, Quantity] = field(default_factory=dict)
    growth_reading: str | None = None


@dataclass(frozen=True)
class Assumptions:
    """Everything loaded for one nation: baseline quantities, scenarios and named sets."""

    nation: str
    start_year: int
    description: str
    parameters: dict[str, Quantity]
    scenarios: dict[str, Scenario]
    sets: dict[str, list[str]]
    files: tuple[Path, ...]

    def scenario_set(self, name: str) -> list[Scenario]:
        """The scenarios of a named set, in order; a ConfigError names the sets there are."""
        if name not in self.sets:
            raise ConfigError(
                f"unknown scenario set {name!r}; {SCENARIOS_FILE} defines {', '.join(map(repr, self.sets))}"
            )
        return [self.scenarios[s] for s in self.sets[name]]


def _check_nation(nation: str, folder: Path) -> Path:
    if nation not in NATIONS:
        raise ConfigError(f"unknown nation {nation!r}; use one of {', '.join(NATIONS)}")
    path = folder / f"{nation.lower().replace(' ', '_')}.yml"
    if not path.is_file():
        raise ConfigError(
            f"no projection baseline for {nation}: {display_path(path)} does not exist. The "
            "published sources this project holds give workforce, leaver and waiting-list figures "
            "for England only (RCOT, Occupational therapy Workforce Strategy action plan - "
            f"England), so {nation} is not projected rather than projected on England's figures. "
            f"To add it, copy england.yml to {path.name} and give every figure a {nation} source, "
            "or a value marked illustrative: true (the report will then say it is illustrative)."
        )
    return path


def load_assumptions(
    folder: str | Path = PROJECTION_CONFIG, nation: str = "England", published_folder: str | Path = PUBLISHED_FOLDER
) -> Assumptions:
    """Load and check the baseline for ``nation`` and the scenarios; raise
    :class:`~evidence.errors.ConfigError` listing every problem found."""
    folder = resolve(folder)
    published = PublishedFigures(resolve(published_folder))
    nation_path = _check_nation(nation, folder)
    document, lines = read_yaml(nation_path)
    problems = Problems(nation_path, lines)
    parameters: dict[str, Quantity] = {}
    start_year = 0
    if not isinstance(document, dict):
        problems.add((), document, f"must be a mapping with keys {', '.join(sorted(NATION_KEYS))}")
        document = {}
    check_keys(document, (), NATION_KEYS, problems)
    if document and document.get("nation") != nation:
        problems.add(("nation",), document.get("nation"), f"this file is read for {nation}; nation must say so")
    if document:
        year = document.get("start_year")
        if isinstance(year, int) and not isinstance(year, bool) and 2000 <= year <= 2100:
            start_year = year
        else:
            problems.add(("start_year",), year, "must be a year (the July the projection starts)")
    entries = document.get("parameters") if document else {}
    if not isinstance(entries, dict):  # only a document that is there can hold a wrong one
        problems.add(("parameters",), entries, "must be a mapping of quantity name to quantity")
        entries = {}
    known = {s.name for s in BASELINE_SPECS}
    for name in sorted(set(entries) - known):
        problems.add(("parameters", name), None, f"unknown quantity; the model uses {', '.join(sorted(known))}")
    for spec in BASELINE_SPECS if document else ():
        if spec.name not in entries:
            problems.add(("parameters",), None, f"missing quantity {spec.name!r} ({spec.description})")
            continue
        quantity = read_quantity(spec, entries[spec.name], ("parameters", spec.name), problems, published, nation)
        if quantity is not None:
            parameters[spec.name] = quantity
    scenarios_path = folder / SCENARIOS_FILE
    scenarios, sets, scenario_problems = _load_scenarios(scenarios_path, published)
    raise_if_any(
        [*problems.found, *scenario_problems],
        "the projection assumptions",
        "Every figure needs a unit and exactly one of published, source or illustrative: true "
        "(see config/projection/README.md).",
    )
    files = (
        nation_path,
        scenarios_path,
        *(resolve(published_folder) / f"{name}.csv" for name in sorted(published.used)),
    )
    return Assumptions(nation, start_year, str(document.get("description", "")), parameters, scenarios, sets, files)


def _load_scenarios(
    path: Path, published: PublishedFigures
) -> tuple[dict[str, Scenario], dict[str, list[str]], list[ConfigProblem]]:
    if not path.is_file():
        raise ConfigError(f"{display_path(path)}: no scenarios file")
    document, lines = read_yaml(path)
    problems = Problems(path, lines)
    if not isinstance(document, dict) or set(document) != {"scenarios", "sets"}:
        problems.add((), None, "must be a mapping with exactly the keys scenarios and sets")
        return {}, {}, problems.found
    entries = document["scenarios"]
    scenarios: dict[str, Scenario] = {}
    specs = {s.name: s for s in SCENARIO_SPECS}
    if not isinstance(entries, dict) or REFERENCE_SCENARIO not in entries:
        problems.add(("scenarios",), None, f"must be a mapping of scenarios including {REFERENCE_SCENARIO!r}")
        entries = entries if isinstance(entries, dict) else {}
    for name, entry in entries.items():
        where = ("scenarios", str(name))
        if not isinstance(entry, dict):
            problems.add(where, entry, "must be a mapping with label, description and changes")
            continue
        check_keys(entry, where, SCENARIO_KEYS, problems)
        for key in ("label", "description"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                problems.add((*where, key), entry.get(key), "text is required")
        changes = {}
        for key in [k for k in entry if k in specs]:
            quantity = read_quantity(specs[key], entry[key], (*where, key), problems, published, None, uncertain=False)
            if quantity is not None:
                changes[key] = quantity
        for first, second in SCENARIO_PAIRS:
            if (first in entry) != (second in entry):
                problems.add(where, None, f"{first} and {second} go together; give both or neither")
        reading = entry.get("workforce_growth_reading")
        if ("workforce_growth" in entry) != (reading is not None) or (
            reading is not None and reading not in GROWTH_READINGS
        ):
            problems.add(
                (*where, "workforce_growth_reading"),
                reading,
                f"with workforce_growth, say how it is read: {' or '.join(GROWTH_READINGS)}",
            )
        scenarios[str(name)] = Scenario(
            str(name), str(entry.get("label", name)), str(entry.get("description", "")), changes, reading
        )
    sets = document["sets"]
    checked: dict[str, list[str]] = {}
    if not isinstance(sets, dict) or not sets:
        problems.add(("sets",), sets, "must map set names to lists of scenario names")
        sets = {}
    for name, members in sets.items():
        where = ("sets", str(name))
        if not isinstance(members, list) or not members:
            problems.add(where, members, "must be a non-empty list of scenario names")
            continue
        for number, member in enumerate(members):
            if member not in entries:
                problems.add(
                    (*where, str(number)), member, f"no such scenario; scenarios are {', '.join(map(str, entries))}"
                )
        if len(set(members)) != len(members):
            problems.add(where, members, "a scenario may appear only once in a set")
        checked[str(name)] = [str(m) for m in members]
    return scenarios, checked, problems.found


def input_manifests(
    assumptions: Assumptions, context: tuple[str, ...] = (), published_folder: str | Path = PUBLISHED_FOLDER
) -> list[dict[str, Any]]:
    """The files behind a projection, in the form
    :func:`evidence.reporting.notebook.declare_inputs` records (path and SHA-256; none is
    synthetic sample data); ``context`` names further published files the report shows
    (``data/raw/published/<name>.csv``), so that a change to them reruns it too."""
    extra = tuple(resolve(published_folder) / f"{name}.csv" for name in context)
    return [
        {"dataset": path.stem, "input": {"path": display_path(path), "sha256": sha256_file(path)}, "synthetic": False}
        for path in (*assumptions.files, *extra)
    ]
