"""The shipped SYNTHETIC sample data (``data/raw/sample/``), made by code, deterministically.

One module a sample, each with a ``SEED`` and ``write_sample(folder, seed=SEED) -> Path``:

* :mod:`.workforce_survey`: an online-survey (Qualtrics-style) export of a UK workforce survey
  of children's OTs, calibrated to the published RCOT 2025 headline figures;
* :mod:`.parent_survey`: a Google Forms export of a parent/carer experience survey;
* :mod:`.outcomes`: an electronic-record extract (episodes, item-level assessments, PREMs) of
  four fictional services;
* :mod:`.service_effects`: an evidence table of per-service effects for 16 invented services.

:mod:`.fiction` holds what they share (invented names, never-issued identifiers, weighted draws,
untidy labels). ``evidence sample`` runs :func:`write_samples`; a test per sample proves that
regenerating it gives the shipped bytes.
"""

from __future__ import annotations

from pathlib import Path

from evidence.samples import outcomes, parent_survey, service_effects, workforce_survey

SAMPLES = (workforce_survey, parent_survey, outcomes, service_effects)


def write_samples(folder: str | Path) -> list[Path]:
    """Write every sample into ``folder`` with its own seed; return the paths written."""
    return [sample.write_sample(folder) for sample in SAMPLES]


__all__ = ["SAMPLES", "outcomes", "parent_survey", "service_effects", "workforce_survey", "write_samples"]
