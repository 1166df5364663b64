"""Free-text redaction measured on a labelled set (issue #14): recall and precision per kind of
identifier over the synthetic comments in ``tests/data/identifiers/comments.jsonl``.

Recall: the share of labelled identifiers none of whose letters or digits survive.
Precision: the share of removed stretches that overlap a labelled identifier of their kind.
Run with ``-s`` to see the table.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from evidence import privacy
from evidence.detectors import removed_spans

DATA = Path(__file__).parent / "data" / "identifiers"
KINDS = ("name", "nhs_number", "phone", "email", "postcode", "date", "address")
RECALL_AT_LEAST = {
    "name": 0.99,
    "nhs_number": 1.0,
    "phone": 1.0,
    "email": 1.0,
    "postcode": 1.0,
    "date_of_birth": 1.0,
    "date": 0.99,
    "address": 0.95,
}
PRECISION_AT_LEAST = 0.9
#: Ordinary words that must survive wherever they are not part of an identifier.
KEPT = (
    "Occupational Therapy",
    "Swansea Bay",
    "Autism",
    "May",
    "Hope",
    "Will",
    "Down syndrome",
    "Aneurin Bevan",
    "Great Ormond Street",
    "Preston",
    "Chester",
    "Lincoln",
    "Grace",
    "CAMHS",
)


def _generator():
    spec = importlib.util.spec_from_file_location("make_comments", DATA / "make_comments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def labelled() -> list[dict]:
    return [json.loads(line) for line in (DATA / "comments.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def redacted(labelled) -> list[str]:
    out, _ = privacy.redact_free_text(pd.Series([c["text"] for c in labelled]))
    return out.tolist()


def _scores(labelled, redacted) -> dict[str, dict[str, float]]:
    found, total = Counter(), Counter()
    true_positive, predicted = Counter(), Counter()
    for comment, out in zip(labelled, redacted, strict=True):
        removed = removed_spans(comment["text"], out)
        covered = set()
        for start, end, _ in removed:
            covered.update(range(start, end))
        for span in comment["identifiers"]:
            kinds = [span["kind"]] + (["date_of_birth"] if span.get("birth") else [])
            chars = [i for i in range(span["start"], span["end"]) if comment["text"][i].isalnum()]
            for kind in kinds:
                total[kind] += 1
                found[kind] += all(i in covered for i in chars)
        for start, end, kind in removed:
            predicted[kind] += 1
            true_positive[kind] += any(
                s["kind"] == kind and s["start"] < end and start < s["end"] for s in comment["identifiers"]
            )
    return {
        kind: {
            "labelled": total[kind],
            "recall": found[kind] / total[kind] if total[kind] else 1.0,
            "removed": predicted[kind],
            "precision": true_positive[kind] / predicted[kind] if predicted[kind] else 1.0,
        }
        for kind in (*KINDS, "date_of_birth")
    }


def test_the_committed_set_is_what_the_seeded_generator_makes(labelled):
    assert labelled == _generator().comments()


def test_the_set_is_large_varied_and_has_hard_negatives(labelled):
    assert len(labelled) >= 500
    assert {c["voice"] for c in labelled} == {"parent", "young_person", "ot"}
    kinds = Counter(s["kind"] for c in labelled for s in c["identifiers"])
    assert all(kinds[k] >= 30 for k in KINDS), kinds
    text = "\n".join(c["text"] for c in labelled)
    for word in KEPT:
        assert word in text
    assert sum(not c["identifiers"] for c in labelled) >= 50
    assert sum(s.get("rare", False) for c in labelled for s in c["identifiers"]) >= 10


def test_recall_and_precision_per_kind(labelled, redacted):
    scores = _scores(labelled, redacted)
    print("\nkind            labelled  recall  removed  precision")
    for kind, s in scores.items():
        removed = "  (as dates)" if kind == "date_of_birth" else f"  {s['removed']:7d}  {s['precision']:9.3f}"
        print(f"{kind:15} {s['labelled']:8d}  {s['recall']:6.3f}{removed}")
    for kind, least in RECALL_AT_LEAST.items():
        assert scores[kind]["recall"] >= least, (kind, scores[kind])
    for kind in KINDS:
        assert scores[kind]["precision"] >= PRECISION_AT_LEAST, (kind, scores[kind])


def test_a_fresh_draw_meets_the_same_figures():
    """The rules were worked out on the committed set; a draw with another seed (same
    templates, other names, numbers and combinations) must meet the same figures."""
    fresh = _generator().comments(seed=7, count=600)
    out, _ = privacy.redact_free_text(pd.Series([c["text"] for c in fresh]))
    scores = _scores(fresh, out.tolist())
    for kind, least in RECALL_AT_LEAST.items():
        assert scores[kind]["recall"] >= least, (kind, scores[kind])
    for kind in KINDS:
        assert scores[kind]["precision"] >= PRECISION_AT_LEAST, (kind, scores[kind])


def test_ordinary_words_are_kept(labelled, redacted):
    lost = []
    for comment, out in zip(labelled, redacted, strict=True):
        text = comment["text"]
        inside = set()
        for span in comment["identifiers"]:
            inside.update(range(span["start"], span["end"]))
        for word in KEPT:
            outside = sum(
                not set(range(m.start(), m.end())) & inside for m in re.finditer(rf"\b{re.escape(word)}\b", text)
            )
            if len(re.findall(rf"\b{re.escape(word)}\b", out)) < outside:
                lost.append((word, text, out))
    assert lost == []


def test_every_identifier_form_named_in_the_issue_is_removed():
    text = pd.Series(
        [
            "my son Oliver Smith has waited two years",
            "Amelia-Rose O'Connor",
            "Oliver's chair",
            "Call 0044 7700 900123 (work)",
            "DOB: 03-Apr-2015",
            "jo.bloggs at example dot org",
            "born 3rd April 2015",
            "seen 03.04.15",
            "+44 (0)20 7946 0958",
            "12 High Street",
            "my daughter May and her friend called Tamsyn",
            "J. Smith and Oliver S.",
        ]
    )
    out, counts = privacy.redact_free_text(text)
    for planted in [
        "Oliver",
        "Smith",
        "Amelia",
        "Rose",
        "O'Connor",
        "0044",
        "900123",
        "03-Apr-2015",
        "jo.bloggs",
        "example dot org",
        "3rd April 2015",
        "03.04.15",
        "7946",
        "High Street",
        "May",
        "Tamsyn",
        "J.",
    ]:
        assert not any(re.search(rf"(?<!\w){re.escape(planted)}(?!\w)", t) for t in out), planted
    assert out.iloc[3] == "Call [phone removed] (work)"
    assert counts["name"] == 7 and counts["phone"] == 2 and counts["date"] == 3
