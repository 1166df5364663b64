"""Leak check: ``evidence audit`` scans what the project publishes or keeps after ingest
(processed tables, tables derived from them, results JSON, executed notebooks, HTML reports)
for identifiers.

Two kinds of hit:

* a *detector* hit: what ingest's free-text redaction (:mod:`evidence.detectors`) would have
  removed, on its strict side: an e-mail address (also "name at domain dot org"), a UK phone
  number, a valid NHS number (Modulus 11), a UK postcode, a street address, a date next to
  "DOB" or "born", or a name given by its context ("my son Oliver", "Mrs Nowak"), anywhere in
  the text (embedded images are skipped; each line is examined on its own);
* a *raw value*: any value of a direct-identifier column (names, e-mails, NHS numbers,
  postcodes, dates of birth, raw IDs), declared or recognised by its header
  (:func:`evidence.privacy.identifier_column_kind`), of the raw inputs named in the processed
  manifests.

The batch runs it at the end of every run and fails on a hit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evidence import detectors, survey
from evidence.errors import EvidenceError, bulleted
from evidence.files import sha256_file, sha256_text
from evidence.outcomes import clean as outcomes_clean
from evidence.outcomes.definition import load_extract_definition
from evidence.paths import INTERIM, PROCESSED, REPORTS, resolve
from evidence.privacy import identifier_columns, nhs_number_is_valid
from evidence.readers import read_raw

#: Kinds the audit looks for, in the strict forms of :data:`evidence.detectors.STRICT`, plus names.
KINDS = (*detectors.STRICT, "name")
EMBEDDED = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+|\"image/png\": \"[A-Za-z0-9+/=\\n]+\"")
#: Markup tags, read as spaces so that "<p>my son Oliver" is read as words.
TAG = re.compile(r"<[^<>\n]{1,200}>")
SCANNED_SUFFIXES = {".html", ".json", ".ipynb", ".csv", ".txt", ".md"}
LINES_AT_ONCE = 200_000
MIN_VALUE_LENGTH = 5  # shorter raw values (initials, "Yes") would match everywhere
TOKEN = re.compile(r"[\w@.'+/-]+")
MAX_TOKENS = 4  # raw values are matched as runs of up to this many tokens


@dataclass(frozen=True)
class Finding:
    path: str
    kind: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: ...{self.excerpt}..."


class LeakError(EvidenceError):
    """Identifiers were found in outputs."""


def _texts(path: Path) -> str:
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv(index=False)
    return path.read_text(encoding="utf-8", errors="replace")


def raw_identifier_values(processed: Path) -> set[str]:
    """Values of the direct-identifier columns in the raw inputs named by the manifests."""
    values: set[str] = set()
    for manifest_path in processed.glob("*.manifest.json"):
        manifest = json.loads(manifest_path.read_text())
        if manifest["dataset"] == "survey":
            files = [resolve(manifest["input"]["path"])]
            spec = survey.load_definition(
                manifest.get("definition", {}).get("path", survey.definition.DEFAULT_DEFINITION)
            )
            own = [*spec.direct_identifiers, *spec.name_columns, *spec.duplicate_keys, spec.id_column]
            columns = own + [alias for column in own for alias in spec.aliases.get(column, ())]
        else:
            files = [resolve(f["path"]) for f in manifest["input"]["files"].values()]
            columns = list(outcomes_clean.DIRECT_IDENTIFIERS) + ["EpisodeID", "ChildID"]
            tables = dict(zip(files, manifest["input"]["files"], strict=True))
            definition = resolve(manifest["definition"]["path"]) if "definition" in manifest else None
            extract = load_extract_definition(definition) if definition and definition.is_file() else None
        for file in files:
            if not file.is_file():
                continue
            raw = read_raw(file)
            if manifest["dataset"] != "survey" and extract is not None:  # headers as the definition names them
                raw = extract.match_headers(tables[file], raw)[0]
            data = raw.data
            for column in [*columns, *identifier_columns(data.columns, columns)]:
                if column in data:
                    cleaned = data[column].dropna().astype(str).str.strip()
                    values.update(v for v in cleaned if len(v) >= MIN_VALUE_LENGTH)
    return values


def _raw_value_hits(text: str, wanted: dict[str, str]) -> set[str]:
    """Normalised raw values that occur in ``text`` as whole runs of tokens. Only positions
    whose token starts some wanted value are examined, so the cost is one dictionary lookup
    per token (a regular expression of thousands of alternatives is far slower)."""
    tokens = [t.strip(".,;:'\"()").casefold() for t in TOKEN.findall(text)]
    lengths_by_first: dict[str, set[int]] = {}
    for key in wanted:
        parts = key.split(" ")
        lengths_by_first.setdefault(parts[0], set()).add(len(parts))
    hits = set()
    for i, token in enumerate(tokens):
        for length in lengths_by_first.get(token, ()):
            run = " ".join(tokens[i : i + length])
            if run in wanted:
                hits.add(run)
    return hits


def _normalise_value(value: str) -> str:
    return " ".join(t.strip(".,;:'\"()") for t in TOKEN.findall(value)).casefold()


def scan(
    folders: list[Path],
    raw_values: AbstractSet[str] = frozenset(),
    clean_files: dict[str, dict[str, str]] | None = None,
) -> list[Finding]:
    """Findings in every file under ``folders`` (text files and parquet tables); hidden
    folders (the batch's ``.state``) are skipped.

    ``clean_files``, if given, remembers files found clean: path -> the SHA-256 of its bytes
    and of what it was scanned for (the patterns and the raw values). A file whose bytes and
    scan are unchanged is not read again; the dictionary is updated in place. Only clean
    files are remembered, so nothing found is ever stored."""
    findings: list[Finding] = []
    wanted = {_normalise_value(v): v for v in raw_values}
    wanted = {k: v for k, v in wanted.items() if len(k) >= MIN_VALUE_LENGTH and len(k.split()) <= MAX_TOKENS}
    scanned_for = sha256_text(json.dumps([sorted(wanted), detectors.fingerprint(), EMBEDDED.pattern, TAG.pattern]))
    for folder in folders:
        if not folder.exists():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder)
            if path.suffix not in SCANNED_SUFFIXES | {".parquet"} or any(
                part.startswith(".") for part in relative.parts
            ):
                continue
            if clean_files is None:
                findings += _file_findings(path, wanted)
                continue
            seen = {"sha256": sha256_file(path), "scanned_for": scanned_for}
            if clean_files.get(str(path)) == seen:
                continue
            found = _file_findings(path, wanted)
            findings += found
            if found:
                clean_files.pop(str(path), None)
            else:
                clean_files[str(path)] = seen
    return findings


def detector_findings(path: str, text: str) -> list[Finding]:
    """What the strict detectors find in ``text``, line by line (all lines in one vectorised
    pass; only lines with a hit are looked at one by one), with 30 characters either side."""
    lines = text.splitlines()
    findings = []
    for first in range(0, len(lines), LINES_AT_ONCE):  # bounded memory on large tables
        findings += _chunk_findings(path, lines[first : first + LINES_AT_ONCE])
    return findings


def _chunk_findings(path: str, lines: list[str]) -> list[Finding]:
    if not lines:
        return []
    array = pa.array(lines, pa.large_string())
    redacted, counts = detectors.redact_array(array, strict=True)
    if not any(counts.values()):
        return []
    findings = []
    for i in np.flatnonzero(pc.not_equal(array, redacted).to_numpy(zero_copy_only=False)):
        line = lines[i]
        spans: list[list] = []
        for start, end, kind in detectors.removed_spans(line, redacted[int(i)].as_py()):
            if spans and spans[-1][2] == kind == "name" and not line[spans[-1][1] : start].strip():
                spans[-1][1] = end  # "Oliver Smith" is one finding
            else:
                spans.append([start, end, kind])
        for start, end, kind in spans:
            if kind == "nhs_number" and not nhs_number_is_valid(re.sub(r"\D", "", line[start:end])):
                continue
            findings.append(Finding(path, kind, line[max(start - 30, 0) : end + 30]))
    return findings


def _file_findings(path: Path, wanted: dict[str, str]) -> list[Finding]:
    text = EMBEDDED.sub(" ", _texts(path))
    findings = detector_findings(str(path), TAG.sub(" ", text))
    if wanted:
        for hit in sorted(_raw_value_hits(text, wanted)):
            findings.append(Finding(str(path), "raw identifier value", wanted[hit]))
    return findings


def audit(
    processed: str | Path = PROCESSED, reports: str | Path = REPORTS, interim: str | Path = INTERIM
) -> list[Finding]:
    """Scan processed data, the tables derived from it (``interim``) and reports; raise
    :class:`LeakError` listing hits."""
    processed, interim, reports = resolve(processed), resolve(interim), resolve(reports)
    findings = scan([processed, interim, reports], raw_identifier_values(processed))
    if findings:
        raise LeakError(
            f"{len(findings)} possible identifier(s) found in outputs:\n{bulleted(findings, 25)}\n"
            "Remove the outputs, fix their source, and run again."
        )
    return findings
