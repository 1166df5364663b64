"""Worker entry point: ``python -m evidence.reporting.worker SPEC.json`` runs one report job
(see :func:`evidence.reporting.batch.execute_job`) and writes its result to the spec's
``result_path``. Run by the batch in a fresh process per job."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from evidence.files import write_text_atomic
from evidence.reporting.batch import execute_job


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    result = execute_job(spec)
    write_text_atomic(Path(spec["result_path"]), json.dumps(result, default=str))
    return 0 if result["status"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
