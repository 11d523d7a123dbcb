"""Fault injection: deterministic SIGKILLs at every durable step, outages, a bad queue.

Each crash test runs the real ``ladder`` command in a subprocess with ``LADDER_FAILPOINT``
set, so it dies by SIGKILL exactly there (see :mod:`ladder_cli.util.failpoints`), then restarts
with ``ladder wal replay`` and checks that every acknowledged write is applied exactly
once, that the killed write is wholly applied or wholly absent (as the failpoint
dictates), and the invariants of :mod:`tests.invariants`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from ladder_cli.domain.rating import rate
from tests.invariants import (
    Ledger,
    Write,
    assert_clean,
    check_invariants,
    ladder,
    read_db,
    replay,
    report_figure,
    spawn,
    store_name,
    wal_status,
    write_csv,
)

BATCH = 3
FILE_MATCHES = 10  # four batches of 3, 3, 3 and 1

#: (uid, race) pairs that overlap, so every match depends on earlier ones.
PLAYERS = [(1, "bw_terran"), (2, "bw_zerg"), (3, "sc2_protoss"), (4, "bw_terran")]


def _pairs(n: int, offset: int = 0) -> list[tuple[int, str, int, str, int]]:
    out = []
    for i in range(offset, offset + n):
        (u1, r1), (u2, r2) = PLAYERS[i % 4], PLAYERS[(i + 1 + i // 4) % 4]
        if u1 == u2:
            (u2, r2) = PLAYERS[(i + 2) % 4]
        out.append((u1, r1, u2, r2, 0 if i % 5 == 0 else 1))
    return out


def _home(home: Path, batch: int = BATCH) -> Path:
    (home / "config.toml").write_text(f"batch_size = {batch}\n")
    return home


def _record(
    home: Path, url: str, book: Ledger, i: int, *, env: dict[str, str] | None = None,
    no_flush: bool = False, label: str = "record",
) -> tuple[Write, int]:  # fmt: skip
    write = book.new(1, label)
    u1, r1, u2, r2, result = _pairs(1, i)[0]
    args = ["record", str(u1), r1, str(u2), r2, "--at", write.ats[0].isoformat()]
    if result == 0:
        args.append("--draw")
    if no_flush:
        args.append("--no-flush")
    done = ladder(home, url, *args, env=env)
    write.acknowledged = done.returncode == 0
    if env is None:
        assert done.returncode == 0, done.stderr
    return write, done.returncode


def _record_file(
    home: Path, url: str, book: Ledger, n: int, *, env: dict[str, str] | None = None,
    no_flush: bool = False,
) -> tuple[Write, int]:  # fmt: skip
    write = book.new(n, "record --file")
    path = write_csv(home.parent / f"m{write.ats[0].timestamp():.0f}.csv", write, _pairs(n, 7))
    args = ["record", "--file", str(path)] + (["--no-flush"] if no_flush else [])
    done = ladder(home, url, *args, env=env)
    write.acknowledged = done.returncode == 0
    if env is None:
        assert done.returncode == 0, done.stderr
    return write, done.returncode


def _present(url: str, write: Write) -> int:
    ats = set(write.ats)
    return sum(1 for m in read_db(url).matches if m.played_at in ats)


def _finish(home: Path, url: str, book: Ledger, scenario: str, *, runs: int = 1) -> None:
    """One more acknowledged write, a final replay, then judge everything."""
    _record(home, url, book, 99, label="after")
    replay(home, url)
    status = wal_status(home, url)
    assert (status["pending"], status["failed"]) == (0, 0), status
    db = check_invariants(url)
    outcome = book.judge(db)
    assert_clean(outcome)
    report_figure(scenario, store_name(url), runs, outcome)


@dataclass(frozen=True)
class Crash:
    command: str  # "record", "file" or "replay"
    point: str
    applied: bool  # after a replay, is the killed write present?

    @property
    def id(self) -> str:
        return f"{self.command}@{self.point}"


CRASHES = [
    Crash("record", "after-validate", False),
    Crash("record", "after-queue-commit", True),
    Crash("record", "in-db-transaction", True),
    Crash("record", "after-db-commit", True),
    Crash("record", "between-batches", True),
    Crash("file", "after-validate", False),
    Crash("file", "after-queue-commit", True),
    Crash("file", "in-db-transaction", True),
    Crash("file", "in-db-transaction:2", True),
    Crash("file", "after-db-commit", True),
    Crash("file", "after-db-commit:3", True),
    Crash("file", "between-batches", True),
    Crash("file", "between-batches:3", True),
    Crash("replay", "in-db-transaction", True),
    Crash("replay", "in-db-transaction:2", True),
    Crash("replay", "after-db-commit:2", True),
    Crash("replay", "between-batches:2", True),
]


# One crash of each phase of the write path every day; the whole matrix with --run-slow.
@pytest.mark.slow_except(
    "sqlite-record@after-validate",
    "postgres-record@after-queue-commit",
    "sqlite-file@in-db-transaction:2",
    "postgres-file@after-db-commit:3",
    "sqlite-replay@between-batches:2",
)
@pytest.mark.parametrize("crash", CRASHES, ids=lambda c: c.id)
def test_sigkill_at_failpoint(crash: Crash, home: Path, db_url: str) -> None:
    home, url, book = _home(home), db_url, Ledger()
    for i in range(2):  # acknowledged writes before the crash
        _record(home, url, book, i)
    env = {"LADDER_FAILPOINT": crash.point}
    if crash.command == "record":
        killed, rc = _record(home, url, book, 2, env=env)
    elif crash.command == "file":
        killed, rc = _record_file(home, url, book, FILE_MATCHES, env=env)
    else:
        queued, _ = _record_file(home, url, book, FILE_MATCHES, no_flush=True)
        assert queued.acknowledged
        done = ladder(home, url, "wal", "replay", env=env)
        rc, killed = done.returncode, queued
    assert rc == -9, f"expected death by SIGKILL at {crash.point}, got exit {rc}"

    # Between crash and restart the database is consistent: transactions are atomic.
    check_invariants(url)
    in_db = _present(url, killed)
    pending = wal_status(home, url)["pending"]
    report = replay(home, url)
    # The replay applies what the database lacks and skips, by the ledger, what it has.
    assert report["applied"] + report["already_applied"] == pending
    assert report["applied"] == (len(killed.ats) - in_db if crash.applied else 0)
    if crash.point.startswith("after-db-commit"):
        assert report["already_applied"] >= 1, "the committed batch must be skipped"
    assert _present(url, killed) == (len(killed.ats) if crash.applied else 0)
    _finish(home, url, book, f"SIGKILL at {crash.id}")


@pytest.mark.slow
def test_repeated_kills_during_replay(home: Path, db_url: str) -> None:
    """Replay killed again and again, one batch further each time, then completed."""
    home, url, book = _home(home), db_url, Ledger()
    queued, _ = _record_file(home, url, book, FILE_MATCHES, no_flush=True)
    for point in ("in-db-transaction:1", "after-db-commit:1", "after-db-commit:1",
                  "between-batches:1", "in-db-transaction:2"):  # fmt: skip
        done = ladder(home, url, "wal", "replay", env={"LADDER_FAILPOINT": point})
        assert done.returncode == -9
        check_invariants(url)
    assert _present(url, queued) == 2 * BATCH
    _finish(home, url, book, "replay killed 5 times in a row")
    assert _present(url, queued) == FILE_MATCHES


@pytest.mark.slow_except("sqlite-after-queue-commit")
@pytest.mark.parametrize(
    "point", ["after-validate", "after-queue-commit", "in-db-transaction", "after-db-commit"]
)
def test_sigkill_during_reset(point: str, home: Path, db_url: str) -> None:
    """A reset killed at each point is applied once or not at all, in queue order: the
    match recorded after it is never wiped by a late second application."""
    home, url, book = _home(home), db_url, Ledger()
    for i in range(3):
        _record(home, url, book, i)
    done = ladder(home, url, "reset", "1", "--mmr", "1700", "--yes",
                  env={"LADDER_FAILPOINT": point})  # fmt: skip
    assert done.returncode == -9
    after, _ = _record(home, url, book, 4)  # 1 (bw_terran) beats 3 (sc2_protoss)
    replay(home, url)
    db = check_invariants(url, extra_ledger=1, chain=False)
    row = db.rows[(1, "bw_terran")]
    if point == "after-validate":
        check_invariants(url)  # no reset: the whole log replays from 1500
        assert len(db.ledger) == len(db.matches) == 4
    else:
        assert (row.games_played, row.games_won) == (1, 1), "the reset applied once, before"
        assert row.mmr == rate(1700, db.matches[-1].p2_mmr_before, 1.0)[0]
        assert len(db.ledger) == 5
    assert _present(url, after) == 1
    assert wal_status(home, url)["pending"] == 0
    report_figure(f"SIGKILL at reset@{point}", store_name(url), 1, book.judge(db))


# -- outages -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.pg
def test_postgres_stopped_mid_run(home: Path, pg_url: str, pg_cluster: object) -> None:
    """Writes made while the server is down queue durably, exit 0, and replay later."""
    from devtools.pgcluster import PgCluster

    assert isinstance(pg_cluster, PgCluster)
    home, url, book = _home(home), pg_url, Ledger()
    for i in range(3):
        _record(home, url, book, i)
    assert ladder(home, url, "leaderboard").returncode == 0  # leaves a snapshot for reads
    pg_cluster.stop("fast")
    try:
        for i in range(3, 8):
            _, rc = _record(home, url, book, i, env={})
            assert rc == 0, "a write queued while the database is down is accepted"
        _, rc = _record_file(home, url, book, FILE_MATCHES, env={})
        assert rc == 0
        done = ladder(home, url, "record", "1", "bw_terran", "2", "bw_zerg", "--at",
                      book.new(1, "offline").ats[0].isoformat())  # fmt: skip
        book.writes[-1].acknowledged = done.returncode == 0
        assert done.returncode == 0
        assert "wal replay" in done.stderr and "pending" in done.stderr
        assert "Traceback" not in done.stderr
        status = wal_status(home, url)
        assert status["pending"] == 5 + FILE_MATCHES + 1
        # Reads still work, from the snapshot with the queue on top, and say so.
        board = ladder(home, url, "leaderboard", "--format", "json")
        assert board.returncode == 0, board.stderr
        games = sum(r["games_played"] for r in json.loads(board.stdout))
        assert games == 2 * (3 + 5 + FILE_MATCHES + 1)
        assert "snapshot" in board.stderr
        failed = ladder(home, url, "wal", "replay")
        assert failed.returncode == 1 and "Traceback" not in failed.stderr
    finally:
        pg_cluster.start()
    report = replay(home, url)
    assert report["applied"] == 5 + FILE_MATCHES + 1
    _finish(home, url, book, "PostgreSQL stopped, writes queued, replayed")


@pytest.mark.slow
@pytest.mark.pg
@pytest.mark.durable
def test_postgres_crash_during_file_flush(home: Path, pg_url: str, pg_cluster: object) -> None:
    """The server dies (immediate stop = crash) while a large file is being flushed."""
    from devtools.pgcluster import PgCluster

    assert isinstance(pg_cluster, PgCluster)
    home, url, book = _home(home, batch=50), pg_url, Ledger()
    _record(home, url, book, 0)
    write = book.new(3000, "record --file")
    path = write_csv(home.parent / "big.csv", write, _pairs(3000, 3))
    proc = spawn(home, url, "record", "--file", str(path))
    try:
        _wait_for_matches(url, 1 + 200)  # well into the flush
        pg_cluster.stop("immediate")
        _, err = proc.communicate(timeout=120)
    finally:
        pg_cluster.start()
    write.acknowledged = proc.returncode == 0
    assert proc.returncode == 0, err  # queued and safe, says so
    assert "wal replay" in err and "Traceback" not in err
    report = replay(home, url)
    assert report["applied"] > 0
    _finish(home, url, book, "PostgreSQL crashed during a 3000-match flush")


def _wait_for_matches(url: str, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(read_db(url).matches) >= n:
                return
        except Exception:
            pass
        time.sleep(0.01)
    raise AssertionError(f"fewer than {n} matches after {timeout}s")


@pytest.mark.slow_except("1")
@pytest.mark.pg
@pytest.mark.parametrize("nth", [1, 4])
def test_connection_terminated_mid_transaction(
    nth: int, home: Path, pg_url: str, pg_cluster: object
) -> None:
    """pg_terminate_backend while the flush holds an open transaction (paused there)."""
    from devtools.pgcluster import PgCluster

    assert isinstance(pg_cluster, PgCluster)
    home, url, book = _home(home, batch=20), pg_url, Ledger()
    _record(home, url, book, 0)
    mark = home.parent / "paused"
    env = {
        "LADDER_FAILPOINT_PAUSE": f"in-db-transaction:{nth}",
        "LADDER_FAILPOINT_PAUSE_S": "30",
        "LADDER_FAILPOINT_MARK": str(mark),
    }
    write = book.new(100, "record --file")
    path = write_csv(home.parent / "m.csv", write, _pairs(100, 1))
    proc = spawn(home, url, "record", "--file", str(path), env=env)
    deadline = time.monotonic() + 60
    while not mark.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    before = len(read_db(url).matches)
    assert before == 1 + 20 * (nth - 1)  # the paused transaction has written nothing yet
    pg_cluster.terminate_backends(url.rsplit("/", 1)[1])
    os.unlink(mark)  # resume
    _, err = proc.communicate(timeout=60)
    write.acknowledged = proc.returncode == 0
    assert proc.returncode == 0, err
    assert "queued" in err and "wal replay" in err and "Traceback" not in err
    check_invariants(url)
    assert len(read_db(url).matches) == before
    report = replay(home, url)
    assert report["applied"] == 100 - 20 * (nth - 1)
    _finish(home, url, book, f"connection terminated in transaction {nth} of a flush")


@pytest.mark.pg
def test_write_refused_after_queueing_is_not_reported_as_failed(home: Path, pg_url: str) -> None:
    """The database refuses the flush for a reason that is not the data (here: the role
    may only read). The job is already queued and will apply on replay, so the command
    must not exit 1 ("nothing was accepted"): a retry would record the match twice."""
    import uuid

    import psycopg

    home, book = _home(home), Ledger()
    assert ladder(home, pg_url, "init").returncode == 0
    role = f"clerk_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'clerk-pw'")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    clerk = pg_url.replace(pg_url.split("//", 1)[1].split("@", 1)[0], f"{role}:clerk-pw", 1)
    try:
        write, rc = _record(home, clerk, book, 0, env={})
        assert rc == 0, "the match is queued durably: that is success, with a warning"
        assert wal_status(home, clerk)["pending"] == 1
        refused = ladder(home, clerk, "wal", "replay")
        assert refused.returncode == 1 and "permission denied" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert "Traceback" not in refused.stderr
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
            conn.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        assert replay(home, clerk)["applied"] == 1
        assert _present(pg_url, write) == 1
        outcome = book.judge(check_invariants(pg_url))
        assert_clean(outcome)
        report_figure("flush refused (read-only role) after the queue commit", "postgres", 1,
                      outcome)  # fmt: skip
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


# -- a damaged or foreign queue ------------------------------------------------------------


def _queue(home: Path) -> Path:
    return home / "queue.sqlite3"


def _crc(row: tuple[object, ...]) -> int:
    return zlib.crc32(repr(tuple(row)).encode())


_FIELDS = "kind, p1_uid, p1_race, p2_uid, p2_race, result, at_s, p1_name, p2_name, mmr, keep_stats"


@pytest.mark.parametrize("damage", ["edited", "edited-crc-fixed", "bad-kind"])
def test_damaged_queue_row_goes_to_failed(damage: str, home: Path, db_url: str) -> None:
    """A row changed behind the tool's back is moved to failed; the rest apply."""
    home, url, book = _home(home), db_url, Ledger()
    writes = [_record(home, url, book, i, no_flush=True)[0] for i in range(5)]
    conn = sqlite3.connect(_queue(home), isolation_level=None)
    seqs = [s for (s,) in conn.execute("SELECT seq FROM jobs ORDER BY seq")]
    victim = seqs[2]
    if damage == "edited":  # the CRC no longer matches
        conn.execute("UPDATE jobs SET p1_uid = p1_uid + 1000 WHERE seq = ?", (victim,))
    else:  # a consistent CRC over fields no valid job could have
        row = conn.execute(f"SELECT {_FIELDS} FROM jobs WHERE seq = ?", (victim,)).fetchone()
        row = (row[0], row[1], "zerg_rush", *row[3:]) if damage == "edited-crc-fixed" else (
            "teleport", *row[1:])  # fmt: skip
        conn.execute(
            "UPDATE jobs SET kind = ?, p1_race = ?, crc = ? WHERE seq = ?",
            (row[0], row[2], _crc(row), victim),
        )
    conn.close()
    done = ladder(home, url, "wal", "replay")
    assert done.returncode == 0, done.stderr
    assert "1 moved to failed" in done.stdout, done.stdout
    writes[2].acknowledged = False  # its content can no longer be trusted
    failed = json.loads(ladder(home, url, "wal", "failed", "--format", "json").stdout)
    assert [f["seq"] for f in failed] == [victim]
    assert failed[0]["error"].startswith("corrupt queue row")
    status = wal_status(home, url)
    assert (status["pending"], status["failed"]) == (0, 1)
    db = check_invariants(url)
    assert _present(url, writes[2]) == 0
    outcome = book.judge(db)
    assert_clean(outcome)
    report_figure(f"queue row damaged ({damage})", store_name(url), 1, outcome)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_queue_from_newer_version_is_refused_untouched(home: Path, db_url: str) -> None:
    home, url, book = _home(home), db_url, Ledger()
    _record(home, url, book, 0)
    _record(home, url, book, 1, no_flush=True)
    conn = sqlite3.connect(_queue(home), isolation_level=None)
    conn.execute("PRAGMA user_version = 99")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    files = sorted(p for p in home.iterdir() if p.name.startswith("queue"))
    before = {p.name: _digest(p) for p in files}
    db_before = read_db(url)
    for args in (["record", "1", "bw_terran", "2", "bw_zerg"], ["wal", "replay"],
                 ["wal", "status"], ["leaderboard"]):  # fmt: skip
        done = ladder(home, url, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "newer" in lines[0] and "schema 99" in lines[0] and "upgrade" in lines[0]
        assert "Traceback" not in done.stderr
    after = {p.name: _digest(p) for p in files if p.exists()}
    assert after == before, "the queue file must be left exactly as it was"
    assert read_db(url) == db_before
    report_figure("queue from a newer schema version", store_name(url), 1, lost=0, doubled=0)


def test_queue_not_a_database(home: Path, db_url: str) -> None:
    """A queue file that is garbage: exit 1 with one line, the file left as it was."""
    home, url = _home(home), db_url
    _queue(home).write_bytes(b"this is not a SQLite database, just a torn file" * 100)
    before = _digest(_queue(home))
    done = ladder(home, url, "record", "1", "bw_terran", "2", "bw_zerg")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "queue" in done.stderr and "Traceback" not in done.stderr
    assert _digest(_queue(home)) == before
    assert read_db(url).matches == []


# -- outages at random moments ---------------------------------------------------------------


def _trace_points(trace: Path) -> list[tuple[str, float]]:
    if not trace.exists():
        return []
    return [(n, float(t)) for n, t in (line.split() for line in trace.read_text().splitlines())]


def _outage_rounds(
    home: Path, url: str, pg_cluster: object, rounds: int, crashes: int, seed: int
) -> None:
    """Flush 300-match files (30 transactions) while the connection is terminated, or the
    server crashes, at a random moment of the flush; each command must exit 0 (applied,
    or queued and saying so), and nothing may be lost or doubled after the replay."""
    import random

    from devtools.pgcluster import PgCluster

    assert isinstance(pg_cluster, PgCluster)
    rng = random.Random(seed)
    home, book = _home(home, batch=10), Ledger()
    dbname = url.rsplit("/", 1)[1]
    trace = home.parent / "trace"
    env = {"LADDER_FAILPOINT_TRACE": str(trace)}
    _record(home, url, book, 0)
    flush_s = 1.0  # learnt from rounds that ran to the end
    interrupted = queued_rounds = 0
    for r in range(rounds):
        crash = r < crashes
        write = book.new(300, "record --file")
        path = write_csv(home.parent / f"o{r}.csv", write, _pairs(300, r))
        trace.unlink(missing_ok=True)
        proc = spawn(home, url, "record", "--file", str(path), env=env)
        while proc.poll() is None and not any(
            n == "after-queue-commit" for n, _ in _trace_points(trace)
        ):
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 1.1 * flush_s))
        acted = proc.poll() is None
        if acted:
            if crash:
                pg_cluster.stop("immediate")
                pg_cluster.start()
            else:
                pg_cluster.terminate_backends(dbname)
        _, err = proc.communicate(timeout=120)
        write.acknowledged = proc.returncode == 0
        assert proc.returncode == 0, f"[seed {seed}] round {r}: {err}"
        assert "Traceback" not in err
        points = _trace_points(trace)
        cut_short = "wal replay" in err
        interrupted += acted
        queued_rounds += cut_short
        if not cut_short and points:
            start = next(t for n, t in points if n == "after-queue-commit")
            flush_s = 0.5 * flush_s + 0.5 * (points[-1][1] - start)
        check_invariants(url)
    replay(home, url)
    db = check_invariants(url)
    outcome = book.judge(db)
    assert_clean(outcome)
    report_figure(
        "connection terminated / server crashed at a random moment of a flush",
        "postgres", rounds, outcome, interrupted=interrupted, cut_short=queued_rounds,
        server_crashes=crashes, seed=seed,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.pg
@pytest.mark.durable
def test_outages_at_random_moments(home: Path, pg_url: str, pg_cluster: object) -> None:
    import random

    _outage_rounds(home, pg_url, pg_cluster, 6, 1, random.randrange(2**32))


@pytest.mark.pg
@pytest.mark.durable
@pytest.mark.slow
@pytest.mark.stress
def test_outages_at_random_moments_full(home: Path, pg_url: str, pg_cluster: object) -> None:
    import random

    _outage_rounds(home, pg_url, pg_cluster, 60, 10, random.randrange(2**32))


# -- a queue file that was copied or restored from a backup ----------------------------------


def test_queue_restored_from_backup_loses_no_write(home: Path, db_url: str) -> None:
    home, url, book = _home(home), db_url, Ledger()
    _record(home, url, book, 0)
    backup = (home / "queue.sqlite3").read_bytes()
    for i in (1, 2):
        _record(home, url, book, i)
    for suffix in ("", "-wal", "-shm"):
        (home / f"queue.sqlite3{suffix}").unlink(missing_ok=True)
    (home / "queue.sqlite3").write_bytes(backup)
    restored, _ = _record(home, url, book, 3)  # its seq was used before the restore
    replay(home, url)
    outcome = book.judge(check_invariants(url))
    assert_clean(outcome)
    assert _present(url, restored) == 1
    report_figure("queue restored from an older backup, then written to", store_name(url), 1,
                  outcome)  # fmt: skip
