"""Helpers the behavioural tests share: the CLI run in-process, direct SQL, and Elo.

Elo is written out here from the contract, independently of ``ladder_cli.domain.rating``, so
the tests check the library against the formula rather than against itself.
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner

from devtools.pgcluster import PASSWORD
from ladder_cli import cli


@dataclass
class Run:
    """What one command printed, and its exit code."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def invoke(home: Path, url: str, *args: object) -> Run:
    """``ladder --home HOME --db URL ARGS...`` in this process; never a traceback or the
    test server's password in what it prints."""
    argv = ["--home", str(home), "--db", url, *map(str, args)]
    with CliRunner().isolation() as (out, err, _):
        try:
            code = cli.run(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        result = Run(code, out.getvalue().decode(), err.getvalue().decode())
    assert "Traceback" not in result.err
    assert PASSWORD not in result.out + result.err
    return result


def query(url: str, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run SQL against the database directly, with its own driver (``%s`` placeholders)."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url[len("sqlite:///") :])) as conn:
            rows = conn.execute(statement.replace("%s", "?"), tuple(params)).fetchall()
            conn.commit()
            return rows
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement, tuple(params))  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


@dataclass
class Row:
    """An entry as the tests' own reference replays keep it (independent of the library)."""

    mmr: int = 1500
    played: int = 0
    won: int = 0
    lost: int = 0
    drawn: int = 0
    last: datetime | None = None


def elo(mmr1: int, mmr2: int, score1: float) -> tuple[int, int]:
    """The contract's Elo: K = 40, both sides from the stored integers, rounded half up."""
    e1 = 1 / (1 + 10 ** ((mmr2 - mmr1) / 400))
    e2 = 1 / (1 + 10 ** ((mmr1 - mmr2) / 400))
    return (
        math.floor(mmr1 + 40 * (score1 - e1) + 0.5),
        math.floor(mmr2 + 40 * ((1 - score1) - e2) + 0.5),
    )


def write_v1_queue(
    path: Path, target: str, rows: Sequence[tuple[object, ...]], queue_id: str = "v1queue"
) -> None:
    """A queue as schema 1 wrote it: no job ids, each checksum over the fields alone."""
    import zlib

    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as raw:
        raw.executescript(
            """
            CREATE TABLE queue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE jobs (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL,
                kind TEXT NOT NULL, p1_uid INTEGER NOT NULL, p1_race TEXT, p2_uid INTEGER,
                p2_race TEXT, result INTEGER, at_s INTEGER NOT NULL, p1_name TEXT,
                p2_name TEXT, mmr INTEGER, keep_stats INTEGER, crc INTEGER NOT NULL,
                enqueued_at REAL NOT NULL, state TEXT NOT NULL DEFAULT 'pending', error TEXT
            );
            PRAGMA user_version = 1;
            """
        )
        raw.execute("INSERT INTO queue_meta VALUES ('queue_id', ?)", (queue_id,))
        for fields in rows:
            raw.execute(
                "INSERT INTO jobs (target, kind, p1_uid, p1_race, p2_uid, p2_race, result, "
                "at_s, p1_name, p2_name, mmr, keep_stats, crc, enqueued_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (target, *fields, zlib.crc32(repr(tuple(fields)).encode())),
            )


def read_until_closed(fd: int, timeout: float = 60) -> bytes:
    """Everything a pseudo-terminal's leader side ``fd`` gives until the other side closes
    (or nothing comes for ``timeout`` seconds)."""
    import os
    import select

    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)
