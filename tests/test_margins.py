"""Survey margins are read through the one sourced-value layer: every problem reported at once,
each with file, line and key; the shipped file loads as illustrative."""

from __future__ import annotations

import pytest

from evidence import survey
from evidence.errors import ConfigError
from tests.conftest import ROOT


def test_shipped_margins_load_as_illustrative():
    margins, about = survey.load_margins(ROOT / "config" / "survey_margins.yml")
    assert about == {"illustrative": True, "source": None}
    assert margins["nation"].to_dict() == {"England": 0.84, "Scotland": 0.08, "Wales": 0.05, "Northern Ireland": 0.03}


def test_every_problem_is_named_with_line_and_key(tmp_path):
    path = tmp_path / "margins.yml"
    path.write_text(
        "illustrative: false\nweights: 3\nmargins:\n  nation:\n    England: -1\n    Wales: '0.2'\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as error:
        survey.load_margins(path)
    message = str(error.value)
    assert "4 problem(s)" in message
    assert "line 2, key 'weights'" in message and "unknown key" in message
    assert "line 5, key 'margins.nation.England': value -1" in message
    assert "line 6, key 'margins.nation.Wales': value '0.2'" in message
    assert "missing field 'source'" in message


def test_illustrative_margins_need_a_note(tmp_path):
    path = tmp_path / "margins.yml"
    path.write_text("illustrative: true\nmargins:\n  nation: {England: 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="an illustrative value needs a note"):
        survey.load_margins(path)


def test_sourced_margins_carry_their_citation(tmp_path):
    path = tmp_path / "margins.yml"
    path.write_text(
        "illustrative: false\nsource: HCPC register, 2025, table 2\nmargins:\n  nation: {England: 900, Wales: 100}\n",
        encoding="utf-8",
    )
    margins, about = survey.load_margins(path)
    assert about == {"illustrative": False, "source": "HCPC register, 2025, table 2"}
    assert margins["nation"].sum() == 1000.0
