"""Survey measures: weighting, headline proportions with intervals, distributions, and their
description in words. The definition is :mod:`evidence.survey.definition`; cleaning a raw
export is :mod:`evidence.survey.clean`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evidence import disclosure, sourced, stats
from evidence.paths import display_path, resolve
from evidence.survey.answers import slug as _slug
from evidence.survey.definition import SurveyDefinition, workforce_survey

MARGINS_ADVICE = "Fix these entries (see the comments at the top of config/survey_margins.yml) and run again."

# --- measures ------------------------------------------------------------------------------


def load_margins(path: str | Path) -> tuple[dict[str, pd.Series], dict[str, Any]]:
    """Population margins for raking from a YAML file (see ``config/survey_margins.yml``):
    the margins by column (category -> population total or share, finite and not negative),
    and ``about``: the file's ``illustrative`` flag and ``source`` (a citation, required unless
    illustrative, when a ``note`` says why). Read through :mod:`evidence.sourced`, so every
    problem in the file is reported at once with its line and key."""
    path = resolve(path)
    document, locations = sourced.read_yaml(path)
    problems = sourced.Problems(path, locations)
    if not isinstance(document, dict):
        problems.add((), None, "must be a mapping with illustrative, source, note and margins")
        problems.raise_if_any(f"the margins {display_path(path)}", MARGINS_ADVICE)
    sourced.check_keys(document, (), {"illustrative", "source", "note", "margins"}, problems, required=("margins",))
    citation, illustrative, _ = sourced.provenance(document, (), problems, sourced.text_source, "a citation")
    margins: dict[str, pd.Series] = {}
    raw_margins = document.get("margins")
    if "margins" in document and (not isinstance(raw_margins, dict) or not raw_margins):
        problems.add(("margins",), None, "must map each weighting column to its categories and totals")
    for column, categories in raw_margins.items() if isinstance(raw_margins, dict) else ():
        if not isinstance(categories, dict) or not categories:
            problems.add(("margins", str(column)), None, "must map each category to its population total")
            continue
        for category, total in categories.items():
            if not sourced.is_number(total, finite=True) or total < 0:
                problems.add(
                    ("margins", str(column), str(category)),
                    total,
                    "must be a finite number of 0 or more (a population total or share)",
                )
        margins[str(column)] = pd.Series(categories, dtype=object)
    problems.raise_if_any(f"the margins {display_path(path)}", MARGINS_ADVICE)
    return (
        {column: values.astype(float) for column, values in margins.items()},
        {"illustrative": illustrative, "source": citation},
    )


def raking_weights(responses: pd.DataFrame, margins: dict[str, pd.Series]) -> pd.Series | None:
    """Raking weights for ``responses`` (see :func:`evidence.stats.rake`). A margin on a column
    that takes a single value in these responses (e.g. nation, when one nation is reported)
    carries no information and is left out; with no margin left, there is nothing to weight
    and ``None`` is returned (every response counts equally)."""
    usable = {column: target for column, target in margins.items() if responses[column].nunique() > 1}
    if not usable:
        return None
    present = {
        column: target[target.index.isin(responses[column].dropna().unique())] for column, target in usable.items()
    }
    total = next(iter(present.values())).sum()
    scaled = {column: target / target.sum() * total for column, target in present.items()}
    weights = stats.rake(responses, scaled).weights
    weights.attrs["raking_margins"] = list(scaled)  # for the design-based variance (proportion_table)
    return weights


def analysable(table: pd.DataFrame, nation: str | None = None) -> pd.DataFrame:
    """Responses used in analysis: later duplicate responses left out, optionally one nation."""
    kept = table[~table["duplicate_of_earlier_response"]]
    if nation and nation != "All":
        if nation not in set(table["nation"].cat.categories):
            raise ValueError(f"unknown nation {nation!r}; expected one of {list(table['nation'].cat.categories)}")
        kept = kept[kept["nation"] == nation]
    return kept


def indicator(table: pd.DataFrame, column: str, labels: list[str]) -> pd.Series:
    """1.0 where the answer is one of ``labels``, 0.0 for other answers, NaN where missing."""
    answered = table[column].notna()
    return table[column].isin(labels).astype(float).where(answered)


def proportion_table(
    table: pd.DataFrame,
    by: str | None = None,
    weights: pd.Series | None = None,
    definition: SurveyDefinition | None = None,
    level: float = 0.95,
    method: str = "logit",
    raking_margins: list[str] | None = None,
) -> pd.DataFrame:
    """Every headline measure, overall or per group of ``by``, among valid answers.

    Columns: [by,] id, statement, n (valid answers), positive (unweighted count), proportion,
    ci_low, ci_high, n_effective (Kish's effective sample size of the valid answers). Unweighted,
    the interval is the Wilson score interval (Wilson 1927; Newcombe 1998). Weighted, the
    proportion is the weighted share and its interval is design-based: the linearisation
    variance of the raked design (residuals on the raking margins ``raking_margins``, by default
    those :func:`raking_weights` recorded on the weights) with the logit interval of R's
    ``survey::svyciprop`` (``method="logit"``) or Korn & Graubard's (1998) beta interval
    (``method="beta"``); see :mod:`evidence.design_variance`. Weights with no raking margins are
    treated as plain sampling weights. The weights must cover exactly the rows of ``table``.
    """
    from evidence import design_variance

    definition = definition or workforce_survey()
    w = pd.Series(1.0, index=table.index) if weights is None else weights.reindex(table.index)
    keys = [table[by]] if by else [pd.Series("All", index=table.index, name="group")]
    design = None if weights is None else design_variance.raked_design(table, weights, raking_margins)
    frames = []
    for headline in definition.headlines:
        flag = indicator(table, headline["column"], definition.labels_for_codes(headline["column"], headline["codes"]))
        valid = flag.notna()
        parts = pd.DataFrame(
            {
                "w": w.where(valid, 0.0),
                "wy": (w * flag).where(valid, 0.0),
                "w2": np.square(w).where(valid, 0.0),
                "n": valid.astype(int),
                "positive": flag.fillna(0).astype(int),
            }
        )
        sums = parts.groupby(keys, observed=False).sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            proportion = sums["wy"] / sums["w"]
            n_effective = np.square(sums["w"]) / sums["w2"]
        if design is None:
            low, high = stats.wilson_interval(
                np.nan_to_num(proportion * n_effective), np.nan_to_num(n_effective), level
            )
        else:
            domains = pd.Categorical(keys[0], categories=sums.index).codes
            p, variance, _ = design_variance.domain_proportions(
                flag.to_numpy(float), np.asarray(domains), len(sums), design
            )
            proportion = pd.Series(p, index=sums.index)
            low, high = design_variance.proportion_intervals(
                p, variance, sums["n"].to_numpy(), design.n, n_effective.to_numpy(), level, method
            )
        frame = pd.DataFrame(
            {
                "id": headline["id"],
                "statement": headline["statement"],
                "n": sums["n"],
                "positive": sums["positive"],
                "proportion": proportion,
                "ci_low": np.where(sums["n"] > 0, low, np.nan),
                "ci_high": np.where(sums["n"] > 0, high, np.nan),
                "n_effective": n_effective.fillna(0.0),
            }
        )
        frames.append(frame.reset_index())
    out = pd.concat(frames, ignore_index=True)
    return out.drop(columns="group") if by is None else out


def headline_estimates(
    table: pd.DataFrame,
    weights: pd.Series | None = None,
    definition: SurveyDefinition | None = None,
    level: float = 0.95,
    method: str = "logit",
) -> pd.DataFrame:
    """The headline measures over all of ``table`` (see :func:`proportion_table`)."""
    return proportion_table(table, None, weights, definition, level, method)


def likert_distribution(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Counts of each answer (valid answers only) for Likert columns: one row per column,
    one column per answer, in scale order."""
    counts = {c: table[c].value_counts(sort=False) for c in columns}
    return pd.DataFrame(counts).T.fillna(0).astype(int)


def multiselect_counts(table: pd.DataFrame, column: str, definition: SurveyDefinition | None = None) -> pd.DataFrame:
    """For a multi-select question: how many respondents chose each option (``chosen``), out
    of those who answered the question (``n``), options in the definition's order."""
    definition = definition or workforce_survey()
    options = definition.categories(definition.column(column)["scale"])
    flags = table[[f"{column}__{_slug(o)}" for o in options]]
    answered = flags.notna().all(axis=1)
    chosen = flags[answered].sum().astype(int).to_numpy()
    return pd.DataFrame({"option": options, "chosen": chosen, "n": int(answered.sum())})


def describe_headlines(estimates: pd.DataFrame, published: pd.DataFrame | None = None, level: float = 0.95) -> str:
    """Plain-language markdown, one bullet per headline. ``estimates`` is the output of
    :func:`evidence.disclosure.disclosed_proportions` on :func:`headline_estimates`, so the
    figures quoted are the publishable ones; ``published`` adds the published percentage."""
    quoted = {} if published is None else dict(zip(published["measure_id"], published["percent"], strict=True))
    lines = []
    for row in estimates.itertuples(index=False):
        if not row.shown:
            lines.append(f"- Too few answers to report the share who {row.statement}.")
            continue
        line = (
            f"- **{100 * row.proportion:.0f}%** {row.statement} ({level:.0%} interval "
            f"{100 * row.ci_low:.0f}% to {100 * row.ci_high:.0f}%; {int(row.n):,} answers)."
        )
        if row.id in quoted:
            line += f" The published survey reported {quoted[row.id]}%."
        lines.append(line)
    return "\n".join(lines)


def describe_weighting(about: dict[str, Any], weights: pd.Series | None) -> str:
    """What weighting did, in words, and whether its population margins are published figures
    (``about`` from :func:`load_margins`)."""
    if weights is None:
        return (
            "Weighting was asked for, but these responses come from one group of every margin "
            "(for example one nation), so every response counts equally."
        )
    source = (
        "The margins are **illustrative**, not published figures: read weighted results as a demonstration."
        if about["illustrative"]
        else f"Margins: {about['source']}."
    )
    rule = disclosure.DisclosureRule()
    rounded = disclosure.round_counts([stats.effective_sample_size(weights)], rule)[0]  # as every count shown
    size = f"under {rule.small_count_max + 1}" if np.isnan(rounded) else f"about {rounded:,.0f}"
    return (
        f"Results are weighted by raking to population margins (Kish design effect "
        f"{stats.kish_design_effect(weights):.2f}, effective sample size {size}). Intervals for weighted "
        "results are design-based: their variance allows for the raking (linearisation, as R's survey "
        f"package) and they are computed on the logit scale. {source}"
    )
