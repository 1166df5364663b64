"""The study-result layouts an evidence table may use (see :mod:`evidence.synthesis.evidence_table`
for the columns of each), their checks row by row, and each study's effect size from them.

Every broken rule becomes a :class:`~evidence.errors.Problem` naming file, row (the CSV line:
row 0 of the data is line 2), column and value; the caller raises them all at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evidence.errors import Problem
from evidence.synthesis import effects as fx
from evidence.synthesis.effects import Measure

LAYOUTS: dict[str, tuple[str, ...]] = {
    "two_group": ("mean_1", "sd_1", "n_1", "mean_2", "sd_2", "n_2"),
    "pre_post": ("mean_pre", "sd_pre", "mean_post", "sd_post", "n"),
    "two_by_two": ("events_1", "n_1", "events_2", "n_2"),
    "yi_vi": ("yi", "vi"),
    "estimate_se": ("estimate", "se"),
    "estimate_ci": ("estimate", "ci_low", "ci_high"),
}


def numeric_columns(frame: pd.DataFrame, columns: Sequence[str], file: str, problems: list[Problem]) -> pd.DataFrame:
    """``columns`` of the text table ``frame`` as floats, with a problem added for every value
    that is not a finite number (it becomes NaN)."""
    out = {}
    for column in columns:
        text = frame[column].astype(str).str.strip()
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float))
        problems += [
            Problem(file, int(i) + 2, column, frame[column].iloc[i], "must be a number")
            for i in np.flatnonzero(bad.to_numpy())
        ]
        out[column] = values.astype(float)
    return pd.DataFrame(out, index=frame.index)


def check_rule(problems: list[Problem], file: str, frame: pd.DataFrame, broken, column: str, rule: str) -> None:
    """Add a problem for every row where ``broken`` (a boolean array; NaN rows never break a
    rule here, they are already reported as not numbers)."""
    for i in np.flatnonzero(np.asarray(broken, dtype=bool)):
        problems.append(Problem(file, int(i) + 2, column, frame[column].iloc[i], rule))


def layout_for(measure: Measure, columns: set[str]) -> str | None:
    """The first of the measure's layouts whose columns the table has."""
    for layout in measure.layouts:
        if set(LAYOUTS[layout]) <= columns:
            return layout
    return None


def effect_sizes(
    measure: Measure,
    layout: str,
    values: pd.DataFrame,
    raw: pd.DataFrame,
    file: str,
    problems: list[Problem],
    correlation: float | None,
    level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's effect size and sampling variance (``yi``, ``vi``, analysis scale) for
    ``measure`` from the columns of ``layout`` (``values``: those columns as numbers; ``raw``:
    the table as read, for the values problems name), adding a problem for every row that breaks
    the layout's rules. ``correlation``: the pre-post correlation assumed without a
    ``correlation`` column; ``level``: the confidence level of ``ci_low``/``ci_high`` without a
    ``ci_level`` column."""
    v = {c: values[c].to_numpy() for c in values}
    nan = np.full(len(values), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if layout == "two_group":
            for column in ("sd_1", "sd_2"):
                check_rule(problems, file, raw, v[column] <= 0, column, "a standard deviation must be greater than 0")
            for column in ("n_1", "n_2"):
                check_rule(
                    problems,
                    file,
                    raw,
                    (v[column] < 2) | (v[column] % 1 != 0),
                    column,
                    "a group size must be a whole number of at least 2",
                )
            args = [v[c] for c in LAYOUTS[layout]]
            if measure.code == "SMD":
                return fx.standardised_mean_difference(*args)
            return fx.mean_difference(*args)
        if layout == "pre_post":
            for column in ("sd_pre", "sd_post"):
                check_rule(problems, file, raw, v[column] <= 0, column, "a standard deviation must be greater than 0")
            check_rule(
                problems,
                file,
                raw,
                (v["n"] < 2) | (v["n"] % 1 != 0),
                "n",
                "the sample size must be a whole number of at least 2",
            )
            if "correlation" in v:
                r = v["correlation"]
                check_rule(problems, file, raw, np.abs(r) > 1, "correlation", "a correlation must lie between -1 and 1")
            elif correlation is None:
                problems.append(
                    Problem(
                        file,
                        None,
                        "correlation",
                        None,
                        "pre-post change needs the correlation between pre and post "
                        "scores: add a correlation column or give an assumed one",
                    )
                )
                return nan, nan
            else:
                if not -1 <= correlation <= 1:
                    raise ValueError(f"correlation must lie between -1 and 1, got {correlation}")
                r = np.full(len(values), float(correlation))
            standardise = {"MC": None, "SMCR": "raw", "SMCC": "change"}[measure.code]
            return fx.mean_change(v["mean_pre"], v["sd_pre"], v["mean_post"], v["sd_post"], v["n"], r, standardise)
        if layout == "two_by_two":
            for column in ("n_1", "n_2"):
                check_rule(
                    problems,
                    file,
                    raw,
                    (v[column] < 1) | (v[column] % 1 != 0),
                    column,
                    "a group size must be a whole number of at least 1",
                )
            for column, total in (("events_1", "n_1"), ("events_2", "n_2")):
                check_rule(
                    problems,
                    file,
                    raw,
                    (v[column] < 0) | (v[column] % 1 != 0),
                    column,
                    "an event count must be a whole number, 0 or more",
                )
                check_rule(
                    problems, file, raw, v[column] > v[total], column, f"events cannot outnumber the group ({total})"
                )
            function = {"RR": fx.log_risk_ratio, "OR": fx.log_odds_ratio, "RD": fx.risk_difference}[measure.code]
            return function(v["events_1"], v["n_1"], v["events_2"], v["n_2"])
        if layout == "yi_vi":
            check_rule(problems, file, raw, v["vi"] <= 0, "vi", "a sampling variance must be greater than 0")
            return v["yi"], v["vi"]
        if layout == "estimate_se":
            check_rule(problems, file, raw, v["se"] <= 0, "se", "a standard error must be greater than 0")
            return fx.from_standard_error(v["estimate"], v["se"])
        # estimate_ci: at each row's ci_level if the table gives one, else at ``level``
        low, high, estimate = v["ci_low"], v["ci_high"], v["estimate"]
        if "ci_level" in raw:
            level = numeric_columns(raw, ["ci_level"], file, problems)["ci_level"].to_numpy()
            check_rule(
                problems,
                file,
                raw,
                ~((level > 0) & (level < 1)),
                "ci_level",
                "a confidence level must lie between 0 and 1 (e.g. 0.95)",
            )
        check_rule(problems, file, raw, low >= high, "ci_low", "the lower limit must be below the upper limit")
        check_rule(
            problems,
            file,
            raw,
            (estimate < low) | (estimate > high),
            "estimate",
            "the estimate must lie inside its interval (ci_low to ci_high)",
        )
        if measure.ratio:
            for column in ("estimate", "ci_low"):
                check_rule(
                    problems,
                    file,
                    raw,
                    v[column] <= 0,
                    column,
                    f"a {measure.name} and its limits must be greater than 0",
                )
        return fx.from_confidence_interval(estimate, low, high, level, ratio=measure.ratio)
