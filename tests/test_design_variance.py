"""Weighted survey proportions on raked designs against R's survey package
(tests/fixtures/design_variance/make_fixture.R: rake, svyciprop logit and beta, svyby)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evidence import design_variance, stats

FIXTURES = Path(__file__).parent / "fixtures" / "design_variance"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
FILES = {"sample": "sample_responses.csv", "simulated": "simulated_responses.csv"}
CASES = [(name, measure) for name in FILES for measure in EXPECTED[name]["measures"]]


def raked(name: str) -> tuple[pd.DataFrame, design_variance.RakedDesign]:
    data = pd.read_csv(FIXTURES / FILES[name], keep_default_na=False, na_values=[""], dtype={"band": str})
    margins = {
        column: pd.Series(totals, dtype=float) / sum(totals.values()) * len(data)
        for column, totals in EXPECTED[name]["margins"].items()
    }
    weights = stats.rake(data, margins, tolerance=1e-13).weights
    codes = tuple(pd.factorize(data[column])[0] for column in margins)
    return data, design_variance.RakedDesign(weights.to_numpy(), codes)


@pytest.mark.parametrize("name", sorted(FILES))
def test_raking_weights_match_r(name):
    _, design = raked(name)
    np.testing.assert_allclose(design.weights, EXPECTED[name]["weights"], rtol=1e-10)


@pytest.mark.parametrize(("name", "measure"), CASES)
@pytest.mark.parametrize("method", design_variance.METHODS)
def test_whole_sample_interval_matches_svyciprop(name, measure, method):
    data, design = raked(name)
    reference = EXPECTED[name]["measures"][measure]["whole"][method]
    y = data[measure].to_numpy(float)
    p, variance, n_valid = design_variance.domain_proportions(y, np.zeros(len(y), int), 1, design)
    assert n_valid[0] - 1 == reference["df"]
    assert p[0] == pytest.approx(reference["estimate"], abs=1e-10)  # svyglm iterates to ~1e-12
    assert np.sqrt(variance[0]) == pytest.approx(reference["se"], rel=1e-9)
    low, high = design_variance.proportion_intervals(p, variance, n_valid, design.n, [np.nan], method=method)
    assert low[0] == pytest.approx(reference["low"], abs=1e-9)
    assert high[0] == pytest.approx(reference["high"], abs=1e-9)


@pytest.mark.parametrize(("name", "measure"), CASES)
@pytest.mark.parametrize("method", design_variance.METHODS)
def test_domain_intervals_match_svyby(name, measure, method):
    data, design = raked(name)
    reference = EXPECTED[name]["measures"][measure]["domains"]
    table = pd.DataFrame(reference[method])
    groups = pd.Categorical(data[EXPECTED[name]["by"]], categories=table["group"])
    y = data[measure].to_numpy(float)
    p, variance, n_valid = design_variance.domain_proportions(y, np.asarray(groups.codes), len(table), design)
    np.testing.assert_allclose(p, table["estimate"], atol=1e-10)
    np.testing.assert_allclose(np.sqrt(variance), reference["se"], rtol=1e-9)
    np.testing.assert_array_equal(n_valid - 1, reference["df"])
    low, high = design_variance.proportion_intervals(
        p, variance, n_valid, design.n, np.full(len(p), np.nan), method=method
    )
    np.testing.assert_allclose(low, table["low"], atol=1e-9)
    np.testing.assert_allclose(high, table["high"], atol=1e-9)


def test_post_stratification_variance_by_hand():
    # one margin of two categories, equal weights within each: the residual of u = z / w is
    # u minus its category mean, so the variance is n/(n-1) sum (w (y - ybar_h) / W)^2
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    codes = np.array([0, 0, 0, 1, 1, 1])
    w = np.where(codes == 0, 1.0, 3.0)
    design = design_variance.RakedDesign(w, (codes,))
    p, variance, _ = design_variance.domain_proportions(y, np.zeros(6, int), 1, design)
    assert p[0] == pytest.approx((2 + 3) / 12)
    ybar = np.where(codes == 0, 2 / 3, 1 / 3)
    assert variance[0] == pytest.approx(6 / 5 * np.sum((w * (y - ybar) / 12) ** 2))


def test_all_or_none_positive_gives_a_clopper_pearson_interval_at_kish_n():
    low, high = design_variance.proportion_intervals([0.0, 1.0], [0.0, 0.0], [20, 20], 50, [16.0, 16.0])
    assert low[0] == 0.0 and high[1] == 1.0
    assert high[0] == pytest.approx(1 - 0.025 ** (1 / 16))  # Beta(1, 16) upper 97.5% point
    assert low[1] == pytest.approx(0.025 ** (1 / 16))


def test_weighted_survey_tables_match_r_end_to_end(ingested):
    # the ingested sample raked to the nation shares, as the workforce report does
    from evidence import survey
    from evidence.ingest import load_processed

    out, _ = ingested
    table, _ = load_processed(out / "workforce_survey.parquet")
    responses = survey.analysable(table)
    margins = {column: pd.Series(totals, dtype=float) for column, totals in EXPECTED["sample"]["margins"].items()}
    weights = survey.raking_weights(responses, margins)
    assert weights.attrs["raking_margins"] == ["nation"]
    headlines = survey.headline_estimates(responses, weights).set_index("id")
    by_setting = survey.proportion_table(responses, "setting", weights, method="beta")
    for measure, reference in EXPECTED["sample"]["measures"].items():
        whole = reference["whole"]["logit"]
        assert headlines.loc[measure, ["ci_low", "ci_high"]].tolist() == pytest.approx(
            [whole["low"], whole["high"]], abs=1e-9
        )
        domains = pd.DataFrame(reference["domains"]["beta"]).set_index("group")
        ours = by_setting[by_setting["id"] == measure].set_index("setting")
        ours.index = ours.index.astype(str)
        pd.testing.assert_series_equal(ours.loc[domains.index, "ci_low"], domains["low"], check_names=False, atol=1e-9)
        pd.testing.assert_series_equal(
            ours.loc[domains.index, "ci_high"], domains["high"], check_names=False, atol=1e-9
        )
    unweighted = survey.headline_estimates(responses).set_index("id")  # unweighted: Wilson, as before
    n, k = unweighted["n"].to_numpy(float), unweighted["positive"].to_numpy(float)
    np.testing.assert_allclose(unweighted["ci_low"], stats.wilson_interval(k, n)[0])


def test_raked_design_refuses_weights_that_do_not_fit_the_table():
    from evidence.errors import EvidenceError

    table = pd.DataFrame({"nation": ["England", "Wales", None]})
    weights = pd.Series([1.0, 2.0, 1.5])
    with pytest.raises(EvidenceError, match="missing values"):
        design_variance.raked_design(table, weights, ["nation"])
    with pytest.raises(EvidenceError, match="one weight for every response"):
        design_variance.raked_design(table.iloc[:2], weights, ["nation"])
    with pytest.raises(EvidenceError, match="positive and finite"):
        design_variance.raked_design(table.iloc[:2], pd.Series([1.0, -1.0]), [])
    weights.attrs["raking_margins"] = ["nation"]
    design = design_variance.raked_design(table.iloc[:2], weights.iloc[:2])
    assert [c.tolist() for c in design.margin_codes] == [[0, 1]]
