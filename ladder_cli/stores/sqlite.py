"""The embedded store: a SQLite database file, so the tool works with no server at all."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ladder_cli.errors import LadderError
from ladder_cli.files import private_file
from ladder_cli.stores import sql
from ladder_cli.stores.base import JobRejected, Store

if TYPE_CHECKING:
    import polars as pl


@cache
def _qmark(statement: str) -> str:
    return statement.replace("%s", "?")


def _fold(value: str | None) -> str | None:
    # SQLite's lower() only knows ASCII; names are Unicode.
    return None if value is None else value.casefold()


class SqliteStore(Store):
    dialect = "sqlite"
    words: ClassVar[dict[str, str]] = {
        "serial": "INTEGER",
        "bigserial": "INTEGER",
        "timestamp": "TEXT",
        "fold": "ladder_fold",
    }

    def __init__(self, path: Path) -> None:
        self.path = path
        self.target = f"sqlite:///{path.absolute()}"
        try:
            private_file(path)
            self._conn = sqlite3.connect(
                path, timeout=60, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.create_function("ladder_fold", 1, _fold, deterministic=True)
            if self._conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                self.init_schema()
        except (OSError, sqlite3.Error) as exc:
            raise LadderError(f"cannot open the embedded database {path}: {exc}") from None

    def q(self, statement: str) -> str:
        return _qmark(statement)

    @contextmanager
    def write_transaction(self) -> Iterator[sqlite3.Cursor]:
        # BEGIN IMMEDIATE takes the database's write lock before the first read, so the
        # rows read are the rows the upsert replaces: no other writer can slip between.
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise LadderError(f"cannot lock the embedded database {self.path}: {exc}") from None
        try:
            yield cur
        except sqlite3.IntegrityError as exc:
            cur.execute("ROLLBACK")
            raise JobRejected(str(exc)) from exc
        except BaseException:
            if self._conn.in_transaction:
                cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    @contextmanager
    def read_cursor(self) -> Iterator[sqlite3.Cursor]:
        cur = self._conn.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def _uids_filter(self, uids: Sequence[int]) -> tuple[str, object]:
        return "IN (SELECT value FROM json_each(%s))", json.dumps(list(uids))

    def _ts(self, value: datetime | None) -> object:
        return None if value is None else value.isoformat()

    def _parse_ts(self, value: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    def _no_limit(self) -> object:
        return -1

    def init_schema(self) -> None:
        script = sql.render(sql.SCHEMA, **self.words)
        with self.write_transaction() as cur:
            for statement in script.split(";"):
                if statement.strip():
                    cur.execute(statement)
            cur.execute("PRAGMA user_version = 1")

    def load_frame(self) -> pl.DataFrame:
        from ladder_cli.state import frame_from_rows

        with self.read_cursor() as cur:
            cur.execute(sql.ALL_ENTRIES)
            return frame_from_rows(cur.fetchall(), timestamps_as_text=True)

    def close(self) -> None:
        self._conn.close()
