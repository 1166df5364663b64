"""The named baseline of ``bench_survey_ingest.py``: the survey ingest written as DuckDB SQL.

A Qualtrics CSV export (column IDs, then a question-text row and an ``{"ImportId": ..}`` row,
which are skipped) read as text, and checked against its survey definition
(``config/surveys/NAME.yml``) as ``evidence ingest survey`` checks it: every answer trimmed,
whitespace collapsed and case-folded, then either a missing code or one of its scale's wordings
(categories), every option of a multi-select one of its scale's wordings, whole numbers in
range, real timestamps, required answers present, respondent IDs present and unique; the
exclusions by design applied (consent, finished); each check counted over the whole table
(the count a per-row error report starts from). Respondent IDs pseudonymised (DuckDB has no
HMAC, so SHA-256 of key and ID, as ``duckdb_outcomes.py``: the same work per value), later
responses with the same duplicate key flagged, and the table written as parquet in file order.

Not done here, and done by ``evidence ingest survey``: redaction of identifiers in the free
text, the guard on other text columns, masked per-row messages, dialect detection, the manifest.
What DuckDB would take to do the checks and the output, to hold the ingest against: a
baseline, not a product path.

    python benchmarks/duckdb_survey.py EXPORT.csv OUT_FOLDER [DEFINITION.yml]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import duckdb

from evidence.survey.answers import slug
from evidence.survey.definition import DEFAULT_DEFINITION, SurveyDefinition, load_definition

KEY = "bench"  # pragma: allowlist secret  (not a secret: the baseline's pseudonym salt)
#: The rows of a Qualtrics CSV export above the responses (column IDs, questions, ImportIds).
HEADER_LINES = 3


def _quoted(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _listed(texts) -> str:
    """``texts`` as an SQL list literal of strings."""
    return "[" + ", ".join(_quoted(t) for t in texts) + "]::VARCHAR[]"


def _normal(column: str) -> str:
    """The form answers are matched in: trimmed, inner whitespace collapsed, lower case."""
    return f"regexp_replace(lower(trim(\"{column}\")), '\\s+', ' ', 'g')"


def _wordings(definition: SurveyDefinition, scale: str) -> dict[str, str]:
    """Every wording of a scale (its labels and its answers case-folded) -> the answer."""
    rows = definition.scale(scale)
    return {
        **dict(zip(rows["canonical"].str.casefold(), rows["canonical"], strict=False)),
        **dict(zip(rows["label"], rows["canonical"], strict=True)),
    }


def ingest(export: Path, out: Path, definition_path: Path = DEFAULT_DEFINITION) -> dict[str, int]:
    """Check, pseudonymise and write ``export`` to ``out/NAME.parquet``; return the number of
    rows breaking each check (all zero for the tiled sample) and the rows excluded by design."""
    definition = load_definition(definition_path)
    with export.open(encoding="utf-8-sig", newline="") as handle:
        names = next(csv.reader(handle))
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE raw AS SELECT * FROM read_csv({_quoted(str(export))}, all_varchar = true,
        header = false, skip = {HEADER_LINES}, names = {_listed(names)}, quote = '"', escape = '"')""")
    missing = ", ".join(_quoted(code) for code in sorted(definition.missing_codes))
    sources = [spec["source"] for spec in definition.columns]
    keep = (
        " AND ".join(
            f"{_normal(rule['column'])} IN ({', '.join(_quoted(k.casefold()) for k in rule['keep'])})"
            for rule in definition.exclusions
            if rule["column"] in names
        )
        or "true"
    )
    problems = {
        "excluded_by_design": con.execute(f"SELECT count(*) FILTER (NOT coalesce({keep}, false)) FROM raw").fetchone()[
            0
        ]
    }
    # each answer normalised once; a missing code or blank as NULL; only the columns used carried
    normalised = ", ".join(f'{_normal(source)} AS "m_{source}"' for source in sources)
    answers = ", ".join(
        f'CASE WHEN "m_{source}" NOT IN ({missing}) THEN "m_{source}" END AS "n_{source}"' for source in sources
    )
    carried = ", ".join(
        f'"{c}"'
        for c in dict.fromkeys(
            [
                definition.id_column,
                *(k for k in definition.duplicate_keys if k in names),
                definition.synthetic_marker["column"],
                *sources,
            ]
        )
    )
    con.execute(f"""CREATE TABLE kept AS SELECT position, {answers}, {carried}
        FROM (SELECT rowid AS position, {normalised}, {carried} FROM raw WHERE {keep})""")

    typed, lists, checks = [], [], {}
    for spec in definition.columns:
        source, name, kind = spec["source"], spec["name"], spec["kind"]
        answer = f'"n_{source}"'
        if spec.get("required"):
            checks[f"{name}: required"] = f"{answer} IS NULL"
        if kind == "category":
            cases = " ".join(
                f"WHEN {_quoted(w)} THEN {_quoted(a)}" for w, a in _wordings(definition, spec["scale"]).items()
            )
            typed.append(f"CASE {answer} {cases} END AS {name}")
            checks[f"{name}: in scale"] = f"({answer} IS NOT NULL AND {name} IS NULL)"
        elif kind == "multiselect":
            wordings = _wordings(definition, spec["scale"])
            parts = f"list_transform(string_split({answer}, {_quoted(spec.get('separator', ','))}), lambda x: trim(x))"
            lists.append(f"{parts} AS {name}__parts")  # split once, in the inner SELECT
            typed.append(f"{name}__parts")
            checks[f"{name}: every option in scale"] = (
                f"len(list_filter({name}__parts, lambda x: NOT list_contains({_listed(wordings)}, x))) > 0"
            )
            for option in definition.categories(spec["scale"]):
                said = [w for w, a in wordings.items() if a == option]
                typed.append(f"list_has_any({name}__parts, {_listed(said)}) AS {name}__{slug(option)}")
        elif kind == "integer":
            typed.append(f"try_cast({answer} AS INTEGER) AS {name}")
            checks[f"{name}: whole number in range"] = (
                f"({answer} IS NOT NULL AND ({name} IS NULL OR {name} NOT BETWEEN {spec['min']} AND {spec['max']}))"
            )
        elif kind == "datetime":
            typed.append(
                f'CASE WHEN {answer} IS NOT NULL THEN try_strptime(trim("{source}"), '
                f"'%Y-%m-%d %H:%M:%S') END AS {name}"
            )
            checks[f"{name}: real timestamp"] = f"({answer} IS NOT NULL AND {name} IS NULL)"
        else:  # free text: carried as it is (the ingest redacts it; the baseline does not)
            typed.append(f'CASE WHEN {answer} IS NOT NULL THEN "{source}" END AS {name}')
    keys = [_normal(column) for column in definition.duplicate_keys if column in names]
    identifier, duplicate_key = definition.id_column, f"coalesce({', '.join(keys)})" if keys else "NULL::VARCHAR"
    marker = definition.synthetic_marker
    con.execute(f"""CREATE TABLE typed AS SELECT position,
          trim("{identifier}") AS raw_id,
          substr(sha256({_quoted(KEY)} || trim("{identifier}")), 1, 16) AS respondent_id,
          {", ".join(typed)},
          {duplicate_key} IS NOT NULL AND row_number() OVER (PARTITION BY {duplicate_key} ORDER BY position) > 1
            AS duplicate_of_earlier_response,
          count(*) OVER (PARTITION BY trim("{identifier}")) AS copies,
          coalesce(trim("{marker["column"]}") = {_quoted(marker["value"])}, false) AS marked,
          {", ".join(f'"n_{source}"' for source in sources)}
        FROM (SELECT *, {", ".join(lists) or "NULL AS no_lists"} FROM kept)""")
    checks["respondent ID present"] = "raw_id IS NULL"
    checks["respondent ID unique"] = "(raw_id IS NOT NULL AND copies > 1)"
    counted = ", ".join(f"count(*) FILTER ({rule})" for rule in checks.values())
    found = con.execute(f"SELECT {counted}, bool_and(marked) FROM typed").fetchone()
    problems.update(zip(checks, found[:-1], strict=True))
    columns = ["respondent_id"]
    for spec in definition.columns:
        if spec["kind"] == "multiselect":
            columns += [f"{spec['name']}__{slug(option)}" for option in definition.categories(spec["scale"])]
        else:
            columns.append(spec["name"])
    out.mkdir(parents=True, exist_ok=True)
    con.execute(f"""COPY (SELECT {", ".join(columns)}, duplicate_of_earlier_response, {bool(found[-1])} AS synthetic
        FROM typed ORDER BY position) TO {_quoted(str(out / f"{definition.name}.parquet"))} (FORMAT parquet)""")
    return problems


def rows(out: Path, definition_path: Path = DEFAULT_DEFINITION) -> int:
    """The responses written to ``out``."""
    name = load_definition(definition_path).name
    return duckdb.connect().execute(f"SELECT count(*) FROM '{out / f'{name}.parquet'}'").fetchone()[0]


if __name__ == "__main__":
    print(ingest(Path(sys.argv[1]), Path(sys.argv[2]), *(Path(a) for a in sys.argv[3:4])))
