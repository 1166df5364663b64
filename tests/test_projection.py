"""The workforce and waiting-list projection: hand-worked examples, the accounting invariants
(flat stock, flows that add up in every year and draw), Monte Carlo reproducibility, the
config checks, the back test, and the report's pieces."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evidence.disclosure import PublishedTable, publish_estimates
from evidence.errors import ConfigError, EvidenceError
from evidence.plots.projection import fan_chart, flows_chart
from evidence.projection import assumption_tables, checks, summary
from evidence.projection.assumptions import BASELINE_SPECS, input_manifests, load_assumptions
from evidence.projection.model import (
    group_leaver_rates,
    growth_target,
    linear_ramp,
    project_waiting_list,
    project_workforce,
    time_to_clear,
)
from evidence.projection.scenarios import (
    ROUTES,
    central_values,
    project_scenarios,
    sample_values,
)
from evidence.reporting.jobs import load_config
from evidence.reporting.parameters import read_parameters

from .conftest import ROOT

CONFIG = ROOT / "config" / "projection"
NOTEBOOK = ROOT / "notebooks" / "workforce_projection.ipynb"


# --- the model, by hand -------------------------------------------------------------------


def test_one_group_by_hand():
    # 100 WTE, 10% leave a year, 5 join a year: 100 -> 100 - 10 + 5 = 95 -> 95 - 9.5 + 5 = 90.5
    # -> 90.5 - 9.05 + 5 = 86.45
    path = project_workforce(np.array([100.0]), np.full((3, 1), 0.1), np.full((3, 1), 5.0), np.array([0]))
    np.testing.assert_allclose(path.stock[:, 0], [100, 95, 90.5, 86.45])
    np.testing.assert_allclose(path.leavers[:, 0], [10, 9.5, 9.05])
    np.testing.assert_allclose(path.joiners[:, 0], [5, 5, 5])


def test_two_groups_and_routes_by_hand():
    # domestic 90 at 10%, international 10 at 20%; graduates (8) and returners (1) join
    # domestic, international recruits (3) join international.
    # year 1: domestic 90 - 9 + 9 = 90, international 10 - 2 + 3 = 11
    # year 2: domestic 90 - 9 + 9 = 90, international 11 - 2.2 + 3 = 11.8
    path = project_workforce(
        np.array([90.0, 10.0]), np.tile([0.1, 0.2], (2, 1)), np.tile([8.0, 1.0, 3.0], (2, 1)), np.array([0, 0, 1])
    )
    np.testing.assert_allclose(path.stock, [[90, 10], [90, 11], [90, 11.8]])
    np.testing.assert_allclose(path.joiners_by_group(), [[9, 3], [9, 3]])
    np.testing.assert_allclose(path.total, [100, 101, 101.8])


def test_target_is_met_by_the_solved_routes_only():
    # 100 WTE, 10% leave (90 stay), international recruits fixed at 2; target 110 at point 1
    # needs 110 - 90 - 2 = 18 newly qualified, shared 75/25 between graduates and apprentices.
    # Point 2 has no target: the supply-led numbers (4 and 1) apply again.
    path = project_workforce(
        np.array([100.0]),
        np.full((2, 1), 0.1),
        np.tile([4.0, 1.0, 2.0], (2, 1)),
        np.array([0, 0, 0]),
        target_total=np.array([100.0, 110.0, np.nan]),
        solved_share=np.tile([0.75, 0.25, 0.0], (2, 1)),
    )
    np.testing.assert_allclose(path.joiners[0], [13.5, 4.5, 2.0])
    np.testing.assert_allclose(path.joiners[1], [4.0, 1.0, 2.0])
    np.testing.assert_allclose(path.total, [100, 110, 110 - 11 + 7])


def test_a_target_below_the_stock_does_not_cut_it():
    # target 80 but 90 stay and 2 join anyway: no newly qualified joiners, stock 92.
    path = project_workforce(
        np.array([100.0]),
        np.full((1, 1), 0.1),
        np.array([[4.0, 2.0]]),
        np.array([0, 0]),
        target_total=np.array([100.0, 80.0]),
        solved_share=np.array([[1.0, 0.0]]),
    )
    np.testing.assert_allclose(path.joiners[0], [0.0, 2.0])
    assert path.total[-1] == pytest.approx(92.0)


def test_a_target_needs_solved_shares_and_shapes_must_match():
    with pytest.raises(ValueError, match="solved_share"):
        project_workforce(
            np.array([1.0]), np.zeros((1, 1)), np.zeros((1, 1)), np.array([0]), target_total=np.array([1.0, 1.0])
        )
    with pytest.raises(ValueError, match="route_group"):
        project_workforce(np.array([1.0]), np.zeros((1, 1)), np.zeros((1, 2)), np.array([0]))
    with pytest.raises(ValueError, match="index the 1 groups"):
        project_workforce(np.array([1.0]), np.zeros((1, 1)), np.zeros((1, 1)), np.array([1]))


def test_waiting_list_by_hand():
    # 100 waiting, 50 referred and 80 seen a year: 100 -> 70 -> 40 -> 10 -> 0 (10 + 50 seen of
    # 80 possible) -> 0; it empties 10 / (80 - 50) of the way through the fourth year.
    path = project_waiting_list(100.0, np.full(5, 50.0), np.full(5, 80.0))
    np.testing.assert_allclose(path.waiting, [100, 70, 40, 10, 0, 0])
    np.testing.assert_allclose(path.seen, [80, 80, 80, 60, 50])
    assert path.time_to_clear == pytest.approx(3 + 10 / 30)
    np.testing.assert_allclose(path.weeks_of_capacity(), 52 * np.array([70, 40, 10, 0, 0]) / 80)


def test_time_to_clear_when_never_and_when_already_empty():
    never = project_waiting_list(100.0, np.full(4, 80.0), np.full(4, 50.0))
    assert np.isnan(never.time_to_clear)
    np.testing.assert_allclose(never.waiting, [100, 130, 160, 190, 220])
    assert time_to_clear(np.array([0.0, 0.0]), np.array([5.0, 5.0]), np.array([5.0, 5.0])) == 0
    # batch axes: one list clears in year 0, the other in year 1
    both = time_to_clear(np.array([[10.0, 0.0], [30.0, 10.0]]), np.full((2, 2), 10.0), np.full((2, 2), 30.0))
    np.testing.assert_allclose(both, [0.5, 1.5])


def test_time_to_clear_does_not_divide_where_the_list_never_empties():
    # capacity a whisker above zero against a long list: no clearing, and no overflow on the way
    with np.errstate(all="raise"):
        assert np.isnan(time_to_clear(np.array([1e5]), np.array([0.0]), np.array([1e-310])))


def test_leaver_rates_split_to_average_the_overall_rate():
    # 8% overall, 10% international, turnover 19.8% against 12.8%: domestic = 0.08 / (0.9 +
    # 0.1 * 19.8 / 12.8) = 0.0758519..., international = 0.1173334...
    domestic, international = group_leaver_rates(0.08, 0.1, 19.8 / 12.8)
    assert domestic == pytest.approx(0.08 / (0.9 + 0.1 * 19.8 / 12.8))
    assert domestic == pytest.approx(0.0758519, abs=1e-7)
    assert international / domestic == pytest.approx(19.8 / 12.8)
    assert 0.9 * domestic + 0.1 * international == pytest.approx(0.08)


def test_linear_ramp_by_hand():
    # from 8% in 2024 to 6.9% in 2027: a third of 1.1 points a year, then level
    ramp = linear_ramp(0.08, 0.069, 2024, 2027, np.arange(2024, 2030))
    np.testing.assert_allclose(ramp, [0.08, 0.08 - 0.011 / 3, 0.08 - 0.022 / 3, 0.069, 0.069, 0.069])
    np.testing.assert_allclose(linear_ramp(1.0, 2.0, 2024, 2024, np.arange(2024, 2027)), [2, 2, 2])
    many = linear_ramp(np.array([0.0, 1.0]), np.array([1.0, 1.0]), 2024, np.array([2026, 2025]), np.arange(2024, 2027))
    np.testing.assert_allclose(many, [[0, 0.5, 1], [1, 1, 1]])


def test_growth_target_readings():
    years = np.arange(2024, 2040)
    total = growth_target(100.0, 0.034, 2024, 2036, years, False)
    per_year = growth_target(100.0, 0.034, 2024, 2036, years, True)
    assert total[12] == pytest.approx(103.4) and total[6] == pytest.approx(100 * np.sqrt(1.034))
    assert per_year[12] == pytest.approx(100 * 1.034**12) and per_year[1] == pytest.approx(103.4)
    np.testing.assert_allclose(total[12:], 103.4)  # held level after the target year
    np.testing.assert_allclose(per_year[12:], 100 * 1.034**12)


# --- invariants ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    stock=arrays(float, (5, 3), elements=st.floats(0, 5000)),
    rates=arrays(float, (5, 3), elements=st.floats(0, 0.6)),
    years=st.integers(1, 20),
)
def test_balanced_flows_keep_every_group_flat(stock, rates, years):
    """No growth and joiners equal to leavers in each group: the stock never moves, in any
    draw (rows) or year."""
    joiners = np.repeat((rates * stock)[:, None, :], years, axis=1)  # one route per group
    path = project_workforce(stock, np.repeat(rates[:, None, :], years, axis=1), joiners, np.arange(3))
    np.testing.assert_allclose(
        path.stock, np.repeat(stock[:, None, :], years + 1, axis=1), atol=1e-9 * (1 + stock.max())
    )


@settings(max_examples=40, deadline=None)
@given(
    stock=arrays(float, (4, 2), elements=st.floats(0, 5000)),
    rates=arrays(float, (4, 6, 2), elements=st.floats(0, 0.9)),
    joiners=arrays(float, (4, 6, 3), elements=st.floats(0, 500)),
    target=arrays(float, (4, 7), elements=st.floats(0, 8000) | st.just(np.nan)),
    waiting=arrays(float, (4,), elements=st.floats(0, 1e5)),
    referrals=arrays(float, (4, 6), elements=st.floats(0, 1e5)),
    capacity=arrays(float, (4, 6), elements=st.floats(0, 1e5)),
)
def test_flows_add_up_every_year_and_draw(stock, rates, joiners, target, waiting, referrals, capacity):
    path = project_workforce(stock, rates, joiners, np.array([0, 0, 1]), target, np.tile([0.6, 0.4, 0.0], (4, 6, 1)))
    assert np.abs(checks.workforce_flow_error(path)).max() <= 1e-9 * (1 + np.abs(path.stock).max())
    assert (path.stock >= 0).all() and (path.joiners >= 0).all()
    queue = project_waiting_list(waiting, referrals, capacity)
    assert np.abs(checks.waiting_flow_error(queue)).max() <= 1e-9 * (1 + queue.waiting.max())
    assert (queue.waiting >= 0).all() and (queue.seen <= capacity + 1e-9).all()


@pytest.fixture(scope="module")
def assumptions():
    return load_assumptions(CONFIG, "England")


@pytest.fixture(scope="module")
def runs(assumptions):
    scenarios = assumptions.scenario_set("all")
    draws = sample_values(assumptions, 300, np.random.default_rng(11))
    return {
        "scenarios": scenarios,
        "draws": draws,
        "mc": project_scenarios(assumptions, scenarios, 15, draws),
        "central": project_scenarios(assumptions, scenarios, 15, central_values(assumptions)),
    }


def _index(projection, name):
    return projection.scenarios.index(name)


def test_shipped_scenarios_add_up_in_every_year_scenario_and_draw(runs):
    mc = runs["mc"]
    assert mc.workforce.stock.shape == (9, 300, 16, 2)
    assert np.abs(checks.workforce_flow_error(mc.workforce)).max() < 1e-8
    assert np.abs(checks.waiting_flow_error(mc.waiting)).max() < 1e-6
    assert (mc.waiting.waiting >= 0).all()


def test_baseline_at_central_values_holds_its_size(runs):
    assert checks.stock_drift(runs["central"], "baseline").max() < 1e-9
    joiners = runs["central"].workforce.joiners_by_group()[0, 0]
    np.testing.assert_allclose(joiners, runs["central"].workforce.leavers[0, 0])


def test_draws_with_higher_leaver_rates_shrink_the_baseline(runs, assumptions):
    mc, draws = runs["mc"], runs["draws"]
    end = mc.wte[_index(mc, "baseline"), :, -1]
    start = mc.wte[_index(mc, "baseline"), :, 0]
    central = assumptions.parameters["leaver_rate"].value
    high, low = draws["leaver_rate"] > central + 0.005, draws["leaver_rate"] < central - 0.005
    assert high.any() and low.any()
    assert (end[high] < start[high]).mean() > 0.9 and (end[low] > start[low]).mean() > 0.9


def test_scenarios_change_what_they_say_and_nothing_else(runs, assumptions):
    mc = runs["mc"]
    base, retention = _index(mc, "baseline"), _index(mc, "better_retention")
    # common random numbers: better retention never has a smaller workforce or a longer list
    assert (mc.wte[retention] >= mc.wte[base] - 1e-9).all()
    assert (mc.waiting.waiting[retention] <= mc.waiting.waiting[base] + 1e-6).all()
    # leaver rate scaled to 6.9/8 from July 2027 onwards
    rate = mc.workforce.leavers / mc.workforce.stock[..., :-1, :]
    np.testing.assert_allclose(rate[retention, :, 3:], rate[base, :, 3:] * 0.069 / 0.08)
    np.testing.assert_allclose(rate[retention, :, 0], rate[base, :, 0])
    # LTWP read in total: 3.4% more by July 2036 (point 12), level after
    ltwp = _index(mc, "ltwp_total")
    np.testing.assert_allclose(mc.wte[ltwp, :, 12], 1.034 * mc.wte[ltwp, :, 0])
    np.testing.assert_allclose(mc.wte[ltwp, :, 13:], mc.wte[ltwp, :, 12:13].repeat(3, axis=-1))
    # apprenticeships: graduates unchanged, apprentices 25% of newly qualified from July 2031
    apprentices = _index(mc, "apprenticeship_25")
    joiners = mc.workforce.joiners
    np.testing.assert_allclose(joiners[apprentices, ..., 0], joiners[base, ..., 0])
    share = joiners[apprentices, ..., 1] / joiners[apprentices, ..., :2].sum(axis=-1)
    np.testing.assert_allclose(share[:, 7:], 0.25)
    # international recruits halved, other routes untouched
    halved = _index(mc, "international_halved")
    np.testing.assert_allclose(joiners[halved, ..., 3], 0.5 * joiners[base, ..., 3])
    np.testing.assert_allclose(joiners[halved, ..., :3], joiners[base, ..., :3])
    # demand: referral growth shifted by +3 points in every draw, the workforce unchanged
    high = _index(mc, "high_demand")
    growth = runs["draws"]["referral_growth"][:, None]
    np.testing.assert_allclose(
        mc.waiting.referrals[high] / mc.waiting.referrals[base], ((1 + growth + 0.03) / (1 + growth)) ** np.arange(15)
    )
    np.testing.assert_allclose(mc.wte[high], mc.wte[base])


def test_waiting_list_does_not_depend_on_the_illustrative_scale(assumptions, runs):
    """The children's share and WTE per person set only the workforce's scale."""
    parameters = dict(assumptions.parameters)
    parameters["children_share"] = dataclasses.replace(parameters["children_share"], value=0.3)
    parameters["wte_per_person"] = dataclasses.replace(parameters["wte_per_person"], value=0.5)
    rescaled = dataclasses.replace(assumptions, parameters=parameters)
    draws = dict(runs["draws"], children_share=np.full(300, 0.3), wte_per_person=np.full(300, 0.5))
    other = project_scenarios(rescaled, runs["scenarios"], 15, draws)
    np.testing.assert_allclose(other.waiting.waiting, runs["mc"].waiting.waiting, rtol=1e-9)
    np.testing.assert_allclose(other.wte, runs["mc"].wte * (0.3 * 0.5) / (0.15 * 14439 / 17024), rtol=1e-9)


def test_projection_refuses_bad_horizons_and_impossible_rates(assumptions, runs):
    for horizon in (0, 51, 2.5, True):
        with pytest.raises(ConfigError, match="horizon"):
            project_scenarios(assumptions, runs["scenarios"], horizon, runs["draws"])
    with pytest.raises(ConfigError, match="no scenarios"):
        project_scenarios(assumptions, [], 10, runs["draws"])
    draws = dict(runs["draws"], leaver_rate=np.full(300, 0.95))
    with pytest.raises(ConfigError, match=r"leaver rate outside \[0, 1\)"):
        project_scenarios(assumptions, runs["scenarios"], 10, draws)


# --- Monte Carlo --------------------------------------------------------------------------


def test_same_seed_same_results_other_seed_other_results(assumptions):
    scenarios = assumptions.scenario_set("demand")
    first = project_scenarios(assumptions, scenarios, 10, sample_values(assumptions, 50, np.random.default_rng(7)))
    again = project_scenarios(assumptions, scenarios, 10, sample_values(assumptions, 50, np.random.default_rng(7)))
    other = project_scenarios(assumptions, scenarios, 10, sample_values(assumptions, 50, np.random.default_rng(8)))
    np.testing.assert_array_equal(first.waiting.waiting, again.waiting.waiting)
    np.testing.assert_array_equal(first.workforce.stock, again.workforce.stock)
    assert not np.allclose(first.waiting.waiting, other.waiting.waiting)


def test_sampling_follows_the_distributions(assumptions):
    draws = sample_values(assumptions, 20000, np.random.default_rng(3))
    for name, quantity in assumptions.parameters.items():
        values, spread = draws[name], quantity.distribution
        if spread is None:
            assert (values == quantity.value).all(), name
            continue
        assert spread.low <= values.min() and values.max() <= spread.high, name
        expected = (
            (spread.low + quantity.value + spread.high) / 3
            if spread.kind == "triangular"
            else (spread.low + spread.high) / 2
        )
        assert values.mean() == pytest.approx(expected, abs=0.02 * (spread.high - spread.low)), name


def test_sampling_needs_a_generator_and_a_count(assumptions):
    with pytest.raises(TypeError, match="Generator"):
        sample_values(assumptions, 10, np.random.RandomState(1))
    for draws in (0, -5, 2.0, True):
        with pytest.raises(ConfigError, match="draws"):
            sample_values(assumptions, draws, np.random.default_rng(1))


# --- configuration ------------------------------------------------------------------------


def test_shipped_assumptions_load_with_sources(assumptions):
    assert [s.name for s in BASELINE_SPECS] == list(assumptions.parameters)
    statuses = {q.name: q.status for q in assumptions.parameters.values()}
    assert statuses["leaver_rate"] == "published" and statuses["waiting_list_start"] == "published"
    assert statuses["children_share"] == "illustrative"  # not published in the sources
    # FTE per head, NHS qualified OTs in England, 2007 census (HC written answer, 21 July 2008)
    wte = assumptions.parameters["wte_per_person"]
    assert wte.status == "published" and wte.value == pytest.approx(14439 / 17024) and round(wte.value, 3) == 0.848
    assert "2007" in wte.detail and "14439 / " in wte.detail and "= 0.848" in wte.detail and "Hansard" in wte.citation
    assert assumptions.parameters["leaver_rate"].value == pytest.approx(0.08)  # 8 percent, as a proportion
    assert assumptions.parameters["waiting_list_start"].value == 19070
    assert assumptions.start_year == 2024
    for quantity in assumptions.parameters.values():
        assert quantity.unit
        assert quantity.illustrative or quantity.citation
    manifests = input_manifests(assumptions)
    assert [Path(m["input"]["path"]).name for m in manifests] == [
        "england.yml",
        "scenarios.yml",
        "nhs_ot_workforce_census_2002_2007.csv",
        "rcot_workforce_strategy_2024.csv",
    ]
    assert all(len(m["input"]["sha256"]) == 64 and m["synthetic"] is False for m in manifests)


@pytest.fixture
def config_copy(tmp_path):
    folder = tmp_path / "projection"
    shutil.copytree(CONFIG, folder)
    return folder


def _edit(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _problems(folder: Path, nation: str = "England") -> str:
    with pytest.raises(ConfigError) as caught:
        load_assumptions(folder, nation)
    return str(caught.value)


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda d: d["parameters"]["leaver_rate"].pop("unit"), ["parameters.leaver_rate.unit", "a unit is required"]),
        (
            lambda d: d["parameters"]["leaver_rate"].update(illustrative=True),
            ["parameters.leaver_rate", "needs exactly one of", "found published, illustrative"],
        ),
        (
            lambda d: d["parameters"]["children_share"].pop("illustrative"),
            ["parameters.children_share", "needs exactly one of"],
        ),
        (lambda d: d["parameters"]["children_share"].update(value=1.5), ["value 1.5", "must be at most 1"]),
        (lambda d: d["parameters"]["children_share"].update(value="a lot"), ["value 'a lot'", "a number is required"]),
        (
            lambda d: d["parameters"]["referral_growth"]["distribution"].update(low=0.04),
            ["parameters.referral_growth.distribution", "must contain the value 0.03"],
        ),
        (lambda d: d["parameters"]["referral_growth"]["distribution"].update(low=0.06), ["low must be below high"]),
        (
            lambda d: d["parameters"]["referral_growth"]["distribution"].update(kind="normal"),
            ["kind (triangular or uniform)"],
        ),
        (lambda d: d["parameters"]["leaver_rate"].update(value=0.08), ["remove value here"]),
        (
            lambda d: d["parameters"]["leaver_rate"].update(published="rcot_workforce_strategy_2024/no_such_figure"),
            ["0 rows with measure_id 'no_such_figure'"],
        ),
        (lambda d: d["parameters"]["leaver_rate"].update(published="nowhere/ot_leaver_rate"), ["no published file"]),
        (
            lambda d: d["parameters"]["leaver_rate"].update(colour="blue"),
            ["parameters.leaver_rate.colour", "unknown key"],
        ),
        (lambda d: d["parameters"].pop("returner_share"), ["missing quantity 'returner_share'"]),
        (
            lambda d: d["parameters"].update(mystery={"value": 1, "unit": "x", "illustrative": True}),
            ["unknown quantity"],
        ),
        (lambda d: d.update(start_year="July"), ["start_year", "must be a year"]),
        (lambda d: d.update(nation="Wales"), ["this file is read for England"]),
    ],
)
def test_bad_baseline_config_is_refused_with_where_and_why(config_copy, change, fragments):
    _edit(config_copy / "england.yml", change)
    message = _problems(config_copy)
    assert "england.yml" in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda d: d["sets"]["all"].append("utopia"), ["sets.all.9", "no such scenario"]),
        (lambda d: d["sets"].update(empty=[]), ["sets.empty", "non-empty list"]),
        (
            lambda d: d["scenarios"]["better_retention"].pop("leaver_rate_by"),
            ["leaver_rate_to and leaver_rate_by go together"],
        ),
        (
            lambda d: d["scenarios"]["ltwp_total"].update(workforce_growth_reading="sometimes"),
            ["workforce_growth_reading", "total or per_year"],
        ),
        (lambda d: d["scenarios"]["ltwp_total"].pop("workforce_growth_reading"), ["say how it is read"]),
        (
            lambda d: d["scenarios"]["high_demand"]["referral_growth"].update(
                distribution={"kind": "uniform", "low": 0, "high": 0.1}
            ),
            ["scenario settings are fixed"],
        ),
        (lambda d: d["scenarios"]["low_demand"].update(leaver_rate_soon=0.01), ["unknown key"]),
        (lambda d: d["scenarios"]["low_demand"].pop("label"), ["scenarios.low_demand.label", "text is required"]),
        (lambda d: d["scenarios"].pop("baseline"), ["including 'baseline'"]),
    ],
)
def test_bad_scenarios_are_refused(config_copy, change, fragments):
    _edit(config_copy / "scenarios.yml", change)
    message = _problems(config_copy)
    assert "scenarios.yml" in message
    for fragment in fragments:
        assert fragment in message


def test_every_problem_is_reported_at_once_with_its_line(config_copy):
    path = config_copy / "england.yml"
    text = path.read_text()
    text = text.replace("    value: 0.15\n", "    value: 2.5\n").replace("    value: 0.05\n", "    value: -1\n")
    path.write_text(text)
    message = _problems(config_copy)
    assert "2 problem(s)" in message
    lines = text.splitlines()
    for value in ("2.5", "-1"):
        number = next(i for i, line in enumerate(lines, 1) if line.strip() == f"value: {value}")
        assert re.search(rf"england\.yml, line {number}, key '[\w.]+\.value': value {re.escape(value)}", message), (
            message
        )


def test_invalid_yaml_and_missing_files_are_named(config_copy):
    (config_copy / "scenarios.yml").write_text("scenarios: [unclosed\n")
    assert "not valid YAML" in _problems(config_copy)
    (config_copy / "scenarios.yml").unlink()
    assert "no scenarios file" in _problems(config_copy)


def test_other_nations_are_refused_clearly(config_copy):
    message = _problems(config_copy, "Wales")
    assert "no projection baseline for Wales" in message and "England only" in message and "wales.yml" in message
    assert "unknown nation 'Cornwall'" in _problems(config_copy, "Cornwall")


def test_a_nation_cannot_borrow_englands_figures_as_published(config_copy):
    _edit(config_copy / "england.yml", lambda d: d.update(nation="Wales"))
    (config_copy / "england.yml").rename(config_copy / "wales.yml")
    message = _problems(config_copy, "Wales")
    assert "that figure is for England, not Wales" in message and "illustrative: true" in message


def test_unknown_scenario_set_names_the_sets(assumptions):
    with pytest.raises(ConfigError, match="unknown scenario set 'everything'.*'all', 'supply', 'demand'"):
        assumptions.scenario_set("everything")


# --- back test and checks -----------------------------------------------------------------


def test_model_reproduces_the_exact_solutions():
    steps = 12
    path = project_workforce(np.array([50.0]), np.full((steps, 1), 0.08), np.full((steps, 1), 20.0), np.array([0]))
    np.testing.assert_allclose(path.total, checks.closed_form_stock(50.0, 20.0, 0.08, steps))
    np.testing.assert_allclose(checks.closed_form_stock(5.0, 2.0, 0.0, 3), [5, 7, 9, 11])
    queue = project_waiting_list(1000.0, np.full(steps, 300.0), np.full(steps, 420.0))
    np.testing.assert_allclose(queue.waiting, checks.closed_form_waiting(1000.0, 300.0, 420.0, steps))


def test_back_test_measures_by_hand():
    projected = pd.DataFrame(
        {
            "year": [2024, 2025, 2026, 2027],
            "median": [100.0, 110.0, 120.0, 130.0],
            "outer_low": [95.0, 100.0, 110.0, 125.0],
            "outer_high": [105.0, 115.0, 125.0, 135.0],
        }
    )
    observed = pd.Series([101.0, 109.0, 136.0], index=[2025, 2026, 2027])
    result = checks.back_test(observed, projected)
    # errors (projected - observed): 110 - 101 = 9, 120 - 109 = 11, 130 - 136 = -6
    np.testing.assert_allclose(result.table["error"], [9, 11, -6])
    assert result.mean_absolute_error == pytest.approx(26 / 3)
    assert result.mean_error == pytest.approx(14 / 3)
    assert result.mean_absolute_percentage_error == pytest.approx((9 / 101 + 11 / 109 + 6 / 136) / 3)
    # 101 is inside 100 to 115; 109 is below 110 to 125; 136 is above 125 to 135
    assert result.coverage == pytest.approx(1 / 3)
    assert "3 years compared" in result.summary()


def test_back_test_refuses_series_that_do_not_meet():
    projected = pd.DataFrame({"year": [2024], "median": [1.0], "outer_low": [1.0], "outer_high": [1.0]})
    with pytest.raises(ValueError, match="share no year"):
        checks.back_test(pd.Series([1.0], index=[2030]), projected)
    with pytest.raises(ValueError, match="only once"):
        checks.back_test(pd.Series([1.0, 2.0], index=[2024, 2024]), projected)


def test_exact_solution_back_test_on_the_shipped_baseline(runs):
    result = checks.exact_solution_check(runs["central"])
    assert result.mean_absolute_error < 1e-9 and len(result.table) == 16
    assert np.isnan(result.coverage) and "no interval" in result.summary()
    assert result.table["observed"].iloc[-1] > result.table["observed"].iloc[1] > 0  # a filling workforce


def test_validation_table_passes_and_catches_broken_accounts(runs):
    exact = checks.exact_solution_check(runs["central"])
    table = checks.validation_table(runs["mc"], runs["central"], exact)
    assert list(table["Passed"]) == ["yes"] * 4
    checks.require_passed(table)
    broken_stock = runs["mc"].workforce.stock.copy()
    broken_stock[3, 17, 5:, 0] += 1.0  # one scenario and draw gains a WTE from nowhere
    broken = dataclasses.replace(runs["mc"], workforce=dataclasses.replace(runs["mc"].workforce, stock=broken_stock))
    table = checks.validation_table(broken, runs["central"], exact)
    assert list(table["Passed"]) == ["NO", "yes", "yes", "yes"]
    with pytest.raises(EvidenceError, match="stock change = joiners - leavers"):
        checks.require_passed(table)


# --- summaries, tables and figures ---------------------------------------------------------


def test_fan_quantiles_are_ordered_and_start_at_the_published_list(runs):
    bands = summary.fan_quantiles(runs["mc"], "waiting", 0.9, 0.5)
    assert len(bands) == 9 * 16
    ordered = bands[["outer_low", "inner_low", "median", "inner_high", "outer_high"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= -1e-9).all()
    np.testing.assert_allclose(ordered[bands["year"] == 2024], 19070)
    with pytest.raises(ValueError, match="narrower"):
        summary.fan_quantiles(runs["mc"], "wte", 0.5, 0.9)
    with pytest.raises(ValueError, match="unknown quantity"):
        summary.fan_quantiles(runs["mc"], "happiness")


def test_horizon_summary_matches_the_draws(runs):
    mc = runs["mc"]
    table = summary.horizon_summary(mc, 0.8)
    assert list(table["scenario"]) == list(mc.scenarios)
    ends = mc.waiting.waiting[..., -1]
    np.testing.assert_allclose(table["waiting_median"], np.median(ends, axis=1))
    np.testing.assert_allclose(table["waiting_low"], np.quantile(ends, 0.1, axis=1))
    np.testing.assert_allclose(table["cleared"], np.isfinite(mc.waiting.time_to_clear).mean(axis=1))
    assert table.attrs == {"level": 0.8, "start_year": 2024, "end_year": 2039, "draws": 300}
    text = summary.horizon_table(table)
    assert list(text["Scenario"]) == list(mc.labels)
    assert text.iloc[0, 1].count("(") == 1 and " to " in text.iloc[0, 1]


def test_round_to_by_hand():
    np.testing.assert_array_equal(
        summary.round_to([149.9, 150, -150, 1234, np.inf], 100), [100, 200, -200, 1200, np.inf]
    )


def test_headlines_name_every_scenario_with_an_interval(runs):
    table = summary.horizon_summary(runs["mc"], 0.9)
    text = summary.describe_headlines(table, "baseline")
    for label in runs["mc"].labels:
        assert f"**{label}**" in text
    assert text.count("90% interval") == 9 and "19,070" in text and "July 2039" in text


def test_assumption_tables_show_every_assumption_and_flag_the_illustrative(assumptions, runs):
    table = assumption_tables.assumptions_table(assumptions)
    assert len(table) == len(assumptions.parameters)
    for quantity, source in zip(assumptions.parameters.values(), table["Source"], strict=True):
        assert source.startswith("ILLUSTRATIVE") == quantity.illustrative
    assert table.loc[table["Assumption"].str.startswith("Annual leaver rate"), "Value"].item() == "8%"
    scenarios = assumption_tables.scenario_table(runs["scenarios"])
    assert set(scenarios["Scenario"]) == set(runs["mc"].labels)
    assert scenarios.loc[scenarios["Value"] == "6.9%", "Source"].item().startswith("Published")
    notice = assumption_tables.illustrative_notice(assumptions, runs["scenarios"])
    named = assumption_tables.illustrative_names(assumptions, runs["scenarios"])
    assert named["values"][:2] == ["children_share", "international_share"] and "leaver_rate" not in named["values"]
    assert "wte_per_person" not in named["values"]
    assert "better_retention.leaver_rate_by" in named["values"] and "leaver_rate" in named["ranges"]
    for quantity in assumptions.parameters.values():
        assert (quantity.description in notice) == quantity.illustrative, quantity.name
    assert f"{len(named['values'])} of the 27 inputs" in notice and "not as forecasts" in notice
    derived = assumption_tables.derived_table(runs["central"], assumptions)
    assert derived["Status"].str.startswith("ILLUSTRATIVE").all()  # every one rests on an illustrative input
    assert derived.loc[derived["Derived quantity"] == "Referrals", "Value"].item() == "38,140"  # 19,070 x 12 / 6
    assert assumption_tables.citations(assumptions, runs["scenarios"]) == [
        assumptions.parameters["nhs_occupational_therapists"].citation,
        assumptions.parameters["wte_per_person"].citation,
    ]


def test_registrant_snapshots_are_context_labelled_with_their_dates():
    from evidence.published import read_published

    table, text = assumption_tables.registrant_context(read_published("hcpc_registrant_snapshots"))
    assert table["Snapshot"].tolist()[0] == "1 October 2020" and table["Snapshot"].tolist()[-1] == "1 January 2025"
    assert table.iloc[-1, 1] == "46,992" and "HCPC" in table.iloc[-1, 2]
    # 46,992 / 41,123 - 1 = 14.27% over 4.25 years: (1.1427) ** (1 / 4.25) - 1 = 3.19% a year
    assert "+14.3% in total, about 3.2% a year" in text and "not an input" in text


def test_a_ratio_of_published_figures_is_checked(config_copy):
    path = config_copy / "england.yml"
    text = path.read_text()
    path.write_text(
        text.replace(
            "nhs_ot_workforce_census_2002_2007/headcount_2007", "nhs_ot_workforce_census_2002_2007/headcount_2099"
        )
    )
    assert "0 rows with measure_id 'headcount_2099'" in _problems(config_copy)


def test_results_records_are_json_safe(runs):
    records = summary.to_records(summary.horizon_summary(runs["mc"]))
    assert all(r["clear_median"] is None for r in records if r["cleared"] < 0.5)
    assert all(isinstance(r["waiting_median"], float) for r in records)


def test_publish_estimates_shows_values_as_they_are():
    table = publish_estimates(pd.DataFrame({"Scenario": ["A"], "WTE": [3]}, index=[7]), "Caption", "Model estimates.")
    assert isinstance(table, PublishedTable)
    assert table.to_records() == [{"Scenario": "A", "WTE": "3"}]
    assert "Model estimates." in table.to_html() and "<caption>Caption</caption>" in table.to_html()
    with pytest.raises(ValueError, match="note"):
        publish_estimates(pd.DataFrame({"a": [1]}), "c", " ")
    with pytest.raises(TypeError):
        publish_estimates([{"a": 1}], "c", "n")


def test_fan_and_flow_charts_describe_their_numbers(runs):
    bands = summary.fan_quantiles(runs["mc"], "waiting", 0.9, 0.5)
    chart = fan_chart(bands, "children and young people waiting", "Waiting list", 0.9, 0.5, 300, note="Illustrative.")
    last = bands[(bands["scenario"] == "baseline") & (bands["year"] == 2039)].iloc[0]
    assert f"Baseline: median {summary.round_to(last['median'], 100):,.0f}" in chart.alt
    assert "starting at 19,070" in chart.alt and "Illustrative." in chart.alt and "300 simulations" in chart.alt
    assert len([ax for ax in chart.figure.axes if ax.get_visible()]) == 9
    plt.close(chart.figure)
    flows = {"Baseline": summary.flows_frame(runs["central"], "baseline")}
    chart = flows_chart(flows, "Flows")
    first = runs["central"].workforce.joiners[0, 0, 0]
    assert f"joiners {first.sum():,.0f} WTE" in chart.alt and "net change +0 WTE" in chart.alt
    assert all(route in chart.alt for route in ROUTES)
    plt.close(chart.figure)


# --- the report ---------------------------------------------------------------------------


def test_notebook_is_parameterised_by_nation_horizon_and_scenario_set():
    declared = read_parameters(NOTEBOOK)
    assert {"nation", "horizon_years", "scenario_set", "n_draws", "seed", "results_path"} <= set(declared)
    assert declared["nation"].default == "England" and declared["horizon_years"].type_name == "int"
    assert all(p.comment for p in declared.values())


def test_projection_report_is_in_the_annual_batch():
    jobs = {j.name: j for j in load_config(ROOT / "config" / "annual_report.yml").jobs}
    job = jobs["workforce_projection"]
    assert job.notebook == NOTEBOOK and job.parameters["nation"] == "England"
