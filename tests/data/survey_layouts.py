"""The synthetic workforce survey (``evidence.samples.workforce_survey``) as each survey tool exports it.

Run from the project root: ``python tests/data/survey_layouts.py OUT_FOLDER``; the tests call
:func:`write_layouts`. SYNTHETIC: the responses are the shipped sample's. Every layout carries
the same answers, so each must ingest with the shipped definition
(``config/surveys/workforce_survey.yml``) to the same answers table:

* ``qualtrics_labels.csv``: the shipped sample itself (column IDs, question text, import IDs);
* ``qualtrics_numeric.csv``: the same with every choice as its code (the definition's ``codes``:
  band 5 is "Not on Agenda for Change", consent 1 is "Yes");
* ``qualtrics_spss.sav``: codes with value labels, the multi-select split into Q9_1..Q9_7;
* ``microsoft_forms.xlsx``: ID, Start time, Completion time, Email, Name, then question texts;
  real Excel date cells; options each followed by ``;``;
* ``google_forms.csv``: Timestamp (the completion time, DD/MM/YYYY), Email address, questions
  in another order (a "Your name" question among them); no respondent ID; options joined by ``", "``;
* ``surveymonkey.csv``: UTF-8 with BOM, question row and sub-answer row, one column per option,
  Respondent ID, Collector ID, Start Date (MM/DD/YYYY hh:mm:ss AM), End Date, IP Address,
  Email Address, First Name, Last Name, Custom Data 1;
* ``smartsurvey.csv``: the same two-row shape with SmartSurvey's UserID, Started (DD/MM/YYYY),
  Ended, IP Address, Name, Email Address, and numbered question texts ("Q1. ...");
* ``excel_sep_line.csv``: the Qualtrics labels export saved by Excel with its ``sep=,`` line.

Tools that only export completed responses (Forms, SurveyMonkey, SmartSurvey) get no unfinished
rows. The synthetic marker column (``DataLabel``) is kept in every layout, as an embedded-data
field or custom variable would carry it.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from evidence import samples
from evidence.survey.definition import SurveyDefinition, normalise_header, workforce_survey

LAYOUTS = (
    "qualtrics_labels.csv",
    "qualtrics_numeric.csv",
    "qualtrics_spss.sav",
    "microsoft_forms.xlsx",
    "google_forms.csv",
    "surveymonkey.csv",
    "smartsurvey.csv",
    "excel_sep_line.csv",
)
CONSENT_QUESTION = "Do you consent to take part in this survey?"


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _codes(definition: SurveyDefinition, spec: dict, cells: pd.Series) -> pd.Series:
    """Answer wordings as the question's choice codes (missing and unknown wordings kept)."""
    scale = definition.scale(spec["scale"])
    canonical = dict(zip(scale["label"], scale["canonical"], strict=True))
    code_of = {str(answer).casefold(): str(code) for code, answer in spec["codes"].items()}
    folded = cells.fillna("").str.strip().str.casefold().str.replace(r"\s+", " ", regex=True)
    answers = folded.map(canonical).fillna(folded).str.casefold()
    return answers.map(code_of).fillna(cells.fillna(""))


def _options(definition: SurveyDefinition, spec: dict, cells: pd.Series) -> pd.DataFrame:
    """One column per option (canonical wording): True where chosen; rows with no answer all False."""
    options = list(spec["codes"].values())
    parts = cells.fillna("").str.split(",")
    return pd.DataFrame({o: parts.map(lambda chosen, o=o: o in [c.strip() for c in chosen]) for o in options})


def frames(definition: SurveyDefinition | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sample export (column IDs as names) and its completed responses only."""
    definition = definition or workforce_survey()
    frame = samples.workforce_survey.workforce_survey_frame()
    return frame, frame[frame["Finished"] == "True"].reset_index(drop=True)


def _question(definition: SurveyDefinition, source: str) -> str:
    return next(c["question"] for c in definition.columns if c["source"] == source)


def _when(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S")


def qualtrics_numeric(frame: pd.DataFrame, definition: SurveyDefinition) -> bytes:
    coded = frame.copy()
    for spec in definition.columns:
        if spec.get("codes") and spec["kind"] == "category":
            coded[spec["source"]] = _codes(definition, spec, frame[spec["source"]])
        elif spec.get("codes"):
            flags = _options(definition, spec, frame[spec["source"]])
            codes = {answer: str(code) for code, answer in spec["codes"].items()}
            coded[spec["source"]] = flags.apply(
                lambda row, codes=codes: ",".join(codes[o] for o in row.index[row]), axis=1
            )
    coded["Consent"] = frame["Consent"].str.strip().str.casefold().map({"yes": "1", "no": "2"})
    coded["Finished"] = frame["Finished"].map({"True": "1", "False": "0"})
    return samples.workforce_survey.export_csv_bytes(coded, definition)


def qualtrics_spss(frame: pd.DataFrame, definition: SurveyDefinition) -> bytes:
    import pyreadstat

    out = pd.DataFrame(
        {
            "StartDate": _when(frame["StartDate"]),
            "ResponseId": frame["ResponseId"],
            "Finished": frame["Finished"].map({"True": 1.0, "False": 0.0}),
            "RecipientLastName": frame["RecipientName"].str.split(" ", n=1).str[1],
            "RecipientFirstName": frame["RecipientName"].str.split(" ", n=1).str[0],
            "RecipientEmail": frame["RecipientEmail"],
            "Consent": frame["Consent"].str.strip().str.casefold().map({"yes": 1.0, "no": 2.0}),
        }
    )
    labels = {"Finished": {0.0: "False", 1.0: "True"}, "Consent": {1.0: "Yes", 2.0: "No"}}
    for spec in definition.columns:
        source = spec["source"]
        if spec["kind"] == "category":
            out[source] = pd.to_numeric(_codes(definition, spec, frame[source]).replace("", np.nan))
            labels[source] = {float(code): answer for code, answer in spec["codes"].items()}
        elif spec["kind"] == "multiselect":
            flags = _options(definition, spec, frame[source])
            for code, option in spec["codes"].items():
                out[f"{source}_{code}"] = np.where(flags[option], 1.0, np.nan)
                labels[f"{source}_{code}"] = {1.0: option}
        elif spec["kind"] == "integer":
            out[source] = pd.to_numeric(frame[source].replace("", np.nan))
        elif spec["kind"] == "free_text":
            out[source] = frame[source].fillna("")
    out["DataLabel"] = frame["DataLabel"]
    handle, name = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(
            out, name, variable_value_labels=labels, column_labels=[_label(definition, c) for c in out.columns]
        )
        return Path(name).read_bytes()
    finally:
        os.unlink(name)


def _label(definition: SurveyDefinition, column: str) -> str:
    source = column.split("_")[0]
    known = {c["source"]: c["question"] for c in definition.columns}
    return known.get(source, column) if column != "Consent" else CONSENT_QUESTION


def microsoft_forms(completed: pd.DataFrame, definition: SurveyDefinition) -> bytes:
    from openpyxl import Workbook

    questions = [c for c in definition.columns if c["source"].startswith("Q")]
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(
        [
            "ID",
            "Start time",
            "Completion time",
            "Email",
            "Name",
            CONSENT_QUESTION,
            *(c["question"] for c in questions),
            "DataLabel",
        ]
    )
    start, end = _when(completed["StartDate"]), _when(completed["EndDate"])
    pressures = completed["Q9"].fillna("").map(lambda cell: "".join(f"{o};" for o in cell.split(",") if o))
    for i in range(len(completed)):
        answers = [pressures[i] if c["source"] == "Q9" else completed.loc[i, c["source"]] for c in questions]
        sheet.append(
            [
                i + 1,
                start[i].to_pydatetime(),
                end[i].to_pydatetime(),
                completed.loc[i, "RecipientEmail"],
                completed.loc[i, "RecipientName"],
                completed.loc[i, "Consent"],
                *(a if a != "" else None for a in answers),
                "SYNTHETIC",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def google_forms(completed: pd.DataFrame, definition: SurveyDefinition) -> bytes:
    questions = [c for c in definition.columns if c["source"].startswith("Q")][::-1]  # any order
    stamp = _when(completed["EndDate"]).dt.strftime("%d/%m/%Y %H:%M:%S")
    rows = [
        ["Timestamp", "Email address", "Your name", CONSENT_QUESTION, *(c["question"] for c in questions), "DataLabel"]
    ]
    pressures = completed["Q9"].fillna("").str.replace(",", ", ")
    for i in range(len(completed)):
        rows.append(
            [
                stamp[i],
                completed.loc[i, "RecipientEmail"],
                completed.loc[i, "RecipientName"],
                completed.loc[i, "Consent"],
                *(pressures[i] if c["source"] == "Q9" else completed.loc[i, c["source"]] for c in questions),
                "SYNTHETIC",
            ]
        )
    return _csv(rows).encode("utf-8")


def two_row(completed: pd.DataFrame, definition: SurveyDefinition, tool: str) -> bytes:
    """SurveyMonkey's or SmartSurvey's CSV: a question row, a sub-answer row, one column per option."""
    pressures = next(c for c in definition.columns if c["source"] == "Q9")
    flags = _options(definition, pressures, completed["Q9"])
    first, last = (
        completed["RecipientName"].str.split(" ", n=1).str[0],
        completed["RecipientName"].str.split(" ", n=1).str[1],
    )
    start, end = _when(completed["StartDate"]), _when(completed["EndDate"])
    if tool == "surveymonkey":
        meta = {
            "Respondent ID": completed["ResponseId"],
            "Collector ID": pd.Series("431234567", index=completed.index),
            "Start Date": start.dt.strftime("%m/%d/%Y %I:%M:%S %p"),
            "End Date": end.dt.strftime("%m/%d/%Y %I:%M:%S %p"),
            "IP Address": completed["IPAddress"],
            "Email Address": completed["RecipientEmail"],
            "First Name": first,
            "Last Name": last,
            "Custom Data 1": pd.Series("", index=completed.index),
        }
    else:
        meta = {
            "UserID": completed["ResponseId"],
            "Started": start.dt.strftime("%d/%m/%Y %H:%M:%S"),
            "Ended": end.dt.strftime("%d/%m/%Y %H:%M:%S"),
            "IP Address": completed["IPAddress"],
            "Name": completed["RecipientName"],
            "Email Address": completed["RecipientEmail"],
        }
    header, sub, columns = list(meta), [""] * len(meta), list(meta.values())
    number = 0
    for source, question in [("Consent", CONSENT_QUESTION)] + [
        (c["source"], c["question"]) for c in definition.columns if c["source"].startswith("Q")
    ]:
        number += 1
        shown = f"Q{number}. {question}" if tool == "smartsurvey" else question
        if source == "Q9":
            for j, option in enumerate(flags.columns):
                header.append(shown if j == 0 else "")
                sub.append(option)
                columns.append(flags[option].map({True: option, False: ""}))
            continue
        kind = next((c["kind"] for c in definition.columns if c["source"] == source), "category")
        header.append(shown)
        sub.append("Open-Ended Response" if kind in ("free_text", "integer") else "Response")
        columns.append(completed[source])
    header.append("DataLabel")
    sub.append("")
    columns.append(completed["DataLabel"])
    body = pd.concat([c.reset_index(drop=True) for c in columns], axis=1).fillna("").astype(str).values.tolist()
    return _csv([header, sub, *body]).encode("utf-8-sig")


def build(definition: SurveyDefinition | None = None) -> dict[str, bytes]:
    """Every layout's file name -> bytes."""
    definition = definition or workforce_survey()
    frame, completed = frames(definition)
    labels = samples.workforce_survey.export_csv_bytes(frame, definition)
    return {
        "qualtrics_labels.csv": labels,
        "qualtrics_numeric.csv": qualtrics_numeric(frame, definition),
        "qualtrics_spss.sav": qualtrics_spss(frame, definition),
        "microsoft_forms.xlsx": microsoft_forms(completed, definition),
        "google_forms.csv": google_forms(completed, definition),
        "surveymonkey.csv": two_row(completed, definition, "surveymonkey"),
        "smartsurvey.csv": two_row(completed, definition, "smartsurvey"),
        "excel_sep_line.csv": b"\xef\xbb\xbfsep=,\r\n" + labels.removeprefix(b"\xef\xbb\xbf"),
    }


def write_layouts(folder: str | Path) -> dict[str, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in build().items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


assert normalise_header("Q10. Hello  World (select all that apply)") == "hello world"

if __name__ == "__main__":
    for path in write_layouts(sys.argv[1] if len(sys.argv) > 1 else "survey_layouts").values():
        print(path)
