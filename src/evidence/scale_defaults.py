"""The defaults of each instrument scale (``config/outcomes/measures.yml``): whether higher is
better, and the reliability, minimal important change and clinical cut-off used unless a
report's parameters say otherwise, each a :class:`~evidence.sourced.SourcedValue` with a source
or flagged illustrative, checked on load. A figure attributed to a publication whose passage
could not be read is flagged illustrative, keeps that publication as its source, and its note
says it is unconfirmed; :meth:`~evidence.sourced.SourcedValue.describe` gives the source and
the note.

The file keeps the field's name for questionnaires, "outcome measures"; in the code an outcome
measure is an instrument (:mod:`evidence.instruments`) and one of its scores a scale, and
"measure" means an effect measure (:mod:`evidence.synthesis.effects`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evidence.errors import ConfigError
from evidence.paths import OUTCOMES_CONFIG, display_path, resolve
from evidence.sourced import (
    Problems,
    SourcedValue,
    check_keys,
    is_number,
    provenance,
    read_yaml,
    text_source,
)

DEFAULTS_FILE = OUTCOMES_CONFIG / "measures.yml"
FIELDS = ("reliability", "mic", "clinical_cutoff")
ENTRY_KEYS = {"higher_is_better", *FIELDS}
#: An item: its value and a source (with an optional note), or illustrative: true with a note
#: (and, for a figure attributed to a publication that could not be confirmed, that source).
ITEM_KEYS = {"value", "source", "illustrative", "note"}


@dataclass(frozen=True)
class ScaleDefaults:
    """The defaults of one ``instrument/scale`` entry."""

    instrument: str
    scale: str
    higher_is_better: bool
    reliability: SourcedValue
    mic: SourcedValue
    clinical_cutoff: SourcedValue


def scale_defaults(instrument: str, scale: str, path: str | Path = DEFAULTS_FILE) -> ScaleDefaults:
    """Defaults for ``instrument/scale``; every value must carry a source or ``illustrative: true``.
    Every problem in the entry is listed in one ConfigError naming file, line, key and value."""
    path = resolve(path)
    config, locations = read_yaml(path)
    key = f"{instrument}/{scale}"
    if not isinstance(config, dict) or key not in config:
        known = ", ".join(config) if isinstance(config, dict) else "none"
        raise ConfigError(f"{display_path(path)}: no defaults for {key!r}; add an entry (known: {known})")
    problems = Problems(path, locations)
    entry = config[key]
    if not isinstance(entry, dict):
        problems.add((key,), entry, f"a mapping with {', '.join(sorted(ENTRY_KEYS))}")
        entry = {}
    values = {name: _item(entry.get(name), (key, name), problems) for name in FIELDS}
    if entry:
        check_keys(entry, (key,), ENTRY_KEYS, problems)
        if not isinstance(entry.get("higher_is_better"), bool):
            problems.add((key, "higher_is_better"), entry.get("higher_is_better"), "must be true or false")
    reliability = values["reliability"]
    if reliability is not None and not 0 <= (reliability.value or 0) < 1:
        problems.add((key, "reliability", "value"), reliability.value, "a reliability must lie in [0, 1)")
    problems.raise_if_any(
        f"the defaults for {key}",
        f"Fix these entries (see the comments at the top of {display_path(path)}) and run again.",
    )
    # _item gives None only after recording a problem, so past raise_if_any every value is set.
    checked = {name: value for name, value in values.items() if value is not None}
    return ScaleDefaults(instrument, scale, entry["higher_is_better"], **checked)


def _item(item: object, where: tuple[str, ...], problems: Problems) -> SourcedValue | None:
    if not isinstance(item, dict) or "value" not in item:
        problems.add(where, None, "needs a value (a number, or null for none) and a source or illustrative: true")
        return None
    before = problems.count()
    check_keys(item, where, ITEM_KEYS, problems)
    citation, illustrative, note = provenance(item, where, problems, text_source, "a citation")
    value = item["value"]
    if value is not None and not is_number(value, finite=True):
        problems.add((*where, "value"), value, "must be a number or null")
    if problems.count() > before:
        return None
    return SourcedValue(
        value=None if value is None else float(value), citation=citation or "", illustrative=illustrative, note=note
    )
