"""The ``evidence`` command: ingest raw data, run the report batch, regenerate sample data.

Errors the user can fix (:class:`evidence.errors.EvidenceError`) are printed as plain
messages, without a traceback, and the exit code is 2; a failed report in a batch gives 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evidence.errors import ConfigError, EvidenceError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evidence", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="validate and de-identify a raw export")
    ingest.add_argument("kind", choices=["survey", "outcomes"],
                        help="survey: one export file; outcomes: a folder of episodes, assessments, prems")
    ingest.add_argument("path", type=Path, help="raw file (.csv, .xlsx or .sav), or folder for outcomes")
    ingest.add_argument("--out", type=Path, default=Path("data/processed"),
                        help="folder for the parquet table and manifest (default: data/processed)")
    ingest.add_argument("--definition", type=Path, default=None,
                        help="outcomes: the extract definition (default: config/extracts/outcomes.yml); "
                             "outputs are named after it")
    ingest.add_argument("--block-mb", type=int, default=None,
                        help="outcomes only: read, check and score the assessments table in blocks of about "
                             "this many MiB through dask (for extracts larger than memory); same output")

    init = commands.add_parser("init", help="scaffold a definition from an extract, every guess marked to confirm")
    init.add_argument("kind", choices=["extract"], help="extract: an outcomes extract folder")
    init.add_argument("path", type=Path, help="the extract folder (episodes, assessments, prems)")
    init.add_argument("--out", type=Path, required=True, help="the definition to write, e.g. config/extracts/NAME.yml")

    run = commands.add_parser("run", help="run the report batch described by a config file")
    run.add_argument("config", type=Path, help="e.g. config/annual_report.yml")
    run.add_argument("--out", type=Path, default=None,
                     help="reports folder (default: reports/<year> under the project root)")
    run.add_argument("--workers", type=int, default=None,
                     help="parallel jobs (default: the number of cores this process may use)")
    run.add_argument("--force", action="store_true", help="run every report, even those unchanged")
    run.add_argument("--scheduler", default=None,
                     help="dask.distributed scheduler address (e.g. tcp://host:8786); workers must share "
                          "this project's folder and environment")
    run.add_argument("--timeout", type=float, default=1800, help="seconds before a job is stopped (default 1800)")
    run.add_argument("--prestart", action=argparse.BooleanOptionalAction, default=True,
                     help="start each next report's kernel while the current report runs (default: on)")

    derive = commands.add_parser("derive", help="derive a table from processed data")
    derive.add_argument("what", choices=["service-effects"],
                        help="service-effects: each service's pre-post effect, as an evidence table")
    derive.add_argument("--processed", type=Path, default=Path("data/processed"))
    derive.add_argument("--instrument", default="pedsql")
    derive.add_argument("--scale", default="total")

    check = commands.add_parser("audit", help="scan processed data and reports for identifiers")
    check.add_argument("--processed", type=Path, default=Path("data/processed"))
    check.add_argument("--reports", type=Path, default=Path("reports"))

    sample = commands.add_parser("sample", help="regenerate the synthetic sample data")
    sample.add_argument("--out", type=Path, default=Path("data/raw/sample"))
    return parser


def _counts(rows: int | dict[str, int]) -> str:
    if isinstance(rows, dict):
        return ", ".join(f"{name} {count:,}" for name, count in rows.items())
    return f"{rows:,}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "ingest":
            from evidence.ingest import ingest_outcomes, ingest_survey

            if args.block_mb is not None and args.block_mb < 1:
                raise ConfigError(f"--block-mb {args.block_mb}: a block is at least 1 MiB")
            if args.kind == "survey":
                if args.block_mb:
                    raise ConfigError("--block-mb applies to outcomes extracts only")
                if args.definition:
                    raise ConfigError("--definition applies to outcomes extracts only")
                manifest = ingest_survey(args.path, args.out)
            else:
                manifest = ingest_outcomes(args.path, args.out,
                                           block_bytes=args.block_mb << 20 if args.block_mb else None,
                                           definition=args.definition)
            rows = manifest["rows"]
            print(f"ingested {manifest['input']['path']}: rows in: {_counts(rows['in'])}; "
                  f"excluded: {rows['rejected_total']}; written to {args.out}: {_counts(rows['out'])}"
                  f"{' (synthetic sample data)' if manifest['synthetic'] else ''}")
            return 0
        if args.command == "init":
            from evidence.outcomes.scaffold import scaffold_extract

            written = scaffold_extract(args.path, args.out)
            print(f"wrote {written}: a draft; check every line marked CONFIRM, then "
                  f"`evidence ingest outcomes {args.path} --definition {args.out}`")
            return 0
        if args.command == "run":
            from evidence.reporting.batch import run_batch

            outcome = run_batch(args.config, args.out, workers=args.workers, force=args.force,
                                scheduler=args.scheduler, timeout=args.timeout, prestart=args.prestart)
            return 0 if outcome.succeeded else 1
        if args.command == "derive":
            from evidence.files import write_csv_safe
            from evidence.ingest import load_outcomes
            from evidence.outcomes import service_effects_table
            from evidence.paths import resolve

            tables, manifest = load_outcomes(args.processed)
            table = service_effects_table(tables, manifest["synthetic"], args.instrument, args.scale)
            target = resolve(args.processed) / "outcomes_service_effects.csv"
            write_csv_safe(table, target)
            print(f"wrote {target} ({len(table)} services)")
            return 0
        if args.command == "audit":
            from evidence.audit import audit

            audit(args.processed, args.reports)
            print(f"audit: no identifiers found in {args.processed} or {args.reports}")
            return 0
        if args.command == "sample":
            from evidence import synthetic, synthetic_outcomes, synthetic_services

            print(f"wrote {synthetic.write_sample(args.out)}")
            print(f"wrote {synthetic_outcomes.write_sample(args.out)}")
            print(f"wrote {synthetic_services.write_service_effects(args.out)}")
            return 0
    except EvidenceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
