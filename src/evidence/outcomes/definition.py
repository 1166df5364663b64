"""Extract definitions (``config/extracts/<name>.yml``): what a service's outcomes extract holds.

A definition says, for each of the three tables (episodes, assessments, prems), which file of
the extract folder holds it and which headers name each column the product reads (the field
itself and declared aliases, matched ignoring case, spaces and punctuation, in any order);
how dates written as text are read; the code lists of the coded columns (which words mean
which answer); and which instrument each assessment row is. The format is documented in
``config/extracts/README.md``. Every key is checked on load, and every mistake in the file is
reported together, each naming the file, line, key and what is allowed. The fields, code lists
and the loaded definition's types are in :mod:`evidence.outcomes.extract_layout`.

The outputs of an ingest are named after the definition's file: ``config/extracts/outcomes.yml``
(the shipped one) gives ``outcomes_<table>.parquet`` and ``outcomes.manifest.json``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from evidence.errors import ConfigError
from evidence.instruments import get_instrument
from evidence.instruments.experience import EXPERIENCE
from evidence.outcomes.extract_layout import (
    ASSESSMENT_INSTRUMENTS,
    CODED_FIELDS,
    DATE_FORMATS,
    FIELDS,
    ITEM_FIELDS,
    TABLES,
    ExtractDefinition,
    TableDefinition,
    header_key,
    normalised_wording,
)
from evidence.paths import EXTRACTS_CONFIG, display_path, resolve

DEFAULT_DEFINITION = EXTRACTS_CONFIG / "outcomes.yml"
TOP_KEYS = ("description", "dates", "synthetic_marker", "tables", "instruments", "codes")
MAX_ITEMS = 200


def load_extract_definition(path: str | Path = DEFAULT_DEFINITION) -> ExtractDefinition:
    """Read and check an extract definition; :class:`ConfigError` lists every mistake in it,
    each with file, line, key and what is allowed. Relative paths are taken from the project
    root."""
    path = resolve(path)
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"{shown}: cannot read the extract definition ({error.strerror}); "
            f"definitions live in config/extracts/ (see config/extracts/README.md)"
        ) from None
    if not re.fullmatch(r"[a-z][a-z0-9_]*", path.stem):
        raise ConfigError(
            f"{shown}: a definition's file name names its outputs, so it must be lower-case "
            "letters, digits and underscores, starting with a letter (e.g. my_service.yml)"
        )
    try:
        data, lines = _load_with_lines(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{shown}{at}: not valid YAML ({getattr(error, 'problem', error)})") from None
    checker = _Checker(shown, lines)
    definition = checker.definition(path, data)
    if checker.errors:
        raise ConfigError(
            f"{shown}: {len(checker.errors)} mistake(s) in the extract definition:\n"
            + "\n".join(f"  - {e}" for _, e in sorted(checker.errors, key=lambda e: e[0]))
            + "\nCorrect them (the format is in config/extracts/README.md) and run again."
        )
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
        self.shown, self.lines = shown, lines
        self.errors: list[tuple[int, str]] = []  # (line, message); line 0 when not known

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
        return ExtractDefinition(
            path, str(description), dates, tables, instruments, order, codes, categories, marker, dict(self.lines)
        )

    def dates(self, value) -> tuple[str, ...]:
        formats = self.words(
            value if isinstance(value, list) else [value] if isinstance(value, str) else value, "dates"
        )
        for index, name in enumerate(formats):
            if name not in DATE_FORMATS:
                self.error(
                    f"dates.{index}" if isinstance(value, list) else "dates",
                    f"unknown date format {name!r}; allowed: {', '.join(DATE_FORMATS)}",
                )
        if not formats:
            self.error("dates", f"declare at least one date format; allowed: {', '.join(DATE_FORMATS)}")
        return tuple(f for f in formats if f in DATE_FORMATS) or ("DD/MM/YYYY",)

    def marker(self, value) -> tuple[str, str]:
        marker = self.mapping(value, "synthetic_marker", ("column", "value"))
        if not marker:
            return "DataLabel", "SYNTHETIC"
        column, mark = marker.get("column"), marker.get("value")
        if not (isinstance(column, str) and column and isinstance(mark, str) and mark):
            self.error(
                "synthetic_marker", "needs a column and a value, both text, e.g. {column: DataLabel, value: SYNTHETIC}"
            )
            return "DataLabel", "SYNTHETIC"
        return column, mark

    def instruments(self, value) -> tuple[dict[str, str], tuple[str, ...]]:
        entries = self.mapping(value, "instruments")
        wordings: dict[str, str] = {}
        order = []
        for name, words in entries.items():
            key = f"instruments.{name}"
            if name not in ASSESSMENT_INSTRUMENTS:
                self.error(
                    key, f"{name!r} is not a registered instrument; allowed: {', '.join(ASSESSMENT_INSTRUMENTS)}"
                )
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
            spec = self.mapping(
                entries.get(table, {}) or {},
                key,
                ("file", "columns", "items") if table in ITEM_FIELDS else ("file", "columns"),
            )
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
                        self.error(
                            f"{key}.columns.{alias_of}.aliases",
                            f"the header {header!r} would name both {other} and {target}; a header may name one column",
                        )
            out[table] = definition
        return out

    def items(self, table: str, value, key: str, instruments: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
        if table not in ITEM_FIELDS:
            return (), 0
        default = ITEM_FIELDS[table]
        spec = self.mapping(
            value if value is not None else {"header": default}, f"{key}.items", ("header", "aliases", "count")
        )
        patterns = [spec.get("header", default), *self.words(spec.get("aliases"), f"{key}.items.aliases")]
        for pattern in patterns:
            if not isinstance(pattern, str) or pattern.count("{n}") != 1:
                self.error(
                    f"{key}.items",
                    f'an item header is a pattern holding {{n}} once (e.g. "Item{{n}}", '
                    f'"Q{{n}}"), got {_shown(pattern)}',
                )
        if table == "prems":
            needed = EXPERIENCE.n_items
        else:
            needed = max((get_instrument(n).n_items for n in instruments), default=1)
        count = spec.get("count", needed if table == "prems" else 30)
        if table == "prems" and count != needed:
            self.error(f"{key}.items.count", f"the experience scale has {needed} items, so count must be {needed}")
        elif not isinstance(count, int) or isinstance(count, bool) or not needed <= count <= MAX_ITEMS:
            self.error(
                f"{key}.items.count",
                f"must be a whole number from {needed} (the most items of the "
                f"instruments listed) to {MAX_ITEMS}, got {_shown(count)}",
            )
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
                self.error(
                    key,
                    f"the answers of {target} are fixed: {', '.join(fixed)}"
                    + (f"; missing: {', '.join(missing)}" if missing else "")
                    + (f"; not allowed: {', '.join(extra)}" if extra else ""),
                )
            if fixed is None and not answers:
                self.error(key, "list at least one answer")
            wordings: dict[str, str] = {}
            for answer, words in answers.items():
                for word in (answer, *self.words(words, f"{key}.{answer}")):
                    folded = normalised_wording(word)
                    if wordings.get(folded, str(answer)) != str(answer):
                        self.error(
                            f"{key}.{answer}",
                            f"the wording {word!r} is already listed for "
                            f"{wordings[folded]!r}; a wording means one answer",
                        )
                    wordings[folded] = str(answer)
            codes[target] = wordings
            categories[target] = fixed if fixed is not None else tuple(map(str, answers))
        return codes, categories


def _allowed(allowed: tuple[str, ...] | None) -> str:
    return f"; allowed: {', '.join(allowed)}" if allowed else ""


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
