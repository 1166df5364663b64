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
from evidence.synthesis.layouts import LAYOUTS, check_rule, effect_sizes, layout_for, numeric_columns

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
    layout = layout_for(chosen, set(raw.columns))
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
    check_rule(problems, file, raw, study == "", "study", "every study needs a label")
    check_rule(
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
    values = numeric_columns(raw, needed, file, problems)
    yi, vi = effect_sizes(chosen, layout, values, raw, file, problems, correlation, level)
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
        check_rule(
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
                check_rule(problems, file, raw, raw[column].str.strip() == "", column, "the source must be given")
    return synthetic


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
