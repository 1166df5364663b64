"""Issue #7, done-when: identifiers planted in the survey and outcome samples, read through
every reader (CSV, .xlsx, .sav), ingested and reported on, appear nowhere in the processed
tables or the reports, and ``evidence audit`` on them is clean.

Planted: an NHS number (valid Modulus 11 check digit, 999 range, which is never issued) with
spaces, without and with dashes; a postcode with and without its space; a date of birth in six
forms (14/07/2016, 2016-07-14, 14 July 2016, 03-Apr-2015, 3rd April 2015, 03.04.15); an e-mail
address, also written "name at domain dot org"; a UK mobile and a landline (Ofcom drama
ranges) in several forms (0044, +44, "(0)", brackets); a street address; a child's name in the
name column and in free text; a parent's name in an *undeclared* name-like column
("Parent_Name") and in free text; and (issue #14) names in no name column of the file: "my son
Oliver Smith", "Amelia-Rose O'Connor", "Oliver's", in survey comments and PREM comments alike.
One batch run is shared by every test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

from evidence import audit, samples
from evidence.ingest import ingest_outcomes, ingest_survey
from evidence.privacy import nhs_number_is_valid
from evidence.reporting.batch import run_batch

from .conftest import ROOT, run_audit_command

pytestmark = pytest.mark.slow

NHS_FORMS = ["999 000 1006", "9990001006", "999-000-1006"]
POSTCODE_FORMS = ["CF10 3NQ", "CF103NQ", "cf10 3nq"]
DOB_FORMS = ["14/07/2016", "2016-07-14", "14 July 2016"]
ISSUE_DOB_FORMS = ["03-Apr-2015", "3rd April 2015", "03.04.15"]
EMAIL = "zeb.quartermaine@example.net"
SPOKEN_EMAIL = "jo.bloggs at example dot org"
MOBILE_FORMS = ["07700 900777", "07700900777", "+44 7700 900777"]
ISSUE_PHONE_FORMS = ["0044 7700 900123", "+44 (0)20 7946 0958", "+44 (0) 7700 900456"]
LANDLINE_FORMS = ["020 7946 0321", "02079460321", "(020) 7946 0321"]
ADDRESS = "12 High Street"
CHILD, PARENT = "Zebedee Quartermaine", "Ottoline Fairweather"
#: Names in no name column of either file (issue #14).
UNLISTED = ["Oliver Smith", "Amelia-Rose O'Connor", "Oliver's"]
PLANTED = [
    *NHS_FORMS,
    *POSTCODE_FORMS,
    *DOB_FORMS,
    *ISSUE_DOB_FORMS,
    EMAIL,
    SPOKEN_EMAIL,
    *MOBILE_FORMS,
    *ISSUE_PHONE_FORMS,
    *LANDLINE_FORMS,
    ADDRESS,
    CHILD,
    PARENT,
    *CHILD.split(),
    *PARENT.split(),
    "Oliver",
    "Smith",
    "Amelia",
    "O'Connor",
    "jo.bloggs",
    "900123",
    "0958",
    "900456",
]
FORMATS = ("csv", "xlsx", "sav")
EPISODES = 500  # a slice of the outcome sample keeps the test fast
RESPONSES = 240


def _free_text(i: int) -> str:
    return (
        f"Ring {MOBILE_FORMS[i]} or {LANDLINE_FORMS[i]}, or e-mail {EMAIL}. NHS number "
        f"{NHS_FORMS[i]}, born {DOB_FORMS[i]}, lives at {POSTCODE_FORMS[i]}. {CHILD} and "
        f"{PARENT.split()[0]} {PARENT.split()[1]} say thank you. My son {UNLISTED[0]} has waited "
        f"two years; {UNLISTED[1]} too, and {UNLISTED[2]} chair is broken. Call {ISSUE_PHONE_FORMS[i]} "
        f"(work). DOB: {ISSUE_DOB_FORMS[i]}. Write to {SPOKEN_EMAIL} or {ADDRESS}."
    )


def _survey_frame() -> pd.DataFrame:
    frame = samples.workforce_survey.workforce_survey_frame().head(RESPONSES).copy()
    answered = frame.index[
        (frame["Consent"].str.strip().str.casefold() == "yes") & (frame["Finished"].isin(["True", "1"]))
    ][:3]
    for i, row in enumerate(answered):
        frame.loc[row, "Q11"] = _free_text(i)
        frame.loc[row, "RecipientName"] = CHILD
        frame.loc[row, "Postcode"] = POSTCODE_FORMS[i]
    frame.loc[answered[0], "RecipientEmail"] = EMAIL
    extra = {
        "Child name": CHILD,
        "Parent_Name": PARENT,
        "email address": EMAIL,
        "Date of birth": DOB_FORMS[0],
        "NHS number": NHS_FORMS[0],
        "Mobile": MOBILE_FORMS[0],
        "Notes": f"NHS {NHS_FORMS[1]}",
    }
    for column, value in extra.items():
        frame[column] = ""
        frame.loc[answered, column] = value
    return frame


def _outcome_frames() -> dict[str, pd.DataFrame]:
    frames = samples.outcomes.outcome_frames()
    episodes = frames["episodes"].head(EPISODES).copy()
    keep = set(episodes["EpisodeID"])
    assessments = frames["assessments"][frames["assessments"]["EpisodeID"].isin(keep)].copy()
    prems = frames["prems"][frames["prems"]["EpisodeID"].isin(keep)].copy()
    planted = prems.index[:3]
    for i, row in enumerate(planted):
        prems.loc[row, "Comment"] = _free_text(i)
        at = episodes.index[episodes["EpisodeID"] == prems.loc[row, "EpisodeID"]]
        episodes.loc[at, ["NHSNumber", "ChildName", "DateOfBirth", "Postcode"]] = [
            NHS_FORMS[i],
            CHILD,
            DOB_FORMS[0],
            POSTCODE_FORMS[i],
        ]
        episodes.loc[at, "Parent_Name"] = PARENT
        episodes.loc[at, "email address"] = EMAIL
        episodes.loc[at, "Phone"] = LANDLINE_FORMS[i]
    episodes = episodes.fillna("")
    prems["Carer name"] = ""
    prems.loc[planted, "Carer name"] = PARENT
    assessments["Notes"] = ""
    assessments.loc[assessments.index[:2], "Notes"] = f"NHS {NHS_FORMS[2]}"
    return {"episodes": episodes, "assessments": assessments, "prems": prems}


def _sav_name(column: str) -> str:
    """SPSS variable names: letters, digits and underscores."""
    return re.sub(r"\W+", "_", column.replace(" (in seconds)", "")).strip("_")


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        path.write_bytes(samples.outcomes.csv_bytes(frame))
    elif path.suffix == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False)
    else:
        pyreadstat.write_sav(frame.rename(columns=_sav_name), str(path))
    return path


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    """Write both samples in every format, ingest each into its own processed folder, run the
    reports that read them once (in one batch), and return the folders."""
    base = tmp_path_factory.mktemp("planted")
    survey, outcomes = _survey_frame(), _outcome_frames()
    assert nhs_number_is_valid(NHS_FORMS[1])
    processed, manifests = {}, {}
    for fmt in FORMATS:
        raw = base / "raw" / fmt
        (raw / "outcomes").mkdir(parents=True)
        survey_path = _write(survey, raw / f"survey.{fmt}")
        for name, frame in outcomes.items():
            _write(frame, raw / "outcomes" / f"{name}.{fmt}")
        processed[fmt] = base / f"processed_{fmt}"
        manifests[fmt] = (
            ingest_survey(survey_path, processed[fmt], environ={}),
            ingest_outcomes(raw / "outcomes", processed[fmt], environ={}),
        )
    reports = []
    for fmt in FORMATS:
        reports.append(
            {
                "name": f"survey_{fmt}",
                "notebook": str(ROOT / "notebooks" / "workforce_survey.ipynb"),
                "parameters": {
                    "year": 2025,
                    "nation": "All",
                    "weighting": False,
                    "input_path": str(processed[fmt] / "workforce_survey.parquet"),
                },
            }
        )
        reports.append(
            {
                "name": f"outcomes_{fmt}",
                "notebook": str(ROOT / "notebooks" / "intervention_outcomes.ipynb"),
                "parameters": {
                    "year": 2025,
                    "service": "All",
                    "instrument": "pedsql",
                    "scale": "total",
                    "outcomes_folder": str(processed[fmt]),
                },
            }
        )
    config = base / "planted.yml"
    config.write_text(
        yaml.safe_dump({"year": 2025, "title": "Planted identifiers", "kernel": "evidence", "reports": reports})
    )
    out = base / "reports"
    outcome = run_batch(config, out, show_progress=False, workers=2, force=True, timeout=600)
    return {"processed": processed, "manifests": manifests, "reports": out, "outcome": outcome}


def _everything_as_text(folder: Path) -> str:
    """Every file under ``folder``: parquet tables decoded to CSV, everything else as text."""
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            parts.append(pd.read_parquet(path).to_csv(index=False))
        else:
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def test_every_report_ran(planted_run):
    results = planted_run["outcome"].results
    assert {r.status for r in results} == {"succeeded"}, [(r.job.name, r.error) for r in results]
    assert planted_run["outcome"].leaks == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_planted_values_appear_nowhere(planted_run, fmt):
    folders = [planted_run["processed"][fmt], planted_run["reports"]]
    text = "\n".join(_everything_as_text(f) for f in folders).casefold()
    for marker in (
        "[nhs number removed]",
        "[phone removed]",
        "[email removed]",
        "[date removed]",
        "[postcode removed]",
        "[name removed]",
        "[address removed]",
    ):
        assert marker in text  # the scan did read the redacted comments
    leaked = [value for value in PLANTED if re.search(rf"(?<!\w){re.escape(value.casefold())}(?!\w)", text)]
    assert leaked == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_audit_is_clean(planted_run, fmt):
    processed, reports = planted_run["processed"][fmt], planted_run["reports"]
    interim = processed.parent / f"interim_{fmt}"  # none derived: only the processed tables and reports
    assert audit.audit(processed, reports, interim) == []
    run = run_audit_command(processed, interim, reports)
    assert run.returncode == 0, run.stderr
    # the raw-value check knows the planted values, so a leak would have been found
    raw_values = audit.raw_identifier_values(processed)
    assert {CHILD, PARENT, EMAIL} <= raw_values


@pytest.mark.parametrize("fmt", FORMATS)
def test_manifests_list_dropped_columns_and_count_redactions(planted_run, fmt):
    survey_manifest, outcome_manifest = planted_run["manifests"][fmt]
    identity = survey_manifest["de_identification"]
    named = {
        _sav_name(c) if fmt == "sav" else c
        for c in ("Child name", "Parent_Name", "email address", "Date of birth", "NHS number", "Mobile")
    }
    assert named <= set(identity["identifier_columns_dropped"])
    assert named.isdisjoint(survey_manifest["columns_not_carried"])
    assert "Notes" in survey_manifest["columns_not_carried"]
    redactions = identity["free_text_redactions"]
    for kind in ("email", "nhs_number", "phone", "date", "postcode", "name", "address"):
        assert redactions[kind] >= 3, (kind, redactions)
    dropped = outcome_manifest["de_identification"]["undeclared_identifier_columns_dropped"]
    assert dropped["episodes"] == [
        "Parent_Name",
        _sav_name("email address") if fmt == "sav" else "email address",
        "Phone",
    ]
    assert dropped["prems"] == [_sav_name("Carer name") if fmt == "sav" else "Carer name"]
    counts = outcome_manifest["de_identification"]["free_text_redactions"]
    for kind in ("email", "nhs_number", "phone", "date", "postcode", "name", "address"):
        assert counts[kind] >= 3, (kind, counts)
    json.dumps(outcome_manifest)
