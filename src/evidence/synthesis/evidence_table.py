"""Evidence tables: one row per study, read from CSV, validated, and turned into effect sizes.

An evidence table holds study-level summary results (never records about people), so it is
read directly, like :mod:`evidence.published`. Columns:

* ``study`` (required): a unique label per row.
* the study results, in one of these layouts (names as shown; group 1 is the intervention or
  exposed group, group 2 the comparison):

  ============== =========================================================== ==================
  layout         columns                                                     measures
  ============== =========================================================== ==================
  two_group      mean_1, sd_1, n_1, mean_2, sd_2, n_2                        SMD, MD
  pre_post       mean_pre, sd_pre, mean_post, sd_post, n [, correlation]     MC, SMCR, SMCC
  two_by_two     events_1, n_1, events_2, n_2                                RR, OR, RD
  yi_vi          yi, vi (analysis scale: log for ratios)                     any
  estimate_se    estimate, se                                                any but ratios
  estimate_ci    estimate, ci_low, ci_high [, ci_level] (ratios as ratios)   any
  ============== =========================================================== ==================

* anything else (``subgroup``, moderators such as ``year``, ``author``) is carried along.
* ``data_label``: ``SYNTHETIC`` on every row of an invented table; tables under
  ``data/raw/sample`` must say so.
* tables under ``data/raw/published`` must name their source on every row
  (``source_title``, ``publisher``, ``published``; optionally ``source_doi``, ``source_copy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evidence import provenance
from evidence.errors import InputFileError, Problem, ValidationError
from evidence.files import sha256_file
from evidence.paths import PUBLISHED, SAMPLE, display_path, resolve
from evidence.published import SOURCE_COLUMNS
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
CITATION_COLUMNS = (*SOURCE_COLUMNS, "source_doi", "source_copy")
SYNTHETIC_LABEL = "SYNTHETIC"
ADVICE = (
    "Fix the evidence table and run again; the layouts it may use are described in "
    "evidence.synthesis.evidence_table and data/raw/published/README.md."
)


@dataclass(frozen=True)
class EvidenceTable:
    """Effect sizes from an evidence table.

    ``effects``: one row per study, ``study``, ``yi``, ``vi`` (analysis scale), then the table's
    other columns (numbers as numbers). ``sources``: the distinct citations, if the table
    gives them."""

    effects: pd.DataFrame
    measure: Measure
    layout: str
    path: str
    sha256: str
    synthetic: bool
    sources: pd.DataFrame

    def manifest(self) -> dict:
        """What :func:`evidence.reporting.notebook.declare_inputs` records for this input."""
        return {
            "dataset": f"evidence table ({self.measure.code}, {self.layout})",
            "input": {"path": self.path, "sha256": self.sha256},
            "synthetic": self.synthetic,
            "git_revision": provenance.git_revision(),
        }

    def citations(self) -> list[str]:
        """One line per distinct source: authors and journal, title, year, DOI (as ``doi:``
        text, not a link: reports load and link to nothing outside themselves)."""
        lines = []
        for _, row in self.sources.iterrows():
            doi = f" doi:{row['source_doi']}" if row.get("source_doi") else ""
            lines.append(f"{row['publisher']} ({row['published']}). \u201c{row['source_title']}\u201d.{doi}")
        return lines


def _is_under(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in a folder ``folder`` (e.g. ``data/raw/sample``) of any project."""
    parts, wanted = path.resolve().parent.parts, folder.parts
    return any(parts[i : i + len(wanted)] == wanted for i in range(len(parts)))


def _numbers(frame: pd.DataFrame, columns: Sequence[str], file: str, problems: list[Problem]) -> pd.DataFrame:
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


def _rule(problems: list[Problem], file: str, frame: pd.DataFrame, broken, column: str, rule: str) -> None:
    """Add a problem for every row where ``broken`` (a boolean array; NaN rows never break a
    rule here, they are already reported as not numbers)."""
    for i in np.flatnonzero(np.asarray(broken, dtype=bool)):
        problems.append(Problem(file, int(i) + 2, column, frame[column].iloc[i], rule))


def _layout_for(measure: Measure, columns: set[str]) -> str | None:
    """The first of the measure's layouts whose columns the table has."""
    for layout in measure.layouts:
        if set(LAYOUTS[layout]) <= columns:
            return layout
    return None


def read_evidence_table(
    path: str | Path, measure: str = "GEN", correlation: float | None = None, level: float = 0.95
) -> EvidenceTable:
    """Read and validate the evidence table at ``path`` (relative to the project root) and
    compute each study's effect size for ``measure`` (see :data:`evidence.synthesis.MEASURES`).

    ``correlation`` is the pre-post correlation assumed for rows without a ``correlation``
    column (pre_post layout only); ``level`` the confidence level of ``ci_low``/``ci_high``
    where the table has no ``ci_level`` column (it is the level the studies published, not
    the level of the analysis).
    Every broken rule is reported at once, naming file, row (the CSV line), column and value;
    nothing is returned from a table with a problem."""
    chosen = fx.measure(measure)
    full = resolve(path)
    file = display_path(full)
    if not full.is_file():
        raise InputFileError(f"{file}: no such evidence table")
    try:
        raw = pd.read_csv(full, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputFileError(f"{file}: not a readable UTF-8 CSV file ({error})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    problems: list[Problem] = []
    if raw.empty:
        raise ValidationError([Problem(file, None, None, None, "the table has no studies")], ADVICE)
    if "study" not in raw:
        raise ValidationError(
            [Problem(file, None, "study", None, "a column 'study' with one unique label per row is required")], ADVICE
        )
    layout = _layout_for(chosen, set(raw.columns))
    if layout is None:
        wanted = "; or ".join(", ".join(LAYOUTS[name]) for name in chosen.layouts)
        raise ValidationError(
            [
                Problem(
                    file,
                    None,
                    None,
                    sorted(raw.columns),
                    f"measure {chosen.code} ({chosen.name}) needs columns {wanted}",
                )
            ],
            ADVICE,
        )

    study = raw["study"].str.strip()
    _rule(problems, file, raw, study == "", "study", "every study needs a label")
    _rule(
        problems,
        file,
        raw,
        study.duplicated(keep=False) & (study != ""),
        "study",
        "study labels must be unique (each study once)",
    )
    synthetic = _check_provenance(raw, full, file, problems)

    needed = list(LAYOUTS[layout])
    if layout == "pre_post" and "correlation" in raw:
        needed.append("correlation")
    values = _numbers(raw, needed, file, problems)
    yi, vi = _effect_sizes(chosen, layout, values, raw, file, problems, correlation, level)
    if not problems:
        computable = np.isfinite(yi) & np.isfinite(vi) & (vi > 0)
        for i in np.flatnonzero(~computable):
            problems.append(
                Problem(
                    file,
                    int(i) + 2,
                    None,
                    raw["study"].iloc[i],
                    f"no usable {chosen.code} from this row (effect {yi[i]}, variance {vi[i]}); check its numbers",
                )
            )
    if problems:
        raise ValidationError(problems, ADVICE)

    carried = [c for c in raw.columns if c not in ("study", *needed, *CITATION_COLUMNS, "data_label", "ci_level")]
    effects = pd.DataFrame({"study": study, "yi": yi, "vi": vi})
    for column in carried:
        effects[column] = _typed(raw[column])
    sources = (
        raw[[c for c in CITATION_COLUMNS if c in raw]].drop_duplicates().reset_index(drop=True)
        if set(SOURCE_COLUMNS) <= set(raw.columns)
        else pd.DataFrame(columns=list(CITATION_COLUMNS))
    )
    return EvidenceTable(
        effects=effects,
        measure=chosen,
        layout=layout,
        path=file,
        sha256=sha256_file(full),
        synthetic=synthetic,
        sources=sources,
    )


def _typed(column: pd.Series) -> pd.Series:
    """Numbers as floats when every value is one, else trimmed text."""
    numbers = pd.to_numeric(column.str.strip(), errors="coerce")
    return numbers.astype(float) if numbers.notna().all() else column.str.strip()


def _check_provenance(raw: pd.DataFrame, full: Path, file: str, problems: list[Problem]) -> bool:
    labels = raw["data_label"].str.strip().str.upper() if "data_label" in raw else pd.Series("", index=raw.index)
    synthetic_rows = labels == SYNTHETIC_LABEL
    synthetic = bool(synthetic_rows.any())
    if synthetic and not synthetic_rows.all():
        _rule(
            problems,
            file,
            raw,
            ~synthetic_rows,
            "data_label",
            "a table is synthetic or not: label every row SYNTHETIC, or none",
        )
    if _is_under(full, SAMPLE) and not synthetic:
        problems.append(Problem(file, None, "data_label", None, "sample data must be labelled SYNTHETIC on every row"))
    if _is_under(full, PUBLISHED):
        if synthetic:
            problems.append(
                Problem(
                    file,
                    None,
                    "data_label",
                    SYNTHETIC_LABEL,
                    f"synthetic tables belong in {SAMPLE.as_posix()}, not published",
                )
            )
        for column in SOURCE_COLUMNS:
            if column not in raw:
                problems.append(Problem(file, None, column, None, "every published figure needs a source column"))
            else:
                _rule(problems, file, raw, raw[column].str.strip() == "", column, "the source must be given")
    return synthetic


def _effect_sizes(
    measure: Measure,
    layout: str,
    values: pd.DataFrame,
    raw: pd.DataFrame,
    file: str,
    problems: list[Problem],
    correlation: float | None,
    level: float,
):
    v = {c: values[c].to_numpy() for c in values}
    nan = np.full(len(values), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if layout == "two_group":
            for column in ("sd_1", "sd_2"):
                _rule(problems, file, raw, v[column] <= 0, column, "a standard deviation must be greater than 0")
            for column in ("n_1", "n_2"):
                _rule(
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
                _rule(problems, file, raw, v[column] <= 0, column, "a standard deviation must be greater than 0")
            _rule(
                problems,
                file,
                raw,
                (v["n"] < 2) | (v["n"] % 1 != 0),
                "n",
                "the sample size must be a whole number of at least 2",
            )
            if "correlation" in v:
                r = v["correlation"]
                _rule(problems, file, raw, np.abs(r) > 1, "correlation", "a correlation must lie between -1 and 1")
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
                _rule(
                    problems,
                    file,
                    raw,
                    (v[column] < 1) | (v[column] % 1 != 0),
                    column,
                    "a group size must be a whole number of at least 1",
                )
            for column, total in (("events_1", "n_1"), ("events_2", "n_2")):
                _rule(
                    problems,
                    file,
                    raw,
                    (v[column] < 0) | (v[column] % 1 != 0),
                    column,
                    "an event count must be a whole number, 0 or more",
                )
                _rule(problems, file, raw, v[column] > v[total], column, f"events cannot outnumber the group ({total})")
            function = {"RR": fx.log_risk_ratio, "OR": fx.log_odds_ratio, "RD": fx.risk_difference}[measure.code]
            return function(v["events_1"], v["n_1"], v["events_2"], v["n_2"])
        if layout == "yi_vi":
            _rule(problems, file, raw, v["vi"] <= 0, "vi", "a sampling variance must be greater than 0")
            return v["yi"], v["vi"]
        if layout == "estimate_se":
            _rule(problems, file, raw, v["se"] <= 0, "se", "a standard error must be greater than 0")
            return fx.from_standard_error(v["estimate"], v["se"])
        # estimate_ci: at each row's ci_level if the table gives one, else at ``level``
        low, high, estimate = v["ci_low"], v["ci_high"], v["estimate"]
        if "ci_level" in raw:
            level = _numbers(raw, ["ci_level"], file, problems)["ci_level"].to_numpy()
            _rule(
                problems,
                file,
                raw,
                ~((level > 0) & (level < 1)),
                "ci_level",
                "a confidence level must lie between 0 and 1 (e.g. 0.95)",
            )
        _rule(problems, file, raw, low >= high, "ci_low", "the lower limit must be below the upper limit")
        _rule(
            problems,
            file,
            raw,
            (estimate < low) | (estimate > high),
            "estimate",
            "the estimate must lie inside its interval (ci_low to ci_high)",
        )
        if measure.ratio:
            for column in ("estimate", "ci_low"):
                _rule(
                    problems,
                    file,
                    raw,
                    v[column] <= 0,
                    column,
                    f"a {measure.name} and its limits must be greater than 0",
                )
        return fx.from_confidence_interval(estimate, low, high, level, ratio=measure.ratio)


def effects_from_groups(
    frame: pd.DataFrame,
    label: str = "label",
    estimate: str = "estimate",
    se: str = "se",
    subgroup: str | None = "subgroup",
    source: str = "per-group effects",
) -> pd.DataFrame:
    """Per-group effects (e.g. each service's effect from the outcomes analysis: a label, an
    estimate on the analysis scale and its standard error, optionally a subgroup) as an
    effects table: ``study``, ``yi``, ``vi``, ``subgroup`` and any other columns, validated
    (unique labels, finite estimates, standard errors above 0). Problems name ``source`` and
    the 1-based row."""
    missing = [c for c in (label, estimate, se, *([subgroup] if subgroup else [])) if c not in frame]
    if missing:
        raise ValidationError([Problem(source, None, c, None, "column is missing") for c in missing])
    frame = frame.reset_index(drop=True)
    labels = frame[label].astype(str).str.strip()
    est = pd.to_numeric(frame[estimate], errors="coerce").to_numpy(dtype=float)
    err = pd.to_numeric(frame[se], errors="coerce").to_numpy(dtype=float)
    problems: list[Problem] = []
    for i in np.flatnonzero((labels == "").to_numpy() | labels.duplicated(keep=False).to_numpy()):
        problems.append(Problem(source, int(i) + 1, label, frame[label].iloc[i], "labels must be present and unique"))
    for i in np.flatnonzero(~np.isfinite(est)):
        problems.append(Problem(source, int(i) + 1, estimate, frame[estimate].iloc[i], "must be a number"))
    for i in np.flatnonzero(~(err > 0)):
        problems.append(
            Problem(source, int(i) + 1, se, frame[se].iloc[i], "a standard error must be a number greater than 0")
        )
    if problems:
        raise ValidationError(problems)
    out = pd.DataFrame({"study": labels, "yi": est, "vi": err**2})
    if subgroup:
        out["subgroup"] = frame[subgroup].astype(str).str.strip()
    for column in frame.columns:
        if column not in (label, estimate, se, subgroup):
            out[column] = frame[column].to_numpy()
    return out
