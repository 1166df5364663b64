"""The shipped name gazetteer: what it holds, and that it is what its sources make."""

from __future__ import annotations

import csv
import io
from importlib.resources import files

import pytest

from evidence import name_gazetteer


def test_the_gazetteer_holds_uk_names_and_flags_ordinary_words():
    g = name_gazetteer.gazetteer()
    assert {"Oliver", "Amelia", "Isla", "Muhammad", "Cerys", "Niamh"} <= g.first
    assert {"Smith", "Jones", "Patel", "Nowak", "O'Connor", "McDonald", "Okafor"} <= g.surname
    assert {"Hope", "Grace", "Smith", "Green"} <= g.common_word  # also ordinary English words
    assert "Oliver" not in g.common_word and "hope" in g.words
    assert not {"My", "The", "NHS", "Mrs"} & set(g.names)  # never names
    assert len(g.first) > 5000 and len(g.surname) > 15000


def test_the_committed_files_are_what_the_sources_make():
    pytest.importorskip("faker")
    pytest.importorskip("names")
    if not name_gazetteer.WORD_LIST.is_file():
        pytest.skip("Debian's wbritish-small is not installed")
    lines = name_gazetteer.WORD_LIST.read_text(encoding="utf-8").splitlines()
    committed = list(
        csv.DictReader(
            io.StringIO((files("evidence") / "data" / name_gazetteer.GAZETTEER_FILE).read_text(encoding="utf-8"))
        )
    )
    assert [dict(r) for r in committed] == [{k: str(v) for k, v in r.items()} for r in name_gazetteer.build_rows(lines)]
