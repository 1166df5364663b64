"""Keys spilled to disk in buckets by episode, for the checks that span the blocks of an
extract read block by block (:mod:`evidence.outcomes.streamed`).

Each block of each table writes the keys of its rows (the episode ID as written and trimmed,
the file row, and what a check needs besides) to one Arrow file, its rows sorted into
``buckets`` record batches by a hash of the trimmed episode ID; so every row of one episode,
in any table and any block, lands in the same bucket, and a bucket's rows of all blocks (a
``buckets``-th of the extract) are all a check needs to see at once. This is the shuffle
dask.dataframe does for a join, written out so that each bucket is read once, with the file
row of every key kept for the messages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from evidence.errors import Problem
from evidence.outcomes.assessments import early_follow_ups
from evidence.outcomes.reading import repeated_episodes, unmatched_episodes
from evidence.validation import FIRST_ROWS

#: CSV bytes (of the three tables together) per bucket: a bucket's keys then take some tens
#: of MB in memory (Arrow text, not Python strings) whatever the size of the extract.
BUCKET_BYTES = 64 << 20
#: Keys' text read back as Arrow-backed strings: a Python object per ID would be ten times the size.
ARROW_TEXT = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}


def bucket_count(total_bytes: int) -> int:
    """How many buckets the keys of an extract of ``total_bytes`` bytes of CSV are split into."""
    return max(1, -(-total_bytes // BUCKET_BYTES))


def write_keys(keys: pd.DataFrame, buckets: int, path: Path) -> None:
    """Write one block's ``keys`` (with a ``trimmed`` episode ID column, which places each row;
    a missing ID goes where an empty one does) to ``path`` as ``buckets`` record batches, the
    rows of each in file order."""
    trimmed = keys["trimmed"].astype(object).where(keys["trimmed"].notna(), "").to_numpy()
    bucket = (pd.util.hash_array(trimmed) % np.uint64(buckets)).astype(np.int64)
    order = np.argsort(bucket, kind="stable")
    plain = keys.iloc[order].astype(
        {c: "string" for c in keys.columns if isinstance(keys[c].dtype, pd.CategoricalDtype)}
    )
    batch = pa.RecordBatch.from_pandas(plain, preserve_index=False)  # one dictionary-free batch, sliced
    edges = np.searchsorted(bucket[order], np.arange(buckets + 1))
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        for number in range(buckets):
            writer.write_batch(batch.slice(edges[number], edges[number + 1] - edges[number]))


def read_bucket(paths: list[Path], number: int) -> pd.DataFrame | None:
    """Bucket ``number`` of every block's keys (in block order, so in file order), or None
    when there are no blocks."""
    if not paths:
        return None
    batches = []
    for path in paths:
        with pa.memory_map(str(path)) as source:
            batches.append(pa.ipc.open_file(source).get_batch(number))
    return pa.Table.from_batches(batches).to_pandas(types_mapper=ARROW_TEXT.get)


def check_bucket(
    number: int,
    episodes: list[Path],
    assessments: list[Path],
    prems: list[Path],
    files: dict[str, str],
    after: object = None,
) -> tuple[list[Problem], np.ndarray, pd.DataFrame, int]:
    """The checks across blocks for the episodes of bucket ``number``: repeated episode IDs,
    questionnaires (assessments, PREMs) of no episode, follow-ups dated before their baseline.
    Return the problems, the file rows of questionnaires that repeat an earlier one (same
    episode, instrument and timepoint), and the first early follow-ups with their count (see
    :func:`~evidence.outcomes.assessments.follow_up_problems`). ``episodes`` is empty when the
    episodes table could not be read: questionnaires are then not matched. ``files`` names
    each table's file, for the messages; ``after`` is what the check waits for (in a dask graph:
    the tasks that write the keys)."""
    problems: list[Problem] = []
    episode_keys = read_bucket(episodes, number)
    known = None
    if episode_keys is not None:
        problems += repeated_episodes(files["episodes"], episode_keys["raw_id"], episode_keys["row"])
        known = pa.array(episode_keys["raw_id"].dropna().unique(), type=pa.string())
    flagged, early, count = np.zeros(0, dtype=np.int64), pd.DataFrame(), 0
    for table, paths in (("assessments", assessments), ("prems", prems)):
        keys = read_bucket(paths, number)
        if keys is None:
            continue
        problems += unmatched_episodes(files[table], keys["raw_id"], keys["row"], known)
        if table == "assessments":
            keys = keys.rename(columns={"trimmed": "episode_id"})
            later = keys.duplicated(["episode_id", "instrument", "timepoint"], keep="first").to_numpy()
            flagged = keys["row"].to_numpy()[later]
            found = early_follow_ups(keys)
            early, count = found.head(FIRST_ROWS), len(found)
    return problems, flagged, early, count


def id_keys(values: pd.Series, rows: pd.Series) -> pd.DataFrame:
    """The keys of a table's episode IDs: as written, trimmed (``str.strip``, as cleaning
    trims them; the bucket follows the trimmed ID) and the file row of each."""
    raw = values.astype("string").reset_index(drop=True)
    return pd.DataFrame({"raw_id": raw, "trimmed": raw.str.strip(), "row": rows.to_numpy(dtype=np.int64)})
