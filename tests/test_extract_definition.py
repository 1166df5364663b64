"""Outcome extracts read through their definition (``config/extracts/<name>.yml``): the
definition is checked on load (file, line, key, what is allowed); headers are matched by name
and alias ignoring case, spacing and order; dates follow the declared formats, and Excel date
cells are dates; a follow-up dated before its baseline is refused; every problem of every table
comes in one run; a systematic problem costs a bounded amount of work."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evidence import errors, privacy, samples
from evidence.errors import ConfigError, RepeatedProblem, ValidationError
from evidence.ingest import ingest_outcomes, load_outcomes
from evidence.outcomes.assessments import follow_up_before_baseline
from evidence.outcomes.definition import DEFAULT_DEFINITION, load_extract_definition
from evidence.outcomes.extract_layout import header_key
from evidence.validation import SINGLE_LIMIT, condensed

from .conftest import ROOT

SAMPLE = ROOT / "data" / "raw" / "sample" / samples.outcomes.FOLDER
SHIPPED = ROOT / DEFAULT_DEFINITION
TABLES = ("episodes", "assessments", "scores", "prems")


@pytest.fixture(scope="module")
def frames():
    return {
        name: pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("episodes", "assessments", "prems")
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The shipped sample ingested with the shipped definition: what every variant must give."""
    out = tmp_path_factory.mktemp("reference")
    ingest_outcomes(SAMPLE, out, environ={})
    return load_outcomes(out)[0]


def _write(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        (folder / f"{name}.csv").write_bytes(samples.outcomes.csv_bytes(frame))
    return folder


def _definition(tmp_path: Path, edit=None, name: str = "outcomes") -> Path:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    if edit:
        edit(data)
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _same_tables(out: Path, reference: dict[str, pd.DataFrame], name: str = "outcomes") -> None:
    tables, _ = load_outcomes(out, name)
    for table in TABLES:
        pd.testing.assert_frame_equal(tables[table], reference[table], obj=table)


# --- the definition file ---------------------------------------------------------------------


def test_the_shipped_definition_loads_and_names_todays_outputs():
    definition = load_extract_definition()
    assert definition.name == "outcomes"
    assert definition.date_formats == ("DD/MM/YYYY",)
    assert definition.instrument_order == ("pedsql", "sdq", "copm", "gas")
    assert definition.categories["Timepoint"] == ("Baseline", "Follow-up")
    assert definition.codes["Timepoint"]["discharge"] == "Follow-up"
    assert definition.tables["assessments"].item_count == 30


def test_header_key_ignores_case_spacing_and_punctuation():
    assert {header_key(h) for h in ("Episode ID", "EPISODE_ID", "EpisodeID", " episode-id ")} == {"episodeid"}
    assert header_key("NHS Number") == header_key("NHSNumber")


def test_every_mistake_in_a_definition_is_named_with_its_line_and_what_is_allowed(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text(
        "description: test\n"  # 1
        "dates: [DD/MM/YYYY, MM/DD/YYYY]\n"  # 2
        "tables:\n"  # 3
        "  episodes:\n"  # 4
        "    columns:\n"  # 5
        "      EpisodeId: {aliases: [Episode Ref]}\n"  # 6
        "      Sex: {aliases: [Gender, Tier]}\n"  # 7
        "  assessments: {}\n"  # 8
        "  prems: {}\n"  # 9
        "instruments:\n"  # 10
        "  pedsql: [PedsQL]\n"  # 11
        "  vineland: [Vineland]\n"  # 12
        "codes:\n"  # 13
        "  Sex: {Female: [f], Male: [f]}\n"  # 14
        "  PrimaryNeed: {Other: []}\n"  # 15
        "  Tier: {Universal: [], Targeted: []}\n"  # 16
        "  Timepoint: {Baseline: [], Follow-up: []}\n"  # 17
        "  FFT: {Very good: [], Good: [], Neither good nor poor: [], Poor: [], Very poor: [], Don't know: []}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_extract_definition(path)
    message = str(caught.value)
    assert "broken.yml: 6 mistake(s) in the extract definition" in message
    for expected in [
        "line 2, dates.1: unknown date format 'MM/DD/YYYY'; allowed: DD/MM/YYYY, DD-MM-YYYY",
        "line 6, tables.episodes.columns.EpisodeId: unknown key 'EpisodeId'; allowed: EpisodeID, ChildID",
        "line 7, tables.episodes.columns.Sex.aliases: the header 'Tier' would name both Sex and Tier",
        "line 12, instruments.vineland: 'vineland' is not a registered instrument; allowed: copm, gas, pedsql, sdq",
        "line 14, codes.Sex.Male: the wording 'f' is already listed for 'Female'",
        "line 16, codes.Tier: the answers of Tier are fixed: Universal, Targeted, Specialist; missing: Specialist",
    ]:
        assert expected in message
    assert message.index("line 2,") < message.index("line 16,")  # in the order of the file


def test_a_definition_that_is_not_yaml_or_not_there_is_named(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("tables: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yml, line 2: not valid YAML"):
        load_extract_definition(path)
    with pytest.raises(ConfigError, match="cannot read the extract definition"):
        load_extract_definition(tmp_path / "missing.yml")
    (tmp_path / "My Service.yml").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be lower-case letters"):
        load_extract_definition(tmp_path / "My Service.yml")


# --- headers -----------------------------------------------------------------------------------


def test_headers_in_any_case_spacing_order_and_declared_aliases_give_the_same_tables(tmp_path, frames, reference):
    renamed = {
        "episodes": frames["episodes"].rename(
            columns={
                "EpisodeID": "Episode ID",
                "NHSNumber": "NHS Number",
                "ReferralDate": "REFERRAL_DATE",
                "Sex": "Gender",
                "DateOfBirth": "DOB",
            }
        ),
        "assessments": frames["assessments"].rename(
            columns={"EpisodeID": "episode id", "Instrument": "Measure", **{f"Item{i}": f"Q{i}" for i in range(1, 31)}}
        ),
        "prems": frames["prems"].rename(columns={"FFT": "Friends and Family Test"}),
    }
    renamed = {name: frame[list(reversed(frame.columns))] for name, frame in renamed.items()}
    folder = _write(tmp_path / "extract", renamed)
    ingest_outcomes(folder, tmp_path / "out", environ={})
    _same_tables(tmp_path / "out", reference)
    ingest_outcomes(folder, tmp_path / "blocks", environ={}, block_bytes=200_000)  # block by block
    blocks, _ = load_outcomes(tmp_path / "blocks")
    pd.testing.assert_frame_equal(blocks["assessments"], reference["assessments"], check_dtype=False)


def test_problems_name_the_header_as_the_file_writes_it(tmp_path, frames):
    episodes = frames["episodes"].rename(columns={"IMDDecile": "IMD Decile"})
    episodes.loc[3, "IMD Decile"] = "11"
    folder = _write(tmp_path / "extract", {**frames, "episodes": episodes})
    with pytest.raises(ValidationError, match=r"episodes.csv, row 5, column 'IMD Decile': value '11'"):
        ingest_outcomes(folder, tmp_path / "out", environ={})


def test_renamed_headers_of_every_table_and_their_values_come_in_one_run(tmp_path, frames):
    broken = {
        "episodes": frames["episodes"].rename(columns={"Tier": "Level"}),
        "assessments": frames["assessments"].copy(),
        "prems": frames["prems"].rename(columns={"Comment": "Remarks"}),
    }
    broken["assessments"].loc[0, "Item1"] = "99"
    with pytest.raises(ValidationError) as caught:
        ingest_outcomes(_write(tmp_path / "extract", broken), tmp_path / "out", environ={})
    where = {(Path(p.file).name, p.row, p.column) for p in caught.value.problems}
    assert where == {("episodes.csv", 1, "Tier"), ("prems.csv", 1, "Comment"), ("assessments.csv", 2, "Item1")}


def test_two_headers_naming_one_column_are_refused_naming_both(tmp_path, frames):
    episodes = frames["episodes"].assign(**{"Episode ID": frames["episodes"]["EpisodeID"]})
    with pytest.raises(
        ValidationError,
        match=r"the headers 'EpisodeID' \(column 1\) and 'Episode ID' "
        r"\(column 21\) both name EpisodeID",
    ):
        ingest_outcomes(_write(tmp_path / "extract", {**frames, "episodes": episodes}), tmp_path / "out", environ={})


def test_identifier_columns_may_be_absent(tmp_path, frames, reference):
    episodes = frames["episodes"].drop(columns=["NHSNumber", "ChildName", "Postcode"])
    manifest = ingest_outcomes(
        _write(tmp_path / "extract", {**frames, "episodes": episodes}), tmp_path / "out", environ={}
    )
    assert manifest["de_identification"]["identifier_columns_dropped"] == ["DateOfBirth"]
    tables, _ = load_outcomes(tmp_path / "out")
    pd.testing.assert_frame_equal(tables["episodes"], reference["episodes"])


# --- outputs named after the definition ----------------------------------------------------------


def test_outputs_are_named_after_the_definition_and_the_file_names_come_from_it(tmp_path, frames, reference):
    def rename_files(data):
        data["tables"]["episodes"]["file"] = "Episode_Extract"

    definition = _definition(tmp_path, rename_files, name="riverside")
    folder = _write(
        tmp_path / "extract",
        {"Episode_Extract": frames["episodes"], "assessments": frames["assessments"], "prems": frames["prems"]},
    )
    manifest = ingest_outcomes(folder, tmp_path / "out", environ={}, definition=definition)
    assert manifest["dataset"] == "riverside" and manifest["output"]["scores"] == "riverside_scores.parquet"
    assert manifest["definition"]["path"].endswith("riverside.yml")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "riverside.manifest.json",
        "riverside_assessments.parquet",
        "riverside_episodes.parquet",
        "riverside_prems.parquet",
        "riverside_scores.parquet",
    ]
    _same_tables(tmp_path / "out", reference, "riverside")


# --- dates ---------------------------------------------------------------------------------------


def _rewrite_dates(frames: dict[str, pd.DataFrame], fmt: str) -> dict[str, pd.DataFrame]:
    columns = {
        "episodes": ["DateOfBirth", "ReferralDate", "AssessmentDate", "DischargeDate"],
        "assessments": ["AssessmentDate"],
        "prems": ["CompletedDate"],
    }
    out = {}
    for name, frame in frames.items():
        frame = frame.copy()
        for column in columns[name]:
            dates = pd.to_datetime(frame[column].replace("", None), format="%d/%m/%Y")
            frame[column] = dates.dt.strftime(fmt).fillna("")
        out[name] = frame
    return out


@pytest.mark.parametrize(("declared", "fmt"), [("YYYY-MM-DD", "%Y-%m-%d"), ("DD Mon YYYY", "%d %b %Y")])
def test_declared_date_formats_are_read(tmp_path, frames, reference, declared, fmt):
    definition = _definition(tmp_path, lambda data: data.update(dates=[declared]))
    folder = _write(tmp_path / "extract", _rewrite_dates(frames, fmt))
    assert "03 Apr 2024" in dt.date(2024, 4, 3).strftime(fmt) or fmt == "%Y-%m-%d"
    ingest_outcomes(folder, tmp_path / "out", environ={}, definition=definition)
    _same_tables(tmp_path / "out", reference)


def test_undeclared_date_formats_are_refused_pointing_at_the_declaration(tmp_path, frames):
    folder = _write(tmp_path / "extract", _rewrite_dates(frames, "%Y-%m-%d"))
    with pytest.raises(ValidationError) as caught:
        ingest_outcomes(folder, tmp_path / "out", environ={})
    message = str(caught.value)
    assert (
        "must be a real date written DD/MM/YYYY (the formats declared in config/extracts/outcomes.yml, line 9"
        in message
    )


def test_excel_date_cells_are_dates_and_text_dates_are_told_apart(tmp_path, frames):
    from openpyxl import Workbook

    episodes = frames["episodes"].head(40)  # a workbook is slow to write and read: a few episodes
    few = {name: frame[frame["EpisodeID"].isin(episodes["EpisodeID"])] for name, frame in frames.items()}
    ingest_outcomes(_write(tmp_path / "as_csv", few), tmp_path / "reference", environ={})
    assessments = few["assessments"]
    book = Workbook()
    sheet = book.active
    sheet.append(list(assessments.columns))
    for row in assessments.itertuples(index=False):
        cells = [None if v == "" else v for v in row]
        cells[3] = dt.datetime.strptime(row.AssessmentDate, "%d/%m/%Y")  # a real date cell
        sheet.append(cells)
    folder = _write(tmp_path / "extract", {"episodes": few["episodes"], "prems": few["prems"]})
    book.save(folder / "assessments.xlsx")
    ingest_outcomes(folder, tmp_path / "out", environ={})
    _same_tables(tmp_path / "out", load_outcomes(tmp_path / "reference")[0])

    sheet["D3"] = "31 June 2025"  # text, and not a date in any declared format
    book.save(folder / "assessments.xlsx")
    with pytest.raises(ValidationError) as caught:
        ingest_outcomes(folder, tmp_path / "out2", environ={})
    message = str(caught.value)
    assert (
        "assessments.xlsx, row 3, column 'AssessmentDate': value '31 June 2025': must be a real date: "
        "this cell holds text, not an Excel date" in message
    )
    assert "write DD/MM/YYYY" not in message


# --- a follow-up dated before its baseline --------------------------------------------------------


def test_a_follow_up_before_its_baseline_is_named_by_row():
    keys = pd.DataFrame(
        {
            "episode_id": ["E1", "E1", "E1", "E2", "E2", "E3"],
            "instrument": ["pedsql", "pedsql", "sdq", "pedsql", "pedsql", "pedsql"],
            "timepoint": ["Baseline", "Follow-up", "Follow-up", "Follow-up", "Baseline", "Follow-up"],
            "assessment_date": pd.to_datetime(
                ["2025-03-07", "2025-03-06", "2025-01-01", "2025-05-01", "2025-05-01", "2024-01-01"]
            ),
            "value": ["07/03/2025", "06/03/2025", "01/01/2025", "01/05/2025", "01/05/2025", "01/01/2024"],
            "row": [2, 3, 4, 5, 6, 7],
        }
    )
    # E1 pedsql: follow-up a day early (refused); E1 sdq and E3: no baseline to compare;
    # E2: the same day is allowed
    (problem,) = follow_up_before_baseline(keys, "assessments.csv")
    assert (problem.row, problem.column, problem.value) == (3, "AssessmentDate", "06/03/2025")
    assert "a follow-up dated before its baseline (row 2, 07/03/2025)" in problem.rule


def test_a_follow_up_before_its_baseline_is_found_across_blocks(tmp_path, frames):
    assessments = frames["assessments"].copy()
    pedsql = assessments[assessments["Instrument"] == "PedsQL"]
    baselines = pedsql[pedsql["Timepoint"] == "Baseline"].drop_duplicates("EpisodeID")
    follow_ups = pedsql[pedsql["Timepoint"] == "Follow-up"]
    follow = follow_ups.index[follow_ups["EpisodeID"].isin(baselines["EpisodeID"])][0]
    baseline = baselines.index[baselines["EpisodeID"] == assessments.loc[follow, "EpisodeID"]][0]
    moved = assessments.loc[[follow]].assign(AssessmentDate="01/01/2020")
    assessments = pd.concat([assessments.drop(index=follow), moved], ignore_index=True)  # last row, last block
    folder = _write(tmp_path / "extract", {**frames, "assessments": assessments})
    for block_bytes in (None, 100_000):
        with pytest.raises(ValidationError) as caught:
            ingest_outcomes(folder, tmp_path / "out", environ={}, block_bytes=block_bytes)
        (problem,) = caught.value.problems
        assert (problem.row, problem.value) == (len(assessments) + 1, "01/01/2020")
        assert f"(row {baseline + 2}," in problem.rule


# --- systematic problems: one line each, bounded work ----------------------------------------------


def test_many_problems_of_one_rule_become_one_line_with_count_and_first_rows():
    many = [errors.Problem("a.csv", row, "Item1", "3 - Often", "rule") for row in range(2, 40)]
    (one,) = condensed(many + [errors.Problem("a.csv", 50, "Item2", "x", "rule")])[:1]
    assert isinstance(one, RepeatedProblem) and one.count == 38 and one.rows == tuple(range(2, 12))
    text = str(ValidationError(condensed(many + [errors.Problem("a.csv", 50, "Item2", "x", "rule")])))
    assert text.startswith("39 problem(s) found")
    assert "a.csv, row 50, column 'Item2': value 'x': rule" in text
    assert (
        "a.csv, column 'Item1': 38 rows, the first 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ... "
        "(row 2: value '3 - Often'): rule" in text
    )
    few = many[:SINGLE_LIMIT]
    assert condensed(few) == few


def _labelled_extract(folder: Path, frames: dict[str, pd.DataFrame], rows: int) -> Path:
    """The sample tiled to ``rows`` questionnaires, every PedsQL item written '<code> - <label>'."""
    copies = -(-rows // len(frames["assessments"]))
    tiled = {}
    for name, frame in frames.items():
        parts = []
        for copy in range(copies):
            part = frame.copy()
            for column in ("EpisodeID", "ChildID"):
                if column in part:
                    part[column] = part[column] + f"-{copy}"
            if "ChildName" in part:
                part["ChildName"] = part["ChildName"] + f" {chr(65 + copy)}"
            parts.append(part)
        tiled[name] = pd.concat(parts, ignore_index=True)
    assessments = tiled["assessments"].iloc[:rows].copy()
    pedsql = assessments["Instrument"] == "PedsQL"
    words = {
        "0": "0 - Never",
        "1": "1 - Almost never",
        "2": "2 - Sometimes",
        "3": "3 - Often",
        "4": "4 - Almost always",
    }
    for item in range(1, 24):
        assessments.loc[pedsql, f"Item{item}"] = assessments.loc[pedsql, f"Item{item}"].map(words).fillna("")
    return _write(folder, {**tiled, "assessments": assessments})


def _work(monkeypatch, folder: Path, out: Path) -> tuple[dict[str, int], ValidationError]:
    """Ingest ``folder`` counting the work done on its problems: Problem objects made, values
    masked and regular expressions compiled (the re module's cache emptied first)."""
    counts = {"problems": 0, "masked": 0, "compiled": 0}
    for cls in (errors.Problem, RepeatedProblem):
        original = cls.__init__

        def counting(self, *args, _original=original, **kwargs):
            counts["problems"] += 1
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting)
    real_mask, real_compile = privacy.mask, re._compiler.compile
    monkeypatch.setattr(
        privacy, "mask", lambda value: counts.__setitem__("masked", counts["masked"] + 1) or real_mask(value)
    )
    monkeypatch.setattr(
        re._compiler, "compile", lambda *a: counts.__setitem__("compiled", counts["compiled"] + 1) or real_compile(*a)
    )
    re.purge()
    with pytest.raises(ValidationError) as caught:
        ingest_outcomes(folder, out, environ={})
    monkeypatch.undo()
    return counts, caught.value


def test_a_systematic_problem_in_10000_rows_costs_what_it_costs_in_2000(tmp_path, frames, monkeypatch):
    small, small_error = _work(monkeypatch, _labelled_extract(tmp_path / "small", frames, 2_000), tmp_path / "o1")
    large, large_error = _work(monkeypatch, _labelled_extract(tmp_path / "large", frames, 10_000), tmp_path / "o2")
    pedsql_rows = sum(1 for p in large_error.problems if p.column == "Item7" for _ in range(p.count))
    assert pedsql_rows > 3_000  # every PedsQL row of the 10,000 is counted...
    total = sum(p.count if isinstance(p, RepeatedProblem) else 1 for p in large_error.problems)
    assert total > 70_000
    assert len(large_error.problems) == 23  # ...in one line per item column and rule
    assert all(isinstance(p, RepeatedProblem) for p in large_error.problems)
    # the work does not grow with the rows (nor with the 7,000 known names of the larger extract)
    assert large["problems"] <= 2 * 23 * 2 and large["problems"] == small["problems"]
    assert large["masked"] == small["masked"] == 0
    assert large["compiled"] <= small["compiled"] + 5
    assert len(str(large_error).splitlines()) < 30


def test_problem_values_holding_a_known_name_are_still_masked(tmp_path, frames):
    episodes = frames["episodes"].copy()
    name = episodes.loc[5, "ChildName"]
    episodes.loc[2, "Tier"] = f"{name} (specialist)"
    with pytest.raises(ValidationError) as caught:
        ingest_outcomes(_write(tmp_path / "extract", {**frames, "episodes": episodes}), tmp_path / "out", environ={})
    (problem,) = caught.value.problems
    assert name not in str(caught.value) and problem.value == privacy.mask(f"{name} (specialist)")


def test_shipped_definition_path_is_the_default(tmp_path):
    copied = tmp_path / "extract"
    shutil.copytree(SAMPLE, copied)
    manifest = ingest_outcomes(copied, tmp_path / "out", environ={}, definition=SHIPPED)
    assert manifest["definition"]["path"] == "config/extracts/outcomes.yml"


# --- evidence init extract ----------------------------------------------------------------------


def test_init_extract_drafts_a_definition_that_reads_an_unfamiliar_extract(tmp_path, frames, reference):
    from evidence import cli

    iso = _rewrite_dates(frames, "%Y-%m-%d")
    episodes = (
        iso["episodes"]
        .rename(columns={"EpisodeID": "Episode ID", "Tier": "Tier Of Service", "ReferralDate": "Referal Date"})
        .drop(columns=["Postcode"])
    )
    episodes["Parent Email"] = "parent@example.org"
    assessments = iso["assessments"].rename(columns={f"Item{i}": f"Q_{i}" for i in range(1, 31)})
    assessments["Instrument"] = assessments["Instrument"].replace({"PedsQL": "PedsQL 4.0"})
    folder = _write(
        tmp_path / "extract", {"Episode_Extract": episodes, "assessments": assessments, "PREM_responses": iso["prems"]}
    )
    out = tmp_path / "config" / "riverside.yml"
    assert cli.main(["init", "extract", str(folder), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    lines: dict[str, str] = {}  # each column's line (the first with its name; codes come later)
    for line in text.splitlines():
        lines.setdefault(line.split(":")[0].strip(), line)
    assert 'dates: ["YYYY-MM-DD"]  # CONFIRM' in text
    assert "CONFIRM: guessed from the header 'Tier Of Service'" in lines["Tier"]
    assert "CONFIRM: guessed from the header 'Referal Date': date (YYYY-MM-DD)" in lines["ReferralDate"]
    assert "(identifier: pseudonymised)" in lines["EpisodeID"] and "CONFIRM" not in lines["EpisodeID"]
    assert "not in this extract" in lines["Postcode"]
    assert "# not used: 'Parent Email'" in text and "looks like an identifier (email); dropped" in text
    assert 'items: {header: "Item{n}", aliases: ["Q_{n}"], count: 30}  # CONFIRM' in text
    assert "pedsql: [\"PedsQL 4.0\"]  # CONFIRM: 'PedsQL 4.0' taken to be pedsql" in text
    assert 'file: "Episode_Extract"' in text and 'file: "PREM_responses"' in text
    ingest_outcomes(folder, tmp_path / "out", environ={}, definition=out)
    _same_tables(tmp_path / "out", reference, "riverside")
    assert cli.main(["init", "extract", str(folder), "--out", str(out)]) == 2  # never overwritten
    assert out.read_text(encoding="utf-8") == text


def test_init_extract_marks_what_it_cannot_place(tmp_path, frames):
    from evidence.outcomes.scaffold import scaffold_extract

    episodes = frames["episodes"].drop(columns=["Contacts"])
    episodes.loc[0, "Tier"] = "Enhanced"
    path = scaffold_extract(_write(tmp_path / "extract", {**frames, "episodes": episodes}), tmp_path / "draft.yml")
    text = path.read_text(encoding="utf-8")
    assert 'Contacts: {aliases: ["Number of Contacts", "Contact Count"]}  # CONFIRM: no header found' in text
    assert (
        "# CONFIRM: 'Enhanced' found 1 times and in no code list: add it under the answer it means "
        "(Universal, Targeted, Specialist)" in text
    )
    with pytest.raises(ValidationError, match="'Contacts': required column is missing"):
        ingest_outcomes(tmp_path / "extract", tmp_path / "out", environ={}, definition=path)


def test_the_audit_reads_raw_identifiers_under_the_headers_the_definition_accepts(tmp_path, frames):
    from evidence.audit import raw_identifier_values

    episodes = frames["episodes"].rename(columns={"EpisodeID": "Episode ID", "ChildID": "Child Number"})
    ingest_outcomes(_write(tmp_path / "extract", {**frames, "episodes": episodes}), tmp_path / "out", environ={})
    found = raw_identifier_values(tmp_path / "out")
    assert {frames["episodes"].loc[0, "EpisodeID"], frames["episodes"].loc[0, "ChildID"]} <= found


def test_masking_keeps_a_repeated_problem_whole():
    problem = RepeatedProblem("a.csv", 2, "Tier", "Ann Lee specialist", "rule", count=40, rows=(2, 3))
    (masked,) = privacy.masked_problems([problem], ["Ann Lee"])
    assert isinstance(masked, RepeatedProblem) and masked.count == 40 and masked.rows == (2, 3)
    assert masked.value == privacy.mask("Ann Lee specialist") and "value masked" in masked.rule


def test_every_unreadable_table_is_named_in_one_run(tmp_path, frames):
    folder = _write(tmp_path / "extract", {"assessments": frames["assessments"]})
    (folder / "episodes.csv").write_bytes(b"")
    (folder / "prems.csv").write_bytes(b"EpisodeID;FFT\nEP1;Good\n")
    with pytest.raises(errors.InputFileError) as caught:
        ingest_outcomes(folder, tmp_path / "out", environ={})
    message = str(caught.value)
    assert message.startswith("2 tables of the extract cannot be read")
    assert "episodes.csv: the file is empty" in message and "prems.csv, row 1: the header has no commas" in message
