"""Reporting: notebook parameters, execution with papermill, offline HTML, and the index."""
