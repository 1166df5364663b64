"""Reporting: report notebooks run as one batch and published as offline HTML.

A notebook's parameters are checked against its ``parameters`` cell (:mod:`.parameters`) and it
shows results through :mod:`.notebook`'s helpers; :mod:`.batch` runs every report of
``config/annual_report.yml`` (``evidence run``) in fresh kernels on a worker pool or a dask
cluster, :mod:`.render` turns each executed notebook into self-contained HTML, and
:mod:`.frontpage` writes the year's front page of findings (read from each report's results by
:mod:`.findings`), the run log and the annual report as one document.
"""
