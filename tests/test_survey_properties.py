"""Property-based tests of the survey cleaner (issue #7, part 5).

Exports are built from the survey definition (``config/surveys/workforce_survey.yml``) and its
answer scales (``answer_scales.csv``): any wording in the table, in any case and with stray
spaces, any missing code where an answer is optional, any subset of a multi-select, any whole
number in range. Valid exports never raise and their outputs stay in range; an out-of-range
number or an unknown wording always raises :class:`ValidationError` naming its row and column.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence import survey
from evidence.errors import ValidationError
from evidence.readers import RawTable

DEFINITION = survey.workforce_survey()
#: Property tests over many generated exports: part of `make test`, not of the quick loop.
pytestmark = pytest.mark.slow

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OPTIONAL_MISSING = ["", "Prefer not to say", "99", "Don't know", "n/a", "-99"]
CATEGORY_COLUMNS = [c for c in DEFINITION.columns if c["kind"] == "category"]
INTEGER_COLUMNS = [c for c in DEFINITION.columns if c["kind"] == "integer"]
LABELS = DEFINITION.scales


@cache
def _labels(scale: str) -> list[str]:
    return LABELS.loc[LABELS["scale"] == scale, "label"].tolist()


@st.composite
def messy(draw, label: str) -> str:
    """A wording as people and exports type it: any case, stray spaces around it."""
    cased = draw(st.sampled_from([label, label.upper(), label.title(), label.capitalize()]))
    return draw(st.sampled_from(["", " ", "  "])) + cased + draw(st.sampled_from(["", " ", "\t"]))


@st.composite
def answer(draw, spec: dict) -> str:
    kind = spec["kind"]
    if not spec.get("required") and kind != "datetime" and draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(OPTIONAL_MISSING))
    if kind == "category":
        return draw(messy(draw(st.sampled_from(_labels(spec["scale"])))))
    if kind == "multiselect":
        chosen = draw(st.lists(st.sampled_from(_labels(spec["scale"])), min_size=1, max_size=4, unique=True))
        return spec["separator"].join(draw(messy(c)) for c in chosen)
    if kind == "integer":
        return str(draw(st.integers(spec["min"], spec["max"])))
    if kind == "datetime":
        return pd.Timestamp("2025-05-01") + pd.Timedelta(seconds=draw(st.integers(0, 5_000_000)))
    return draw(st.text(alphabet="abcdefghij ,.", max_size=40))


@st.composite
def valid_export(draw) -> RawTable:
    """A raw export (as a reader returns it) with 1 to 20 responses, some excluded by design."""
    n = draw(st.integers(1, 20))
    rows = []
    for i in range(n):
        row = {spec["source"]: draw(answer(spec)) for spec in DEFINITION.columns}
        row["StartDate"] = row["StartDate"].strftime("%Y-%m-%d %H:%M:%S")
        row["ResponseId"] = f"R_{i:05d}"
        row["RecipientEmail"] = f"person{draw(st.integers(0, n))}@example.com"
        row["Consent"] = "Yes" if i == 0 else draw(st.sampled_from(["Yes", "yes", "No"]))
        row["Finished"] = "True" if i == 0 else draw(st.sampled_from(["True", "1", "False"]))
        row["DataLabel"] = "SYNTHETIC"
        rows.append(row)
    data = pd.DataFrame(rows, dtype="string").replace("", pd.NA)
    return RawTable(Path("export.csv"), data, pd.Series(np.arange(2, n + 2), dtype="int64"))


def _kept(raw: RawTable) -> np.ndarray:
    consent = raw.data["Consent"].str.strip().str.casefold() == "yes"
    finished = raw.data["Finished"].isin(["True", "1"])
    return (consent & finished).to_numpy(dtype=bool)


@SETTINGS
@given(raw=valid_export())
def test_valid_exports_clean_and_stay_in_range(raw):
    clean = survey.clean_export(raw, environ={})
    table = clean.table
    kept = int(_kept(raw).sum())
    assert len(table) == kept == clean.rows_in - sum(clean.rejected.values())
    assert clean.rows_in == len(raw.data) and clean.synthetic
    assert table["respondent_id"].is_unique and table["respondent_id"].str.fullmatch("[0-9a-f]{16}").all()
    for spec in CATEGORY_COLUMNS:
        values = table[spec["name"]].dropna().astype(str)
        assert set(values) <= set(DEFINITION.categories(spec["scale"]))
        codes = values.map(dict(zip(LABELS["canonical"], LABELS["code"], strict=False)))
        allowed = set(LABELS.loc[LABELS["scale"] == spec["scale"], "code"])
        assert set(codes) <= allowed
    assert table["nation"].notna().all()  # required
    for spec in INTEGER_COLUMNS:
        assert table[spec["name"]].dropna().between(spec["min"], spec["max"]).all()
    flags = table.filter(like="pressures__")
    assert flags.shape[1] == len(DEFINITION.categories("pressure"))
    answered = flags.notna().all(axis=1)
    assert (flags.notna().any(axis=1) == answered).all()  # a question is answered or not, as a whole
    assert flags[answered].to_numpy(dtype=bool).any(axis=1).all()  # an answer chose at least one option
    assert int(table["duplicate_of_earlier_response"].sum()) == clean.duplicates["later_responses_flagged"]

    responses = survey.analysable(table)
    estimates = survey.proportion_table(responses, by="nation")
    assert (estimates["n"] <= len(responses)).all() and (estimates["positive"] <= estimates["n"]).all()
    shown = estimates[estimates["n"] > 0]
    for column in ("proportion", "ci_low", "ci_high"):
        assert shown[column].between(0, 1).all(), column
    assert (shown["ci_low"] <= shown["proportion"] + 1e-12).all()
    assert (shown["proportion"] <= shown["ci_high"] + 1e-12).all()
    assert estimates.loc[estimates["n"] == 0, "proportion"].isna().all()
    overall = survey.headline_estimates(responses)
    assert (overall["n"] == estimates.groupby("id", sort=False)["n"].sum().reindex(overall["id"]).to_numpy()).all()


@st.composite
def invalid_export(draw):
    """A valid export with one kept response's answer replaced by a wrong one: an unknown
    wording in a category column or a number outside (or not) a whole number in range."""
    raw = draw(valid_export())
    position = draw(st.sampled_from(np.flatnonzero(_kept(raw)).tolist()))
    spec = draw(st.sampled_from(CATEGORY_COLUMNS + INTEGER_COLUMNS))
    if spec["kind"] == "category":
        bad = "zz " + draw(st.text(alphabet="abcdefgh", min_size=1, max_size=10))
    else:
        bad = draw(
            st.one_of(
                st.integers(spec["max"] + 1, 10**6).map(str),
                st.integers(-1000, spec["min"] - 1).filter(lambda v: v != -99).map(str),
                st.sampled_from(["1.5", "ten", "1,000", "£3"]),
            )
        )
    raw.data.loc[raw.data.index[position], spec["source"]] = bad
    return raw, int(raw.row_numbers.iloc[position]), spec["source"], bad


@SETTINGS
@given(case=invalid_export())
def test_invalid_answers_raise_naming_row_and_column(case):
    raw, row, column, bad = case
    try:
        survey.clean_export(raw, environ={})
    except ValidationError as error:
        where = [(p.row, p.column, p.value) for p in error.problems]
        assert (row, column, bad) in where, where
        assert f"row {row}, column {column!r}" in str(error)
    else:
        raise AssertionError(f"{bad!r} in row {row}, column {column} was accepted")
