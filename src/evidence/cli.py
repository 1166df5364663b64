"""The ``evidence`` command: ingest raw data, run the report batch, regenerate sample data.

Errors the user can fix (:class:`evidence.errors.EvidenceError`) are printed as plain
messages, without a traceback, and the exit code is 2; a failed report in a batch gives 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evidence.errors import EvidenceError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evidence", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="validate and de-identify a raw export")
    ingest.add_argument("kind", choices=["survey"], help="what the file is")
    ingest.add_argument("path", type=Path, help="raw file (.csv, .xlsx or .sav)")
    ingest.add_argument("--out", type=Path, default=Path("data/processed"),
                        help="folder for the parquet table and manifest (default: data/processed)")

    run = commands.add_parser("run", help="run the report batch described by a config file")
    run.add_argument("config", type=Path, help="e.g. config/annual_report.yml")
    run.add_argument("--out", type=Path, default=None,
                     help="reports folder (default: reports/<year> under the project root)")

    sample = commands.add_parser("sample", help="regenerate the synthetic sample data")
    sample.add_argument("--out", type=Path, default=Path("data/raw/sample"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "ingest":
            from evidence.ingest import ingest_survey

            manifest = ingest_survey(args.path, args.out)
            rows = manifest["rows"]
            print(f"ingested {manifest['input']['path']}: {rows['in']} rows in, "
                  f"{rows['rejected_total']} excluded, {rows['out']} written to {args.out}"
                  f"{' (synthetic sample data)' if manifest['synthetic'] else ''}")
            return 0
        if args.command == "run":
            from evidence.reporting.batch import run_batch

            outcome = run_batch(args.config, args.out)
            return 0 if outcome.succeeded else 1
        if args.command == "sample":
            from evidence.synthetic import write_sample
            from evidence.synthetic_services import write_service_effects

            print(f"wrote {write_sample(args.out)}")
            print(f"wrote {write_service_effects(args.out)}")
            return 0
    except EvidenceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
