"""Outcomes of children's OT care: from an episode-level extract to what changed for children.

* :mod:`evidence.outcomes.definition`: what an extract holds, read from its definition
  (``config/extracts/<name>.yml``); :mod:`evidence.outcomes.scaffold` writes a first one from an
  extract (``evidence init extract``).
* :mod:`evidence.outcomes.clean`: validating, typing, scoring and de-identifying an extract
  (episodes, assessments, prems) into the processed tables.
* :mod:`evidence.outcomes.analysis`: the statistics of change over those tables (paired
  change, effect sizes, reliable and meaningful change, attrition and weighting) and their
  plain-language descriptions;
* :mod:`evidence.outcomes.services`: comparing services (case-mix adjustment, funnel limits,
  per-service effects for evidence synthesis);
* :mod:`evidence.outcomes.waits`: waiting times and their interrupted time series;
* :mod:`evidence.outcomes.experience`: the Friends and Family Test.

Figures are in :mod:`evidence.plots.outcomes`. The statistics are this package's public face,
so ``from evidence import outcomes; outcomes.change_summary(...)`` keeps working: every public
name of those four modules is re-exported here (star imports, so that a function added to one
is available here without a second list to keep in step).
"""

from evidence.outcomes.analysis import *  # noqa: F403
from evidence.outcomes.experience import *  # noqa: F403
from evidence.outcomes.services import *  # noqa: F403
from evidence.outcomes.waits import *  # noqa: F403
