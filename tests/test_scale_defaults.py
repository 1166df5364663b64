"""Instrument scale defaults (config/outcomes/measures.yml) against the sourced values in
shared/sources/published_figures.md, section G, and the loader's refusals."""

from __future__ import annotations

import pytest
import yaml

from evidence.errors import ConfigError
from evidence.scale_defaults import scale_defaults

from .conftest import ROOT

DEFAULTS = ROOT / "config" / "outcomes" / "measures.yml"


def test_shipped_values_match_the_sourced_figures():
    pedsql = scale_defaults("pedsql", "total")
    assert pedsql.reliability.value == 0.90 and not pedsql.reliability.illustrative  # Varni 2001: 0.90 parent
    assert "0.88 child" in pedsql.reliability.describe() and "0.90 parent" in pedsql.reliability.describe()
    assert pedsql.mic.value == 4.5 and pedsql.mic.illustrative  # the primary passage was not read
    assert "Unconfirmed" in pedsql.mic.describe()
    sdq = scale_defaults("sdq", "total_difficulties")
    assert sdq.reliability.illustrative and "Unconfirmed" in sdq.reliability.describe()  # Goodman's table unread
    assert sdq.mic.illustrative and sdq.clinical_cutoff.value == 13.5 and not sdq.clinical_cutoff.illustrative
    copm = scale_defaults("copm", "performance")
    assert copm.mic.value == 2 and not copm.mic.illustrative
    assert "opinion-based" in copm.mic.describe() and "adult" in copm.mic.describe()  # the caveat on its origin
    gas = scale_defaults("gas", "t_score")
    assert gas.clinical_cutoff.value == 50 and gas.mic.illustrative and gas.reliability.illustrative
    flags = [
        getattr(scale_defaults(*k.split("/")), f).illustrative
        for k in ("pedsql/total", "sdq/total_difficulties", "copm/performance", "gas/t_score")
        for f in ("reliability", "mic", "clinical_cutoff")
    ]
    assert sum(flags) == 8 and len(flags) == 12


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m["pedsql/total"]["mic"].pop("note"), "add a note saying why"),
        (lambda m: m["pedsql/total"]["reliability"].pop("source"), "needs a source, or illustrative: true"),
        (
            lambda m: m["pedsql/total"]["reliability"].update(confidence="high"),
            "reliability.confidence': value 'high': unknown key",
        ),
        (lambda m: m["pedsql/total"]["mic"].update(illustrative="yes"), "must be true or false"),
        (lambda m: m["pedsql/total"]["reliability"].update(value="0.9"), "must be a number or null"),
    ],
)
def test_bad_entries_are_refused(tmp_path, change, message):
    config = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    change(config)
    path = tmp_path / "measures.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError, match="pedsql/total") as caught:
        scale_defaults("pedsql", "total", path)
    assert message in str(caught.value)
