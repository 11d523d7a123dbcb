"""Deterministic data: ladders (``mmrs_1v1`` rows) and matches, from fixed seeds."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ladder_cli.domain.model import RACES, MatchJob

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
FIRST_UID = 100_000_000_000_000_000  # discord snowflakes are 18 digits

Row = tuple[int, str, str, int, int, int, int, int, datetime | None]


@dataclass(frozen=True)
class Ladder:
    """Players and the races each plays (the keys of ``mmrs_1v1``)."""

    players: list[tuple[int, tuple[str, ...]]]

    @property
    def entries(self) -> int:
        return sum(len(races) for _, races in self.players)


def ladder(players: int, *, max_races: int = 3, seed: int = 1) -> Ladder:
    """``players`` players, each with 1..max_races races."""
    rng = random.Random(seed)
    return Ladder(
        [
            (FIRST_UID + i, tuple(rng.sample(RACES, rng.randint(1, max_races))))
            for i in range(players)
        ]
    )


def ladder_of_entries(entries: int, *, races_per_player: int = 5, seed: int = 2) -> Ladder:
    """A ladder of exactly ``entries`` rows, ``races_per_player`` races per player."""
    rng = random.Random(seed)
    players = []
    left, i = entries, 0
    while left > 0:
        k = min(races_per_player, left)
        players.append((FIRST_UID + i, tuple(rng.sample(RACES, k))))
        left -= k
        i += 1
    return Ladder(players)


def rows(lad: Ladder, *, seed: int = 3, unplayed: float = 0.05) -> Iterator[Row]:
    """Plausible stored rows for every key: MMR, W/L/D, last played (none if unplayed)."""
    rng = random.Random(seed)
    for uid, races in lad.players:
        name = f"Player{uid}" if uid % 7 else f'Pro, "{uid % 1000}"'
        for race in races:
            if rng.random() < unplayed:
                yield (uid, name, race, 1500, 0, 0, 0, 0, None)
                continue
            played = rng.randint(1, 300)
            won = rng.randint(0, played)
            drawn = rng.randint(0, (played - won) // 10)
            last = EPOCH - timedelta(seconds=rng.randrange(0, 365 * 86_400))
            yield (
                uid,
                name,
                race,
                rng.randint(700, 2600),
                played,
                won,
                played - won - drawn,
                drawn,
                last,
            )


def matches(lad: Ladder, n: int, *, seed: int = 4, start: datetime = EPOCH) -> list[MatchJob]:
    """``n`` matches between random players of ``lad`` (10% draws), one second apart."""
    rng = random.Random(seed)
    players = lad.players
    count = len(players)
    jobs = []
    for i in range(n):
        a = rng.randrange(count)
        b = rng.randrange(count - 1)
        b += b >= a
        (u1, r1), (u2, r2) = players[a], players[b]
        jobs.append(
            MatchJob(
                u1,
                rng.choice(r1),
                u2,
                rng.choice(r2),
                0 if rng.random() < 0.1 else 1,
                start + timedelta(seconds=i),
            )
        )
    return jobs


def write_csv(path: Path, jobs: Sequence[MatchJob]) -> None:
    with path.open("w") as out:
        out.write("p1_uid,p1_race,p2_uid,p2_race,result,played_at\n")
        for j in jobs:
            out.write(
                f"{j.p1_uid},{j.p1_race},{j.p2_uid},{j.p2_race},{j.result},"
                f"{j.played_at.isoformat()}\n"
            )


COPY_COLUMNS = (
    "discord_uid, player_name, race, mmr, games_played, games_won, games_lost, games_drawn, "
    "last_played"
)


def fill_postgres(conn: Any, lad: Ladder) -> int:
    """COPY the ladder's rows into ``mmrs_1v1`` (the schema must exist)."""
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY mmrs_1v1 ({COPY_COLUMNS}) FROM STDIN") as copy:
        for row in rows(lad):
            copy.write_row(row)
            n += 1
    conn.commit()
    return n


def fill_sqlite(path: Path, lad: Ladder) -> int:
    """Insert the ladder's rows into an embedded database the store created."""
    conn = sqlite3.connect(path)
    with conn:
        cur = conn.executemany(
            f"INSERT INTO mmrs_1v1 ({COPY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((*r[:8], None if r[8] is None else r[8].isoformat()) for r in rows(lad)),
        )
        n = cur.rowcount
    conn.close()
    return n
