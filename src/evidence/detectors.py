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
   names. Names from the file's own name columns are removed wherever they appear.

Everything runs as pyarrow compute kernels over the whole column (RE2 regular expressions,
set look-ups of distinct words, numpy shifts for context): no Python loop per comment.

The **strict** side (``strict=True``), used by ``evidence audit`` over processed data and
reports, keeps only forms that are almost never innocent in a published output: e-mails,
phone numbers, postcodes in their written form, addresses, dates next to "DOB" or "born",
and names given by context (a relation word, "called", a title other than Dr/Prof); a
name-list word alone (an author in a reference list) is not a finding there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evidence.name_gazetteer import gazetteer

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


# --- names -----------------------------------------------------------------------------------


@cache
def _tables() -> dict:
    """The gazetteer and word lists as Arrow arrays (for look-ups) and, per gazetteer name,
    boolean numpy arrays of its properties (indexed by its position in ``names``)."""
    g = gazetteer()
    rules = g.rules
    context_only = set(rules["context_only"])

    # one key per name in lower case, accents removed; its flags hold if they hold for any
    # spelling with that key ("McDonald", "Mcdonald")
    keys = sorted({_fold_text(n).casefold() for n in g.names})
    position = {k: i for i, k in enumerate(keys)}

    def flags(members) -> np.ndarray:
        out = np.zeros(len(keys), dtype=bool)
        out[[position[_fold_text(n).casefold()] for n in g.names if n in members]] = True
        return out

    return {
        "keys": pa.array(keys, pa.string()),
        "first": flags(g.first),
        "surname": flags(g.surname),
        "common": flags(g.common_word),
        "uk_first": flags(g.uk_first),
        "context_only": flags(context_only),
        "context_words": pa.array(sorted(context_only - set(g.names)), pa.string()),
        "words": pa.array(sorted(g.words), pa.string()),
        "never": pa.array(sorted(set(rules["never_names"])), pa.string()),
        "relation": pa.array(rules["relation_words"], pa.string()),
        "possessive": pa.array(rules["possessives"], pa.string()),
        "naming": pa.array(rules["naming_words"], pa.string()),
        "person_verbs": pa.array(rules["person_verbs"], pa.string()),
        "weak_naming": pa.array(rules["weak_naming_words"], pa.string()),
        "titles": pa.array(rules["titles"], pa.string()),
        "strict_titles": pa.array([t for t in rules["titles"] if t not in ("Dr", "Prof", "Sister", "Nurse")]),
        "not_after": pa.array(rules["not_person_after"], pa.string()),
        "not_before": pa.array(rules["not_person_before"], pa.string()),
    }


def _np(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False))


def _matches(array: pa.Array, pattern: str) -> np.ndarray:
    return _np(pc.fill_null(pc.match_substring_regex(array, pattern), False)).astype(bool)


def _member(array: pa.Array, values: pa.Array) -> np.ndarray:
    return _np(pc.fill_null(pc.is_in(array, value_set=values), False)).astype(bool)


def _shift(flags: np.ndarray, rows: np.ndarray, by: int) -> np.ndarray:
    """``flags`` of the token ``by`` places later (by > 0) or earlier (by < 0) in the same
    comment; False where there is none."""
    out = np.zeros_like(flags)
    if by > 0:
        out[:-by] = flags[by:] & (rows[:-by] == rows[by:])
    else:
        out[-by:] = flags[:by] & (rows[-by:] == rows[:by])
    return out


_SPACED = ("\n", "\r", "\t")


def _name_tokens(text: pa.Array, strict: bool) -> tuple[pa.ListArray, np.ndarray, np.ndarray]:
    """The comment's words (split at single spaces, other whitespace made words of its own),
    which of them are names, and which start a name (a run of name words)."""
    t = _tables()
    spaced = text
    for space in _SPACED:
        spaced = pc.replace_substring(spaced, space, f" {space} ")
    parts = pc.split_pattern(spaced, " ")
    raw = parts.flatten()
    rows = _np(pc.list_parent_indices(parts)).astype(np.int64)
    core = pc.replace_substring_regex(raw, r"^[^\p{L}]+|[^\p{L}]+$", "")
    possessive = _matches(core, r"['’][sS]$")
    core = pc.replace_substring(pc.replace_substring_regex(core, r"['’][sS]$", ""), "’", "'")
    lower = pc.utf8_lower(core)

    title = _matches(core, r"^\p{Lu}(?:\p{Ll}|'\p{Lu})")
    all_lower = _matches(core, r"^\p{Ll}[\p{Ll}'-]{2,}$")
    dotted = _matches(raw, r"^\(?\p{Lu}\.")
    initial = _matches(core, r"^\p{Lu}(?:\.\p{Lu})?$") & (dotted | ~_member(core, pa.array(["A", "I"])))
    ends_word = _matches(raw, r"(?:\p{L}|['’][sS])$")
    empty = _np(pc.utf8_length(raw)).astype(np.int64) == 0
    ends_sentence = _matches(raw, r"[.!?:;]$|^[\n\r\t]$") & ~initial
    ends_sentence |= empty & _shift(ends_sentence, rows, -1)  # "end.  Next": the empty word between
    first_of_row = np.ones(len(rows), dtype=bool)
    first_of_row[1:] = rows[1:] != rows[:-1]
    sentence_start = first_of_row | _shift(ends_sentence, rows, -1)
    joined_to_next = ends_word | initial  # no punctuation between this word and the next
    joined_to_prev = _shift(joined_to_next, rows, -1)

    first_part = pc.replace_substring_regex(core, r"-.*$", "")
    # looked up in lower case, accents removed ("Zoë", "zoe" -> "zoe")
    index = _np(pc.fill_null(pc.index_in(pc.utf8_lower(_fold(core)), value_set=t["keys"]), -1)).astype(np.int64)
    index_first = _np(pc.fill_null(pc.index_in(pc.utf8_lower(_fold(first_part)), value_set=t["keys"]), -1)).astype(
        np.int64
    )
    index = np.where(index < 0, index_first, index)
    known = index >= 0
    safe = np.where(known, index, 0)
    is_first = known & t["first"][safe]
    is_surname = known & t["surname"][safe]
    common = known & t["common"][safe]
    context_only = known & t["context_only"][safe]
    uk_first = known & t["uk_first"][safe]
    word = _member(pc.utf8_lower(first_part), t["words"])
    place_or_brand = _member(core, t["context_words"])
    in_marker = _matches(raw, r"^\[(?:email|nhs|phone|date|address|postcode|name)$|^removed\]")
    in_marker |= _shift(_matches(raw, r"^\[nhs$"), rows, -1)  # "[nhs number removed]"
    never = (_member(core, t["never"]) & ~(initial & dotted)) | in_marker
    clan = _matches(core, r"^(?:O'|D'|Ma?c)\p{Lu}\p{Ll}+$")

    nxt_not_person = _shift(_member(core, t["not_after"]), rows, 1) & joined_to_next
    not_person = nxt_not_person | (_shift(_member(core, t["not_before"]), rows, -1) & joined_to_prev)
    for _ in range(2):  # "Aneurin Bevan University": Bevan, then Aneurin
        not_person |= _shift(not_person & title, rows, 1) & joined_to_next & title

    # names by context
    prev_lower, prev2_lower = _shift_tokens(lower, rows, 1), _shift_tokens(lower, rows, 2)
    prev_ends_word = _shift(_matches(raw, r"\p{L}$"), rows, -1)
    after_relation = (
        _member(prev_lower, t["relation"])
        & ~_shift(possessive, rows, -1)
        & _member(prev2_lower, t["possessive"])
        & _shift(_matches(raw, r"(?:\p{L}|,)$"), rows, -1)
        & _shift(_matches(raw, r"\p{L}$"), rows, -2)
    )
    after_naming = (_member(prev_lower, t["naming"]) & prev_ends_word) | (
        _member(prev_lower, pa.array(["is", "as"])) & _member(prev2_lower, pa.array(["name", "known"]))
    )
    cue = after_relation | (after_naming & (not strict))  # strong: any plausible word, lower case too
    after_weak = _member(prev_lower, t["weak_naming"]) & _shift(_matches(raw, r"(?:\p{L}|:)$"), rows, -1)
    before_verb = _member(_shift_tokens(lower, rows, -1), t["person_verbs"]) & joined_to_next & sentence_start
    weak_cue = (after_weak | before_verb) & (not strict)
    titles = t["strict_titles"] if strict else t["titles"]
    after_title = _member(_shift_tokens(core, rows, 1), titles) & _shift(_matches(raw, r"\p{L}\.?$"), rows, -1)
    plausible = ((title & (known | ~word) & ~place_or_brand) | initial | (all_lower & ~word)) & ~not_person
    names = ((cue & plausible) | (after_title & (title | initial))) & ~never
    names |= weak_cue & title & (known | ~word) & ~context_only & ~place_or_brand & ~not_person & ~never

    if not strict:
        names |= title & known & ~context_only & ~(common & sentence_start & ~uk_first) & ~never
        names |= title & clan
        names |= all_lower & known & ~word & ~context_only & ~never
        names |= title & possessive & known & ~place_or_brand & ~never
        names |= (
            all_lower
            & known
            & is_first
            & _shift(all_lower & known & is_surname, rows, 1)
            & joined_to_next
            & ~(word & _shift(word, rows, 1))
        )  # "oliver smith", not "the rose garden"
        names |= initial & _shift(title & (known | ~word) & ~never & ~place_or_brand, rows, 1) & joined_to_next
        names &= ~(not_person & ~cue & ~after_title)
    for _ in range(2):  # names run on: "Amelia Rose O'Connor", "J. Smith", "Grace Kowalski"
        prev_is_name = _shift(names, rows, -1) & joined_to_prev
        names |= (
            prev_is_name
            & ((title & (known | ~word) & ~place_or_brand & ~not_person) | initial | (all_lower & known & is_surname))
            & ~never
        )
        next_is_name = _shift(names, rows, 1) & joined_to_next
        names |= next_is_name & ((title & is_first) | initial | (all_lower & (is_first | ~word))) & ~not_person & ~never
    names &= _np(pc.utf8_length(core)).astype(np.int64) > 0
    starts = names & ~(_shift(names, rows, -1) & joined_to_prev)
    return parts, names, starts


def _fold_text(text: str) -> str:
    """:func:`_fold` for one string (the gazetteer's keys)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _fold(values: pa.Array) -> pa.Array:
    """Accents removed ("Zoë" -> "Zoe"), so that a name the lists spell plainly is found."""
    return pc.replace_substring_regex(pc.utf8_normalize(values, "NFD"), r"\p{Mn}+", "")


def _shift_tokens(values: pa.Array, rows: np.ndarray, back: int) -> pa.Array:
    """The token ``back`` places earlier in the same comment (null where there is none)."""
    positions = np.arange(len(rows)) - back
    valid = (positions >= 0) & (positions < len(rows))
    valid[valid] = rows[positions[valid]] == rows[valid]
    return pc.take(values, pa.array(np.where(valid, positions, 0), mask=~valid))


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
    parts, names, starts = _name_tokens(text, strict)
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
    for space in _SPACED:
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
    digest.update((files("evidence") / "detectors.py").read_bytes())
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
