"""The batched flush: same results as one job at a time, exactly once, poison isolated.

Each test runs on both stores (``db_url``). No timing here: speed lives in ``bench/``.
"""

from __future__ import annotations

import dataclasses
import random
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ladder_cli.core.ladder import Ladder
from ladder_cli.core.snapshot import Snapshots
from ladder_cli.domain.model import RACES, Job, MatchJob, QueuedJob, ResetJob, default_name
from ladder_cli.queue.writequeue import WriteQueue
from ladder_cli.util.config import resolve
from ladder_cli.util.errors import QueueError

POISON_UID = 666
START = datetime(2025, 1, 1, tzinfo=UTC)


def _jobs(n: int, *, seed: int = 7, players: int = 40) -> list[Job]:
    """Matches among few players (so batches touch the same rows many times), a few
    renames and resets of both kinds mixed in."""
    rng = random.Random(seed)
    uids = list(range(1, players + 1))
    jobs: list[Job] = []
    for i in range(n):
        a, b = rng.sample(uids, 2)
        name = f"Name{a}-{rng.randint(0, 2)}" if rng.random() < 0.05 else None
        jobs.append(
            MatchJob(
                a,
                rng.choice(RACES[:3]),
                b,
                rng.choice(RACES[:3]),
                rng.choice((1, 1, 1, 0)),
                START + timedelta(minutes=i),
                p1_name=name,
            )
        )
        if i % 37 == 20:
            race = rng.choice((None, *RACES[:3]))
            keep = rng.random() < 0.5
            jobs.append(ResetJob(a, race, 1400, keep, START + timedelta(minutes=i, seconds=30)))
    return jobs


def _ladder(url: str, home: Path, batch_size: int) -> Ladder:
    return Ladder(dataclasses.replace(resolve(db=url, home=home, env={}), batch_size=batch_size))


def _query(url: str, statement: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url[len("sqlite:///") :])
        try:
            return conn.execute(statement).fetchall()
        finally:
            conn.close()
    with psycopg.connect(url, autocommit=True) as pg:
        return pg.execute(statement).fetchall()  # type: ignore[arg-type]


def _execute(url: str, statement: str) -> None:
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url[len("sqlite:///") :])
        try:
            conn.executescript(statement)
        finally:
            conn.close()
        return
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(statement)  # type: ignore[arg-type]


def _wipe(url: str) -> None:
    """Empty the ladder's tables, ids starting again from 1."""
    tables = ("mmrs_1v1", "ladder_matches", "ladder_applied_jobs")
    if url.startswith("sqlite"):
        _execute(url, "".join(f"DELETE FROM {t};" for t in tables))
    else:
        _execute(url, f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")


def _snapshot(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    """Every entry in id order, the match log in order (without the queue's id), and the
    ledger's size.

    Entry ids are compared by their order only: PostgreSQL's upsert draws a sequence
    value even when it updates, so the gaps depend on how many statements ran.
    """
    entries = _query(
        url,
        "SELECT 0, discord_uid, race, player_name, mmr, games_played, games_won, "
        "games_lost, games_drawn, last_played FROM mmrs_1v1 ORDER BY id",
    )
    matches = _query(
        url,
        "SELECT match_id, played_at, p1_uid, p1_race, p1_mmr_before, p1_mmr_after, "
        "p2_uid, p2_race, p2_mmr_before, p2_mmr_after, result FROM ladder_matches "
        "ORDER BY match_id",
    )
    ledger = _query(url, "SELECT count(*) FROM ladder_applied_jobs")[0][0]
    return entries, matches, int(ledger)


def _without_job_ids(matches: dict[int, Any]) -> dict[int, Any]:
    return {seq: dataclasses.replace(m, job_id=None) for seq, m in matches.items()}


def _run(url: str, home: Path, jobs: Sequence[Job], batch_size: int) -> Any:
    with _ladder(url, home, batch_size) as ladder:
        ladder.init()
        ladder.record_many(jobs, flush=False)
        report = ladder.flush()
        assert report.pending == 0
        assert not report.failed
        board = ladder.leaderboard(top=0, min_games=0).to_dicts()
    return report, board


def test_batched_and_one_by_one_give_identical_results(db_url: str, tmp_path: Path) -> None:
    jobs = _jobs(400)
    batched, board_batched = _run(db_url, tmp_path / "batched", jobs, batch_size=10_000)
    after_batched = _snapshot(db_url)
    _wipe(db_url)
    single, board_single = _run(db_url, tmp_path / "single", jobs, batch_size=1)
    after_single = _snapshot(db_url)

    assert batched.applied == single.applied == len(jobs)
    assert after_batched == after_single
    assert board_batched == board_single
    # What each flush reported (before -> after of every match) agrees too.
    # (Job ids are random per queue, so they are left out of the comparison.)
    assert _without_job_ids(batched.matches) == _without_job_ids(single.matches)
    entries, matches, ledger = after_batched
    assert ledger == len(jobs)
    assert len(matches) == sum(isinstance(j, MatchJob) for j in jobs)
    # The batch really was one batch: rows were touched many times within it.
    assert len(entries) < len(matches)


def test_middle_sized_batches_agree_with_one_batch(db_url: str, tmp_path: Path) -> None:
    jobs = _jobs(150, seed=11)
    _run(db_url, tmp_path / "one", jobs, batch_size=100_000)
    whole = _snapshot(db_url)
    _wipe(db_url)
    _run(db_url, tmp_path / "sevens", jobs, batch_size=7)
    assert _snapshot(db_url) == whole


def test_replaying_a_batch_twice_changes_nothing(db_url: str, tmp_path: Path) -> None:
    jobs = _jobs(120, seed=3)
    with _ladder(db_url, tmp_path / "home", 1_000) as ladder:
        ladder.init()
        ladder.record_many(jobs, flush=False)
        queue, store = ladder.queue, ladder.store
        batch = [job for b in queue.pending_batches(1_000) for job in b]
        first = store.apply_batch(queue.queue_id, batch)
        assert len(first.applied) == len(jobs)
        applied_once = _snapshot(db_url)

        # The same batch again, as after a crash between the database's commit and the
        # queue's: the ledger skips every job.
        again = store.apply_batch(queue.queue_id, batch)
        assert again.applied == []
        assert again.already_applied == [q.seq for q in batch]
        assert again.matches == []
        assert _snapshot(db_url) == applied_once

        # And through the flush, whose queue still holds the jobs.
        report = ladder.flush()
        assert (report.applied, report.already_applied) == (0, len(jobs))
        assert report.pending == 0
        assert _snapshot(db_url) == applied_once

        # A half-overlapping batch applies only the new half.
        more = _jobs(10, seed=4)
        more = [
            dataclasses.replace(j, played_at=j.played_at + timedelta(days=1))
            for j in more
            if isinstance(j, MatchJob)
        ]
        pairs = ladder.queue.append_with_ids(more)
        seqs = [seq for seq, _ in pairs]
        mixed = batch[-5:] + [
            QueuedJob(seq, job, job_id) for (seq, job_id), job in zip(pairs, more, strict=True)
        ]
        result = store.apply_batch(queue.queue_id, mixed)
        assert result.already_applied == [q.seq for q in batch[-5:]]
        assert result.applied == seqs


def test_a_player_gaining_a_race_is_named_as_a_full_read_names_them(
    db_url: str, tmp_path: Path
) -> None:
    """A batch reads only the rows its matches touch, plus a player's other rows when the
    player gains a race: the new row takes the name of the player's first row in key order,
    as one job at a time does, even where the stored rows disagree on the name."""
    rows = [
        (1, "Zed", "bw_zerg", 1600),
        (1, "Tee", "sc2_terran", 1400),
        (2, "Bee", "bw_terran", 1500),
    ]
    jobs: list[Job] = [
        MatchJob(1, "sc2_terran", 2, "bw_terran", 1, START),
        MatchJob(1, "bw_protoss", 2, "bw_terran", 0, START + timedelta(minutes=1)),
        ResetJob(2, None, 1450, True, START + timedelta(minutes=2)),
        MatchJob(3, "sc2_zerg", 2, "bw_terran", 1, START + timedelta(minutes=3)),
    ]
    results = []
    for size in (10_000, 1):
        with _ladder(db_url, tmp_path / f"home{size}", size) as ladder:
            ladder.init()
            _wipe(db_url)
            for uid, name, race, mmr in rows:
                _execute(
                    db_url,
                    "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr) "
                    f"VALUES ({uid}, '{name}', '{race}', {mmr})",
                )
            ladder.record_many(jobs, flush=False)
            report = ladder.flush()
            assert (report.applied, report.failed) == (len(jobs), [])
        results.append(_snapshot(db_url))
    assert results[0] == results[1]
    names = {(uid, race): name for _, uid, race, name, *_ in results[0][0]}
    assert names[1, "bw_protoss"] == "Zed"
    assert names[3, "sc2_zerg"] == default_name(3)


def _refuse(url: str, name: str, table: str, column: str, uid: int) -> None:
    """The database refuses a row of ``table`` whose ``column`` is ``uid``."""
    if url.startswith("sqlite"):
        _execute(
            url,
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN NEW.{column} = {uid} "
            f"BEGIN SELECT RAISE(ABORT, 'player {uid} is banned'); END;",
        )
    else:
        _execute(url, f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} <> {uid})")


def _forbid_poison(url: str) -> None:
    _refuse(url, "no_poison", "mmrs_1v1", "discord_uid", POISON_UID)


def test_a_poison_job_is_isolated_and_the_rest_of_its_batch_applies(
    db_url: str, tmp_path: Path
) -> None:
    clean = _jobs(200, seed=5)
    poison_at = (17, 101, 180)
    jobs = list(clean)
    for offset, at in enumerate(poison_at):
        jobs.insert(
            at + offset,
            MatchJob(POISON_UID, "bw_zerg", 1, "bw_terran", 1, START + timedelta(hours=offset)),
        )

    # Reference: the clean jobs alone, one batch.
    _run(db_url, tmp_path / "reference", clean, batch_size=10_000)
    reference = _snapshot(db_url)
    _wipe(db_url)

    with _ladder(db_url, tmp_path / "home", 10_000) as ladder:
        ladder.init()
        _forbid_poison(db_url)
        seqs = ladder.queue.append(jobs)
        report = ladder.flush()
        poison_seqs = [s for s, j in zip(seqs, jobs, strict=True) if POISON_UID in _uids(j)]
        assert [seq for seq, _ in report.failed] == poison_seqs
        for _, reason in report.failed:
            assert reason.startswith("rejected by the database")
            assert "no_poison" in reason or "banned" in reason
        assert report.applied == len(clean)
        assert report.pending == 0
        status = ladder.wal_status()
        assert (status.pending, status.failed) == (0, len(poison_at))
        failed = ladder.wal_jobs("failed")
        assert [j.seq for j in failed] == poison_seqs
        assert all(j.error and "rejected" in j.error for j in failed)

    entries, matches, ledger = _snapshot(db_url)
    assert all(row[1] != POISON_UID for row in entries)
    assert ledger == len(clean)
    # The rest applied exactly as without the poison jobs: the same rows and matches in
    # the same order (ids aside: PostgreSQL does not give back ids of rolled-back tries).
    assert [e[1:] for e in entries] == [e[1:] for e in reference[0]]
    assert [m[2:] for m in matches] == [m[2:] for m in reference[1]]


def _uids(job: Job) -> tuple[int, ...]:
    return (job.p1_uid, job.p2_uid) if isinstance(job, MatchJob) else (job.uid,)


@pytest.mark.parametrize("batch_size", [1, 3, 1_000])
def test_flush_report_names_every_match_once(db_url: str, tmp_path: Path, batch_size: int) -> None:
    jobs = _jobs(30, seed=9)
    report, _ = _run(db_url, tmp_path / "home", jobs, batch_size=batch_size)
    matches = [j for j in jobs if isinstance(j, MatchJob)]
    assert len(report.matches) == len(matches)
    assert report.applied == len(jobs)


# -- batches of matches alone (the PostgreSQL store streams their log while rating them) --

REFUSED_IN_LOG = 777


def _matches_only(n: int, *, seed: int) -> list[Job]:
    """Matches among few players, with renames: no other kind of job, so on PostgreSQL
    each batch of at least ``COPY_THRESHOLD`` jobs streams its match log."""
    rng = random.Random(seed)
    jobs: list[Job] = []
    for i in range(n):
        a, b = rng.sample(range(1, 41), 2)
        jobs.append(
            MatchJob(
                a,
                rng.choice(RACES[:3]),
                b,
                rng.choice(RACES[:3]),
                rng.choice((1, 1, 0)),
                START + timedelta(minutes=i),
                p1_name=f"Renamed{a}" if i % 50 == 7 else None,
            )
        )
    return jobs


def _refuse_in_log(url: str) -> None:
    """The database refuses a match-log row (not an entry) of one player."""
    _refuse(url, "no_777", "ladder_matches", "p2_uid", REFUSED_IN_LOG)


@pytest.mark.parametrize("batch_size", [64, 100, 10_000])
def test_batches_of_matches_alone_agree_with_one_job_at_a_time(
    db_url: str, tmp_path: Path, batch_size: int
) -> None:
    """A job the rating fails and one the database refuses while the log streams are
    isolated; everything else is written as one job at a time writes it."""
    clean = _matches_only(300, seed=13)
    jobs = list(clean)
    jobs.insert(40, MatchJob(5, "bw_zerg", 5, "bw_terran", 1, START))  # one player, both sides
    jobs.insert(201, MatchJob(3, "bw_zerg", REFUSED_IN_LOG, "bw_terran", 1, START))

    _run(db_url, tmp_path / "reference", clean, batch_size=1)
    reference = _snapshot(db_url)
    _wipe(db_url)

    with _ladder(db_url, tmp_path / "home", batch_size) as ladder:
        ladder.init()
        _refuse_in_log(db_url)
        seqs = ladder.queue.append(jobs)
        report = ladder.flush()
        assert (report.applied, report.pending) == (len(clean), 0)
        assert [seq for seq, _ in report.failed] == [seqs[40], seqs[201]]
        assert "same player" in report.failed[0][1]
        assert report.failed[1][1].startswith("rejected by the database")

    entries, matches, ledger = _snapshot(db_url)
    assert ledger == len(clean)
    assert [e[1:] for e in entries] == [e[1:] for e in reference[0]]
    assert [m[2:] for m in matches] == [m[2:] for m in reference[1]]


def test_a_queue_that_cannot_forget_applied_jobs_stops_the_flush_losing_nothing(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several batches: the queue forgets each applied batch on a helper thread while the
    next one is applied. When that fails, the flush fails with it, the queue is settled
    when it does, and the next flush skips by the ledger what was applied."""
    jobs = _matches_only(100, seed=17)
    forget = WriteQueue.complete
    calls = 0

    def fails_third_time(queue: WriteQueue, seqs: Sequence[int]) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise QueueError("cannot write to the queue: disk full (injected)")
        forget(queue, seqs)

    with _ladder(db_url, tmp_path / "home", 10) as ladder:
        ladder.init()
        ladder.record_many(jobs, flush=False)
        monkeypatch.setattr(WriteQueue, "complete", fails_third_time)
        with pytest.raises(QueueError, match="injected"):
            ladder.flush()
        monkeypatch.undo()
        pending = ladder.wal_status().pending
        assert 10 <= pending <= len(jobs) - 20  # two batches forgotten, the third not
        report = ladder.flush()
        assert report.already_applied >= 10
        assert (report.applied + report.already_applied, report.pending) == (pending, 0)

    _, matches, ledger = _snapshot(db_url)
    assert ledger == len(matches) == len(jobs)


@pytest.mark.pg
def test_a_first_flush_of_several_batches_leaves_a_whole_snapshot(
    pg_url: str, tmp_path: Path
) -> None:
    """A home's first flush reads the whole table for its offline snapshot as it begins,
    beside its batches, and merges the rows it wrote in at the end: the snapshot then
    equals the table, with rows the flush never touched and renames of rows it did not
    rate."""
    with _ladder(pg_url, tmp_path / "other", 1_000) as other:
        other.init()
        other.record_many(_matches_only(60, seed=21), flush=True)  # another home's rows
    jobs = _matches_only(95, seed=22)  # the same players again, renames among them
    jobs += [
        MatchJob(
            100 + i, "sc2_terran", 200 + i, "sc2_zerg", 1, START + timedelta(days=1, minutes=i)
        )
        for i in range(20)
    ]
    with _ladder(pg_url, tmp_path / "home", 10) as ladder:
        ladder.record_many(jobs, flush=False)
        assert ladder.flush().pending == 0
        saved = Snapshots(ladder.settings.snapshot_dir, ladder.store.target).load_entries()
    assert saved is not None
    columns = ["discord_uid", "race", "player_name", "mmr", "games_played", "games_won"]
    table = _query(pg_url, f"SELECT {', '.join(columns)} FROM mmrs_1v1")
    assert sorted(saved[0].select(columns).rows()) == sorted(table)


@pytest.mark.pg
def test_an_error_while_locked_rows_stream_in_rolls_back_without_hanging(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error while the batch's locked rows stream in and are decoded reaches the
    caller, the transaction rolls back and its locks are released: the next flush applies
    everything. (The stream is closed explicitly, as a paused one holds the connection;
    this test does not reproduce that hang through the ladder, a bare psycopg stream
    does: see docs/benchmarks.md's note on the flush.)"""
    import threading

    import ladder_cli.stores.postgres.rows as postgres

    def fails_on_first_row(rows: Any) -> Any:
        for _ in rows:
            raise RuntimeError("decoding failed (injected)")
        return iter(())

    ladder = _ladder(pg_url, tmp_path / "home", 1_000)
    ladder.init()
    ladder.record_many(_matches_only(100, seed=31), flush=False)
    monkeypatch.setattr(postgres, "_entries", fails_on_first_row)
    monkeypatch.setattr(postgres, "_CHUNK_ROWS", 10)  # more chunks to come, as in a batch
    raised: list[BaseException] = []

    def flush() -> None:
        try:
            ladder.flush()
        except BaseException as exc:
            raised.append(exc)

    flusher = threading.Thread(target=flush, daemon=True)
    flusher.start()
    flusher.join(timeout=60)
    assert not flusher.is_alive(), "the flush hung on its own connection"
    assert [str(exc) for exc in raised] == ["decoding failed (injected)"]
    monkeypatch.undo()
    # The locks are free and nothing was written: another flush applies everything.
    report = ladder.flush()
    ladder.close()
    assert (report.applied, report.pending) == (100, 0)
