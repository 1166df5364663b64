"""The one layer for "a value with a unit, a distribution and a source, or an ``illustrative``
flag", shared by every configuration that holds external figures (ROI assumption sets,
projection assumptions, instrument scale defaults, survey margins):

* :mod:`~evidence.sourced.values`: :class:`Source`, :class:`SourcedValue`, the checks of an
  entry's source and illustrative flag, and one sampler (:func:`draw_values`);
* :mod:`~evidence.sourced.distribution`: :class:`Distribution`, with ``draw`` (a seeded
  :class:`numpy.random.Generator`) and ``quantile``;
* :mod:`~evidence.sourced.problems`: YAML read with the line of every key, and one collector of
  problems, each naming file, line, key, value and what is allowed.

Each configuration module keeps only its own schema: which entries it has, their kinds and
ranges, and what else an entry carries (a price year, a published-figure reference).
"""

from evidence.sourced.distribution import BOUNDED, FIXED, KINDS, Distribution, number_text
from evidence.sourced.problems import (
    ConfigProblem,
    KeyPath,
    Locations,
    Problems,
    check_keys,
    is_number,
    merge_locations,
    raise_if_any,
    read_yaml,
)
from evidence.sourced.values import (
    SOURCE_FIELDS,
    SPREAD_FIELDS,
    Source,
    SourcedValue,
    central_values,
    draw_values,
    provenance,
    spread_provenance,
    structured_source,
    text_source,
)

__all__ = [
    "BOUNDED",
    "FIXED",
    "KINDS",
    "SOURCE_FIELDS",
    "SPREAD_FIELDS",
    "ConfigProblem",
    "Distribution",
    "KeyPath",
    "Locations",
    "Problems",
    "Source",
    "SourcedValue",
    "central_values",
    "check_keys",
    "draw_values",
    "is_number",
    "merge_locations",
    "number_text",
    "provenance",
    "raise_if_any",
    "read_yaml",
    "spread_provenance",
    "structured_source",
    "text_source",
]
