import hashlib
import hmac

import pandas as pd
import pytest

from evidence import privacy
from evidence.errors import PseudonymKeyError


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("9434765919", True),  # the NHS Data Dictionary's worked example
        ("9434765918", False),  # wrong check digit
        ("4010232137", True),
        # 1x10 + 2x9 + 3x8 + 4x7 + 5x6 + 6x5 + 7x4 + 8x3 + 8x2 = 208; 208 mod 11 = 10; 11 - 10 = 1
        ("1234567881", True),
        # 2x10 = 20; 20 mod 11 = 9; 11 - 9 = 2
        ("2000000002", True),
        # 1x10 + 1x2 = 12; 12 mod 11 = 1; 11 - 1 = 10, which no NHS number may have
        ("1000000010", False),
        ("123456789", False),
    ],
)
def test_nhs_number_check_digit(number, valid):
    assert privacy.nhs_number_is_valid(number) is valid


def test_redaction_removes_each_kind_and_counts_it():
    text = pd.Series(
        [
            "Call me on 07700 900123 or +44 20 7946 0958",
            "Email jo.bloggs@example.com please",
            "NHS number 943 476 5919 waited",
            "Born 03/04/2015, seen 12 March 2024",
            "Clinic at CF10 3NQ",
            "Dr Okafor and Mrs Jane Smith left",
            "Aisha said so",
            None,
        ]
    )
    out, counts = privacy.redact_free_text(text, known_names=["Aisha Patel"])
    joined = " ".join(out.dropna())
    for planted in [
        "07700 900123",
        "7946 0958",
        "jo.bloggs",
        "943 476 5919",
        "03/04/2015",
        "12 March 2024",
        "CF10 3NQ",
        "Okafor",
        "Jane Smith",
        "Aisha",
    ]:
        assert planted not in joined
    # a name is counted once however many words it has: Okafor, Jane Smith, Aisha
    assert counts == {"email": 1, "nhs_number": 1, "phone": 2, "date": 2, "address": 0, "postcode": 1, "name": 3}
    assert out.iloc[0] == "Call me on [phone removed] or [phone removed]"
    assert pd.isna(out.iloc[7])


def test_redaction_leaves_ordinary_text_alone():
    text = pd.Series(["Referrals rose 40% in 2024 and we have 3 vacancies at Band 6."])
    out, counts = privacy.redact_free_text(text)
    assert out.iloc[0] == text.iloc[0]
    assert sum(counts.values()) == 0


@pytest.mark.parametrize("secret", [b"k" * 16, b"k" * 64, b"long key " * 20])
def test_pseudonyms_are_hmac_sha256_as_the_standard_library_computes_it(secret):
    """RFC 2104 by precomputed pad states: the same digest as ``hmac`` for keys shorter than,
    equal to and longer than SHA-256's 64-byte block; non-ASCII IDs and padding spaces too."""
    ids = pd.Series([" EP1 ", "EP1", "Siân-2", None, "EP3"], dtype="string")
    expected = [
        hmac.new(secret, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:16] if not pd.isna(value) else None
        for value in ids
    ]
    found = privacy.pseudonymise(ids, privacy.PseudonymKey(secret, "test"))
    assert found.tolist()[:3] + found.tolist()[4:] == expected[:3] + expected[4:]
    assert pd.isna(found[3]) and found.dtype == "string"
    mapped = privacy.Pseudonyms.of(ids, privacy.PseudonymKey(secret, "test")).apply(
        pd.Series(["EP3", "EP9", " EP1"], dtype="string")
    )
    assert mapped[0] == expected[4] and pd.isna(mapped[1]) and mapped[2] == expected[0]


def test_pseudonyms_are_keyed_stable_and_distinct():
    ids = pd.Series(["R_1", "R_2", "R_1", None])
    key = privacy.PseudonymKey(b"k" * 32, "test")
    first = privacy.pseudonymise(ids, key)
    assert first.iloc[0] == first.iloc[2] != first.iloc[1]
    assert pd.isna(first.iloc[3])
    assert first.str.len().dropna().eq(16).all()
    other = privacy.pseudonymise(ids, privacy.PseudonymKey(b"j" * 32, "test"))
    assert other.iloc[0] != first.iloc[0]
    # HMAC-SHA256("k"*32, "R_1") computed independently with the standard library
    assert first.iloc[0] == hmac.new(b"k" * 32, b"R_1", hashlib.sha256).hexdigest()[:16]


def test_key_rules():
    assert privacy.pseudonym_key(True, {}).is_demo
    with pytest.raises(PseudonymKeyError, match="not marked synthetic"):
        privacy.pseudonym_key(False, {})
    with pytest.raises(PseudonymKeyError, match="at least 16"):
        privacy.pseudonym_key(False, {privacy.KEY_ENVIRONMENT_VARIABLE: "short"})
    with pytest.raises(PseudonymKeyError, match="demo key"):
        privacy.pseudonym_key(False, {privacy.KEY_ENVIRONMENT_VARIABLE: privacy.DEMO_KEY})
    real = privacy.pseudonym_key(False, {privacy.KEY_ENVIRONMENT_VARIABLE: "x" * 40})
    assert not real.is_demo and "environment" in real.origin
