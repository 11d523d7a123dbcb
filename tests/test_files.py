"""Files the tool creates: private, and SQLite files that open safely side by side."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from ladder_cli.util.files import open_sqlite, private_dir, write_atomically


def _open_together(path: Path, n: int) -> list[BaseException]:
    """Open a fresh ``path`` from ``n`` threads released at the same instant."""
    start = threading.Barrier(n)
    errors: list[BaseException] = []
    conns: list[sqlite3.Connection] = []

    def opener() -> None:
        start.wait()
        try:
            conns.append(open_sqlite(path, timeout=30))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for conn in conns:
        conn.close()
    return errors


def test_a_new_file_opened_by_many_at_once_never_reports_locked(tmp_path):
    # Switching a new file to WAL answered "database is locked" at once to whichever
    # opener lost the race (about one round in ten here before the retry).
    for round_ in range(40):
        path = tmp_path / f"db{round_}.sqlite3"
        assert _open_together(path, 8) == []
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_opened_file_is_private_durable_and_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "db.sqlite3"
    conn = open_sqlite(path, timeout=1)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    finally:
        conn.close()


def test_a_file_that_is_not_a_database_fails_at_once(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"not a database " * 100)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        open_sqlite(path, timeout=30)


def test_write_atomically_replaces_the_whole_file(tmp_path):
    path = tmp_path / "snap" / "file.bin"
    write_atomically(path, b"old")
    write_atomically(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["file.bin"]  # no temporary left


def test_private_dir_never_loosens_a_read_only_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o500)
    home.chmod(0o555)
    private_dir(home)
    assert stat.S_IMODE(home.stat().st_mode) == 0o500
