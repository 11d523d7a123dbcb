"""The embedded store's frame cache: in rank order, current after any write, never trusted
when damaged."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from ladder_cli.core.ladder import Ladder
from ladder_cli.domain import ranks
from ladder_cli.domain.model import MatchJob
from ladder_cli.stores.sqlite import SqliteStore
from ladder_cli.util.config import resolve

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def ladder(home: Path):
    lad = Ladder(resolve(home=home, env={}))
    jobs = [
        MatchJob(
            1 + i % 9, "bw_terran", 10 + i % 7, "sc2_zerg", int(i % 5 != 0), T0 + timedelta(hours=i)
        )
        for i in range(60)
    ]
    assert lad.record_many(jobs).applied
    yield lad
    lad.close()


def _store(ladder: Ladder) -> SqliteStore:
    store = ladder.store
    assert isinstance(store, SqliteStore)
    return store


def _caches(store: SqliteStore) -> list[Path]:
    return sorted(store.path.parent.glob(f".{store.path.name}.frame-*.arrow"))


def _from_sql(store: SqliteStore) -> pl.DataFrame:
    """The table read the plain way, in rank order."""
    from ladder_cli.domain.frames import frame_from_rows
    from ladder_cli.stores import sql

    with store.read_cursor() as cur:
        cur.execute(sql.ALL_ENTRIES)
        return ranks.in_order(frame_from_rows(cur.fetchall(), timestamps_as_text=True))


def test_frame_is_in_rank_order_and_cached(ladder):
    store = _store(ladder)
    first = store.load_frame()
    assert first.equals(_from_sql(store))
    [cache] = _caches(store)
    assert pl.read_ipc(cache).equals(first)
    assert store.load_frame().equals(first)  # the second read is the file
    scan = store.ranked_scan()
    assert scan is not None and scan.collect().equals(first)


def test_a_write_by_another_connection_makes_a_new_cache(ladder):
    store = _store(ladder)
    before = store.load_frame()
    with sqlite3.connect(store.path) as raw:
        raw.execute("UPDATE mmrs_1v1 SET mmr = 3000 WHERE discord_uid = 1")
    after = store.load_frame()
    assert after.equals(_from_sql(store)) and not after.equals(before)
    assert after["discord_uid"][0] == 1  # now first in rank order
    [cache] = _caches(store)  # the stale one is gone
    assert pl.read_ipc(cache).equals(after)
    page = ranks.leaderboard_in_order(store.ranked_scan(), top=1)
    assert page["discord_uid"].to_list() == [1] and page["mmr"].to_list() == [3000]


def test_a_damaged_cache_is_read_from_the_database_again(ladder):
    store = _store(ladder)
    good = store.load_frame()
    [cache] = _caches(store)
    cache.write_bytes(b"not arrow at all")
    # the leaderboard falls back to the frame, which replaces the damaged file
    board = ladder.leaderboard(top=None)
    assert board.equals(ranks.leaderboard(good, top=None))
    assert store.load_frame().equals(good)
    assert pl.read_ipc(_caches(store)[0]).equals(good)


def test_leaderboard_read_from_the_cache_equals_the_frame(ladder):
    for options in ({}, {"race": "sc2_zerg"}, {"min_games": 0, "top": 5, "page": 2}):
        got = ladder.leaderboard(**options)
        assert _caches(_store(ladder)), "the page was read from the ranked file"
        expected = ranks.leaderboard(
            _from_sql(_store(ladder)),
            race=options.get("race"),
            top=options.get("top", 20),
            page=options.get("page", 1),
            min_games=options.get("min_games", 1),
        )
        assert got.equals(expected)


def test_pending_writes_show_although_the_cache_is_older(ladder):
    ladder.leaderboard()  # builds the cache
    ladder.record(3, "bw_terran", 12, "sc2_zerg", at=T0, flush=False)
    board = {(r["discord_uid"], r["race"]): r for r in ladder.leaderboard(top=None).to_dicts()}
    stored = {(r["discord_uid"], r["race"]): r for r in _from_sql(_store(ladder)).to_dicts()}
    assert board[3, "bw_terran"]["games_played"] == stored[3, "bw_terran"]["games_played"] + 1


def test_a_cache_replaced_while_a_page_is_read_falls_back_to_the_frame(ladder, tmp_path):
    expected = ranks.leaderboard(_from_sql(_store(ladder)))
    gone = tmp_path / "replaced-by-another-process.arrow"
    store = _store(ladder)
    store.ranked_scan = lambda: pl.scan_ipc(gone)  # type: ignore[method-assign]
    assert ladder.leaderboard().equals(expected)


def test_rows_kept_between_batches_are_dropped_when_another_connection_commits(home):
    # batches of 2: the rows a batch leaves are reused by the next, unless someone else
    # wrote meanwhile, as the raw UPDATE below does between the two flushes
    settings = dataclasses.replace(resolve(home=home, env={}), batch_size=2)
    with Ladder(settings) as lad:
        lad.record_many(
            [MatchJob(1, "bw_terran", 2, "bw_zerg", 1, T0)] * 1
            + [
                MatchJob(1, "bw_terran", 3, "bw_zerg", 1, T0 + timedelta(hours=1)),
                MatchJob(2, "bw_zerg", 3, "bw_zerg", 0, T0 + timedelta(hours=2)),
            ]
        )
        store = _store(lad)
        assert store._rows_of, "the flush kept the rows of its last batch"
        with sqlite3.connect(store.path) as raw:
            raw.execute("UPDATE mmrs_1v1 SET mmr = 2222, games_played = 50 WHERE discord_uid = 1")
        assert lad.record_many(
            [MatchJob(1, "bw_terran", 2, "bw_zerg", 1, T0 + timedelta(hours=3))]
        ).applied
        [row] = [r for r in _from_sql(store).to_dicts() if r["discord_uid"] == 1]
        # Elo from the row the other connection wrote, not from the kept copy
        assert row["games_played"] == 51
        [match] = lad.history(1, limit=1)
        assert match.p1_mmr_before == 2222


def test_a_rolled_back_batch_leaves_no_trace_in_the_kept_rows(home):
    from ladder_cli.stores.interface import JobRejected

    with Ladder(resolve(home=home, env={})) as lad:
        [first] = lad.record(1, "bw_terran", 2, "bw_zerg", at=T0).matches
        store = _store(lad)
        write = store._write

        def refuse_once(*args, **kwargs):
            store._write = write  # type: ignore[method-assign]
            raise JobRejected("refused by the test")

        store._write = refuse_once  # type: ignore[method-assign]
        # the batch computes (changing the kept rows in memory), then its write fails
        rejected = lad.record(1, "bw_terran", 2, "bw_zerg", at=T0 + timedelta(hours=1))
        assert rejected.failed and not rejected.applied
        [third] = lad.record(1, "bw_terran", 2, "bw_zerg", at=T0 + timedelta(hours=2)).matches
        assert third.p1_mmr_before == first.p1_mmr_after  # not the rejected match's result
        [row] = [r for r in _from_sql(store).to_dicts() if r["discord_uid"] == 1]
        assert row["games_played"] == 2 and row["mmr"] == third.p1_mmr_after


def test_a_rolled_back_batch_leaves_earlier_batches_results_alone(home):
    from ladder_cli.stores.interface import JobRejected

    settings = dataclasses.replace(resolve(home=home, env={}), batch_size=1)
    with Ladder(settings) as lad:
        lad.record(1, "bw_terran", 2, "bw_zerg", at=T0)
        lad.frame()  # a frame kept in memory, updated from each flush's entries
        store = _store(lad)
        write, calls = store._write, []

        def refuse_the_second(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise JobRejected("refused by the test")
            return write(*args, **kwargs)

        store._write = refuse_the_second  # type: ignore[method-assign]
        jobs = [MatchJob(1, "bw_terran", 2, "bw_zerg", 1, T0 + timedelta(hours=h)) for h in (1, 2)]
        outcome = lad.record_many(jobs)
        assert len(outcome.failed) == 1
        kept = {(r["discord_uid"], r["race"]): r for r in lad.frame().to_dicts()}
        stored = {(r["discord_uid"], r["race"]): r for r in _from_sql(store).to_dicts()}
        assert kept == stored  # not the rejected batch's numbers
        assert stored[1, "bw_terran"]["games_played"] == 2
