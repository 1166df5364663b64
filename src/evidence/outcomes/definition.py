"""Extract definitions (``config/extracts/<name>.yml``): what a service's outcomes extract holds.

A definition says, for each of the three tables (episodes, assessments, prems), which file of
the extract folder holds it and which headers name each column the product reads (the field
itself and declared aliases, matched ignoring case, spaces and punctuation, in any order);
how dates written as text are read; the code lists of the coded columns (which words mean
which answer); and which instrument each assessment row is. The format is documented in
``config/extracts/README.md``. Every key is checked on load, and every mistake in the file is
reported together, each naming the file, line, key and what is allowed.

The outputs of an ingest are named after the definition's file: ``config/extracts/outcomes.yml``
(the shipped one) gives ``outcomes_<table>.parquet`` and ``outcomes.manifest.json``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from evidence.errors import ConfigError, Problem
from evidence.instruments import REGISTRY, get_instrument
from evidence.instruments.experience import EXPERIENCE, FFT_LABELS
from evidence.paths import EXTRACTS_CONFIG, display_path, resolve
from evidence.readers import RawTable

DEFAULT_DEFINITION = EXTRACTS_CONFIG / "outcomes.yml"
TABLES = ("episodes", "assessments", "prems")

#: The columns the product reads from each table (its own names for them).
FIELDS: dict[str, tuple[str, ...]] = {
    "episodes": ("EpisodeID", "ChildID", "NHSNumber", "ChildName", "DateOfBirth", "Sex", "Postcode",
                 "IMDDecile", "Service", "PrimaryNeed", "Tier", "ReferralDate", "AssessmentDate",
                 "DischargeDate", "Contacts", "Band5Minutes", "Band6Minutes", "Band7Minutes", "Band8aMinutes"),
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
TOP_KEYS = ("description", "dates", "synthetic_marker", "tables", "instruments", "codes")
MAX_ITEMS = 200
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
                problems.append(Problem(raw.name, 1, places[1][1], None,
                                        f"the headers {names} both name {target}; remove or rename one"))
        unmatched = [h for h in raw.data.columns if header_key(h) not in accepted]
        for target in [*spec.required, *spec.item_fields]:
            if target not in found:
                problems.append(Problem(raw.name, 1, target, None, "required column is missing from the header"
                                        + _renamed_hint(target, unmatched, self._where_field(table, target))))
        renames = {places[0][1]: target for target, places in found.items()}
        renamed = RawTable(raw.path, raw.data.rename(columns=renames), raw.row_numbers, raw.encoding,
                           raw.column_labels)
        return renamed, {target: places[0][1] for target, places in found.items()}, problems


def _renamed_hint(target: str, unmatched: list[str], where: str) -> str:
    """The hint " (is 'X' the same column renamed? ...)" naming the likeliest unmatched header, or advice."""
    key = header_key(target)
    near = [h for h in unmatched if key in header_key(h) or header_key(h) in key and len(header_key(h)) > 3] \
        or difflib.get_close_matches(target, unmatched, n=1, cutoff=0.6)
    if not near:
        return f"; if the extract names it otherwise, add that header to its aliases in {where}"
    return (f" (is {near[0]!r} the same column renamed? then add {near[0]!r} to the aliases of "
            f"{target} in {where})")


# --- loading -----------------------------------------------------------------------------------


def load_extract_definition(path: str | Path = DEFAULT_DEFINITION) -> ExtractDefinition:
    """Read and check an extract definition; :class:`ConfigError` lists every mistake in it,
    each with file, line, key and what is allowed. Relative paths are taken from the project
    root."""
    path = resolve(path)
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{shown}: cannot read the extract definition ({error.strerror}); "
                          f"definitions live in config/extracts/ (see config/extracts/README.md)") from None
    if not re.fullmatch(r"[a-z][a-z0-9_]*", path.stem):
        raise ConfigError(f"{shown}: a definition's file name names its outputs, so it must be lower-case "
                          "letters, digits and underscores, starting with a letter (e.g. my_service.yml)")
    try:
        data, lines = _load_with_lines(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{shown}{at}: not valid YAML ({getattr(error, 'problem', error)})") from None
    checker = _Checker(shown, lines)
    definition = checker.definition(path, data)
    if checker.errors:
        raise ConfigError(f"{shown}: {len(checker.errors)} mistake(s) in the extract definition:\n"
                          + "\n".join(f"  - {e}" for _, e in sorted(checker.errors, key=lambda e: e[0]))
                          + "\nCorrect them (the format is in config/extracts/README.md) and run again.")
    return definition


def _load_with_lines(text: str) -> tuple[object, dict[str, int]]:
    """The YAML document and the line of every key (dotted path, list items by index)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}

    def walk(node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                dotted = f"{prefix}.{key.value}" if prefix else str(key.value)
                lines[dotted] = key.start_mark.line + 1
                walk(value, dotted)
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                dotted = f"{prefix}.{index}"
                lines[dotted] = value.start_mark.line + 1
                walk(value, dotted)

    if node is not None:
        walk(node, "")
    return data, lines


class _Checker:
    """Checks a parsed definition, collecting every mistake with its line."""

    def __init__(self, shown: str, lines: dict[str, int]):
        self.shown, self.lines, self.errors = shown, lines, []

    def error(self, key: str, message: str) -> None:
        line = self.lines.get(key) or self.lines.get(key.rsplit(".", 1)[0]) if key else None
        self.errors.append((line or 0, f"line {line or '?'}, {key or 'the file'}: {message}"))

    def mapping(self, value, key: str, allowed: tuple[str, ...] | None = None) -> dict:
        if not isinstance(value, dict):
            self.error(key, f"must be a mapping of keys to values{_allowed(allowed)}, got {_shown(value)}")
            return {}
        for name in value:
            if allowed is not None and name not in allowed:
                self.error(f"{key}.{name}" if key else str(name), f"unknown key {name!r}{_allowed(allowed)}")
        return value

    def words(self, value, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str | int) and str(v).strip() for v in value):
            self.error(key, f"must be a list of words, e.g. [Episode Ref, Episode Number], got {_shown(value)}")
            return ()
        return tuple(str(v).strip() for v in value)

    def definition(self, path: Path, data) -> ExtractDefinition:
        top = self.mapping(data, "", TOP_KEYS)
        for required in ("tables", "instruments", "codes"):
            if top and required not in top:
                self.error("", f"the key {required!r} is missing (required: tables, instruments, codes)")
        description = top.get("description", f"Outcomes extract ({path.stem})")
        if not isinstance(description, str):
            self.error("description", f"must be text, got {_shown(description)}")
        dates = self.dates(top.get("dates", ["DD/MM/YYYY"]))
        marker = self.marker(top.get("synthetic_marker", {"column": "DataLabel", "value": "SYNTHETIC"}))
        instruments, order = self.instruments(top.get("instruments", {}))
        tables = self.tables(top.get("tables", {}), order)
        codes, categories = self.codes(top.get("codes", {}))
        return ExtractDefinition(path, str(description), dates, tables, instruments, order, codes, categories,
                                 marker, dict(self.lines))

    def dates(self, value) -> tuple[str, ...]:
        formats = self.words(value if isinstance(value, list) else [value] if isinstance(value, str) else value,
                             "dates")
        for index, name in enumerate(formats):
            if name not in DATE_FORMATS:
                self.error(f"dates.{index}" if isinstance(value, list) else "dates",
                           f"unknown date format {name!r}; allowed: {', '.join(DATE_FORMATS)}")
        if not formats:
            self.error("dates", f"declare at least one date format; allowed: {', '.join(DATE_FORMATS)}")
        return tuple(f for f in formats if f in DATE_FORMATS) or ("DD/MM/YYYY",)

    def marker(self, value) -> tuple[str, str]:
        marker = self.mapping(value, "synthetic_marker", ("column", "value"))
        column, mark = marker.get("column"), marker.get("value")
        if marker and not (isinstance(column, str) and column and isinstance(mark, str) and mark):
            self.error("synthetic_marker", "needs a column and a value, both text, e.g. "
                                           "{column: DataLabel, value: SYNTHETIC}")
            return "DataLabel", "SYNTHETIC"
        return (column, mark) if marker else ("DataLabel", "SYNTHETIC")

    def instruments(self, value) -> tuple[dict[str, str], tuple[str, ...]]:
        entries = self.mapping(value, "instruments")
        wordings: dict[str, str] = {}
        order = []
        for name, words in entries.items():
            key = f"instruments.{name}"
            if name not in ASSESSMENT_INSTRUMENTS:
                self.error(key, f"{name!r} is not a registered instrument; allowed: "
                                f"{', '.join(ASSESSMENT_INSTRUMENTS)}")
                continue
            order.append(name)
            for word in (name, *self.words(words, key)):
                folded = normalised_wording(word)
                if wordings.get(folded, name) != name:
                    self.error(key, f"the wording {word!r} is already listed for {wordings[folded]}")
                wordings[folded] = name
        if entries and not order:
            self.error("instruments", "list at least one registered instrument")
        return wordings, tuple(order)

    def tables(self, value, instruments: tuple[str, ...]) -> dict[str, TableDefinition]:
        entries = self.mapping(value, "tables", TABLES)
        out = {}
        for table in TABLES:
            key = f"tables.{table}"
            if entries and table not in entries:
                self.error("tables", f"the table {table!r} is missing; an extract has {', '.join(TABLES)}")
            spec = self.mapping(entries.get(table, {}) or {}, key,
                                ("file", "columns", "items") if table in ITEM_FIELDS else ("file", "columns"))
            file = spec.get("file", table)
            if not (isinstance(file, str) and re.fullmatch(r"[^/\\]+", file) and "." not in file):
                self.error(f"{key}.file", f"must be a file name without its suffix (e.g. {table}), got {_shown(file)}")
                file = table
            columns = self.mapping(spec.get("columns", {}) or {}, f"{key}.columns", FIELDS[table])
            headers = {}
            for target in FIELDS[table]:
                entry = self.mapping(columns.get(target, {}) or {}, f"{key}.columns.{target}", ("aliases",))
                headers[target] = (target, *self.words(entry.get("aliases"), f"{key}.columns.{target}.aliases"))
            item_headers, count = self.items(table, spec.get("items"), key, instruments)
            definition = TableDefinition(table, file, headers, item_headers, count)
            seen: dict[str, str] = {}
            for target, accepted in headers.items():
                for header in accepted:
                    other = seen.setdefault(header_key(header), target)
                    if other != target:
                        alias_of = other if header == target else target
                        self.error(f"{key}.columns.{alias_of}.aliases",
                                   f"the header {header!r} would name both {other} and {target}; "
                                   "a header may name one column")
            out[table] = definition
        return out

    def items(self, table: str, value, key: str, instruments: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
        if table not in ITEM_FIELDS:
            return (), 0
        default = ITEM_FIELDS[table]
        spec = self.mapping(value if value is not None else {"header": default},
                            f"{key}.items", ("header", "aliases", "count"))
        patterns = [spec.get("header", default), *self.words(spec.get("aliases"), f"{key}.items.aliases")]
        for pattern in patterns:
            if not isinstance(pattern, str) or pattern.count("{n}") != 1:
                self.error(f"{key}.items", f"an item header is a pattern holding {{n}} once (e.g. \"Item{{n}}\", "
                                           f"\"Q{{n}}\"), got {_shown(pattern)}")
        if table == "prems":
            needed = EXPERIENCE.n_items
        else:
            needed = max((get_instrument(n).n_items for n in instruments), default=1)
        count = spec.get("count", needed if table == "prems" else 30)
        if table == "prems" and count != needed:
            self.error(f"{key}.items.count", f"the experience scale has {needed} items, so count must be {needed}")
        elif not isinstance(count, int) or isinstance(count, bool) or not needed <= count <= MAX_ITEMS:
            self.error(f"{key}.items.count", f"must be a whole number from {needed} (the most items of the "
                                             f"instruments listed) to {MAX_ITEMS}, got {_shown(count)}")
            count = max(needed, 1)
        with_default = [default, *patterns] if default not in patterns else patterns
        return tuple(p for p in with_default if isinstance(p, str) and p.count("{n}") == 1), count

    def codes(self, value) -> tuple[dict[str, dict[str, str]], dict[str, tuple[str, ...]]]:
        entries = self.mapping(value, "codes", tuple(CODED_FIELDS))
        codes, categories = {}, {}
        for target, (_, fixed) in CODED_FIELDS.items():
            key = f"codes.{target}"
            if target not in entries:
                if entries:
                    self.error("codes", f"the code list of {target} is missing")
                continue
            answers = self.mapping(entries[target], key)
            if fixed is not None and set(map(str, answers)) != set(fixed):
                missing = [a for a in fixed if a not in answers]
                extra = [str(a) for a in answers if str(a) not in fixed]
                self.error(key, f"the answers of {target} are fixed: {', '.join(fixed)}"
                                + (f"; missing: {', '.join(missing)}" if missing else "")
                                + (f"; not allowed: {', '.join(extra)}" if extra else ""))
            if fixed is None and not answers:
                self.error(key, "list at least one answer")
            wordings: dict[str, str] = {}
            for answer, words in answers.items():
                for word in (answer, *self.words(words, f"{key}.{answer}")):
                    folded = normalised_wording(word)
                    if wordings.get(folded, str(answer)) != str(answer):
                        self.error(f"{key}.{answer}", f"the wording {word!r} is already listed for "
                                                      f"{wordings[folded]!r}; a wording means one answer")
                    wordings[folded] = str(answer)
            codes[target] = wordings
            categories[target] = fixed if fixed is not None else tuple(map(str, answers))
        return codes, categories


def normalised_wording(word) -> str:
    """A code-list wording as it is matched: trimmed, inner spaces collapsed, case-folded."""
    return re.sub(r"\s+", " ", str(word).strip()).casefold()


def _allowed(allowed: tuple[str, ...] | None) -> str:
    return f"; allowed: {', '.join(allowed)}" if allowed else ""


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
