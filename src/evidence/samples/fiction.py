"""What the synthetic samples share: invented people and places, identifiers from ranges that
reach nobody, weighted draws and the untidy label text of a survey tool's export.

SYNTHETIC: the names are common UK first names and surnames put together at random; postcode
areas are real areas with invented districts; NHS numbers come from the 999 range, which NHS
England does not issue.
"""

from __future__ import annotations

import numpy as np

from evidence.privacy import nhs_number_is_valid

FIRST_NAMES = [
    "Aisha",
    "Bethan",
    "Callum",
    "Chloe",
    "Dafydd",
    "Eilidh",
    "Emma",
    "Fatima",
    "Grace",
    "Hannah",
    "Imogen",
    "Jasmine",
    "Kirsty",
    "Laura",
    "Megan",
    "Niamh",
    "Olivia",
    "Priya",
    "Rhiannon",
    "Sarah",
    "Siobhan",
    "Sophie",
    "Tomasz",
    "Zara",
    "Ciaran",
    "Gareth",
    "Ruth",
    "Helen",
    "Joanne",
    "Amira",
]
SURNAMES = [
    "Ahmed",
    "Bell",
    "Campbell",
    "Davies",
    "Evans",
    "Fraser",
    "Gallagher",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kaur",
    "Kowalski",
    "Lewis",
    "MacLeod",
    "Morgan",
    "Murphy",
    "Nowak",
    "O'Neill",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Stewart",
    "Thomas",
    "Walsh",
    "Williams",
    "Wilson",
    "Okafor",
    "Boateng",
    "Reid",
]
POSTCODE_AREAS = ["B", "BS", "BT", "CF", "EH", "G", "L", "LS", "M", "NE", "NG", "S", "SA", "SW"]


def weighted_choice(rng: np.random.Generator, options: dict[str, float], size: int) -> np.ndarray:
    """``size`` draws of the keys of ``options``, with probability proportional to their values."""
    p = np.array(list(options.values()), dtype=float)
    return rng.choice(np.array(list(options), dtype=object), size=size, p=p / p.sum())


def messy_labels(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """Inconsistent case and stray whitespace, as respondents' exports have: 10% lower case,
    4% upper case, 8% padded with spaces."""
    out = labels.astype(object).copy()
    draw = rng.random(len(out))
    lower, upper, spaced = draw < 0.10, (draw >= 0.10) & (draw < 0.14), (draw >= 0.14) & (draw < 0.22)
    out[lower] = [s.lower() for s in out[lower]]
    out[upper] = [s.upper() for s in out[upper]]
    out[spaced] = [f" {s}  " for s in out[spaced]]
    return out


def nhs_test_number(rng: np.random.Generator) -> str:
    """A valid NHS number (modulus-11 check digit) from the never-issued 999 range, written
    ``999 123 4567``."""
    while True:
        digits = "999" + "".join(map(str, rng.integers(0, 10, 7)))
        if nhs_number_is_valid(digits):
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
