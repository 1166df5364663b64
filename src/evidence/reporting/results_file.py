"""A report's results file (the tidy JSON each notebook writes with
:func:`evidence.reporting.notebook.save_results`), read strictly by JSON pointer (RFC 6901).

Every number taken from it is a :class:`Figure` that keeps the pointer it was read from and the
value found there. A missing key, or a value of the wrong kind, raises :class:`FindingError`
naming the file and the pointer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.errors import EvidenceError


class FindingError(EvidenceError):
    """A results file lacks what its extractor needs (or holds it in another shape)."""


@dataclass(frozen=True)
class Figure:
    """One value shown on the front page: ``text`` as shown, ``value`` as found at ``pointer``
    in the results file (a number, or text such as a disclosure-controlled ``"+3.8"``);
    ``count`` marks the length of the list at ``pointer``."""

    pointer: str
    value: Any
    text: str
    count: bool = False


Part = str | Figure


class Results:
    """A results file with strict, pointer-based access."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        if not isinstance(data, dict):
            raise FindingError(f"{source}: results must be a JSON object, got {type(data).__name__}")
        self.data = data
        self.source = source

    @classmethod
    def read(cls, path: Path) -> Results:
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")), path.name)
        except (OSError, ValueError) as error:
            raise FindingError(f"{path.name}: cannot read the results file ({error})") from None

    def get(self, pointer: str) -> Any:
        """The value at a JSON pointer such as ``/headline/bcr_interval/0``."""
        return resolve_pointer(self.data, pointer, self.source)

    def number(self, pointer: str) -> float:
        value = self.get(pointer)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise FindingError(f"{self.source}: {pointer} should be a finite number, got {value!r}")
        return float(value)

    def rows(self, pointer: str) -> list[dict[str, Any]]:
        value = self.get(pointer)
        if not isinstance(value, list) or not value or not all(isinstance(r, dict) for r in value):
            raise FindingError(f"{self.source}: {pointer} should be a non-empty list of records, got {value!r:.80}")
        return value

    def figure(self, pointer: str, show: Callable[[float], str]) -> Figure:
        value = self.number(pointer)
        return Figure(pointer, self.get(pointer), show(value))

    def text(self, pointer: str, show: Callable[[str], str] = str) -> Figure:
        value = self.get(pointer)
        if not isinstance(value, str) or not value.strip():
            raise FindingError(f"{self.source}: {pointer} should be text, got {value!r}")
        return Figure(pointer, value, show(value))

    def count(self, pointer: str) -> Figure:
        value = self.get(pointer)
        if not isinstance(value, list):
            raise FindingError(f"{self.source}: {pointer} should be a list, got {value!r:.80}")
        return Figure(pointer, len(value), f"{len(value):,}", count=True)


def resolve_pointer(data: Any, pointer: str, source: str = "results") -> Any:
    """The value at an RFC 6901 JSON pointer; a missing key or index is a :class:`FindingError`."""
    if pointer == "":
        return data
    if not pointer.startswith("/"):
        raise FindingError(f"{source}: {pointer!r} is not a JSON pointer")
    value = data
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            raise FindingError(f"{source}: no {pointer} in the results (missing {token!r})")
    return value


def pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
