"""Outcome-measure defaults (``config/outcomes/measures.yml``): reliability, minimal important
change and clinical cut-off for each instrument scale, each with a source or flagged
illustrative, checked on load. A figure attributed to a publication whose passage could not be
read is flagged illustrative, keeps that publication as its source, and its note says it is
unconfirmed; :meth:`Sourced.describe` gives the source and the note."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from evidence.errors import ConfigError
from evidence.paths import resolve

MEASURES_FILE = Path("config/outcomes/measures.yml")
FIELDS = ("reliability", "mic", "clinical_cutoff")
#: An item: its value and a source (with an optional note), or illustrative: true with a note
#: (and, for a figure attributed to a publication that could not be confirmed, that source).
ITEM_KEYS = {"value", "source", "illustrative", "note"}


@dataclass(frozen=True)
class Sourced:
    """A value and where it comes from (``illustrative`` when no source is held)."""

    value: float | None
    source: str
    illustrative: bool

    def describe(self) -> str:
        """The source (and any note) in words; an illustrative or unconfirmed value says so."""
        return f"{self.source} (illustrative)" if self.illustrative else self.source


@dataclass(frozen=True)
class MeasureDefaults:
    instrument: str
    scale: str
    higher_is_better: bool
    reliability: Sourced
    mic: Sourced
    clinical_cutoff: Sourced


def measure_defaults(instrument: str, scale: str, path: str | Path = MEASURES_FILE) -> MeasureDefaults:
    """Defaults for ``instrument/scale``; every value must carry a source or ``illustrative: true``."""
    path = resolve(path)
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read measure defaults ({error})") from None
    key = f"{instrument}/{scale}"
    if key not in config:
        raise ConfigError(f"{path}: no defaults for {key!r}; add an entry (known: {', '.join(config)})")
    entry = config[key]
    values = {}
    for name in FIELDS:
        item = entry.get(name)
        if not isinstance(item, dict) or "value" not in item:
            raise ConfigError(f"{path}: {key}.{name} needs a value")
        unknown = set(item) - ITEM_KEYS
        if unknown:
            raise ConfigError(f"{path}: {key}.{name}: unknown key(s) {', '.join(sorted(unknown))}; allowed: "
                              f"{', '.join(sorted(ITEM_KEYS))}")
        illustrative = item.get("illustrative", False)
        if not isinstance(illustrative, bool):
            raise ConfigError(f"{path}: {key}.{name}.illustrative must be true or false, got {illustrative!r}")
        if not illustrative and not item.get("source"):
            raise ConfigError(f"{path}: {key}.{name} needs a source, or illustrative: true")
        if illustrative and not item.get("note"):
            raise ConfigError(f"{path}: {key}.{name} is illustrative: add a note saying why (no source, or a "
                              "source whose figure could not be confirmed) and what should replace it")
        source = "; ".join(str(item[k]) for k in ("source", "note") if item.get(k))
        value = item["value"]
        if value is not None and not isinstance(value, int | float):
            raise ConfigError(f"{path}: {key}.{name} value must be a number or null, got {value!r}")
        values[name] = Sourced(None if value is None else float(value), source, illustrative)
    if not 0 <= (values["reliability"].value or 0) < 1:
        raise ConfigError(f"{path}: {key}.reliability must be in [0, 1)")
    if not isinstance(entry.get("higher_is_better"), bool):
        raise ConfigError(f"{path}: {key}.higher_is_better must be true or false")
    return MeasureDefaults(instrument, scale, entry["higher_is_better"], **values)
