from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evidence import stats
from evidence.errors import EvidenceError

FIXTURES = Path(__file__).parent / "fixtures" / "raking"


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        (479, 675, 0.6743, 0.7426),  # the foundation issue's worked example
        # Newcombe (1998) Stat Med 17:857-872, Table I, method 3 (Wilson score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(count, n, low, high):
    got = stats.wilson_interval(count, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_is_vectorised_and_level_aware():
    low, high = stats.wilson_interval(np.array([479, 81]), np.array([675, 263]))
    assert low == pytest.approx([stats.wilson_interval(479, 675)[0], stats.wilson_interval(81, 263)[0]])
    assert high == pytest.approx([0.7426, 0.3662], abs=5e-5)
    narrow = stats.wilson_interval(479, 675, level=0.80)
    assert narrow[0] > low[0] and narrow[1] < high[0]


def test_wilson_interval_is_exact_at_none_and_all():
    """0 of n has a lower bound of exactly 0 and n of n an upper bound of exactly 1 (charts draw
    error bars as differences, and -3e-17 is refused); n = 0 stays undefined."""
    n = np.arange(1, 500)
    assert (stats.wilson_interval(np.zeros_like(n), n)[0] == 0).all()
    assert (stats.wilson_interval(n, n)[1] == 1).all()
    assert stats.wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=5e-5)  # Newcombe 1998 Table I
    assert all(np.isnan(stats.wilson_interval(0, 0)))


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ValueError, match="count <= n"):
        stats.wilson_interval(5, 4)
    with pytest.raises(ValueError, match="level"):
        stats.wilson_interval(1, 4, level=95)


def test_kish_quantities_by_hand():
    w = np.array([1.0, 1.0, 2.0, 4.0])
    # (sum w)^2 / sum w^2 = 64 / 22
    assert stats.effective_sample_size(w) == pytest.approx(64 / 22)
    assert stats.kish_design_effect(w) == pytest.approx(4 * 22 / 64)


def _fixture_data():
    responses = pd.read_csv(FIXTURES / "responses.csv")
    margins = pd.read_csv(FIXTURES / "margins.csv")
    targets = {v: m.set_index("category")["total"] for v, m in margins.groupby("variable")}
    return responses, targets


def test_raking_agrees_with_r_survey_package():
    responses, targets = _fixture_data()
    expected = pd.read_csv(FIXTURES / "expected_weights.csv")
    summary = pd.read_csv(FIXTURES / "expected_summary.csv").set_index("quantity")["value"]
    result = stats.rake(responses, {"nation": targets["nation"], "sector": targets["sector"]})
    np.testing.assert_allclose(result.weights.to_numpy(), expected["weight"].to_numpy(), rtol=1e-8)
    assert result.design_effect == pytest.approx(float(summary["kish_design_effect"]), rel=1e-8)
    assert result.effective_sample_size == pytest.approx(float(summary["effective_sample_size"]), rel=1e-8)
    assert result.weights.sum() == pytest.approx(10000)


def test_raking_matches_every_margin():
    responses, targets = _fixture_data()
    result = stats.rake(responses, {"nation": targets["nation"], "sector": targets["sector"]})
    for column in ("nation", "sector"):
        achieved = result.weights.groupby(responses[column]).sum()
        pd.testing.assert_series_equal(
            achieved.sort_index(), targets[column].astype(float).sort_index(), check_names=False, rtol=1e-9
        )


def test_raking_errors_are_clear():
    responses, targets = _fixture_data()
    with pytest.raises(EvidenceError, match="no population margin"):
        stats.rake(responses, {"nation": targets["nation"].drop("Wales")})
    with pytest.raises(EvidenceError, match="no responses in"):
        stats.rake(responses[responses["nation"] != "Wales"], {"nation": targets["nation"]})
    with pytest.raises(EvidenceError, match="share one population total"):
        stats.rake(responses, {"nation": targets["nation"], "sector": targets["sector"] * 2})
    with_missing = responses.copy()
    with_missing.loc[0, "nation"] = None
    with pytest.raises(EvidenceError, match="have no answer"):
        stats.rake(with_missing, {"nation": targets["nation"]})


def test_survey_raking_drops_margins_that_one_nation_cannot_carry():
    from evidence.survey import raking_weights

    responses, targets = _fixture_data()
    wales = responses[responses["nation"] == "Wales"]
    assert raking_weights(wales, {"nation": targets["nation"]}) is None  # one nation: nothing to weight
    weights = raking_weights(wales, {"nation": targets["nation"], "sector": targets["sector"]})
    present = targets["sector"][targets["sector"].index.isin(wales["sector"].unique())]
    achieved = weights.groupby(wales["sector"]).sum()
    # the Wales sample has no Charity respondents, so the weights carry the other sectors' totals
    pd.testing.assert_series_equal(
        achieved.sort_index(), present.astype(float).sort_index(), check_names=False, rtol=1e-9
    )
