"""De-identification: keyed pseudonyms for IDs and redaction of identifiers in free text.

Nothing identifiable leaves ingest. Direct-identifier columns are dropped by the reader's
caller; this module supplies the two operations that remain:

* :func:`pseudonymise` turns an ID into an HMAC-SHA256 pseudonym under a secret key, so the
  same person gets the same pseudonym across files made with the same key, and nobody without
  the key can reverse it or confirm a guess.
* :func:`redact_free_text` replaces e-mail addresses, phone numbers, NHS numbers, postcodes,
  dates (possible dates of birth), titled names and known names inside free text.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from evidence.errors import PseudonymKeyError

KEY_ENVIRONMENT_VARIABLE = "EVIDENCE_PSEUDONYM_KEY"
#: Published, so it protects nothing: used only for data marked synthetic.
DEMO_KEY = "evidence-demo-key-PUBLISHED-for-synthetic-sample-data-only"
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
                f"{MIN_KEY_LENGTH} random characters (e.g. `python -c \"import secrets; "
                "print(secrets.token_hex(32))\"`) and keep it out of the repository"
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
    """HMAC-SHA256 pseudonyms (first 16 hex characters) of ``ids``; missing stays missing.

    Hashing has no vectorised form, so each *distinct* value is hashed once and mapped back.
    """
    text = ids.astype("string").str.strip()
    distinct = text.dropna().unique()
    digests = {
        value: hmac.new(key.secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[
            :PSEUDONYM_HEX_CHARS
        ]
        for value in distinct
    }
    return text.map(digests).astype("string")


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


_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)

#: Patterns in the order they are applied (e-mail before phone, NHS number before phone).
FREE_TEXT_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE),
    "nhs_number": re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)"),
    "phone": re.compile(
        r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"
    ),
    "date": re.compile(
        rf"\b(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
        rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?\s+\d{{4}})\b",
        re.IGNORECASE,
    ),
    "postcode": re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
    "titled_name": re.compile(
        r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?"
    ),
}
REDACTION_TEXT = "[{kind} removed]"


def _known_name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    tokens = {t for n in names for t in re.split(r"[\s,]+", str(n)) if len(t) >= 2}
    if not tokens:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def redact_free_text(
    text: pd.Series, known_names: Iterable[str] = ()
) -> tuple[pd.Series, dict[str, int]]:
    """Replace identifiers in free text with ``[kind removed]``; return the text and counts.

    ``known_names`` are names taken from the file's name columns: every word of them is removed
    wherever it appears in any row's text (over-redaction is the safe side).
    NHS-number-shaped digit runs are removed whether or not the check digit is valid.
    """
    out = text.astype("string")
    counts: dict[str, int] = {}
    patterns = dict(FREE_TEXT_PATTERNS)
    names = _known_name_pattern(k for k in known_names if isinstance(k, str) and k.strip())
    if names is not None:
        patterns["name"] = names
    for kind, pattern in patterns.items():
        counts[kind] = int(out.str.count(pattern).fillna(0).sum())
        out = out.str.replace(pattern, REDACTION_TEXT.format(kind=kind.replace("_", " ")), regex=True)
    return out, counts
