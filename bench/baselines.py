"""The seed's approaches, written here with psycopg and Polars, for comparison.

Baselines A and B follow the seed document "MMR Update Optimization": A is its "before"
(per player a SELECT of the current row, then an upsert of values computed in Python),
B its "after" (per player one atomic ``INSERT ... ON CONFLICT DO UPDATE`` that increments
the counts in the database, the MMR computed from the in-memory frame); both commit once
per job, as the seed's write queue did. Both use the same Elo as the project
(:func:`ladder_cli.domain.rating.rate`). Neither writes a match log or a ledger of applied jobs,
which the project does in the same transaction: they do less work per match.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import polars as pl

from ladder_cli.domain.model import MatchJob, default_name
from ladder_cli.domain.rating import rate

SELECT_ROW = (
    "SELECT mmr, games_played, games_won, games_lost, games_drawn FROM mmrs_1v1 "
    "WHERE discord_uid = %s AND race = %s"
)

# The seed's "before": the counts were computed in Python between the two round trips.
UPSERT_BEFORE = """
INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, games_won,
                      games_lost, games_drawn, last_played)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (discord_uid, race) DO UPDATE SET
    mmr = EXCLUDED.mmr,
    games_played = EXCLUDED.games_played,
    games_won = EXCLUDED.games_won,
    games_lost = EXCLUDED.games_lost,
    games_drawn = EXCLUDED.games_drawn,
    last_played = EXCLUDED.last_played
"""

# The seed's "after", verbatim in form: one atomic upsert, the database adds the counts.
UPSERT_AFTER = """
INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, games_won,
                      games_lost, games_drawn, last_played)
VALUES (%s, %s, %s, %s, 1, %s, %s, %s, %s)
ON CONFLICT (discord_uid, race) DO UPDATE SET
    mmr = EXCLUDED.mmr,
    games_played = mmrs_1v1.games_played + 1,
    games_won = mmrs_1v1.games_won + EXCLUDED.games_won,
    games_lost = mmrs_1v1.games_lost + EXCLUDED.games_lost,
    games_drawn = mmrs_1v1.games_drawn + EXCLUDED.games_drawn,
    last_played = EXCLUDED.last_played
"""


def _sides(job: MatchJob) -> tuple[tuple[int, str, int, int, int], tuple[int, str, int, int, int]]:
    draw = 1 - job.result
    return (
        (job.p1_uid, job.p1_race, job.result, 0, draw),
        (job.p2_uid, job.p2_race, 0, job.result, draw),
    )


def baseline_a(conn: Any, jobs: Sequence[MatchJob]) -> float:
    """Seconds to apply ``jobs`` the seed's "before" way (2 round trips per player)."""
    start = time.perf_counter()
    with conn.cursor() as cur:
        for job in jobs:
            current = []
            for uid, race, *_ in _sides(job):
                cur.execute(SELECT_ROW, (uid, race))
                row = cur.fetchone()
                current.append(row or (1500, 0, 0, 0, 0))
            after = rate(current[0][0], current[1][0], 1.0 if job.result else 0.5)
            for (uid, race, won, lost, drawn), row, mmr in zip(
                _sides(job), current, after, strict=True
            ):
                _, played, w, lo, d = row
                cur.execute(
                    UPSERT_BEFORE,
                    (
                        uid,
                        default_name(uid),
                        race,
                        mmr,
                        (played or 0) + 1,
                        (w or 0) + won,
                        (lo or 0) + lost,
                        (d or 0) + drawn,
                        job.played_at,
                    ),
                )
            conn.commit()
    return time.perf_counter() - start


def load_mmrs(conn: Any) -> dict[tuple[int, str], int]:
    """The in-memory MMRs baseline B computes from (the seed's DataFrame)."""
    with conn.cursor() as cur:
        cur.execute("SELECT discord_uid, race, mmr FROM mmrs_1v1")
        return {(u, r): m for u, r, m in cur.fetchall()}


def baseline_b(conn: Any, jobs: Sequence[MatchJob], mmrs: dict[tuple[int, str], int]) -> float:
    """Seconds to apply ``jobs`` the seed's "after" way (1 atomic upsert per player)."""
    start = time.perf_counter()
    with conn.cursor() as cur:
        for job in jobs:
            k1, k2 = (job.p1_uid, job.p1_race), (job.p2_uid, job.p2_race)
            after = rate(mmrs.get(k1, 1500), mmrs.get(k2, 1500), 1.0 if job.result else 0.5)
            for (uid, race, won, lost, drawn), mmr in zip(_sides(job), after, strict=True):
                mmrs[uid, race] = mmr
                cur.execute(
                    UPSERT_AFTER,
                    (uid, default_name(uid), race, mmr, won, lost, drawn, job.played_at),
                )
            conn.commit()
    return time.perf_counter() - start


def naive_load(conn: Any, query: str, schema: dict[str, Any]) -> pl.DataFrame:
    """``cursor.fetchall()`` into ``pl.DataFrame``: a Python tuple per row."""
    with conn.cursor() as cur:
        cur.execute(query)
        rows = cur.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def seed_loop(frame: pl.DataFrame, jobs: Sequence[MatchJob]) -> pl.DataFrame:
    """Apply matches one at a time the seed's way: find each row in the frame, then
    rebuild the whole frame with ``with_columns`` (reassigned), per match."""
    for job in jobs:
        score = 1.0 if job.result else 0.5
        keys = ((job.p1_uid, job.p1_race), (job.p2_uid, job.p2_race))
        mmr = []
        for uid, race in keys:
            found = frame.filter((pl.col("discord_uid") == uid) & (pl.col("race") == race))
            if found.is_empty():
                new_row = pl.DataFrame(
                    {
                        "discord_uid": [uid],
                        "player_name": [default_name(uid)],
                        "race": [race],
                        "mmr": [1500],
                        "games_played": [0],
                        "games_won": [0],
                        "games_lost": [0],
                        "games_drawn": [0],
                        "last_played": [None],
                    },
                    schema={c: frame.schema[c] for c in frame.columns if c != "id"},
                )
                frame = pl.concat([frame, new_row], how="diagonal")
                mmr.append(1500)
            else:
                mmr.append(found["mmr"][0])
        after = rate(mmr[0], mmr[1], score)
        draw = 1 - job.result
        for (uid, race), new, won, lost in zip(
            keys, after, (job.result, 0), (0, job.result), strict=True
        ):
            hit = (pl.col("discord_uid") == uid) & (pl.col("race") == race)
            frame = frame.with_columns(
                pl.when(hit).then(pl.lit(new)).otherwise(pl.col("mmr")).alias("mmr"),
                pl.when(hit)
                .then(pl.col("games_played") + 1)
                .otherwise(pl.col("games_played"))
                .alias("games_played"),
                pl.when(hit)
                .then(pl.col("games_won") + won)
                .otherwise(pl.col("games_won"))
                .alias("games_won"),
                pl.when(hit)
                .then(pl.col("games_lost") + lost)
                .otherwise(pl.col("games_lost"))
                .alias("games_lost"),
                pl.when(hit)
                .then(pl.col("games_drawn") + draw)
                .otherwise(pl.col("games_drawn"))
                .alias("games_drawn"),
                pl.when(hit)
                .then(pl.lit(job.played_at))
                .otherwise(pl.col("last_played"))
                .alias("last_played"),
            )
    return frame
