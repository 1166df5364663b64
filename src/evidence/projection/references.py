"""Published figures a projection quantity refers to: ``published: <file>/<measure_id>`` (a row
of ``data/raw/published/<file>.csv``; percentages become proportions) or ``<a> / <b>``, the
ratio of two such figures, shown with its arithmetic. Each file is read once, and the files
used are remembered for the report's inputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evidence.errors import EvidenceError
from evidence.paths import display_path
from evidence.published import citation, read_published
from evidence.sourced import KeyPath, Problems


class PublishedFigures:
    """Published figures looked up by ``<file>/<measure_id>``, each file read once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tables: dict[str, pd.DataFrame] = {}
        self.used: set[str] = set()

    def find(self, reference: str) -> tuple[pd.Series | None, str]:
        """The row ``reference`` names, or None and why not."""
        file, _, measure = reference.partition("/")
        if not file or not measure:
            return None, "must be <file>/<measure_id>, e.g. rcot_workforce_strategy_2024/ot_leaver_rate"
        if file not in self.tables:
            try:
                self.tables[file] = read_published(file, self.folder)
            except FileNotFoundError:
                return None, f"no published file {display_path(self.folder / (file + '.csv'))}"
            except EvidenceError as error:
                return None, f"published file {file}.csv is invalid: {error}"
        table = self.tables[file]
        if "measure_id" not in table or "value" not in table:
            return None, f"{file}.csv needs columns measure_id and value"
        rows = table[table["measure_id"] == measure]
        if len(rows) != 1:
            return None, f"{file}.csv has {len(rows)} rows with measure_id {measure!r} (need exactly 1)"
        self.used.add(file)
        return rows.iloc[0], ""

    def figure(
        self, reference: str, where: KeyPath, problems: Problems, nation: str | None
    ) -> tuple[float | None, str, str]:
        """(value, citation, detail) of the figure or ratio ``reference`` (at key ``where``),
        which must be for ``nation`` (None: any); problems are collected, value None if any."""
        if " / " in reference:
            return self._ratio(reference, where, problems, nation)
        row, error = self.find(reference)
        if row is None:
            problems.add(where, reference, error)
            return None, "", ""
        value: float | None
        try:
            value = float(row["value"])
        except ValueError:
            problems.add(where, row["value"], "the published value is not a number")
            value = None
        if value is not None and row.get("unit", "").strip().lower() == "percent":
            value /= 100
        row_nation = row.get("nation", "")
        if nation is not None and row_nation and row_nation != nation:
            problems.add(
                where,
                reference,
                f"that figure is for {row_nation}, not {nation}; a figure borrowed from "
                "another nation is an assumption: give value and illustrative: true",
            )
        period = f", {row['period']}" if row.get("period") else ""
        quoted = row.get("quoted_from", "")
        quoted = f"; the page quotes {quoted}" if quoted and quoted != "not named on the page" else ""
        detail = (
            f"{row.get('statement', '')} ({row_nation or 'nation not stated'}{period}; as "
            f"published: {row['value']} {row.get('unit', '')}{quoted})"
        )
        return value, citation(row), detail

    def _ratio(
        self, reference: str, where: KeyPath, problems: Problems, nation: str | None
    ) -> tuple[float | None, str, str]:
        """(value, citation, detail) of ``<file>/<id> / <file>/<id>``: the ratio of two published
        figures, each for ``nation``, with the arithmetic in ``detail``."""
        parts = [p.strip() for p in reference.split(" / ")]
        if len(parts) != 2:
            problems.add(where, reference, "a ratio is <file>/<measure_id> / <file>/<measure_id>")
            return None, "", ""
        rows = []
        for part in parts:
            row, error = self.find(part)
            if row is None:
                problems.add(where, part, error)
                return None, "", ""
            if nation is not None and row.get("nation", "") not in ("", nation):
                problems.add(where, part, f"that figure is for {row['nation']}, not {nation}")
                return None, "", ""
            try:
                rows.append((row, float(row["value"])))
            except ValueError:
                problems.add(where, row["value"], "the published value is not a number")
                return None, "", ""
        (top, a), (bottom, b) = rows
        if b == 0:
            problems.add(where, reference, "the denominator is 0")
            return None, "", ""
        detail = (
            f"Derived: {top['statement']} ({top.get('period', '')}) {top['value']} / {bottom['statement']} "
            f"({bottom.get('period', '')}) {bottom['value']} = {a / b:.3f} "
            f"({top.get('nation') or 'nation not stated'})"
        )
        return a / b, citation(top), detail
