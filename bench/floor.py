"""The flush's floor: the same batches' writes, every value precomputed.

:func:`capture` records what a flush sends to PostgreSQL (each statement with its
parameters, each COPY's encoded bytes, the transaction boundaries) while it runs once,
untimed. :func:`replay` sends exactly that to a fresh copy of the same database: the
server does the whole flush's work (locks, reads, upserts, the match log and the ledger,
one commit per batch) while the client only hands over bytes it already has. The flush's
time over the replay's is how far the client's own work (queue reads, Elo, encoding, and
waiting between them) stands above what the server alone needs. The replay also times
each kind of statement, so the report says where the server's time goes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.copy import LibpqWriter


@dataclass
class Op:
    """One thing the flush sent: ``kind`` is begin, commit, execute or copy."""

    kind: str
    statement: str = ""
    params: Any = None
    binary: bool | None = None
    data: bytearray = field(default_factory=bytearray)


class _Recorder(LibpqWriter):
    """Sends the COPY's bytes as usual and keeps a copy of them."""

    def __init__(self, cursor: psycopg.Cursor[Any], op: Op) -> None:
        super().__init__(cursor)
        self._op = op

    def write(self, data: Any) -> None:
        self._op.data += data
        super().write(data)


@contextlib.contextmanager
def capture() -> Iterator[list[Op]]:
    """Record every statement, COPY and outermost transaction of psycopg connections
    while the block runs (the bench's own process only)."""
    ops: list[Op] = []
    depth = 0
    execute, copy, stream = psycopg.Cursor.execute, psycopg.Cursor.copy, psycopg.Cursor.stream
    transaction = psycopg.Connection.transaction

    def recording_execute(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        ops.append(Op("execute", query, params, kw.get("binary")))
        return execute(self, query, params, **kw)

    def recording_stream(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        # Replayed as one execute: the server sends the same rows either way.
        ops.append(Op("execute", query, params, kw.get("binary")))
        return stream(self, query, params, **kw)

    @contextlib.contextmanager
    def recording_copy(self: Any, statement: Any, params: Any = None, **kw: Any) -> Any:
        op = Op("copy", statement, params)
        ops.append(op)
        with copy(self, statement, params, writer=_Recorder(self, op)) as cp:
            yield cp

    @contextlib.contextmanager
    def recording_transaction(self: Any, *args: Any, **kw: Any) -> Any:
        nonlocal depth
        depth += 1
        if depth == 1:
            ops.append(Op("begin"))
        try:
            with transaction(self, *args, **kw) as tx:
                yield tx
        finally:
            depth -= 1
        if depth == 0:
            ops.append(Op("commit"))

    psycopg.Cursor.execute = recording_execute  # type: ignore[method-assign,assignment]
    psycopg.Cursor.copy = recording_copy  # type: ignore[method-assign,assignment]
    psycopg.Cursor.stream = recording_stream  # type: ignore[method-assign,assignment]
    psycopg.Connection.transaction = recording_transaction  # type: ignore[method-assign,assignment]
    try:
        yield ops
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        psycopg.Cursor.copy = copy  # type: ignore[method-assign]
        psycopg.Cursor.stream = stream  # type: ignore[method-assign]
        psycopg.Connection.transaction = transaction  # type: ignore[method-assign]


def label(op: Op) -> str:
    """A short name for a statement, to group the replay's time by."""
    if op.kind in {"begin", "commit"}:
        return op.kind.upper()
    text = " ".join(str(op.statement).split())
    if op.kind == "copy":
        return "COPY " + text.split()[1]
    for start, name in (
        ("SELECT pg_advisory", "advisory lock"),
        ("CREATE TEMP", "create temp table"),
        ("INSERT INTO mmrs_1v1", "upsert mmrs_1v1"),
        ("INSERT INTO ladder_applied_jobs", "ledger rows"),
        ("TRUNCATE", "truncate temp table"),
        ("DROP INDEX", "drop the rank index"),
        ("CREATE INDEX", "build the rank index"),
        ("SELECT coalesce('fillfactor", "rank index state"),
        ("SET lock_timeout", "lock_timeout"),
        ("RESET lock_timeout", "lock_timeout"),
        ("SELECT pg_try_advisory", "advisory lock"),
        ("SELECT pg_advisory_unlock", "advisory lock"),
    ):
        if text.startswith(start):
            return name
    if "FOR UPDATE" in text:
        return "lock touched rows (SELECT ... FOR UPDATE)"
    if "ladder_applied_jobs" in text:
        return "ledger check"
    return text[:40]


def replay(url: str, ops: list[Op]) -> tuple[float, dict[str, float]]:
    """Send ``ops`` to ``url`` as the flush did; total seconds and seconds by :func:`label`."""
    by_label: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True, options="-c timezone=UTC") as conn:
        cur = conn.cursor()
        clock = time.perf_counter
        start = clock()
        for op in ops:
            t = clock()
            if op.kind == "begin":
                conn.execute("BEGIN")
            elif op.kind == "commit":
                conn.execute("COMMIT")
            elif op.kind == "execute":
                cur.execute(op.statement, op.params, binary=op.binary)
            else:
                with cur.copy(op.statement, op.params) as cp:
                    cp.write(op.data)
            name = label(op)
            by_label[name] = by_label.get(name, 0.0) + clock() - t
        total = clock() - start
    return total, by_label
