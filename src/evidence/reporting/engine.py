"""The papermill engine the batch runs notebooks with: papermill's nbclient engine on a kernel
started beforehand (:class:`evidence.reporting.kernels.KernelSource`).

papermill normally starts and stops its own kernel. :class:`PrestartedKernelEngine` is the
stock nbclient engine run on a kernel manager passed in as ``km``, so papermill's parameter
injection, error cells and metadata are unchanged. It is registered with papermill under
:data:`ENGINE_NAME` when this module is imported, as papermill registers its own engines
(``papermill.engines``); pass ``engine_name=ENGINE_NAME`` to ``papermill.execute_notebook``.
"""

from __future__ import annotations

from typing import Any

from nbclient.exceptions import DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger

ENGINE_NAME = "evidence-prestarted"


class KernelDied(RuntimeError):
    """The kernel's process ended while a cell ran (``os._exit``, a crash in compiled code,
    the system's out-of-memory killer)."""

    def __init__(self, cell_index: int | None, source: str) -> None:
        self.cell_index, self.source = cell_index, source
        lines = source.strip().splitlines()
        snippet = "\n".join(lines[:6]) + ("\n..." if len(lines) > 6 else "")
        where = f"cell {cell_index}:\n{snippet}\n" if cell_index is not None else ""
        super().__init__(
            f"{where}the kernel died while this cell ran (its Python process ended without an "
            "error: os._exit, a crash in compiled code, or running out of memory)"
        )


def _running_cell(notebook: Any) -> tuple[int | None, str]:
    """The index and source of the last cell papermill started (it marks every cell
    ``pending`` first; the others are then past, and this one is where the kernel died)."""
    started = [
        (index, cell.source)
        for index, cell in enumerate(notebook.cells)
        if cell.get("metadata", {}).get("papermill", {}).get("status", "pending") != "pending"
    ]
    return started[-1] if started else (None, "")


class PrestartedKernelEngine(NBClientEngine):
    """papermill's nbclient engine on a kernel manager passed in as ``km`` (started, and later
    stopped, by the caller); the client's channels are closed after the run. A kernel that
    dies in a cell raises :class:`KernelDied` naming the cell."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        km=None,
        **kwargs,
    ):
        kwargs.pop("input_path", None)
        kwargs.pop("timeout", None)
        kwargs.pop("startup_timeout", None)
        client = PapermillNotebookClient(
            nb_man,
            km=km,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            **kwargs,
        )
        try:
            return client.execute()
        except DeadKernelError as error:
            raise KernelDied(*_running_cell(nb_man.nb)) from error
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
                client.kc = None


papermill_engines.register(ENGINE_NAME, PrestartedKernelEngine)
