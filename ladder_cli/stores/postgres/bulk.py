"""A correction's many rows written at once on PostgreSQL, as the flush writes its own.

The rewritten before/after pairs of the match log and the entries' deltas go through a
temporary table (binary COPY, then one ``UPDATE ... FROM``) instead of one statement per
row. :mod:`ladder_cli.stores.corrections` takes this path when the store says it can
(``Store.bulk_corrections``) and the change is large enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ladder_cli.stores import sql
from ladder_cli.stores.postgres.rows import locked_keys

if TYPE_CHECKING:
    from ladder_cli.domain.corrections import EntryChange
    from ladder_cli.domain.model import Entry

_CREATE_REWRITE_TMP = (
    "CREATE TEMP TABLE IF NOT EXISTS ladder_rewrite_tmp (b1 integer, a1 integer, b2 integer, "
    "a2 integer, match_id bigint) ON COMMIT DROP"
)
_COPY_REWRITE_TMP = "COPY ladder_rewrite_tmp (b1, a1, b2, a2, match_id) FROM STDIN (FORMAT BINARY)"
_REWRITE_FROM_TMP = (
    "UPDATE ladder_matches m SET p1_mmr_before = t.b1, p1_mmr_after = t.a1, "
    "p2_mmr_before = t.b2, p2_mmr_after = t.a2 FROM ladder_rewrite_tmp t "
    "WHERE m.match_id = t.match_id"
)

# A correction's entry changes, as deltas on the stored rows (see ladder_cli.domain.corrections):
# COPY into a temporary table, then one UPDATE joined on the key. The last game changes
# only where it still is what the log had (an outside writer's later game stays).
_CREATE_DELTA_TMP = (
    "CREATE TEMP TABLE IF NOT EXISTS ladder_delta_tmp (uid bigint, race text, mmr integer, "
    "played integer, won integer, lost integer, drawn integer, has_last boolean, "
    "old_last timestamptz, new_last timestamptz) ON COMMIT DROP"
)
_COPY_DELTA_TMP = (
    "COPY ladder_delta_tmp (uid, race, mmr, played, won, lost, drawn, has_last, old_last, "
    "new_last) FROM STDIN (FORMAT BINARY)"
)
_DELTA_TYPES = ["int8", "text", "int4", "int4", "int4", "int4", "int4", "bool", "timestamptz",
                "timestamptz"]  # fmt: skip
_DELTA_FROM_TMP = (
    "UPDATE mmrs_1v1 m SET mmr = m.mmr + t.mmr, "
    "games_played = COALESCE(m.games_played, 0) + t.played, "
    "games_won = COALESCE(m.games_won, 0) + t.won, "
    "games_lost = COALESCE(m.games_lost, 0) + t.lost, "
    "games_drawn = COALESCE(m.games_drawn, 0) + t.drawn, "
    "last_played = CASE WHEN t.has_last AND m.last_played IS NOT DISTINCT FROM t.old_last "
    "THEN t.new_last ELSE m.last_played END "
    "FROM ladder_delta_tmp t WHERE m.discord_uid = t.uid AND m.race = t.race"
)


# Glicko-2 states (ladder_glicko's rows) in bulk: COPY into a temporary table, then one
# upsert from it.
_CREATE_STATES_TMP = (
    "CREATE TEMP TABLE IF NOT EXISTS ladder_glicko_tmp (discord_uid bigint, race text, "
    "rating double precision, rd double precision, volatility double precision) ON COMMIT DROP"
)
_COPY_STATES_TMP = (
    "COPY ladder_glicko_tmp (discord_uid, race, rating, rd, volatility) FROM STDIN (FORMAT BINARY)"
)
_STATES_FROM_TMP = (
    "INSERT INTO ladder_glicko (discord_uid, race, rating, rd, volatility) "
    "SELECT discord_uid, race, rating, rd, volatility FROM ladder_glicko_tmp "
    "ON CONFLICT (discord_uid, race) DO UPDATE SET rating = EXCLUDED.rating, "
    "rd = EXCLUDED.rd, volatility = EXCLUDED.volatility"
)
#: Fewer rows than this go by executemany: the temporary table costs more than it saves.
STATES_COPY_THRESHOLD = 64


def write_states(cur: Any, rows: Sequence[tuple[int, str, float, float, float]]) -> None:
    """Glicko-2 states upserted in bulk (COPY, then one upsert); row by row when they are
    too few for that to pay."""
    if len(rows) < STATES_COPY_THRESHOLD:
        cur.executemany(sql.UPSERT_GLICKO, rows)
        return
    cur.execute(_CREATE_STATES_TMP)
    with cur.copy(_COPY_STATES_TMP) as copy:
        copy.set_types(["int8", "text", "float8", "float8", "float8"])
        write = copy.write_row
        for row in rows:
            write(row)
    cur.execute(_STATES_FROM_TMP)
    cur.execute("TRUNCATE ladder_glicko_tmp")


def rewrite_matches(cur: Any, rows: Sequence[tuple[int, int, int, int, int]]) -> None:
    """A correction's rewritten pairs (before/after, match id) in bulk, as the flush
    writes: COPY into a temporary table, then one UPDATE joined on the match id."""
    cur.execute(_CREATE_REWRITE_TMP)
    with cur.copy(_COPY_REWRITE_TMP) as copy:
        copy.set_types(["int4", "int4", "int4", "int4", "int8"])
        for row in rows:
            copy.write_row(row)
    cur.execute(_REWRITE_FROM_TMP)
    cur.execute("TRUNCATE ladder_rewrite_tmp")


def write_entry_changes(cur: Any, changes: Sequence[EntryChange]) -> list[Entry]:
    """A correction's entry changes in bulk, as the flush writes: the rows locked in
    key order, then COPY into a temporary table and one UPDATE. The stored rows (as
    they were before the change) are returned; a key without a row is skipped."""
    stored = locked_keys(cur, [change.key for change in changes])
    cur.execute(_CREATE_DELTA_TMP)
    with cur.copy(_COPY_DELTA_TMP) as copy:
        copy.set_types(_DELTA_TYPES)
        for c in changes:
            old, new = c.last if c.last is not None else (None, None)
            copy.write_row((c.key[0], c.key[1], c.mmr, c.played, c.won, c.lost, c.drawn,
                            c.last is not None, old, new))  # fmt: skip
    cur.execute(_DELTA_FROM_TMP)
    cur.execute("TRUNCATE ladder_delta_tmp")
    return stored


__all__ = ["rewrite_matches", "write_entry_changes", "write_states"]
