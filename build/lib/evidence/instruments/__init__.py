"""Instruments (questionnaires), each defined by data plus a vectorised scorer, registered by
name: ``get_instrument("pedsql").score(items)``."""

from __future__ import annotations

from evidence.errors import ConfigError
from evidence.instruments.base import Band, Instrument
from evidence.instruments.copm import COPM
from evidence.instruments.gas import GAS
from evidence.instruments.pedsql import PEDSQL
from evidence.instruments.prem import EXPERIENCE
from evidence.instruments.sdq import SDQ

REGISTRY: dict[str, Instrument] = {i.name: i for i in (PEDSQL, SDQ, COPM, GAS, EXPERIENCE)}


def get_instrument(name: str) -> Instrument:
    """The registered instrument called ``name`` (case-insensitive)."""
    try:
        return REGISTRY[name.strip().casefold()]
    except KeyError:
        raise ConfigError(f"unknown instrument {name!r}; registered: {', '.join(REGISTRY)}") from None


def register(instrument: Instrument) -> None:
    """Add an instrument to the registry (a name may be registered once)."""
    if instrument.name in REGISTRY:
        raise ConfigError(f"instrument {instrument.name!r} is already registered")
    REGISTRY[instrument.name] = instrument


__all__ = ["REGISTRY", "Band", "Instrument", "get_instrument", "register"]
