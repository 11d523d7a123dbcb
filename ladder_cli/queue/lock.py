"""This home's flush lock: one flush, reconcile or discard at a time, across processes,
so this home's jobs reach the database in queue order and a discard never drops a job
that a flush is applying."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ladder_cli.util.errors import LadderError

#: How long a command waits for another process's flush before it gives up.
TIMEOUT_S = 600


@contextlib.contextmanager
def flush_lock(queue_path: Path) -> Iterator[None]:
    """Hold the lock file beside the queue file ``queue_path`` while the block runs."""
    from filelock import FileLock, Timeout  # here: reads never need it

    lock = FileLock(str(queue_path.with_name(".flush.lock")), timeout=TIMEOUT_S, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise LadderError(
            "another ladder process has been flushing for 10 minutes: try again later"
        ) from None
    try:
        yield
    finally:
        lock.release()
