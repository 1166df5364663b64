"""Identifiers in free text: finding them and removing them, a whole column at a time.

Two families of detector, applied in this order:

1. **Structured forms** (:data:`STRUCTURED`), one regular expression each: e-mail addresses
   (also written "name at domain dot org"), NHS numbers (any 10 digits as 3-3-4 or run
   together, whatever the check digit), UK phone numbers (0..., +44, 0044, with "(0)" and
   brackets), dates (03/04/2015, 03.04.15, 2015-04-03, 03-Apr-2015, 3rd April 2015,
   April 3rd, 2015), street addresses ("12 High Street", "Flat 2, 5 Park View") and postcodes.
   The expressions are written in the syntax RE2 (used by pyarrow) and Python's ``re`` share,
   so the ingest's vectorised pass and the published-column guard use the same text.
2. **Person names**, on the words of the text (split at spaces, so the text is rebuilt
   exactly): a word is a name when it is in the gazetteer (:mod:`evidence.name_gazetteer`)
   and is not an ordinary word in that place, or when its context says so: after "my son",
   "our daughter", "called", "named" or a title; an initial before a surname; a word beside
   a name ("Amelia-Rose O'Connor", "oliver smith", "Grace Kowalski"); a name-list word
   with a possessive ("Hope's"). Words that belong to an organisation, a place or a
   condition ("Aneurin Bevan University Health Board", "Down syndrome", "St Mary's") are not
   names (found by :mod:`evidence.name_detector`). Names from the file's own name columns are
   removed wherever they appear.

Everything runs as pyarrow compute kernels over the whole column (RE2 regular expressions,
set look-ups of distinct words, numpy shifts for context): no Python loop per comment.

The **strict** side (``strict=True``), used by ``evidence audit`` over processed data and
reports, keeps only forms that are almost never innocent in a published output: e-mails,
phone numbers, postcodes in their written form, addresses, dates next to "DOB" or "born",
and names given by context (after a relation word such as "my son", or a title other than
Dr, Prof, Sister or Nurse); a name-list word alone (an author in a reference list) is not a
finding there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evidence.name_detector import SPACED, name_tokens

MARKER = "[{kind} removed]"

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_ORDINAL = "(?i:st|nd|rd|th)?"
_DOT = r"(?:\.|\s?\((?i:dot)\)\s?|\s?\[(?i:dot)\]\s?|\s(?i:dot)\s)"
_AT = r"(?:\s*@\s*|\s?\((?i:at)\)\s?|\s?\[(?i:at)\]\s?|\s(?i:at)\s)"
_TLD = "(?i:com|org|net|uk|nhs|gov|ac|co|wales|scot|cymru|info|io|me|edu|ie|biz)"
_STREET = (
    "(?i:street|st|road|rd|lane|ln|avenue|ave|close|drive|way|crescent|cres|place|terrace|"
    "gardens|gdns|court|ct|grove|hill|park|square|sq|walk|row|mews|rise|view|parade|green)"
)

#: kind -> the identifier, between a left and a right boundary group: group 1 and group 3 are
#: the characters around it (re-emitted), group 2 the identifier. Applied in this order.
STRUCTURED: dict[str, str] = {
    "email": (
        r"(^|[^\wÀ-ɏ.+'-])([\wÀ-ɏ.+'-]+@[\w-]+(?:\.[\w-]+)+|"
        rf"[\wÀ-ɏ.+'-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLD})([^\w]|$)"
    ),
    "nhs_number": r"(^|[^\d])(\d{3}[ .-]?\d{3}[ .-]?\d{4})([^\d]|$)",
    "phone": (
        r"(^|[^\w+])((?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?"
        r"\d{3,4})([^\d]|$)"
    ),
    "date": (
        r"(^|[^\w])(\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2}|"
        rf"\d{{1,2}}{_ORDINAL}(?:\s+(?i:of))?[\s/-]+(?i:{_MONTHS})\.?,?[\s/-]+(?:\d{{4}}|\d{{2}})|"
        rf"(?i:{_MONTHS})\.?\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}})([^\w]|$)"
    ),
    "address": (
        r"(^|[^\w])((?:(?i:flat|apartment|unit)\s+\d+[A-Za-z]?,?\s+)?\d{1,4}[A-Za-z]?,?\s+"
        rf"(?:[A-Z][\w'’-]*\s+){{1,3}}{_STREET}|"
        r"\d{1,4}[a-z]?,?\s+(?:[a-z][\w'’-]*\s+){1,2}"
        r"(?i:street|road|lane|avenue|close|drive|crescent|terrace|gardens))([^\w]|$)"
    ),
    "postcode": r"(^|[^\w])((?i:[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}))([^\w]|$)",
}
#: The audit's strict forms: numbers not inside longer numbers or decimals ("84.0909090909"),
#: postcodes as written (capitals, one space), dates only as dates of birth.
_NUMBER_LEFT, _NUMBER_RIGHT = r"(^|[^\w+.,/-])", r"([^\w.]|\.\s|\.$|$)"
STRICT: dict[str, str] = {
    "email": STRUCTURED["email"],
    "nhs_number": _NUMBER_LEFT + STRUCTURED["nhs_number"].split(")", 1)[1].rsplit("(", 1)[0] + _NUMBER_RIGHT,
    "phone": _NUMBER_LEFT + STRUCTURED["phone"].split(")", 1)[1].rsplit("(", 1)[0] + _NUMBER_RIGHT,
    "date": (
        r"((?i:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?)[\s:,-]*)("
        + STRUCTURED["date"].split("(", 2)[2].rsplit(")(", 1)[0]
        + r")([^\w]|$)"
    ),
    "address": STRUCTURED["address"],
    "postcode": r"(^|[^\w])([A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})([^\w]|$)",
}


@cache
def compiled(kind: str, strict: bool = False) -> re.Pattern[str]:
    """The Python ``re`` form of a structured pattern (group 2 is the identifier)."""
    return re.compile((STRICT if strict else STRUCTURED)[kind])


def marker(kind: str) -> str:
    return MARKER.format(kind=kind.replace("_", " "))


def _count(array: pa.Array, text: str) -> int:
    return int(pc.sum(pc.count_substring(array, text)).as_py() or 0)


# --- names (found by evidence.name_detector, replaced here) ----------------------------------


#: On the strict side a name needs a relation word or a title before it: only texts with one
#: are split into words (the audit reads whole processed tables and reports line by line).
_STRICT_CUES = r"(?i:\b(?:my|our|his|her|their|your)\s+\S+|\b(?:mr|mrs|ms|miss|mx|master|sir|dame)\b)"


def _replace_names(text: pa.Array, strict: bool) -> tuple[pa.Array, int]:
    if len(text) == 0 or text.null_count == len(text):
        return text, 0
    if strict:
        cued = pc.fill_null(pc.match_substring_regex(text, _STRICT_CUES), False)
        if not pc.any(cued).as_py():
            return text, 0
        found, count = _replace_all_names(pc.filter(text, cued), strict)
        return pc.replace_with_mask(text, cued, found), count
    return _replace_all_names(text, strict)


def _replace_all_names(text: pa.Array, strict: bool) -> tuple[pa.Array, int]:
    parts, names, starts = name_tokens(text, strict)
    if not names.any():
        return text, 0
    raw = parts.flatten()
    mask = pa.array(names)
    replacement = pc.replace_substring_regex(
        pc.filter(raw, mask), r"\p{L}(?:[\p{L}'’.-]*\p{L})?", marker("name"), max_replacements=1
    )
    words = pc.replace_with_mask(raw, mask, replacement)
    offsets = parts.offsets
    rebuilt = pa.ListArray.from_arrays(offsets, words, mask=parts.is_null())
    joined = pc.binary_join(rebuilt, pa.scalar(" ", words.type))
    for space in SPACED:
        joined = pc.replace_substring(joined, f" {space} ", space)
    return joined, int(starts.sum())


def _known_names_pattern(names: Iterable[str]) -> str | None:
    tokens = {t for n in names for t in re.split(r"[\s,]+", str(n)) if len(t) >= 2}
    if not tokens:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    return rf"(^|[^\p{{L}}\p{{N}}_])((?i:{alternatives}))([^\p{{L}}\p{{N}}_]|$)"


def removed_spans(original: str, redacted: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each stretch of ``original`` that ``redacted`` (its output from
    :func:`redact_array`) replaced with a marker: the redacted text, markers made wildcards,
    matched against the original. Used by the audit to show where a finding is, and by the
    evaluation to score the detectors."""
    pieces, kinds, at = [], [], 0
    for match in _MARKERS.finditer(redacted):
        pieces.append(re.escape(redacted[at : match.start()]))
        kinds.append(match.group(1).replace(" ", "_"))
        at = match.end()
    pieces.append(re.escape(redacted[at:]))
    aligned = re.fullmatch("(.+?)".join(pieces), original, re.DOTALL)
    if aligned is None:
        raise ValueError("the redacted text is not the original with stretches replaced by markers")
    return [(aligned.start(i + 1), aligned.end(i + 1), kind) for i, kind in enumerate(kinds)]


_MARKERS = re.compile(r"\[(email|nhs number|phone|date|address|postcode|name) removed\]")


@cache
def fingerprint() -> str:
    """SHA-256 of everything that decides what is found (patterns, gazetteer, rules), so that a
    scan remembered as clean is repeated when the detectors change."""
    import hashlib
    from importlib.resources import files

    digest = hashlib.sha256(repr((STRUCTURED, STRICT)).encode())
    for name in ("name_gazetteer.csv", "english_words.txt.gz", "name_rules.yml"):
        digest.update((files("evidence") / "data" / name).read_bytes())
    for module in ("detectors.py", "name_detector.py"):
        digest.update((files("evidence") / module).read_bytes())
    return digest.hexdigest()


# --- the one entry point ---------------------------------------------------------------------


def redact_array(
    text: pa.Array, known_names: Iterable[str] = (), strict: bool = False
) -> tuple[pa.Array, dict[str, int]]:
    """``text`` (a pyarrow string array) with every identifier found replaced by
    ``[kind removed]``, and the number removed of each kind (a name is one however many
    words it has). Nulls stay null. ``strict`` gives the audit's side (module docstring)."""
    out = pc.cast(text, pa.large_string()) if pa.types.is_string(text.type) else text
    counts: dict[str, int] = {}
    for kind, pattern in (STRICT if strict else STRUCTURED).items():
        before = _count(out, marker(kind))
        out = pc.replace_substring_regex(out, pattern, rf"\1{marker(kind)}\3")
        counts[kind] = _count(out, marker(kind)) - before
    counts["name"] = 0
    known = _known_names_pattern(k for k in known_names if isinstance(k, str) and k.strip())
    if known is not None:
        before = _count(out, marker("name"))
        for _ in range(2):  # adjacent names: the first match uses up the space between them
            out = pc.replace_substring_regex(out, known, rf"\1{marker('name')}\3")
        counts["name"] = _count(out, marker("name")) - before
    out, found = _replace_names(out, strict)
    counts["name"] += found
    return out, counts


def redact_series(
    text: pd.Series, known_names: Iterable[str] = (), strict: bool = False
) -> tuple[pd.Series, dict[str, int]]:
    """:func:`redact_array` for a pandas Series (index kept, ``string`` dtype)."""
    values = text.astype("string")
    array = pa.array(values.to_numpy(dtype=object, na_value=None), pa.large_string())
    out, counts = redact_array(array, known_names, strict)
    return pd.Series(pd.array(out, dtype="string"), index=text.index, name=text.name), counts
