"""What an outcomes extract holds, as the product reads it: the three tables (episodes,
assessments, prems), the fields read from each, the coded columns with the answers the product
relies on, the date formats a definition may declare, and a checked definition
(:class:`ExtractDefinition`, :class:`TableDefinition`) that matches an export's headers to the
fields. Definitions are loaded and checked by
:func:`evidence.outcomes.definition.load_extract_definition`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from evidence.errors import Problem
from evidence.instruments import REGISTRY
from evidence.instruments.experience import EXPERIENCE, FFT_LABELS
from evidence.paths import display_path
from evidence.readers import RawTable

TABLES = ("episodes", "assessments", "prems")

#: The columns the product reads from each table (its own names for them).
FIELDS: dict[str, tuple[str, ...]] = {
    "episodes": (
        "EpisodeID",
        "ChildID",
        "NHSNumber",
        "ChildName",
        "DateOfBirth",
        "Sex",
        "Postcode",
        "IMDDecile",
        "Service",
        "PrimaryNeed",
        "Tier",
        "ReferralDate",
        "AssessmentDate",
        "DischargeDate",
        "Contacts",
        "Band5Minutes",
        "Band6Minutes",
        "Band7Minutes",
        "Band8aMinutes",
    ),
    "assessments": ("EpisodeID", "Instrument", "Timepoint", "AssessmentDate"),
    "prems": ("EpisodeID", "CompletedDate", "FFT", "Comment"),
}
#: Direct identifiers: dropped at ingest, so an extract without them loses nothing.
OPTIONAL_FIELDS = frozenset({"NHSNumber", "ChildName", "Postcode"})
#: Numbered item columns: the product's name for item n, and the number of items allowed.
ITEM_FIELDS = {"assessments": "Item{n}", "prems": "Exp{n}"}
#: Coded columns: the table each is in, and the answers the product relies on (None: any the
#: definition lists, in its order).
CODED_FIELDS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "Sex": ("episodes", None),
    "PrimaryNeed": ("episodes", None),
    "Tier": ("episodes", ("Universal", "Targeted", "Specialist")),
    "Timepoint": ("assessments", ("Baseline", "Follow-up")),
    "FFT": ("prems", tuple(FFT_LABELS.values())),
}
ORDERED_CODES = frozenset({"Tier", "Timepoint", "FFT"})

#: Date formats a definition may declare, in words, with their ``strptime`` form.
DATE_FORMATS = {
    "DD/MM/YYYY": "%d/%m/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD Mon YYYY": "%d %b %Y",
    "DD Month YYYY": "%d %B %Y",
}
#: The instruments an assessment row may be (the experience scale is the PREMs table's).
ASSESSMENT_INSTRUMENTS = tuple(name for name in REGISTRY if name != EXPERIENCE.name)


def header_key(header: str) -> str:
    """A header as it is matched: case-folded, only letters and digits ("Episode ID",
    "EPISODE_ID" and "EpisodeID" are all ``episodeid``)."""
    return re.sub(r"[\W_]+", "", str(header).casefold())


@dataclass(frozen=True)
class TableDefinition:
    """One table of an extract: its file's name (without suffix), the accepted headers of each
    field (the field's own name first), and its numbered items (``Item{n}`` for n in 1..count)."""

    name: str
    file: str
    headers: dict[str, tuple[str, ...]]
    item_headers: tuple[str, ...] = ()
    item_count: int = 0

    @property
    def item_fields(self) -> list[str]:
        return [ITEM_FIELDS[self.name].format(n=n) for n in range(1, self.item_count + 1)]

    @property
    def required(self) -> list[str]:
        return [f for f in self.headers if f not in OPTIONAL_FIELDS and not _is_item(f)]

    def accepted(self) -> dict[str, str]:
        """Matched form of every accepted header -> the field it names."""
        out = {header_key(h): f for f, headers in self.headers.items() for h in headers}
        for n, item in enumerate(self.item_fields, start=1):
            out |= {header_key(pattern.format(n=n)): item for pattern in self.item_headers}
        return out


def _is_item(name: str) -> bool:
    return bool(re.fullmatch(r"(?:Item|Exp)\d+", name))


@dataclass(frozen=True)
class ExtractDefinition:
    """A loaded, checked extract definition (see the module docstring)."""

    path: Path
    description: str
    date_formats: tuple[str, ...]
    tables: dict[str, TableDefinition]
    instruments: dict[str, str]  # normalised wording -> registered instrument name
    instrument_order: tuple[str, ...]
    codes: dict[str, dict[str, str]]  # field -> normalised wording -> answer
    categories: dict[str, tuple[str, ...]]  # field -> answers in order
    synthetic_marker: tuple[str, str] = ("DataLabel", "SYNTHETIC")
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The name the outputs carry: the definition file's name without ``.yml``."""
        return self.path.stem

    def where(self, key: str) -> str:
        """``path, line N`` of a dotted key (for messages that point into the definition)."""
        line = self.lines.get(key)
        return f"{display_path(self.path)}{f', line {line}' if line else ''}"

    def _where_field(self, table: str, target: str) -> str:
        key = f"tables.{table}.items" if _is_item(target) else f"tables.{table}.columns.{target}"
        return self.where(key if key in self.lines else f"tables.{table}")

    def match_headers(self, table: str, raw: RawTable) -> tuple[RawTable, dict[str, str], list[Problem]]:
        """``raw`` with its columns renamed to the product's fields; the header each field was
        found under (field -> header, for messages); and the problems: a required field no
        header names (with the likeliest renamed header), or two headers naming one field.
        Columns that name no field keep their header."""
        spec = self.tables[table]
        accepted = spec.accepted()
        found: dict[str, list[tuple[int, str]]] = {}
        for number, header in enumerate(raw.data.columns, start=1):
            target = accepted.get(header_key(header))
            if target is not None:
                found.setdefault(target, []).append((number, header))
        problems = []
        for target, places in found.items():
            if len(places) > 1:
                names = " and ".join(f"{h!r} (column {n})" for n, h in places)
                problems.append(
                    Problem(
                        raw.name, 1, places[1][1], None, f"the headers {names} both name {target}; remove or rename one"
                    )
                )
        unmatched = [h for h in raw.data.columns if header_key(h) not in accepted]
        for target in [*spec.required, *spec.item_fields]:
            if target not in found:
                problems.append(
                    Problem(
                        raw.name,
                        1,
                        target,
                        None,
                        "required column is missing from the header"
                        + _renamed_hint(target, unmatched, self._where_field(table, target)),
                    )
                )
        renames = {places[0][1]: target for target, places in found.items()}
        renamed = RawTable(raw.path, raw.data.rename(columns=renames), raw.row_numbers, raw.encoding, raw.column_labels)
        return renamed, {target: places[0][1] for target, places in found.items()}, problems


def _renamed_hint(target: str, unmatched: list[str], where: str) -> str:
    """The hint " (is 'X' the same column renamed? ...)" naming the likeliest unmatched header, or advice."""
    key = header_key(target)
    near = [
        h for h in unmatched if key in header_key(h) or header_key(h) in key and len(header_key(h)) > 3
    ] or difflib.get_close_matches(target, unmatched, n=1, cutoff=0.6)
    if not near:
        return f"; if the extract names it otherwise, add that header to its aliases in {where}"
    return f" (is {near[0]!r} the same column renamed? then add {near[0]!r} to the aliases of {target} in {where})"


def normalised_wording(word) -> str:
    """A code-list wording as it is matched: trimmed, inner spaces collapsed, case-folded."""
    return re.sub(r"\s+", " ", str(word).strip()).casefold()
