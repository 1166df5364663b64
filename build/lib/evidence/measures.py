"""Outcome-measure defaults (``config/outcomes/measures.yml``): reliability, minimal important
change and clinical cut-off for each instrument scale, each with a source or flagged
illustrative, checked on load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from evidence.errors import ConfigError
from evidence.paths import resolve

MEASURES_FILE = Path("config/outcomes/measures.yml")
FIELDS = ("reliability", "mic", "clinical_cutoff")


@dataclass(frozen=True)
class Sourced:
    """A value and where it comes from (``illustrative`` when no source is held)."""

    value: float | None
    source: str
    illustrative: bool

    def describe(self) -> str:
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
        illustrative = bool(item.get("illustrative", False))
        source = item.get("source") or item.get("note") or ""
        if not illustrative and not item.get("source"):
            raise ConfigError(f"{path}: {key}.{name} needs a source, or illustrative: true")
        value = item["value"]
        if value is not None and not isinstance(value, int | float):
            raise ConfigError(f"{path}: {key}.{name} value must be a number or null, got {value!r}")
        values[name] = Sourced(None if value is None else float(value), source, illustrative)
    if not 0 <= (values["reliability"].value or 0) < 1:
        raise ConfigError(f"{path}: {key}.reliability must be in [0, 1)")
    if not isinstance(entry.get("higher_is_better"), bool):
        raise ConfigError(f"{path}: {key}.higher_is_better must be true or false")
    return MeasureDefaults(instrument, scale, entry["higher_is_better"], **values)
