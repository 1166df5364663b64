"""Surveys, each defined by a project file ``config/surveys/<name>.yml``: the definition
(:mod:`.definition`), the export dialects of survey tools (:mod:`.dialects`), cleaning a raw
export (:mod:`.clean`), the statistics (:mod:`.analysis`: weighting, headline proportions with
intervals, answer distributions) and the report's reading of the definition (:mod:`.report`)."""

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
from evidence.survey.clean import CleanSurvey, clean_export
from evidence.survey.definition import SurveyDefinition, load_definition, workforce_survey

__all__ = [
    "CleanSurvey", "SurveyDefinition", "analysable", "clean_export", "describe_headlines",
    "describe_weighting", "headline_estimates", "indicator", "likert_distribution", "load_definition",
    "load_margins", "multiselect_counts", "proportion_table", "raking_weights", "workforce_survey",
]
