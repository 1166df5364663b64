"""File helpers: content hashes and atomic writes (temp file in the same folder, then rename),
so a failed run never leaves a half-written output behind."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path


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


def _temp_beside(target: Path) -> Path:
    """An empty temporary file in ``target``'s folder (so the final rename is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
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


def write_all_atomic(writers: dict[Path, Callable[[Path], None]]) -> None:
    """Write several files so that either all appear or none do: each writer fills a temp
    file; only when every one has succeeded are they renamed into place."""
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
