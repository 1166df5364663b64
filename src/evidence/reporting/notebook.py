"""Helpers a report notebook calls to show results: they keep notebooks thin and make every
output reach the HTML in an accessible, disclosure-controlled form.

* :func:`show_figure` needs alt text; :func:`show_table` accepts only a
  :class:`~evidence.disclosure.PublishedTable`.
* :func:`declare_inputs` records which processed tables the report used (their hashes and
  whether they are synthetic) for the provenance footer and the sample-data banner.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

from IPython.display import Markdown, display

from evidence.disclosure import PublishedTable
from evidence.files import write_text_atomic
from evidence.plots.theme import Chart
from evidence.reporting.render import INPUTS_MIMETYPE

TABLE_MIMETYPE = "text/html"
MIN_ALT_LENGTH = 20


def show_figure(chart: Chart) -> None:
    """Display a chart as PNG carrying its alt text, and close the figure."""
    import matplotlib.pyplot as plt

    alt = (chart.alt or "").strip()
    if len(alt) < MIN_ALT_LENGTH:
        raise ValueError(
            f"figure alt text must describe the figure (at least {MIN_ALT_LENGTH} characters), got {alt!r}"
        )
    buffer = io.BytesIO()
    chart.figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(chart.figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    display({"image/png": data, "text/plain": f"[figure: {alt}]"}, raw=True, metadata={"image/png": {"alt": alt}})


def show_table(table: PublishedTable) -> None:
    """Display a table that has passed disclosure control."""
    if not isinstance(table, PublishedTable):
        raise TypeError(
            "show_table takes a PublishedTable from evidence.disclosure, so that "
            f"small numbers are suppressed; got {type(table).__name__}"
        )
    display({TABLE_MIMETYPE: table.to_html(), "text/plain": table.frame.to_string(index=False)}, raw=True)


def show_markdown(text: str) -> None:
    display(Markdown(text))


def declare_inputs(manifests: list[dict[str, Any]]) -> None:
    """Record the processed inputs (from their manifests) in the notebook's output."""
    inputs = [
        {
            "dataset": m["dataset"],
            "path": m["input"]["path"],
            "sha256": m["input"]["sha256"],
            "synthetic": bool(m["synthetic"]),
            "git_revision": m.get("git_revision"),
        }
        for m in manifests
    ]
    display({INPUTS_MIMETYPE: inputs, "text/plain": f"inputs: {json.dumps(inputs)}"}, raw=True)


def save_results(path: str | Path, results: dict[str, Any]) -> None:
    """Write tidy results as JSON (atomically); an empty path writes nothing."""
    if str(path):
        write_text_atomic(Path(path), json.dumps(results, indent=2, default=str) + "\n")
