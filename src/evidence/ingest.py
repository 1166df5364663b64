"""Ingest: the only door from ``data/raw`` to ``data/processed``.

Read a raw export, validate it against its definition, de-identify it, and write a parquet
table with a manifest saying what made it. Either both files are written or neither is; the
raw file is only ever read.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from evidence import provenance, survey
from evidence.errors import ConfigError, InputFileError
from evidence.files import sha256_file, sha256_text, text_writer, write_all_atomic
from evidence.outcomes import clean as outcomes_clean
from evidence.outcomes import streamed
from evidence.outcomes.blocks import write_streamed, write_streamed_table
from evidence.outcomes.definition import DEFAULT_DEFINITION, load_extract_definition
from evidence.paths import PROCESSED, display_path, resolve
from evidence.readers import read_raw

DEFAULT_OUT = PROCESSED


def _checked_out(out: str | Path) -> Path:
    """The output folder, refused when it lies under data/raw (inputs exactly as received)."""
    out = Path(out)
    target = out.resolve()
    if any(p.name == "raw" and p.parent.name == "data" for p in (target, *target.parents)):
        raise ConfigError(
            f"{out}: outputs may not be written under data/raw, which holds inputs "
            "exactly as received; choose another --out folder"
        )
    return out


def ingest_survey(
    path: str | Path,
    out: str | Path = DEFAULT_OUT,
    environ: dict[str, str] | None = None,
    definition: str | Path = survey.definition.DEFAULT_DEFINITION,
) -> dict:
    """Ingest a survey export against its definition (``config/surveys/NAME.yml``, default the
    workforce survey); write ``OUT/NAME.parquet`` and ``OUT/NAME.manifest.json``, named after
    the definition so that several surveys sit side by side; return the manifest."""
    source, out = Path(path), _checked_out(out)
    definition_file = resolve(definition)
    spec = survey.load_definition(definition_file)
    raw = read_raw(source)
    clean = survey.clean_export(raw, spec, environ=environ)
    table = clean.table
    manifest = {
        "dataset": "survey",
        "description": spec.title,
        "definition": {
            "name": spec.name,
            "path": display_path(definition_file),
            "sha256": sha256_file(definition_file),
        },
        "synthetic": clean.synthetic,
        "input": {
            "path": display_path(source),
            "sha256": sha256_file(source),
            "bytes": source.stat().st_size,
            "format": source.suffix.lower().lstrip("."),
            "encoding": raw.encoding,
            "dialect": clean.dialect,
        },
        "rows": {
            "in": clean.rows_in,
            "header_rows_removed": clean.header_rows_removed,
            "summary_rows_removed": clean.summary_rows_removed,
            "rejected": clean.rejected,
            "rejected_total": sum(clean.rejected.values()),
            "out": len(table),
        },
        "duplicates": clean.duplicates,
        "de_identification": {
            "identifier_columns_dropped": clean.dropped_identifier_columns,
            "free_text_redactions": clean.redactions,
            "respondent_id": "HMAC-SHA256 pseudonym (first 16 hex characters)",
            "pseudonym_key": clean.key_origin,
        },
        "columns_not_carried": clean.ignored_columns,
        "output": {"table": f"{spec.name}.parquet", "columns": list(table.columns)},
        "package_version": provenance.package_version(),
        "git_revision": provenance.git_revision(),
        "created_utc": provenance.utc_now(),
    }
    write_all_atomic(
        {
            out / f"{spec.name}.parquet": lambda p: table.to_parquet(p, index=False),
            out / f"{spec.name}.manifest.json": text_writer(json.dumps(manifest, indent=2) + "\n"),
        }
    )
    return manifest


OUTCOME_TABLES = ("episodes", "assessments", "scores", "prems")


#: The assessments table is read, checked, scored and written in blocks of about this many
#: bytes of CSV unless told otherwise: memory then follows the block, not the file.
DEFAULT_BLOCK_BYTES = 32 << 20


def ingest_outcomes(
    folder: str | Path,
    out: str | Path = DEFAULT_OUT,
    environ: dict[str, str] | None = None,
    block_bytes: int | None = None,
    definition: str | Path | None = None,
    scheduler: str | None = None,
) -> dict:
    """Ingest an outcomes extract folder (episodes, assessments, prems) read as the extract
    definition ``definition`` says (default ``config/extracts/outcomes.yml``); write
    ``OUT/<name>_<table>.parquet`` for episodes, assessments, scores and prems, and
    ``OUT/<name>.manifest.json``, ``<name>`` being the definition's (``outcomes`` for the
    shipped one); return the manifest.

    Every table is read in blocks of whole CSV records, of about ``block_bytes`` bytes
    (default :data:`DEFAULT_BLOCK_BYTES`, 32 MiB), through dask, and the checks across blocks
    are made over keys spilled to disk (:func:`evidence.outcomes.streamed.clean_streamed`), so
    memory does not grow with the extract; a table that is not plainly well-formed UTF-8 CSV
    (and .xlsx/.sav) is read whole, as one block. By default the files are byte for byte those
    of a whole-table write (parquet row groups of 2**20 rows; the scores laid out instrument by
    instrument); with ``block_bytes`` the tables are the same, each block's rows written as they
    come (less memory). ``block_bytes=0`` reads every table whole
    (:func:`evidence.outcomes.clean.clean_extract`: the reference the blocks are tested
    against). ``scheduler`` (with ``block_bytes``) runs the blocks' tasks on the
    dask.distributed scheduler at that address."""
    out = _checked_out(out)
    if scheduler is not None:
        return _on_cluster(scheduler, folder, out, environ, block_bytes, definition)
    extract = load_extract_definition(definition or DEFAULT_DEFINITION)
    if block_bytes == 0:
        return _write_outcomes(outcomes_clean.clean_extract(folder, environ, definition=extract), folder, out)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:  # cleaned blocks, pseudonymised, and then the streamed tables wait beside the output
        with tempfile.TemporaryDirectory(prefix=".blocks-", dir=out) as staging:
            spill = Path(staging).resolve()  # absolute: the blocks' tasks may run on a cluster's workers
            clean = streamed.clean_streamed(folder, environ, block_bytes or DEFAULT_BLOCK_BYTES, spill, extract)
            return _write_outcomes(clean, folder, out, spill, regroup=block_bytes is None)
    finally:
        if created and not any(out.iterdir()):  # a failed ingest leaves no folder behind either
            out.rmdir()


def _on_cluster(
    address: str,
    folder: str | Path,
    out: Path,
    environ: dict[str, str] | None,
    block_bytes: int | None,
    definition: str | Path | None,
) -> dict:
    """:func:`ingest_outcomes` with every block's task run on the dask.distributed scheduler at
    ``address``. Its workers must see the extract and the output folder at the same paths, and
    they are sent the pseudonymisation key: use a cluster you trust, with TLS off this machine."""
    if not block_bytes:
        raise ConfigError("--scheduler: an extract is ingested on a cluster block by block; give --block-mb")
    import dask

    from evidence.reporting.cluster import connect

    client = connect(address)
    try:
        with dask.config.set(scheduler=client):
            return ingest_outcomes(folder, out, environ, block_bytes, definition)
    finally:
        client.close()


def _write_outcomes(
    clean: outcomes_clean.CleanOutcomes,
    folder: str | Path,
    out: Path,
    staging: Path | None = None,
    regroup: bool = True,
) -> dict:
    """Write the cleaned tables and the manifest (all or nothing); return the manifest. Dask
    tables (block-wise cleaning) are first streamed into parquet files under ``staging``, in
    ``to_parquet``'s row groups with ``regroup``, else a block's rows at a time (less memory)."""
    tables = {
        "episodes": clean.episodes,
        "assessments": clean.assessments,
        "scores": clean.scores,
        "prems": clean.prems,
    }
    staged: dict[str, Path] = {}  # the streamed tables, already written under staging
    if isinstance(clean.episodes, pd.DataFrame):  # cleaned whole
        rows_out = {name: len(table) for name, table in tables.items()}
    else:  # cleaned block by block: lazy tables, streamed into their files
        if staging is None:
            raise ValueError("block-wise tables need a staging folder to be written through")
        staged = {name: staging / f"{name}.parquet" for name in tables}
        rows_out = {name: write_streamed_table(tables[name], staged[name], regroup) for name in ("episodes", "prems")}
        rows_out["assessments"], rows_out["scores"] = write_streamed(
            clean.assessments, clean.scores, (staged["assessments"], staged["scores"]), staging, regroup
        )

    definition = clean.definition
    if definition is None:
        raise ValueError("a cleaned extract carries the definition it was read with")
    name = definition.name
    manifest = {
        "dataset": name,
        "description": definition.description,
        "definition": {"path": display_path(definition.path), "sha256": sha256_file(definition.path)},
        "synthetic": clean.synthetic,
        "input": {
            "path": display_path(folder),
            "sha256": _combined_sha256(clean.sources),
            "files": {
                table: {
                    "path": display_path(path),
                    "sha256": sha256_file(path),
                    "rows": clean.rows_in[table],
                    "encoding": clean.encodings[table],
                }
                for table, path in clean.sources.items()
            },
        },
        "rows": {
            "in": clean.rows_in,
            "rejected": {},
            "rejected_total": 0,
            "out": {table: rows_out[table] for table in tables},
        },
        "duplicates": clean.duplicates,
        "de_identification": {
            "identifier_columns_dropped": clean.direct_identifiers,
            "undeclared_identifier_columns_dropped": clean.identifier_columns_dropped,
            "kept_instead": "age at referral in whole years",
            "free_text_redactions": clean.redactions,
            "child_id": "HMAC-SHA256 pseudonym (first 16 hex characters)",
            "episode_id": "HMAC-SHA256 pseudonym (first 16 hex characters)",
            "pseudonym_key": clean.key_origin,
        },
        "output": {table: f"{name}_{table}.parquet" for table in tables},
        "package_version": provenance.package_version(),
        "git_revision": provenance.git_revision(),
        "created_utc": provenance.utc_now(),
    }
    writers = {
        out / f"{name}_{table}.parquet": _parquet_writer(frame, staged.get(table)) for table, frame in tables.items()
    }
    writers[out / f"{name}.manifest.json"] = text_writer(json.dumps(manifest, indent=2) + "\n")
    write_all_atomic(writers)
    return manifest


def _parquet_writer(frame: pd.DataFrame, staged: Path | None):
    """A writer for :func:`write_all_atomic`: a pandas table written, or an already streamed
    file moved into its place."""
    if staged is not None:
        return lambda path: os.replace(staged, path)
    return lambda path: frame.to_parquet(path, index=False)


def _combined_sha256(paths: dict[str, Path]) -> str:
    """One hash for a multi-file input: SHA-256 over the sorted per-file hashes."""
    return sha256_text("".join(f"{name}:{sha256_file(path)}\n" for name, path in sorted(paths.items())))


def load_outcomes(folder: str | Path = DEFAULT_OUT, name: str = "outcomes") -> tuple[dict[str, pd.DataFrame], dict]:
    """The processed outcome tables (episodes, assessments, scores, prems) and their manifest,
    as ingested with the extract definition called ``name`` (``config/extracts/<name>.yml``)."""
    base = resolve(folder)
    manifest_path = base / f"{name}.manifest.json"
    paths = {table: base / f"{name}_{table}.parquet" for table in OUTCOME_TABLES}
    if not manifest_path.is_file() or not all(p.is_file() for p in paths.values()):
        raise InputFileError(
            f"{base}: processed outcome tables ({name}_*.parquet) are missing; ingest the "
            "extract first (`make ingest`, or `evidence ingest outcomes FOLDER`)"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    from evidence import schemas  # pandera: for reading processed tables, not for ingesting them

    expected = schemas.outcome_schemas()
    return {
        table: schemas.check_table(pd.read_parquet(p), expected[table], display_path(p)) for table, p in paths.items()
    }, manifest


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
    from evidence import schemas

    return schemas.checked_survey_table(pd.read_parquet(table_path), manifest, display_path(table_path)), manifest
