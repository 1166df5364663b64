"""Worker processes of the report batch.

``python -m evidence.reporting.worker SPEC.json`` runs one report job (see
:func:`evidence.reporting.execute.execute_job`) and writes its result to the spec's
``result_path`` (used for jobs sent to a dask cluster).

``python -m evidence.reporting.worker --serve`` is a long-lived worker, one per
pool slot: it reads job specs from stdin, one JSON object a line, and answers each with one
result line on stdout. Every job still gets a fresh kernel; the worker pays its own imports
(papermill, nbconvert, the report template) once, not per job, and can start the next job's
kernel while the current job runs. Both keep the file ``spec["kernel_pids"]`` listing their
kernels' process ids, so that the batch can kill them with the worker when a job times out.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evidence.reporting.kernels import KernelSource

#: jsonschema (imported by nbformat) checks "iri" formats with rfc3987-syntax when installed,
#: which builds a grammar at import: about two seconds. Notebook schemas use no iri format.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _prepare(spec: dict) -> KernelSource:
    """Start the first job's kernel, then import what every job needs while it boots; the
    report template loads in a thread while the job runs."""
    from evidence.reporting.kernels import KernelSource

    kernels = KernelSource(spec.get("kernel_pids"))
    kernels.prestart(spec["kernel"], spec["root"])
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from evidence.reporting.render import warm_up

    threading.Thread(target=warm_up, daemon=True).start()
    return kernels


def serve() -> int:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # kernels and notebooks print to our stdout: keep it off the protocol
    kernels = None
    try:
        for line in sys.stdin:
            spec = json.loads(line)
            kernels = kernels or _prepare(spec)
            from evidence.reporting.execute import execute_job

            result = execute_job(spec, kernels)
            protocol.write(json.dumps(result, default=str) + "\n")
    finally:
        if kernels is not None:
            kernels.close()
    return 0


def main(argv: list[str]) -> int:
    if argv == ["--serve"]:
        return serve()
    from evidence.files import write_text_atomic
    from evidence.reporting.execute import execute_job

    spec = json.loads(Path(argv[0]).read_text())
    kernels = _prepare(spec)
    try:
        result = execute_job(spec, kernels)
    finally:
        kernels.close()
    write_text_atomic(Path(spec["result_path"]), json.dumps(result, default=str))
    return 0 if result["status"] == "succeeded" else 1


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the kernels are stopped and the result written: skip the interpreter's teardown
