"""Instrument scorers: worked values from the issue and hand-computed missing-data edges,
then property tests (hypothesis) over random valid and invalid input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evidence.errors import ConfigError, ValidationError
from evidence.instruments import REGISTRY, get_instrument
from evidence.instruments.copm import clinically_important
from evidence.instruments.experience import fft_summary
from evidence.instruments.gas import t_score

NAN = np.nan


def frame(instrument, rows):
    return pd.DataFrame(rows, columns=instrument.item_columns()[: len(rows[0])])


# --- GAS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("goals", "weights", "expected"),
    [
        ([0, 0, 0], None, 50.00),
        ([1, 1, 1], None, 63.69),
        ([2, 0, -1], None, 54.56),
        ([1, 0, -1], [3, 2, 1], 54.41),
    ],
)
def test_gas_worked_values(goals, weights, expected):
    got = t_score([goals], None if weights is None else [weights])
    assert got[0] == pytest.approx(expected, abs=0.005)


def test_gas_children_with_fewer_goals_and_no_goals():
    got = t_score([[1, 1, NAN], [1, 1, 1], [NAN, NAN, NAN]])
    # two goals at +1: 50 + 10 * 2 / sqrt(0.7 * 2 + 0.3 * 4) = 62.403
    assert got[0] == pytest.approx(50 + 20 / np.sqrt(2.6))
    assert got[1] == pytest.approx(63.69, abs=0.005)
    assert np.isnan(got[2])


def test_gas_rejects_impossible_levels():
    with pytest.raises(ValueError, match="between -2 and \\+2"):
        t_score([[3, 0]])


# --- PedsQL-style -----------------------------------------------------------------------------


def test_pedsql_rescaling_and_fifty_percent_rule():
    pedsql = get_instrument("pedsql")
    # physical has 8 items: 4 missing (exactly 50%) is scored, 5 missing is not
    row_a = [0, 1, 2, 3] + [NAN] * 4 + [0] * 15
    row_b = [0, 1, 2] + [NAN] * 5 + [4] * 15
    scores = pedsql.score(frame(pedsql, [row_a, row_b]))
    assert scores.loc[0, "physical"] == pytest.approx((100 + 75 + 50 + 25) / 4)
    assert np.isnan(scores.loc[1, "physical"])
    # total from items, not from scale means: 19 answered items
    assert scores.loc[0, "total"] == pytest.approx((250 + 1500) / 19)
    assert scores.loc[1, "total"] == pytest.approx((225 + 0) / 18)
    assert scores.loc[0, "psychosocial"] == 100.0


def test_pedsql_summary_is_item_mean_not_scale_mean():
    pedsql = get_instrument("pedsql")
    # emotional (5 items) all 0 -> 100; social (5) all 4 -> 0; school: 3 answered at 0 -> 100
    row = [0] * 8 + [0] * 5 + [4] * 5 + [0, 0, 0, NAN, NAN]
    scores = pedsql.score(frame(pedsql, [row])).iloc[0]
    assert scores["school"] == 100.0
    assert scores["psychosocial"] == pytest.approx(800 / 13)  # item mean 61.54
    assert scores["psychosocial"] != pytest.approx((100 + 0 + 100) / 3)  # not the scale mean


def test_pedsql_emotional_missing_edges():
    pedsql = get_instrument("pedsql")
    two_missing = [0] * 8 + [1, 1, 1, NAN, NAN] + [0] * 10
    three_missing = [0] * 8 + [1, 1, NAN, NAN, NAN] + [0] * 10
    scores = pedsql.score(frame(pedsql, [two_missing, three_missing]))
    assert scores.loc[0, "emotional"] == 75.0
    assert np.isnan(scores.loc[1, "emotional"])


# --- SDQ ----------------------------------------------------------------------------------


def test_sdq_reverse_scoring_and_subscales():
    sdq = get_instrument("sdq")
    items = [0] * 25 + [0, 0, 0, 0, 0]
    scores = sdq.score(frame(sdq, [items])).iloc[0]
    # all "not true": reversed items 7, 11, 14, 21, 25 score 2 each
    assert scores["conduct"] == 2 and scores["peer"] == 4 and scores["hyperactivity"] == 4
    assert scores["emotional"] == 0 and scores["prosocial"] == 0
    assert scores["total_difficulties"] == 10
    assert scores["externalising"] == 6 and scores["internalising"] == 4
    assert scores["impact"] == 0


def test_sdq_prorating_rounds_half_up_and_needs_three_items():
    sdq = get_instrument("sdq")
    items = np.full(30, 0.0)
    # emotional items 3, 8, 13, 16, 24: answer three as 2, 1, 0 and leave two blank
    # 5 x mean(2, 1, 0) = 5.0
    for number, value in zip((3, 8, 13, 16, 24), (2, 1, 0, NAN, NAN), strict=True):
        items[number - 1] = value
    # conduct 5, 7, 12, 18, 22: 1, 2 (reversed -> 0), 1, 0 and one blank -> 5 x 2/4 = 2.5 -> 3
    for number, value in zip((5, 7, 12, 18, 22), (1, 2, 1, 0, NAN), strict=True):
        items[number - 1] = value
    # peer 6, 11, 14, 19, 23: only two answered -> not scored
    for number, value in zip((6, 11, 14, 19, 23), (1, 1, NAN, NAN, NAN), strict=True):
        items[number - 1] = value
    scores = sdq.score(frame(sdq, [items.tolist()])).iloc[0]
    assert scores["emotional"] == 5
    assert scores["conduct"] == 3  # 2.5 rounds half up, not to even
    assert np.isnan(scores["peer"])
    assert np.isnan(scores["total_difficulties"]) and np.isnan(scores["internalising"])
    assert scores["externalising"] == 3 + scores["hyperactivity"]


def test_sdq_impact_and_bands():
    sdq = get_instrument("sdq")
    items = [2, 2, 2, 2, 2, 2, 0, 2, 2, 2, 0, 2, 2, 0, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2, 0] + [3, 2, 1, 0, 3]
    scores = sdq.score(frame(sdq, [items]))
    row = scores.iloc[0]
    assert row["emotional"] == 10 and row["conduct"] == 10 and row["hyperactivity"] == 10
    assert row["peer"] == 10 and row["total_difficulties"] == 40 and row["prosocial"] == 10
    assert row["impact"] == 2 + 1 + 0 + 0 + 2
    bands = sdq.band(scores).iloc[0]
    assert bands["total_difficulties_band"] == "Abnormal" and bands["prosocial_band"] == "Normal"
    edge = pd.DataFrame(
        {
            "total_difficulties": [13, 14, 16, 17],
            "emotional": [3, 4, 5, NAN],
            "conduct": [2, 3, 4, 0],
            "hyperactivity": [5, 6, 7, 0],
            "peer": [2, 3, 4, 0],
            "prosocial": [6, 5, 4, 10],
        }
    )
    banded = sdq.band(edge)
    assert banded["total_difficulties_band"].tolist() == ["Normal", "Borderline", "Borderline", "Abnormal"]
    assert banded["emotional_band"].tolist()[:3] == ["Normal", "Borderline", "Abnormal"]
    assert pd.isna(banded["emotional_band"].iloc[3])
    assert banded["prosocial_band"].tolist() == ["Normal", "Borderline", "Abnormal", "Normal"]


# --- COPM and PREM ------------------------------------------------------------------------------


def test_copm_means_over_rated_problems_and_change():
    copm = get_instrument("copm")
    rows = [[4, 6, NAN, NAN, NAN, 3, 5, NAN, NAN, NAN], [NAN] * 10]
    scores = copm.score(frame(copm, rows))
    assert scores.loc[0, "performance"] == 5.0 and scores.loc[0, "satisfaction"] == 4.0
    assert scores.loc[0, "problems"] == 2
    assert np.isnan(scores.loc[1, "performance"])
    np.testing.assert_array_equal(clinically_important([5, 5, 5, NAN], [7, 6.9, 8, 9]), [1, 0, 1, NAN])
    np.testing.assert_array_equal(clinically_important([5], [6], threshold=1), [1])


def test_fft_denominator_is_a_parameter():
    codes = pd.Series([1, 1, 2, 3, 4, 6, 6, None])
    with_dk = fft_summary(codes, include_dont_know=True)
    without = fft_summary(codes, include_dont_know=False)
    assert (with_dk["n"], with_dk["positive"], with_dk["negative"]) == (7, 3, 1)
    assert with_dk["p_positive"] == pytest.approx(3 / 7)
    assert without["n"] == 5 and without["p_positive"] == pytest.approx(3 / 5)
    with pytest.raises(ValueError):
        fft_summary(pd.Series([7]))


def test_experience_scale():
    experience = get_instrument("experience")
    scores = experience.score(frame(experience, [[5, 5, 4, NAN, NAN], [5, 5, NAN, NAN, NAN]]))
    assert scores.loc[0, "experience"] == pytest.approx((100 + 100 + 75) / 3)
    assert np.isnan(scores.loc[1, "experience"])


def test_invalid_codes_raise_with_row_and_item():
    pedsql = get_instrument("pedsql")
    with pytest.raises(ValidationError, match=r"row 2, column 'item_3': value 5: pedsql item 3"):
        pedsql.score(frame(pedsql, [[0] * 23, [0, 0, 5] + [0] * 20]))
    with pytest.raises(ConfigError, match="unknown instrument"):
        get_instrument("not-an-instrument")


# --- properties ------------------------------------------------------------------------------


def _valid_items(instrument):
    low = np.array([instrument.item_ranges[i][0] for i in range(1, instrument.n_items + 1)])
    high = np.array([instrument.item_ranges[i][1] for i in range(1, instrument.n_items + 1)])

    @st.composite
    def draw(draw_):
        n = draw_(st.integers(1, 20))
        unit = draw_(arrays(np.float64, (n, instrument.n_items), elements=st.floats(0, 1, exclude_max=True)))
        codes = np.floor(low + unit * (high - low + 1))
        holes = draw_(arrays(np.bool_, (n, instrument.n_items)))
        return pd.DataFrame(np.where(holes, np.nan, codes), columns=instrument.item_columns())

    return draw()


SCALE_RANGES = {
    "pedsql": (0, 100),
    "experience": (0, 100),
    "copm": (1, 10),
    "sdq": (0, 40),
    "gas": (0, 100),
}


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_valid_input_never_raises_and_stays_in_range(name, data):
    instrument = REGISTRY[name]
    items = data.draw(_valid_items(instrument))
    scores = instrument.score(items)
    low, high = SCALE_RANGES[name]
    for column in scores.columns:
        values = scores[column].dropna()
        if column in ("goals", "problems"):
            assert values.between(0, 5).all()
        else:
            assert values.between(low, high).all(), (column, values.tolist())


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_out_of_range_codes_always_raise(name, data):
    instrument = REGISTRY[name]
    item = data.draw(st.integers(1, instrument.n_items))
    low, high = instrument.item_ranges[item]
    bad = data.draw(st.one_of(st.integers(high + 1, high + 50), st.integers(low - 50, low - 1), st.just(low + 0.5)))
    items = pd.DataFrame([[np.nan] * instrument.n_items], columns=instrument.item_columns())
    items[f"item_{item}"] = bad
    with pytest.raises(ValidationError, match=f"item {item} must be a whole number"):
        instrument.score(items)


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, 23, elements=st.integers(0, 3)), st.integers(0, 22))
def test_pedsql_moves_the_right_way(codes, item):
    """Reporting one more problem on any item never raises a PedsQL score."""
    pedsql = get_instrument("pedsql")
    worse = codes.copy()
    worse[item] += 1
    scores = pedsql.score(pd.DataFrame([codes, worse], columns=pedsql.item_columns()))
    assert (scores.iloc[1] <= scores.iloc[0]).all()
    assert scores.iloc[1]["total"] < scores.iloc[0]["total"]


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (1, 5), elements=st.sampled_from([-2.0, -1.0, 0.0, 1.0])), st.integers(0, 4))
def test_gas_moves_the_right_way(goals, which):
    better = goals.copy()
    better[0, which] += 1
    assert t_score(better)[0] > t_score(goals)[0]
