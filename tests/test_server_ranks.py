"""Leaderboard pages and profile rows ranked by PostgreSQL equal the in-memory ranks.

The property: for any table (ties in mmr and last_played, NULL last_played and game
counts, several races), any race, page, page size, minimum of games, rules preset and
activity window, :mod:`ladder_cli.stores.postgres.ranks` gives exactly what
:func:`ladder_cli.domain.ranks.leaderboard` and :func:`ladder_cli.domain.ranks.race_positions` give
over the loaded frame. Plus: the read path uses it, the index is created by `ladder init`
on a table it owns and only suggested on an adopted one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ladder_cli.domain.ranks import leaderboard, race_positions, with_ranks
from ladder_cli.domain.rules import EVOLADDER, STANDARD, Rules
from ladder_cli.stores import open_store
from ladder_cli.stores.postgres import PostgresStore
from ladder_cli.stores.postgres.ranks import RANK_INDEX
from tests.helpers import invoke

pytestmark = pytest.mark.pg

NOW = datetime(2026, 6, 1, tzinfo=UTC)
RACES = ("bw_terran", "bw_zerg", "sc2_protoss")


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresStore]:
    opened = open_store(pg_url)
    assert isinstance(opened, PostgresStore)
    opened.init_schema()
    try:
        yield opened
    finally:
        opened.close()


def _fill(url: str, rows: list[tuple[Any, ...]]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM mmrs_1v1")  # the ADBC reader keeps a share lock
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO mmrs_1v1 (id, discord_uid, player_name, race, mmr, games_played, "
                "games_won, games_lost, games_drawn, last_played) "
                "VALUES (%s, %s, %s, %s, %s, %s, 0, 0, 0, %s)",
                rows,
            )


# Few distinct values, so ties in mmr and in last_played are common; None is NULL.
_entry = st.tuples(
    st.integers(1, 6),  # discord_uid
    st.sampled_from(RACES),
    st.sampled_from([1400, 1500, 1500, 1600]),
    st.sampled_from([None, 0, 1, 2, 5]),  # games_played
    st.sampled_from([None, 1, 10, 10, 30]),  # last_played: days before NOW
)


def _rows(entries: list[tuple[Any, ...]], ids: list[int]) -> list[tuple[Any, ...]]:
    seen: set[tuple[int, str]] = set()
    rows = []
    for (uid, race, mmr, played, days), rid in zip(entries, ids, strict=False):
        if (uid, race) in seen:
            continue
        seen.add((uid, race))
        last = None if days is None else NOW - timedelta(days=days)
        rows.append((rid, uid, f"p{uid}", race, mmr, played, last))
    return rows


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    entries=st.lists(_entry, max_size=18),
    ids=st.permutations(range(1, 19)),
    race=st.sampled_from([None, *RACES]),
    top=st.sampled_from([None, 1, 3, 5]),
    page=st.integers(1, 4),
    min_games=st.integers(0, 3),
    rules=st.sampled_from([STANDARD, EVOLADDER, STANDARD.with_activity(14)]),
)
def test_server_page_equals_in_memory(
    store: PostgresStore,
    pg_url: str,
    entries: list[tuple[Any, ...]],
    ids: list[int],
    race: str | None,
    top: int | None,
    page: int,
    min_games: int,
    rules: Rules,
) -> None:
    _fill(pg_url, _rows(entries, ids))
    frame = store.load_frame()
    options: dict[str, Any] = {"race": race, "min_games": min_games, "top": top, "page": page}
    served = store.ranked_page(**options, rules=rules, now=NOW)
    expected = leaderboard(frame, **options, rules=rules, now=NOW)
    assert served is not None
    assert served.to_dicts() == expected.to_dicts()
    assert served.schema == expected.schema

    ranked = race_positions(with_ranks(frame, rules=rules, now=NOW))
    for uid in range(1, 7):
        mine = store.ranked_entries_of(uid, rules=rules, now=NOW)
        want = ranked.filter(ranked["discord_uid"] == uid).sort("race")
        assert mine is not None
        assert mine.to_dicts() == want.select(mine.columns).to_dicts()


def test_init_creates_the_index_on_its_own_table(store: PostgresStore, pg_url: str) -> None:
    assert store.index_advice is None
    with psycopg.connect(pg_url) as conn:
        found = conn.execute("SELECT to_regclass(%s)", (RANK_INDEX,)).fetchone()
    assert found == (RANK_INDEX,)


def test_init_only_suggests_the_index_on_an_adopted_table(pg_url: str, home: Path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE mmrs_1v1 (id SERIAL PRIMARY KEY, discord_uid BIGINT NOT NULL, "
            "player_name TEXT NOT NULL, race TEXT NOT NULL, mmr INTEGER NOT NULL, "
            "games_played INTEGER, games_won INTEGER, games_lost INTEGER, "
            "games_drawn INTEGER, last_played TIMESTAMPTZ, UNIQUE (discord_uid, race))"
        )
    result = invoke(home, pg_url, "init")
    assert result.code == 0, result.err
    assert "CREATE INDEX IF NOT EXISTS mmrs_1v1_rank_order" in " ".join(result.err.split())
    with psycopg.connect(pg_url) as conn:
        found = conn.execute("SELECT to_regclass(%s)", (RANK_INDEX,)).fetchone()
    assert found == (None,)


def test_cli_leaderboard_and_profile_read_ranked_rows(pg_url: str, home: Path) -> None:
    """End to end: the CLI's answers on PostgreSQL (served by the database) are those of
    the embedded store (ranked in memory) for the same matches."""
    answers = []
    for url in (pg_url, f"sqlite:///{home}/ladder.sqlite3"):
        assert invoke(home, url, "init").code == 0
        for day, (p1, p2) in enumerate(((10, 11), (12, 10), (11, 12), (10, 13)), start=1):
            at = f"2026-01-0{day}T12:00:00+00:00"
            rec = invoke(home, url, "record", p1, "bw_zerg", p2, "bw_terran", "--at", at)
            assert rec.code == 0, rec.err
        board = invoke(home, url, "leaderboard", "--format", "json")
        prof = invoke(home, url, "profile", 10, "--format", "json")
        assert board.code == 0 and prof.code == 0, board.err + prof.err
        answers.append((board.json, prof.json["races"]))
    assert answers[0] == answers[1]


@pytest.mark.parametrize("rename", [False, True])
def test_embedded_flush_updates_the_frame_cache(home: Path, rename: bool) -> None:
    """After a flush, the embedded store's ranked file is current (a write's rows merged
    in, no reload): it equals a fresh load of the database."""
    import polars as pl

    from ladder_cli.stores.sqlite import SqliteStore

    path = home / "ladder.sqlite3"
    url = f"sqlite:///{path}"
    for p1, p2 in ((1, 2), (3, 1), (2, 3)):
        assert invoke(home, url, "record", p1, "bw_zerg", p2, "bw_terran").code == 0
    assert invoke(home, url, "leaderboard").code == 0  # writes the cache
    extra = ["--p1-name", "Renamed"] if rename else []
    assert invoke(home, url, "record", 4, "sc2_zerg", 1, "bw_zerg", *extra).code == 0
    store = SqliteStore(path)
    try:
        cache = store._frame_cache()
        assert cache is not None and cache.exists()
        kept = pl.read_ipc(cache)
        cache.unlink()
        fresh = store.load_frame()
    finally:
        store.close()
    assert kept.to_dicts() == fresh.to_dicts()
    assert kept.height == 7
