"""What a survey's report shows, read from its definition (the ``report:`` section of
``config/surveys/<name>.yml``): the agreement statements to chart, the columns to break the
headlines down by, the multi-select questions to count, and the comment boxes whose
answers are counted (never shown: free text stays out of published reports)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evidence.paths import PROCESSED, resolve
from evidence.survey.definition import SurveyDefinition


@dataclass(frozen=True)
class ReportPlan:
    """The parts of a survey report, each mapping a processed column to its label."""

    subject: str
    agreement: dict[str, str]
    breakdowns: dict[str, str]
    multiselects: dict[str, str]
    comments: tuple[str, ...]


def report_plan(definition: SurveyDefinition) -> ReportPlan:
    """The report section of a definition (checked on load), with defaults: every category
    column of the agreement scale charted, nothing broken down, every multi-select counted."""
    report = definition.report
    agree = [c["name"] for c in definition.columns if c["kind"] == "category" and c.get("scale") == "agree5"]
    return ReportPlan(
        subject=report.get("subject", "respondents"),
        agreement=dict(report.get("agreement") or {name: name.replace("_", " ") for name in agree}),
        breakdowns=dict(report.get("breakdowns") or {}),
        multiselects=dict(
            report.get("multiselects")
            or {c["name"]: c["name"].replace("_", " ") for c in definition.columns if c["kind"] == "multiselect"}
        ),
        comments=tuple(report.get("comments") or ()),
    )


def comments_received(table: pd.DataFrame, plan: ReportPlan) -> dict[str, int]:
    """How many responses wrote something in each comment box (the text is not shown)."""
    return {column: int(table[column].fillna("").str.strip().ne("").sum()) for column in plan.comments}


def processed_path(definition: SurveyDefinition, input_path: str = "") -> str:
    """The processed table of a definition: ``input_path`` if given, else
    ``data/processed/<name>.parquet`` (where ``evidence ingest survey`` writes it)."""
    return input_path or str(resolve(PROCESSED / f"{definition.name}.parquet"))
