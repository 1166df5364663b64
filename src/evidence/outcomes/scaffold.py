"""Scaffold an extract definition from an extract: ``evidence init extract FOLDER --out FILE``.

The draft starts from the shipped definition (``config/extracts/outcomes.yml``: its fields,
aliases, code lists and instruments) and fits it to the extract found in ``FOLDER``:

* each table's file (by name: ``episodes``/``assessments``/``prems``, or a file whose name
  holds "episode", "assess" or "prem"/"experience");
* each field's header: one the shipped definition already accepts, else the closest header
  by name (marked to confirm); a field with no header is marked too;
* a guessed type for every column (date, whole number, number, coded with its distinct
  answers, free text), identifier-looking columns (by header: name, NHS number, e-mail, date of
  birth, postcode, phone) named as dropped or pseudonymised;
* the date format(s) that read every date found;
* words found in coded columns and in the Instrument column that no code list holds, placed
  under the answer they most likely mean where the shipped lists say so, otherwise listed;
* the numbered item columns' header pattern and count.

Every guess carries a ``# CONFIRM`` comment; the draft loads as a definition as it is, but the
user checks each mark against the extract before ingesting with it.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pandas as pd
import yaml

from evidence import privacy
from evidence.errors import ConfigError, InputFileError
from evidence.files import text_writer, write_all_atomic
from evidence.instruments import get_instrument
from evidence.outcomes.definition import DEFAULT_DEFINITION, load_extract_definition
from evidence.outcomes.extract_layout import (
    ASSESSMENT_INSTRUMENTS,
    CODED_FIELDS,
    DATE_FORMATS,
    FIELDS,
    ITEM_FIELDS,
    OPTIONAL_FIELDS,
    TABLES,
    header_key,
    normalised_wording,
)
from evidence.paths import display_path, resolve
from evidence.readers import SUPPORTED_SUFFIXES, RawTable, read_raw

CONFIRM = "CONFIRM"
#: Words in a file's name that say which table it is, when it is not named after the table.
FILE_WORDS = {
    "episodes": ("episode", "referral"),
    "assessments": ("assess", "questionnaire", "prom"),
    "prems": ("prem", "experience", "feedback"),
}
DATE_FIELDS = frozenset({"DateOfBirth", "ReferralDate", "AssessmentDate", "DischargeDate", "CompletedDate"})
ID_FIELDS = frozenset({"EpisodeID", "ChildID"})


def _q(value: object) -> str:
    """A scalar as YAML (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _list(values) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def find_extract_files(folder: str | Path) -> dict[str, Path]:
    """Which file of ``folder`` holds each table: named after it, or the one file whose name
    holds one of its :data:`FILE_WORDS`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(
            f"{folder}: an outcomes extract is a folder holding the episodes, assessments "
            f"and prems tables (each {'/'.join(SUPPORTED_SUFFIXES)})"
        )
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES and p.is_file())
    found = {}
    for table in TABLES:
        exact = [p for p in files if p.stem.casefold() == table]
        named = exact or [p for p in files if any(w in p.stem.casefold() for w in FILE_WORDS[table])]
        if len(named) != 1:
            listed = ", ".join(p.name for p in files) or "no .csv, .xlsx or .sav files"
            raise InputFileError(
                f"{folder}: cannot tell which file holds the {table} table "
                f"({len(named)} candidates; files: {listed}); name it {table}.csv "
                f"(or .xlsx/.sav) and run again"
            )
        found[table] = named[0]
    if len(set(found.values())) != len(TABLES):
        raise InputFileError(
            f"{folder}: one file was taken for two tables ({found}); name the files "
            "episodes, assessments and prems and run again"
        )
    return found


def guess_type(values: pd.Series, path: Path = Path("x.csv")) -> tuple[str, list[str]]:
    """A column's likely type from its cells (of the file ``path``, whose suffix says whether it
    has date cells): ("date", formats that read every value typed as text), ("whole number",
    []), ("number", []), ("coded", distinct answers) for at most 12 distinct answers,
    ("text", []), or ("empty", [])."""
    text = values.dropna().astype("string").str.strip()
    text = text[text != ""]
    if text.empty:
        return "empty", []
    typed = _typed_as_text(text, path)
    formats = date_formats_reading(typed) if len(typed) else ["date cells"]
    if formats:
        return "date", formats
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        return ("whole number" if (numbers % 1 == 0).all() else "number"), []
    distinct = list(dict.fromkeys(text))
    if len(distinct) <= 12:
        return "coded", distinct
    return "text", []


def date_formats_reading(text: pd.Series) -> list[str]:
    """The declarable date formats that read every one of ``text``."""
    return [
        words for words, fmt in DATE_FORMATS.items() if pd.to_datetime(text, format=fmt, errors="coerce").notna().all()
    ]


def _typed_as_text(values: pd.Series, path: Path) -> pd.Series:
    """The non-blank cells of ``values`` that are text: in a workbook or SPSS file, a date cell
    reaches the text table as ``YYYY-MM-DD[ HH:MM:SS]`` and is read as a date whatever the
    definition declares, so only the other cells say how dates are written."""
    text = values.dropna().astype("string").str.strip()
    text = text[text != ""]
    if path.suffix.lower() in (".xlsx", ".sav"):
        text = text[~text.str.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?")]
    return text


def scaffold_extract(folder: str | Path, out: str | Path) -> Path:
    """Write a draft extract definition for the extract in ``folder`` to ``out`` (refused if
    it exists); return its path. See the module docstring."""
    out = resolve(out) if not Path(out).is_absolute() else Path(out)
    if out.exists():
        raise ConfigError(f"{display_path(out)}: already exists; choose another --out, or delete it first")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", out.stem) or out.suffix != ".yml":
        raise ConfigError(
            f"{out.name}: a definition's name names its outputs: lower-case letters, digits and "
            "underscores, ending .yml (e.g. config/extracts/my_service.yml)"
        )
    shipped = load_extract_definition(DEFAULT_DEFINITION)
    files = find_extract_files(folder)
    raw = {table: read_raw(path) for table, path in files.items()}
    found = {table: _headers(table, raw[table], shipped) for table in TABLES}
    columns = {
        table: {target: raw[table].data[header] for target, header in found[table][0].items()} for table in TABLES
    }
    lines = [
        f"# Draft extract definition made by `evidence init extract {display_path(Path(folder))}`.",
        f"# Every line marked {CONFIRM} is a guess: check it against the extract, correct it, and delete",
        "# the mark. The format is in config/extracts/README.md.",
        f"description: {_q(f'Outcomes extract ({out.stem})')}  # {CONFIRM}: say what this extract holds",
    ]
    lines += _dates(columns, files)
    marker = shipped.synthetic_marker
    if marker[0] in raw["episodes"].data:
        lines.append(
            f"synthetic_marker: {{column: {_q(marker[0])}, value: {_q(marker[1])}}}  # found: this "
            "extract is marked synthetic sample data"
        )
    lines.append("tables:")
    for table in TABLES:
        lines += _table(table, files[table], raw[table], shipped, found[table])
    lines += _instruments(columns["assessments"].get("Instrument"), shipped)
    lines += _codes(columns, shipped)
    text = "\n".join(lines) + "\n"
    yaml.safe_load(text)  # the draft must be YAML (a bug otherwise)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_all_atomic({out: text_writer(text)})
    load_extract_definition(out)  # and a definition that loads as it is
    return out


def _dates(columns: dict[str, dict[str, pd.Series]], files: dict[str, Path]) -> list[str]:
    found = [
        _typed_as_text(values, files[table])
        for table in TABLES
        for target, values in columns[table].items()
        if target in DATE_FIELDS
    ]
    text = pd.concat(found) if found else pd.Series([], dtype="string")
    if text.empty:
        return [
            f"dates: {_list(['DD/MM/YYYY'])}  # {CONFIRM}: no dates typed as text were found "
            "(date cells are read as dates); the UK default"
        ]
    formats = date_formats_reading(text)
    if formats:
        return [f"dates: {_list(formats[:1])}  # {CONFIRM}: every date found reads as {' or '.join(formats)}"]
    by_format = {
        words: int(pd.to_datetime(text, format=fmt, errors="coerce").notna().sum())
        for words, fmt in DATE_FORMATS.items()
    }
    best = max(by_format, key=by_format.__getitem__)
    return [
        f"dates: {_list([best])}  # {CONFIRM}: no one format reads every date; {best} reads "
        f"{by_format[best]:,} of {len(text):,}; declare each format the extract uses"
    ]


def _headers(table: str, raw: RawTable, shipped) -> tuple[dict[str, str], set[str], list[str], tuple | None]:
    """Field -> header: headers the shipped definition accepts, else the closest unused header
    by name (a guess); the fields guessed; the headers left unused; the item pattern found."""
    accepted = shipped.tables[table].accepted()
    mapping: dict[str, str] = {}
    for header in raw.data.columns:
        target = accepted.get(header_key(header))
        if target is not None:
            mapping.setdefault(target, header)
    items = _item_pattern(raw) if table in ITEM_FIELDS else None
    taken = set(mapping.values()) | (set(items[2]) if items else set())
    free = [h for h in raw.data.columns if h not in taken]
    guessed = set()
    for target in FIELDS[table]:
        if target in mapping:
            continue
        keys = {header_key(h): h for h in free}
        wanted = header_key(target)
        close = [k for k in keys if wanted in k or (len(k) > 3 and k in wanted)] or difflib.get_close_matches(
            wanted, list(keys), n=1, cutoff=0.6
        )
        if close:
            mapping[target] = keys[close[0]]
            guessed.add(target)
            free.remove(keys[close[0]])
    return mapping, guessed, free, items


def _describe(values: pd.Series, header: str, path: Path) -> str:
    kind = privacy.identifier_column_kind(header)
    guessed, detail = guess_type(values, path)
    if guessed == "date":
        shown = f"date ({' or '.join(detail)})"
    elif guessed == "coded":
        shown = f"coded: {len(detail)} answer(s) found: {', '.join(detail[:6])}{', ...' if len(detail) > 6 else ''}"
    else:
        shown = guessed
    return shown + (f"; looks like an identifier ({kind.replace('_', ' ')})" if kind else "")


def _table(table: str, path: Path, raw: RawTable, shipped, found) -> list[str]:
    spec = shipped.tables[table]
    mapping, guessed, free, items = found
    lines = [f"  {table}:", f"    file: {_q(path.stem)}  # {path.name}", "    columns:"]
    for target in FIELDS[table]:
        aliases = list(spec.headers[target][1:])
        header = mapping.get(target)
        if header is not None and header_key(header) not in {header_key(a) for a in spec.headers[target]}:
            aliases.append(header)
        if header is None:
            note = (
                "not in this extract (an identifier, dropped anyway)"
                if target in OPTIONAL_FIELDS
                else f"{CONFIRM}: no header found for this column; add the extract's header to aliases, or the "
                "ingest will refuse the extract"
            )
        else:
            role = (
                " (identifier: dropped at ingest)"
                if target in (*OPTIONAL_FIELDS, "DateOfBirth")
                else " (identifier: pseudonymised)"
                if target in ID_FIELDS
                else ""
            )
            note = (
                f"{CONFIRM}: guessed from the header " if target in guessed else ""
            ) + f"{header!r}: {_describe(raw.data[header], header, path)}{role}"
            if target in DATE_FIELDS and guess_type(raw.data[header], path)[0] not in ("date", "empty"):
                note += f"; {CONFIRM}: not every value reads as a date"
        lines.append(f"      {target}: {{aliases: {_list(aliases)}}}  # {note}")
    if table in ITEM_FIELDS:
        lines += _items_lines(table, items, shipped)
    for header in free:
        lines.append(
            f"    # not used: {header!r}: {_describe(raw.data[header], header, path)}"
            + ("; dropped, never carried" if privacy.identifier_column_kind(header) else "")
        )
    return lines


def _item_pattern(raw: RawTable) -> tuple[str, int, list[str]] | None:
    """The commonest "<prefix><n>" header pattern among the columns: (pattern, highest n, headers)."""
    found: dict[str, list[tuple[int, str]]] = {}
    for header in raw.data.columns:
        match = re.fullmatch(r"(.*?\D)(\d+)", str(header))
        if match:
            found.setdefault(match.group(1), []).append((int(match.group(2)), header))
    if not found:
        return None
    prefix, numbered = max(found.items(), key=lambda item: len(item[1]))
    if len(numbered) < 3:
        return None
    return f"{prefix}{{n}}", max(n for n, _ in numbered), [h for _, h in numbered]


def _items_lines(table: str, items, shipped) -> list[str]:
    spec = shipped.tables[table]
    default = ITEM_FIELDS[table]
    if items is None:
        return [
            f"    items: {{header: {_q(default)}, count: {spec.item_count}}}  # {CONFIRM}: no numbered item "
            "columns found; give their header pattern"
        ]
    pattern, highest, _ = items
    most = max(get_instrument(name).n_items for name in shipped.instrument_order)
    needed = spec.item_count if table == "prems" else max(highest, most)
    aliases = [] if header_key(pattern.format(n=1)) == header_key(default.format(n=1)) else [pattern]
    return [
        f"    items: {{header: {_q(default)}, aliases: {_list(aliases)}, count: {needed}}}  # {CONFIRM}: "
        f"{highest} numbered columns {pattern!r} found"
    ]


def _instruments(values: pd.Series | None, shipped) -> list[str]:
    found = values.dropna().astype("string").str.strip() if values is not None else pd.Series([], dtype="string")
    counts = found[found != ""].value_counts()
    words = {
        name: [w for w, n in shipped.instruments.items() if n == name and w != name]
        for name in shipped.instrument_order
    }
    shown: dict[str, list[str]] = {name: [] for name in ASSESSMENT_INSTRUMENTS}
    for name in shipped.instrument_order:
        shown[name] = [w for w in counts.index if shipped.instruments.get(normalised_wording(w)) == name]
    unknown = []
    for word in counts.index:
        if normalised_wording(word) in shipped.instruments:
            continue
        guess = next((n for n in ASSESSMENT_INSTRUMENTS if n in header_key(word)), None)
        (shown[guess].append(word) if guess else unknown.append(word))
    lines = ["instruments:  # which instrument each assessment row is: the words the Instrument column uses"]
    # the shipped definition's order first (it fixes the processed instrument column's categories)
    for name in [*shipped.instrument_order, *(n for n in ASSESSMENT_INSTRUMENTS if n not in shipped.instrument_order)]:
        listed = list(dict.fromkeys([*(w for w in words.get(name, [])), *shown[name]]))
        if name not in shipped.instrument_order and not shown[name]:
            continue
        rows = int(sum(counts.get(w, 0) for w in shown[name]))
        guessed = [w for w in shown[name] if normalised_wording(w) not in shipped.instruments]
        note = (
            f"  # {CONFIRM}: {', '.join(map(repr, guessed))} taken to be {name}"
            if guessed
            else f"  # {rows:,} rows"
            if rows
            else "  # not found in this extract"
        )
        lines.append(f"  {name}: {_list(listed)}{note}")
    for word in unknown:
        lines.append(
            f"  # {CONFIRM}: {word!r} ({int(counts[word]):,} rows) is no registered instrument "
            f"({', '.join(ASSESSMENT_INSTRUMENTS)}): add it to the one it is, or remove those rows"
        )
    return lines


def _codes(columns: dict[str, dict[str, pd.Series]], shipped) -> list[str]:
    lines = ["codes:  # each answer, and the words (or codes) the extract writes it with"]
    for target, (table, fixed) in CODED_FIELDS.items():
        values = columns[table].get(target, pd.Series([], dtype="string"))
        text = values.dropna().astype("string").str.strip()
        counts = text[text != ""].value_counts()
        known = shipped.codes[target]
        unknown = [w for w in counts.index if normalised_wording(w) not in known]
        lines.append(f"  {target}:")
        for answer in shipped.categories[target]:
            words = [w for w, a in known.items() if a == answer and w != normalised_wording(answer)]
            lines.append(f"    {_q(answer)}: {_list(words)}")
        for word in unknown:
            if fixed is None:
                lines.append(
                    f"    {_q(word)}: []  # {CONFIRM}: found {int(counts[word]):,} times and in no code "
                    "list: a new answer, or a word for one above"
                )
            else:
                lines.append(
                    f"    # {CONFIRM}: {word!r} found {int(counts[word]):,} times and in no code list: "
                    f"add it under the answer it means ({', '.join(fixed)}), or the ingest refuses it"
                )
    return lines
