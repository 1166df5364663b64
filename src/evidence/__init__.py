"""evidence: research and evidence synthesis for children's occupational therapy services.

Raw data enter through one door, ingest (:mod:`evidence.ingest`: read, validate, de-identify),
into ``data/processed``; pure, vectorised analysis functions turn the processed tables into
results; thin, parameterised notebooks call them, and :mod:`evidence.reporting` runs the
notebooks as a batch and renders them to offline HTML. One package per concern, each the same
shape (definition or assumptions, clean, statistics or model, report):

* :mod:`evidence.survey`: survey definitions (``config/surveys/``), cleaning and statistics;
* :mod:`evidence.outcomes`: outcome extracts (``config/extracts/``), cleaning and statistics;
* :mod:`evidence.instruments`: the questionnaires, one module each, registered by name;
* :mod:`evidence.roi`: the return-on-investment model and its uncertainty;
* :mod:`evidence.projection`: the workforce and waiting-list projection;
* :mod:`evidence.synthesis`: effect sizes and meta-analysis, as R's metafor;
* :mod:`evidence.plots`: figures with alt text; :mod:`evidence.reporting`: the report batch;
* :mod:`evidence.sourced`: every external figure with its source (or flagged illustrative);
* :mod:`evidence.samples`: the SYNTHETIC sample data in ``data/raw/sample``.

Shared pieces sit beside them (:mod:`~evidence.readers`, :mod:`~evidence.privacy`,
:mod:`~evidence.disclosure`, :mod:`~evidence.paths`, :mod:`~evidence.errors`, ...); the
``evidence`` command is :mod:`evidence.cli`. See ``README.md`` and ``CONTRIBUTING.md``.
"""
