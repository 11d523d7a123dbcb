"""The in-memory state of one process: the seed's two lessons, on both stores.

1. Polars frames are immutable: a write through a Ladder must replace its frame by a new
   one (reassignment), and reads through the same Ladder show the write at once, without
   reloading from the database.
2. Read-modify-write must be locked: several threads recording on one Ladder lose no
   update, neither in the in-memory frame nor in the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from ladder_cli import Ladder
from tests.helpers import elo, query

T0 = datetime(2026, 4, 1, 18, 0, tzinfo=UTC)
KEY = ["discord_uid", "race"]


def keys(frame: pl.DataFrame) -> set[tuple[int, str]]:
    return set(frame.select(KEY).iter_rows())


def row(frame: pl.DataFrame, uid: int, race: str) -> dict[str, Any]:
    [found] = frame.filter((pl.col("discord_uid") == uid) & (pl.col("race") == race)).to_dicts()
    return found


def fresh_frame(db_url: str, tmp: Path) -> pl.DataFrame:
    """The table as a brand-new process would load it."""
    with Ladder.open(db=db_url, home=tmp) as other:
        return other.frame()


def same_rows(a: pl.DataFrame, b: pl.DataFrame) -> None:
    a, b = a.sort(KEY), b.sort(KEY)
    assert a.columns == b.columns
    assert a.schema == b.schema
    assert a.to_dicts() == b.to_dicts()


# -- lesson 1: reassignment, no reload --------------------------------------------------


def test_writes_replace_the_frame_and_show_at_once(db_url: str, home: Path, tmp_path: Path) -> None:
    with Ladder.open(db=db_url, home=home) as ladder:
        ladder.init()
        ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)
        first = ladder.frame()
        kept = first.clone()
        assert keys(first) == {(1, "bw_terran"), (2, "bw_zerg")}
        assert ladder.frame() is first  # cached: no reload between writes

        # A row written behind this Ladder's back: it must not appear until a refresh,
        # which proves the frame below is maintained, not reloaded.
        query(
            db_url,
            "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, "
            "games_won, games_lost, games_drawn) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (999, "Ghost", "sc2_zerg", 2000, 3, 3, 0, 0),
        )

        # Existing players, new races: new rows.
        ladder.record(1, "bw_protoss", 2, "bw_zerg", at=T0 + timedelta(minutes=1))
        second = ladder.frame()
        assert second is not first
        assert first.equals(kept)  # the old frame object is untouched
        assert keys(second) == {(1, "bw_terran"), (2, "bw_zerg"), (1, "bw_protoss")}
        assert row(second, 1, "bw_protoss")["games_played"] == 1
        assert row(second, 1, "bw_protoss")["mmr"] == elo(1500, 1480, 1.0)[0]
        assert row(second, 2, "bw_zerg")["games_played"] == 2
        assert row(second, 2, "bw_zerg")["mmr"] == elo(1500, 1480, 1.0)[1]

        board = ladder.leaderboard(top=0)
        assert board.height == 3
        assert 999 not in board["discord_uid"].to_list()
        assert ladder.profile(1).races[0]["games_played"] == 1

        # Updates of existing rows, and a rename, land in the frame too.
        ladder.record(2, "bw_zerg", 1, "bw_terran", p1_name="Renamed", at=T0 + timedelta(1))
        third = ladder.frame()
        assert third is not second
        assert row(third, 2, "bw_zerg")["games_won"] == 1
        assert row(third, 2, "bw_zerg")["player_name"] == "Renamed"
        assert row(third, 1, "bw_terran")["games_lost"] == 1
        assert 999 not in third["discord_uid"].to_list()

        # Apart from the row written behind its back, the frame is what the database holds.
        loaded = fresh_frame(db_url, tmp_path / "other")
        same_rows(third, loaded.filter(pl.col("discord_uid") != 999))

        ladder.refresh()
        assert 999 in ladder.frame()["discord_uid"].to_list()
        same_rows(ladder.frame(), loaded)


def test_reset_replaces_the_frame(db_url: str, home: Path, tmp_path: Path) -> None:
    with Ladder.open(db=db_url, home=home) as ladder:
        ladder.init()
        ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)
        ladder.record(1, "sc2_zerg", 2, "sc2_zerg", at=T0)
        before = ladder.frame()
        ladder.reset(1, race="sc2_zerg", mmr=1111)
        after = ladder.frame()
        assert after is not before
        assert row(before, 1, "sc2_zerg")["mmr"] == 1520
        assert row(after, 1, "sc2_zerg")["mmr"] == 1111
        assert row(after, 1, "sc2_zerg")["games_played"] == 0
        assert row(after, 1, "bw_terran")["games_played"] == 1
        same_rows(after, fresh_frame(db_url, tmp_path / "other"))


def test_queued_writes_show_before_they_are_flushed(db_url: str, home: Path) -> None:
    with Ladder.open(db=db_url, home=home) as ladder:
        ladder.init()
        ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)
        stored = ladder.frame()
        ladder.record(1, "sc2_terran", 3, "sc2_protoss", at=T0, flush=False)
        # The stored frame is unchanged; the read overlays the queue.
        assert ladder.frame() is stored
        board = ladder.leaderboard(top=0)
        assert board.height == 4
        assert ladder.profile(3).races[0]["games_played"] == 1
        ladder.flush()
        assert keys(ladder.frame()) == {
            (1, "bw_terran"),
            (2, "bw_zerg"),
            (1, "sc2_terran"),
            (3, "sc2_protoss"),
        }
        assert ladder.leaderboard(top=0).equals(board)


# -- lesson 2: no lost update under concurrency ------------------------------------------

THREADS = 8
PER_THREAD = 25
PLAYERS = 6
RACES = ("bw_terran", "bw_zerg", "bw_protoss")


def _match(thread: int, i: int) -> tuple[int, str, int, str, bool]:
    """Deterministic, heavily overlapping pairings (six players, three races)."""
    p1 = 1 + (thread + i) % PLAYERS
    p2 = 1 + (thread * 5 + 3 * i + 1) % PLAYERS
    if p2 == p1:
        p2 = 1 + p1 % PLAYERS
    return p1, RACES[(thread + i) % 3], p2, RACES[i % 3], (thread + i) % 9 == 0


def _run_threads(target: Callable[[int], None], count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def body(n: int) -> None:
        try:
            barrier.wait()
            target(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _check_consistent(ladder: Ladder, db_url: str, tmp: Path, matches: int) -> None:
    frame = ladder.frame()
    assert frame["games_played"].sum() == 2 * matches
    assert frame["games_won"].sum() == frame["games_lost"].sum()
    assert ladder.wal_status().pending == 0
    [(entries, games)] = query(db_url, "SELECT count(*), sum(games_played) FROM mmrs_1v1")
    assert int(games) == 2 * matches
    assert int(entries) == frame.height
    [(logged,)] = query(db_url, "SELECT count(*) FROM ladder_matches")
    [(ledger,)] = query(db_url, "SELECT count(DISTINCT job_id) FROM ladder_applied_jobs")
    assert int(logged) == int(ledger) == matches
    same_rows(frame, fresh_frame(db_url, tmp))

    # Replaying the match log in apply order: every match starts from the previous
    # match's result for that entry, and follows Elo. A lost update would break the chain.
    log = query(
        db_url,
        "SELECT p1_uid, p1_race, p1_mmr_before, p1_mmr_after, p2_uid, p2_race, "
        "p2_mmr_before, p2_mmr_after, result FROM ladder_matches ORDER BY match_id",
    )
    mmr: dict[tuple[int, str], int] = {}
    for p1, r1, b1, a1, p2, r2, b2, a2, result in log:
        assert (b1, b2) == (mmr.get((p1, r1), 1500), mmr.get((p2, r2), 1500))
        assert (a1, a2) == elo(b1, b2, 1.0 if result == 1 else 0.5)
        mmr[(p1, r1)], mmr[(p2, r2)] = a1, a2
    assert (
        dict(((u, r), m) for u, r, m in frame.select("discord_uid", "race", "mmr").iter_rows())
        == mmr
    )


def test_concurrent_records_on_one_ladder_lose_nothing(
    db_url: str, home: Path, tmp_path: Path
) -> None:
    with Ladder.open(db=db_url, home=home) as ladder:
        ladder.init()
        ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)
        ladder.frame()  # loaded: from here on every flush must keep it current

        def work(n: int) -> None:
            for i in range(PER_THREAD):
                p1, r1, p2, r2, draw = _match(n, i)
                outcome = ladder.record(
                    p1, r1, p2, r2, draw=draw, at=T0 + timedelta(minutes=n * PER_THREAD + i)
                )
                assert outcome.applied
                assert len(outcome.matches) == 1

        assert _run_threads(work, THREADS) == []
        _check_consistent(ladder, db_url, tmp_path / "other", THREADS * PER_THREAD + 1)


def test_concurrent_records_and_reads_from_a_cold_start(
    db_url: str, home: Path, tmp_path: Path
) -> None:
    """Readers load the frame while writers flush: the loaded frame must not miss writes."""
    with Ladder.open(db=db_url, home=home) as ladder:
        ladder.init()
        ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)
        writers = THREADS - 2

        def work(n: int) -> None:
            if n >= writers:
                for _ in range(PER_THREAD):
                    board = ladder.leaderboard(top=0, min_games=0)
                    assert board["games_played"].sum() % 2 == 0
                    if n == writers:
                        ladder.refresh()  # force cold loads while writers run
                return
            for i in range(PER_THREAD):
                p1, r1, p2, r2, draw = _match(n, i)
                ladder.record(p1, r1, p2, r2, draw=draw, at=T0 + timedelta(hours=n, minutes=i))

        assert _run_threads(work, THREADS) == []
        _check_consistent(ladder, db_url, tmp_path / "other", writers * PER_THREAD + 1)


def test_reads_never_see_half_a_batch(db_url: str, home: Path) -> None:
    """Threads share the Ladder's connection: a read must not land inside another
    thread's open write transaction, where it would see one side of a match only."""
    with Ladder.open(db=db_url, home=home) as ladder:
        ladder.init()
        uids = list(range(1, PLAYERS + 1))
        torn: list[int] = []
        done = threading.Event()
        writers = THREADS - 2

        def work(n: int) -> None:
            if n < writers:
                try:
                    for i in range(PER_THREAD):
                        p1, r1, p2, r2, draw = _match(n, i)
                        ladder.record(p1, r1, p2, r2, draw=draw, at=T0 + timedelta(minutes=i))
                finally:
                    if n == 0:
                        done.set()
                return
            while not done.is_set():
                games = sum(e.games_played for e in ladder.store.entries_of(uids))
                if games % 2:
                    torn.append(games)
                names = ladder.names_of(uids)
                assert set(names) <= set(uids)

        assert _run_threads(work, THREADS) == []
        assert torn == []
        [(games,)] = query(db_url, "SELECT sum(games_played) FROM mmrs_1v1")
        assert int(games) == 2 * writers * PER_THREAD
