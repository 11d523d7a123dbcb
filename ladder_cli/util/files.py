"""Files and directories the tool creates are readable by their owner only."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700; tighten it if it already exists and is ours."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)
    return path


def _tighten(path: Path, allowed: int) -> None:
    """Take away the group's and others' bits, never add any: a home the user made
    read-only (0500) stays read-only, so the tool fails instead of writing into it."""
    st = path.stat()
    mode = st.st_mode & 0o7777
    if st.st_uid == os.getuid() and mode & ~allowed:
        path.chmod(mode & allowed)


def private_file(path: Path) -> Path:
    """Create ``path`` empty as 0600 before a library (SQLite) opens it with its own mode.

    SQLite gives its -wal and -shm files the mode of the database file, so they follow.
    An existing file is never opened here: closing any descriptor of a file drops every
    POSIX lock the process holds on it, so if this process already had it open in SQLite,
    its lock saying so would be gone, and another process closing the database would
    take itself for the last one, checkpoint and delete the WAL under this one's feet
    (https://www.sqlite.org/howtocorrupt.html, section 2.2).
    """
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:
        # What opening it read-write would have said, without opening it.
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path)) from None
        if not os.access(path, os.R_OK | os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path)) from None
    else:
        os.close(fd)
    _tighten(path, 0o600)
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a reader never sees a half-written file."""
    private_dir(path.parent)
    # Unique per process and thread: two threads of one process may save the same file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def open_sqlite(path: Path, *, timeout: float) -> sqlite3.Connection:
    """A private SQLite file in WAL mode with ``synchronous=FULL``: a commit survives a crash.

    Switching a new file to WAL needs it alone for a moment, and SQLite answers "database
    is locked" at once, without waiting, when another process opens it at that moment.
    So the switch is retried until ``timeout``, like any other wait for the lock.
    """
    private_file(path)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        deadline = time.monotonic() + timeout
        pause = 0.001
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY or (
                    time.monotonic() > deadline
                ):
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        conn.execute("PRAGMA synchronous=FULL")
    except BaseException:
        conn.close()
        raise
    return conn
