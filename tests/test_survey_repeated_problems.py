"""A problem on many rows of a survey export is reported with its count and first rows."""

from __future__ import annotations

import pytest

from evidence.errors import RepeatedProblem, ValidationError
from evidence.ingest import ingest_survey
from evidence.validation import FIRST_ROWS, SINGLE_LIMIT

from .conftest import write_export


def test_a_problem_on_many_rows_keeps_its_count_and_rows(tmp_path, sample_frame):
    frame = sample_frame.copy()
    consenting = frame.index[frame["Consent"].str.strip().str.casefold().eq("yes") & frame["Finished"].eq("True")]
    bad = consenting[: SINGLE_LIMIT + 7]  # more rows than are listed one by one
    frame.loc[bad, "Q5"] = "Agre"
    path = write_export(frame, tmp_path / "many.csv")
    with pytest.raises(ValidationError) as caught:
        ingest_survey(path, tmp_path / "out", environ={})
    problems = [p for p in caught.value.problems if p.column == "Q5"]
    assert len(problems) == 1 and isinstance(problems[0], RepeatedProblem)
    # data row i is file row i + 4 (three header rows; rows counted from 1)
    assert problems[0].count == len(bad) and problems[0].rows == tuple(int(i) + 4 for i in bad[:FIRST_ROWS])
    assert f"{len(bad):,} problem(s) found" in str(caught.value)
    assert not (tmp_path / "out").exists()
