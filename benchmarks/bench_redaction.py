"""Benchmark: free-text redaction of 1,000,000 comments, the current detectors against the
regular-expression pass they replaced (named baseline), in one run on the same comments.

The comments are the labelled synthetic set (``tests/data/identifiers/comments.jsonl``, 600
comments in the voices of parents, young people and OTs, most with identifiers) tiled to
``--rows``, with one in three left blank as in the PREM sample.

* ``detectors``: :func:`evidence.privacy.redact_free_text` (structured forms in RE2 through
  pyarrow, names from the gazetteer and context rules on pyarrow token arrays);
* ``baseline`` (named baseline): the pass before issue #14, copied here unchanged: six Python
  ``re`` patterns (e-mail, NHS number, phone, date, postcode, titled name), each counted and
  replaced with pandas ``str.count`` / ``str.replace``; it finds no names without a title.

The two alternate ``--repeat`` times (the machine is shared: alternating spreads its load over
both) and the medians are compared.

    python benchmarks/bench_redaction.py [--rows 1000000] [--repeat 2] [--out benchmarks/results/redaction.json]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import write_summary

from evidence import privacy
from evidence.paths import project_root

SAMPLE = Path("tests/data/identifiers/comments.jsonl")

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
BASELINE_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE),
    "nhs_number": re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)"),
    "phone": re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"),
    "date": re.compile(
        rf"\b(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
        rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?\s+\d{{4}})\b",
        re.IGNORECASE,
    ),
    "postcode": re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
    "titled_name": re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?"),
}


def _baseline_known_names(names) -> re.Pattern[str] | None:
    tokens = {t for n in names for t in re.split(r"[\s,]+", str(n)) if len(t) >= 2}
    if not tokens:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def baseline_redact(text: pd.Series, known_names=()) -> tuple[pd.Series, dict[str, int]]:
    """The redaction before issue #14, as it was (the file's known names included)."""
    out = text.astype("string")
    counts: dict[str, int] = {}
    patterns = dict(BASELINE_PATTERNS)
    names = _baseline_known_names(k for k in known_names if isinstance(k, str) and k.strip())
    if names is not None:
        patterns["name"] = names
    for kind, pattern in patterns.items():
        counts[kind] = int(out.str.count(pattern).fillna(0).sum())
        out = out.str.replace(pattern, f"[{kind.replace('_', ' ')} removed]", regex=True)
    return out, counts


def comments(rows: int) -> pd.Series:
    lines = (project_root() / SAMPLE).read_text(encoding="utf-8").splitlines()
    texts = np.array([json.loads(line)["text"] for line in lines] + [""] * (len(lines) // 2), dtype=object)
    return pd.Series(np.resize(texts, rows), dtype="string")


def timed(function, text: pd.Series) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    _, counts = function(text)
    return time.perf_counter() - start, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/redaction.json"))
    args = parser.parse_args()
    text = comments(args.rows)
    privacy.redact_free_text(text.head(1000))  # the gazetteer is read once per process
    runs: dict[str, list[float]] = {"detectors": [], "baseline": []}
    for _ in range(args.repeat):
        seconds, detectors_counts = timed(privacy.redact_free_text, text)
        runs["detectors"].append(round(seconds, 2))
        seconds, baseline_counts = timed(baseline_redact, text)
        runs["baseline"].append(round(seconds, 2))
        print(runs, flush=True)
    detectors_seconds, baseline_seconds = (float(np.median(runs[k])) for k in ("detectors", "baseline"))
    summary = {
        "benchmark": "free-text redaction (synthetic labelled comments tiled)",
        "rows": args.rows,
        "baseline": "the regular-expression pass before issue #14 (six Python re patterns, pandas str.count/replace)",
        "seconds": {"detectors": round(detectors_seconds, 2), "baseline": round(baseline_seconds, 2)},
        "runs": runs,
        "comments_per_second": {
            "detectors": round(args.rows / detectors_seconds),
            "baseline": round(args.rows / baseline_seconds),
        },
        "time_vs_baseline": round(detectors_seconds / baseline_seconds, 2),
        "removed": {"detectors": detectors_counts, "baseline": baseline_counts},
    }
    write_summary(summary, args.out)


if __name__ == "__main__":
    main()
