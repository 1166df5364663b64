"""Outcomes of children's OT care: from an episode-level extract to what changed for children.

* :mod:`evidence.outcomes.definition`: what an extract holds, read from its definition
  (``config/extracts/<name>.yml``); :mod:`evidence.outcomes.scaffold` writes a first one from an
  extract (``evidence init extract``).
* :mod:`evidence.outcomes.clean`: validating, typing, scoring and de-identifying an extract
  (episodes, assessments, prems) into the processed tables.
* :mod:`evidence.outcomes.analysis`: the statistics of change over those tables (paired
  change, effect sizes, reliable and meaningful change, attrition and weighting);
  :mod:`evidence.outcomes.report`: their plain-language descriptions;
* :mod:`evidence.outcomes.services`: comparing services (case-mix adjustment, funnel limits,
  per-service effects for evidence synthesis);
* :mod:`evidence.outcomes.waits`: waiting times and their interrupted time series;
* :mod:`evidence.outcomes.experience`: the Friends and Family Test.

Figures are in :mod:`evidence.plots.outcomes`. The statistics are this package's public face,
so ``from evidence import outcomes; outcomes.change_summary(...)`` keeps working: every public
name of those five modules is found here (looked up in them when first asked for, PEP 562, so
that a function added to one is available here without a second list to keep in step, and
ingesting an extract does not load the statistics).
"""

from __future__ import annotations

import importlib
import importlib.util
import types
from typing import Any

#: The modules whose public names this package answers for, in the order they are searched.
STATISTICS = ("analysis", "experience", "report", "services", "waits")


def __getattr__(name: str) -> Any:
    # ``from evidence.outcomes import clean`` asks here first: a submodule is imported as such
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is None:
        for module_name in STATISTICS:
            module = importlib.import_module(f"evidence.outcomes.{module_name}")
            value = getattr(module, name, None)
            if value is not None and not isinstance(value, types.ModuleType):  # what a star import gave
                globals()[name] = value  # found once; later lookups do not come here
                return value
    raise AttributeError(f"module 'evidence.outcomes' has no attribute {name!r}")
