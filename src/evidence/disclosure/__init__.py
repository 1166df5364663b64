"""Statistical disclosure control for every table a report publishes.

The default is the NHS Digital rule for published statistics: counts from 1 to 7 are shown as
``*``, other counts are rounded to the nearest 5, and percentages are calculated from the
rounded counts (NHS Digital, "Disclosure control method for Hospital Episode Statistics and
other published statistics"; the same rule is used across NHS Digital's official statistics).
A subgroup percentage is shown only when its base is at least ``min_base`` responses.

Secondary (complementary) suppression stops a suppressed count being worked out by subtraction
from a total: wherever the cells of a line (a row or a column of a table, or a set of groups)
add up to a total that is, or may be, published, a line with exactly one hidden non-zero count
gets a second one hidden, until every line has none or at least two (see
:func:`complete_suppression`). Means, medians and other statistics about people are shown only
for groups of at least ``min_base`` (:func:`suppress_statistic`, :func:`publish_summary`).

Reports display tables only through :class:`PublishedTable`, which only this package makes, so a
table cannot reach a report without passing through here (``tests/test_disclosure_reports.py``
checks the notebooks statically and runs the reports' table and text functions on a group
below the minimum). Exempt from counting rules, through :func:`publish_estimates` with a note
saying why: study-level effects quoted from published literature (evidence synthesis), model
assumptions, estimates and projections (ROI, workforce projection) - they are not statistics
over this service's people; any column in them that does count people is named in
``count_columns`` and suppressed and rounded like every other count.

The package, imported as ``from evidence import disclosure``, is the one door; its modules:

* :mod:`~evidence.disclosure.rule`: the rule, :func:`round_counts`, :func:`suppress_statistic`
  and :class:`PublishedTable`;
* :mod:`~evidence.disclosure.secondary`: secondary suppression (:func:`complete_suppression`,
  :func:`suppression_pattern`, :func:`protect_groups`);
* :mod:`~evidence.disclosure.counts`: :func:`publish_counts` and :func:`round_count_table`;
* :mod:`~evidence.disclosure.proportions`: :func:`disclosed_proportions`,
  :func:`publish_proportions` and :func:`publish_proportion_grid`;
* :mod:`~evidence.disclosure.summaries`: :func:`publish_summary` and :func:`publish_estimates`.
"""

from evidence.disclosure.counts import publish_counts, round_count_table
from evidence.disclosure.proportions import (
    disclosed_proportions,
    publish_proportion_grid,
    publish_proportions,
)
from evidence.disclosure.rule import (
    SECONDARY_NOTE,
    SUPPRESSED,
    DisclosureRule,
    PublishedTable,
    round_counts,
    suppress_statistic,
)
from evidence.disclosure.secondary import (
    complete_suppression,
    protect_groups,
    suppression_pattern,
    with_totals,
)
from evidence.disclosure.summaries import publish_estimates, publish_summary

__all__ = [
    "SECONDARY_NOTE",
    "SUPPRESSED",
    "DisclosureRule",
    "PublishedTable",
    "complete_suppression",
    "disclosed_proportions",
    "protect_groups",
    "publish_counts",
    "publish_estimates",
    "publish_proportion_grid",
    "publish_proportions",
    "publish_summary",
    "round_count_table",
    "round_counts",
    "suppress_statistic",
    "suppression_pattern",
    "with_totals",
]
