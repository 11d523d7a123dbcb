"""The rank-order index around a large flush (:mod:`ladder_cli.stores.postgres.rank_index`).

A flush of many jobs into a table the ladder created drops the index and builds it once
afterwards; a small flush keeps it, and builds it when an earlier flush stopped before
doing so; an index on a table the ladder did not create is never touched; a busy table
keeps its index. Whatever happens to the index, the flush writes the same rows and the
leaderboard served by the database equals the in-memory one.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from ladder_cli.core.ladder import Ladder
from ladder_cli.domain.model import MatchJob
from ladder_cli.domain.ranks import leaderboard
from ladder_cli.domain.rules import STANDARD
from ladder_cli.stores.postgres import rank_index
from ladder_cli.stores.postgres.ranks import RANK_INDEX

pytestmark = pytest.mark.pg

START = datetime(2026, 1, 1, tzinfo=UTC)
RACES = ("bw_terran", "bw_zerg", "sc2_protoss")
PLAYERS = 60


def _jobs(count: int, seed: int) -> list[MatchJob]:
    rng = random.Random(seed)
    jobs = []
    for i in range(count):
        p1, p2 = rng.sample(range(1, PLAYERS + 1), 2)
        jobs.append(
            MatchJob(
                p1, rng.choice(RACES), p2, rng.choice(RACES), rng.choice([0, 1, 1]),
                START + timedelta(seconds=i),
            )
        )  # fmt: skip
    return jobs


def _index(url: str) -> tuple[int, bool] | None:
    """The index's oid (a new one once it is built again) and whether it is valid."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT indexrelid::int8, indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)",
            (RANK_INDEX,),
        ).fetchone()
    return None if row is None else (int(row[0]), bool(row[1]))


def _games(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT COALESCE(sum(games_played), 0) FROM mmrs_1v1").fetchone()
    assert row is not None
    return int(row[0])


def _flush(url: str, home: Path, jobs: list[MatchJob]) -> None:
    with Ladder.open(url, home) as ladder:
        ladder.record_many(jobs, flush=False)
        report = ladder.flush(keep_matches=())
        assert report.applied == len(jobs) and not report.failed and not report.pending


def _same_boards(url: str, home: Path) -> None:
    """The page the database ranks (along the index when it has one) is the in-memory one."""
    with Ladder.open(url, home) as ladder:
        frame = ladder.store.load_frame()
        served = ladder.store.ranked_page(race=None, min_games=0, top=25, page=2, rules=STANDARD)
    assert served is not None
    assert served.to_dicts() == leaderboard(frame, top=25, page=2, rules=STANDARD).to_dicts()


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flush of 40 jobs or more counts as large (the real threshold is thousands)."""
    monkeypatch.setattr(rank_index, "MIN_JOBS", 40)


@pytest.fixture
def ladder_url(pg_url: str, home: Path) -> str:
    with Ladder.open(pg_url, home) as ladder:
        ladder.init()
    _flush(pg_url, home, _jobs(10, seed=1))  # every player has rows
    return pg_url


@pytest.mark.usefixtures("small_threshold")
def test_a_large_flush_builds_the_index_again(ladder_url: str, home: Path) -> None:
    before = _index(ladder_url)
    assert before is not None and before[1]
    _flush(ladder_url, home, _jobs(300, seed=2))
    after = _index(ladder_url)
    assert after is not None and after[1]
    assert after[0] != before[0]  # dropped and built again
    assert _games(ladder_url) == 2 * 310
    _same_boards(ladder_url, home)


@pytest.mark.usefixtures("small_threshold")
def test_a_small_flush_keeps_the_index(ladder_url: str, home: Path) -> None:
    before = _index(ladder_url)
    _flush(ladder_url, home, _jobs(20, seed=3))
    assert _index(ladder_url) == before
    assert _games(ladder_url) == 2 * 30


@pytest.mark.usefixtures("small_threshold")
@pytest.mark.parametrize("left", ["missing", "invalid"])
def test_the_next_flush_builds_an_index_left_behind(ladder_url: str, home: Path, left: str) -> None:
    """A flush that stopped between dropping and building (or a build that was stopped)
    leaves the index missing or invalid: the next flush, however small, builds it."""
    with psycopg.connect(ladder_url, autocommit=True) as conn:
        if left == "missing":
            conn.execute(f"DROP INDEX {RANK_INDEX}")
        else:
            conn.execute(
                "UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass",
                (RANK_INDEX,),
            )
    _flush(ladder_url, home, _jobs(5, seed=4))
    found = _index(ladder_url)
    assert found is not None and found[1]
    _same_boards(ladder_url, home)


@pytest.mark.usefixtures("small_threshold")
def test_no_flush_builds_it_while_another_has_it_dropped(ladder_url: str, home: Path) -> None:
    with psycopg.connect(ladder_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (rank_index.BULK_LOCK_KEY,))
        other.execute(f"DROP INDEX {RANK_INDEX}")
        _flush(ladder_url, home, _jobs(5, seed=5))
        assert _index(ladder_url) is None  # left to the flush that dropped it
        _flush(ladder_url, home, _jobs(300, seed=6))  # large: neither drops nor builds
        assert _index(ladder_url) is None
    _flush(ladder_url, home, _jobs(5, seed=7))
    found = _index(ladder_url)
    assert found is not None and found[1]
    assert _games(ladder_url) == 2 * (10 + 5 + 300 + 5)


@pytest.mark.usefixtures("small_threshold")
def test_a_busy_table_keeps_its_index(
    ladder_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction of the bot's still open on the table: the drop would wait for it, so
    the flush gives up after the wait and writes with the index, as before."""
    monkeypatch.setattr(rank_index, "DROP_WAIT", "50ms")
    before = _index(ladder_url)
    with psycopg.connect(ladder_url) as bot:
        bot.execute("SELECT count(*) FROM mmrs_1v1").fetchone()  # its transaction stays open
        _flush(ladder_url, home, _jobs(300, seed=8))
        assert _index(ladder_url) == before
        bot.rollback()
    assert _games(ladder_url) == 2 * 310
    _same_boards(ladder_url, home)


@pytest.mark.usefixtures("small_threshold")
def test_an_index_on_an_adopted_table_is_never_dropped(pg_url: str, home: Path) -> None:
    """The bot's table with an index the admin made by the ladder's suggestion: not ours."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE mmrs_1v1 (id SERIAL PRIMARY KEY, discord_uid BIGINT NOT NULL, "
            "player_name TEXT NOT NULL, race TEXT NOT NULL, mmr INTEGER NOT NULL, "
            "games_played INTEGER, games_won INTEGER, games_lost INTEGER, "
            "games_drawn INTEGER, last_played TIMESTAMPTZ, UNIQUE (discord_uid, race))"
        )
        conn.execute(f"CREATE INDEX {RANK_INDEX} ON mmrs_1v1 (mmr DESC, last_played DESC, id)")
    with Ladder.open(pg_url, home) as ladder:
        ladder.init()
    before = _index(pg_url)
    _flush(pg_url, home, _jobs(300, seed=9))
    assert _index(pg_url) == before
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP INDEX {RANK_INDEX}")
    _flush(pg_url, home, _jobs(5, seed=10))
    assert _index(pg_url) is None  # an adopted table gets no index from a flush either


def test_init_builds_an_invalid_index_again(ladder_url: str, home: Path) -> None:
    with psycopg.connect(ladder_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass", (RANK_INDEX,)
        )
    with Ladder.open(ladder_url, home) as ladder:
        ladder.init()
    found = _index(ladder_url)
    assert found is not None and found[1]
