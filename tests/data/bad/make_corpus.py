"""Make the bad-input corpus in this folder: malformed survey exports and outcome extracts.

Run from the project root: ``python tests/data/bad/make_corpus.py``. Every case starts from a
small, valid subset of the shipped synthetic sample (``data/raw/sample/``: the first twelve
survey responses; six episodes with their questionnaires and experience questionnaires) and
breaks one thing. ``cases.yml`` beside this script lists every case with the error it must
raise; ``tests/test_bad_inputs.py`` runs them.

Deterministic, byte for byte: CSV files are plain text; the .xlsx workbooks are written by
openpyxl with fixed document dates and then re-zipped, uncompressed, with fixed member dates; the .sav files
are written by pyreadstat with the creation date and time in their header overwritten. A test
rebuilds the corpus in memory and compares bytes with the committed files.

The one large case (a 2 MB line, beyond the csv module's 131,072-character field limit) is not
committed: :func:`enormous_line` makes it at test time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
SURVEY_SAMPLE = SAMPLE / "workforce_survey_2025_synthetic.csv"
OUTCOMES_SAMPLE = SAMPLE / "outcomes_2025_synthetic"
SURVEY_ROWS = 12  # data rows kept from the sample (file rows 4-15)
EPISODES = ("EP100621", "EP101037", "EP101386", "EP100691", "EP100843", "EP100662")
FORMULA = '=HYPERLINK("http://evil.example","click")'
FIXED_DATE = dt.datetime(2025, 1, 1)

Rows = list[list[str]]


# --- building blocks ---------------------------------------------------------------------------


def _parse(text: str) -> Rows:
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]


def csv_text(rows: Rows, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def survey_rows() -> Rows:
    """Three header rows (column IDs, question text, import IDs) and twelve responses."""
    rows = _parse(SURVEY_SAMPLE.read_text(encoding="utf-8-sig"))
    return [list(r) for r in rows[: 3 + SURVEY_ROWS]]


def outcome_rows() -> dict[str, Rows]:
    """The three tables, cut down to :data:`EPISODES`."""
    tables = {}
    for name in ("episodes", "assessments", "prems"):
        rows = _parse((OUTCOMES_SAMPLE / f"{name}.csv").read_text(encoding="utf-8"))
        tables[name] = [rows[0]] + [r for r in rows[1:] if r[0] in EPISODES]
    return tables


def setcell(rows: Rows, row: int, column: str, value: str) -> Rows:
    """Copy of ``rows`` with the cell at file row ``row`` (1-based) of ``column`` replaced."""
    out = [list(r) for r in rows]
    out[row - 1][out[0].index(column)] = value
    return out


def drop_column(rows: Rows, column: str) -> Rows:
    index = rows[0].index(column)
    return [r[:index] + r[index + 1 :] for r in rows]


def rename_column(rows: Rows, old: str, new: str) -> Rows:
    out = [list(r) for r in rows]
    out[0][out[0].index(old)] = new
    return out


def utf8(rows: Rows, bom: bool = True) -> bytes:
    return csv_text(rows).encode("utf-8-sig" if bom else "utf-8")


def xlsx(sheets: dict[str, Rows]) -> bytes:
    """A workbook, one sheet per entry, cells as text (a cell starting with ``=`` becomes a
    formula, as openpyxl writes it); byte-identical on every run."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.properties.created = FIXED_DATE
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every member dated 1980-01-01 (zip members carry the time written)
    and the document's modified date fixed (openpyxl sets it to the time of saving)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_STORED  # no dependence on the zlib version
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z", content)
            target.writestr(fixed, content)
    return buffer.getvalue()


def sav(rows: Rows) -> bytes:
    """An SPSS .sav file of ``rows`` (first row: column names; all string variables), with the
    header's creation date and time fixed so that the bytes do not depend on the clock."""
    import pandas as pd
    import pyreadstat

    names = [re.sub(r"\W+", "_", n).strip("_") for n in rows[0]]  # SPSS names: no spaces or brackets
    frame = pd.DataFrame(rows[1:], columns=names)
    handle, name = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(frame, name)
        data = bytearray(Path(name).read_bytes())
    finally:
        os.unlink(name)
    # SAV header: rec_type(4) prod_name(60) layout(4) nominal_case_size(4) compression(4)
    # weight_index(4) ncases(4) bias(8), then creation_date(9) and creation_time(8).
    data[92:109] = b"01 Jan 2500:00:00"
    return bytes(data)


def one_header_row(rows: Rows) -> Rows:
    """A survey export as a spreadsheet or SPSS holds it: column names, then responses."""
    return [rows[0], *rows[3:]]


def enormous_line(size: int = 2_000_000) -> bytes:
    """A survey export whose fifth row carries a ``size``-character comment and no newline
    (made at test time, not committed)."""
    rows = survey_rows()[:4]
    text = csv_text(rows) + csv_text([setcell(survey_rows(), 5, "Q11", "x" * size)[4]]).rstrip("\r\n")
    return text.encode("utf-8")


# --- the cases ---------------------------------------------------------------------------------


def survey_cases() -> dict[str, bytes]:
    base = survey_rows()
    text = csv_text(base)
    header_only = csv_text(base[:1])
    cases: dict[str, bytes] = {
        "empty.csv": b"",
        "header_only.csv": header_only.encode("utf-8-sig"),
        "header_rows_only.csv": csv_text(base[:3]).encode("utf-8-sig"),
        "semicolon_delimited.csv": csv_text(base, ";").encode("utf-8"),
        "tab_delimited.csv": csv_text(base, "\t").encode("utf-8"),
        "utf8_bom_and_semicolons.csv": csv_text(base, ";").encode("utf-8-sig"),
        "utf16_without_bom.csv": text.encode("utf-16-le"),
        "utf16_with_bom_ok.csv": text.encode("utf-16"),
        "double_bom.csv": ("\ufeff" + text).encode("utf-8-sig"),
        "undefined_cp1252_byte.csv": utf8(setcell(base, 9, "Q11", "Caf\xe9 meeting \x81 notes"), bom=False)
        .replace("Caf\xe9".encode(), b"Caf\xe9")
        .replace("\x81".encode(), b"\x81"),
        "title_row_above_header.csv": utf8(
            [["Children's OT workforce survey 2025: export"] + [""] * (len(base[0]) - 1), *base]
        ),
        "merged_group_header.csv": utf8(
            [[("About you" if i == 0 else "Your service" if i == 12 else "") for i in range(len(base[0]))], *base]
        ),
        "blank_header_name.csv": utf8(rename_column(base, "Q8", "")),
        "duplicate_header_name.csv": utf8(rename_column(base, "Q6", "Q5")),
        "missing_column.csv": utf8(drop_column(base, "Q7")),
        "renamed_column.csv": utf8(rename_column(base, "ResponseId", "Response ID")),
        "duplicate_ids.csv": utf8(setcell(base, 8, "ResponseId", base[4][8])),
        "unknown_answer_code.csv": utf8(setcell(base, 6, "Q4", "Band 12")),
        "out_of_range_number.csv": utf8(setcell(base, 7, "Q10", "75")),
        "impossible_date.csv": utf8(setcell(base, 5, "StartDate", "2025-02-31 10:38:21")),
        "mixed_date_formats.csv": utf8(setcell(base, 6, "StartDate", "06/05/2025 14:22")),
        "number_as_text_pound.csv": utf8(setcell(base, 10, "Q10", "£40")),
        "number_as_text_comma.csv": utf8(setcell(base, 11, "Q10", "1,200")),
        "unbalanced_quote.csv": utf8(base[:7])
        + b'R_x,"Waiting lists are long,no closing quote\r\n'
        + utf8(base[7:], bom=False),
        "ragged_row_long.csv": utf8([*base[:9], base[9] + ["extra"], *base[10:]]),
        "ragged_row_short.csv": utf8([*base[:9], base[9][:-3], *base[10:]]),
        "nul_byte_in_text.csv": utf8(setcell(base, 13, "Q11", "before\x00after")),
        "all_responses_excluded.csv": utf8(
            [
                r if i < 3 else [("No" if name == "Consent" else value) for name, value in zip(base[0], r, strict=True)]
                for i, r in enumerate(base)
            ]
        ),
        "real_data_without_key.csv": utf8([r if i < 3 else r[:-1] + ["LIVE"] for i, r in enumerate(base)]),
        "formula_in_free_text_ok.csv": utf8(
            setcell(
                setcell(
                    setcell(setcell(base, 4, "Q11", FORMULA), 8, "Q11", "+cmd|' /C calc'!A0"),
                    11,
                    "Q11",
                    "@SUM(1+1)*cmd|' /C calc'!A0",
                ),
                12,
                "Q11",
                "-1+1",
            )
        ),
        "export.txt": text.encode("utf-8"),
        "export.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),  # an old binary workbook's signature
    }
    plain = one_header_row(base)
    book = xlsx({"Responses": plain})
    cases |= {
        "two_sheets.xlsx": xlsx({"Responses": plain, "Notes": [["exported by"], ["R. Analyst"]]}),
        "formula_cells.xlsx": xlsx({"Responses": setcell(plain, 5, "Q10", "=5+7")}),
        "formula_in_free_text.xlsx": xlsx({"Responses": setcell(plain, 3, "Q11", FORMULA)}),
        "not_a_zip.xlsx": text.encode("utf-8"),
        "truncated.xlsx": book[: len(book) // 2],
        "zip_without_workbook.xlsx": _zip_of({"readme.txt": b"not a workbook"}),
        "empty_sheet.xlsx": xlsx({"Responses": []}),
        "header_only.xlsx": xlsx({"Responses": plain[:1]}),
        "duplicate_ids.xlsx": xlsx({"Responses": setcell(plain, 6, "ResponseId", plain[1][8])}),
    }
    good_sav = sav(plain)
    cases |= {
        "random_bytes.sav": bytes((i * 37 + 11) % 256 for i in range(2048)),
        "csv_renamed.sav": text.encode("utf-8"),
        "truncated.sav": good_sav[: len(good_sav) // 2],
        "duplicate_ids.sav": sav(setcell(plain, 6, "ResponseId", plain[1][8])),
    }
    return {f"survey/{name}": data for name, data in cases.items()}


def _zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, data in members.items():
            target.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def outcome_cases() -> dict[str, bytes]:
    good = outcome_rows()
    ep, assess, prems = good["episodes"], good["assessments"], good["prems"]
    plain = {name: csv_text(rows).encode("utf-8") for name, rows in good.items()}

    def case(name: str, table: str, data: bytes, suffix: str = ".csv") -> dict[str, bytes]:
        files = {f"{other}.csv": plain[other] for other in good if other != table}
        files[f"{table}{suffix}"] = data
        return {f"outcomes/{name}/{file}": content for file, content in sorted(files.items())}

    def enc(rows: Rows) -> bytes:
        return csv_text(rows).encode("utf-8")

    cases: dict[str, bytes] = {}
    cases |= {f"outcomes/missing_prems_table/{n}.csv": plain[n] for n in ("episodes", "assessments")}
    cases |= case("two_episodes_files", "prems", plain["prems"])
    cases["outcomes/two_episodes_files/episodes.xlsx"] = xlsx({"episodes": ep})
    cases |= case("episodes_empty", "episodes", b"")
    cases |= case("prems_header_only", "prems", enc(prems[:1]))
    cases |= case("episodes_renamed_column", "episodes", enc(rename_column(ep, "ReferralDate", "Referral Dt")))
    cases |= case("prems_missing_column", "prems", enc(drop_column(prems, "Comment")))
    cases |= case("episodes_duplicate_ids", "episodes", enc(setcell(ep, 4, "EpisodeID", ep[2][0])))
    cases |= case("episodes_impossible_date", "episodes", enc(setcell(ep, 3, "ReferralDate", "31/02/2025")))
    cases |= case(
        "assessments_mixed_date_formats", "assessments", enc(setcell(assess, 5, "AssessmentDate", "2024-12-30"))
    )
    cases |= case("episodes_minutes_with_commas", "episodes", enc(setcell(ep, 5, "Band6Minutes", "1,200")))
    cases |= case(
        "episodes_out_of_range_codes",
        "episodes",
        enc(setcell(setcell(ep, 2, "IMDDecile", "11"), 6, "Tier", "Enhanced")),
    )
    cases |= case("assessments_item_out_of_range", "assessments", enc(setcell(assess, 3, "Item5", "12")))
    cases |= case("prems_unknown_fft_answer", "prems", enc(setcell(prems, 2, "FFT", "Excellent")))
    cases |= case("assessments_unknown_episode", "assessments", enc(setcell(assess, 10, "EpisodeID", "EP999999")))
    cases |= case("episodes_semicolon_delimited", "episodes", csv_text(ep, ";").encode("utf-8"))
    cases |= case(
        "prems_undefined_cp1252_byte",
        "prems",
        enc(setcell(prems, 4, "Comment", "Great \x8d help")).replace("\x8d".encode(), b"\x8d"),
    )
    cases |= case("prems_utf16_without_bom", "prems", csv_text(prems).encode("utf-16-le"))
    cases |= case("prems_nul_byte", "prems", enc(setcell(prems, 6, "Comment", "Clear\x00advice")))
    cases |= case("prems_ragged_row", "prems", enc([*prems[:3], prems[3] + ["", "extra"], *prems[4:]]))
    cases |= case("prems_blank_header_name", "prems", enc(rename_column(prems, "Exp3", " ")))
    cases |= case(
        "assessments_unbalanced_quote",
        "assessments",
        enc(assess[:6]) + b'EP100662,"COPM,Baseline,30/12/2024\r\n' + enc(assess[7:]),
    )
    cases |= case("assessments_corrupt_xlsx", "assessments", plain["assessments"], ".xlsx")
    cases |= case(
        "assessments_formula_cells", "assessments", xlsx({"assessments": setcell(assess, 4, "Item1", "=2+3")}), ".xlsx"
    )
    cases |= case("episodes_corrupt_sav", "episodes", bytes(range(256)) * 4, ".sav")
    cases |= case("episodes_utf8_bom_ok", "episodes", csv_text(ep).encode("utf-8-sig"))
    cases |= case(
        "prems_formula_in_comment_ok",
        "prems",
        enc(setcell(setcell(prems, 2, "Comment", FORMULA), 4, "Comment", "-2+3 stars")),
    )
    return cases


def build() -> dict[str, bytes]:
    """Every committed corpus file: path relative to this folder -> bytes."""
    return survey_cases() | outcome_cases() | survey_dialect_cases() | extract_definition_cases()


def write(folder: Path = HERE, files: Callable[[], dict[str, bytes]] = build) -> list[Path]:
    written = []
    for relative, data in files().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


# --- survey: dialects and coded exports (issue 13) ---------------------------------------------


def survey_dialect_cases() -> dict[str, bytes]:
    """Refusals and good-but-tricky inputs of the export dialects: a header differing from
    another only in case, a choice code outside the definition's codes (in a Qualtrics numeric
    export, band code 6 must not become "Band 6"), a summary row under the responses, and
    Excel's ``sep=`` first line."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("survey_layouts", HERE.parent / "survey_layouts.py")
    layouts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layouts)
    from evidence.survey.definition import workforce_survey

    definition = workforce_survey()
    numeric = _parse(layouts.qualtrics_numeric(layouts.frames(definition)[0], definition).decode("utf-8-sig"))
    numeric = numeric[: 3 + SURVEY_ROWS]
    base = survey_rows()
    total = ["Total responses", str(SURVEY_ROWS)] + [""] * (len(base[0]) - 2)
    cases = {
        "case_only_duplicate_header.csv": utf8(rename_column(base, "Q6", "q5")),
        "numeric_code_outside_definition.csv": utf8(setcell(numeric, 6, "Q4", "6")),
        "summary_row_ok.csv": utf8([*base, total]),
        "excel_sep_line_ok.csv": b"\xef\xbb\xbfsep=,\r\n" + utf8(base, bom=False),
        "excel_sep_semicolon.csv": ("sep=;\r\n" + csv_text(base, ";")).encode("utf-8"),
    }
    return {f"survey/{name}": data for name, data in cases.items()}


# --- outcomes extracts read through their definition (config/extracts/outcomes.yml) -------------


def extract_definition_cases() -> dict[str, bytes]:
    """Header matching, dates, date order and systematic problems of outcome extracts (a survey
    export with two headers that differ only in case is in :func:`survey_dialect_cases`)."""
    good = outcome_rows()
    ep, assess, prems = good["episodes"], good["assessments"], good["prems"]

    def enc(rows: Rows) -> bytes:
        return csv_text(rows).encode("utf-8")

    def folder(name: str, files: dict[str, bytes]) -> dict[str, bytes]:
        plain = {f"{table}.csv": enc(rows) for table, rows in good.items()}
        for file in files:  # a table given as .xlsx replaces its .csv
            plain.pop(file.rsplit(".", 1)[0] + ".csv", None)
        return {f"outcomes/{name}/{file}": data for file, data in sorted((plain | files).items())}

    def headers(rows: Rows, names: dict[str, str]) -> Rows:
        return [[names.get(h, h) for h in rows[0]], *rows[1:]]

    def reordered(rows: Rows) -> Rows:
        order = list(reversed(range(len(rows[0]))))
        return [[row[i] for i in order] for row in rows]

    spaced = reordered(
        headers(
            ep,
            {
                "EpisodeID": "Episode ID",
                "NHSNumber": "NHS NUMBER",
                "ChildID": "child_id",
                "DateOfBirth": "DOB",
                "ReferralDate": "Referral Date",
            },
        )
    )
    baseline = next(i for i, r in enumerate(assess) if r[2] == "Baseline" and i > 0)
    follow = next(
        i
        for i, r in enumerate(assess)
        if r[2] == "Follow-up" and r[0] == assess[baseline][0] and r[1] == assess[baseline][1]
    )
    early = setcell(assess, follow + 1, "AssessmentDate", _day_before(assess[baseline][3]))
    pedsql = [i + 1 for i, r in enumerate(assess) if r[1] == "PedsQL"]
    labelled = assess
    for row in pedsql:
        for item in range(1, 24):
            value = labelled[row - 1][labelled[0].index(f"Item{item}")]
            if value:
                labelled = setcell(labelled, row, f"Item{item}", f"{value} - {PEDSQL_WORDS[int(value)]}")
    dated = [assess[0]] + [[_as_date(v) if j == 3 else v for j, v in enumerate(r)] for r in assess[1:]]
    cases: dict[str, bytes] = {}
    cases |= folder("episodes_spaced_upper_headers_ok", {"episodes.csv": enc(spaced)})
    cases |= folder("assessments_follow_up_before_baseline", {"assessments.csv": enc(early)})
    cases |= folder(
        "assessments_case_only_duplicate_header",
        {"assessments.csv": enc([r + [r[assess[0].index("Item5")] if i else "item5"] for i, r in enumerate(assess)])},
    )
    cases |= folder(
        "renamed_headers_in_two_tables",
        {
            "episodes.csv": enc(rename_column(ep, "Tier", "Level of Service")),
            "prems.csv": enc(rename_column(prems, "FFT", "Overall Rating")),
        },
    )
    cases |= folder("assessments_excel_date_cells_ok", {"assessments.xlsx": xlsx({"assessments": dated})})
    cases |= folder(
        "assessments_xlsx_text_date",
        {
            "assessments.xlsx": xlsx(
                {
                    "assessments": [
                        dated[0],
                        *dated[1:4],
                        setcell(assess, 5, "AssessmentDate", "30 June 2025")[4],
                        *dated[5:],
                    ]
                }
            )
        },
    )
    cases |= folder("assessments_labels_for_codes", {"assessments.csv": enc(labelled)})
    return cases


#: PedsQL answer words by code, as an export set to "codes and labels" writes them ("3 - Often").
PEDSQL_WORDS = {0: "Never", 1: "Almost never", 2: "Sometimes", 3: "Often", 4: "Almost always"}


def _as_date(text: str) -> dt.datetime:
    """A DD/MM/YYYY text date as the date a workbook cell holds."""
    return dt.datetime.strptime(text, "%d/%m/%Y")


def _day_before(text: str) -> str:
    return (_as_date(text) - dt.timedelta(days=1)).strftime("%d/%m/%Y")


if __name__ == "__main__":
    paths = write()
    print(f"wrote {len(paths)} files under {HERE}", file=sys.stderr)
