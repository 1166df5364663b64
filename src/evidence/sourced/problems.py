"""Reading YAML configuration files and collecting what is wrong in them, with the line of each
key, so that every problem in a file is reported at once, each naming the file, the line, the
key, the value and what is allowed (:class:`ConfigProblem`), in one
:class:`~evidence.errors.ConfigError`.

A place in a document is a key path: the tuple of mapping keys (and list positions, as text)
from the top, e.g. ``("parameters", "costs.training_per_child", "value")``; it is shown joined
by dots. A configuration that extends another is read as one document whose keys remember the
file each came from (:func:`merge_locations`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeGuard

import yaml

from evidence.errors import ConfigError, Problem, bulleted
from evidence.paths import display_path

KeyPath = tuple[str, ...]
#: The file and 1-based line of each key path in a document.
Locations = dict[KeyPath, tuple[str, int]]
#: How many problems a message lists before saying how many more there are.
LISTED = 40


@dataclass(frozen=True)
class ConfigProblem(Problem):
    """One broken rule at one key of a configuration file: ``row`` is the key's 1-based line
    (None for the file as a whole), ``column`` the key path joined by dots (None: the whole
    document), ``value`` the offending value (None: not shown) and ``rule`` what is allowed;
    shown as ``file, line 12, key 'a.b': value 3: rule``."""

    row_name: ClassVar[str] = "line"
    column_name: ClassVar[str] = "key"


def read_yaml(path: Path) -> tuple[Any, Locations]:
    """The YAML document in ``path`` and the file and line of every key path in it (list
    items by position). A missing or unreadable file or bad YAML is a ConfigError naming it."""
    where = display_path(path)
    if not Path(path).is_file():
        raise ConfigError(f"{where}: no such file")
    try:
        text = Path(path).read_text(encoding="utf-8")
        document = yaml.safe_load(text)
        root = yaml.compose(text)
    except OSError as error:
        raise ConfigError(f"{where}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{where}: not valid YAML ({error})") from None
    locations: Locations = {}

    def walk(node: yaml.Node, at: KeyPath) -> None:
        if isinstance(node, yaml.MappingNode):
            children = [(str(key.value), key, value) for key, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(str(number), item, item) for number, item in enumerate(node.value)]
        else:
            return
        for name, marked, child in children:
            locations[(*at, name)] = (where, marked.start_mark.line + 1)
            walk(child, (*at, name))

    if root is not None:
        walk(root, ())
    return document, locations


def merge_locations(parent: Locations, child: Locations, replaced: Iterable[KeyPath]) -> Locations:
    """The locations of a document that extends ``parent``: the child's keys, and the parent's
    except those under a ``replaced`` key path (entries the child gives whole)."""
    gone = tuple(replaced)
    kept = {at: place for at, place in parent.items() if not any(at[: len(g)] == g for g in gone)}
    return {**kept, **child}


class Problems:
    """Collects the problems of one configuration (``path``), each placed by its key path."""

    def __init__(self, path: Path, locations: Locations) -> None:
        self.path, self.locations = path, locations
        self.found: list[ConfigProblem] = []

    def add(self, where: KeyPath, value: object, rule: str) -> None:
        """Record that the value at ``where`` breaks ``rule``; it is placed at the line of the
        deepest key of ``where`` that the file has (a missing key: its parent's line)."""
        place = next(
            (self.locations[where[:n]] for n in range(len(where), 0, -1) if where[:n] in self.locations),
            (display_path(self.path), None),
        )
        self.found.append(ConfigProblem(place[0], place[1], ".".join(where) or None, value, rule))

    def count(self) -> int:
        return len(self.found)

    def raise_if_any(self, what: str, advice: str) -> None:
        raise_if_any(self.found, what, advice)


def raise_if_any(found: Sequence[ConfigProblem], what: str, advice: str) -> None:
    """A ConfigError listing every problem in ``found`` (in ``what``, e.g. "the assumption set
    config/roi/x.yml") and ``advice`` on what to do; nothing when there are none."""
    if found:
        raise ConfigError(f"{len(found)} problem(s) in {what}:\n{bulleted(list(found), LISTED)}\n{advice}")


def is_number(value: object, finite: bool = False) -> TypeGuard[int | float]:
    """Whether ``value`` is an int or float read from YAML (not a boolean, not text that looks
    like a number); with ``finite``, not infinite or NaN either."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return math.isfinite(value) if finite else True


def check_keys(
    entry: dict, where: KeyPath, allowed: Iterable[str], problems: Problems, required: Iterable[str] = ()
) -> bool:
    """Record each key of ``entry`` not ``allowed`` and each ``required`` one missing; True when
    no required key is missing."""
    allowed = set(allowed)
    for key in sorted(set(entry) - allowed, key=str):
        value = entry[key] if not isinstance(entry[key], dict | list) else None
        problems.add((*where, str(key)), value, f"unknown key; allowed: {', '.join(sorted(allowed))}")
    missing = [key for key in required if key not in entry]
    if missing:
        problems.add(where, None, f"missing key(s) {', '.join(missing)}")
    return not missing
