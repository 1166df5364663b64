import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence import disclosure, stats
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
    safe = disclosure.disclosed_proportions(table, parts_of_total=False)
    # a: 479 -> 480 of 675. b: 9 of 9 rounds to 10 of 10; the base 10 meets min_base.
    assert safe.loc[0, "proportion"] == pytest.approx(480 / 675)
    assert safe.loc[1, "proportion"] == pytest.approx(1.0)
    assert np.isnan(safe.loc[2, "proportion"])  # count 5 is suppressed, so is its percentage
    assert safe.loc[3, "proportion"] == 0.0  # a true zero is shown
    low, high = stats.wilson_interval(480, 675)
    assert (safe.loc[0, "ci_low"], safe.loc[0, "ci_high"]) == pytest.approx((low, high))


def test_small_base_hides_percentage():
    rule = DisclosureRule(min_base=50)
    table = pd.DataFrame({"group": ["x"], "n": [40], "positive": [20]})
    published = disclosure.publish_proportions(table, ["group"], "t", rule=rule)
    assert published.frame.iloc[0].tolist() == ["x", "40", "20", "*", "*"]


def test_published_table_html_and_records():
    table = pd.DataFrame({"answer": ["Yes", "No"], "count": [3, 120]})
    published = disclosure.publish_counts(table, ["answer"], ["count"], "Answers", column_totals=False)
    assert published.to_records() == [{"answer": "Yes", "count": "*"}, {"answer": "No", "count": "120"}]
    # By default the answers are parts of a total (123 respondents), so 120 is hidden too:
    # otherwise 125 - 120 would bound the hidden count.
    protected = disclosure.publish_counts(table, ["answer"], ["count"], "Answers")
    assert protected.to_records() == [{"answer": "Yes", "count": "*"}, {"answer": "No", "count": "*"}]
    assert "secondary suppression" in protected.note
    html = published.to_html()
    assert "<caption>Answers</caption>" in html and "nearest 5" in html
    assert isinstance(published, PublishedTable)


def test_grid_suppresses_cells():
    long = pd.DataFrame(
        {
            "nation": ["A", "A", "B", "B"],
            "measure": ["m1", "m2", "m1", "m2"],
            "n": [100, 100, 12, 12],
            "positive": [50, 30, 3, 9],
        }
    )
    grid = disclosure.publish_proportion_grid(long, "nation", "measure", "grid")
    rows = grid.to_records()
    # m1: B's 3 is suppressed; A's 50 is hidden too, or 53 - 50 (the measure's total count,
    # published in the headlines) would give B's count back.
    assert rows[0]["m1"] == "*" and rows[1]["m1"] == "*"
    assert rows[0]["m2"].startswith("30% (")
    assert rows[1]["m2"].startswith("100% (")  # 9 of 12 rounds to 10 of 10
    assert rows[1]["Responses (largest base)"] == "10"
    assert "secondary suppression" in grid.note


# --- secondary (complementary) suppression ------------------------------------------------------


def _hidden(published: PublishedTable, columns: list[str]) -> list[tuple[int, str]]:
    frame = published.frame
    return [(i, c) for c in columns for i in range(len(frame)) if frame.loc[i, c] == disclosure.SUPPRESSED]


def test_three_by_three_with_totals_hides_a_rectangle():
    # Worked by hand. Primary: r1/C = 3. Row r1 then has one hidden cell: hide its smallest
    # other non-zero cell, r1/B = 15. Column B now has one: hide r3/B = 10 (smaller than 30).
    # Column C has one: hide r3/C = 18 (smaller than 25). Row r3 then has two: stable.
    table = pd.DataFrame({"row": ["r1", "r2", "r3"], "A": [20, 12, 40], "B": [15, 30, 10], "C": [3, 25, 18]})
    published = disclosure.publish_counts(table, ["row"], ["A", "B", "C"], "t", show_totals=True)
    assert published.to_records() == [
        {"row": "r1", "A": "20", "B": "*", "C": "*", "Total": "40"},
        {"row": "r2", "A": "10", "B": "30", "C": "25", "Total": "65"},
        {"row": "r3", "A": "40", "B": "*", "C": "*", "Total": "70"},
        {"row": "Total", "A": "70", "B": "55", "C": "45", "Total": "175"},
    ]


def test_secondary_suppression_closes_a_rectangle_rather_than_cascading():
    # Worked by hand. Primary r1/A = 2. Row r1: 10 and 30 each sit in a column with nothing
    # hidden, so the smaller, r1/B = 10. Column A: 50 and 40 each sit in a row with nothing
    # hidden: the smaller, r3/A = 40. Column B: r3/B = 70 closes the rectangle (row r3 already
    # has a hidden cell), so it is preferred to the smaller r2/B = 60, which would leave row r2
    # with one hidden cell and cascade. Four cells hidden; totals all shown.
    counts = np.array([[2, 10, 30], [50, 60, 12], [40, 70, 80]])
    pattern = disclosure.suppression_pattern(counts)
    expected = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(pattern, expected)


def test_secondary_suppression_cascades_through_zeros():
    # Worked by hand; zeros are never hidden, so no rectangle can close.
    # Pass 1: row r1 hides B=20 (its only other non-zero cell); column A hides r3/A=30 (r2/A
    #         is 0); column B hides r2/B=15 (r3/B is 0).
    # Pass 2: row r2 has one hidden (B): hides C=25; row r3 has one (A): hides C=40.
    # Pass 3: every row and column has two hidden cells: stable. Six cells hidden.
    counts = np.array([[3, 20, 0], [0, 15, 25], [30, 0, 40]])
    pattern = disclosure.suppression_pattern(counts)
    expected = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 1, 0], [0, 0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(pattern, expected)


def test_table_without_small_cells_is_unchanged():
    table = pd.DataFrame({"row": ["a", "b"], "x": [8, 0], "y": [120, 33]})
    published = disclosure.publish_counts(table, ["row"], ["x", "y"], "t", show_totals=True)
    assert published.to_records() == [
        {"row": "a", "x": "10", "y": "120", "Total": "130"},
        {"row": "b", "x": "0", "y": "35", "Total": "35"},
        {"row": "Total", "x": "10", "y": "155", "Total": "160"},
    ]
    assert "secondary" not in published.note


def test_zeros_are_shown_and_never_chosen_as_the_second_cell():
    # Row: 3 (primary), 0, 25. The zero is shown (not disclosive) and hiding it would protect
    # nothing, so the second hidden cell is 25.
    table = pd.DataFrame({"row": ["a"], "x": [3], "y": [0], "z": [25]})
    published = disclosure.publish_counts(table, ["row"], ["x", "y", "z"], "t", column_totals=False, show_totals=True)
    assert published.to_records() == [{"row": "a", "x": "*", "y": "0", "z": "*", "Total": "30"}]


def test_a_small_total_is_suppressed_and_protects_its_only_cell():
    # Row b: 4 and 0; its total, 4, is itself small, so it is hidden as well: the row has two
    # hidden cells. The column of row totals (60 and 4) then has one: 60 is hidden too.
    table = pd.DataFrame({"row": ["a", "b"], "x": [30, 4], "y": [30, 0]})
    pattern = disclosure.suppression_pattern(table[["x", "y"]].to_numpy())
    # columns x, y, total; rows a, b, total
    np.testing.assert_array_equal(pattern, np.array([[1, 0, 1], [1, 0, 1], [0, 0, 0]], dtype=bool))


def test_total_column_is_checked_and_protected():
    # Baseline = followed up + lost. Lost 3 is suppressed, so followed up 40 is hidden; in the
    # column of losses, A's 3 is the only hidden one, so B's 12 goes too, then B's 50.
    table = pd.DataFrame({"service": ["A", "B"], "baseline": [43, 62], "followed_up": [40, 50], "lost": [3, 12]})
    published = disclosure.publish_counts(
        table, ["service"], ["baseline", "followed_up", "lost"], "t", total_column="baseline"
    )
    assert published.to_records() == [
        {"service": "A", "baseline": "45", "followed_up": "*", "lost": "*"},
        {"service": "B", "baseline": "60", "followed_up": "*", "lost": "*"},
    ]
    with pytest.raises(ValueError, match="not the sum"):
        disclosure.publish_counts(
            table.assign(baseline=[43, 61]),
            ["service"],
            ["baseline", "followed_up", "lost"],
            "t",
            total_column="baseline",
        )


def test_proportions_of_groups_get_secondary_suppression():
    # Tiers add up to all children: tier C's base (5) is hidden, so is the next smallest base
    # (B, 20) with its count and percentage; A's base is shown. Counts: C's count is hidden
    # with its base, so B's count (hidden with B's base) is the second; A's stays.
    table = pd.DataFrame({"tier": ["A", "B", "C"], "n": [200, 20, 5], "positive": [120, 12, 2]})
    published = disclosure.publish_proportions(table, ["tier"], "t")
    records = published.to_records()
    assert [r["Responses"] for r in records] == ["200", "*", "*"]
    assert [r["Of whom"] for r in records] == ["120", "*", "*"]
    assert records[0]["%"] == "60%" and records[1]["%"] == "*"
    unprotected = disclosure.publish_proportions(table, ["tier"], "t", parts_of_total=False)
    assert [r["Responses"] for r in unprotected.to_records()] == ["200", "20", "*"]


def test_summary_hides_statistics_of_a_group_hidden_by_secondary_suppression():
    table = pd.DataFrame({"tier": ["A", "B", "C"], "n": [3, 40, 60], "mean": [9.0, 2.0, 1.0]})
    published = disclosure.publish_summary(table, ["tier"], "n", {"mean": "{:.1f}"}, "t")
    assert published.to_records() == [
        {"tier": "A", "Children": "*", "mean": "*"},
        {"tier": "B", "Children": "*", "mean": "*"},
        {"tier": "C", "Children": "60", "mean": "1.0"},
    ]


def test_suppress_statistic_needs_the_minimum_base():
    rule = DisclosureRule(min_base=10)
    assert disclosure.suppress_statistic(3.14159, 9, rule, "{:.1f}") is None
    assert disclosure.suppress_statistic(3.14159, 10, rule, "{:.1f}") == "3.1"
    assert disclosure.suppress_statistic((1.0, 2.0), 50, rule, "{:.1f} to {:.1f}") == "1.0 to 2.0"
    assert disclosure.suppress_statistic(float("nan"), 50, rule) is None
    assert disclosure.suppress_statistic(1.0, None, rule) is None


_small_heavy = st.one_of(st.integers(0, 9), st.integers(0, 60))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda r: st.integers(1, 5).flatmap(
            lambda c: st.lists(st.lists(_small_heavy, min_size=c, max_size=c), min_size=r, max_size=r)
        )
    ),
    st.booleans(),
    st.booleans(),
    st.integers(0, 9),
)
def test_property_no_line_with_totals_has_exactly_one_hidden_cell(rows, row_totals, column_totals, small):
    rule = DisclosureRule(small_count_max=small)
    counts = np.array(rows)
    pattern = disclosure.suppression_pattern(counts, rule, row_totals, column_totals)
    full, lines = disclosure.with_totals(counts, row_totals, column_totals)
    primary = (full >= 1) & (full <= small)
    assert np.all(pattern[primary])  # every small count is hidden
    assert not np.any(pattern[full == 0])  # zeros are never hidden
    for parts, total in lines:
        hidden = int(pattern.ravel()[[*parts, total]].sum())
        assert hidden == 0 or hidden >= 2
    # the same holds for what a reader sees in the published table
    table = pd.DataFrame(counts, columns=[f"c{j}" for j in range(counts.shape[1])]).assign(label="x")
    published = disclosure.publish_counts(
        table,
        ["label"],
        [f"c{j}" for j in range(counts.shape[1])],
        "t",
        rule,
        row_totals,
        column_totals,
        show_totals=True,
    ).frame
    stars = published.drop(columns="label").eq(disclosure.SUPPRESSED).to_numpy()
    lines_seen = []
    if row_totals:
        lines_seen += list(stars)
    if column_totals:
        lines_seen += list(stars.T)
    assert all(line.sum() != 1 for line in lines_seen)


# derandomize: CI runs a fixed set of examples.
@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=6))
def test_property_groups_never_have_exactly_one_hidden_base_or_count(pairs):
    _groups_never_have_exactly_one_hidden_base_or_count(pairs)


def test_a_zero_hidden_with_its_base_is_a_hidden_cell_of_its_line():
    # Found by a random run of the property above: a group of 1 (0 positive) beside a group
    # of 8 (8 positive). Bases: 1 is primary, so 8 is hidden too. Counts: both are hidden with
    # their bases, the 0 as well. A reader sees two * in each column: no count can be worked
    # out by subtraction from the totals, though one of the hidden counts is a zero (a reader
    # cannot tell it from any other hidden count).
    pairs = [(0, 1), (8, 0)]
    _groups_never_have_exactly_one_hidden_base_or_count(pairs)
    table = pd.DataFrame({"group": ["0", "1"], "n": [1, 8], "positive": [0, 8]})
    safe = disclosure.disclosed_proportions(table)
    assert safe[["n", "positive"]].isna().all().all() and not safe["shown"].any()
    # Audit by enumeration, with the exact totals (9 children, 8 positive) as the worst case:
    # every split that fits what is published (counts >= 0, positive <= n) is possible, so
    # group 0's base, 1, could be anything from 0 to 9.
    feasible = {n0 for n0 in range(10) for x0 in range(9) if x0 <= n0 and 0 <= 8 - x0 <= 9 - n0}
    assert feasible == set(range(10))


def _groups_never_have_exactly_one_hidden_base_or_count(pairs):
    table = pd.DataFrame(
        {
            "group": [str(i) for i in range(len(pairs))],
            "n": [a + b for a, b in pairs],
            "positive": [a for a, _ in pairs],
        }
    )
    safe = disclosure.disclosed_proportions(table)
    for column in ("n", "positive"):
        # The line is the groups plus their total, which is hidden when it is itself small.
        # Every * counts, a hidden zero too: a reader cannot tell it from another hidden count.
        # A line whose total is 0 is exempt: its total alone says every part is 0.
        total = table[column].sum()
        hidden = int(safe[column].isna().sum()) + int(1 <= total <= 7)
        assert hidden != 1 or total == 0
        assert safe[column].isna()[table[column].between(1, 7)].all()
    assert not safe.loc[safe["shown"], ["n", "positive"]].isna().any().any()


def test_chart_counts_hide_what_the_table_hides():
    distribution = pd.DataFrame({"Agree": [120, 60], "Disagree": [3, 40]}, index=["s1", "s2"])
    chart = disclosure.round_count_table(distribution, column_totals=False)
    table = disclosure.publish_counts(
        distribution.rename_axis("s").reset_index(), ["s"], ["Agree", "Disagree"], "t", column_totals=False
    )
    assert chart.to_numpy().tolist() == [[0, 0], [60, 40]]
    assert [r["Agree"] for r in table.to_records()] == ["*", "60"]
