"""Writes that fail on the way: the home's disk full (the file-size limit, RLIMIT_FSIZE,
set on the running command), and a server that refuses writes (read-only, a statement
timeout). A failed queue write acknowledges nothing (exit 1, one line); a write the queue
holds is never reported as failed (exit 0 with the warning) and is replayed later.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from devtools.pgcluster import PgCluster
from ladder_cli.stores.postgres.store import ADVISORY_LOCK_KEY
from tests.helpers import query
from tests.invariants import (
    Ledger,
    assert_clean,
    check_invariants,
    ladder,
    replay,
    report_figure,
    spawn,
    store_name,
    wal_status,
)

FILE_LIMIT = 1024  # bytes: every queue page lies beyond it


def csv_of(path: Path, led: Ledger, n: int) -> tuple[Path, object]:
    write = led.new(n, label="record --file")
    lines = ["p1_uid,p1_race,p2_uid,p2_race,result,played_at"]
    lines += [f"{1 + i % 5},bw_terran,{10 + i % 3},bw_zerg,{i % 2},{at.isoformat()}"
              for i, at in enumerate(write.ats)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path, write


def limited_at(home: Path, url: str, point: str, *args: str) -> tuple[int, str, str]:
    """Run ``ladder ARGS``; at failpoint ``point``, limit its file size to FILE_LIMIT
    bytes (as a full disk would stop it), and let it finish."""
    mark = home.parent / f"pause-{point}"
    proc = spawn(home, url, *args, env={
        "LADDER_FAILPOINT_PAUSE": point, "LADDER_FAILPOINT_MARK": str(mark),
        "LADDER_FAILPOINT_PAUSE_S": "60",
    })  # fmt: skip
    deadline = time.monotonic() + 60
    while not mark.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (FILE_LIMIT, hard))
    mark.unlink()
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def first_write(home: Path, url: str, led: Ledger) -> None:
    w = led.new(label="record")
    done = ladder(
        home, url, "record", "1", "bw_terran", "2", "bw_zerg", "--at", w.ats[0].isoformat()
    )
    assert done.returncode == 0, done.stderr
    w.acknowledged = True


def test_a_full_disk_while_queueing_acknowledges_nothing(db_url: str, home: Path) -> None:
    led = Ledger()
    first_write(home, db_url, led)
    path, write = csv_of(home.parent / "m.csv", led, 200)
    code, out, err = limited_at(home, db_url, "after-validate", "record", "--file", str(path))
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1, (code, out, err)
    assert "queue" in err and "Traceback" not in err
    write.acknowledged = False  # type: ignore[attr-defined]
    # The queue opens, holds nothing of the failed write, and the next writes apply.
    assert wal_status(home, db_url)["pending"] == 0
    again, _ = csv_of(home.parent / "m2.csv", led, 50)
    done = ladder(home, db_url, "record", "--file", str(again))
    assert done.returncode == 0, done.stderr
    led.writes[-1].acknowledged = True
    assert replay(home, db_url)["pending"] == 0
    outcome = led.judge(check_invariants(db_url))
    assert_clean(outcome)
    assert outcome.unacknowledged_applied == 0
    report_figure("home's file-size limit reached while the queue is written (RLIMIT_FSIZE)",
                  store_name(db_url), 1, outcome)  # fmt: skip


def test_a_full_disk_after_the_database_committed_is_not_a_failure(db_url: str, home: Path) -> None:
    """The database applied the write; the queue cannot record that. Exit 1 would say
    "nothing was accepted" and invite a retry that doubles the match."""
    led = Ledger()
    first_write(home, db_url, led)
    w = led.new(label="record")
    code, out, err = limited_at(home, db_url, "after-db-commit", "record", "3", "bw_zerg", "4",
                                "sc2_zerg", "--at", w.ats[0].isoformat())  # fmt: skip
    assert code == 0, (code, out, err)
    assert "queued and safe" in err and "Traceback" not in err
    w.acknowledged = True
    report = replay(home, db_url)
    assert (report["already_applied"], report["pending"]) == (1, 0)
    outcome = led.judge(check_invariants(db_url))
    assert_clean(outcome)
    report_figure("home's file-size limit reached after the database committed",
                  store_name(db_url), 1, outcome)  # fmt: skip


# -- the server refuses writes -------------------------------------------------------------


@pytest.mark.pg
def test_a_read_only_database_keeps_writes_queued(
    pg_url: str, pg_cluster: PgCluster, home: Path
) -> None:
    led = Ledger()
    first_write(home, pg_url, led)
    name = pg_url.rsplit("/", 1)[1]
    with pg_cluster.connect() as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    try:
        for _ in range(2):
            w = led.new(label="record")
            done = ladder(home, pg_url, "record", "1", "bw_terran", "3", "bw_zerg",
                          "--at", w.ats[0].isoformat())  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert "read-only" in done.stderr and "queued and safe" in done.stderr
            w.acknowledged = True
        assert wal_status(home, pg_url)["pending"] == 2
        refused = ladder(home, pg_url, "wal", "replay")
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    finally:
        with pg_cluster.connect() as conn:
            conn.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    assert replay(home, pg_url)["applied"] == 2
    outcome = led.judge(check_invariants(pg_url))
    assert_clean(outcome)
    report_figure("server refuses writes (default_transaction_read_only)", "postgres", 1,
                  outcome)  # fmt: skip


@pytest.mark.pg
def test_a_statement_timeout_keeps_writes_queued(
    pg_url: str, pg_cluster: PgCluster, home: Path
) -> None:
    led = Ledger()
    first_write(home, pg_url, led)
    name = pg_url.rsplit("/", 1)[1]
    with pg_cluster.connect() as conn:
        conn.execute(f"ALTER DATABASE \"{name}\" SET statement_timeout = '300ms'")
    try:
        # Another session holds the ladder's write lock: the flush waits past the timeout.
        with pg_cluster.connect(name) as holder:
            holder.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
            w = led.new(label="record")
            done = ladder(home, pg_url, "record", "1", "bw_terran", "3", "bw_zerg",
                          "--at", w.ats[0].isoformat())  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert "statement timeout" in done.stderr and "queued and safe" in done.stderr
            w.acknowledged = True
            assert wal_status(home, pg_url)["pending"] == 1
    finally:
        with pg_cluster.connect() as conn:
            conn.execute(f'ALTER DATABASE "{name}" RESET statement_timeout')
    assert replay(home, pg_url)["applied"] == 1
    outcome = led.judge(check_invariants(pg_url))
    assert_clean(outcome)
    assert query(pg_url, "SELECT count(*) FROM ladder_matches") == [(2,)]
    report_figure("server refuses writes (statement timeout)", "postgres", 1, outcome)
