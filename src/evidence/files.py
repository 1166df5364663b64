"""File helpers: content hashes, atomic writes (temp file in the same folder, then rename, so a
failed run never leaves a half-written output behind), and the one way tables are written as
CSV or Excel for people to open (:func:`write_csv_safe`, :func:`neutralise_formulas`)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from evidence.errors import ConfigError
from evidence.paths import display_path

if TYPE_CHECKING:
    import pandas as pd


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def process_umask() -> int:
    """The process's file-creation mask (0o022 under the usual umask 022). Read from
    ``/proc/self/status`` on Linux; elsewhere by setting it and putting it back (POSIX offers no
    other way; that briefly changes it for every thread, so it is the fallback only)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _temp_beside(target: Path) -> Path:
    """An empty temporary file in ``target``'s folder (so the final rename is atomic), with the
    permissions an ordinary new file gets: ``0o666`` less the process umask (0644 under umask
    022). ``tempfile.mkstemp`` alone would leave it 0600, unreadable by a colleague, a web
    server or a copy to a shared drive."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    try:
        os.fchmod(handle, 0o666 & ~process_umask())
    finally:
        os.close(handle)
    return Path(temp)


@contextmanager
def staged(path: str | os.PathLike[str]):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically,
    on error it is removed and ``path`` is left as it was."""
    target = Path(path)
    temp = _temp_beside(target)
    try:
        yield temp
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    with staged(path) as temp:
        temp.write_text(text, encoding="utf-8")


def text_writer(text: str) -> Callable[[Path], object]:
    """A writer for :func:`write_all_atomic` that writes ``text`` as UTF-8."""
    return lambda temp: temp.write_text(text, encoding="utf-8")


def write_all_atomic(writers: Mapping[Path, Callable[[Path], object]]) -> None:
    """Write several files so that either all appear or none do: each writer fills a temp
    file (what it returns is ignored); only when every one has succeeded are they renamed
    into place."""
    temps: dict[Path, Path] = {}
    try:
        for target, write in writers.items():
            temps[target] = _temp_beside(target)
            write(temps[target])
    except BaseException:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise
    for target, temp in temps.items():
        os.replace(temp, target)


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` in which every text cell that a spreadsheet would run as a formula
    starts with a single quote (``'=HYPERLINK(...)`` is shown as text, not followed).

    Text cells beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return are prefixed
    with ``'``, as the OWASP guidance on CSV injection says
    (https://owasp.org/www-community/attacks/CSV_Injection). Only text is touched: numbers
    (including negative ones such as an effect size of -0.42) stay numbers, and a column of
    numbers is never turned into text. Column names are treated like cells.

    Every table written as CSV or Excel for people to open goes through here (see
    :func:`write_csv_safe`). Processed parquet tables keep free text as it was typed: parquet
    is not opened in a spreadsheet. The synthetic samples of raw exports (``evidence.samples``'
    ``workforce_survey``, ``parent_survey`` and ``outcomes``) are deliberately not routed here:
    they write stand-ins for raw exports, in which codes such as ``-1`` (a Goal Attainment
    Scaling level) are text.
    """
    import pandas as pd

    def escape(value: object) -> object:
        if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
            return "'" + value
        return value

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if (
            pd.api.types.is_object_dtype(values)
            or pd.api.types.is_string_dtype(values)
            or isinstance(values.dtype, pd.CategoricalDtype)
        ):
            if isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype(object)
            out[column] = values.map(escape, na_action="ignore")
    out.columns = [escape(c) for c in out.columns]
    return out


def write_csv_safe(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` as UTF-8 CSV (no index, ``\\n`` line ends), atomically, as the OWASP
    guidance says: formulas neutralised (:func:`neutralise_formulas`), every text cell wrapped in
    double quotes and inner quotes doubled, so that neither a separator (``,`` or, in some
    locales, ``;``) nor a bare carriage return inside text can start a new cell."""
    import csv

    text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    with staged(path) as temp:
        temp.write_bytes(text.encode("utf-8"))


def read_yaml_mapping(path: Path, keys: Iterable[str], missing: str = "no such file") -> dict[str, Any]:
    """A YAML config file that must hold a mapping (``keys`` name the expected ones, for the
    message); a missing file, bad YAML or another shape is a :class:`ConfigError` naming the
    file (``missing`` says what a missing file is called)."""
    where = display_path(path)
    if not Path(path).is_file():
        raise ConfigError(f"{where}: {missing}")
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{where}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{where}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with keys {sorted(keys)}")
    return data
