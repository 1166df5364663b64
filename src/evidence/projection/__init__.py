"""Workforce and waiting-list projection for children's occupational therapy.

* :mod:`~evidence.projection.model`: the stock-and-flow model (pure, vectorised).
* :mod:`~evidence.projection.assumptions`: ``config/projection/*.yml``, checked on load.
* :mod:`~evidence.projection.quantities`: one sourced number (published, source or
  illustrative, with its Monte Carlo range) and how its entry is checked.
* :mod:`~evidence.projection.references`: the published figures (and ratios of two) a quantity
  refers to, read from ``data/raw/published``.
* :mod:`~evidence.projection.scenarios`: Monte Carlo draws and scenarios into one model run.
* :mod:`~evidence.projection.summary`: fan-chart quantiles, horizon tables, headlines, flows.
* :mod:`~evidence.projection.assumption_tables`: the assumptions, scenario and derived tables,
  citations, the illustrative notice and the HCPC register context.
* :mod:`~evidence.projection.checks`: flow balance, flat stock, closed forms, back test.
"""
