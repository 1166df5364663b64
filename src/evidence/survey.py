"""The workforce survey: its definition, cleaning of a raw export, and survey measures.

A raw export (see :mod:`evidence.readers`) is checked against the survey definition
(``data/workforce_survey.yml``) and the answer-label mapping table (``data/answer_labels.csv``):
every problem is collected and reported together, naming file, row, column, value and rule.
A clean table has one row per response with typed columns, a pseudonymised respondent ID,
redacted free text, and no direct identifiers. Undeclared columns are not carried; those whose
header names an identifier ("Child name", "email address", ...) are listed as identifier columns
dropped, and their names are redacted from free text too. Problem values that look like
identifiers are masked in error messages (see :mod:`evidence.privacy` for every rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evidence import disclosure, privacy, stats
from evidence.errors import ConfigError, Problem, ValidationError
from evidence.paths import resolve
from evidence.readers import RawTable
from evidence.validation import (
    answer_labels,
    check_required_columns,
    normalise_text,
    problems_at,
    scale_categories,
    to_category,
    to_datetime,
    to_integer,
)

IMPORT_ID_PREFIX = '{"ImportId"'


@dataclass(frozen=True)
class SurveyDefinition:
    """A survey export's definition, loaded from YAML (see ``data/workforce_survey.yml``)."""

    name: str
    title: str
    id_column: str
    missing_codes: frozenset[str]
    synthetic_marker: dict[str, str]
    direct_identifiers: tuple[str, ...]
    name_columns: tuple[str, ...]
    exclusions: tuple[dict[str, Any], ...]
    duplicate_keys: tuple[str, ...]
    columns: tuple[dict[str, Any], ...]
    headlines: tuple[dict[str, Any], ...]

    def column(self, name: str) -> dict[str, Any]:
        return next(c for c in self.columns if c["name"] == name)

    def scale(self, scale: str) -> pd.DataFrame:
        """The mapping rows (label, code, canonical) of one answer scale."""
        labels = answer_labels()
        return labels[labels["scale"] == scale]

    def categories(self, scale: str) -> list[str]:
        """Canonical answers of a scale in code order."""
        return scale_categories(scale)

    def labels_for_codes(self, column: str, codes: list[int]) -> list[str]:
        rows = self.scale(self.column(column)["scale"])
        return rows.loc[rows["code"].isin(codes), "canonical"].unique().tolist()


@cache
def workforce_survey() -> SurveyDefinition:
    """The packaged workforce-survey definition."""
    package = resources.files("evidence") / "data"
    spec = yaml.safe_load((package / "workforce_survey.yml").read_text(encoding="utf-8"))
    return SurveyDefinition(
        name=spec["name"],
        title=spec["title"],
        id_column=spec["id_column"],
        missing_codes=frozenset(c.casefold() for c in spec["missing_codes"]),
        synthetic_marker=spec["synthetic_marker"],
        direct_identifiers=tuple(spec["direct_identifiers"]),
        name_columns=tuple(spec["name_columns"]),
        exclusions=tuple(spec["exclusions"]),
        duplicate_keys=tuple(spec["duplicate_keys"]),
        columns=tuple(spec["columns"]),
        headlines=tuple(spec["headlines"]),
    )


@dataclass
class CleanSurvey:
    """The result of cleaning: the table and what happened on the way (for the manifest)."""

    table: pd.DataFrame
    synthetic: bool
    rows_in: int
    header_rows_removed: int
    rejected: dict[str, int]
    duplicates: dict[str, Any]
    redactions: dict[str, int]
    dropped_identifier_columns: list[str]
    ignored_columns: list[str]
    key_origin: str


def _strip_header_rows(raw: RawTable, definition: SurveyDefinition) -> int:
    """Remove the extra header rows an online-survey export puts under the column names
    (question text, ``{"ImportId": ...}``); return how many were removed."""
    questions = {c["source"]: c.get("question", "") for c in definition.columns}
    removed = 0
    while removed < min(5, len(raw.data)):
        row = raw.data.iloc[removed].dropna().astype(str)
        if row.empty:
            break
        import_ids = row.str.startswith(IMPORT_ID_PREFIX).mean()
        same_as_question = pd.Series(
            [row[c] == questions[c] for c in row.index if c in questions], dtype=bool
        )
        echoes_names = (row == row.index.to_series()[row.index]).mean()
        if import_ids > 0.5 or echoes_names > 0.5 or (
            len(same_as_question) and same_as_question.mean() > 0.5
        ):
            removed += 1
        else:
            break
    if removed:
        raw.data = raw.data.iloc[removed:].reset_index(drop=True)
        raw.row_numbers = raw.row_numbers.iloc[removed:].reset_index(drop=True)
    return removed


def _check_columns(raw: RawTable, definition: SurveyDefinition) -> None:
    needed = [definition.id_column, *(c["source"] for c in definition.columns)]
    needed += [e["column"] for e in definition.exclusions]
    check_required_columns(raw, needed, "Export the survey again with every question included.")


def _validate_and_convert(
    raw: RawTable, data: pd.DataFrame, definition: SurveyDefinition
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check every defined column, return the typed columns and the problems found."""
    out: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    positions = pd.RangeIndex(len(data))
    for spec in definition.columns:
        source, name, kind = spec["source"], spec["name"], spec["kind"]
        values = data[source].astype("string")
        normal = normalise_text(values)
        missing = normal.isna() | normal.isin(definition.missing_codes)
        if spec.get("required"):
            problems += problems_at(raw, missing, source, values, "an answer is required here")
        if kind == "category":
            out[name], found = to_category(raw, source, values, missing, spec["scale"],
                                           ordered=spec["scale"] in ("agree5", "afc_band"))
            problems += found
        elif kind == "multiselect":
            mapping = definition.scale(spec["scale"])
            lookup = dict(zip(mapping["label"], mapping["canonical"], strict=True))
            parts = normal.where(~missing).str.split(re.escape(spec["separator"])).explode()
            parts = parts.str.strip()
            canonical = parts.map(lookup)
            unknown = parts.notna() & canonical.isna()
            bad_rows = positions.isin(parts.index[unknown])
            problems += problems_at(
                raw, bad_rows, source, values,
                f"contains an option that is not recognised; options are: "
                f"{', '.join(definition.categories(spec['scale']))}",
            )
            chosen = pd.crosstab(canonical.index, canonical).reindex(
                index=positions, columns=definition.categories(spec["scale"]), fill_value=0
            )
            for option in chosen.columns:
                flag = pd.array(chosen[option].to_numpy() > 0, dtype="boolean")
                flag[missing.to_numpy()] = pd.NA
                out[f"{name}__{_slug(option)}"] = pd.Series(flag)
        elif kind == "integer":
            out[name], found = to_integer(raw, source, values, missing, spec["min"], spec["max"])
            problems += found
        elif kind == "datetime":
            out[name], found = to_datetime(raw, source, values, missing, "%Y-%m-%d %H:%M:%S",
                                           "YYYY-MM-DD HH:MM:SS")
            problems += found
        elif kind == "free_text":
            out[name] = values.where(~missing)
        else:  # a definition error, not a data error
            raise ValueError(f"unknown column kind {kind!r} in survey definition")
    return pd.DataFrame(out, index=positions), problems


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def clean_export(
    raw: RawTable, definition: SurveyDefinition | None = None, environ: dict[str, str] | None = None
) -> CleanSurvey:
    """Validate, type and de-identify a raw survey export. Raises :class:`ValidationError`
    listing every problem; returns a :class:`CleanSurvey` otherwise. ``raw`` is not changed."""
    definition = definition or workforce_survey()
    raw = RawTable(raw.path, raw.data.copy(), raw.row_numbers.copy(), raw.encoding, raw.column_labels)
    rows_in = len(raw.data)
    header_rows = _strip_header_rows(raw, definition)
    if raw.data.empty:
        raise ValidationError([Problem(raw.name, None, None, None,
                                       "the file has a header but no responses")])
    _check_columns(raw, definition)

    marker = definition.synthetic_marker
    synthetic = bool(
        marker["column"] in raw.data
        and (raw.data[marker["column"]].astype("string").str.strip() == marker["value"]).all()
    )

    keep = pd.Series(True, index=raw.data.index)
    rejected: dict[str, int] = {}
    for rule in definition.exclusions:
        accepted = normalise_text(raw.data[rule["column"]]).isin([k.casefold() for k in rule["keep"]])
        newly = keep & ~accepted
        if newly.any():
            rejected[rule["reason"]] = int(newly.sum())
        keep &= accepted
    if not keep.any():  # an empty table would pass here and fail later, far from its cause
        reasons = "; ".join(f"{reason}: {count}" for reason, count in rejected.items())
        raise ValidationError([Problem(raw.name, None, None, None,
                                       f"every response is excluded by design ({reasons}), so there "
                                       "is nothing to ingest; is this the right export?")])
    raw.data = raw.data[keep.to_numpy()].reset_index(drop=True)
    raw.row_numbers = raw.row_numbers[keep.to_numpy()].reset_index(drop=True)

    ids = raw.data[definition.id_column].astype("string").str.strip()
    problems = problems_at(raw, ids.isna(), definition.id_column, ids, "every response needs an ID")
    repeated = ids.duplicated(keep=False) & ids.notna()
    problems += problems_at(raw, repeated, definition.id_column, ids,
                            "response IDs must be unique; the same ID appears on another row")

    used = {definition.id_column, *(c["source"] for c in definition.columns),
            *(e["column"] for e in definition.exclusions), marker["column"]}
    extra_identifiers = privacy.identifier_columns(raw.data.columns, used | set(definition.direct_identifiers))
    name_sources = [*definition.name_columns, *(c for c, kind in extra_identifiers.items() if kind == "name")]
    names = pd.concat([raw.data[c] for c in name_sources if c in raw.data] or [pd.Series(dtype="string")])
    names = names.dropna()

    typed, column_problems = _validate_and_convert(raw, raw.data, definition)
    problems += column_problems
    free_text = {spec["name"] for spec in definition.columns if spec["kind"] == "free_text"}
    sources = {spec["name"]: spec["source"] for spec in definition.columns}
    for name in typed.columns:
        if name not in free_text and pd.api.types.is_string_dtype(typed[name]) and \
                not isinstance(typed[name].dtype, pd.CategoricalDtype):
            problems += privacy.identifier_problems(raw.name, typed[name], raw.row_numbers,
                                                    sources.get(name, name), names)
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise ValidationError(privacy.masked_problems(problems, names),
                              "Correct the export (the raw file is unchanged) and ingest again.")

    key = privacy.pseudonym_key(synthetic, environ)
    typed.insert(0, "respondent_id", privacy.pseudonymise(ids, key))

    duplicate_key = pd.Series(pd.NA, index=raw.data.index, dtype="string")
    for column in definition.duplicate_keys:
        if column in raw.data:
            duplicate_key = duplicate_key.fillna(normalise_text(raw.data[column]))
    repeat = duplicate_key.notna() & duplicate_key.duplicated(keep="first")
    typed["duplicate_of_earlier_response"] = repeat.to_numpy()
    duplicates = {
        "rule": f"same {' / '.join(definition.duplicate_keys)} (after trimming and case-folding)",
        "later_responses_flagged": int(repeat.sum()),
        "respondent_ids": typed.loc[repeat.to_numpy(), "respondent_id"].tolist(),
    }

    redactions: dict[str, int] = {}
    for spec in definition.columns:
        if spec["kind"] == "free_text":
            typed[spec["name"]], counts = privacy.redact_free_text(typed[spec["name"]], names)
            for kind, n in counts.items():
                redactions[kind] = redactions.get(kind, 0) + n

    typed["synthetic"] = synthetic
    return CleanSurvey(
        table=typed,
        synthetic=synthetic,
        rows_in=rows_in - header_rows,
        header_rows_removed=header_rows,
        rejected=rejected,
        duplicates=duplicates,
        redactions=redactions,
        dropped_identifier_columns=[c for c in definition.direct_identifiers if c in raw.data]
        + list(extra_identifiers),
        ignored_columns=[c for c in raw.data.columns
                         if c not in used and c not in definition.direct_identifiers
                         and c not in extra_identifiers],
        key_origin=key.origin,
    )


# --- measures ------------------------------------------------------------------------------


def load_margins(path: str | Path) -> tuple[dict[str, pd.Series], dict[str, Any]]:
    """Population margins for raking from a YAML file (see ``config/survey_margins.yml``):
    the margins by column, and the file's ``illustrative`` flag and ``source``."""
    path = resolve(path)
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        margins = {column: pd.Series(values, dtype=float)
                   for column, values in config["margins"].items()}
        about = {"illustrative": bool(config["illustrative"]), "source": config.get("source")}
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: not a valid margins file (needs illustrative, source and "
                          f"margins: column -> category -> total) ({error})") from None
    if not about["illustrative"] and not about["source"]:
        raise ConfigError(f"{path}: margins that are not illustrative must name their source")
    return margins, about


def raking_weights(responses: pd.DataFrame, margins: dict[str, pd.Series]) -> pd.Series | None:
    """Raking weights for ``responses`` (see :func:`evidence.stats.rake`). A margin on a column
    that takes a single value in these responses (e.g. nation, when one nation is reported)
    carries no information and is left out; with no margin left, there is nothing to weight
    and ``None`` is returned (every response counts equally)."""
    usable = {column: target for column, target in margins.items() if responses[column].nunique() > 1}
    if not usable:
        return None
    present = {column: target[target.index.isin(responses[column].dropna().unique())]
               for column, target in usable.items()}
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
        flag = indicator(table, headline["column"],
                         definition.labels_for_codes(headline["column"], headline["codes"]))
        valid = flag.notna()
        parts = pd.DataFrame({"w": w.where(valid, 0.0), "wy": (w * flag).where(valid, 0.0),
                              "w2": np.square(w).where(valid, 0.0), "n": valid.astype(int),
                              "positive": flag.fillna(0).astype(int)})
        sums = parts.groupby(keys, observed=False).sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            proportion = sums["wy"] / sums["w"]
            n_effective = np.square(sums["w"]) / sums["w2"]
        if design is None:
            low, high = stats.wilson_interval(np.nan_to_num(proportion * n_effective),
                                              np.nan_to_num(n_effective), level)
        else:
            domains = pd.Categorical(keys[0], categories=sums.index).codes
            p, variance, _ = design_variance.domain_proportions(flag.to_numpy(float), np.asarray(domains),
                                                                len(sums), design)
            proportion = pd.Series(p, index=sums.index)
            low, high = design_variance.proportion_intervals(p, variance, sums["n"].to_numpy(), design.n,
                                                             n_effective.to_numpy(), level, method)
        frame = pd.DataFrame({"id": headline["id"], "statement": headline["statement"],
                              "n": sums["n"], "positive": sums["positive"],
                              "proportion": proportion, "ci_low": np.where(sums["n"] > 0, low, np.nan),
                              "ci_high": np.where(sums["n"] > 0, high, np.nan),
                              "n_effective": n_effective.fillna(0.0)})
        frames.append(frame.reset_index())
    out = pd.concat(frames, ignore_index=True)
    return out.drop(columns="group") if by is None else out


def headline_estimates(table: pd.DataFrame, weights: pd.Series | None = None,
                       definition: SurveyDefinition | None = None, level: float = 0.95,
                       method: str = "logit") -> pd.DataFrame:
    """The headline measures over all of ``table`` (see :func:`proportion_table`)."""
    return proportion_table(table, None, weights, definition, level, method)


def likert_distribution(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Counts of each answer (valid answers only) for Likert columns: one row per column,
    one column per answer, in scale order."""
    counts = {c: table[c].value_counts(sort=False) for c in columns}
    return pd.DataFrame(counts).T.fillna(0).astype(int)


def multiselect_counts(table: pd.DataFrame, column: str,
                       definition: SurveyDefinition | None = None) -> pd.DataFrame:
    """For a multi-select question: how many respondents chose each option (``chosen``), out
    of those who answered the question (``n``), options in the definition's order."""
    definition = definition or workforce_survey()
    options = definition.categories(definition.column(column)["scale"])
    flags = table[[f"{column}__{_slug(o)}" for o in options]]
    answered = flags.notna().all(axis=1)
    chosen = flags[answered].sum().astype(int).to_numpy()
    return pd.DataFrame({"option": options, "chosen": chosen, "n": int(answered.sum())})


def describe_headlines(estimates: pd.DataFrame, published: pd.DataFrame | None = None,
                       level: float = 0.95) -> str:
    """Plain-language markdown, one bullet per headline. ``estimates`` is the output of
    :func:`evidence.disclosure.disclosed_proportions` on :func:`headline_estimates`, so the
    figures quoted are the publishable ones; ``published`` adds the published percentage."""
    quoted = {} if published is None else dict(zip(published["measure_id"], published["percent"], strict=True))
    lines = []
    for row in estimates.itertuples(index=False):
        if not row.shown:
            lines.append(f"- Too few answers to report the share who {row.statement}.")
            continue
        line = (f"- **{100 * row.proportion:.0f}%** {row.statement} ({level:.0%} interval "
                f"{100 * row.ci_low:.0f}% to {100 * row.ci_high:.0f}%; {int(row.n):,} answers).")
        if row.id in quoted:
            line += f" The published survey reported {quoted[row.id]}%."
        lines.append(line)
    return "\n".join(lines)


def describe_weighting(about: dict[str, Any], weights: pd.Series | None) -> str:
    """What weighting did, in words, and whether its population margins are published figures
    (``about`` from :func:`load_margins`)."""
    if weights is None:
        return ("Weighting was asked for, but these responses come from one group of every margin "
                "(for example one nation), so every response counts equally.")
    source = ("The margins are **illustrative**, not published figures: read weighted results as a "
              "demonstration." if about["illustrative"] else f"Margins: {about['source']}.")
    rule = disclosure.DisclosureRule()
    rounded = disclosure.round_counts([stats.effective_sample_size(weights)], rule)[0]  # as every count shown
    size = f"under {rule.small_count_max + 1}" if np.isnan(rounded) else f"about {rounded:,.0f}"
    return (f"Results are weighted by raking to population margins (Kish design effect "
            f"{stats.kish_design_effect(weights):.2f}, effective sample size {size}). Intervals for weighted "
            "results are design-based: their variance allows for the raking (linearisation, as R's survey "
            f"package) and they are computed on the logit scale. {source}")
