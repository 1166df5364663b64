"""Return on investment of children's OT: an economic model with its uncertainty.

* :mod:`evidence.roi.model`: the model itself, pure and vectorised over probabilistic draws
  (costs, QALYs by area under the curve, SROI-style avoided-cost streams, and the outputs: NPV,
  benefit-cost ratio, ROI, cost per QALY, ICER, net monetary benefit, payback year), with
  Green Book discounting and the yearly benefit profiles in :mod:`evidence.roi.present_value`.
* :mod:`evidence.roi.assumptions`: assumption sets (``config/roi/*.yml``), validated on load
  (one parameter entry's schema in :mod:`evidence.roi.parameter_entries`) into the types of
  :mod:`evidence.roi.assumption_set`; values, sources and distributions are
  :mod:`evidence.sourced`'s.
* :mod:`evidence.roi.records`: inputs from the processed activity and outcome records.
* :mod:`evidence.roi.analysis`: base case, probabilistic sensitivity analysis and its expected
  values (the headline), acceptability curve; :mod:`evidence.roi.sensitivity`: one-way analysis
  and break-even values; :mod:`evidence.roi.scenarios`: the analysis for each tier, horizon and
  scenario.
* :mod:`evidence.roi.report`: the headline in plain words and the main results as display
  tables; :mod:`evidence.roi.report_sensitivity`: the sensitivity and scenario displays;
  :mod:`evidence.roi.report_assumptions`: the assumptions, sources and settings; number formats
  in :mod:`evidence.roi.formatting`.

Figures are in :mod:`evidence.plots.roi`.
"""

from evidence.roi.analysis import (
    Analysis,
    Prepared,
    acceptability_curve,
    analyse,
    cumulative_benefits,
    expected_icer,
    expected_values,
    prepare,
    probabilities,
    summary_table,
    threshold_table,
)
from evidence.roi.assumption_set import AssumptionSet, ModelInput, Scenario
from evidence.roi.assumptions import load_assumptions
from evidence.roi.model import (
    OUTPUTS,
    PARAMETERS,
    ModelResults,
    ModelSettings,
    evaluate,
    hourly_cost,
)
from evidence.roi.present_value import (
    DiscountSchedule,
    discount_factor,
    qaly_profile,
    sroi_present_value,
    sroi_yearly_values,
)
from evidence.roi.records import TIERS, CohortInputs, cohort_inputs
from evidence.roi.scenarios import horizon_scenarios, scenario_analysis, tier_scenarios
from evidence.roi.sensitivity import break_even, one_way
from evidence.sourced import Distribution, Source

__all__ = [
    "OUTPUTS",
    "PARAMETERS",
    "TIERS",
    "Analysis",
    "AssumptionSet",
    "CohortInputs",
    "DiscountSchedule",
    "Distribution",
    "ModelInput",
    "ModelResults",
    "ModelSettings",
    "Prepared",
    "Scenario",
    "Source",
    "acceptability_curve",
    "analyse",
    "break_even",
    "cohort_inputs",
    "cumulative_benefits",
    "discount_factor",
    "evaluate",
    "expected_icer",
    "expected_values",
    "horizon_scenarios",
    "hourly_cost",
    "load_assumptions",
    "one_way",
    "prepare",
    "probabilities",
    "qaly_profile",
    "scenario_analysis",
    "sroi_present_value",
    "sroi_yearly_values",
    "summary_table",
    "threshold_table",
    "tier_scenarios",
]
