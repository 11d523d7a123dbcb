"""Deterministic crash points for the fault-injection tests.

Set ``LADDER_FAILPOINT=name`` (optionally ``name:N`` to fire on the N-th hit) and the
process kills itself with SIGKILL when it reaches that point, exactly as a power cut or
``kill -9`` would. Unset, :func:`hit` is a dictionary lookup and nothing else.

Points, in the order one write passes them: ``after-validate``, ``after-queue-commit``,
``in-db-transaction``, ``after-db-commit`` (before the queue forgets the job),
``between-batches`` (the batch done in the database and the queue: the queue's part runs
on a helper thread, which the flush waits for where this point is set). ``wal discard``
passes ``after-discard`` (the jobs dropped and their audit row queued, not yet written).

``LADDER_FAILPOINT_PAUSE=name[:N]`` pauses there instead of dying, so a test can act on
the world meanwhile (terminate the database connection, say): the process creates the
file named by ``LADDER_FAILPOINT_MARK`` and waits until the test deletes it, or at most
``LADDER_FAILPOINT_PAUSE_S`` seconds (default 10), then carries on.

``LADDER_FAILPOINT_RAISE=name[:N]`` raises :class:`FailpointError` there instead, as a
bug or a broken output would (``report``: the CLI's report of a write it has made).

``LADDER_FAILPOINT_TRACE=path`` appends ``name unix-time`` for every point passed to that
file, so a test that kills a process at a random moment can aim, and tell where it landed.
"""

from __future__ import annotations

import os
import signal
import time

_counts: dict[tuple[str, str], int] = {}


class FailpointError(RuntimeError):
    """Raised at a point named by ``LADDER_FAILPOINT_RAISE``."""


def _due(spec: str, name: str, kind: str) -> bool:
    point, _, nth = spec.partition(":")
    if point != name:
        return False
    _counts[kind, name] = count = _counts.get((kind, name), 0) + 1
    return count == int(nth or 1) if kind == "pause" else count >= int(nth or 1)


def armed(name: str) -> bool:
    """Whether a kill, pause or raise is set at this point: where the state a point names
    is reached on a helper thread (the queue's bookkeeping of a batch), the caller
    settles it first, so a test stops exactly where the point's name says."""
    variables = ("LADDER_FAILPOINT", "LADDER_FAILPOINT_PAUSE", "LADDER_FAILPOINT_RAISE")
    return any((os.environ.get(v) or "").partition(":")[0] == name for v in variables)


def hit(name: str) -> None:
    trace = os.environ.get("LADDER_FAILPOINT_TRACE")
    if trace:
        _trace(trace, name)
    spec = os.environ.get("LADDER_FAILPOINT")
    if spec and _due(spec, name, "kill"):
        os.kill(os.getpid(), signal.SIGKILL)
    spec = os.environ.get("LADDER_FAILPOINT_PAUSE")
    if spec and _due(spec, name, "pause"):
        _pause()
    spec = os.environ.get("LADDER_FAILPOINT_RAISE")
    if spec and _due(spec, name, "raise"):
        raise FailpointError(f"failpoint {name}")


def _trace(path: str, name: str) -> None:
    # One unbuffered append per point: it reaches the file even if SIGKILL follows.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, f"{name} {time.time():.6f}\n".encode())
    finally:
        os.close(fd)


def _pause() -> None:
    mark = os.environ.get("LADDER_FAILPOINT_MARK")
    deadline = time.monotonic() + float(os.environ.get("LADDER_FAILPOINT_PAUSE_S", "10"))
    if mark:
        with open(mark, "w") as fh:
            fh.write(str(os.getpid()))
    while time.monotonic() < deadline:
        if mark and not os.path.exists(mark):
            return
        time.sleep(0.01)
