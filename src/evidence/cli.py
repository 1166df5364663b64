"""The ``evidence`` command: ingest raw data, derive tables from processed data, scaffold a
definition from an export, run the report batch, audit outputs for identifiers, and regenerate
the sample data.

Errors the user can fix (:class:`evidence.errors.EvidenceError`) are printed as plain
messages, without a traceback, and the exit code is 2; a failed report in a batch gives 1, and
an interrupted batch 130 (Ctrl-C, SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from evidence.errors import ConfigError, EvidenceError
from evidence.paths import INTERIM, PROCESSED, REPORTS, SAMPLE


def _parser() -> argparse.ArgumentParser:
    from evidence.reporting.cluster import DEFAULT_CONNECT_TIMEOUT, DEFAULT_WORKER_WAIT

    parser = argparse.ArgumentParser(prog="evidence", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="validate and de-identify a raw export")
    ingest.add_argument(
        "kind",
        choices=["survey", "outcomes"],
        help="survey: one export file; outcomes: a folder of episodes, assessments, prems",
    )
    ingest.add_argument("path", type=Path, help="raw file (.csv, .xlsx or .sav), or folder for outcomes")
    ingest.add_argument(
        "--out", type=Path, default=PROCESSED, help=f"folder for the parquet table and manifest (default: {PROCESSED})"
    )
    ingest.add_argument(
        "--definition",
        type=Path,
        default=None,
        help="the definition: a survey's (default: config/surveys/workforce_survey.yml) or an "
        "outcomes extract's (default: config/extracts/outcomes.yml); outputs are named after it",
    )
    ingest.add_argument(
        "--block-mb",
        type=int,
        default=None,
        help="outcomes only: read, check and score every table in blocks of about this many MiB "
        "(default 32) and write each block's rows as they come (the least memory; the same tables)",
    )

    ingest.add_argument(
        "--scheduler",
        default=None,
        help="outcomes with --block-mb only: run the blocks' tasks on the dask.distributed scheduler "
        "at this address (e.g. tcp://host:8786); workers must see the extract and --out at the same paths",
    )

    run = commands.add_parser("run", help="run the report batch described by a config file")
    run.add_argument("config", type=Path, help="e.g. config/annual_report.yml")
    run.add_argument(
        "--out", type=Path, default=None, help=f"reports folder (default: {REPORTS}/<year> under the project root)"
    )
    run.add_argument(
        "--workers", type=int, default=None, help="parallel jobs (default: the number of cores this process may use)"
    )
    run.add_argument("--force", action="store_true", help="run every report, even those unchanged")
    run.add_argument(
        "--scheduler",
        default=None,
        help="dask.distributed scheduler address (e.g. tcp://host:8786); workers must share "
        "this project's folder and environment",
    )
    run.add_argument("--timeout", type=float, default=1800, help="seconds before a job is stopped (default 1800)")
    run.add_argument(
        "--pdf", action="store_true", help="also print every report as one PDF, annual_report.pdf (needs Chromium)"
    )
    run.add_argument(
        "--connect-timeout",
        type=float,
        default=DEFAULT_CONNECT_TIMEOUT,
        help=f"with --scheduler: seconds to wait for the scheduler to answer (default {DEFAULT_CONNECT_TIMEOUT:g})",
    )
    run.add_argument(
        "--worker-wait",
        type=float,
        default=DEFAULT_WORKER_WAIT,
        help=f"with --scheduler: seconds to wait for a worker when none is alive, before the "
        f"reports left are failed (default {DEFAULT_WORKER_WAIT:g})",
    )
    run.add_argument(
        "--prestart",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="start each next report's kernel while the current report runs (default: on)",
    )

    derive = commands.add_parser("derive", help=f"derive a table from processed data, into {INTERIM}")
    derive.add_argument(
        "what",
        choices=["service-effects"],
        help="service-effects: each service's pre-post effect, as an evidence table (outcomes_service_effects.csv)",
    )
    derive.add_argument(
        "--processed",
        type=Path,
        default=PROCESSED,
        help=f"folder of the processed outcome tables (default: {PROCESSED})",
    )
    derive.add_argument("--out", type=Path, default=INTERIM, help=f"folder for the derived table (default: {INTERIM})")
    derive.add_argument("--instrument", default="pedsql")
    derive.add_argument("--scale", default="total")

    check = commands.add_parser("audit", help="scan processed data, derived tables and reports for identifiers")
    check.add_argument("--processed", type=Path, default=PROCESSED)
    check.add_argument("--interim", type=Path, default=INTERIM, help=f"derived tables (default: {INTERIM})")
    check.add_argument("--reports", type=Path, default=REPORTS)

    init = commands.add_parser(
        "init", help="scaffold a definition from an export or extract, every guess marked to confirm"
    )
    init.add_argument(
        "kind",
        choices=["survey", "extract"],
        help="survey: a definition for config/surveys/; extract: one for config/extracts/",
    )
    init.add_argument(
        "path",
        type=Path,
        help="the survey export (.csv, .xlsx or .sav), or the extract folder (episodes, assessments, prems)",
    )
    init.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the definition to write, e.g. config/surveys/NAME.yml or config/extracts/NAME.yml",
    )

    sample = commands.add_parser("sample", help="regenerate the synthetic sample data")
    sample.add_argument("--out", type=Path, default=SAMPLE)
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
                if args.block_mb or args.scheduler:
                    raise ConfigError("--block-mb and --scheduler apply to outcomes extracts only")
                from evidence.survey.definition import DEFAULT_DEFINITION

                manifest = ingest_survey(args.path, args.out, definition=args.definition or DEFAULT_DEFINITION)
            else:
                manifest = ingest_outcomes(
                    args.path,
                    args.out,
                    block_bytes=args.block_mb << 20 if args.block_mb else None,
                    definition=args.definition,
                    scheduler=args.scheduler,
                )
            rows = manifest["rows"]
            print(
                f"ingested {manifest['input']['path']}: rows in: {_counts(rows['in'])}; "
                f"excluded: {rows['rejected_total']}; written to {args.out}: {_counts(rows['out'])}"
                f"{' (synthetic sample data)' if manifest['synthetic'] else ''}"
            )
            if "dialect" in manifest["input"]:
                summary = rows.get("summary_rows_removed") or []
                print(
                    f"  read as: {manifest['input']['dialect']['description']}"
                    + "".join(f"; summary row {s['row']} ({s['label']!r}) left out" for s in summary)
                )
            return 0
        if args.command == "init" and args.kind == "extract":
            from evidence.outcomes.scaffold import scaffold_extract

            written = scaffold_extract(args.path, args.out)
            print(
                f"wrote {written}: a draft; check every line marked CONFIRM, then "
                f"`evidence ingest outcomes {args.path} --definition {args.out}`"
            )
            return 0
        if args.command == "run":
            from evidence.reporting.batch import run_batch

            outcome = run_batch(
                args.config,
                args.out,
                workers=args.workers,
                force=args.force,
                scheduler=args.scheduler,
                timeout=args.timeout,
                prestart=args.prestart,
                connect_timeout=args.connect_timeout,
                worker_wait=args.worker_wait,
                pdf=args.pdf,
            )
            if outcome.interrupted_by is not None:
                # Everything is written and every child is ended; skip the interpreter's teardown
                # (as the workers do), where the still-running audit thread could crash the exit
                # (seen once: SIGSEGV instead of 130).
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(outcome.exit_code)
            return outcome.exit_code
        if args.command == "derive":
            from evidence.files import write_csv_safe
            from evidence.ingest import load_outcomes
            from evidence.outcomes import service_effects_table
            from evidence.paths import resolve

            tables, manifest = load_outcomes(args.processed)
            table = service_effects_table(tables, manifest["synthetic"], args.instrument, args.scale)
            target = resolve(args.out) / "outcomes_service_effects.csv"
            write_csv_safe(table, target)
            print(f"wrote {target} ({len(table)} services)")
            return 0
        if args.command == "audit":
            from evidence.audit import audit

            audit(args.processed, args.reports, args.interim)
            print(f"audit: no identifiers found in {args.processed}, {args.interim} or {args.reports}")
            return 0
        if args.command == "init" and args.kind == "survey":
            from evidence.survey.scaffold import scaffold

            drafts = [p for p in scaffold(args.path, args.out) if p is not None]
            print(
                f"wrote {', '.join(map(str, drafts))}: check every line marked CONFIRM, then "
                f"`evidence ingest survey {args.path} --definition {args.out}`"
            )
            return 0
        if args.command == "sample":
            from evidence.samples import write_samples

            for path in write_samples(args.out):
                print(f"wrote {path}")
            return 0
    except EvidenceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside the batch's own handling (e.g. while importing)
        print("interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
