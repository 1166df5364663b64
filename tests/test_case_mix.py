"""Logistic case-mix models against R's glm(binomial): tests/fixtures/case_mix (make_fixture.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evidence import case_mix, outcomes
from evidence.errors import EvidenceError

FIXTURES = Path(__file__).parent / "fixtures" / "case_mix"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
DATASETS = sorted(EXPECTED)


def children(name: str) -> pd.DataFrame:
    table = pd.read_csv(FIXTURES / "children.csv", keep_default_na=False, na_values=[""])
    table = table[table["dataset"] == name].reset_index(drop=True)
    return table.astype({"primary_need": "category", "followed_up": bool})


@pytest.mark.parametrize("name", DATASETS)
def test_follow_up_model_and_weights_match_glm(name):
    reference = EXPECTED[name]["ipw"]
    paired = children(name)
    design = case_mix.covariate_design(paired, outcomes.COVARIATES)
    assert design.n_missing == reference["n_missing_covariates"] > 0
    assert len(design.matrix) == reference["n_used"]
    kept = paired[design.complete]
    p = case_mix.fit_probabilities(design.matrix, kept["followed_up"])
    np.testing.assert_allclose(p, reference["probabilities"], rtol=0, atol=1e-10)
    ipw = case_mix.inverse_probability_weights(design.matrix, kept["followed_up"], kept["change"])
    np.testing.assert_allclose(ipw.weights, reference["weights"], rtol=1e-9)
    assert ipw.weighted_mean == pytest.approx(reference["weighted_mean"], abs=1e-9)
    assert ipw.effective_n == pytest.approx(reference["effective_n"], abs=1e-8)


@pytest.mark.parametrize("name", DATASETS)
def test_ipw_mean_change_uses_complete_cases_and_says_how_many(name):
    reference = EXPECTED[name]["ipw"]
    result = outcomes.ipw_mean_change(children(name), replicates=0)
    assert result.n_baseline == reference["n_used"]
    assert result.n_missing_covariates == reference["n_missing_covariates"]
    assert result.n_complete == reference["n_complete"]
    assert result.complete_case_mean == pytest.approx(reference["complete_case_mean"], abs=1e-12)
    assert result.weighted_mean == pytest.approx(reference["weighted_mean"], abs=1e-9)
    assert result.effective_n == pytest.approx(reference["effective_n"], abs=1e-8)
    assert result.weighted_ci == result.kish_ci


@pytest.mark.parametrize("name", DATASETS)
def test_case_mix_expected_counts_and_z_match_glm(name):
    reference = EXPECTED[name]["case_mix"]
    paired = children(name)
    table, p0, _ = outcomes.case_mix_comparison(paired, paired["reached"])
    expected = pd.DataFrame(reference["table"])
    assert table.attrs["n_missing_covariates"] == paired["reached"].notna().sum() - reference["n_used"]
    assert p0 == pytest.approx(reference["p0"], abs=1e-12)
    assert table["service"].tolist() == expected["service"].tolist()
    assert table["n"].tolist() == expected["n"].tolist()
    np.testing.assert_allclose(table["expected"], expected["expected"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(table["adjusted_proportion"], expected["adjusted_proportion"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(table["z"], expected["z"], rtol=0, atol=1e-8)


def test_a_blank_category_is_missing_not_the_reference_level():
    paired = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "need": pd.Categorical(["a", None, "b", "a"])})
    design = case_mix.covariate_design(paired, ["x", "need"])
    assert design.n_missing == 1
    assert design.complete.tolist() == [True, False, True, True]
    assert design.matrix.columns.tolist() == ["intercept", "x", "need: b"]
    assert design.matrix["need: b"].tolist() == [0.0, 1.0, 0.0]


def test_batched_newton_fits_match_the_glm_fit():
    paired = children("n1500")
    design = case_mix.covariate_design(paired, outcomes.COVARIATES)
    y = paired.loc[design.complete, "followed_up"]
    rng = np.random.default_rng(3)
    counts = np.vstack([np.ones(len(y)), rng.multinomial(len(y), np.full(len(y), 1 / len(y)), size=2)])
    batched = case_mix.weighted_logistic_probabilities(design.matrix, y, counts)
    np.testing.assert_allclose(batched[0], case_mix.fit_probabilities(design.matrix, y), atol=1e-12)
    import statsmodels.api as sm  # a resample is the same fit with frequency weights

    refit = sm.GLM(
        y.to_numpy(float), design.matrix.to_numpy(), family=sm.families.Binomial(), freq_weights=counts[1]
    ).fit(tol=1e-12)
    np.testing.assert_allclose(batched[1], refit.predict(design.matrix.to_numpy()), atol=1e-9)


def test_bootstrap_interval_is_seeded_and_wider_than_treating_weights_as_known():
    paired = children("n1500")
    first = outcomes.ipw_mean_change(paired, replicates=400, rng=np.random.default_rng(7))
    again = outcomes.ipw_mean_change(paired, replicates=400, rng=np.random.default_rng(7))
    assert first.weighted_ci == again.weighted_ci
    assert first.bootstrap_replicates == 400
    low, high = first.weighted_ci
    assert low < first.weighted_mean < high
    # the bootstrap also carries the variation of the estimated weights and of who is followed up
    assert high - low > 0.8 * (first.kish_ci[1] - first.kish_ci[0])


def test_perfect_separation_is_refused():
    paired = pd.DataFrame(
        {
            "baseline": np.arange(20.0),
            "followed_up": np.arange(20) >= 10,
            "change": np.where(np.arange(20) >= 10, 1.0, np.nan),
        }
    )
    with pytest.raises(EvidenceError, match="separate"):
        outcomes.ipw_mean_change(paired, covariates=["baseline"], replicates=0)


def test_comparison_text_counts_children_left_out_and_names_the_limits():
    from evidence.disclosure import DisclosureRule

    paired = children("n1500")
    table, _, tau2 = outcomes.case_mix_comparison(paired, paired["reached"])
    shown = table[table["n"] >= 10]  # as the report filters it: the count travels with the table
    text = case_mix.describe_comparison(shown, tau2, DisclosureRule())
    used = EXPECTED["n1500"]["case_mix"]["n_used"]
    assert shown.attrs["n_missing_covariates"] == paired["reached"].notna().sum() - used
    assert f"{5 * round(shown.attrs['n_missing_covariates'] / 5)} children with a follow-up had a case-mix" in text
    assert ("widened" in text) == (tau2 > 0)
    none_missing = table.copy()
    none_missing.attrs["n_missing_covariates"] = 0
    assert case_mix.describe_comparison(none_missing, 0.0, DisclosureRule()).startswith("Services differ no more")
