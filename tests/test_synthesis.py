"""Evidence synthesis against R's metafor, and its rules for inputs.

The reference numbers in ``tests/fixtures/metafor/reference.json`` were made by R's metafor
with ``tests/fixtures/metafor/make_fixtures.R`` (which records the R and metafor versions);
these tests need no R. Every quantity must agree to within ``TOLERANCE`` (absolute).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence import disclosure, samples, synthesis
from evidence.errors import InputFileError, ValidationError
from evidence.synthesis import _engine, effects

from .conftest import ROOT

matplotlib.use("Agg")

TOLERANCE = 1e-4
FIXTURES = ROOT / "tests" / "fixtures" / "metafor"
REFERENCE = json.loads((FIXTURES / "reference.json").read_text(encoding="utf-8"))
EFFECTS = REFERENCE["effects"]
PUBLISHED = ROOT / "data" / "raw" / "published"


def _named(kind: str) -> list:
    return [pytest.param(entry, id=entry["name"]) for entry in REFERENCE[kind]]


def _diff(mine, theirs) -> float:
    mine, theirs = np.atleast_1d(np.asarray(mine, float)), np.atleast_1d(np.asarray(theirs, float))
    assert mine.shape == theirs.shape, (mine, theirs)
    assert np.array_equal(np.isnan(mine), np.isnan(theirs)), (mine, theirs)
    return float(np.nanmax(np.abs(mine - theirs), initial=0.0))


def _compare(pairs: dict[str, tuple]) -> dict[str, float]:
    """Absolute differences for every quantity that metafor reported (None: not reported)."""
    return {key: _diff(mine, theirs) for key, (mine, theirs) in pairs.items() if theirs is not None}


def _moderators(entry) -> pd.DataFrame:
    names = entry["moderators"]
    return pd.DataFrame({name: EFFECTS[entry["data"]]["moderators"][name] for name in names})


# Each _check_* returns {quantity: |ours - metafor|} for one fixture entry.


def _check_escalc(entry) -> dict[str, float]:
    i, measure = entry["inputs"], entry["measure"]
    if measure in ("RR", "OR", "RD"):
        function = {"RR": effects.log_risk_ratio, "OR": effects.log_odds_ratio, "RD": effects.risk_difference}[measure]
        yi, vi = function(i["events_1"], i["n_1"], i["events_2"], i["n_2"])
    elif measure in ("SMD", "MD"):
        function = effects.standardised_mean_difference if measure == "SMD" else effects.mean_difference
        yi, vi = function(i["mean_1"], i["sd_1"], i["n_1"], i["mean_2"], i["sd_2"], i["n_2"])
    else:
        yi, vi = effects.mean_change(
            i["mean_pre"],
            i["sd_pre"],
            i["mean_post"],
            i["sd_post"],
            i["n"],
            i["correlation"],
            {"MC": None, "SMCR": "raw", "SMCC": "change"}[measure],
        )
    return _compare({"yi": (yi, entry["yi"]), "vi": (vi, entry["vi"])})


def _check_model(entry) -> dict[str, float]:
    data = EFFECTS[entry["data"]]
    r = synthesis.meta_analysis(data["yi"], data["vi"], entry["method"], entry["test"], entry["level"])
    fixed = entry["method"] == "FE"
    pairs = {
        name: (getattr(r, name), entry[name])
        for name in ("estimate", "se", "ci_low", "ci_high", "tau2", "i2", "h2", "q", "q_pvalue", "weights")
    }
    pairs |= {"statistic": (r.statistic, entry["zval"]), "pvalue": (r.pvalue, entry["pval"]), "k": (r.k, entry["k"])}
    if not fixed:
        pairs |= _prediction_pairs(entry, data)
        pairs |= {
            "pi_low": (r.pi_low, entry["pi_low"]),
            "pi_high": (r.pi_high, entry["pi_high"]),
            "tau2_ci": (r.tau2_ci, entry["tau2_ci"]),
            "i2_ci": (r.i2_ci, entry["i2_ci"]),
            "h2_ci": (r.h2_ci, entry["h2_ci"]),
        }
    return _compare(pairs)


def _prediction_pairs(entry, data) -> dict[str, tuple]:
    """The prediction interval under each of metafor's pi.type options."""
    pairs = {}
    for pi_type, reference in entry["pi"].items():
        r = synthesis.meta_analysis(
            data["yi"], data["vi"], entry["method"], entry["test"], entry["level"], pi_type=pi_type
        )
        pairs[f"pi_{pi_type}"] = ((r.pi_low, r.pi_high), reference)
    return pairs


def _check_metaregression(entry) -> dict[str, float]:
    data = EFFECTS[entry["data"]]
    r = synthesis.meta_regression(data["yi"], data["vi"], _moderators(entry), entry["method"], entry["test"])
    c, ref = r.coefficients, entry["coefficients"]
    pairs = {
        f"coef_{name}": (c[column], ref[name])
        for name, column in (
            ("estimate", "estimate"),
            ("se", "se"),
            ("zval", "statistic"),
            ("pval", "pvalue"),
            ("ci_low", "ci_low"),
            ("ci_high", "ci_high"),
        )
    }
    pairs |= {
        name: (getattr(r, name), entry.get(name))
        for name in ("tau2", "i2", "h2", "r2", "q", "q_pvalue", "qm", "qm_pvalue", "weights", "tau2_ci")
    }
    pairs["qm_df"] = (r.qm_df, entry["qm_df"])
    return _compare(pairs)


def _check_subgroups(entry) -> dict[str, float]:
    data = EFFECTS[entry["data"]]
    groups = data["moderators"][entry["column"]]
    r = synthesis.subgroup_analysis(data["yi"], data["vi"], groups, entry["method"], entry["test"])
    table = r.table.set_index("subgroup")
    pairs = {}
    for group in entry["groups"]:
        row = table.loc[group["group"]]
        for name in ("k", "estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "q_pvalue"):
            pairs[f"{group['group']}_{name}"] = (row[name], group[name])
    for pi_type in entry["common_tau2"]["pi"]:  # each pi.type, separate and common tau²
        for common_tau2 in (False, True):
            t = synthesis.subgroup_analysis(
                data["yi"], data["vi"], groups, entry["method"], entry["test"], common_tau2=common_tau2, pi_type=pi_type
            ).table.set_index("subgroup")
            reference = (
                entry["common_tau2"]["pi"][pi_type]
                if common_tau2
                else {
                    "low": [g["pi"][pi_type][0] for g in entry["groups"]],
                    "high": [g["pi"][pi_type][1] for g in entry["groups"]],
                }
            )
            names = [g["group"] for g in entry["groups"]]
            for bound in ("low", "high"):
                pairs[f"{'common' if common_tau2 else 'separate'}_pi_{pi_type}_{bound}"] = (
                    t.loc[names, f"pi_{bound}"],
                    reference[bound],
                )
    pairs |= {
        "q_between": (r.q_between, entry["q_between"]),
        "q_between_pvalue": (r.q_between_pvalue, entry["q_between_pvalue"]),
        "q_between_df": (r.q_between_df, entry["q_between_df"]),
    }
    common = synthesis.subgroup_analysis(
        data["yi"], data["vi"], groups, entry["method"], entry["test"], common_tau2=True
    )
    ref = entry["common_tau2"]
    pairs |= {
        "common_tau2": (common.tau2, ref["tau2"]),
        "common_qm": (common.q_between, ref["qm"]),
        "common_qm_pvalue": (common.q_between_pvalue, ref["qm_pvalue"]),
    }
    # The common-tau² subgroup estimates are the intercept plus each level's coefficient.
    b = np.asarray(ref["coefficients"]["estimate"])
    pairs["common_estimates"] = (common.table["estimate"], np.concatenate([[b[0]], b[0] + b[1:]]))
    return _compare(pairs)


def _check_leave1out(entry) -> dict[str, float]:
    data = EFFECTS[entry["data"]]
    r = synthesis.leave_one_out(data["yi"], data["vi"], entry["method"], entry["test"])
    return _compare(
        {
            name: (r[column], entry[name])
            for name, column in (
                ("estimate", "estimate"),
                ("se", "se"),
                ("ci_low", "ci_low"),
                ("ci_high", "ci_high"),
                ("q", "q"),
                ("q_pvalue", "q_pvalue"),
                ("tau2", "tau2"),
                ("i2", "i2"),
                ("h2", "h2"),
                ("pval", "pvalue"),
            )
        }
    )


def _check_regtest(entry) -> dict[str, float]:
    data = EFFECTS[entry["data"]]
    r = synthesis.egger_test(data["yi"], data["vi"], entry["method"], model=entry["model"])
    return _compare(
        {
            "statistic": (r.statistic, entry["statistic"]),
            "pvalue": (r.pvalue, entry["pval"]),
            "df": (r.df, np.nan if entry["df"] is None else entry["df"]),
            "limit_estimate": (r.limit_estimate, entry["limit_estimate"]),
            "limit_ci": (r.limit_ci, [entry["limit_ci_low"], entry["limit_ci_high"]]),
        }
    )


def _check_ranktest(entry) -> dict[str, float]:
    data = EFFECTS[entry["data"]]
    r = synthesis.rank_correlation_test(data["yi"], data["vi"])
    return _compare({"tau": (r.tau, entry["tau"]), "pvalue": (r.pvalue, entry["pval"])})


def _check_trimfill(entry) -> dict[str, float]:
    data = EFFECTS[entry["data"]]
    r = synthesis.trim_and_fill(
        data["yi"],
        data["vi"],
        entry["method"],
        entry["test"],
        estimator=entry["estimator"],
        side=entry["side_given"],
        adjusted_test=entry["refit_test"],
    )
    assert (r.side, r.adjusted.test) == (entry["side"], entry["refit_test"])
    pairs = {
        "k0": (r.k0, entry["k0"]),
        "se_k0": (r.se_k0, np.nan if entry["se_k0"] is None else entry["se_k0"]),
        "p_k0": (r.p_k0, np.nan if entry["p_k0"] is None else entry["p_k0"]),
        "filled_yi": (np.sort(r.filled_yi), np.sort(entry["filled_yi"])),
        "filled_vi": (np.sort(r.filled_vi), np.sort(entry["filled_vi"])),
    }
    pairs |= {
        name: (getattr(r.adjusted, name), entry[name])
        for name in ("estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q")
    }
    return _compare(pairs)


CHECKS = {
    "escalc": _check_escalc,
    "models": _check_model,
    "metaregression": _check_metaregression,
    "subgroups": _check_subgroups,
    "leave1out": _check_leave1out,
    "regtest": _check_regtest,
    "ranktest": _check_ranktest,
    "trimfill": _check_trimfill,
}


def _assert_agrees(differences: dict[str, float]) -> None:
    off = {name: d for name, d in differences.items() if not d <= TOLERANCE}
    assert not off, f"differs from metafor by more than {TOLERANCE}: {off}"


@pytest.mark.parametrize("entry", _named("escalc"))
def test_effect_sizes_agree_with_escalc(entry):
    _assert_agrees(_check_escalc(entry))


@pytest.mark.parametrize("entry", _named("models"))
def test_pooling_agrees_with_rma(entry):
    _assert_agrees(_check_model(entry))


@pytest.mark.parametrize("entry", _named("metaregression"))
def test_meta_regression_agrees_with_rma_mods(entry):
    _assert_agrees(_check_metaregression(entry))


@pytest.mark.parametrize("entry", _named("subgroups"))
def test_subgroups_agree_with_separate_fits_and_the_moderator_test(entry):
    _assert_agrees(_check_subgroups(entry))


@pytest.mark.parametrize("entry", _named("leave1out"))
def test_leave_one_out_agrees_with_leave1out(entry):
    _assert_agrees(_check_leave1out(entry))


@pytest.mark.parametrize("entry", _named("regtest"))
def test_egger_agrees_with_regtest(entry):
    _assert_agrees(_check_regtest(entry))


@pytest.mark.parametrize("entry", _named("ranktest"))
def test_rank_correlation_agrees_with_ranktest(entry):
    _assert_agrees(_check_ranktest(entry))


@pytest.mark.parametrize("entry", _named("trimfill"))
def test_trim_and_fill_agrees_with_trimfill(entry):
    _assert_agrees(_check_trimfill(entry))


_REFUSALS = {
    "regtest": lambda d, m: synthesis.egger_test(d["yi"], d["vi"], m),
    "regtest_lm": lambda d, m: synthesis.egger_test(d["yi"], d["vi"], m, model="lm"),
    "trimfill": lambda d, m: synthesis.trim_and_fill(d["yi"], d["vi"], m),
    "ranktest": lambda d, m: synthesis.rank_correlation_test(d["yi"], d["vi"]),
}


@pytest.mark.parametrize("entry", _named("not_estimable"))
def test_what_metafor_cannot_estimate_is_refused_with_the_reason(entry):
    """Every study with the same variance: metafor stops (or gives NA); so does this, by name."""
    assert entry["error"] != "no error"
    data = EFFECTS[entry["data"]]
    with pytest.raises(ValidationError) as caught:
        _REFUSALS[entry["call"]](data, entry["method"])
    (problem,) = caught.value.problems
    assert problem.column == "vi" and problem.value == f"all 10 equal to {data['vi'][0]:g}"
    assert "every study has the same sampling variance" in problem.rule
    advice = "Give the side" if entry["call"] == "trimfill" else "is possible with these studies"
    assert advice in str(caught.value)


def test_every_metafor_quantity_within_tolerance(capsys):
    """All fixtures at once: how many numbers were compared, and the largest difference."""
    numbers, largest, where = 0, 0.0, ""
    for kind, check in CHECKS.items():
        for entry in REFERENCE[kind]:
            for name, difference in check(entry).items():
                numbers += 1
                if difference > largest:
                    largest, where = difference, f"{kind}/{entry['name']}/{name}"
    assert numbers > 1000
    assert largest <= TOLERANCE, where
    with capsys.disabled():
        print(
            f"\nmetafor {REFERENCE['metafor_version']}: {numbers} quantities compared, "
            f"largest absolute difference {largest:.2e} ({where})"
        )


def test_fixture_records_where_it_came_from():
    assert REFERENCE["made_by"] == "tests/fixtures/metafor/make_fixtures.R"
    assert REFERENCE["metafor_version"] and REFERENCE["r_version"].startswith("R version")
    assert (FIXTURES / "make_fixtures.R").is_file()
    methods = {entry["method"] for entry in REFERENCE["models"] if entry["data"] == "bcg_RR"}
    assert {"FE", "DL", "PM", "ML", "REML"} <= methods


# ---- evidence tables ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "measure", "reference"),
    [
        ("evidence_bcg_colditz1994", "RR", "bcg_RR"),
        ("evidence_bcg_colditz1994", "OR", "bcg_OR"),
        ("evidence_bcg_colditz1994", "RD", "bcg_RD"),
        ("evidence_oral_rehydration_hahn2001", "RR", "hahn_RR"),
        ("evidence_oral_rehydration_hahn2001", "OR", "hahn_OR"),
        ("evidence_oral_rehydration_hahn2001", "RD", "hahn_RD"),
        ("evidence_stroke_unit_normand1999", "SMD", "normand_SMD"),
        ("evidence_stroke_unit_normand1999", "MD", "normand_MD"),
        ("evidence_teacher_expectancy_raudenbush1985", "SMD", "raudenbush"),
    ],
)
def test_published_evidence_tables_give_metafors_effect_sizes(file, measure, reference):
    table = synthesis.read_evidence_table(PUBLISHED / f"{file}.csv", measure)
    assert not table.synthetic
    assert _diff(table.effects["yi"], EFFECTS[reference]["yi"]) <= TOLERANCE
    assert _diff(table.effects["vi"], EFFECTS[reference]["vi"]) <= TOLERANCE
    assert table.citations() and "doi:" in table.citations()[0]
    assert "https://" not in " ".join(table.citations())  # reports link to nothing outside


def test_ratio_with_confidence_interval_gives_back_log_ratio_and_variance(tmp_path):
    data = EFFECTS["bcg_RR"]
    frame = pd.DataFrame(
        {
            "study": data["labels"],
            "estimate": np.exp(data["yi"]),
            "ci_low": np.exp(data["ci_low"]),
            "ci_high": np.exp(data["ci_high"]),
        }
    )
    frame.to_csv(tmp_path / "rr.csv", index=False)
    table = synthesis.read_evidence_table(tmp_path / "rr.csv", "RR")
    assert table.layout == "estimate_ci"
    assert _diff(table.effects["yi"], data["yi"]) <= 1e-10
    assert _diff(table.effects["vi"], data["vi"]) <= 1e-10


def test_estimate_and_se_give_vi_as_se_squared(tmp_path):
    (tmp_path / "t.csv").write_text("study,estimate,se\nA,0.5,0.2\nB,0.1,0.1\n")
    table = synthesis.read_evidence_table(tmp_path / "t.csv", "GEN")
    assert table.effects["vi"].tolist() == pytest.approx([0.04, 0.01])


def _write(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path, measure: str, **kwargs) -> list:
    with pytest.raises(ValidationError) as caught:
        synthesis.read_evidence_table(path, measure, **kwargs)
    return caught.value.problems


def test_interval_that_misses_its_estimate_is_named(tmp_path):
    path = _write(tmp_path, "study,estimate,ci_low,ci_high\nA,0.8,0.5,0.9\nB,1.2,0.6,1.1\n")
    (problem,) = _problems(path, "RR")
    assert (problem.row, problem.column, problem.value) == (3, "estimate", "1.2")
    assert "inside its interval" in problem.rule and problem.file.endswith("table.csv")


def test_zero_or_negative_variances_are_refused(tmp_path):
    path = _write(tmp_path, "study,yi,vi\nA,0.1,0.02\nB,0.3,0\nC,0.2,-0.01\n")
    problems = _problems(path, "GEN")
    assert [(p.row, p.column) for p in problems] == [(3, "vi"), (4, "vi")]
    assert all("greater than 0" in p.rule for p in problems)
    with pytest.raises(ValidationError, match="greater than 0"):
        synthesis.meta_analysis([0.1, 0.2], [0.01, 0.0])


def test_duplicate_and_blank_study_labels_are_refused(tmp_path):
    path = _write(tmp_path, "study,yi,vi\nA,0.1,0.02\nA,0.3,0.01\n ,0.2,0.01\n")
    problems = _problems(path, "GEN")
    assert {(p.row, p.rule) for p in problems} == {
        (2, "study labels must be unique (each study once)"),
        (3, "study labels must be unique (each study once)"),
        (4, "every study needs a label"),
    }
    with pytest.raises(ValidationError, match="unique"):
        synthesis.meta_analysis([0.1, 0.2], [0.01, 0.02], labels=["X", "X"])


def test_random_effects_needs_two_studies_but_fixed_effect_does_not():
    with pytest.raises(ValidationError, match="at least two studies"):
        synthesis.meta_analysis([0.3], [0.04], method="REML")
    one = synthesis.meta_analysis([0.3], [0.04], method="FE")
    assert (one.estimate, one.se) == pytest.approx((0.3, 0.2))


def test_two_by_two_rules(tmp_path):
    path = _write(tmp_path, "study,events_1,n_1,events_2,n_2\nA,12,10,3,20\nB,2.5,10,x,20\nC,1,0,1,5\n")
    found = {(p.row, p.column) for p in _problems(path, "OR")}
    assert {(2, "events_1"), (3, "events_1"), (3, "events_2"), (4, "n_1"), (4, "events_1")} <= found


def test_measure_that_the_table_cannot_give_is_explained(tmp_path):
    path = _write(tmp_path, "study,estimate,se\nA,0.5,0.1\nB,0.7,0.2\n")
    (problem,) = _problems(path, "RR")
    assert "measure RR" in problem.rule and "events_1" in problem.rule and "ci_low" in problem.rule


def test_pre_post_needs_a_correlation(tmp_path):
    path = _write(tmp_path, "study,mean_pre,sd_pre,mean_post,sd_post,n\nA,10,3,12,3.5,20\nB,11,2,11.5,2.5,30\n")
    (problem,) = _problems(path, "SMCR")
    assert problem.column == "correlation"
    table = synthesis.read_evidence_table(path, "SMCR", correlation=0.6)
    yi, vi = effects.mean_change([10, 11], [3, 2], [12, 11.5], [3.5, 2.5], [20, 30], 0.6, "raw")
    assert table.effects["yi"].tolist() == pytest.approx(yi.tolist())
    assert table.effects["vi"].tolist() == pytest.approx(vi.tolist())


def test_sample_tables_must_say_they_are_synthetic_and_published_ones_must_cite(tmp_path):
    sample = tmp_path / "data" / "raw" / "sample"
    published = tmp_path / "data" / "raw" / "published"
    sample.mkdir(parents=True)
    published.mkdir(parents=True)
    body = "study,yi,vi\nA,0.1,0.02\nB,0.3,0.01\n"
    (problem,) = _problems(_write(sample, body), "GEN")
    assert "SYNTHETIC" in problem.rule
    problems = _problems(_write(published, body), "GEN")
    assert {p.column for p in problems} == {"source_title", "publisher", "published"}
    mixed = "study,yi,vi,data_label\nA,0.1,0.02,SYNTHETIC\nB,0.3,0.01,\n"
    (problem,) = _problems(_write(tmp_path, mixed), "GEN")
    assert (problem.row, problem.column) == (3, "data_label")


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputFileError, match="no such evidence table"):
        synthesis.read_evidence_table(tmp_path / "nope.csv")


def test_effects_from_groups_makes_the_yi_vi_table_and_validates():
    groups = pd.DataFrame(
        {
            "label": ["North", "South", "East"],
            "estimate": [1.2, 0.8, 1.5],
            "se": [0.3, 0.2, 0.5],
            "subgroup": ["urban", "rural", "urban"],
            "n": [40, 60, 20],
        }
    )
    table = synthesis.effects_from_groups(groups)
    assert table.columns.tolist() == ["study", "yi", "vi", "subgroup", "n"]
    assert table["vi"].tolist() == pytest.approx([0.09, 0.04, 0.25])
    bad = groups.assign(label=["North", "North", "East"], se=[0.3, 0.0, "?"])
    with pytest.raises(ValidationError) as caught:
        synthesis.effects_from_groups(bad, source="outcomes results")
    assert {(p.row, p.column) for p in caught.value.problems} == {(1, "label"), (2, "label"), (2, "se"), (3, "se")}
    assert all(p.file == "outcomes results" for p in caught.value.problems)


# ---- properties the methods must have -------------------------------------------------------


def test_hedges_correction_is_the_exact_gamma_function_form():
    assert effects.hedges_correction(2) == pytest.approx(1 / np.sqrt(np.pi), abs=1e-15)
    m = np.array([5.0, 10.0, 40.0])
    approximate = 1 - 3 / (4 * m - 1)
    assert np.all(np.abs(effects.hedges_correction(m) - approximate) > 1e-6)  # not the approximation
    assert effects.hedges_correction(1e6) == pytest.approx(1.0, abs=1e-6)
    assert np.isnan(effects.hedges_correction(1.0))


def test_zero_cell_correction_only_touches_tables_with_a_zero():
    yi, vi = effects.log_odds_ratio([4, 0], [20, 20], [2, 3], [20, 20])
    assert yi[0] == pytest.approx(np.log(4 * 18 / (16 * 2)))
    assert vi[0] == pytest.approx(1 / 4 + 1 / 16 + 1 / 2 + 1 / 18)
    assert yi[1] == pytest.approx(np.log(0.5 * 17.5 / (20.5 * 3.5)))


def test_dersimonian_laird_and_paule_mandel_are_truncated_at_zero():
    data = EFFECTS["hahn_OR"]  # Q = 6.6 on 11 df: less heterogeneity than chance
    for method in ("DL", "PM", "REML", "HE"):
        assert synthesis.meta_analysis(data["yi"], data["vi"], method).tau2 == 0.0
    raw_dl = synthesis.meta_analysis(data["yi"], data["vi"], "FE")
    assert raw_dl.q < raw_dl.q_df  # the untruncated DL value would be negative


finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
positive = st.floats(0.001, 2.0, allow_nan=False, allow_infinity=False)


@st.composite
def studies(draw, minimum=3, maximum=25):
    k = draw(st.integers(minimum, maximum))
    return np.array(draw(st.lists(finite, min_size=k, max_size=k))), np.array(
        draw(st.lists(positive, min_size=k, max_size=k))
    )


@settings(max_examples=40, deadline=None)
@given(studies())
def test_paule_mandel_solves_its_equation_from_any_data(data):
    yi, vi = data
    r = synthesis.meta_analysis(yi, vi, "PM")
    X, mask = np.ones((1, len(yi), 1)), np.ones((1, len(yi)), bool)
    q = _engine.generalised_q(yi[None], vi[None], X, mask, np.array([r.tau2]))[0]
    if r.tau2 > 0:
        assert q == pytest.approx(len(yi) - 1, rel=1e-8)
    else:
        assert q <= len(yi) - 1 + 1e-9


@settings(max_examples=40, deadline=None)
@given(studies(), st.sampled_from(["DL", "HE", "SJ", "PM", "ML", "REML"]))
def test_heterogeneity_statistics_are_in_range_and_consistent(data, method):
    yi, vi = data
    r = synthesis.meta_analysis(yi, vi, method)
    assert r.tau2 >= 0 and 0 <= r.i2 < 100 and r.h2 >= 1
    assert r.tau2_ci[0] <= r.tau2_ci[1] and r.i2_ci[0] <= r.i2_ci[1]
    assert r.pi_low <= r.ci_low <= r.estimate <= r.ci_high <= r.pi_high
    assert np.sum(r.weights) == pytest.approx(100)


@settings(max_examples=30, deadline=None)
@given(studies(), finite, st.floats(0.2, 5))
def test_pooling_is_equivariant_under_shift_and_scale(data, shift, scale):
    yi, vi = data
    base = synthesis.meta_analysis(yi, vi, "REML")
    moved = synthesis.meta_analysis(scale * yi + shift, scale**2 * vi, "REML")
    assert moved.estimate == pytest.approx(scale * base.estimate + shift, abs=1e-7)
    assert moved.tau2 == pytest.approx(scale**2 * base.tau2, rel=1e-6, abs=1e-9)
    assert moved.i2 == pytest.approx(base.i2, abs=1e-5)
    order = np.argsort(yi)[::-1]
    shuffled = synthesis.meta_analysis(yi[order], vi[order], "REML")
    assert shuffled.estimate == pytest.approx(base.estimate, abs=1e-9)


def test_reml_is_the_maximum_of_the_restricted_likelihood():
    data = EFFECTS["bcg_RR"]
    y, v, X, mask = _engine.batch(data["yi"], data["vi"])
    tau2 = synthesis.meta_analysis(data["yi"], data["vi"], "REML").tau2
    grid = tau2 * np.array([0.9, 0.99, 1.0, 1.01, 1.1])
    lls = [_engine._score_and_loglik(y, v, X, mask, np.array([t]), reml=True)[1][0] for t in grid]
    assert np.argmax(lls) == 2


def test_knapp_hartung_uses_t_with_k_minus_one_df():
    data = EFFECTS["raudenbush"]
    r = synthesis.meta_analysis(data["yi"], data["vi"], "REML", "knha")
    assert r.df == 18
    half = r.ci_high - r.estimate
    from scipy import stats

    assert half == pytest.approx(stats.t.ppf(0.975, 18) * r.se)


def test_summaries_read_like_metafor():
    data = EFFECTS["bcg_RR"]
    text = synthesis.meta_analysis(data["yi"], data["vi"]).summary()
    assert "tau^2" in text and "I^2" in text and "Q(df = 12)" in text and "prediction interval" in text
    reg = synthesis.meta_regression(data["yi"], data["vi"], pd.DataFrame({"ablat": data["moderators"]["ablat"]}))
    assert "ablat" in reg.summary() and "Test of moderators" in reg.summary()


def test_text_moderators_become_indicators_against_the_first_level():
    design = synthesis.regression.design_matrix(
        pd.DataFrame({"alloc": ["random", "alternate", "systematic"], "year": [1950, 1960, 1970]})
    )
    assert design.columns.tolist() == ["intercept", "alloc[random]", "alloc[systematic]", "year"]


# ---- tables, plots and the synthetic per-service effects ------------------------------------


def test_publish_estimates_suppresses_only_the_named_count_columns():
    frame = pd.DataFrame({"Service": ["A", "B", "C"], "Children": [3, 12, 0], "Estimate": ["1.2", "0.8", "3"]})
    table = disclosure.publish_estimates(frame, "caption", "note", count_columns=["Children"])
    assert table.frame["Children"].tolist() == ["*", "10", "0"]
    assert table.frame["Estimate"].tolist() == ["1.2", "0.8", "3"]
    assert "rounded to the nearest 5" in table.note


def _bcg():
    table = synthesis.read_evidence_table(PUBLISHED / "evidence_bcg_colditz1994.csv", "RR")
    e = table.effects
    return table, e, synthesis.meta_analysis(e["yi"], e["vi"], labels=e["study"])


def test_forest_plot_draws_every_study_on_a_log_axis_with_the_numbers_in_its_alt_text():
    from evidence.plots.synthesis_forest import forest_plot

    table, e, result = _bcg()
    sub = synthesis.subgroup_analysis(e["yi"], e["vi"], e["alloc"], labels=e["study"])
    chart = forest_plot(
        e, result, table.measure, "BCG", subgroups=sub, subgroup_column="alloc", favours=("vaccine", "control")
    )
    ax = chart.figure.axes[1]
    assert ax.get_xscale() == "log"
    from matplotlib.collections import PathCollection

    squares = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(squares) == len(e)
    assert len(ax.patches) == 1 + 3  # pooled diamond and one per subgroup
    texts = " ".join(t.get_text() for a in chart.figure.axes for t in a.texts)
    assert "Random effects (REML)" in texts and "I\u00b2 = 92%" in texts and "PI [0.15, 1.55]" in texts
    assert "Test for subgroup differences" in texts
    assert "0.49 (95% CI 0.34 to 0.70)" in chart.alt and "prediction interval 0.15 to 1.55" in chart.alt


def test_funnel_plot_shows_filled_studies():
    from evidence.plots.synthesis_funnel import funnel_plot

    table, e, result = _bcg()
    filled = synthesis.trim_and_fill(e["yi"], e["vi"], "FE")
    chart = funnel_plot(e, result, table.measure, "BCG", filled)
    assert filled.k0 == 4 and "adds 4 studies on the right" in chart.alt
    assert chart.figure.axes[0].yaxis_inverted()
    assert "Trim-and-fill was not run." in funnel_plot(e, result, table.measure, "BCG").alt


def test_synthetic_service_effects_regenerate_identically_and_read_as_synthetic(tmp_path):
    shipped = ROOT / "data" / "raw" / "sample" / samples.service_effects.SAMPLE_FILE
    assert samples.service_effects.write_sample(tmp_path).read_bytes() == shipped.read_bytes()
    table = synthesis.read_evidence_table(shipped, "MC")
    assert table.synthetic and table.layout == "estimate_se"
    assert table.manifest()["synthetic"] is True
    assert (table.effects["children"] >= 10).all()


def test_interval_level_is_the_published_one_not_the_analysis_level(tmp_path):
    z90, z95 = 1.6448536269514722, 1.959963984540054
    path = _write(
        tmp_path,
        f"study,estimate,ci_low,ci_high,ci_level\nA,1,{1 - z90},{1 + z90},0.90\n"
        f"B,2,{2 - z95},{2 + z95},0.95\nC,3,2,4,95\n",
    )
    (problem,) = _problems(path, "GEN")
    assert (problem.row, problem.column) == (4, "ci_level")
    path.write_text(path.read_text().replace(",95\n", ",0.95\n"))
    table = synthesis.read_evidence_table(path, "GEN", level=0.5)
    assert table.effects["vi"].tolist()[:2] == pytest.approx([1.0, 1.0])
    assert "ci_level" not in table.effects


# ---- issue 16: equal variances, se(k0), the refit after Knapp-Hartung, prediction intervals ---

EQUAL = EFFECTS["equal_variance_0.04"]


def test_precision_varies_uses_the_tolerance_of_rs_lm():
    """R's lm drops a column whose part orthogonal to the intercept is below 1e-7 of its norm."""
    assert not synthesis.precision_varies([0.1] * 10)
    assert not synthesis.precision_varies(0.1 * (1 + 1e-9 * np.arange(10)))
    assert synthesis.precision_varies(0.1 * (1 + 1e-5 * np.arange(10)))
    assert synthesis.precision_varies(EFFECTS["bcg_RR"]["vi"])


def test_trim_and_fill_se_k0_is_nan_where_the_l0_variance_is_negative():
    """The L0 variance formula goes negative for a k0 estimate far below 0 (here the side away
    from the asymmetry); metafor's max(0, NaN) is NaN, Python's max(0.0, nan) would be 0.0."""
    data = EFFECTS["bcg_RR"]
    r = synthesis.trim_and_fill(data["yi"], data["vi"], "FE", side="left")
    assert r.k0 == 0 and np.isnan(r.se_k0) and r.side_given
    assert r.to_dict()["se_k0"] is None


def test_trim_and_fill_refits_as_asked_after_knapp_hartung():
    data = EFFECTS["egger2001_OR"]
    same = synthesis.trim_and_fill(data["yi"], data["vi"], "REML", "knha")
    metafor_default = synthesis.trim_and_fill(data["yi"], data["vi"], "REML", "knha", adjusted_test="z")
    assert same.k0 == metafor_default.k0 == 7
    assert (same.adjusted.test, metafor_default.adjusted.test) == ("knha", "z")
    assert same.adjusted.estimate == pytest.approx(metafor_default.adjusted.estimate)
    assert same.adjusted.df == 22 and np.isnan(metafor_default.adjusted.df)
    from scipy import stats

    half = same.adjusted.ci_high - same.adjusted.estimate
    assert half == pytest.approx(stats.t.ppf(0.975, 22) * same.adjusted.se)
    with pytest.raises(ValueError, match="test must be"):
        synthesis.trim_and_fill(data["yi"], data["vi"], adjusted_test="t")


def test_riley_prediction_interval_is_t_on_k_minus_2_df_by_hand():
    """Higgins, Thompson & Spiegelhalter (2009), eq. 12: mu -/+ t(k-2) sqrt(tau^2 + SE^2)."""
    from scipy import stats

    data = EFFECTS["bcg_RR"]
    r = synthesis.meta_analysis(data["yi"], data["vi"], "DL", pi_type="riley")
    half = stats.t.ppf(0.975, 11) * np.sqrt(r.tau2 + r.se**2)
    assert (r.pi_low, r.pi_high) == pytest.approx((r.estimate - half, r.estimate + half))
    assert (r.pi_type, r.pi_df) == ("riley", 11)
    simple = synthesis.meta_analysis(data["yi"], data["vi"], "DL", pi_type="simple")
    assert simple.pi_high - simple.estimate == pytest.approx(stats.norm.ppf(0.975) * simple.tau)
    assert "t on 11 df" in r.summary()
    with pytest.raises(ValueError, match="pi_type must be one of default, riley, t, simple"):
        synthesis.meta_analysis(data["yi"], data["vi"], pi_type="hts")


def test_small_study_checks_run_all_three_when_precision_varies():
    data = EFFECTS["egger2001_OR"]
    checks = synthesis.small_study_checks(data["yi"], data["vi"], "REML", "knha")
    assert checks.not_run == {} and checks.k == 16
    assert checks.egger == synthesis.egger_test(data["yi"], data["vi"], "REML", "knha")
    assert checks.rank == synthesis.rank_correlation_test(data["yi"], data["vi"])
    assert checks.trimfill.k0 == synthesis.trim_and_fill(data["yi"], data["vi"], "REML", "knha").k0 == 7
    assert set(checks.to_dict()) == {"egger", "rank_correlation", "trim_and_fill", "not_run", "k"}


@pytest.mark.parametrize("method", ["FE", "DL", "HE", "REML"])
def test_equal_variances_give_sentences_not_errors_and_trim_and_fill_runs_with_a_side(method):
    from evidence.plots.synthesis_funnel import funnel_plot
    from evidence.synthesis import report_tables, report_text

    gen = synthesis.measure("GEN")
    checks = synthesis.small_study_checks(EQUAL["yi"], EQUAL["vi"], method, "z")
    assert checks.egger is checks.rank is checks.trimfill is None
    assert set(checks.not_run) == {"egger", "rank", "trim_and_fill"}
    text = report_text.describe_small_studies(checks, gen)
    assert "Egger's regression test cannot be estimated: every study has the same standard error (0.2)" in text
    assert "give the side (left or right) to run it" in text and "nan" not in text.lower()
    table = report_tables.small_study_table(checks, gen, "Checks").frame
    assert table["Result"].tolist() == ["not estimable", "not estimable", "not run"]
    effects_frame = pd.DataFrame({"study": EQUAL["labels"], "yi": EQUAL["yi"], "vi": EQUAL["vi"]})
    pooled = synthesis.meta_analysis(EQUAL["yi"], EQUAL["vi"], method)
    assert "Trim-and-fill was not run." in funnel_plot(effects_frame, pooled, gen, "x", checks.trimfill).alt

    sided = synthesis.small_study_checks(EQUAL["yi"], EQUAL["vi"], method, "z", estimator="R0", side="left")
    reference = next(e for e in REFERENCE["trimfill"] if e["name"] == f"equal_variance_0.04_{method}_R0_left")
    assert sided.trimfill.k0 == reference["k0"] == 3
    assert sided.trimfill.adjusted.estimate == pytest.approx(reference["estimate"], abs=TOLERANCE)
    text = report_text.describe_small_studies(sided, gen)
    assert "estimates 3 missing studies on the left (the side given for this analysis)" in text
    assert "the model refitted with a z-test, as the main analysis" in text


def test_report_says_which_prediction_interval_and_which_refit():
    from evidence.synthesis import report_tables, report_text

    table, e, _ = _bcg()
    pooled = synthesis.meta_analysis(e["yi"], e["vi"], "REML", "knha", pi_type="riley")
    assert (
        "95% prediction interval, from a t-distribution on k \u2212 2 = 11 degrees of freedom, as "
        "Higgins, Thompson & Spiegelhalter (2009)"
    ) in report_text.describe_pooled(pooled, table.measure)
    default = synthesis.meta_analysis(e["yi"], e["vi"], "REML", "z")
    assert "from the normal quantile, as the confidence interval" in report_text.describe_pooled(default, table.measure)
    checks = synthesis.small_study_checks(e["yi"], e["vi"], "REML", "knha", adjusted_test="z", pi_type="riley")
    text = report_text.describe_small_studies(checks, table.measure)
    assert (
        "the model refitted with a z-test, as R's metafor trimfill does by default, where the main "
        "analysis uses the Knapp-Hartung adjustment"
    ) in text
    assert "adding its mirror image" in text
    assert (
        report_tables.small_study_table(checks, table.measure, "x").frame["Result"][2] == "1 study filled on the right"
    )
    methods = report_text.describe_methods(pooled, table, 0.5, checks)
    assert "critical value from a t-distribution on k \u2212 2 degrees of freedom" in methods
    assert "L0 estimator, studies filled on the side opposite the slope" in methods
    assert "the model with the filled studies refitted with a z-test" in methods
