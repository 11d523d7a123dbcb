"""Retention of applied jobs and `ladder wal reconcile`: a database restored from a backup
gets back, exactly once and in the original order, every job this home applied since.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devtools.pgcluster import PgCluster
from ladder_cli.domain.model import MatchJob, ResetJob
from ladder_cli.queue.writequeue import WriteQueue
from tests.helpers import Run, invoke, query
from tests.invariants import (
    Ledger,
    Write,
    assert_clean,
    check_invariants,
    read_db,
    report_figure,
    store_name,
)

TARGET = "sqlite:///somewhere.sqlite3"
AT = datetime(2026, 1, 1, tzinfo=UTC)


def m(p1: int, p2: int, result: int = 1) -> MatchJob:
    return MatchJob(p1, "bw_terran", p2, "bw_zerg", result, AT)


# -- the queue keeps applied jobs --------------------------------------------------------


def test_applied_jobs_are_retained_in_order_then_pruned(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    q = WriteQueue(path, TARGET)
    ids = q.append_with_ids([m(1, 2), m(3, 4), m(5, 6)])
    q.complete([ids[2][0], ids[0][0]])
    assert q.pending_count() == 1 and q.retained_count() == 2
    retained = [job for batch in q.retained_batches(1) for job in batch]
    # In queue order, with their seqs and job ids, as they were queued.
    assert [(j.seq, j.job_id) for j in retained] == [ids[0], ids[2]]
    assert [j.job for j in retained] == [m(1, 2), m(5, 6)]
    # Another target's jobs are not this one's.
    assert WriteQueue(path, "sqlite:///other.sqlite3").retained_count() == 0
    # Older than retain_days: pruned at the next completion.
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("UPDATE retained_jobs SET applied_at = ?", (time.time() - 3 * 86400,))
    q2 = WriteQueue(path, TARGET, retain_days=2)
    q2.complete([ids[1][0]])
    assert [j.seq for b in q2.retained_batches(10) for j in b] == [ids[1][0]]


def test_retain_days_zero_keeps_nothing(tmp_path: Path) -> None:
    q = WriteQueue(tmp_path / "q.sqlite3", TARGET, retain_days=0)
    [(seq, _)] = q.append_with_ids([m(1, 2)])
    q.complete([seq])
    assert q.retained_count() == 0 and q.pending_count() == 0


def test_a_damaged_retained_row_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    q = WriteQueue(path, TARGET)
    seqs = q.append([m(1, 2), m(3, 4)])
    q.complete(seqs)
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("UPDATE retained_jobs SET p1_uid = 99 WHERE seq = ?", (seqs[0],))
    corrupt: list[tuple[int, str]] = []
    assert [j.seq for b in q.retained_batches(10, corrupt=corrupt) for j in b] == [seqs[1]]
    assert [seq for seq, _ in corrupt] == [seqs[0]]


def test_a_queue_from_before_retention_gains_it(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    q = WriteQueue(path, TARGET)
    q.append([m(1, 2)])
    q.close()
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("DROP TABLE retained_jobs")
    q = WriteQueue(path, TARGET)
    q.complete([job.seq for job in q.pending_jobs()])
    assert q.retained_count() == 1


def test_retain_days_in_the_config_file(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.sqlite3"
    (home / "config.toml").write_text("retain_days = 0\n")
    assert invoke(home, url, "record", 1, "bw_terran", 2, "bw_zerg").code == 0
    done = invoke(home, url, "wal", "reconcile", "--format", "json")
    assert done.code == 0 and done.json["checked"] == 0 and done.json["retain_days"] == 0
    (home / "config.toml").write_text("retain_days = -1\n")
    bad = invoke(home, url, "wal", "reconcile")
    assert bad.code == 2 and len(bad.err_lines) == 1 and "retain_days" in bad.err


# -- restore from a backup -----------------------------------------------------------------

PAIRS = [(1, "bw_terran", 2, "bw_zerg"), (2, "bw_zerg", 3, "sc2_protoss"),
         (3, "sc2_protoss", 1, "bw_terran"), (4, "bw_zerg", 1, "bw_terran")]  # fmt: skip


def record_writes(home: Path, url: str, led: Ledger, singles: int, file_size: int) -> int:
    """``singles`` single records and one ``record --file`` of ``file_size``; each is
    acknowledged (exit 0). Returns the number of jobs."""
    for i in range(singles):
        write = led.new(label="record")
        u1, r1, u2, r2 = PAIRS[i % len(PAIRS)]
        args = [u1, r1, u2, r2, "--at", write.ats[0].isoformat()]
        done = invoke(home, url, "record", *args, *(["--draw"] if i % 3 == 2 else []))
        assert done.code == 0, done
        write.acknowledged = True
    if file_size:
        write = led.new(file_size, label="record --file")
        csv = home.parent / f"m{len(led.writes)}.csv"
        lines = ["p1_uid,p1_race,p2_uid,p2_race,result,played_at"]
        for j, at in enumerate(write.ats):
            u1, r1, u2, r2 = PAIRS[j % len(PAIRS)]
            lines.append(f"{u1 + j % 7},{r1},{u2 + 10},{r2},{j % 2},{at.isoformat()}")
        csv.write_text("\n".join(lines) + "\n")
        done = invoke(home, url, "record", "--file", csv)
        assert done.code == 0, done
        write.acknowledged = True
    return singles + file_size


def backup(url: str, cluster: PgCluster | None, to: Path) -> Path:
    if cluster is None:
        path = url[len("sqlite:///") :]
        with closing(sqlite3.connect(path)) as src, closing(sqlite3.connect(to)) as dst:
            src.backup(dst)
        return to
    return cluster.dump(dbname(url))


def restore(url: str, cluster: PgCluster | None, saved: Path) -> None:
    if cluster is None:
        path = url[len("sqlite:///") :]
        with closing(sqlite3.connect(saved)) as src, closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
        return
    cluster.restore(dbname(url), saved)


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?")[0]


def reconcile(home: Path, url: str) -> Run:
    done = invoke(home, url, "wal", "reconcile", "--format", "json")
    assert done.code == 0, done
    return done


def restore_scenario(
    home: Path, url: str, cluster: PgCluster | None, tmp_path: Path, rounds: int, size: int
) -> None:
    led = Ledger()
    before = record_writes(home, url, led, singles=3, file_size=size)
    saved = backup(url, cluster, tmp_path / "backup.sqlite3")
    after = 0
    for _ in range(rounds):
        after += record_writes(home, url, led, singles=4, file_size=size)
    restore(url, cluster, saved)
    # The restored database lost the later writes: this is what reconcile is for.
    lost = led.judge(read_db(url))
    assert lost.lost == rounds * 5 and lost.doubled == 0  # 4 records and a file a round
    done = reconcile(home, url)
    assert done.json == {
        "checked": before + after,
        "missing": after,
        "reapplied": after,
        "failed": 0,
        "corrupt": 0,
        "pending": 0,
        "retain_days": 14,
    }
    outcome = led.judge(check_invariants(url))
    assert_clean(outcome)
    # Exactly once: a second reconcile finds nothing missing.
    assert reconcile(home, url).json["missing"] == 0
    assert_clean(led.judge(check_invariants(url)))
    report_figure(
        "database restored from a backup, then `wal reconcile`", store_name(url), 1, outcome
    )


def test_restore_from_a_backup_then_reconcile(
    db_url: str, home: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    cluster = None if db_url.startswith("sqlite") else request.getfixturevalue("pg_cluster")
    restore_scenario(home, db_url, cluster, tmp_path, rounds=1, size=20)


@pytest.mark.slow
@pytest.mark.stress
def test_restore_from_a_backup_then_reconcile_many(
    db_url: str, home: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    cluster = None if db_url.startswith("sqlite") else request.getfixturevalue("pg_cluster")
    (home / "config.toml").write_text("batch_size = 7\n")  # reconcile over many batches
    restore_scenario(home, db_url, cluster, tmp_path, rounds=5, size=400)


def test_a_reset_is_reapplied_as_a_reset(db_url: str, home: Path, tmp_path: Path,
                                          request: pytest.FixtureRequest) -> None:  # fmt: skip
    cluster = None if db_url.startswith("sqlite") else request.getfixturevalue("pg_cluster")
    assert invoke(home, db_url, "record", 1, "bw_terran", 2, "bw_zerg").code == 0
    saved = backup(db_url, cluster, tmp_path / "backup.sqlite3")
    assert invoke(home, db_url, "reset", 1, "--mmr", 1700, "--yes").code == 0
    assert invoke(home, db_url, "record", 2, "bw_zerg", 1, "bw_terran").code == 0
    want = query(db_url, "SELECT discord_uid, race, mmr, games_played FROM mmrs_1v1")
    restore(db_url, cluster, saved)
    assert reconcile(home, db_url).json["reapplied"] == 2
    assert sorted(query(db_url, "SELECT discord_uid, race, mmr, games_played FROM mmrs_1v1")) == (
        sorted(want)
    )
    check_invariants(db_url, extra_ledger=1, chain=False)


def test_reconcile_with_the_database_down_changes_nothing(
    home: Path, pg_url: str, pg_cluster: PgCluster
) -> None:
    assert invoke(home, pg_url, "record", 1, "bw_terran", 2, "bw_zerg").code == 0
    pg_cluster.stop()
    try:
        done = invoke(home, pg_url, "wal", "reconcile")
    finally:
        pg_cluster.start()
    assert done.code == 1 and len(done.err_lines) == 1, done
    assert "nothing was reconciled" in done.err
    assert reconcile(home, pg_url).json["missing"] == 0


def test_reconcile_prints_a_summary(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.sqlite3"
    assert invoke(home, url, "record", 1, "bw_terran", 2, "bw_zerg").code == 0
    done = invoke(home, url, "wal", "reconcile")
    assert done.code == 0
    assert done.out.strip() == "checked 1 job of the last 14 days: 0 missing, 0 re-applied"
    bad = invoke(home, url, "wal", "reconcile", "--format", "xml")
    assert bad.code == 2 and len(bad.err_lines) == 1


def test_jobs_are_reapplied_in_their_original_order(tmp_path: Path) -> None:
    """Through the library: a reset between two matches stays between them."""
    from ladder_cli import Ladder

    url = f"sqlite:///{tmp_path}/l.sqlite3"
    saved = tmp_path / "empty.sqlite3"
    with Ladder.open(db=url, home=tmp_path / "h") as ladder:
        ladder.init()
        backup(url, None, saved)
        ladder.submit([m(1, 2)])
        ladder.submit([ResetJob(1, None, 1600, False, AT)])
        ladder.submit([m(1, 2)])
        want = read_db(url).rows
    restore(url, None, saved)
    with Ladder.open(db=url, home=tmp_path / "h") as ladder:
        report = ladder.reconcile()
    assert (report.checked, report.missing, report.reapplied) == (3, 3, 3)
    assert read_db(url).rows == want


def test_write_is_judged(tmp_path: Path) -> None:
    """The judge the scenarios rely on sees a lost write (guards the test itself)."""
    led = Ledger()
    w: Write = led.new()
    w.acknowledged = True
    assert led.judge(read_db(f"sqlite:///{tmp_path}/none.sqlite3")).lost == 1
