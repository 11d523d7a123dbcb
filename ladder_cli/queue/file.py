"""The queue's SQLite file: its connection and lock, its tables, and the upgrade of a file
an older version wrote.

One file per home holds the queued jobs of every database the home writes to (each job
carries its target), the queue's id, and the applied jobs kept for ``retain_days``.
:class:`~ladder_cli.queue.writequeue.WriteQueue`, :class:`~ladder_cli.queue.listing.JobListing`
and :class:`~ladder_cli.queue.retention.RetainedJobs` share one :class:`QueueFile`.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Final

from ladder_cli.queue.jobrows import COLUMNS, JOB_COLUMNS_DDL, checksum
from ladder_cli.util.errors import QueueError
from ladder_cli.util.files import open_sqlite

# 3: a command's audit row rides on its last job (``audit``, JSON).
SCHEMA_VERSION: Final = 3

SCHEMA: Final = f"""
CREATE TABLE IF NOT EXISTS queue_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    job_id INTEGER NOT NULL,
{JOB_COLUMNS_DDL}    crc INTEGER NOT NULL,
    enqueued_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    audit TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (target, state, seq);
"""

# Applied jobs are kept here for ``retain_days``, in the order they were applied (``rid``),
# so that `wal reconcile` can re-apply what a restored or failed-over database lost. A
# table of its own: the ``jobs`` table keeps meaning "not yet applied" for every reader
# (and for older versions of the tool, which ignore this table).
RETAINED_SCHEMA: Final = f"""
CREATE TABLE IF NOT EXISTS retained_jobs (
    rid INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    target TEXT NOT NULL,
    job_id INTEGER NOT NULL,
{JOB_COLUMNS_DDL}    crc INTEGER NOT NULL,
    enqueued_at REAL NOT NULL,
    applied_at REAL NOT NULL,
    audit TEXT
);
CREATE INDEX IF NOT EXISTS retained_by_age ON retained_jobs (applied_at);
"""


class QueueFile:
    """One home's queue file, opened, brought up to date and given its queue id.

    ``conn`` is used under ``lock`` (the threads of one Ladder share the file); ``target``
    is the database this process queues for (its URL without the password).
    """

    def __init__(self, path: Path, target: str) -> None:
        self.path = path
        self.target = target
        self.lock = threading.RLock()
        try:
            self.conn = open_sqlite(path, timeout=30)
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise QueueError(
                    f"queue {path} was written by a newer ladder (schema {version}, this one "
                    f"reads {SCHEMA_VERSION}): upgrade ladder, or move the file aside"
                )
            if version == 1:
                self._upgrade_from_v1()
            if version in (1, 2):
                self._add_audit_column()
            elif version < SCHEMA_VERSION:
                self.conn.executescript(
                    f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "INSERT OR IGNORE INTO queue_meta (key, value) VALUES ('queue_id', ?)",
                (uuid.uuid4().hex,),
            )
            self.conn.execute("COMMIT")
            self._ensure_retained_table()
            self.queue_id: str = self.conn.execute(
                "SELECT value FROM queue_meta WHERE key = 'queue_id'"
            ).fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise QueueError(f"cannot use the write-ahead queue {path}: {exc}") from None
        except OSError as exc:  # not a file, not writable, no such directory
            raise QueueError(
                f"cannot use the write-ahead queue {path}: {exc.strerror or exc}: "
                "it must be a writable file (choose another home with --home or LADDER_HOME)"
            ) from None

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def _upgrade_from_v1(self) -> None:
        """Version 1 identified jobs by seq alone; each keeps its seq as its job id, the key
        a ledger of that time recorded (so a job applied just before the upgrade is still
        found there), and jobs queued from now on get random ones.

        Rows whose old checksum fails stay as they are and are moved to ``failed`` when
        read, exactly as before the upgrade.
        """
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != 1:
                conn.execute("ROLLBACK")  # another process upgraded it meanwhile
                return
            conn.execute("ALTER TABLE jobs ADD COLUMN job_id INTEGER NOT NULL DEFAULT 0")
            rows = conn.execute(f"SELECT seq, {COLUMNS}, crc FROM jobs").fetchall()
            for seq, *fields, crc in rows:
                if checksum(tuple(fields)) == crc:
                    job_id = seq  # what a ledger of that time recorded for it
                    conn.execute(
                        "UPDATE jobs SET job_id = ?, crc = ? WHERE seq = ?",
                        (job_id, checksum((job_id, *fields)), seq),
                    )
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _add_audit_column(self) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)").fetchall()}
            if "audit" not in columns:  # else another process upgraded it meanwhile
                conn.execute("ALTER TABLE jobs ADD COLUMN audit TEXT")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _ensure_retained_table(self) -> None:
        """Queues written before retention existed gain the table (no schema bump: older
        versions of the tool read such a queue as before)."""
        if self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retained_jobs'"
        ).fetchone():
            self._add_retained_audit_column()
            return
        self.conn.executescript(f"BEGIN IMMEDIATE; {RETAINED_SCHEMA} COMMIT;")

    def _add_retained_audit_column(self) -> None:
        """A retained job keeps its command's audit row, so that reconcile re-applies it
        as it was (retention tables written before the audit trail gain the column)."""
        conn = self.conn
        columns = {row[1] for row in conn.execute("PRAGMA table_info(retained_jobs)")}
        if "audit" in columns:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(retained_jobs)")}
            if "audit" not in columns:  # else another process added it meanwhile
                conn.execute("ALTER TABLE retained_jobs ADD COLUMN audit TEXT")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
