import numpy as np
import pandas as pd
import pytest

from evidence import disclosure
from evidence.disclosure import DisclosureRule, PublishedTable


def test_nhs_digital_rule_on_counts():
    got = disclosure.round_counts([0, 1, 7, 8, 12, 13, 479, 675])
    expected = [0, np.nan, np.nan, 10, 10, 15, 480, 675]
    np.testing.assert_array_equal(got, expected)


def test_thresholds_are_parameters():
    rule = DisclosureRule(small_count_max=2, rounding_base=10, min_base=5)
    np.testing.assert_array_equal(disclosure.round_counts([2, 3, 14, 15], rule), [np.nan, 0, 10, 20])


def test_percentages_come_from_rounded_counts_and_need_a_base():
    table = pd.DataFrame({"group": ["a", "b", "c", "d"], "n": [675, 9, 40, 40], "positive": [479, 9, 5, 0]})
    safe = disclosure.disclosed_proportions(table)
    # a: 479 -> 480 of 675. b: 9 of 9 rounds to 10 of 10; the base 10 meets min_base.
    assert safe.loc[0, "proportion"] == pytest.approx(480 / 675)
    assert safe.loc[1, "proportion"] == pytest.approx(1.0)
    assert np.isnan(safe.loc[2, "proportion"])  # count 5 is suppressed, so is its percentage
    assert safe.loc[3, "proportion"] == 0.0  # a true zero is shown
    low, high = disclosure.stats.wilson_interval(480, 675)
    assert (safe.loc[0, "ci_low"], safe.loc[0, "ci_high"]) == pytest.approx((low, high))


def test_small_base_hides_percentage():
    rule = DisclosureRule(min_base=50)
    table = pd.DataFrame({"group": ["x"], "n": [40], "positive": [20]})
    published = disclosure.publish_proportions(table, ["group"], "t", rule=rule)
    assert published.frame.iloc[0].tolist() == ["x", "40", "20", "*", "*"]


def test_published_table_html_and_records():
    table = pd.DataFrame({"answer": ["Yes", "No"], "count": [3, 120]})
    published = disclosure.publish_counts(table, ["answer"], ["count"], "Answers")
    assert published.to_records() == [{"answer": "Yes", "count": "*"}, {"answer": "No", "count": "120"}]
    html = published.to_html()
    assert "<caption>Answers</caption>" in html and "nearest 5" in html
    assert isinstance(published, PublishedTable)


def test_grid_suppresses_cells():
    long = pd.DataFrame({"nation": ["A", "A", "B", "B"], "measure": ["m1", "m2", "m1", "m2"],
                         "n": [100, 100, 12, 12], "positive": [50, 30, 3, 9]})
    grid = disclosure.publish_proportion_grid(long, "nation", "measure", "grid")
    rows = grid.to_records()
    assert rows[0]["m1"].startswith("50% (") and rows[1]["m1"] == "*"
    assert rows[1]["m2"].startswith("100% (")  # 9 of 12 rounds to 10 of 10
    assert rows[1]["Responses (largest base)"] == "10"
