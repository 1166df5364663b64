"""Surveys: a definition (questions, answer scales, codes, identifiers, headline measures), the
cleaning of a raw export against it, and the survey measures. See :mod:`.analysis`."""

from evidence.survey.analysis import (
    CleanSurvey,
    SurveyDefinition,
    analysable,
    clean_export,
    describe_headlines,
    describe_weighting,
    headline_estimates,
    indicator,
    likert_distribution,
    load_margins,
    multiselect_counts,
    proportion_table,
    raking_weights,
    workforce_survey,
)

__all__ = [
    "CleanSurvey", "SurveyDefinition", "analysable", "clean_export", "describe_headlines",
    "describe_weighting", "headline_estimates", "indicator", "likert_distribution", "load_margins",
    "multiselect_counts", "proportion_table", "raking_weights", "workforce_survey",
]
