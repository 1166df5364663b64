"""Labelled evaluation set for free-text redaction: SYNTHETIC comments in the voices of parents,
young people and occupational therapists, each identifier in them with its kind and span.

Every name, number and address here is invented (phone numbers from Ofcom's drama ranges,
NHS numbers from the 999 range, never issued; postcodes are real-shaped). The name lists are
written here, independently of the gazetteer the detector uses, so the set also measures how
far the gazetteer reaches; some names are in no list at all and can only be found by context.
Hard negatives (words that must be kept) are woven in: place and service names, month names,
conditions, and words that are also names used as ordinary words ("Hope", "May", "Will").

    python tests/data/identifiers/make_comments.py   # rewrites comments.jsonl beside it

``tests/test_redaction_evaluation.py`` checks that the committed file is what this makes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SEED = 20261201
COUNT = 600
OUT = Path(__file__).with_name("comments.jsonl")

BOYS = [
    "Oliver",
    "Noah",
    "George",
    "Arthur",
    "Leo",
    "Muhammad",
    "Harry",
    "Jack",
    "Oscar",
    "Theo",
    "Alfie",
    "Freddie",
    "Archie",
    "Charlie",
    "Jacob",
    "Reggie",
    "Ronnie",
    "Dylan",
    "Rhys",
    "Osian",
    "Callum",
    "Finlay",
    "Cian",
    "Aarav",
    "Ibrahim",
    "Yusuf",
    "Kacper",
    "Jakub",
    "Tomasz",
    "Chidi",
    "Kwame",
    "Mateo",
    "Luca",
    "Ethan",
    "Mason",
    "Logan",
    "Kai",
    "Zain",
    "Ayaan",
    "Dafydd",
]
GIRLS = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Ivy",
    "Freya",
    "Lily",
    "Florence",
    "Mia",
    "Willow",
    "Poppy",
    "Sophia",
    "Elsie",
    "Daisy",
    "Evie",
    "Ruby",
    "Sienna",
    "Aisha",
    "Zainab",
    "Fatima",
    "Maryam",
    "Priya",
    "Ananya",
    "Zofia",
    "Wiktoria",
    "Niamh",
    "Aoife",
    "Eilidh",
    "Cerys",
    "Seren",
    "Ffion",
    "Siân",
    "Zoë",
    "Chloé",
    "Amara",
    "Adaeze",
    "Chloe",
    "Megan",
    "Layla",
    "Harper",
]
#: Names in none of the gazetteer's sources: findable only by context.
RARE = ["Zephyrin", "Tamsyn", "Elowen", "Kezia", "Oriel", "Bryher", "Caelan", "Jory", "Morwenna", "Talan"]
HYPHENATED = ["Amelia-Rose", "Lily-May", "Mary-Jane", "Tia-Leigh", "Jean-Luc", "Lacey-Mae"]
SURNAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Johnson",
    "Lewis",
    "Walker",
    "Robinson",
    "Wood",
    "Thompson",
    "White",
    "Watson",
    "Jackson",
    "Wright",
    "Green",
    "Harris",
    "Cooper",
    "King",
    "Lee",
    "Martin",
    "Clarke",
    "James",
    "Morgan",
    "Hughes",
    "Edwards",
    "Hill",
    "Moore",
    "Clark",
    "Harrison",
    "Scott",
    "Young",
    "Morris",
    "Hall",
    "Ward",
    "Turner",
    "Carter",
    "Phillips",
    "Mitchell",
    "Patel",
    "Khan",
    "Ahmed",
    "Begum",
    "Ali",
    "Hussain",
    "Shah",
    "Singh",
    "Kaur",
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Okafor",
    "Adeyemi",
    "Mensah",
    "Chen",
    "Nguyen",
    "MacLeod",
    "McDonald",
    "O'Connor",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Rossi",
    "Popescu",
    "Ferreira",
    "Yılmaz",
    "Llewellyn",
    "Pritchard",
    "Griffiths",
    "Rees",
    "Jenkins",
    "Bevan",
    "Vaughan",
    "Campbell",
    "Stewart",
]
OT_STAFF = ["Sarah", "Rachel", "Emma", "Claire", "Helen", "Gemma", "Laura", "Nicola", "Kate", "Joanne"]

PLACES = [
    "Swansea Bay",
    "Cardiff",
    "Wrexham",
    "Preston",
    "Chester",
    "Lincoln",
    "Bath",
    "Wells",
    "Carlisle",
    "Bolton",
    "Derby",
    "Kent",
    "Newport",
    "Belfast",
    "Dundee",
    "Perth",
    "York",
    "Merthyr Tydfil",
    "Sutton",
    "Milton Keynes",
]
SERVICES = [
    "Occupational Therapy",
    "the Occupational Therapy service",
    "CAMHS",
    "the Child Development Centre",
    "Aneurin Bevan University Health Board",
    "Hywel Dda University Health Board",
    "Great Ormond Street Hospital",
    "Alder Hey Children's Hospital",
    "Swansea Bay University Health Board",
    "the Sensory Integration clinic",
    "Speech and Language Therapy",
    "St Mary's Primary School",
    "Betsi Cadwaladr University Health Board",
    "the wheelchair service",
    "Evelina London",
]
CONDITIONS = [
    "Autism",
    "ADHD",
    "Down syndrome",
    "Down's syndrome",
    "cerebral palsy",
    "Cerebral Palsy",
    "Duchenne muscular dystrophy",
    "Tourette's",
    "DCD",
    "dyspraxia",
    "Asperger syndrome",
    "hypermobility",
    "Ehlers-Danlos syndrome",
    "Perthes disease",
]
MONTH_PHRASES = [
    "since May",
    "in May 2024",
    "last June",
    "by April",
    "in August",
    "over Christmas",
    "before March",
    "from September",
    "in the May half term",
    "every Monday",
]
WORD_NAMES = [
    "I hope the new chair helps.",
    "Hope this helps.",
    "We will keep going.",
    "May I ask for a review?",
    "Will there be a follow-up?",
    "Grace period for the forms was short.",
    "It was a joy to see.",
    "We have faith in the team.",
    "Mark the date in the diary.",
    "Bill the school, not us.",
    "Frank advice was welcome.",
    "The rose garden at school helps him calm.",
    "Summer holidays are hard.",
    "Ivy grows over the ramp.",
    "Best service we have had.",
    "Long waits again.",
    "Young people need more.",
    "Green light from the panel at last.",
]
NUMBERS = [
    "His score went from 12 to 30.",
    "Band 6 posts are empty.",
    "Waiting lists rose 40% this year.",
    "We had 3 sessions in 6 weeks.",
    "The chair cost £1,200.",
    "Session at 10:30 on the 3rd floor.",
    "Ratio is 1 to 25.",
    "COPM performance 4.2 to 6.8.",
    "Seen in 2023 and 2024.",
    "Ref 4471 on the letter.",
    "It took 18 months.",
    "Year 6 was the worst.",
]


def _pick(rng: np.random.Generator, values: list[str]) -> str:
    return values[int(rng.integers(len(values)))]


def _nhs(rng) -> str:
    digits = "999" + "".join(str(d) for d in rng.integers(0, 10, 7))
    form = int(rng.integers(4))
    return [
        f"{digits[:3]} {digits[3:6]} {digits[6:]}",
        digits,
        f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
        f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
    ][form]


def _phone(rng) -> str:
    tail = f"{int(rng.integers(900000, 901000)):06d}"
    land = f"{int(rng.integers(0, 1000)):03d}"
    forms = [
        f"07700 {tail}",
        f"07700{tail}",
        f"+44 7700 {tail}",
        f"0044 7700 {tail}",
        f"+44 (0)7700 {tail}",
        f"+447700{tail}",
        f"07700-{tail[:3]}-{tail[3:]}",
        f"020 7946 0{land}",
        f"(020) 7946 0{land}",
        f"+44 (0)20 7946 0{land}",
        f"029 2018 0{land}",
        f"0117 496 0{land}",
        f"01632 960{land}",
        f"028 9018 0{land}",
        f"0044 20 7946 0{land}",
    ]
    return _pick(rng, forms)


def _email(rng, first: str, last: str) -> str:
    user = _pick(
        rng,
        [
            first.lower(),
            f"{first.lower()}.{last.lower()}",
            f"{first[0].lower()}{last.lower()}",
            f"{first.lower()}{int(rng.integers(1, 99))}",
        ],
    )
    user = user.replace("'", "").replace("ś", "s").replace("ı", "i").replace("â", "a").replace("ë", "e")
    domain = _pick(rng, ["example", "example.co", "mail.example", "test"])
    tld = _pick(rng, ["org", "com", "uk", "net"])
    plain = f"{user}@{domain}.{tld}"
    spoken_domain = domain.replace(".", " dot ")
    forms = [
        plain,
        plain,
        f"{user} at {spoken_domain} dot {tld}",
        f"{user} (at) {domain}.{tld}",
        f"{user}[at]{spoken_domain.replace(' dot ', '[dot]')}[dot]{tld}",
        plain.upper() if rng.random() < 0.2 else plain,
    ]
    return _pick(rng, forms)


def _postcode(rng) -> str:
    area = _pick(rng, ["CF10", "SA1", "LS8", "M1", "B12", "EH3", "G2", "BT7", "NP20", "LL11", "SW1A", "EC1V", "BS4"])
    letters = list("ABDEFGHJLNPQRSTUWXYZ")
    inward = f"{int(rng.integers(1, 10))}{_pick(rng, letters)}{_pick(rng, letters)}"
    return _pick(rng, [f"{area} {inward}", f"{area}{inward}", f"{area} {inward}".lower()])


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _date(rng, birth: bool) -> str:
    year = int(rng.integers(2008, 2022)) if birth else int(rng.integers(2023, 2026))
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    name = MONTHS[month - 1]
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(day, "th")
    forms = [
        f"{day:02d}/{month:02d}/{year}",
        f"{day}/{month}/{year}",
        f"{day:02d}-{name[:3]}-{year}",
        f"{day}{suffix} {name} {year}",
        f"{day:02d}.{month:02d}.{year % 100:02d}",
        f"{year}-{month:02d}-{day:02d}",
        f"{day} {name} {year}",
        f"{name} {day}{suffix}, {year}",
        f"{day}{suffix} of {name} {year}",
        f"{day} {name[:3]} {year % 100:02d}",
    ]
    return _pick(rng, forms)


def _address(rng) -> str:
    number = int(rng.integers(1, 250))
    street = _pick(
        rng,
        [
            "High Street",
            "Station Road",
            "Church Lane",
            "Park View",
            "Heol Y Coed Close",
            "Victoria Avenue",
            "Mill Lane",
            "Oak Tree Drive",
            "Queens Road",
            "Castle Street",
            "Albert Terrace",
            "Meadow Way",
            "King Street",
            "Bryn Road",
        ],
    )
    forms = [
        f"{number} {street}",
        f"Flat {int(rng.integers(1, 9))}, {number} {street}",
        f"{number} {street.lower()}"
        if street.split()[-1] in ("Street", "Road", "Lane", "Avenue", "Close", "Drive", "Terrace")
        else f"{number} {street}",
    ]
    return _pick(rng, forms)


class Comment:
    """A comment built piece by piece, remembering where each identifier sits."""

    def __init__(self) -> None:
        self.text = ""
        self.spans: list[dict] = []

    def add(self, text: str) -> Comment:
        self.text += text
        return self

    def identifier(self, kind: str, text: str, **extra) -> Comment:
        self.spans.append(
            {"start": len(self.text), "end": len(self.text) + len(text), "kind": kind, "value": text, **extra}
        )
        self.text += text
        return self


def _person(rng) -> dict:
    boy = rng.random() < 0.5
    roll = rng.random()
    first = (
        _pick(rng, RARE)
        if roll < 0.06
        else _pick(rng, HYPHENATED)
        if roll < 0.14
        else _pick(rng, BOYS if boy else GIRLS)
    )
    return {
        "first": first,
        "last": _pick(rng, SURNAMES),
        "pronoun": "he" if boy else "she",
        "child": "son" if boy else "daughter",
        "rare": first in RARE,
    }


def _name_form(rng, person: dict, comment: Comment, context: bool) -> None:
    """Write the person's name in one of several forms."""
    first, last = person["first"], person["last"]
    form = int(rng.integers(8))
    extra = {"rare": person["rare"]}
    if form == 0 or (person["rare"] and not context):
        comment.identifier("name", first, **extra)
    elif form == 1:
        comment.identifier("name", first, **extra).add(" ").identifier("name", last)
    elif form == 2:
        comment.identifier("name", first.lower(), **extra).add(" ").identifier("name", last.lower())
    elif form == 3:
        comment.identifier("name", f"{first[0]}.", **extra).add(" ").identifier("name", last)
    elif form == 4:
        comment.identifier("name", first, **extra).add(" ").identifier("name", f"{last[0]}.")
    elif form == 5:
        comment.identifier("name", first, **extra).add("'s")
    else:
        comment.identifier("name", first, **extra)


def _sentence(rng, voice: str, person: dict, c: Comment) -> None:
    """One sentence with identifiers, in ``voice``."""
    kind = int(rng.integers(14))
    if voice == "parent":
        if kind == 0:
            c.add(f"My {person['child']} ")
            _name_form(rng, person, c, True)
            c.add(" has waited two years for an assessment.")
        elif kind == 1:
            c.add(f"Our {person['child']}, ")
            c.identifier("name", person["first"], rare=person["rare"])
            c.add(f", was seen by {_pick(rng, SERVICES)} in {_pick(rng, PLACES)}.")
        elif kind == 2:
            c.add("Please call me on ")
            c.identifier("phone", _phone(rng))
            c.add(f" {_pick(rng, ['(work)', 'after 3pm', 'any time', ''])}.")
        elif kind == 3:
            c.add("NHS number ")
            c.identifier("nhs_number", _nhs(rng))
            c.add(", the letter had it wrong.")
        elif kind == 4:
            c.add(_pick(rng, ["DOB: ", "Date of birth ", "born ", "She was born on ", "d.o.b. "]))
            c.identifier("date", _date(rng, True), birth=True)
            c.add(".")
        elif kind == 5:
            c.add("Email me at ")
            c.identifier("email", _email(rng, person["first"], person["last"]))
            c.add(" please.")
        elif kind == 6:
            c.add("We live at ")
            c.identifier("address", _address(rng))
            c.add(", ")
            c.identifier("postcode", _postcode(rng))
            c.add(".")
        elif kind == 7:
            c.identifier("name", person["first"], rare=person["rare"]) if not person["rare"] else c.add("He")
            c.add(f" loves the sessions with {_pick(rng, OT_STAFF)}.")
        elif kind == 8:
            c.add("Appointment on ")
            c.identifier("date", _date(rng, False), birth=False)
            c.add(" was cancelled.")
        elif kind == 9:
            c.add("He is called ")
            _name_form(rng, person, c, True)
            c.add(" and he hates the splints.")
        elif kind == 10:
            c.add("Mrs ")
            c.identifier("name", person["last"])
            c.add(" at school was brilliant.")
        elif kind == 11:
            c.add("Postcode ")
            c.identifier("postcode", _postcode(rng))
            c.add(" for the equipment delivery.")
        elif kind == 12:
            c.add("Contact ")
            c.identifier("name", person["first"], rare=person["rare"])
            c.add(" ")
            c.identifier("name", person["last"])
            c.add(" on ")
            c.identifier("phone", _phone(rng))
            c.add(".")
        else:
            _name_form(rng, person, c, False)
            c.add(f" was diagnosed with {_pick(rng, CONDITIONS)} {_pick(rng, MONTH_PHRASES)}.")
    elif voice == "young_person":
        if kind < 3:
            c.add("I'm ")
            c.identifier("name", person["first"], rare=person["rare"])
            c.add(" and I like the sensory room.")
        elif kind < 5:
            c.add("My name is ")
            _name_form(rng, person, c, True)
            c.add(" and my OT is kind.")
        elif kind < 7:
            c.add("Text me on ")
            c.identifier("phone", _phone(rng))
            c.add(" lol.")
        elif kind < 8:
            c.add("my email is ")
            c.identifier("email", _email(rng, person["first"], person["last"]))
        elif kind < 9:
            c.add("I was born ")
            c.identifier("date", _date(rng, True), birth=True)
            c.add(" so I'm old enough.")
        elif kind < 11:
            c.add("My friend ")
            _name_form(rng, person, c, True)
            c.add(f" goes to {_pick(rng, SERVICES)} too.")
        else:
            c.add("Me and ")
            c.identifier("name", person["first"], rare=person["rare"]) if not person["rare"] else c.add("my mate")
            c.add(f" did the obstacle course {_pick(rng, MONTH_PHRASES)}.")
    else:  # ot
        if kind < 3:
            c.add("Reviewed ")
            _name_form(rng, person, c, False)
            c.add(f" at school with mum; {person['pronoun']} manages the stairs now.")
        elif kind < 5:
            c.add("Seen with ")
            c.identifier("name", person["first"], rare=person["rare"]) if not person["rare"] else c.add("the family")
            c.add(f" at {_pick(rng, SERVICES)}; NHS no. ")
            c.identifier("nhs_number", _nhs(rng))
            c.add(".")
        elif kind < 7:
            c.add("Home visit to ")
            c.identifier("address", _address(rng))
            c.add(", ")
            c.identifier("postcode", _postcode(rng))
            c.add(" booked for ")
            c.identifier("date", _date(rng, False), birth=False)
            c.add(".")
        elif kind < 8:
            c.add("Mum asked us to ring ")
            c.identifier("phone", _phone(rng))
            c.add(", not the landline.")
        elif kind < 9:
            c.add("Referral from Dr ")
            c.identifier("name", person["last"])
            c.add(f" for {_pick(rng, CONDITIONS)}.")
        elif kind < 11:
            c.add("Parent: ")
            c.identifier("name", person["first"], rare=person["rare"]) if not person["rare"] else c.add("mum")
            c.add(" ")
            c.identifier("name", person["last"])
            c.add(", e-mail ")
            c.identifier("email", _email(rng, person["first"], person["last"]))
            c.add(".")
        else:
            c.add("Child ")
            c.identifier("name", person["first"], rare=person["rare"]) if not person["rare"] else c.add("X")
            c.add(" (DOB ")
            c.identifier("date", _date(rng, True), birth=True)
            c.add(f") lives in {_pick(rng, PLACES)}.")


def _negative(rng) -> str:
    kind = int(rng.integers(8))
    if kind >= 6:
        return _pick(rng, WORD_NAMES)
    if kind == 0:
        return f"{_pick(rng, SERVICES)} in {_pick(rng, PLACES)} has been good."
    if kind == 1:
        return f"{_pick(rng, CONDITIONS)} makes school hard {_pick(rng, MONTH_PHRASES)}."
    if kind == 2:
        return _pick(rng, WORD_NAMES)
    if kind == 3:
        return _pick(rng, NUMBERS)
    if kind == 4:
        months = _pick(rng, MONTH_PHRASES)  # drawn first, as before the line was rewrapped
        waited_for = _pick(rng, ["Occupational Therapy", "a wheelchair", "a hoist", "CAMHS"])
        return f"We waited {months} for {waited_for}."
    return f"Thanks to the team at {_pick(rng, SERVICES)}."


def comments(seed: int = SEED, count: int = COUNT) -> list[dict]:
    """``count`` labelled comments: about one in five has no identifier at all."""
    rng = np.random.default_rng(seed)
    out = []
    voices = ["parent", "young_person", "ot"]
    for i in range(count):
        voice = voices[i % 3]
        c = Comment()
        pieces = int(rng.integers(1, 4))
        for p in range(pieces):
            if p:
                c.add(_pick(rng, [" ", "  ", "\n", " "]))
            if rng.random() < 0.35:
                c.add(_negative(rng))
            else:
                _sentence(rng, voice, _person(rng), c)
        spans = list(c.spans)
        # the OT's first name after "sessions with" is a name too
        for staff in OT_STAFF:
            marker = f"sessions with {staff}."
            at = c.text.find(marker)
            while at >= 0:
                start = at + len("sessions with ")
                spans.append({"start": start, "end": start + len(staff), "kind": "name", "value": staff})
                at = c.text.find(marker, at + 1)
        spans.sort(key=lambda s: s["start"])
        for span in spans:
            assert c.text[span["start"] : span["end"]] == span["value"], span
        out.append({"id": i, "voice": voice, "text": c.text, "identifiers": spans})
    return out


def write(path: Path = OUT) -> None:
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in comments()), encoding="utf-8")


if __name__ == "__main__":
    write()
    print(f"wrote {OUT}")
