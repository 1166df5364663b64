"""The named baseline of ``bench_ingest.py``: the outcomes ingest written as DuckDB SQL.

The same three CSV files, read as text; the same checks (required IDs, unique episode IDs,
every code and wording in its list, whole numbers in range, real dates in DD/MM/YYYY, dates
in order, every item code a whole number in its instrument's range, items beyond an
instrument's count blank, every questionnaire and experience survey matched to an episode);
each check counted over the whole table (the count a per-row error report starts from);
IDs pseudonymised (DuckDB has no HMAC, so SHA-256 of key and ID: the same work per value);
scored as the instruments score (PedsQL, SDQ, COPM, GAS, the experience scale); and the four
tables written as parquet. What DuckDB would take to do the job, to hold ``evidence ingest
outcomes`` against: a baseline, not a product path (no masking, no messages, no manifest).

    python benchmarks/duckdb_outcomes.py EXTRACT_FOLDER OUT_FOLDER
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from evidence.instruments import REGISTRY
from evidence.instruments import sdq as sdq_module
from evidence.outcomes.definition import load_extract_definition
from evidence.paths import project_root

KEY = "bench"  # pragma: allowlist secret  (not a secret: the baseline's pseudonym salt)


def _quoted(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _mean_if_enough(prefix: str, numbers, max_missing: float, transform: str = "{}") -> str:
    """A scale's mean over answered items, NULL where more than ``max_missing`` are missing."""
    values = ", ".join(transform.format(f"{prefix}{n}") for n in numbers)
    answered = " + ".join(f"({prefix}{n} IS NOT NULL)::INT" for n in numbers)
    return (
        f"CASE WHEN {len(numbers)} - ({answered}) <= {max_missing} AND ({answered}) > 0 THEN list_avg([{values}]) END"
    )


def scoring_sql() -> dict[str, str]:
    """One SELECT list per instrument: its scales from the typed item columns ``i1``..."""
    pedsql, gas = REGISTRY["pedsql"], REGISTRY["gas"]
    out = {
        "pedsql": ", ".join(
            f"{_mean_if_enough('i', items, len(items) / 2, '100 - 25 * {}')} AS {name}"
            for name, items in pedsql.scales.items()
        )
    }
    out["copm"] = (
        f"{_mean_if_enough('i', range(1, 6), 4)} AS performance, "
        f"{_mean_if_enough('i', range(6, 11), 4)} AS satisfaction, "
        f"({' + '.join(f'(i{n} IS NOT NULL)::INT' for n in range(1, 6))})::DOUBLE AS problems"
    )
    goals = range(1, gas.n_items // 2 + 1)
    weight = {n: f"CASE WHEN i{n} IS NULL THEN 0 ELSE coalesce(i{n + 5}, 1) END" for n in goals}
    xw = " + ".join(f"{weight[n]} * coalesce(i{n}, 0)" for n in goals)
    w2 = " + ".join(f"({weight[n]}) ^ 2" for n in goals)
    w1 = " + ".join(weight[n] for n in goals)
    out["gas"] = (
        f"CASE WHEN ({w1}) > 0 THEN 50 + 10 * ({xw}) / sqrt(0.7 * ({w2}) + 0.3 * ({w1}) ^ 2) END "
        f"AS t_score, ({' + '.join(f'(i{n} IS NOT NULL)::INT' for n in goals)})::DOUBLE AS goals"
    )
    reverse = set(sdq_module.REVERSED)
    value = {n: f"(2 - i{n})" if n in reverse else f"i{n}" for n in range(1, 26)}
    subscales = []
    for name, items in sdq_module.SUBSCALES.items():
        answered = " + ".join(f"(i{n} IS NOT NULL)::INT" for n in items)
        mean = f"list_avg([{', '.join(value[n] for n in items)}])"
        subscales.append(
            f"CASE WHEN ({answered}) >= {sdq_module.MIN_ANSWERED} THEN floor(5 * {mean} + 0.5) END AS {name}"
        )
    impact = " + ".join(f"CASE WHEN i{n} >= 2 THEN i{n} - 1 ELSE 0 END" for n in sdq_module.IMPACT_ITEMS)
    complete = " AND ".join(f"i{n} IS NOT NULL" for n in sdq_module.IMPACT_ITEMS)
    out["sdq"] = ", ".join(subscales) + (
        ", emotional + conduct + hyperactivity + peer AS total_difficulties, "
        "conduct + hyperactivity AS externalising, emotional + peer AS internalising, "
        f"CASE WHEN {complete} THEN ({impact})::DOUBLE END AS impact"
    )
    return out


def ingest(folder: Path, out: Path) -> dict[str, int]:
    """Check, pseudonymise, score and write the extract in ``folder`` to ``out``; return the
    number of rows breaking each check (all zero for the tiled sample)."""
    definition = load_extract_definition(project_root() / "config/extracts/outcomes.yml")
    con = duckdb.connect()
    for table in ("episodes", "assessments", "prems"):
        con.execute(
            f"CREATE TABLE raw_{table} AS SELECT * FROM read_csv('{folder / table}.csv', "
            "all_varchar = true, header = true)"
        )
    for column, wordings in definition.codes.items():
        rows = ", ".join(f"({_quoted(w)}, {_quoted(a)})" for w, a in wordings.items())
        con.execute(f"CREATE TABLE code_{column} AS SELECT * FROM (VALUES {rows}) t(wording, answer)")
    instruments = ", ".join(f"('{w}', '{name}')" for w, name in definition.instruments.items())
    con.execute(f"CREATE TABLE code_Instrument AS SELECT * FROM (VALUES {instruments}) t(wording, answer)")

    def coded(column: str, source: str = "e") -> str:
        return (
            f"(SELECT answer FROM code_{column} c WHERE c.wording = "
            f"regexp_replace(lower(trim({source}.{column})), '\\s+', ' ', 'g'))"
        )

    def date(column: str, source: str = "e") -> str:
        return f"try_strptime(trim({source}.{column}), '%d/%m/%Y')::DATE"

    def whole(column: str, source: str = "e") -> str:
        return f"try_cast(trim({source}.{column}) AS INTEGER)"

    con.execute(f"""
        CREATE TABLE episodes AS SELECT
          substr(sha256('{KEY}' || trim(EpisodeID)), 1, 16) AS episode_id,
          trim(EpisodeID) AS raw_episode_id,
          substr(sha256('{KEY}' || trim(ChildID)), 1, 16) AS child_id,
          {coded("Sex")} AS sex, {coded("PrimaryNeed")} AS primary_need, {coded("Tier")} AS tier,
          {whole("IMDDecile")} AS imd_decile, regexp_replace(trim(Service), '\\s+', ' ', 'g') AS service,
          {date("DateOfBirth")} AS date_of_birth, {date("ReferralDate")} AS referral_date,
          {date("AssessmentDate")} AS assessment_date, {date("DischargeDate")} AS discharge_date,
          {whole("Contacts")} AS contacts, {whole("Band5Minutes")} AS minutes_band5,
          {whole("Band6Minutes")} AS minutes_band6, {whole("Band7Minutes")} AS minutes_band7,
          {whole("Band8aMinutes")} AS minutes_band8a,
          count(*) OVER (PARTITION BY trim(EpisodeID)) AS copies,
          Sex IS NOT NULL AS has_sex, PrimaryNeed IS NOT NULL AS has_need, Tier IS NOT NULL AS has_tier,
          DataLabel = 'SYNTHETIC' AS synthetic
        FROM raw_episodes e""")
    problems = dict(
        zip(
            ["episode_id", "unique", "codes", "numbers", "dates", "order"],
            con.execute("""SELECT
          count(*) FILTER (raw_episode_id IS NULL OR child_id IS NULL OR service IS NULL),
          count(*) FILTER (copies > 1),
          count(*) FILTER ((has_sex AND sex IS NULL) OR (has_need AND primary_need IS NULL)
                           OR (has_tier AND tier IS NULL)),
          count(*) FILTER (imd_decile NOT BETWEEN 1 AND 10 OR contacts NOT BETWEEN 0 AND 1000
                           OR minutes_band5 NOT BETWEEN 0 AND 100000 OR minutes_band6 NOT BETWEEN 0 AND 100000
                           OR minutes_band7 NOT BETWEEN 0 AND 100000 OR minutes_band8a NOT BETWEEN 0 AND 100000),
          count(*) FILTER (date_of_birth IS NULL OR referral_date IS NULL),
          count(*) FILTER (referral_date < date_of_birth OR assessment_date < referral_date
                           OR discharge_date < assessment_date
                           OR date_diff('day', date_of_birth, referral_date) / 365.25 > 25)
          FROM episodes""").fetchone(),
            strict=True,
        )
    )
    count = definition.tables["assessments"].item_count
    typed = ", ".join(f"{whole(f'Item{n}', 'a')} AS i{n}, a.Item{n} IS NOT NULL AS has{n}" for n in range(1, count + 1))
    con.execute(f"""
        CREATE TABLE assessments AS SELECT
          trim(a.EpisodeID) AS raw_episode_id, {coded("Instrument", "a")} AS instrument,
          {coded("Timepoint", "a")} AS timepoint, {date("AssessmentDate", "a")} AS assessment_date, {typed}
        FROM raw_assessments a""")
    rules = []
    for name in ("pedsql", "sdq", "copm", "gas"):
        ranges = REGISTRY[name].item_ranges
        broken = [
            f"(has{n} AND (i{n} IS NULL OR i{n} NOT BETWEEN {low} AND {high}))" for n, (low, high) in ranges.items()
        ]
        broken += [f"has{n}" for n in range(len(ranges) + 1, count + 1)]
        rules.append(f"(instrument = '{name}' AND ({' OR '.join(broken)}))")
    problems["items"] = con.execute(f"SELECT count(*) FROM assessments WHERE {' OR '.join(rules)}").fetchone()[0]
    problems["assessment_episode"] = con.execute(
        "SELECT count(*) FROM assessments a ANTI JOIN episodes e USING (raw_episode_id)"
    ).fetchone()[0]
    problems["follow_up_before_baseline"] = con.execute("""
        WITH b AS (SELECT raw_episode_id, instrument, min(assessment_date) AS baseline FROM assessments
                   WHERE timepoint = 'Baseline' GROUP BY ALL)
        SELECT count(*) FROM assessments a JOIN b USING (raw_episode_id, instrument)
        WHERE a.timepoint = 'Follow-up' AND a.assessment_date < b.baseline""").fetchone()[0]
    flags = ", ".join(f"has{n}" for n in range(1, count + 1))
    con.execute(f"""CREATE TABLE assessments_out AS SELECT e.episode_id, a.* EXCLUDE (raw_episode_id, {flags}),
        row_number() OVER (PARTITION BY a.raw_episode_id, a.instrument, a.timepoint) > 1 AS duplicate_of_earlier
        FROM assessments a JOIN episodes e USING (raw_episode_id)""")
    keys = "episode_id, instrument, timepoint, assessment_date, duplicate_of_earlier"
    scored = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {keys}, {select} FROM assessments_out WHERE instrument = '{name}') "
        f"UNPIVOT INCLUDE NULLS (score FOR scale IN ({', '.join(_scale_names(select))}))"
        for name, select in scoring_sql().items()
    )
    con.execute(f"CREATE TABLE scores AS {scored}")
    prem_items = ", ".join(f"try_cast(trim(p.Exp{n}) AS INTEGER) AS item_{n}" for n in range(1, 6))
    experience = _mean_if_enough("Exp", range(1, 6), 2, "(try_cast(trim({}) AS INTEGER) - 1) * 25.0")
    con.execute(f"""CREATE TABLE prems AS SELECT e.episode_id, {date("CompletedDate", "p")} AS completed_date,
        {coded("FFT", "p")} AS fft, {prem_items},
        p.Comment AS comment, {experience} AS experience
        FROM raw_prems p LEFT JOIN episodes e ON e.raw_episode_id = trim(p.EpisodeID)""")
    problems["prem_episode"] = con.execute("SELECT count(*) FROM prems WHERE episode_id IS NULL").fetchone()[0]
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "episodes": "SELECT * EXCLUDE (raw_episode_id, copies, has_sex, has_need, has_tier) FROM episodes",
        "assessments": "SELECT * FROM assessments_out",
        "scores": "SELECT * FROM scores",
        "prems": "SELECT * FROM prems",
    }
    for name, query in tables.items():
        con.execute(f"COPY ({query}) TO '{out / f'outcomes_{name}.parquet'}' (FORMAT parquet)")
    return problems


def rows(out: Path) -> int:
    """The assessment rows written to ``out``."""
    return duckdb.connect().execute(f"SELECT count(*) FROM '{out / 'outcomes_assessments.parquet'}'").fetchone()[0]


def _scale_names(select: str) -> list[str]:
    """The names a SELECT list gives its columns (``... AS name``), split at top-level commas."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(select):
        depth += (char in "([") - (char in ")]")
        if char == "," and depth == 0:
            parts.append(select[start:i])
            start = i + 1
    return [part.rsplit(" AS ", 1)[1].strip() for part in [*parts, select[start:]]]


if __name__ == "__main__":
    print(ingest(Path(sys.argv[1]), Path(sys.argv[2])))
