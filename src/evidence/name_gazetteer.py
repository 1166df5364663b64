"""The gazetteer of person names that free-text redaction looks words up in, and how it is made.

Sources (both installable from a package registry, both free to redistribute; the files made
from them are committed under ``evidence/data/`` so that nothing is downloaded or needed at
run time):

* **Names**: the person-name lists of Faker (PyPI ``faker``, MIT licence, copyright Daniele
  Faraglia and contributors) for the locales below. Its ``en_GB`` first names come from the
  Office for National Statistics' baby-name reference tables (Open Government Licence; the
  provider cites the National Archives copy); the other locales stand for the larger groups
  of UK residents born abroad or of other heritage in the 2021 Census (ONS, "International
  migration, England and Wales: Census 2021", 2 November 2022: India, Poland, Pakistan,
  Romania, Ireland, Germany, Bangladesh, Italy, South Africa and Nigeria lead the countries of
  birth), plus Welsh/Irish, Ghanaian, East African, Turkish, French, Spanish, Portuguese,
  Lithuanian and romanised Chinese names. Names in other scripts are left out (redaction works
  on Latin-script text).
* **US Census 1990 names** shipped in PyPI ``names`` (MIT package; the Census Bureau's lists
  are public domain): first names, and surnames of frequency at least 0.001%; many British
  surnames and those of families of Polish, Irish or South Asian origin are there.
* **Recent and Welsh, Scottish and Irish first names** the sources above lack (children born
  since 2015: "Isla", "Alfie", "Poppy"; "Cerys", "Dafydd", "Eilidh"), listed in
  ``data/name_rules.yml`` by the project from the ONS's "Baby names in England and Wales:
  2023" top-100 tables (Open Government Licence v3.0) and common Welsh, Scottish and Irish
  given names.
* **Ordinary English words**: Debian's ``wbritish-small`` word list (SCOWL, copyright Kevin
  Atkinson, permission to use, copy and distribute with the notice kept; see
  ``data/english_words.NOTICE``). A name that is also an ordinary word ("Hope", "Mark",
  "Green") is flagged ``common_word``, and the detector then asks for more context before it
  removes it; words after a name are tested against the same list.

Rebuild (needs ``pip install faker names`` and ``apt-get install wbritish-small``)::

    python -m evidence.name_gazetteer

Rejected as sources: PyPI ``names-dataset`` (its lists were extracted from the 2021 leak of
533 million Facebook accounts: personal data obtained unlawfully, unfit for an NHS project);
``gender-guesser`` (its data file is under the GNU FDL, which the project's MIT licence cannot
carry).
"""

from __future__ import annotations

import csv
import gzip
import importlib
import io
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

#: Faker locales whose person names are taken (see the module docstring for why these).
LOCALES = (
    "en_GB",
    "en_IE",
    "ga_IE",
    "en_US",
    "en_IN",
    "en_PK",
    "pl_PL",
    "ro_RO",
    "it_IT",
    "de_DE",
    "pt_PT",
    "lt_LT",
    "yo_NG",
    "ig_NG",
    "ha_NG",
    "en_NG",
    "tw_GH",
    "sw",
    "tr_TR",
    "fr_FR",
    "es_ES",
    "zh_CN",
)
CENSUS_MIN_SURNAME_PERCENT = 0.001
UK_SOURCES = {"faker:en_GB", "faker:en_IE", "ons_baby_names_2023", "welsh_scottish_irish"}
WORD_LIST = Path("/usr/share/dict/british-english-small")
GAZETTEER_FILE = "name_gazetteer.csv"
WORDS_FILE = "english_words.txt.gz"
RULES_FILE = "name_rules.yml"
#: A name: Latin letters, with inner hyphens or apostrophes ("Amelia-Rose", "O'Connor").
_LATIN_NAME = re.compile(r"[A-Z\u00C0-\u024F][A-Za-z\u00C0-\u024F'-]*[a-z\u00C0-\u024F]")


def _provider_names(locale: str) -> tuple[set[str], set[str]]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    first: set[str] = set()
    last: set[str] = set()
    for attribute in dir(provider):
        if "names" not in attribute or attribute.startswith("_"):
            continue
        values = getattr(provider, attribute)
        if not isinstance(values, (tuple, list, dict)):
            continue
        target = first if attribute.startswith("first") else last if "last" in attribute else None
        if target is not None:
            target.update(str(v) for v in values)
    return first, last


def _title(name: str) -> str:
    """Census capitals in name case: MCDONALD -> McDonald, OCONNOR stays Oconnor."""
    titled = name.capitalize()
    return (
        re.sub(r"^(Ma?c)([a-z])", lambda m: m.group(1) + m.group(2).upper(), titled)
        if len(titled) > 4 and titled.startswith("Mc")
        else titled
    )


def _census_names() -> tuple[set[str], set[str]]:
    """US Census 1990 name lists shipped in PyPI ``names`` (public domain; first names all,
    surnames of frequency at least 0.001%, about 18,800)."""
    folder = files("names")
    first = {
        _title(line.split()[0])
        for part in ("dist.male.first", "dist.female.first")
        for line in (folder / part).read_text().splitlines()
        if line.strip()
    }
    last = {
        _title(line.split()[0])
        for line in (folder / "dist.all.last").read_text().splitlines()
        if line.strip() and float(line.split()[1]) >= CENSUS_MIN_SURNAME_PERCENT
    }
    return first, last


def build_rows(word_list: Iterable[str], locales: Iterable[str] = LOCALES) -> list[dict[str, str | int]]:
    """Gazetteer rows (name, first, surname, common_word, sources), sorted by name."""
    words = {w.strip() for w in word_list if w.strip() and w.strip().islower()}
    roles: dict[str, set[str]] = {}  # name -> the roles it is listed in ("first", "surname")
    listed_by: dict[str, set[str]] = {}  # name -> the sources listing it
    rules = yaml.safe_load((files("evidence") / "data" / RULES_FILE).read_text(encoding="utf-8"))
    sources = [(f"faker:{locale}", *_provider_names(locale)) for locale in locales]
    sources.append(("census1990", *_census_names()))
    sources.append(("ons_baby_names_2023", set(rules["recent_uk_first_names"]), set()))
    sources.append(("welsh_scottish_irish", set(rules["welsh_scottish_irish_first_names"]), set()))
    for locale, first, last in sources:
        for role, names in (("first", first), ("surname", last)):
            for name in names:
                name = name.strip().replace("\u2019", "'")
                if not _LATIN_NAME.fullmatch(name) or len(name) < 2:
                    continue
                roles.setdefault(name, set()).add(role)
                listed_by.setdefault(name, set()).add(locale)
    return [
        {
            "name": name,
            "first": int("first" in roles[name]),
            "surname": int("surname" in roles[name]),
            "common_word": int(name.casefold() in words),
            "sources": " ".join(sorted(listed_by[name])),
        }
        for name in sorted(roles)
    ]


def build(out: Path, word_list: Path = WORD_LIST) -> None:
    """Write the gazetteer CSV and the compressed word list into ``out`` (``evidence/data``)."""
    lines = word_list.read_text(encoding="utf-8").splitlines()
    rows = build_rows(lines)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["name", "first", "surname", "common_word", "sources"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (out / GAZETTEER_FILE).write_text(buffer.getvalue(), encoding="utf-8")
    words = sorted({w.strip() for w in lines if w.strip().islower() and w.strip().isalpha()})
    (out / WORDS_FILE).write_bytes(gzip.compress(("\n".join(words) + "\n").encode(), mtime=0))


@dataclass(frozen=True)
class Gazetteer:
    """Names and word lists the name detector uses (see :mod:`evidence.name_detector`)."""

    names: tuple[str, ...]  # as written, title case
    first: frozenset[str]
    surname: frozenset[str]
    common_word: frozenset[str]  # names that are also ordinary English words
    uk_first: frozenset[str]  # first names from the UK sources (ONS, Welsh/Scottish/Irish lists)
    words: frozenset[str]  # ordinary English words, lower case
    rules: dict  # the curated lists in name_rules.yml


@cache
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, read once per process."""
    data = files("evidence") / "data"
    rows = list(csv.DictReader(io.StringIO((data / GAZETTEER_FILE).read_text(encoding="utf-8"))))
    words = gzip.decompress((data / WORDS_FILE).read_bytes()).decode().split()
    rules = yaml.safe_load((data / RULES_FILE).read_text(encoding="utf-8"))
    never = {w for w in rules["never_names"]}
    rows = [r for r in rows if r["name"] not in never]
    return Gazetteer(
        names=tuple(r["name"] for r in rows),
        first=frozenset(r["name"] for r in rows if r["first"] == "1"),
        surname=frozenset(r["name"] for r in rows if r["surname"] == "1"),
        common_word=frozenset(r["name"] for r in rows if r["common_word"] == "1"),
        uk_first=frozenset(r["name"] for r in rows if r["first"] == "1" and set(r["sources"].split()) & UK_SOURCES),
        words=frozenset(words),
        rules=rules,
    )


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data"
    build(target)
    print(f"wrote {target / GAZETTEER_FILE} and {target / WORDS_FILE}")
