"""Read a notebook's ``parameters`` cell and check parameter values against it.

papermill accepts any parameter name and coerces values silently (``-p x 007`` becomes 7);
we check every value before a notebook runs: an unknown name, or a value whose type differs
from the cell's annotation, is a :class:`ConfigError`.

The parameters cell (tagged ``parameters``) holds only annotated assignments of literals::

    year: int = 2025  # survey year
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.errors import ConfigError

SUPPORTED_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
}


@dataclass(frozen=True)
class NotebookParameter:
    """One line of a notebook's ``parameters`` cell: its name, annotated type (a key of
    :data:`SUPPORTED_TYPES`), default value and trailing comment (what it is; shown in errors)."""

    name: str
    type_name: str
    default: Any
    comment: str


def parameters_source(notebook: dict[str, Any], path: str | Path) -> str:
    """The source of the one cell tagged ``parameters`` (read from the notebook's JSON directly:
    nbformat's validator costs seconds to import and is not needed to read one cell)."""
    cells = [c for c in notebook.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ConfigError(f"{path}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    source = cells[0].get("source", "")
    return "".join(source) if isinstance(source, list) else source


def read_parameters(path: str | Path) -> dict[str, NotebookParameter]:
    """The parameters a notebook declares, in order."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: not a readable notebook ({error})") from None
    source = parameters_source(notebook, path)
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ConfigError(f"{path}: parameters cell line {error.lineno}: {error.msg}") from None
    comments = {
        tok.start[0]: tok.string.lstrip("# ").strip()
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT
    }
    found: dict[str, NotebookParameter] = {}
    for node in tree.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None):
            raise ConfigError(
                f"{path}: parameters cell line {node.lineno}: only annotated assignments such as "
                "`year: int = 2025  # what it is` are allowed here"
            )
        type_name = ast.unparse(node.annotation)
        if type_name not in SUPPORTED_TYPES:
            raise ConfigError(
                f"{path}: parameter {node.target.id!r} has type {type_name!r}; use one of {', '.join(SUPPORTED_TYPES)}"
            )
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise ConfigError(f"{path}: parameter {node.target.id!r} default must be a literal") from None
        parameter = NotebookParameter(node.target.id, type_name, default, comments.get(node.lineno, ""))
        _check_type(parameter, default, f"{path}: default of")
        found[parameter.name] = parameter
    return found


def _check_type(parameter: NotebookParameter, value: Any, where: str) -> None:
    expected = SUPPORTED_TYPES[parameter.type_name]
    wrong = not isinstance(value, expected) or (isinstance(value, bool) and parameter.type_name in ("int", "float"))
    if wrong:
        raise ConfigError(
            f"{where} parameter {parameter.name!r}: value {value!r} is a "
            f"{type(value).__name__}, but the notebook declares {parameter.type_name}"
            + (f" ({parameter.comment})" if parameter.comment else "")
        )


def validate_parameters(path: str | Path, given: dict[str, Any], context: str) -> dict[str, Any]:
    """Check ``given`` against the notebook at ``path``; return them unchanged if all is well.
    ``context`` names where the values came from (e.g. the config file and report)."""
    declared = read_parameters(path)
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ConfigError(
            f"{context}: unknown parameter(s) {', '.join(map(repr, unknown))} for {path}; "
            f"the notebook declares {', '.join(declared)}"
        )
    for name, value in given.items():
        _check_type(declared[name], value, f"{context}:")
    return dict(given)
