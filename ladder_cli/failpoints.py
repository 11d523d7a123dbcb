"""Deterministic crash points for the fault-injection tests.

Set ``LADDER_FAILPOINT=name`` (optionally ``name:N`` to fire on the N-th hit) and the
process kills itself with SIGKILL when it reaches that point, exactly as a power cut or
``kill -9`` would. Unset, :func:`hit` is a dictionary lookup and nothing else.

Points, in the order one write passes them: ``after-validate``, ``after-queue-commit``,
``in-db-transaction``, ``after-db-commit`` (before the queue forgets the job),
``between-batches``.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def hit(name: str) -> None:
    spec = os.environ.get("LADDER_FAILPOINT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
