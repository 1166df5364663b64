"""The three checks for small-study effects a report shows, run together: Egger's test and the
rank-correlation test (:mod:`evidence.synthesis.bias`) and trim-and-fill
(:mod:`evidence.synthesis.trimfill`), each either run or, when it cannot be estimated from
these studies, replaced by the reason in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evidence.synthesis.bias import (
    EggerTest,
    RankCorrelationTest,
    egger_test,
    precision_varies,
    rank_correlation_test,
)
from evidence.synthesis.models import check_effects
from evidence.synthesis.trimfill import TrimFillResult, trim_and_fill

#: Fewer studies than this and funnel-plot tests have too little power (Sterne et al. 2011).
SMALL_STUDY_MINIMUM = 10


@dataclass(frozen=True)
class SmallStudyChecks:
    """The three checks for small-study effects a report shows, each either run or, when it
    cannot be estimated from these studies, None with the reason in ``not_run`` (keyed
    "egger", "rank" and "trim_and_fill"), so that a report can say so in a sentence."""

    egger: EggerTest | None
    rank: RankCorrelationTest | None
    trimfill: TrimFillResult | None
    not_run: dict[str, str]
    k: int

    def summary(self) -> str:
        parts = [
            check.summary() if check is not None else self.not_run[name]
            for name, check in (("egger", self.egger), ("rank", self.rank), ("trim_and_fill", self.trimfill))
        ]
        return "\n".join(parts)

    def to_dict(self) -> dict:
        return {
            "egger": self.egger.to_dict() if self.egger else None,
            "rank_correlation": self.rank.to_dict() if self.rank else None,
            "trim_and_fill": self.trimfill.to_dict() if self.trimfill else None,
            "not_run": dict(self.not_run),
            "k": self.k,
        }


def small_study_checks(
    yi,
    vi,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
    estimator: str = "L0",
    side: str | None = None,
    adjusted_test: str | None = None,
    pi_type: str = "default",
) -> SmallStudyChecks:
    """Egger's test (:func:`egger_test`, ``model="rma"``), the rank correlation test
    (:func:`rank_correlation_test`) and trim-and-fill (:func:`trim_and_fill`, with
    ``estimator``, ``side``, ``adjusted_test`` and ``pi_type``) for one set of studies.

    When every study has the same variance (:func:`precision_varies` is False) the regression
    and the rank correlation cannot be estimated and are not run, nor is trim-and-fill unless
    ``side`` is given (its side otherwise comes from that regression); ``not_run`` says why,
    in words for a report."""
    yi, vi, labels = check_effects(yi, vi, labels, random_effects=method != "FE", minimum=3)
    egger: EggerTest | None
    rank: RankCorrelationTest | None
    if precision_varies(vi):
        egger = egger_test(yi, vi, method, test, level=level)
        rank = rank_correlation_test(yi, vi)
        not_run = {}
    else:
        egger = rank = None
        same = f"every study has the same standard error ({np.sqrt(vi[0]):.3g}), so there is no spread in precision"
        not_run = {
            "egger": f"Egger's regression test cannot be estimated: {same} to regress the effects on.",
            "rank": f"The rank correlation test cannot be computed: {same} to rank the effects against.",
        }
        if side is None:
            not_run["trim_and_fill"] = (
                "Trim-and-fill was not run: it takes the side of the funnel on which studies are "
                "missing from the regression on the standard error, which cannot be estimated "
                "here; give the side (left or right) to run it."
            )
    trimfill = (
        None
        if "trim_and_fill" in not_run
        else trim_and_fill(
            yi, vi, method, test, level, estimator, side, labels, adjusted_test=adjusted_test, pi_type=pi_type
        )
    )
    return SmallStudyChecks(egger=egger, rank=rank, trimfill=trimfill, not_run=not_run, k=len(yi))
