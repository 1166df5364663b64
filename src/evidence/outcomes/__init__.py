"""Outcomes of children's OT care: from an episode-level extract to what changed for children.

* :mod:`evidence.outcomes.definition`: what an extract holds, read from its definition
  (``config/extracts/<name>.yml``); :mod:`evidence.outcomes.scaffold` writes a first one from an
  extract (``evidence init extract``).
* :mod:`evidence.outcomes.clean`: validating, typing, scoring and de-identifying an extract
  (episodes, assessments, prems) into the processed tables.
* :mod:`evidence.outcomes.analysis`: the statistics over those tables (paired change, effect
  sizes, reliable and meaningful change, attrition and weighting, funnel limits, interrupted
  time series) and their plain-language descriptions.

Figures are in :mod:`evidence.plots.outcomes`. The statistics are this package's public face,
so ``from evidence import outcomes; outcomes.change_summary(...)`` keeps working: every public
name of :mod:`evidence.outcomes.analysis` is re-exported here (a star import, so that a function
added there is available here without a second list to keep in step).
"""

from evidence.outcomes.analysis import *  # noqa: F403
