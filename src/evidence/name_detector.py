"""Person names in free text, found a whole column at a time (the second family of
:mod:`evidence.detectors`, run after the structured forms are removed).

The text is split into words at spaces (other whitespace made a word of its own), so it can be
rebuilt exactly. A word is a name when it is in the gazetteer (:mod:`evidence.name_gazetteer`)
and is not an ordinary word in that place, or when its context says so: after "my son", "our
daughter", "called", "named" or a title; an initial before a surname; a word beside a name
("Amelia-Rose O'Connor", "oliver smith", "Grace Kowalski"); a name-list word with a possessive
("Hope's"). Words that belong to an organisation, a place or a condition ("Aneurin Bevan
University Health Board", "Down syndrome", "St Mary's") are not names. On the strict side
(``strict=True``, the audit's) only names given by context count: after a relation word such as
"my son", or a title other than Dr, Prof, Sister or Nurse.

Everything runs as pyarrow compute kernels over the whole column (set look-ups of distinct
words, numpy shifts for context): no Python loop per comment. Replacing what is found is
:mod:`evidence.detectors`' part.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evidence.name_gazetteer import gazetteer


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


#: Whitespace other than a space, split off as a word of its own (and put back as it was).
SPACED = ("\n", "\r", "\t")


def name_tokens(text: pa.Array, strict: bool) -> tuple[pa.ListArray, np.ndarray, np.ndarray]:
    """The comment's words (split at single spaces, other whitespace made words of its own),
    which of them are names, and which start a name (a run of name words)."""
    t = _tables()
    spaced = text
    for space in SPACED:
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
