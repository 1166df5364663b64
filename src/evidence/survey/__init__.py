"""Surveys, each defined by a project file ``config/surveys/<name>.yml``: the definition
(:mod:`.definition`), the export dialects of survey tools (:mod:`.dialects`), cleaning a raw
export (:mod:`.clean`, reading each column's answers with :mod:`.answers`), the statistics
(:mod:`.analysis`: weighting, headline proportions with intervals, answer distributions) and
the report's reading of the definition (:mod:`.report`).

The analysis names are imported when first used (PEP 562), so that ingesting a survey does not
load what only reports need (scipy and the sourced-value layer): an ingest starts faster and
smaller."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from evidence.survey.clean import CleanSurvey, clean_export
from evidence.survey.definition import SurveyDefinition, load_definition, workforce_survey

if TYPE_CHECKING:
    from evidence.survey.analysis import (
        analysable,
        describe_headlines,
        describe_weighting,
        headline_estimates,
        indicator,
        likert_distribution,
        load_margins,
        multiselect_counts,
        proportion_table,
        raking_weights,
    )

_ANALYSIS = (
    "analysable",
    "describe_headlines",
    "describe_weighting",
    "headline_estimates",
    "indicator",
    "likert_distribution",
    "load_margins",
    "multiselect_counts",
    "proportion_table",
    "raking_weights",
)


def __getattr__(name: str) -> object:
    if name in _ANALYSIS:
        value = getattr(importlib.import_module("evidence.survey.analysis"), name)
        globals()[name] = value  # found once; later lookups do not come here
        return value
    raise AttributeError(f"module 'evidence.survey' has no attribute {name!r}")


__all__ = [
    "CleanSurvey",
    "SurveyDefinition",
    "analysable",
    "clean_export",
    "describe_headlines",
    "describe_weighting",
    "headline_estimates",
    "indicator",
    "likert_distribution",
    "load_definition",
    "load_margins",
    "multiselect_counts",
    "proportion_table",
    "raking_weights",
    "workforce_survey",
]
