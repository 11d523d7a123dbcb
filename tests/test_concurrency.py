"""Concurrency: processes sharing a home, admins sharing a database, threads sharing a Ladder.

Every scenario ends with the invariants of :mod:`tests.invariants` (exact counts; ratings
equal to a sequential replay of the match log in ``match_id`` order) and with every
acknowledged write applied exactly once. The before → after each writer was shown must
be the one the match log holds: a lost update would show up there first.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.invariants import (
    EPOCH,
    REPO,
    Ledger,
    assert_clean,
    check_invariants,
    cli_env,
    ladder,
    read_db,
    report_figure,
    store_name,
    wal_status,
)

# Overlapping (player, race) entries: every writer touches every player.
PLAYERS = [(21, "bw_terran"), (22, "bw_zerg"), (23, "bw_protoss"), (24, "bw_terran"),
           (21, "sc2_zerg"), (25, "sc2_protoss")]  # fmt: skip

WORKER = r"""
import json, random, sys, time
from datetime import datetime, timedelta, timezone
from ladder_cli.core.ladder import Ladder

home, url, worker, n, go, mode = sys.argv[1:7]
worker, n = int(worker), int(n)
players = json.loads(sys.argv[7])
epoch = datetime.fromisoformat(sys.argv[8]) + timedelta(seconds=int(sys.argv[9]))
rng = random.Random(worker)
with Ladder.open(db=url, home=home) as lad:
    lad.queue  # open everything before the start signal
    while not __import__("os").path.exists(go):
        time.sleep(0.001)
    for i in range(n):
        (u1, r1), (u2, r2) = rng.sample(players, 2)
        while u1 == u2:
            (u1, r1), (u2, r2) = rng.sample(players, 2)
        at = epoch + timedelta(seconds=worker * 1_000_000 + i)
        draw = rng.random() < 0.15
        out = lad.record(u1, r1, u2, r2, draw=draw, at=at, flush=(mode == "flush"))
        m = out.matches[0] if out.matches else None
        print(json.dumps({
            "at": at.isoformat(), "applied": out.applied, "pending": out.pending,
            "shown": None if m is None else [m.p1_mmr_before, m.p1_mmr_after,
                                             m.p2_mmr_before, m.p2_mmr_after],
        }), flush=True)
"""


def _workers(
    homes: list[Path], url: str, n: int, tmp: Path, *, mode: str = "flush", base: int = 0
) -> list[list[dict[str, Any]]]:
    """Start one library worker per home entry at once; their per-call outcomes."""
    go = tmp / f"go-{base}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                str(home),
                url,
                str(w),
                str(n),
                str(go),
                mode,
                json.dumps(PLAYERS),
                EPOCH.isoformat(),
                str(base),
            ],
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for w, home in enumerate(homes)
    ]
    time.sleep(1.0)  # let them import and open their queues
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        results.append([json.loads(line) for line in out.splitlines()])
    return results


def _judge(url: str, results: list[list[dict[str, Any]]], *, shown: bool = True) -> Any:
    db = check_invariants(url)
    by_at = {m.played_at.isoformat(): m for m in db.matches}
    total = sum(len(r) for r in results)
    assert len(db.matches) == total, f"{len(db.matches)} matches logged for {total} writes"
    assert sum(r.games_played for r in db.rows.values()) == 2 * total
    assert len(by_at) == total, "a write was applied twice"
    for calls in results:
        for call in calls:
            assert call["at"] in by_at, f"acknowledged write {call['at']} lost"
            if shown and call["applied"]:
                m = by_at[call["at"]]
                logged = [m.p1_mmr_before, m.p1_mmr_after, m.p2_mmr_before, m.p2_mmr_after]
                assert call["shown"] == logged, (
                    f"{call['at']}: shown {call['shown']}, logged {logged}"
                )
    return db


def _four_processes(home: Path, db_url: str, tmp_path: Path, rounds: int) -> None:
    results: list[list[dict[str, Any]]] = []
    for r in range(rounds):
        got = _workers([home] * 4, db_url, 250, tmp_path, base=r * 10_000)
        assert all(call["applied"] for calls in got for call in calls)
        results += got
        _judge(db_url, results)
        status = wal_status(home, db_url)
        assert (status["pending"], status["failed"]) == (0, 0)
    report_figure("4 processes x 250 record, one home", store_name(db_url), rounds, lost=0,
                  doubled=0, writes=1000 * rounds)  # fmt: skip


@pytest.mark.slow
def test_four_processes_one_home(home: Path, db_url: str, tmp_path: Path) -> None:
    """4 processes x 250 `record` calls on overlapping players, one home, one queue."""
    _four_processes(home, db_url, tmp_path, 1)


@pytest.mark.slow
@pytest.mark.stress
def test_four_processes_one_home_repeated(home: Path, db_url: str, tmp_path: Path) -> None:
    _four_processes(home, db_url, tmp_path, 5)


@pytest.mark.slow
def test_four_cli_processes_one_home(home: Path, db_url: str, tmp_path: Path) -> None:
    """The real command: 4 concurrent loops of `ladder record` on one home."""
    per_worker = 6
    book = Ledger()
    writes = [[book.new(1, f"w{w}") for _ in range(per_worker)] for w in range(4)]

    def loop(w: int) -> None:
        for i, write in enumerate(writes[w]):
            (u1, r1), (u2, r2) = PLAYERS[(w + i) % 6], PLAYERS[(w + 2 * i + 1) % 6]
            if u1 == u2:
                (u2, r2) = PLAYERS[(w + 2 * i + 2) % 6]
            done = ladder(home, db_url, "record", str(u1), r1, str(u2), r2, "--at",
                          write.ats[0].isoformat())  # fmt: skip
            write.acknowledged = done.returncode == 0
            assert done.returncode == 0, done.stderr

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(w.acknowledged for ws in writes for w in ws)
    outcome = book.judge(check_invariants(db_url))
    assert_clean(outcome)
    assert wal_status(home, db_url)["pending"] == 0
    report_figure("4 CLI processes x 6 record, one home", store_name(db_url), 1, outcome)


def _two_admins(db_url: str, tmp_path: Path, rounds: int) -> None:
    homes = [tmp_path / "admin-a", tmp_path / "admin-b"]
    for h in homes:
        h.mkdir()
    everything: list[list[dict[str, Any]]] = [[], []]
    for r in range(rounds):
        for h in homes:
            (h / "config.toml").unlink(missing_ok=True)
        results = _workers(homes, db_url, 250, tmp_path, base=r * 10_000)
        everything = [everything[0] + results[0], everything[1] + results[1]]
        db = _judge(db_url, everything)
        assert len({m.queue_id for m in db.matches}) == 2
        # Then each queues offline and both replay at once, in small interleaving batches.
        for h in homes:
            (h / "config.toml").write_text("batch_size = 7\n")
        queued = _workers(homes, db_url, 150, tmp_path, mode="queue", base=500_000 + r * 10_000)
        for calls in queued:
            assert calls[-1]["pending"] == 150
        argv = ["wal", "replay", "--format", "json"]
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "ladder_cli", "--home", str(h), "--db", db_url, *argv],
                env=cli_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
            )
            for h in homes
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            assert json.loads(out)["applied"] == 150
        everything = [everything[0] + queued[0], everything[1] + queued[1]]
        _judge(db_url, everything, shown=False)
    report_figure("two admins (two queues) flushing to one database", store_name(db_url),
                  rounds, lost=0, doubled=0, writes=800 * rounds)  # fmt: skip


@pytest.mark.slow
def test_two_admins_two_queues_one_database(db_url: str, tmp_path: Path) -> None:
    """Two homes (two queues, two queue ids) flushing to one database at once."""
    _two_admins(db_url, tmp_path, 1)


@pytest.mark.slow
@pytest.mark.stress
def test_two_admins_two_queues_one_database_repeated(db_url: str, tmp_path: Path) -> None:
    _two_admins(db_url, tmp_path, 5)


# -- one embedded database, a writer and other processes coming and going --------------------


def _matches_seen_elsewhere(url: str) -> int:
    """How many logged matches a fresh process reading the database sees."""
    code = f"from tests.invariants import read_db; print(len(read_db({url!r}).matches))"
    done = subprocess.run([sys.executable, "-c", code], env=cli_env(), capture_output=True,
                          text=True, cwd=REPO, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_other_processes_closing_the_embedded_database_lose_nothing(
    home: Path, tmp_path: Path
) -> None:
    """A process that flushed to SQLite must still hold its lock on the database file.

    Closing any descriptor of a file drops every POSIX lock the process holds on it, so a
    flush that opened the database file itself (to key the frame cache) silently gave up
    SQLite's lock saying "this process has the database open". The next process to close
    the database (a finished writer, a read in another terminal) then took itself for the
    last one: it checkpointed and deleted the WAL under the writer, whose later commits
    went to the deleted file: acknowledged writes lost, and the database corrupted.
    """
    from ladder_cli.core.ladder import Ladder

    url = f"sqlite:///{tmp_path}/ladder.sqlite3"
    other = tmp_path / "other-home"
    other.mkdir()
    book = Ledger()
    with Ladder.open(db=url, home=home) as lad:
        write = book.new(1, "first")
        write.acknowledged = lad.record(21, "bw_terran", 22, "bw_zerg", at=write.ats[0]).applied
        # Another process opens the database, reads, and closes it.
        assert ladder(other, url, "leaderboard").returncode == 0
        write = book.new(1, "after the reader closed")
        write.acknowledged = lad.record(23, "bw_protoss", 21, "bw_terran", at=write.ats[0]).applied
        assert _matches_seen_elsewhere(url) == 2, "a committed write is invisible to others"
        write = book.new(1, "another home")
        done = ladder(other, url, "record", "24", "bw_terran", "25", "sc2_protoss", "--at",
                      write.ats[0].isoformat())  # fmt: skip
        write.acknowledged = done.returncode == 0
        write = book.new(1, "last")
        write.acknowledged = lad.record(22, "bw_zerg", 24, "bw_terran", at=write.ats[0]).applied
    assert all(w.acknowledged for w in book.writes)
    outcome = book.judge(check_invariants(url))
    assert_clean(outcome)
    assert outcome.acknowledged == 4
    path = url[len("sqlite:///") :]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# -- threads in one process ------------------------------------------------------------------


def _frame_rows(frame: Any) -> set[tuple[Any, ...]]:
    cols = ["discord_uid", "race", "mmr", "games_played", "games_won", "games_lost",
            "games_drawn"]  # fmt: skip
    return set(frame.select(cols).iter_rows())


def _db_rows(url: str) -> set[tuple[Any, ...]]:
    return {
        (r.discord_uid, r.race, r.mmr, r.games_played, r.games_won, r.games_lost, r.games_drawn)
        for r in read_db(url).rows.values()
    }


def _threads(home: Path, db_url: str, readers: int, rounds: int) -> None:
    """8 threads x 40 `record` on one Ladder (and readers reloading the frame meanwhile):
    the in-memory frame ends equal to the database, row for row."""
    from ladder_cli.core.ladder import Ladder

    book = Ledger()
    for _ in range(rounds):
        stop = threading.Event()
        errors: list[BaseException] = []
        with Ladder.open(db=db_url, home=home) as lad:
            lad.record(21, "bw_terran", 22, "bw_zerg", at=book.new().ats[0])
            book.writes[-1].acknowledged = True
            lad.frame()  # loaded: from here on every flush must update it

            def writer(w: int, lad: Ladder = lad, errors: list[BaseException] = errors) -> None:
                try:
                    for i in range(40):
                        write = book.new(1, f"t{w}")
                        (u1, r1), (u2, r2) = PLAYERS[(w + i) % 6], PLAYERS[(w + 3 * i + 1) % 6]
                        if u1 == u2:
                            (u2, r2) = PLAYERS[(w + 3 * i + 2) % 6]
                        out = lad.record(u1, r1, u2, r2, draw=i % 7 == 0, at=write.ats[0])
                        write.acknowledged = out.applied
                except BaseException as exc:
                    errors.append(exc)

            def reader(lad: Ladder = lad, stop: threading.Event = stop,
                       errors: list[BaseException] = errors) -> None:  # fmt: skip
                try:
                    while not stop.is_set():
                        lad.refresh()
                        lad.frame()
                        lad.leaderboard(top=5)
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
            threads += [threading.Thread(target=reader) for _ in range(readers)]
            for t in threads:
                t.start()
            for t in threads[:8]:
                t.join()
            stop.set()
            for t in threads[8:]:
                t.join()
            assert not errors, errors
            frame = lad.frame()
            assert _frame_rows(frame) == _db_rows(db_url), "the in-memory frame lost an update"
    outcome = book.judge(check_invariants(db_url))
    assert_clean(outcome)
    assert outcome.acknowledged == 321 * rounds
    report_figure(f"8 threads x 40 record on one Ladder ({readers} reader threads)",
                  store_name(db_url), rounds, outcome)  # fmt: skip


@pytest.mark.slow_except("postgres-with-readers")
@pytest.mark.parametrize("readers", [0, 2], ids=["writers-only", "with-readers"])
def test_threads_never_lose_a_frame_update(readers: int, home: Path, db_url: str) -> None:
    _threads(home, db_url, readers, 1)


@pytest.mark.slow
@pytest.mark.stress
@pytest.mark.parametrize("readers", [0, 2], ids=["writers-only", "with-readers"])
def test_threads_never_lose_a_frame_update_repeated(readers: int, home: Path, db_url: str) -> None:
    _threads(home, db_url, readers, 20)
