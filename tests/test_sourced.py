"""The sourced-value layer (evidence.sourced): distributions against hand-computed quantiles,
one seeded sampler, and the line-numbered problem collector every configuration uses."""

from __future__ import annotations

import numpy as np
import pytest

from evidence.errors import ConfigError
from evidence.sourced import (
    FIXED,
    Distribution,
    Problems,
    SourcedValue,
    draw_values,
    merge_locations,
    provenance,
    read_yaml,
    structured_source,
    text_source,
)


def test_quantiles_by_hand():
    # normal: mean 10, SE 2; the 97.5% point is 10 + 1.959964 x 2
    assert Distribution("normal", se=2).quantile(10, 0.975) == pytest.approx(13.919928, abs=1e-6)
    # triangular 0, mode 1, 2: F(x) = x^2 / 2 below the mode, so F^-1(0.125) = 0.5
    assert Distribution("triangular", low=0, high=2).quantile(1, [0.125, 0.5]) == pytest.approx([0.5, 1])
    assert Distribution("uniform", low=2, high=6).quantile(3, 0.25) == pytest.approx(3)
    # gamma with mean 4 and SE 2 is shape (4 / 2)^2 = 4, scale 2^2 / 4 = 1: median 3.672061
    assert Distribution("gamma", se=2).quantile(4, 0.5) == pytest.approx(3.672061, abs=1e-6)
    # lognormal with mean 1 and SE 1: sigma^2 = ln 2, median exp(-ln 2 / 2) = 1 / sqrt 2
    assert Distribution("lognormal", se=1).quantile(1, 0.5) == pytest.approx(2**-0.5)
    assert (FIXED.quantile(7, [0.1, 0.9]) == 7).all()


def test_draws_have_the_stated_mean_and_se_and_move_with_a_price_year():
    rng = np.random.default_rng(20)
    beta = Distribution("beta", se=0.1).draw(0.3, 200_000, rng)  # alpha 6, beta 14
    assert beta.mean() == pytest.approx(0.3, abs=0.002) and beta.std() == pytest.approx(0.1, abs=0.002)
    gamma = Distribution("gamma", se=30).draw(100, 200_000, rng)
    assert gamma.mean() == pytest.approx(100, rel=0.01) and gamma.std() == pytest.approx(30, rel=0.02)
    scaled = Distribution("triangular", low=10, high=40, source="a table").scaled(1.5)
    assert (scaled.low, scaled.high, scaled.se, scaled.source) == (15, 60, None, "a table")
    assert Distribution("gamma", se=2).scaled(1.1).se == pytest.approx(2.2)


def test_one_sampler_in_order_from_one_seed():
    values = {
        "a": SourcedValue(value=0.5, distribution=Distribution("uniform", low=0, high=1)),
        "b": SourcedValue(value=3.0),
        "c": SourcedValue(value=2.0, distribution=Distribution("triangular", low=1, high=4)),
    }
    draws = draw_values(values, 5, np.random.default_rng(9))
    rng = np.random.default_rng(9)
    assert (draws["a"] == rng.uniform(0, 1, 5)).all() and (draws["b"] == 3).all()
    assert (draws["c"] == rng.triangular(1, 2, 4, 5)).all()
    assert draw_values(values, np.int64(2), np.random.default_rng(1))["a"].shape == (2,)
    for n in (0, -1, 2.0, True):
        with pytest.raises(ConfigError, match="draws"):
            draw_values(values, n, np.random.default_rng(1))
    with pytest.raises(TypeError, match="Generator"):
        draw_values(values, 3, np.random.RandomState(1))


def test_problems_name_file_line_key_and_value(tmp_path):
    path = tmp_path / "set.yml"
    path.write_text("title: x\nparameters:\n  rate:\n    value: 2\n  list: [1, 2]\n", encoding="utf-8")
    document, locations = read_yaml(path)
    problems = Problems(path, locations)
    problems.add(("parameters", "rate", "value"), 2, "must lie in [0, 1]")
    problems.add(("parameters", "rate", "unit"), None, "a unit is required")  # missing: its parent's line
    problems.add(("parameters", "list", "1"), 2, "too big")
    problems.add((), None, "the whole file")
    assert [str(p) for p in problems.found] == [
        f"{path}, line 4, key 'parameters.rate.value': value 2: must lie in [0, 1]",
        f"{path}, line 3, key 'parameters.rate.unit': a unit is required",
        f"{path}, line 5, key 'parameters.list.1': value 2: too big",
        f"{path}: the whole file",
    ]
    with pytest.raises(ConfigError, match=r"(?s)^4 problem\(s\) in the test set:\n  - .*\nFix it\.$"):
        problems.raise_if_any("the test set", "Fix it.")
    child = {("parameters", "rate"): ("child.yml", 9), ("parameters", "rate", "value"): ("child.yml", 10)}
    merged = merge_locations(locations, child, [("parameters", "rate")])
    assert merged[("parameters", "rate", "value")] == ("child.yml", 10) and ("parameters", "rate", "unit") not in merged
    assert merged[("title",)] == (str(path), 1)
    (tmp_path / "bad.yml").write_text("a: [1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_yaml(tmp_path / "bad.yml")


def test_a_value_has_a_source_or_is_illustrative_with_a_note(tmp_path):
    problems = Problems(tmp_path / "x.yml", {})
    assert provenance({"source": "Varni 2001, abstract"}, ("a",), problems, text_source, "a citation") == (
        "Varni 2001, abstract",
        False,
        "",
    )
    source = {"title": "Unit Costs", "publisher": "PSSRU", "year": 2024, "table": "Table 8.2.1, p.58"}
    found, illustrative, _ = provenance({"source": source}, ("b",), problems, structured_source, "title, ...")
    assert found.cite() == "PSSRU (2024), Unit Costs, Table 8.2.1, p.58" and not illustrative and not problems.found
    provenance({"illustrative": True}, ("c",), problems, text_source, "a citation")
    provenance({}, ("d",), problems, text_source, "a citation")
    provenance({"illustrative": "yes"}, ("e",), problems, text_source, "a citation")
    provenance({"source": dict(source, year="2024")}, ("f",), problems, structured_source, "title, ...")
    rules = [(p.column, p.rule) for p in problems.found]
    assert rules[0][0] == "c" and "illustrative value needs a note" in rules[0][1]
    assert rules[1] == (
        "d",
        "missing field 'source' (a citation): a value needs a source, or illustrative: true with a note",
    )
    assert rules[2] == ("e.illustrative", "must be true or false")
    assert rules[3] == ("f.source.year", "the year must be a whole number")
    assert SourcedValue(value=4.5, citation="Varni 2003", note="Unconfirmed", illustrative=True).describe() == (
        "Varni 2003; Unconfirmed (illustrative)"
    )
