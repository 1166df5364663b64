"""De-identification: keyed pseudonyms for IDs, redaction of identifiers in free text, and
the guard that keeps identifiers out of every other published column.

Nothing identifiable leaves ingest. The rules, the same for every reader (CSV, .xlsx, .sav),
since they act on the text table a reader returns:

* **Declared identifier columns** (the survey definition's ``direct_identifiers``, the outcome
  extract's ``DIRECT_IDENTIFIERS``) are dropped; ID columns become keyed pseudonyms
  (:func:`pseudonymise`, HMAC-SHA256: the same person gets the same pseudonym across files made
  with the same key, and nobody without the key can reverse it or confirm a guess).
* **Undeclared columns** are never carried: the clean tables are built only from declared
  columns. An undeclared column whose *header* looks like an identifier
  (:func:`identifier_column_kind`: "Child name", "Parent_Name", "email address", "DOB", "NHS
  no", "Mobile", "Home postcode", ...) is listed in the manifest as an identifier column dropped,
  and the values of name-like ones are treated as known names (below).
* **Free text** (declared ``free_text`` columns, PREM comments) is redacted
  (:func:`redact_free_text`, the detectors in :mod:`evidence.detectors`): e-mail addresses
  (also "name at domain dot org"), NHS numbers (10 digits with or without spaces, dots or
  dashes, valid check digit or not), UK phone numbers (0..., +44, 0044, "(0)"), dates
  (possible dates of birth, in numeric and written forms), street addresses, postcodes,
  person names (a gazetteer of names common in the UK plus context rules), and every word of
  the file's known names; counts by kind go to the manifest.
* **Every other published text column** (e.g. an episode's service name) is checked
  (:func:`identifier_problems`): a value holding an e-mail address, an NHS-number-shaped run of
  digits, a phone number, a postcode, a date or a known name refuses the ingest. Silently
  rewriting a column that analysis groups by would corrupt results, so refusing is the safe
  choice; the file is corrected and ingested again. Answer columns validated against a fixed
  list of answers (categories, whole numbers in range, item codes) cannot carry an identifier:
  one typed there is already a validation error.
* **Error messages never echo an identifier in full** (:func:`masked_problems`): a value in a
  problem report that looks like an identifier, that is a known name, or that sits in a
  date-of-birth column, is masked (``9** *** **19``), while the file, row, column and rule
  broken are still named.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evidence import detectors
from evidence.errors import Problem, PseudonymKeyError

KEY_ENVIRONMENT_VARIABLE = "EVIDENCE_PSEUDONYM_KEY"
#: Published, so it protects nothing: used only for data marked synthetic.
DEMO_KEY = "evidence-demo-key-PUBLISHED-for-synthetic-sample-data-only"  # pragma: allowlist secret
MIN_KEY_LENGTH = 16
PSEUDONYM_HEX_CHARS = 16  # 64 bits: collision chance about n^2 / 2^65, negligible below 10^7 IDs


@dataclass(frozen=True)
class PseudonymKey:
    """A pseudonymisation key and a description of where it came from (for the manifest)."""

    secret: bytes
    origin: str

    @property
    def is_demo(self) -> bool:
        return self.secret == DEMO_KEY.encode()


def pseudonym_key(synthetic: bool, environ: dict[str, str] | None = None) -> PseudonymKey:
    """The key for this run: from ``$EVIDENCE_PSEUDONYM_KEY``; the published demo key only
    when the data are marked synthetic. Real data with no key is an error, never a default."""
    env = os.environ if environ is None else environ
    secret = env.get(KEY_ENVIRONMENT_VARIABLE, "")
    if secret:
        if len(secret) < MIN_KEY_LENGTH:
            raise PseudonymKeyError(
                f"{KEY_ENVIRONMENT_VARIABLE} is {len(secret)} characters long; use at least "
                f'{MIN_KEY_LENGTH} random characters (e.g. `python -c "import secrets; '
                'print(secrets.token_hex(32))"`) and keep it out of the repository'
            )
        if secret == DEMO_KEY and not synthetic:
            raise PseudonymKeyError(
                f"{KEY_ENVIRONMENT_VARIABLE} is set to the published demo key, which may only be "
                "used for synthetic sample data; set a secret key for real data"
            )
        return PseudonymKey(secret.encode(), f"environment variable {KEY_ENVIRONMENT_VARIABLE}")
    if synthetic:
        return PseudonymKey(DEMO_KEY.encode(), "published demo key (synthetic sample data only)")
    raise PseudonymKeyError(
        f"this input is not marked synthetic, so it needs a secret pseudonymisation key: set "
        f"{KEY_ENVIRONMENT_VARIABLE} (at least {MIN_KEY_LENGTH} random characters, kept out of "
        "the repository) and run again"
    )


def pseudonymise(ids: pd.Series, key: PseudonymKey) -> pd.Series:
    """HMAC-SHA256 pseudonyms (first 16 hex characters) of ``ids`` (surrounding whitespace
    ignored); missing stays missing, as ``pd.NA`` (the ``"string"`` dtype). See
    :class:`Pseudonyms` for how."""
    return Pseudonyms.of(ids, key).apply(ids).astype("string")


class Pseudonyms:
    """Each distinct ID of a column and its pseudonym, to map that column and others (the
    episode IDs of questionnaires through their episodes' pseudonyms) without hashing again.

    Hashing has no vectorised form, so each distinct value is hashed once, by RFC 2104's
    construction with the key's inner and outer hash states computed once and copied (half the
    time of ``hmac.digest`` per value, the same digests); mapping back is Arrow's hash lookup."""

    def __init__(self, distinct: pa.Array, pseudonyms: pa.Array):
        self.distinct, self.pseudonyms = distinct, pseudonyms

    @staticmethod
    def trimmed_distinct(ids: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array:
        """Each distinct ID once, surrounding whitespace removed, in order of appearance."""
        distinct = pc.unique(pc.drop_null(_trimmed(ids)))
        return distinct.combine_chunks() if isinstance(distinct, pa.ChunkedArray) else distinct

    @classmethod
    def of(cls, ids: pd.Series | pa.Array | pa.ChunkedArray, key: PseudonymKey) -> Pseudonyms:
        distinct = cls.trimmed_distinct(ids)
        inner, outer = _hmac_states(key.secret)
        digests = []
        for value in distinct.to_pylist():
            hashed = inner.copy()
            hashed.update(value.encode("utf-8"))
            keyed = outer.copy()
            keyed.update(hashed.digest())
            digests.append(keyed.hexdigest()[:PSEUDONYM_HEX_CHARS])
        return cls(distinct, pa.array(digests, type=pa.large_string()))

    def apply(self, ids: pd.Series) -> pd.Series:
        """The pseudonyms of ``ids`` in pandas' default text dtype (``str``; missing, as NaN,
        where an ID is missing or not among these)."""
        found = pc.take(self.pseudonyms, pc.index_in(_trimmed(ids), value_set=self.distinct))
        return pd.Series(pd.array(found, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=ids.index)


def _trimmed(ids: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """IDs as Arrow text without surrounding whitespace (``str.strip``'s rule, as pandas does it)."""
    text = ids if isinstance(ids, pa.Array | pa.ChunkedArray) else pa.array(ids.astype("string").array)
    if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
        text = text.cast(pa.large_string())
    return pc.utf8_trim_whitespace(text)


def _hmac_states(secret: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 states after the inner and outer padded keys (RFC 2104: a key longer than the
    64-byte block is hashed first, a shorter one padded with zero bytes)."""
    block = 64
    if len(secret) > block:
        secret = hashlib.sha256(secret).digest()
    padded = secret.ljust(block, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in padded)), hashlib.sha256(bytes(b ^ 0x5C for b in padded)))


def nhs_number_is_valid(digits: str) -> bool:
    """True when ``digits`` (10 digits, separators removed) passes the NHS Modulus 11 check.

    Reference: NHS Data Dictionary, "NHS Number" (check digit: weights 10..2 on the first nine
    digits, 11 minus the remainder mod 11; 11 means 0 and 10 means invalid).
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


#: The structured forms (e-mail, NHS number, phone, date, address, postcode) as Python
#: expressions (group 2 is the identifier); the same text the vectorised pass runs in RE2.
FREE_TEXT_PATTERNS: dict[str, re.Pattern[str]] = {kind: detectors.compiled(kind) for kind in detectors.STRUCTURED}
REDACTION_TEXT = detectors.MARKER


def redact_free_text(text: pd.Series, known_names: Iterable[str] = ()) -> tuple[pd.Series, dict[str, int]]:
    """Replace identifiers in free text with ``[kind removed]``; return the text and counts by
    kind (``email``, ``nhs_number``, ``phone``, ``date``, ``address``, ``postcode``, ``name``).

    What is found is described in :mod:`evidence.detectors`: the structured forms, person
    names from the gazetteer and from context, and every word of ``known_names`` (names taken
    from the file's name columns), wherever it appears (over-redaction is the safe side).
    NHS-number-shaped digit runs are removed whether or not the check digit is valid.
    """
    return detectors.redact_series(text, known_names)


# --- identifier columns, the published-column guard and masked error values ---------------

#: Header words that make an undeclared column an identifier column, by kind. Headers are split
#: into lower-case words first ("ParentName" -> parent name, "e-mail_address" -> e mail address).
_IDENTIFIER_HEADERS: dict[str, re.Pattern[str]] = {
    "name": re.compile(
        r"\b(?:(?:first|given|fore|sur|last|family|full|middle|maiden|nick)\s?names?|"
        r"forename|surname|names?)\b"
    ),
    "email": re.compile(r"\b(?:e\s?mail|email)\b"),
    "phone": re.compile(r"\b(?:phone|telephone|tel|mobile|landline|contact number)\b"),
    "date_of_birth": re.compile(r"\b(?:dob|date of birth|birth\s?date|born)\b"),
    "postcode": re.compile(r"\b(?:post\s?code|postal code|zip|address)\b"),
    "nhs_number": re.compile(r"\b(?:nhs\s?(?:number|no|num)?|chi\s?(?:number|no)|hcn)\b"),
    "ip_address": re.compile(r"\b(?:ip\s?address|ip)\b"),
}
#: Words that make a "... name" header something other than a person's name.
_NOT_A_PERSON = re.compile(
    r"\b(?:service|school|team|organisation|organization|org|site|trust|board|"
    r"file|instrument|clinic|hospital|practice|setting|ward|department|provider|"
    r"location|place|variable|scale|measure|test|question|sheet|product|user)\b"
)


def _header_words(column: str) -> str:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(column))  # ChildName -> Child Name
    return " ".join(re.split(r"[^a-z0-9]+", spaced.casefold())).strip()


def identifier_column_kind(column: str) -> str | None:
    """The kind of identifier a column header names ("name", "email", "phone",
    "date_of_birth", "postcode", "nhs_number", "ip_address"), or None."""
    words = _header_words(column)
    for kind, pattern in _IDENTIFIER_HEADERS.items():
        if pattern.search(words):
            if kind == "name" and _NOT_A_PERSON.search(words):
                continue
            return kind
    return None


def identifier_columns(columns: Iterable[str], declared: Iterable[str] = ()) -> dict[str, str]:
    """Columns (other than ``declared`` ones) whose header names an identifier, with the kind."""
    declared = set(declared)
    return {c: kind for c in columns if c not in declared and (kind := identifier_column_kind(c))}


#: Patterns that refuse a value in a published column that is not free text. Titled names are
#: left out ("Dr Gray's Hospital" is a real hospital); NHS-number-shaped runs count whatever
#: their check digit.
GUARD_PATTERNS = {kind: FREE_TEXT_PATTERNS[kind] for kind in ("email", "nhs_number", "phone", "date", "postcode")}


def mask(value: object) -> str:
    """``value`` with its letters and digits hidden except the first and the last two:
    ``943 476 5919`` -> ``9** *** **19``. Values of four characters or fewer are hidden whole."""
    text = str(value)
    chars = [i for i, c in enumerate(text) if c.isalnum()]
    if len(chars) <= 4:
        return re.sub(r"\w", "*", text)
    hidden = set(chars[1:-2])
    return "".join("*" if i in hidden else c for i, c in enumerate(text))


def identifier_kind(value: object, known_names: Iterable[str] = ()) -> str | None:
    """The kind of identifier ``value`` holds ("email", "nhs_number", "phone", "date",
    "postcode" or "name" for a known full name), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    for kind, pattern in GUARD_PATTERNS.items():
        if pattern.search(value):
            return kind
    folded = value.casefold()
    for name in known_names:
        if (
            isinstance(name, str)
            and len(name.strip()) >= 3
            and re.search(rf"\b{re.escape(name.strip().casefold())}\b", folded)
        ):
            return "name"
    return None


def known_full_names(values: Iterable[object]) -> set[str]:
    """Distinct non-blank names (whole values, trimmed) for :func:`identifier_kind`."""
    return {str(v).strip() for v in values if isinstance(v, str) and len(v.strip()) >= 3}


def identifier_problems(
    file: str, values: pd.Series, row_numbers: pd.Series, column: str, known_names: Iterable[str] = ()
) -> list[Problem]:
    """One problem (value masked) per value of a published, non-free-text column holding an
    identifier. ``values`` and ``row_numbers`` are aligned by position. Distinct values are
    examined once each, so the cost is the number of distinct values."""
    names = known_full_names(known_names)
    text = values.astype("string")
    kinds = {v: identifier_kind(v, names) for v in text.dropna().unique()}
    flagged = {v: k for v, k in kinds.items() if k}
    if not flagged:
        return []
    found = text.map(flagged).to_numpy(dtype=object)
    return [
        Problem(
            file,
            int(row_numbers.iloc[i]),
            column,
            mask(text.iloc[i]),
            f"looks like {'a known name' if found[i] == 'name' else 'a ' + found[i].replace('_', ' ')} "
            "(value masked here); identifiers may not reach a published column: remove it from "
            "this cell, or move it to a declared identifier or free-text column",
        )
        for i in range(len(text))
        if isinstance(found[i], str)
    ]


def masked_problems(problems: list[Problem], known_names: Iterable[str] = ()) -> list[Problem]:
    """``problems`` with every value that looks like an identifier, contains a known name, or
    sits in a date-of-birth column masked, so that an error message never repeats one. A date
    is an identifier only as a date of birth: a referral or submission date is shown, since
    the person correcting the file needs to see it."""
    names = known_full_names(known_names)
    out = []
    for problem in problems:
        value = problem.value
        kind = identifier_kind(value, names) if isinstance(value, str) else None
        birth = identifier_column_kind(problem.column or "") == "date_of_birth"
        if isinstance(value, str) and ((kind and kind != "date") or birth):
            problem = dataclasses.replace(
                problem,
                value=mask(value),  # keeps a RepeatedProblem's count
                rule=problem.rule + " (value masked: it may identify someone)",
            )
        out.append(problem)
    return out
