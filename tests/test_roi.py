"""ROI model: worked examples by hand, assumption-set validation, vectorised against per-draw
evaluation and an independent plain-Python transcription, sensitivity analyses, records and
reproducible figures."""

from __future__ import annotations

import copy
import importlib.util
import io
import math
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from evidence import roi
from evidence.errors import ConfigError, EvidenceError
from evidence.ingest import ingest_outcomes, load_outcomes
from evidence.roi import analysis, formatting, report, report_assumptions, report_sensitivity, scenarios, sensitivity

from .conftest import ROOT

WAITING_LIST = ROOT / "config" / "roi" / "children_ot_waiting_list.yml"
USUAL_CARE = ROOT / "config" / "roi" / "children_ot_usual_care.yml"
OUTCOMES_SAMPLE = ROOT / "data" / "raw" / "sample" / "outcomes_2025_synthetic"
PERIOD = ("2023-01-01", "2025-09-30")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_roi", ROOT / "benchmarks" / "bench_roi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _settings(streams=("outcome",), horizon=3, **kwargs) -> roi.ModelSettings:
    return roi.ModelSettings(
        horizon_years=horizon,
        streams=tuple(streams),
        perspective_streams=kwargs.pop("perspective_streams", tuple(streams)),
        **kwargs,
    )


def _zeros(settings: roi.ModelSettings, **given) -> dict[str, np.ndarray]:
    """Every parameter 0 (working hours 1, as they must be positive) except those ``given``
    (dots written as __ in keyword names)."""
    values = {name: np.array([0.0]) for name in settings.parameter_names()}
    values["staff.working_hours"] = np.array([1.0])
    for key, value in given.items():
        name = key.replace("__", ".")
        assert name in values, name
        values[name] = np.atleast_1d(np.asarray(value, dtype=float))
    return values


# --- worked examples -----------------------------------------------------------------------------


def test_discount_factors_worked_values():
    assert roi.discount_factor(10, 0.035) == pytest.approx(0.7089, abs=5e-5)
    assert roi.discount_factor(10, 0.015) == pytest.approx(0.8617, abs=5e-5)
    assert roi.discount_factor(0, 0.035) == 1.0
    # broadcasting: years (H,) against rates (n, 1) gives (n, H)
    factors = roi.discount_factor(np.arange(1, 4), np.array([[0.0], [0.035]]))
    assert factors.shape == (2, 3)
    np.testing.assert_allclose(factors[0], 1.0)
    np.testing.assert_allclose(factors[1], [1 / 1.035, 1 / 1.035**2, 1 / 1.035**3])
    with pytest.raises(ValueError):
        roi.discount_factor(-1, 0.035)


def test_green_book_declining_schedule():
    assumptions = roi.load_assumptions(WAITING_LIST)
    standard, health = assumptions.standard_schedule, assumptions.health_schedule
    years = np.arange(0, 31)
    np.testing.assert_allclose(roi.discount_factor(years, 0.035, standard), 1.035 ** -years.astype(float))
    # year 31 at 3.0%, year 76 at 2.5%; health: year 31 at 1.29%
    d30 = 1.035**-30
    assert roi.discount_factor(31, 0.035, standard) == pytest.approx(d30 / 1.03)
    assert roi.discount_factor(40, 0.035, standard) == pytest.approx(d30 / 1.03**10)
    d75 = d30 / 1.03**45
    assert roi.discount_factor(76, 0.035, standard) == pytest.approx(d75 / 1.025)
    assert roi.discount_factor(31, 0.015, health) == pytest.approx(1.015**-30 / 1.0129)
    # a different first-period rate scales the whole schedule
    assert roi.discount_factor(31, 0.07, standard) == pytest.approx(1.07**-30 / 1.06)


def test_sroi_worked_example():
    """40 children x £1,000, deadweight 20%, attribution 25%, drop-off 50%, 3 years at 3.5%:
    impact 40,000 x 0.8 x 0.75 = 24,000, then 12,000 and 6,000; year 1 discounted:
    24,000/1.035 + 12,000/1.035^2 + 6,000/1.035^3 = 39,802.19; inputs £30,000 give 1.33."""
    pv = roi.sroi_present_value(40, 1000, 0.20, 0.25, 0.0, 0.50, 3, 0.035, horizon_years=3)
    assert pv == pytest.approx(39802.19, abs=0.005)
    assert round(float(pv) / 30000, 2) == 1.33
    # the other convention (year 1 undiscounted): 24,000 + 12,000/1.035 + 6,000/1.035^2
    undiscounted_first = roi.sroi_present_value(40, 1000, 0.20, 0.25, 0.0, 0.50, 3, 0.035, 3, discount_first_year=False)
    assert undiscounted_first == pytest.approx(41195.27, abs=0.005)
    # a longer horizon changes nothing once the 3-year duration is over
    assert roi.sroi_present_value(40, 1000, 0.20, 0.25, 0.0, 0.50, 3, 0.035, 10) == pytest.approx(pv)


def test_sroi_worked_example_through_the_whole_model():
    settings = _settings(("outcome",), horizon=3)
    values = _zeros(
        settings,
        costs__training_per_child=750,
        stream__outcome__quantity=1,
        stream__outcome__unit_value=1000,
        stream__outcome__deadweight=0.20,
        stream__outcome__attribution=0.25,
        stream__outcome__drop_off=0.50,
        stream__outcome__duration_years=3,
        discount__standard_rate=0.035,
    )
    result = roi.evaluate(values, settings)
    children = 40
    assert children * result.benefits[0] == pytest.approx(39802.19, abs=0.005)
    assert children * result.incremental_cost[0] == pytest.approx(30000)
    assert round(float(result.bcr[0]), 2) == 1.33
    assert children * result.npv[0] == pytest.approx(9802.19, abs=0.005)
    assert result.roi[0] == pytest.approx(result.bcr[0] - 1)
    assert result.payback_year[0] == 2  # 23,188 after year 1, 34,391 after year 2 (for 40 children)


def test_stream_duration_and_adjustments():
    values = roi.sroi_yearly_values(10, 100, 0.5, 0.2, 0.25, 0.0, 1.5, horizon_years=3)
    # 10 x 100 x 0.5 x 0.8 x 0.75 = 300 a year; half of year 2; nothing in year 3
    np.testing.assert_allclose(values, [300, 150, 0])


def test_qaly_area_under_the_curve_by_hand():
    """Utility gain (12 - 2) x 0.005 = 0.05; follow-up at half a year: year 1 is
    0.05 x (1 - 0.5/2) = 0.0375; drop-off 50% gives 0.025 and 0.0125; at 1.5%."""
    settings = _settings(("outcome",), horizon=3)
    values = _zeros(
        settings,
        outcome__change=12,
        comparator__outcome_change=2,
        utility__per_point=0.005,
        outcome__years_to_follow_up=0.5,
        qaly__drop_off=0.5,
        discount__health_rate=0.015,
        qaly__value=20000,
        costs__training_per_child=100,
    )
    result = roi.evaluate(values, settings)
    expected = 0.0375 / 1.015 + 0.025 / 1.015**2 + 0.0125 / 1.015**3
    assert result.qalys[0] == pytest.approx(expected, rel=1e-12)
    assert result.qaly_value[0] == pytest.approx(20000 * expected)
    assert result.cost_per_qaly[0] == pytest.approx(100 / expected)
    # a measure where lower is better: the same fall in score is a gain
    worse_is_higher = _settings(("outcome",), horizon=3, higher_is_better=False)
    flipped = roi.evaluate(
        {**values, "outcome.change": np.array([-12.0]), "comparator.outcome_change": np.array([-2.0])}, worse_is_higher
    )
    assert flipped.qalys[0] == pytest.approx(expected)
    np.testing.assert_allclose(roi.qaly_profile(1.7, 0.0, 2), [[0.5, 1.0]][0])  # follow-up clipped to a year


#: PSSRU Unit Costs of Health and Social Care 2024 Manual, Table 8.2.1 (p.64), community-based
#: scientific and professional staff, 2023/24: salary, on-costs, management/admin/estates and
#: non-staff overheads per band; capital £7,689; 1,574 working hours; printed cost per hour.
PSSRU_2024 = {
    "band5": (30142, 9569, 8855, 13605, 44),
    "band6": (39133, 12940, 11612, 17840, 57),
    "band7": (47336, 16016, 14128, 21704, 68),
    "band8a": (53824, 18449, 16117, 24761, 77),
}


def _pssru(**hours) -> dict:
    components = {}
    for band, (salary, on_costs, management, non_staff, _) in PSSRU_2024.items():
        components.update(
            {
                f"staff__salary_{band}": salary,
                f"staff__on_costs_{band}": on_costs,
                f"staff__management_overheads_{band}": management,
                f"staff__non_staff_overheads_{band}": non_staff,
            }
        )
    return {
        **components,
        "staff__capital_overheads": 7689,
        "staff__working_hours": 1574,
        **{f"staff__hours_{b}": h for b, h in hours.items()},
    }


def test_hourly_cost_gives_pssru_printed_cost_per_working_hour():
    for band, (salary, on_costs, management, non_staff, printed) in PSSRU_2024.items():
        pay, overheads = roi.hourly_cost(salary, on_costs, management, non_staff, 7689, 1574)
        assert round(float(pay + overheads)) == printed, band
    # published_figures A2 (derived): salary and on-costs per working hour, Band 5 / 6 / 7 / 8a
    pay = [float(roi.hourly_cost(*PSSRU_2024[b][:4], 7689, 1574)[0]) for b in PSSRU_2024]
    np.testing.assert_allclose(pay, [25.23, 33.08, 40.25, 45.92], atol=0.005)


def test_costs_by_hand():
    settings = _settings(("outcome",))
    values = _zeros(
        settings,
        **_pssru(band5=1, band6=2, band7=0.5),
        costs__training_per_child=10,
        costs__equipment_share=0.5,
        costs__equipment_unit_cost=100,
        costs__optimism_bias=0.1,
        comparator__cost_per_child=44.2,
    )
    result = roi.evaluate(values, settings)
    # salary and on-costs: (30142 + 9569 + 2 x (39133 + 12940) + 0.5 x (47336 + 16016)) / 1574
    #   = 175533 / 1574 = 111.5203; overheads and capital: (8855 + 13605 + 7689 + 2 x (11612 + 17840
    #   + 7689) + 0.5 x (14128 + 21704 + 7689)) / 1574 = 126191.5 / 1574 = 80.1725
    assert result.staff_cost[0] == pytest.approx(175533 / 1574)
    assert result.overhead_cost[0] == pytest.approx(126191.5 / 1574)
    staff = (175533 + 126191.5) / 1574
    assert result.optimism_bias_cost[0] == pytest.approx(0.1 * (staff + 60))
    assert result.intervention_cost[0] == pytest.approx(1.1 * (staff + 60))
    assert result.incremental_cost[0] == pytest.approx(1.1 * (staff + 60) - 44.2)


def test_payback_ratios_and_perspective():
    settings = _settings(("nhs", "school"), horizon=3, perspective_streams=("nhs",))
    common = {f"stream__{s}__{k}": v for s in ("nhs", "school") for k, v in (("quantity", 1), ("duration_years", 3))}
    values = _zeros(
        settings,
        **common,
        stream__nhs__unit_value=40,
        stream__school__unit_value=20,
        costs__training_per_child=[100, 500, 0, 50],
        comparator__cost_per_child=[0, 0, 10, 0],
    )
    result = roi.evaluate(values, settings)
    # 60 a year, undiscounted: cumulative 60, 120, 180
    np.testing.assert_array_equal(result.payback_year, [2, np.nan, 0, 1])
    np.testing.assert_allclose(result.avoided_costs, 180)
    np.testing.assert_allclose(result.avoided_in_perspective, 120)
    assert np.isnan(result.bcr[2]) and np.isnan(result.roi[2])  # cheaper than the comparator: no ratio
    assert result.bcr[0] == pytest.approx(1.8)
    assert np.isnan(result.cost_per_qaly).all()  # no QALYs gained: no cost per QALY
    np.testing.assert_allclose(result.nmb, -(np.array([100, 500, -10, 50]) - 120))


def test_acceptability_curve_on_four_draws_by_hand():
    """Draw 1: 0.10 QALY for 1,500, cost-effective above 15,000. Draw 2: 0.05 for 2,000, above
    40,000. Draw 3: loses 0.02 QALY and saves 500: NMB = 500 - 0.02 x threshold > 0 below
    25,000. Draw 4: no QALY change and saves 100: always."""
    qalys, net_costs = [0.10, 0.05, -0.02, 0.0], [1500, 2000, -500, -100]
    thresholds = [0, 15000, 20000, 30000, 40000, 50000]
    expected = [2 / 4, 2 / 4, 3 / 4, 2 / 4, 2 / 4, 3 / 4]  # at 15,000 and 40,000 NMB is exactly 0: not > 0
    np.testing.assert_allclose(roi.acceptability_curve(qalys, net_costs, thresholds), expected)


def test_acceptability_curve_matches_the_definition():
    rng = np.random.default_rng(5)
    q = rng.normal(0.02, 0.05, 5000)
    q[:50] = 0.0
    c = rng.normal(300, 800, 5000)
    lam = np.linspace(0, 100000, 41)
    direct = (lam[None, :] * q[:, None] - c[:, None] > 0).mean(axis=0)
    np.testing.assert_allclose(roi.acceptability_curve(q, c, lam), direct)


# --- the model on many draws ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def specialist():
    assumptions = roi.load_assumptions(WAITING_LIST).for_intervention("Specialist")
    return assumptions, assumptions.settings()


def test_vectorised_model_equals_per_draw_and_plain_python(specialist):
    assumptions, settings = specialist
    draws = assumptions.draw(200, np.random.default_rng(11))
    whole = roi.evaluate(draws, settings)
    bench = _bench()
    for i in range(0, 200, 7):
        one = roi.evaluate({k: v[i : i + 1] for k, v in draws.items()}, settings)
        plain = bench.evaluate_one({k: float(v[i]) for k, v in draws.items()}, settings)
        for name in roi.OUTPUTS:
            np.testing.assert_allclose(one.output(name), whole.output(name)[i : i + 1], rtol=1e-12, err_msg=name)
            np.testing.assert_allclose(plain[name], whole.output(name)[i], rtol=1e-9, err_msg=name)


def test_plain_python_transcription_agrees_on_long_horizons_and_conventions(specialist):
    assumptions, _ = specialist
    bench = _bench()
    for horizon, first in ((40, True), (80, False)):
        settings = assumptions.settings(horizon)
        settings = roi.ModelSettings(**{**settings.__dict__, "discount_first_year": first})
        draws = assumptions.draw(20, np.random.default_rng(horizon))
        whole = roi.evaluate(draws, settings)
        for i in range(20):
            plain = bench.evaluate_one({k: float(v[i]) for k, v in draws.items()}, settings)
            for name in ("qalys", "avoided_costs", "npv", "payback_year"):
                np.testing.assert_allclose(plain[name], whole.output(name)[i], rtol=1e-9, err_msg=name)


def test_draws_are_reproducible_and_follow_their_distributions(specialist):
    assumptions, _ = specialist
    first = assumptions.draw(1000, np.random.default_rng(42))
    again = assumptions.draw(1000, np.random.default_rng(42))
    other = assumptions.draw(1000, np.random.default_rng(43))
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
    assert not np.array_equal(first["utility.per_point"], other["utility.per_point"])
    many = assumptions.draw(200_000, np.random.default_rng(1))
    for name in ("stream.crisis_contacts.unit_value", "costs.equipment_share", "utility.per_point", "qaly.drop_off"):
        p = assumptions.parameters[name]
        assert many[name].mean() == pytest.approx(p.value, abs=5 * p.distribution.se / math.sqrt(200_000))
        assert many[name].std() == pytest.approx(p.distribution.se, rel=0.02)
    assert (many["costs.equipment_share"] >= 0).all() and (many["costs.equipment_share"] <= 1).all()
    assert (many["stream.crisis_contacts.unit_value"] > 0).all()
    assert (many["staff.salary_band6"] == 39133).all()  # PSSRU's national prices are fixed
    fixed = assumptions.parameters["discount.standard_rate"]
    assert (many[fixed.name] == fixed.value).all()


@pytest.mark.parametrize(
    "kind, value, se", [("beta", 0.3, 0.1), ("gamma", 45.0, 4.5), ("lognormal", 150.0, 45.0), ("normal", 2.0, 1.0)]
)
def test_one_way_ranges_come_from_distributions_with_the_stated_mean_and_se(kind, value, se):
    from scipy import stats as scipy_stats

    distribution = roi.Distribution(kind, se=se)
    low, high = distribution.quantile(value, [0.025, 0.975])
    # the same distribution rebuilt independently from its moments
    if kind == "beta":
        k = value * (1 - value) / se**2 - 1
        reference = scipy_stats.beta(value * k, (1 - value) * k)
    elif kind == "gamma":
        reference = scipy_stats.gamma(value**2 / se**2, scale=se**2 / value)
    elif kind == "lognormal":
        s2 = math.log(1 + se**2 / value**2)
        reference = scipy_stats.lognorm(math.sqrt(s2), scale=value * math.exp(-s2 / 2))
    else:
        reference = scipy_stats.norm(value, se)
    assert reference.mean() == pytest.approx(value) and reference.std() == pytest.approx(se)
    assert (low, high) == pytest.approx(tuple(reference.ppf([0.025, 0.975])))


def test_lognormal_triangular_and_uniform_distributions():
    rng = np.random.default_rng(3)
    lognormal = roi.Distribution("lognormal", se=30)
    x = lognormal.draw(100, 400_000, rng)
    assert x.mean() == pytest.approx(100, rel=0.01) and x.std() == pytest.approx(30, rel=0.02)
    assert lognormal.quantile(100, 0.5) < 100  # right-skewed
    triangular = roi.Distribution("triangular", low=0, high=10)
    assert triangular.draw(2, 400_000, rng).mean() == pytest.approx(4, rel=0.01)  # (0 + 2 + 10) / 3
    uniform = roi.Distribution("uniform", low=1, high=3)
    np.testing.assert_allclose(uniform.quantile(2, [0.025, 0.975]), [1.05, 2.95])


# --- assumption sets -----------------------------------------------------------------------------


def test_shipped_assumption_sets_load_and_every_value_is_sourced_or_illustrative():
    for path in (WAITING_LIST, USUAL_CARE):
        assumptions = roi.load_assumptions(path)
        assert set(assumptions.parameters) == set(assumptions.settings().parameter_names())
        for p in assumptions.parameters.values():
            assert p.illustrative or (p.source and p.source.title and p.source.year), p.name
            if p.illustrative:
                assert p.note, p.name
        for overrides in assumptions.overrides.values():
            assert overrides
    usual = roi.load_assumptions(USUAL_CARE)
    assert usual.comparator == "Usual care"
    assert usual.parameters["comparator.cost_per_child"].value == 120
    assert usual.parameters["qaly.value"] == roi.load_assumptions(WAITING_LIST).parameters["qaly.value"]
    sourced = {n for n, p in usual.parameters.items() if not p.illustrative}
    staff_costs = {n for n in usual.parameters if n.startswith("staff.") and not n.startswith("staff.hours_")}
    assert len(staff_costs) == 18 and staff_costs <= sourced  # no staff unit cost is illustrative
    assert sourced - staff_costs == {
        "qaly.value",
        "discount.standard_rate",
        "discount.health_rate",
        "costs.optimism_bias",
        "stream.crisis_contacts.unit_value",
        "stream.shorter_waits.unit_value",
    }
    for name in sourced:  # every sourced value cites the publication, table (and page, for PSSRU)
        source = usual.parameters[name].source
        assert source.title and source.publisher and source.table, name
        if "PSSRU" in source.publisher:
            assert re.search(r"Table \d+(\.\d+)+.*p\.\d+", source.table), (name, source.table)
    assert usual.illustrative_count() == (39, 63)
    assert usual.illustrative_spread_count() == 1  # the crisis contact's spread
    assert usual.parameters["stream.crisis_contacts.unit_value"].illustrative_spread


def _write_set(tmp_path, mutate) -> str:
    raw = yaml.safe_load(WAITING_LIST.read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    mutate(raw)
    path = tmp_path / "set.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return str(path)


def _cost(raw):
    return raw["parameters"]["costs.training_per_child"]


def _sourced(raw):
    return raw["parameters"]["staff.salary_band6"]


@pytest.mark.parametrize(
    "mutate, fragments",
    [
        (lambda r: _cost(r).pop("unit"), ["parameters.costs.training_per_child", "missing key(s) unit"]),
        (
            lambda r: _cost(r).update(value=-38),
            ["parameters.costs.training_per_child.value", "-38", "a cost must not be negative"],
        ),
        (
            lambda r: r["parameters"]["costs.equipment_share"].update(value=1.3),
            ["parameters.costs.equipment_share.value", "1.3", "must lie in [0, 1]"],
        ),
        (
            lambda r: r["streams"]["re_referrals"]["parameters"]["deadweight"].update(value=-0.1),
            ["streams.re_referrals.parameters.deadweight.value", "must lie in [0, 1]"],
        ),
        (
            lambda r: r["parameters"]["costs.equipment_share"].update(distribution={"type": "beta", "se": 0.4}),
            ["costs.equipment_share.distribution", "SE^2 < value x (1 - value)"],
        ),
        (
            lambda r: _cost(r).update(distribution={"type": "normal", "se": 4}),
            ["costs.training_per_child.distribution.type", "'normal'", "gamma, lognormal"],
        ),
        (
            lambda r: (_cost(r).pop("illustrative"), _cost(r).pop("note")),
            ["costs.training_per_child", "missing field 'source'"],
        ),
        (lambda r: _cost(r).pop("note"), ["costs.training_per_child", "illustrative value needs a note"]),
        (lambda r: r["parameters"]["qaly.value"]["source"].pop("table"), ["qaly.value.source", "missing table"]),
        (
            lambda r: _cost(r).update(price_year=2019),
            ["costs.training_per_child.price_year", "2019", "not a financial year", "YYYY/YY"],
        ),
        (
            lambda r: _cost(r).update(price_year="2023/25"),
            ["costs.training_per_child.price_year", "2023/25", "not a financial year"],
        ),
        (
            lambda r: _cost(r).update(price_year="2010/11"),
            ["costs.training_per_child.price_year", "2010/11", "cannot inflate", "2014/15 to 2023/24"],
        ),
        (
            lambda r: _cost(r).update(price_year="not stated"),
            ["costs.training_per_child.price_year", "only be used in a labelled scenario"],
        ),
        (
            lambda r: _sourced(r).update(distribution={"type": "gamma", "se": 3000}),
            ["staff.salary_band6.distribution", "say where its spread comes from"],
        ),
        (
            lambda r: _sourced(r).update(distribution={"type": "fixed", "illustrative": True}),
            ["staff.salary_band6.distribution", "a fixed value has no spread"],
        ),
        (
            lambda r: r["parameters"]["staff.working_hours"].update(value=0),
            ["staff.working_hours.value", "greater than 0"],
        ),
        (
            lambda r: r["parameters"]["staff.working_hours"].update(price_year="2023/24"),
            ["staff.working_hours.price_year", "only a cost has a price year"],
        ),
        (lambda r: r.update(price_year=2024), ["price_year", "not a financial year"]),
        (lambda r: r["parameters"].pop("utility.per_point"), ["missing parameter(s): utility.per_point"]),
        (
            lambda r: r["parameters"].update({"utility.per_pint": r["parameters"]["utility.per_point"]}),
            ["unknown parameter(s) utility.per_pint"],
        ),
        (
            lambda r: r["parameters"]["discount.standard_rate"].update(range=[0.04, 0.05]),
            ["discount.standard_rate.range", "must bracket the value 0.035"],
        ),
        (lambda r: r["settings"].update(horizon_years=0), ["settings.horizon_years", "at least 1"]),
        (
            lambda r: r["overrides"]["Universal"]["costs.equipment_share"].update(value=2),
            ["overrides.Universal.costs.equipment_share.value", "must lie in [0, 1]"],
        ),
    ],
)
def test_bad_assumption_sets_are_refused_with_a_clear_message(tmp_path, mutate, fragments):
    path = _write_set(tmp_path, mutate)
    with pytest.raises(ConfigError) as caught:
        roi.load_assumptions(path)
    message = str(caught.value)
    assert "set.yml" in message and "problem(s)" in message
    for fragment in fragments:
        assert fragment in message, message


def test_every_problem_is_listed_at_once(tmp_path):
    def two(raw):
        _cost(raw)["value"] = -1
        raw["parameters"]["costs.equipment_share"]["value"] = 7

    with pytest.raises(ConfigError) as caught:
        roi.load_assumptions(_write_set(tmp_path, two))
    assert "2 problem(s)" in str(caught.value)


def _line(text: str, content: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.strip() == content)


def test_problems_name_the_file_and_line_they_are_in_even_through_extends(tmp_path):
    parent, child = tmp_path / WAITING_LIST.name, tmp_path / USUAL_CARE.name
    parent.write_text(WAITING_LIST.read_text(encoding="utf-8").replace("value: 39133", "value: -39133", 1))
    child.write_text(USUAL_CARE.read_text(encoding="utf-8").replace("value: 120", "value: -120", 1))
    with pytest.raises(ConfigError) as caught:
        roi.load_assumptions(child)
    message = str(caught.value)
    assert message.startswith(f"2 problem(s) in the assumption set {child}:"), message
    # the salary comes from the parent set, the comparator's cost from the set that extends it
    assert (
        f"{parent}, line {_line(parent.read_text(), 'value: -39133')}, key 'parameters.staff.salary_band6.value': "
        "value -39133: a cost must not be negative"
    ) in message
    assert (
        f"{child}, line {_line(child.read_text(), 'value: -120')}, key 'parameters.comparator.cost_per_child"
        ".value': value -120: a cost must not be negative"
    ) in message


def test_extends_cycles_missing_files_and_bad_yaml(tmp_path):
    (tmp_path / "a.yml").write_text("extends: b.yml\n")
    (tmp_path / "b.yml").write_text("extends: a.yml\n")
    with pytest.raises(ConfigError, match="circle"):
        roi.load_assumptions(tmp_path / "a.yml")
    with pytest.raises(ConfigError, match="no such assumption set"):
        roi.load_assumptions(tmp_path / "missing.yml")
    (tmp_path / "bad.yml").write_text("title: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        roi.load_assumptions(tmp_path / "bad.yml")


def test_report_values_replace_and_are_marked(specialist):
    assumptions, _ = specialist
    same = assumptions.with_values({"discount.standard_rate": 0.035}, "report")
    assert same.parameters["discount.standard_rate"].origin == "assumption set"
    changed = assumptions.with_values({"discount.standard_rate": 0.06}, "report")
    rate = changed.parameters["discount.standard_rate"]
    assert rate.value == 0.06 and rate.origin == "report parameter" and rate.range == (0.015, 0.06)
    assert "Set by the report producer" in rate.describe_source()
    with pytest.raises(ConfigError, match=r"\[0, 1\)"):
        assumptions.with_values({"discount.health_rate": 1.5}, "report")
    with pytest.raises(ConfigError, match="at least 1 year"):
        assumptions.settings(-2)
    with pytest.raises(ConfigError, match="at least 1"):
        assumptions.draw(0, np.random.default_rng(1))


# --- sensitivity analyses ------------------------------------------------------------------------


def _prepared(specialist) -> analysis.Prepared:
    assumptions, settings = specialist
    return analysis.Prepared("Specialist", assumptions, settings, None)


def test_one_way_analysis_varies_every_parameter_with_a_range(specialist):
    prepared = _prepared(specialist)
    table = sensitivity.one_way(prepared, "npv")
    varied = table.dropna(subset=["output_low"])
    with_range = [p for p in prepared.assumptions.parameters.values() if p.one_way_range() is not None]
    assert len(varied) == len(with_range) and set(table["parameter"]) == set(prepared.assumptions.parameters)
    assert np.isnan(table.set_index("parameter").loc["staff.salary_band6", "output_low"])  # fixed, no range
    assert varied["swing"].is_monotonic_decreasing
    base = roi.evaluate(prepared.assumptions.values(), prepared.settings)
    row = table.set_index("parameter").loc["qaly.value"]
    assert (row["low"], row["high"]) == (20000, 30000)
    assert row["output_high"] == pytest.approx(base.npv[0] + 10000 * base.qalys[0])
    assert table.attrs["base"] == pytest.approx(base.npv[0])
    # a parameter at its distribution's 95% interval
    training = table.set_index("parameter").loc["costs.training_per_child"]
    p = prepared.assumptions.parameters["costs.training_per_child"]
    assert (training["low"], training["high"]) == pytest.approx(tuple(p.distribution.quantile(p.value, [0.025, 0.975])))


def test_break_even_values(specialist):
    prepared = _prepared(specialist)
    names = ["qaly.value", "utility.per_point", "staff.salary_band7", "discount.health_rate"]
    table = sensitivity.break_even(prepared, names).set_index("parameter")
    base = roi.evaluate(prepared.assumptions.values(), prepared.settings)
    # NPV = threshold x QALYs + avoided - cost = 0
    closed_form = (base.incremental_cost[0] - base.avoided_costs[0]) / base.qalys[0]
    assert table.loc["qaly.value", "break_even"] == pytest.approx(closed_form, rel=1e-9)
    for name in ("utility.per_point", "staff.salary_band7"):
        values = {**prepared.assumptions.values(), name: np.array([table.loc[name, "break_even"]])}
        assert roi.evaluate(values, prepared.settings).npv[0] == pytest.approx(0, abs=1e-6)
    assert np.isnan(table.loc["discount.health_rate", "break_even"])  # positive NPV at every rate
    with pytest.raises(EvidenceError):
        sensitivity.break_even(prepared, ["no.such"])


def test_psa_summary_thresholds_and_probabilities(specialist):
    prepared = _prepared(specialist)
    result = analysis.analyse(prepared, 5000, np.random.default_rng(9))
    again = analysis.analyse(prepared, 5000, np.random.default_rng(9))
    np.testing.assert_array_equal(result.psa.npv, again.psa.npv)
    summary = analysis.summary_table(result).set_index("output")
    assert set(summary.index) == set(roi.OUTPUTS)
    for name, row in summary.iterrows():
        if row["defined"] > 0:
            assert row["low"] <= row["high"], name
    npv = result.psa.npv
    assert summary.loc["npv", "low"] == pytest.approx(np.quantile(npv, 0.025))
    chances = analysis.probabilities(result)
    assert chances["npv_positive"] == pytest.approx(np.mean(npv > 0))
    assert chances["roi_above_1"] == pytest.approx(np.mean(result.psa.roi > 1))
    psa = result.psa
    assert summary.loc["npv", "expected"] == pytest.approx(npv.mean())
    assert summary.loc["npv", "mc_se"] == pytest.approx(npv.std(ddof=1) / math.sqrt(5000))
    assert summary.loc["bcr", "expected"] == pytest.approx(psa.benefits.mean() / psa.incremental_cost.mean())
    assert summary.loc["bcr", "base"] == pytest.approx(result.base.bcr[0])
    assert summary.loc["icer", "expected"] == pytest.approx(psa.net_cost().mean() / psa.qalys.mean())
    table = analysis.threshold_table(result, [20000, 30000])
    assert table["p_cost_effective"].is_monotonic_increasing
    # the threshold table agrees with the headline at the base threshold (20,000)
    assert table.loc[0, "bcr"] == pytest.approx(summary.loc["bcr", "expected"])
    assert table.loc[0, "bcr_base"] == pytest.approx(result.base.bcr[0])
    assert table.loc[0, "nmb"] == pytest.approx(summary.loc["nmb", "expected"])
    # the expected ICER is where the acceptability decision on expected values changes
    icer, base_icer = analysis.expected_icer(result)
    assert base_icer == pytest.approx(result.base.icer[0])
    assert np.mean(psa.nmb_at(icer * 1.001)) > 0 > np.mean(psa.nmb_at(icer * 0.999))
    direct = np.mean(30000 * result.psa.qalys - result.psa.net_cost() > 0)
    assert table.loc[1, "p_cost_effective"] == pytest.approx(direct)
    horizon = scenarios.horizon_scenarios(prepared, [1, 5], 2000, 9)
    assert horizon.loc[1, "npv"] > horizon.loc[0, "npv"]  # benefits accrue over time; costs do not


# --- records -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    out = tmp_path_factory.mktemp("roi_outcomes")
    ingest_outcomes(OUTCOMES_SAMPLE, out, environ={})
    return out


@pytest.fixture(scope="module")
def tables(processed):
    return load_outcomes(processed)[0]


def test_cohort_inputs_come_from_the_records(tables):
    cohort = roi.cohort_inputs(tables["episodes"], tables["scores"], "Specialist", "pedsql", "total", *PERIOD)
    episodes = tables["episodes"]
    chosen = episodes[(episodes["tier"] == "Specialist") & episodes["discharge_date"].notna()]
    assert cohort.children == len(chosen)
    hours = {p.name: p for p in cohort.parameters}
    assert hours["staff.hours_band7"].value == pytest.approx(chosen["minutes_band7"].astype(float).mean() / 60)
    assert hours["staff.hours_band7"].origin == "records" and not hours["staff.hours_band7"].illustrative
    assert hours["outcome.change"].distribution.kind == "normal"
    assert 0 < hours["outcome.years_to_follow_up"].value < 1
    with pytest.raises(EvidenceError, match="unknown intervention"):
        roi.cohort_inputs(tables["episodes"], tables["scores"], "Nowhere OT", "pedsql", "total")
    with pytest.raises(EvidenceError, match="at least 10"):
        roi.cohort_inputs(
            tables["episodes"], tables["scores"], "Specialist", "pedsql", "total", "2025-03-01", "2025-03-03"
        )


def test_prepare_and_tier_scenarios(tables):
    assumptions = roi.load_assumptions(WAITING_LIST)
    prepared = roi.prepare(
        assumptions, "Universal", tables, *PERIOD, horizon_years=3, discount_rates={"standard": 0.035, "health": 0.015}
    )
    assert prepared.settings.horizon_years == 3
    used = prepared.assumptions.parameters
    assert used["costs.training_per_child"].value == 60  # the Universal override
    assert used["staff.hours_band5"].origin == "records"
    assert used["discount.standard_rate"].origin == "assumption set"  # same value as the set's
    scenarios = roi.tier_scenarios(assumptions, tables, 2000, 7, *PERIOD)
    assert list(scenarios["tier"]) == list(roi.TIERS)
    assert (scenarios["n"] >= 10).all()
    assert (scenarios["bcr_low"] <= scenarios["bcr_high"]).all()
    targeted = roi.analyse(roi.prepare(assumptions, "Targeted", tables, *PERIOD), 2000, np.random.default_rng(7))
    row = scenarios.set_index("tier").loc["Targeted"]
    assert row["bcr"] == pytest.approx(targeted.psa.benefits.mean() / targeted.psa.incremental_cost.mean())
    assert row["bcr_base"] == pytest.approx(targeted.base.bcr[0])


# --- report text and figures ---------------------------------------------------------------------


def test_headline_in_plain_words(tables):
    assumptions = roi.load_assumptions(WAITING_LIST)
    prepared = roi.prepare(assumptions, "Targeted", tables, *PERIOD)
    result = roi.analyse(prepared, 2000, np.random.default_rng(1))
    text = report.headline(result, report.DisclosureRule())
    low, high = analysis.interval(result.psa.bcr)
    expected = result.psa.benefits.mean() / result.psa.incremental_cost.mean()
    assert "For every **£1** spent on targeted-tier occupational therapy" in text
    assert f"an expected **£{expected:.2f}**" in text and f"£{low:.2f} to £{high:.2f}" in text
    assert f"the base case, £{result.base.bcr[0]:.2f})" in text
    assert f"an expected **£{result.psa.npv.mean():,.0f} per child**" in text
    assert f"base case £{result.base.npv[0]:,.0f})" in text
    assert "**Read with care:** 33 of the 57 assumptions" in text
    assert "The spread used for 1 sourced value in the simulations is illustrative too." in text
    assert f"{100 * np.mean(result.psa.npv > 0):.0f}%" in text
    table = report_assumptions.assumptions_display(prepared.assumptions)
    assert "staff time" not in " ".join(table["Assumption"]).lower()  # records go through disclosure instead
    assert table["Illustrative"].str.startswith("sourced").sum() == 24
    assert (
        table.set_index("Assumption").loc[
            "Specialist or crisis contacts avoided: financial proxy per outcome", "Illustrative"
        ]
        == "sourced (spread illustrative)"
    )
    summary = report.summary_display(analysis.summary_table(result)).set_index("Result")
    npv_se = result.psa.npv.std(ddof=1) / math.sqrt(2000)
    assert summary.loc["Net present value per child", "Monte Carlo SE"] == f"£{float(f'{npv_se:.2g}'):,.10g}"
    assert summary.loc["Benefit-cost ratio (£ returned per £1 spent)", "Base case"] == f"{result.base.bcr[0]:.2f}"
    record = report.results_record(result)
    assert record["bcr"] == pytest.approx(expected) and record["base_case"]["bcr"] == pytest.approx(result.base.bcr[0])
    assert (record["illustrative_assumptions"], record["assumptions_from_the_set"]) == (33, 57)


def _png(chart) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    chart.figure.savefig(buffer, format="png")
    plt.close(chart.figure)
    return buffer.getvalue()


def test_same_seed_gives_identical_figures(specialist):
    from evidence.plots import roi as roi_plots

    prepared = _prepared(specialist)

    def figures(seed):
        result = roi.analyse(prepared, 3000, np.random.default_rng(seed))
        lam = np.linspace(0, 50000, 51)
        ceac = roi.acceptability_curve(result.psa.qalys, result.psa.net_cost(), lam)
        charts = [
            roi_plots.ce_plane_chart(result.psa.qalys, result.psa.net_cost(), [20000, 30000], "plane"),
            roi_plots.acceptability_chart(lam, ceac, [20000, 30000], "curve"),
            roi_plots.payback_chart(*analysis.cumulative_benefits(result), result.base.incremental_cost[0], "payback"),
        ]
        return [(_png(c), c.alt) for c in charts]

    first, again, other = figures(1), figures(1), figures(2)
    assert first == again
    assert all(a[0] != b[0] for a, b in zip(first, other, strict=True))
    assert "%" in first[0][1] and "£20,000" in first[1][1]


def test_tornado_alt_text_names_the_largest_effects(specialist):
    from evidence.plots import roi as roi_plots

    table = sensitivity.one_way(_prepared(specialist), "npv")
    chart = roi_plots.tornado_chart(table, "NPV", "Net present value per child", top=10)
    _png(chart)
    assert table.loc[0, "label"] in chart.alt and "Base case" in chart.alt


def test_cohort_total_does_not_give_away_the_exact_count():
    rule = report.DisclosureRule()
    assert report.cohort_total(462, 2042.79, rule) == "; for the 460 children whose care was completed, about £940,000"
    assert report.cohort_total(5, 2042.79, rule) == ""  # suppressed count: no total
    assert report.cohort_total(None, 2042.79, rule) == ""


def test_money_formatting():
    assert formatting.money(-1234.5) == "\u2212£1,234"
    assert formatting.money(4.549, 2) == "£4.55"
    assert formatting.format_output("payback_year", 0) == "immediately"
    assert formatting.format_output("bcr", math.nan) == "not defined"
    fixed = pd.DataFrame(
        {
            "parameter": ["x"],
            "label": ["X"],
            "unit": ["GBP"],
            "value": [1.0],
            "low": [np.nan],
            "high": [np.nan],
            "output_low": [np.nan],
            "output_high": [np.nan],
        }
    )
    assert report_sensitivity.one_way_display(fixed).loc[0, "Range tested"] == "fixed, not varied"
    varied = pd.DataFrame(
        {
            "parameter": ["y", "x", "z"],
            "label": ["Y", "X", "Z"],
            "unit": ["GBP", "GBP", "GBP"],
            "value": [2.0, 1.0, 3.0],
            "low": [1.0, np.nan, np.nan],
            "high": [3.0, np.nan, np.nan],
            "output_low": [-5.0, np.nan, np.nan],
            "output_high": [7.0, np.nan, np.nan],
        }
    )
    shown = report_sensitivity.one_way_display(varied)  # the varied first, the fixed named in one last row
    assert shown["Parameter"].tolist() == ["Y", "Held fixed, not varied (2): X; Z"]
    assert shown.loc[0, "Range tested"] == "£1.00 to £3.00"


@pytest.mark.slow
def test_notebook_runs_twice_with_the_same_seed_to_identical_figures(processed, tmp_path):
    """The report itself: two runs with one seed give byte-identical figures and tables."""
    import nbformat
    import papermill

    def run(name: str, seed: int) -> list:
        out = tmp_path / f"{name}.ipynb"
        papermill.execute_notebook(
            str(ROOT / "notebooks" / "return_on_investment.ipynb"),
            str(out),
            parameters={"outcomes_folder": str(processed), "intervention": "Targeted", "draws": 2000, "seed": seed},
            kernel_name="evidence",
            cwd=str(ROOT),
            progress_bar=False,
        )
        notebook = nbformat.read(out, as_version=4)
        return [
            output["data"]
            for cell in notebook.cells
            for output in cell.get("outputs", [])
            if output.get("output_type") == "display_data"
        ]

    first, again = run("first", 7), run("again", 7)  # another seed changing them: tested above, on the charts
    assert len([d for d in first if "image/png" in d]) == 5
    assert first == again


# --- price years, scenarios and expected values ----------------------------------------------------


def test_price_index_by_hand_from_the_published_table():
    from evidence.published import financial_year, price_index

    index = price_index()
    # PSSRU 2024 Manual, Table 12.1.1 (p.109), NHSCII pay and prices: 2021/22 2.58%, 2022/23 7.32%,
    # 2023/24 4.31% (provisional)
    assert index.factor("2022/23", "2023/24") == pytest.approx(1.0431, rel=1e-12)
    assert index.factor("2021/22", "2023/24") == pytest.approx(1.0732 * 1.0431, rel=1e-12)
    assert index.factor("2020/21", "2023/24") == pytest.approx(1.0258 * 1.0732 * 1.0431, rel=1e-12)
    assert index.factor("2023/24", "2021/22") == pytest.approx(1 / (1.0732 * 1.0431), rel=1e-12)
    assert index.factor("2014/15", "2015/16") == pytest.approx(1.0040)
    # the 2022 Manual's Band 6 cost per working hour (Table 8.2.1, p.60), 2021/22, in 2023/24 prices
    assert index.convert(55, "2021/22", "2023/24") == pytest.approx(61.57, abs=0.005)
    assert "2023/24 provisional" in index.describe("2022/23", "2023/24")
    assert index.describe("2023/24", "2023/24").startswith("none needed")
    pay = price_index(column="pay")
    assert pay.factor("2022/23", "2023/24") == pytest.approx(1.0479)
    with pytest.raises(EvidenceError, match="no pay and prices index for 2024/25"):
        index.factor("2023/24", "2024/25")
    assert financial_year("2023/2024") == "2023/24" and financial_year(" 1999/00 ") == "1999/00"
    for bad in ("2024", 2024, "2023/25", "2023-24", "23/24", "2023/2025"):
        with pytest.raises(ValueError, match="YYYY/YY"):
            financial_year(bad)


def test_price_index_file_problems_name_row_and_column(tmp_path):
    from evidence.errors import ValidationError
    from evidence.published import price_index

    source = ROOT / "data" / "raw" / "published" / "nhs_cost_inflation_index.csv"
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    gap = table.drop(index=3)
    gap.to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(ValidationError, match="must follow 2017/18"):
        price_index("gap", folder=tmp_path)
    proportion = table.copy()
    proportion.loc[2, "pay_and_prices_percent"] = "1.24%"
    proportion.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValidationError) as caught:
        price_index("bad", folder=tmp_path)
    assert "line 4" in str(caught.value) or "row 4" in str(caught.value), str(caught.value)
    assert "1.24%" in str(caught.value)


def test_a_cost_from_another_price_year_is_inflated_and_shown_with_its_index(tmp_path):
    def older(raw):
        raw["parameters"]["costs.training_per_child"].update(value=20, price_year="2021/22")

    assumptions = roi.load_assumptions(_write_set(tmp_path, older))
    training = assumptions.parameters["costs.training_per_child"]
    factor = 1.0732 * 1.0431
    assert training.value == pytest.approx(20 * factor)
    assert training.distribution.se == pytest.approx(6 * factor)  # the spread moves with it
    assert (training.original_value, training.original_price_year, training.price_year) == (20, "2021/22", "2023/24")
    row = (
        report_assumptions.assumptions_display(assumptions)
        .set_index("Assumption")
        .loc["Training and groups, per child"]
    )
    assert row["Price year"].startswith(
        "2023/24, from 20 in 2021/22 prices (NHS Cost Inflation Index (pay and prices), 2021/22 to 2023/24: x1.1195"
    )
    assert "Table 12.1.1" in row["Price year"] and "p.109" in row["Price year"]
    shipped = roi.load_assumptions(WAITING_LIST).parameters["staff.salary_band6"]
    assert shipped.describe_price_year() == "2023/24" and shipped.value == 39133


def test_the_exclusion_lifetime_cost_is_a_labelled_scenario_never_the_base_case(specialist):
    assumptions, _ = specialist
    assert assumptions.parameters["stream.school_exclusion.unit_value"].value == 2000
    scenario = assumptions.scenarios["permanent_exclusion_lifetime_cost"]
    lifetime = scenario.parameters["stream.school_exclusion.unit_value"]
    assert lifetime.value == 370000 and lifetime.price_year == "not stated" and not lifetime.illustrative
    assert lifetime.describe_price_year() == "not stated (used as published, not inflated)"
    prepared = _prepared(specialist)
    table = scenarios.scenario_analysis(prepared, 500, 3).set_index("scenario")
    assert list(table.index) == ["base", "permanent_exclusion_lifetime_cost"]
    base = analysis.analyse(prepared, 500, np.random.default_rng(3))
    assert table.loc["base", "bcr"] == pytest.approx(base.psa.benefits.mean() / base.psa.incremental_cost.mean())
    with_lifetime = roi.evaluate(
        assumptions.with_scenario("permanent_exclusion_lifetime_cost").values(), prepared.settings
    )
    assert table.loc["permanent_exclusion_lifetime_cost", "bcr_base"] == pytest.approx(with_lifetime.bcr[0])
    with pytest.raises(ConfigError, match="no scenario 'nope'"):
        assumptions.with_scenario("nope")
    display = report_sensitivity.scenario_display(scenarios.scenario_analysis(prepared, 200, 3))
    assert display.loc[1, "Scenario"].startswith("Scenario:")


def test_expected_values_are_means_and_ratios_of_means_by_hand():
    settings = _settings(("outcome",), horizon=2)
    # two draws: costs 100 and 300; one stream worth 150 and 450 in year 1 (no discounting)
    values = _zeros(
        settings,
        costs__training_per_child=[100, 300],
        stream__outcome__quantity=[1, 3],
        stream__outcome__unit_value=150,
        stream__outcome__duration_years=1,
    )
    results = roi.evaluate(values, settings)
    expected = analysis.expected_values(results)
    assert expected["incremental_cost"] == 200 and expected["benefits"] == 300 and expected["npv"] == 100
    assert expected["bcr"] == pytest.approx(1.5) and expected["roi"] == pytest.approx(0.5)
    assert expected["payback_year"] == 1.0
    assert np.isnan(expected["cost_per_qaly"])  # no QALYs gained on average
    # the base case (one draw) gives the model's own outputs
    one = roi.evaluate({k: v[:1] for k, v in values.items()}, settings)
    assert analysis.expected_values(one)["bcr"] == pytest.approx(one.bcr[0])
    # delta-method Monte Carlo SE of the ratio: SD(benefits - 1.5 x cost) / sqrt(2) / 200 = 0, since
    # benefits are exactly 1.5 x cost on both draws
    assert analysis.monte_carlo_se(results, "bcr") == pytest.approx(0, abs=1e-12)
    assert analysis.monte_carlo_se(results, "npv") == pytest.approx(np.std([50, 150], ddof=1) / math.sqrt(2))
    saving = roi.evaluate(_zeros(settings, comparator__cost_per_child=10), settings)
    assert np.isnan(analysis.expected_values(saving)["bcr"]) and analysis.expected_values(saving)["payback_year"] == 0


def test_cost_and_benefit_tables_show_expected_values_beside_the_base_case(specialist):
    prepared = _prepared(specialist)
    result = analysis.analyse(prepared, 2000, np.random.default_rng(5))
    costs = report.cost_table(result).set_index("Cost")
    hourly = report.staff_hourly_costs(prepared.assumptions)
    assert sum(hourly["band6"]) == pytest.approx((39133 + 12940 + 11612 + 17840 + 7689) / 1574)
    assert costs.loc["Incremental cost", "Per child"] == formatting.money(result.base.incremental_cost[0], 2)
    assert costs.loc["Incremental cost, expected", "Per child"] == formatting.money(
        result.psa.incremental_cost.mean(), 2
    )
    benefits = report.benefit_table(result)
    assert benefits.loc[0, "Present value per child, expected"] == formatting.money(result.psa.qaly_value.mean())
    assert benefits.loc[0, "Base case"] == formatting.money(result.base.qaly_value[0])
    shares = benefits["Share"].str.rstrip("%").astype(float)
    assert shares.sum() == pytest.approx(100, abs=len(shares))  # rounded shares of the expected benefits
