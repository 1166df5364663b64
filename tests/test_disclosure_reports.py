"""Every report shows people's numbers only through disclosure control.

Static checks on the notebooks (no table reaches a report except as a PublishedTable, nothing
printed or displayed around :mod:`evidence.reporting.notebook`), and the reports' own table and
text functions run on a tiny synthetic input in which one group is smaller than the rule's
minimum: its mean must not appear anywhere.

Exempt, and why: the evidence-synthesis tables (study-level effects from published papers,
not counts of this service's children; any column counting people goes through
``publish_estimates(count_columns=...)``), the ROI model and assumption tables and the workforce
projection (model inputs and outputs, not statistics over people; the ROI means that do come
from the records are refused below the minimum group size by ``roi.records.cohort_inputs`` and
tabulated through ``publish_summary``).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evidence import disclosure, outcomes
from evidence.disclosure import DisclosureRule, PublishedTable

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
# functions that return None, so a cell may end with them
SHOW_FUNCTIONS = {"show_table", "show_figure", "show_markdown", "save_results", "declare_inputs", "require_passed"}
FORBIDDEN_CALLS = {"display", "print", "to_html", "to_markdown", "to_string", "HTML", "Markdown", "style"}
RULE = DisclosureRule()


def _code_cells(path: Path) -> list[ast.Module]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells
        if c["cell_type"] == "code"
    ]
    return [ast.parse(source) for source in sources]


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_show_nothing_except_through_the_reporting_helpers(path):
    for tree in _code_cells(path):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                assert _called_name(node) not in FORBIDDEN_CALLS, (
                    f"{path.name}: {ast.unparse(node)[:80]} - show tables with show_table(disclosure.publish_...)"
                )
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("style", "to_html"), f"{path.name}: {ast.unparse(node)[:80]}"
        # Jupyter displays the value of a cell's last expression: it must be one of the helpers.
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = tree.body[-1].value
            assert isinstance(last, ast.Call) and _called_name(last) in SHOW_FUNCTIONS, (
                f"{path.name}: a cell ends with {ast.unparse(last)[:80]!r}, which Jupyter would display as it is"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_table_a_notebook_shows_comes_from_the_publishing_functions(path):
    """``show_table`` refuses anything but a PublishedTable at run time; here, statically, its
    argument is a ``disclosure.publish_*`` call, a report module's ``*_table`` function (which
    returns a PublishedTable made by ``publish_estimates``), or a name bound to one of those."""
    trees = _code_cells(path)
    bound = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                for target in node.targets:
                    key = ast.unparse(target.value if isinstance(target, ast.Subscript) else target)
                    bound[key] = node.value

    def publishes(call: ast.Call) -> bool:
        name = _called_name(call)
        return name.startswith("publish_") or name.endswith("_table")

    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) == "show_table":
                argument = node.args[0]
                if isinstance(argument, ast.Subscript):
                    argument = argument.value
                call = argument if isinstance(argument, ast.Call) else bound.get(ast.unparse(argument))
                assert call is not None and publishes(call), f"{path.name}: show_table({ast.unparse(node.args[0])})"


# --- the reports' functions on a tiny input with one small group ----------------------------------

SMALL_MEAN = 23.7  # tier A's mean change: distinctive, so any leak is visible in the text


def _paired() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for tier, n, shift in (("A", 4, SMALL_MEAN), ("B", 30, 2.0), ("C", 40, 3.0)):
        baseline = rng.normal(60, 10, n)
        noise = rng.normal(0, 0.5, n)
        follow_up = baseline + shift + noise - noise.mean()  # mean change exactly ``shift``
        rows.append(pd.DataFrame({"tier": tier, "baseline": baseline, "follow_up": follow_up}))
    paired = pd.concat(rows, ignore_index=True)
    paired["change"] = paired["follow_up"] - paired["baseline"]
    paired["followed_up"] = True
    return paired


def _texts(table: PublishedTable) -> str:
    return " ".join(table.frame.astype(str).to_numpy().ravel()) + " " + table.note


def test_change_by_tier_hides_the_small_tier_and_its_complement():
    by_tier = outcomes.change_table(_paired(), "tier")
    assert by_tier.loc[0, "mean_change"] == pytest.approx(SMALL_MEAN)
    summary_columns = {
        "mean_baseline": "{:.1f}",
        "mean_follow_up": "{:.1f}",
        "mean_change": "{:+.1f}",
        "change_ci_low|change_ci_high": "{:+.1f} to {:+.1f}",
        "srm": "{:.2f}",
        "hedges_g": "{:.2f}",
        "g_ci_low|g_ci_high": "{:.2f} to {:.2f}",
    }
    table = disclosure.publish_summary(by_tier, ["tier"], "n", summary_columns, "t", RULE)
    assert f"{SMALL_MEAN:+.1f}" not in _texts(table)
    rows = table.to_records()
    assert set(rows[0].values()) == {"A", "*"}
    # the tiers add up to all children, shown in the headline: B (the next smallest) goes too
    assert set(rows[1].values()) == {"B", "*"}
    assert rows[2]["Children"] == "40" and rows[2]["mean_change"] == "+3.0"


def test_figures_get_the_same_masking():
    by_tier = outcomes.change_table(_paired(), "tier")
    masked = outcomes.mask_small_groups(by_tier, RULE.min_base, ["hedges_g", "g_ci_low", "g_ci_high"])
    assert masked.loc[0, ["hedges_g", "g_ci_low", "g_ci_high"]].isna().all()


def test_headline_text_hides_the_mean_of_a_small_group():
    paired = _paired()
    small = outcomes.change_summary(paired[paired["tier"] == "A"])
    mic_row = pd.Series({"shown": False, "proportion": np.nan, "ci_low": np.nan, "ci_high": np.nan})
    text = outcomes.describe_change(small, mic_row, "score", "tier A", 4.5, True, RULE)
    assert "Too few" in text and f"{SMALL_MEAN:+.1f}" not in text and "fewer than 8" in text


def test_loss_to_follow_up_text_hides_means_over_a_small_group():
    weighted = outcomes.WeightedChange(SMALL_MEAN, 25.1, (20.0, 30.0), 5, 40, 4.5)
    text = outcomes.describe_follow_up_weighting(weighted, RULE)
    assert f"{SMALL_MEAN:+.1f}" not in text and "+25.1" not in text and "Too few" in text
    shown = outcomes.describe_follow_up_weighting(
        outcomes.WeightedChange(SMALL_MEAN, 25.1, (20.0, 30.0), 30, 40, 25.0), RULE
    )
    assert f"{SMALL_MEAN:+.1f}" in shown and "+25.1" in shown


def test_experience_text_uses_rounded_counts_and_hides_small_groups():
    few = {
        "n": 6,
        "positive": 5,
        "negative": 1,
        "p_positive": 5 / 6,
        "positive_ci_low": 0.4,
        "positive_ci_high": 0.97,
        "p_negative": 1 / 6,
        "dont_know_in_denominator": True,
    }
    assert "Too few" in outcomes.describe_experience(few, pd.Series([80.0] * 6), RULE)
    many = {
        "n": 43,
        "positive": 38,
        "negative": 3,
        "p_positive": 38 / 43,
        "positive_ci_low": 0.75,
        "positive_ci_high": 0.95,
        "p_negative": 3 / 43,
        "dont_know_in_denominator": True,
    }
    text = outcomes.describe_experience(many, pd.Series([71.0] * 5 + [np.nan] * 38), RULE)
    assert "**89%**" in text  # 40 of 45 (rounded counts), not 38 of 43 (88%)
    assert "too few said poor" in text  # 3 is suppressed, so is its percentage
    assert "mean experience score" not in text  # five scores: no mean


def test_monthly_medians_of_small_months_are_masked_for_the_chart():
    episodes = pd.DataFrame(
        {
            "service": "S",
            "referral_date": pd.to_datetime(["2024-01-03"] * 12 + ["2024-02-03"] * 3),
            "assessment_date": pd.to_datetime(["2024-03-01"] * 12 + ["2024-02-20"] * 3),
        }
    )
    waits = outcomes.monthly_waits(episodes)
    masked = outcomes.mask_small_groups(waits, RULE.min_base, ["median_weeks", "q1_weeks", "q3_weeks"])
    assert masked["median_weeks"].notna().tolist() == [True, False]


def test_survey_weighting_text_rounds_the_effective_sample_size_like_any_count():
    from evidence import survey

    about = {"illustrative": True, "source": ""}
    weights = pd.Series([1.0] * 100 + [3.0] * 30)  # Kish n_eff = 190**2 / 370 = 97.57
    assert "effective sample size about 100)" in survey.describe_weighting(about, weights)
    assert "effective sample size under 8)" in survey.describe_weighting(about, pd.Series([1.0, 2.0, 1.0]))
