"""Ingest: the only door from ``data/raw`` to ``data/processed``.

Read a raw export, validate it against its definition, de-identify it, and write a parquet
table with a manifest saying what made it. Either both files are written or neither is; the
raw file is only ever read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from evidence import provenance, survey
from evidence.errors import ConfigError, InputFileError
from evidence.files import sha256_file, write_all_atomic
from evidence.paths import display_path, resolve
from evidence.readers import read_raw

DEFAULT_OUT = Path("data/processed")


def ingest_survey(path: str | Path, out: str | Path = DEFAULT_OUT,
                  environ: dict[str, str] | None = None) -> dict:
    """Ingest a workforce-survey export; write ``OUT/survey.parquet`` and
    ``OUT/survey.manifest.json``; return the manifest."""
    source, out = Path(path), Path(out)
    target = out.resolve()
    if any(p.name == "raw" and p.parent.name == "data" for p in (target, *target.parents)):
        raise ConfigError(f"{out}: outputs may not be written under data/raw, which holds inputs "
                          "exactly as received; choose another --out folder")
    raw = read_raw(source)
    clean = survey.clean_export(raw, environ=environ)
    table = clean.table
    manifest = {
        "dataset": "survey",
        "description": survey.workforce_survey().title,
        "synthetic": clean.synthetic,
        "input": {"path": display_path(source), "sha256": sha256_file(source),
                  "bytes": source.stat().st_size, "format": source.suffix.lower().lstrip("."),
                  "encoding": raw.encoding},
        "rows": {"in": clean.rows_in, "header_rows_removed": clean.header_rows_removed,
                 "rejected": clean.rejected, "rejected_total": sum(clean.rejected.values()),
                 "out": len(table)},
        "duplicates": clean.duplicates,
        "de_identification": {
            "identifier_columns_dropped": clean.dropped_identifier_columns,
            "free_text_redactions": clean.redactions,
            "respondent_id": "HMAC-SHA256 pseudonym (first 16 hex characters)",
            "pseudonym_key": clean.key_origin,
        },
        "columns_not_carried": clean.ignored_columns,
        "output": {"table": "survey.parquet", "columns": list(table.columns)},
        "package_version": provenance.package_version(),
        "git_revision": provenance.git_revision(),
        "created_utc": provenance.utc_now(),
    }
    write_all_atomic({
        out / "survey.parquet": lambda p: table.to_parquet(p, index=False),
        out / "survey.manifest.json": lambda p: p.write_text(json.dumps(manifest, indent=2) + "\n",
                                                             encoding="utf-8"),
    })
    return manifest


def load_processed(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """A processed table and its manifest (``X.parquet`` with ``X.manifest.json``).
    Relative paths are taken from the project root."""
    table_path = resolve(path)
    manifest_path = table_path.with_suffix(".manifest.json")
    if not table_path.is_file() or not manifest_path.is_file():
        raise InputFileError(
            f"{table_path}: processed table or its manifest is missing; ingest the raw export "
            "first (`make ingest`, or `evidence ingest survey RAW_FILE`)"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return pd.read_parquet(table_path), manifest
