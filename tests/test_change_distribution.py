"""The distribution-of-change chart (seaborn step histogram): bins counted, rounded and hidden
as every published count is, small groups left out; checked on a hand-made example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evidence.disclosure import DisclosureRule
from evidence.plots.outcomes import binned_change, change_distribution_chart

RULE = DisclosureRule(small_count_max=2, rounding_base=1, min_base=5)


def _paired():
    a = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11]  # bins of 5 from 0: 5, 4 and 2 children
    b = [1, 2, 3]  # fewer than min_base: left out
    change = np.array(a + b + [np.nan], dtype=float)  # the last child was not followed up
    return pd.DataFrame({"tier": ["Alpha"] * len(a) + ["Beta"] * len(b) + ["Alpha"], "change": change})


def test_bins_are_counted_rounded_and_hidden_by_hand():
    binned, left_out = binned_change(_paired(), "tier", 5, RULE)
    assert left_out == ["Beta"]
    assert binned["bin_low"].tolist() == [0, 5, 10] and binned["bin_high"].tolist() == [5, 10, 15]
    assert binned["children"].tolist()[:2] == [5, 4] and np.isnan(binned["children"].iloc[2])  # 2 is hidden
    assert binned["percent"].tolist()[:2] == pytest.approx([100 * 5 / 11, 100 * 4 / 11])


def test_a_value_on_a_bin_edge_goes_in_the_bin_it_starts():
    paired = pd.DataFrame({"tier": ["Alpha"] * 6, "change": [-5.0, -5.0, -5.0, 0.0, 0.0, 0.0]})
    binned, _ = binned_change(paired, "tier", 5, DisclosureRule(small_count_max=0, rounding_base=1, min_base=1))
    assert binned[["bin_low", "children"]].to_numpy().tolist() == [[-5, 3], [0, 3]]


def test_the_chart_says_sizes_medians_and_what_is_hidden():
    chart = change_distribution_chart(_paired(), "tier", "Change by tier", "Change (points)", 5, RULE)
    assert "Alpha: about 11 children, median change +5.0" in chart.alt
    assert "bins with 1 to 2 children are not drawn" in chart.alt
    assert "Not shown because of too few children: Beta" in chart.alt
    assert "Beta" not in [t.get_text() for t in chart.figure.axes[0].get_legend().get_texts()]


def test_no_follow_up_or_a_bad_width_is_refused():
    with pytest.raises(ValueError, match="no child has a change score"):
        binned_change(pd.DataFrame({"tier": ["A"], "change": [np.nan]}), "tier", 5)
    with pytest.raises(ValueError, match="bin_width must be positive"):
        binned_change(_paired(), "tier", 0)
