"""Checking a survey definition file: every mistake collected, each named by file, line and key.

A definition (:mod:`.definition`) is checked whole before it is used: :class:`DefinitionChecker`
collects each mistake with the line of its key in the YAML file (from :func:`line_map`) and what
is allowed there, and raises them together as one :class:`evidence.errors.ConfigError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evidence.errors import ConfigError


def line_map(node: yaml.Node, path: tuple = (), lines: dict | None = None) -> dict[tuple, int]:
    """YAML key paths -> 1-based line numbers, from the composed node tree."""
    lines = {} if lines is None else lines
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[(*path, key.value)] = key.start_mark.line + 1
            line_map(value, (*path, key.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            line_map(item, (*path, index), lines)
    return lines


class DefinitionChecker:
    """Collects definition errors, each naming file, line, key and what is allowed."""

    def __init__(self, path: Path, lines: dict[tuple, int]):
        self.path, self.lines = path, lines
        self.errors: list[str] = []

    def fail(self, at: tuple, message: str) -> None:
        line = self.lines.get(at) or self.lines.get(at[:-1]) or self.lines.get(at[:-2], 1)
        key = ".".join(str(p) for p in at) or "(top level)"
        self.errors.append(f"{self.path}, line {line}, key {key}: {message}")

    def keys(self, value: Any, at: tuple, allowed: dict[str, str], required: tuple[str, ...]) -> bool:
        if not isinstance(value, dict):
            self.fail(at, f"must be a mapping with keys {', '.join(allowed)}")
            return False
        for key in value:
            if key not in allowed:
                self.fail(
                    (*at, key), f"unknown key {key!r}; allowed: " + "; ".join(f"{k} ({v})" for k, v in allowed.items())
                )
        for key in required:
            if key not in value:
                self.fail(at, f"missing key {key!r} ({allowed[key]})")
        return True

    def raise_any(self) -> None:
        if self.errors:
            raise ConfigError(
                "the survey definition is not valid:\n"
                + "\n".join(f"  - {e}" for e in self.errors)
                + "\nSee config/surveys/README.md for the format."
            )
