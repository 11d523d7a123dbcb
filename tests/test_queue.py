"""The local write-ahead queue: durable, ordered, per target, corruption-aware."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ladder_cli.domain.model import AuditJob, MatchJob, QueuedJob, ResetJob
from ladder_cli.queue.writequeue import WriteQueue
from ladder_cli.util.errors import QueueError
from tests.helpers import write_v1_queue

TARGET = "postgresql://admin@db.example/ladder"
OTHER = "sqlite:////tmp/other.sqlite3"
AT = datetime(2026, 1, 31, 18, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))


def m(p1: int, p2: int, result: int = 1, **kw) -> MatchJob:
    return MatchJob(p1, "bw_terran", p2, "bw_zerg", result, AT, **kw)


@pytest.fixture
def path(home: Path) -> Path:
    return home / "queue.sqlite3"


@pytest.fixture
def queue(path: Path):
    q = WriteQueue(path, TARGET)
    yield q
    q.close()


def test_append_returns_contiguous_seqs(queue):
    assert queue.append([m(1, 2), m(3, 4), m(5, 6)]) == [1, 2, 3]
    assert queue.append([m(1, 3)]) == [4]
    assert queue.append([m(1, 4), m(2, 4)]) == [5, 6]


def test_append_nothing(queue):
    assert queue.append([]) == []
    assert queue.status().pending == 0


def test_jobs_round_trip_exactly(queue):
    jobs = [
        m(1, 2),
        MatchJob(2**63 - 1, "sc2_protoss", 7, "sc2_zerg", 0, AT, "[bold]x[/]", "박성준★"),
        ResetJob(9, "bw_zerg", 1234, True, AT),
        ResetJob(9, None, 1500, False, AT),
    ]
    ids = queue.append_with_ids(jobs)
    assert queue.pending_jobs() == [
        QueuedJob(seq, job, job_id) for (seq, job_id), job in zip(ids, jobs, strict=True)
    ]


def test_a_dismissal_is_a_pending_write_of_its_own(queue):
    """An integrity flag's dismissal is queued alone, under its own kind, and counts and
    lists as a pending write (an audit row riding on a command's jobs does not)."""
    dismissal = AuditJob("dismiss", "flag 0123456789: pair 1 bw_terran, 2 bw_zerg", AT, "a", "ok")
    ((seq, job_id),) = queue.append_with_ids([dismissal])
    assert queue.pending_jobs() == [QueuedJob(seq, dismissal, job_id)]
    assert queue.status().pending == 1
    (listed,) = queue.list("pending", None)
    assert listed.kind == "dismiss" and listed.summary["target"] == dismissal.target


def test_job_ids_are_random_and_survive_reopening(path):
    q = WriteQueue(path, TARGET)
    ids = [job_id for _, job_id in q.append_with_ids([m(1, 2)] * 50)]
    assert len(set(ids)) == 50 and all(0 <= i < 2**63 for i in ids)
    q.close()
    assert [j.job_id for j in WriteQueue(path, TARGET).pending_jobs()] == ids


def test_one_appends_ids_run_on_from_a_random_start(path):
    # Consecutive within an append (the ledger then takes an import in key order); each
    # append starts somewhere else.
    q = WriteQueue(path, TARGET)
    first = [job_id for _, job_id in q.append_with_ids([m(1, 2)] * 5)]
    second = [job_id for _, job_id in q.append_with_ids([m(1, 2)] * 5)]
    q.close()
    for ids in (first, second):
        assert ids == list(range(ids[0], ids[0] + 5)) and 0 < ids[0] < 2**63 - 2**40
    assert not set(first) & set(second)


def test_a_restored_queue_file_reuses_seqs_but_not_job_ids(path, tmp_path):
    # The ledger records job ids, so a seq reused after a restore is a new job.
    q = WriteQueue(path, TARGET)
    [(seq, first)] = q.append_with_ids([m(1, 2)])
    q.close()
    backup = tmp_path / "backup.sqlite3"
    backup.write_bytes(path.read_bytes())
    q = WriteQueue(path, TARGET)
    q.append([m(1, 2)])
    q.close()
    path.write_bytes(backup.read_bytes())
    [(again, second)] = WriteQueue(path, TARGET).append_with_ids([m(3, 4)])
    assert again == seq + 1 and second != first


def test_append_is_durable_and_ordered(path):
    q = WriteQueue(path, TARGET)
    q.append([m(1, 2), m(3, 4)])
    q.append([m(5, 6)])
    q.close()
    # a new process (a new connection) sees the jobs, in order
    reopened = WriteQueue(path, TARGET)
    try:
        assert [(qj.seq, qj.job.p1_uid) for qj in reopened.pending_jobs()] == [
            (1, 1), (2, 3), (3, 5),
        ]  # fmt: skip
        assert reopened.append([m(7, 8)]) == [4]
    finally:
        reopened.close()
    # and they are in the file itself, committed
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM jobs WHERE state = 'pending'").fetchone() == (4,)


def test_queue_id_is_stable(path):
    first = WriteQueue(path, TARGET)
    queue_id = first.queue_id
    first.close()
    second = WriteQueue(path, OTHER)
    assert second.queue_id == queue_id and len(queue_id) == 32
    second.close()
    third = WriteQueue(path.with_name("other.sqlite3"), TARGET)
    assert third.queue_id != queue_id
    third.close()


def test_complete_removes_jobs(queue):
    queue.append([m(1, 2), m(3, 4), m(5, 6)])
    queue.complete([1, 3])
    assert [qj.seq for qj in queue.pending_jobs()] == [2]
    queue.complete([])
    assert queue.status().pending == 1
    # seqs are never reused, even after the queue drained
    queue.complete([2])
    assert queue.append([m(1, 2)]) == [4]


def test_mark_failed_status_list_and_retry(queue):
    queue.append([m(1, 2), m(3, 4, result=0, p1_name="A"), ResetJob(5, None, 1500, False, AT)])
    queue.mark_failed([(2, "P1 and P2 are the same player")])
    status = queue.status()
    assert (status.pending, status.failed) == (2, 1)
    assert status.oldest_pending_age_s is not None and status.oldest_pending_age_s >= 0
    assert [qj.seq for qj in queue.pending_jobs()] == [1, 3]

    [failed] = queue.list("failed")
    assert (failed.seq, failed.kind, failed.state) == (2, "match", "failed")
    assert failed.error == "P1 and P2 are the same player"
    assert failed.summary == {
        "p1_uid": 3, "p1_race": "bw_terran", "p2_uid": 4, "p2_race": "bw_zerg", "result": 0,
        "played_at": "2026-01-31T18:00:00+00:00", "p1_name": "A", "p2_name": None,
    }  # fmt: skip
    pending = queue.list("pending")
    assert [(j.seq, j.kind, j.error) for j in pending] == [(1, "match", None), (3, "reset", None)]
    assert pending[1].summary == {
        "discord_uid": 5, "race": None, "mmr": 1500, "keep_stats": False,
        "at": "2026-01-31T18:00:00+00:00",
    }  # fmt: skip
    assert [j.seq for j in queue.list("pending", limit=1)] == [1]

    assert queue.retry_failed() == 1
    assert queue.status().failed == 0
    assert [qj.seq for qj in queue.pending_jobs()] == [1, 2, 3]


def test_empty_status(queue):
    status = queue.status()
    assert (status.pending, status.failed, status.oldest_pending_age_s) == (0, 0, None)
    assert queue.pending_count() == 0
    assert list(queue.pending_batches(10)) == []


def test_pending_batches_are_size_limited_and_ordered(queue):
    queue.append([m(1, i) for i in range(2, 25)])  # 23 jobs, seqs 1..23
    batches = list(queue.pending_batches(10))
    assert [len(b) for b in batches] == [10, 10, 3]
    assert [qj.seq for b in batches for qj in b] == list(range(1, 24))
    assert [qj.job.p2_uid for qj in batches[2]] == [22, 23, 24]
    # resuming after a seq
    assert [qj.seq for b in queue.pending_batches(5, after=20) for qj in b] == [21, 22, 23]


def test_pending_batches_stream(queue):
    queue.append([m(1, i) for i in range(2, 12)])  # seqs 1..10
    stream = queue.pending_batches(4)
    first = next(stream)
    assert [qj.seq for qj in first] == [1, 2, 3, 4]
    # completing the first batch while streaming does not disturb the rest
    queue.complete([qj.seq for qj in first])
    assert [qj.seq for b in stream for qj in b] == [5, 6, 7, 8, 9, 10]


def test_edited_row_is_moved_to_failed_as_corrupt(queue, path):
    queue.append([m(1, 2), m(3, 4), m(5, 6)])
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE jobs SET p1_race = 'bogus' WHERE seq = 2")
    assert [qj.seq for qj in queue.pending_jobs()] == [1, 3]
    status = queue.status()
    assert (status.pending, status.failed) == (2, 1)
    [failed] = queue.list("failed")
    assert failed.seq == 2 and "corrupt" in (failed.error or "")


def test_edit_keeping_the_row_valid_is_still_caught(queue, path):
    # a plausible edit (another valid race) passes decoding but not the checksum
    queue.append([m(1, 2), m(3, 4)])
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE jobs SET p2_race = 'sc2_zerg', result = 0 WHERE seq = 1")
    assert [qj.seq for qj in queue.pending_jobs()] == [2]
    [failed] = queue.list("failed")
    assert failed.seq == 1 and "corrupt" in (failed.error or "")


def test_corrupt_row_with_an_impossible_time_can_be_listed(queue, path):
    queue.append([m(1, 2), m(3, 4)])
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE jobs SET at_s = ? WHERE seq = 1", (10**18,))
    assert [qj.seq for qj in queue.pending_jobs()] == [2]
    # `wal failed` must be able to show the row it moved aside
    [failed] = queue.list("failed")
    assert failed.seq == 1 and "corrupt" in (failed.error or "")
    assert failed.summary["played_at"] is None and failed.summary["p1_uid"] == 1


def test_row_with_a_bad_kind_and_matching_crc_is_corrupt(queue, path):
    # even a row whose checksum was recomputed must decode into a valid job
    import zlib

    queue.append([m(1, 2)])
    with sqlite3.connect(path) as raw:
        fields = ("match", 1, "bogus", 2, "bw_zerg", 1, int(AT.timestamp()), None, None, None, None)
        raw.execute(
            "UPDATE jobs SET p1_race = 'bogus', crc = ? WHERE seq = 1",
            (zlib.crc32(repr(fields).encode()),),
        )
    assert queue.pending_jobs() == []
    assert "corrupt" in (queue.list("failed")[0].error or "")


def test_newer_schema_is_refused(path):
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(QueueError, match="newer") as info:
        WriteQueue(path, TARGET)
    assert str(path) in str(info.value)


def test_not_a_database_is_a_queue_error(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(QueueError, match="queue"):
        WriteQueue(path, TARGET)


def test_targets_are_kept_apart(path):
    a = WriteQueue(path, TARGET)
    b = WriteQueue(path, OTHER)
    try:
        a.append([m(1, 2), m(3, 4)])
        b.append([m(5, 6)])
        a.append([m(7, 8)])
        # seqs are shared by the file, jobs are not
        assert [qj.seq for qj in a.pending_jobs()] == [1, 2, 4]
        assert [qj.seq for qj in b.pending_jobs()] == [3]
        assert (a.status().pending, b.status().pending) == (3, 1)
        b.mark_failed([(3, "no such table")])
        assert a.status().failed == 0 and b.status().failed == 1
        assert a.list("failed") == []
        assert a.retry_failed() == 0
        assert b.status().failed == 1
    finally:
        a.close()
        b.close()


def test_files_are_private(home):
    path = home / "sub" / "queue.sqlite3"
    q = WriteQueue(path, TARGET)
    try:
        q.append([m(1, 2)])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                assert stat.S_IMODE(side.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    finally:
        q.close()


def test_existing_loose_file_is_tightened(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o644)
    path.chmod(0o644)
    WriteQueue(path, TARGET).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_wal_mode(queue, path):
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_loosely_typed_checked_job_survives_the_queue(queue):
    # the checksum covers the values as Python sees them: a float result stored as an
    # SQLite integer would read back different and be dropped as corrupt
    job = MatchJob.checked(1, "bw_terran", 2, "bw_zerg", result=1.0, played_at=AT)
    [(seq, job_id)] = queue.append_with_ids([job])
    assert queue.pending_jobs() == [QueuedJob(seq, job, job_id)]
    assert queue.status().failed == 0


def test_time_is_kept_to_the_second(queue):
    when = AT + timedelta(seconds=1)
    queue.append([MatchJob(1, "bw_terran", 2, "bw_zerg", 1, when)])
    [qj] = queue.pending_jobs()
    assert qj.job.played_at == when and qj.job.played_at.tzinfo is not None


def _write_v1_queue(path: Path, rows: list[tuple[object, ...]]) -> None:
    write_v1_queue(path, TARGET, rows)


V1_ROWS: list[tuple[object, ...]] = [
    ("match", 1, "bw_terran", 2, "bw_zerg", 1, int(AT.timestamp()), "Ann", None, None, None),
    ("reset", 3, None, None, None, None, int(AT.timestamp()), None, None, 1500, 1),
    ("match", 5, "bw_terran", 6, "bw_zerg", 0, int(AT.timestamp()), None, None, None, None),
]


def test_schema_1_queue_is_upgraded_keeping_every_job(path):
    _write_v1_queue(path, V1_ROWS)
    with sqlite3.connect(path) as raw:  # a row damaged before the upgrade stays damaged
        raw.execute("UPDATE jobs SET p1_uid = 7 WHERE seq = 3")
    q = WriteQueue(path, TARGET)
    try:
        assert q.queue_id == "v1queue"
        pending = q.pending_jobs()
        assert [qj.job for qj in pending] == [
            m(1, 2, p1_name="Ann"),
            ResetJob(3, None, 1500, True, AT),
        ]
        assert len({qj.job_id for qj in pending}) == 2 and all(qj.job_id for qj in pending)
        [failed] = q.list("failed")
        assert failed.seq == 3 and "corrupt" in (failed.error or "")
        # new jobs follow the old ones
        assert q.append([m(8, 9)]) == [4]
    finally:
        q.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 3
        # schema 3: the audit column, on the queue and on the retained jobs
        for table in ("jobs", "retained_jobs"):
            columns = {row[1] for row in raw.execute(f"PRAGMA table_info({table})")}
            assert "audit" in columns


def test_schema_1_queue_opened_by_several_at_once_is_upgraded_once(home):
    import threading

    def open_together(path: Path) -> tuple[list[WriteQueue], list[BaseException]]:
        start = threading.Barrier(6)
        opened: list[WriteQueue] = []
        errors: list[BaseException] = []

        def opener() -> None:
            start.wait()
            try:
                opened.append(WriteQueue(path, TARGET))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=opener) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return opened, errors

    for round_ in range(10):  # the race is lost in about one round in three without care
        path = home / f"queue{round_}.sqlite3"
        _write_v1_queue(path, V1_ROWS[:2])
        opened, errors = open_together(path)
        try:
            assert errors == []
            # every opener sees the same job ids: they were given once
            assert len({tuple(qj.job_id for qj in q.pending_jobs()) for q in opened}) == 1
            assert len(opened[0].pending_jobs()) == 2
        finally:
            for q in opened:
                q.close()


# The fork is the subject; the child only queues one job and exits (pytest-xdist's worker
# threads are what Python warns about).
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_process_draws_its_own_job_ids(queue, path):
    import os

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child queues one job and reports its id
        try:
            [(_, job_id)] = WriteQueue(path, TARGET).append_with_ids([m(1, 2)])
            os.write(write, str(job_id).encode())
        finally:
            os._exit(0)
    os.close(write)
    [(_, mine)] = queue.append_with_ids([m(3, 4)])
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        child = int(pipe.read())
    assert child != mine
    assert len({qj.job_id for qj in queue.pending_jobs()}) == 2


def test_unfinished_between_counts_pending_and_failed_not_applied(queue):
    seqs = queue.append([m(1, 2), m(3, 4), m(5, 6), m(7, 8)])
    assert queue.unfinished_between(seqs[0], seqs[-1]) == 4
    queue.complete(seqs[:2])  # applied jobs leave the queue
    assert queue.unfinished_between(seqs[0], seqs[-1]) == 2
    queue.mark_failed([(seqs[2], "rejected")])  # failed is not applied
    assert queue.unfinished_between(seqs[0], seqs[-1]) == 2
    assert queue.unfinished_between(seqs[0], seqs[1]) == 0
    queue.complete(seqs[3:])
    assert queue.unfinished_between(seqs[0], seqs[-1]) == 1


@pytest.mark.parametrize(
    ("job", "stored_form"),
    [
        (m(1, 2), True),
        (MatchJob(1, "bw_terran", 2, "bw_zerg", 0, AT, p1_name="Ann", p2_name="Bo"), True),
        (ResetJob(3, None, 1500, True, AT), True),
        (ResetJob(3, "sc2_zerg", 1400, False, AT), True),
        (MatchJob(1, "bw_terran", 2, "bw_zerg", 0, AT.replace(microsecond=5)), False),
        (MatchJob(1, "bw_terran", 2, "bw_zerg", 1, datetime(2026, 1, 31, 18)), False),  # naive
        (MatchJob(1, "bw_terran", 2, "bw_zerg", 1, AT.astimezone(EST)), False),
        (MatchJob(1, "bw_terran", 2, "bw_zerg", 1.0, AT), False),  # type: ignore[arg-type]
        (ResetJob(3, None, 1600.0, True, AT), False),  # type: ignore[arg-type]
    ],
)  # fmt: skip
def test_in_stored_form_means_the_queue_gives_back_the_very_same_job(queue, job, stored_form):
    from ladder_cli.queue.jobrows import in_stored_form

    assert in_stored_form(job) is stored_form
    if stored_form:  # then applying it from memory writes exactly what a replay would
        queue.append([job])
        [back] = queue.pending_jobs()
        assert back.job == job and repr(back.job) == repr(job)
