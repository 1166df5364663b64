"""Instruments (questionnaires), each defined by data plus a vectorised scorer in its own module
of this package, registered by name: ``get_instrument("pedsql").score(items)``.

Adding an instrument is adding one module here that ends ``NAME = register(Instrument(...))``
(see CONTRIBUTING.md): importing this package imports every module in it, so the registry,
the words an outcomes extract may name the instrument with (:func:`instrument_labels`) and the
number of item columns an extract carries (:func:`max_items`) follow from the module. Its
scales' defaults (reliability, minimal important change, cut-off; :mod:`evidence.scale_defaults`)
go in ``config/outcomes/measures.yml``.
"""

from __future__ import annotations

import importlib
import pkgutil

import pandas as pd

from evidence.errors import ConfigError
from evidence.instruments.base import REGISTRY, Band, Instrument, register

#: Modules of this package that are not instruments.
NOT_INSTRUMENTS = frozenset({"base"})

for _module in pkgutil.iter_modules(__path__):  # sorted by name, so the registry order is stable
    if _module.name not in NOT_INSTRUMENTS:
        importlib.import_module(f"{__name__}.{_module.name}")


def get_instrument(name: str) -> Instrument:
    """The registered instrument called ``name`` (case-insensitive)."""
    try:
        return REGISTRY[name.strip().casefold()]
    except KeyError:
        raise ConfigError(f"unknown instrument {name!r}; registered: {', '.join(REGISTRY)}") from None


def instruments_in(table: str) -> list[Instrument]:
    """The registered instruments whose items an outcomes extract's ``table`` holds
    (``"assessments"`` or ``"prems"``), in registry order."""
    return [instrument for instrument in REGISTRY.values() if instrument.table == table]


def max_items(table: str = "assessments") -> int:
    """The most items of any instrument held in ``table``: how many item columns
    (``Item1``..) the table of an outcomes extract carries."""
    return max(instrument.n_items for instrument in instruments_in(table))


def instrument_labels() -> pd.DataFrame:
    """Rows of the answer-label table (scale, label, code, canonical) for the ``instrument``
    scale: each assessments instrument's name and its ``labels``, case-folded, coded by its
    place in the registry (1, 2, ...)."""
    rows = [
        (label, code, instrument.name)
        for code, instrument in enumerate(instruments_in("assessments"), start=1)
        for label in dict.fromkeys(" ".join(word.split()).casefold() for word in (instrument.name, *instrument.labels))
    ]
    return pd.DataFrame(rows, columns=["label", "code", "canonical"]).assign(scale="instrument")[
        ["scale", "label", "code", "canonical"]
    ]


__all__ = [
    "REGISTRY",
    "Band",
    "Instrument",
    "get_instrument",
    "instrument_labels",
    "instruments_in",
    "max_items",
    "register",
]
