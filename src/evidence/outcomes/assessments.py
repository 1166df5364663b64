"""The assessments table (one row per questionnaire): its checks, its typed rows, and the long
table of scale scores. Used whole by :mod:`evidence.outcomes.clean` and block by block by
:mod:`evidence.outcomes.blocks`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa

from evidence.errors import Problem, RepeatedProblem
from evidence.instruments import get_instrument
from evidence.outcomes.reading import Reading, missing, unmatched_episodes
from evidence.readers import RawTable
from evidence.validation import SINGLE_LIMIT, as_numbers, problems_at, problems_where


def clean_assessments(
    raw: RawTable, episode_ids: pa.Array | None, reading: Reading
) -> tuple[pd.DataFrame, list[Problem]]:
    """The typed assessments and their problems; without ``episode_ids`` (the episodes table
    could not be read) questionnaires are not matched to episodes."""
    data = raw.data
    problems: list[Problem] = []
    problems += unmatched_episodes(raw.name, raw.data["EpisodeID"], raw.row_numbers, episode_ids)
    instrument, found = reading.instrument(raw)
    problems += found + problems_at(
        raw, missing(data["Instrument"]), "Instrument", data["Instrument"], "an instrument is required"
    )
    timepoint, found = reading.coded(raw, "Timepoint")
    problems += found + problems_at(
        raw, missing(data["Timepoint"]), "Timepoint", data["Timepoint"], "a timepoint is required"
    )
    date, found = reading.date(raw, "AssessmentDate")
    problems += found
    count = reading.definition.tables["assessments"].item_count
    instrument_names = pd.Series(instrument, index=data.index).astype("string")
    numbers, found = item_codes(raw, instrument_names, count)
    problems += found
    out = pd.DataFrame(
        {
            "episode_id": data["EpisodeID"].str.strip(),
            "instrument": instrument,
            "timepoint": timepoint,
            "assessment_date": date,
        },
        index=data.index,
    )
    out = pd.concat(
        [out, pd.DataFrame(numbers, columns=[f"item_{i}" for i in range(1, count + 1)], index=data.index)], axis=1
    )
    out["duplicate_of_earlier"] = out.duplicated(["episode_id", "instrument", "timepoint"], keep="first").to_numpy()
    return out, problems


def item_codes(raw: RawTable, instrument_names: pd.Series, count: int) -> tuple[np.ndarray, list[Problem]]:
    """The item codes ``Item1``..``Item<count>`` as a float matrix (NaN where blank), and the
    problems of each row's codes under its instrument: a code that is not a whole number in its
    item's range, and a code beyond the instrument's items. Each column is read as numbers once;
    the checks are masks over the matrix."""
    columns = [raw.data[f"Item{i}"] for i in range(1, count + 1)]
    numbers = (
        np.column_stack([as_numbers(column).to_numpy() for column in columns])
        if columns
        else np.empty((len(raw.data), 0))
    )
    present = (
        np.column_stack([column.notna().to_numpy() for column in columns])
        if columns
        else np.empty((len(raw.data), 0), dtype=bool)
    )
    with np.errstate(invalid="ignore"):
        whole = present & ~np.isnan(numbers) & (numbers % 1 == 0)
    problems: list[Problem] = []
    for name in instrument_names.dropna().unique():
        definition = get_instrument(name)
        rows = (instrument_names == name).fillna(False).to_numpy()
        for number, (low, high) in definition.item_ranges.items():
            if number > count:
                continue
            j = number - 1
            with np.errstate(invalid="ignore"):
                valid = whole[:, j] & (numbers[:, j] >= low) & (numbers[:, j] <= high)
            problems += problems_at(
                raw,
                rows & present[:, j] & ~valid,
                f"Item{number}",
                columns[j],
                f"{name} item {number} must be a whole number from {low} to {high}",
            )
        for j in range(definition.n_items, count):
            problems += problems_at(
                raw,
                rows & present[:, j],
                f"Item{j + 1}",
                columns[j],
                f"{name} has {definition.n_items} items; this item must be blank",
            )
    return numbers, problems


def follow_up_before_baseline(keys: pd.DataFrame, file: str) -> list[Problem]:
    """Problems for follow-up questionnaires dated before the baseline of the same episode and
    instrument (the first baseline row, the one analysis uses). ``keys`` holds episode_id,
    instrument, timepoint, assessment_date, the raw ``value`` of the date and the file ``row``."""
    early = early_follow_ups(keys)
    return follow_up_problems(early, len(early), file)


def early_follow_ups(keys: pd.DataFrame) -> pd.DataFrame:
    """The follow-ups of ``keys`` (see :func:`follow_up_before_baseline`) dated before their
    baseline, in file order: ``row``, ``value``, ``row_baseline``, ``assessment_date_baseline``."""
    dated = keys.dropna(subset=["episode_id", "instrument", "timepoint", "assessment_date"])
    pair = ["episode_id", "instrument"]
    baseline = dated[dated["timepoint"] == "Baseline"].drop_duplicates(pair, keep="first")
    follow_up = dated[dated["timepoint"] == "Follow-up"]
    joined = follow_up.merge(baseline[[*pair, "assessment_date", "row"]], on=pair, suffixes=("", "_baseline"))
    early = joined[joined["assessment_date"] < joined["assessment_date_baseline"]].sort_values("row")
    return early[["row", "value", "row_baseline", "assessment_date_baseline"]].reset_index(drop=True)


def follow_up_problems(early: pd.DataFrame, count: int, file: str) -> list[Problem]:
    """The problems of ``count`` early follow-ups, of which ``early`` (see
    :func:`early_follow_ups`) holds the first in file order: at least the first
    :data:`~evidence.validation.FIRST_ROWS` (all of them when there are a handful)."""
    if not count:
        return []
    if count <= SINGLE_LIMIT:
        return [
            Problem(
                file,
                int(r.row),
                "AssessmentDate",
                r.value,
                f"a follow-up dated before its baseline (row {int(r.row_baseline)}, "
                f"{r.assessment_date_baseline:%d/%m/%Y}) for the same episode and instrument; "
                "correct the date, or the timepoint",
            )
            for r in early.itertuples()
        ]
    found = problems_where(
        file,
        early["row"],
        np.ones(len(early), dtype=bool),
        "AssessmentDate",
        early["value"],
        "a follow-up dated before its baseline for the same episode and instrument; "
        "correct the dates, or the timepoints",
    )
    return [dataclasses.replace(p, count=count) if isinstance(p, RepeatedProblem) else p for p in found]


def assessment_keys(cleaned: pd.DataFrame, raw: RawTable) -> pd.DataFrame:
    """The columns duplicate and date-order checks need, one row per raw row."""
    keys = cleaned[["episode_id", "instrument", "timepoint", "assessment_date"]].copy()
    keys["value"] = raw.data["AssessmentDate"].to_numpy()
    keys["row"] = raw.row_numbers.to_numpy()
    return keys.reset_index(drop=True)


def score_assessments(assessments: pd.DataFrame) -> pd.DataFrame:
    """Long table of scale scores: episode_id, instrument, timepoint, assessment_date,
    duplicate_of_earlier, scale, score (one row per questionnaire and scale; for each
    instrument in order of first appearance, each scale in turn over its questionnaires in
    order, as ``DataFrame.melt`` lays them out). The item codes are already checked, so each
    instrument's scorer runs on them directly."""
    keys = ["episode_id", "instrument", "timepoint", "assessment_date", "duplicate_of_earlier"]
    instruments = pd.Categorical(assessments["instrument"])
    positions: list[np.ndarray] = []
    scale_codes: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    scale_names: list[str] = []
    for name in pd.unique(instruments.dropna()):
        definition = get_instrument(str(name))
        rows = np.flatnonzero(np.asarray(instruments == name))
        columns = definition.item_columns()
        matrix = assessments.reindex(columns=columns).to_numpy(dtype=float)[rows]
        scored = definition.scorer(matrix)
        positions.append(np.tile(rows, len(scored)))
        scale_codes.append(np.repeat(np.arange(len(scale_names), len(scale_names) + len(scored)), len(rows)))
        scale_names += list(scored)
        scores += [np.asarray(values, dtype=float) for values in scored.values()]
    if not positions:  # no questionnaires (an empty block): the columns, no rows
        positions = scale_codes = scores = [np.zeros(0, dtype=int)]
    out = assessments[keys].take(np.concatenate(positions)).reset_index(drop=True)
    out["instrument"] = decoded(instruments.codes[np.concatenate(positions)], list(instruments.categories))
    out["scale"] = decoded(np.concatenate(scale_codes), scale_names)
    out["score"] = np.concatenate(scores).astype(float)
    return out


def decoded(codes: np.ndarray, names: list[str]) -> pd.Series:
    """``names[code]`` for each code as ``string`` values (missing where the code is -1),
    decoded by Arrow; pandas' ``astype("string")`` of a categorical makes a Python object per row."""
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    decoded = pa.DictionaryArray.from_arrays(indices, pa.array(names, type=pa.large_string())).dictionary_decode()
    return pd.Series(pd.array(decoded, dtype="string"))
