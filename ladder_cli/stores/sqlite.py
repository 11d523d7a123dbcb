"""The embedded store: a SQLite database file, so the tool works with no server at all."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from ladder_cli.stores import sql
from ladder_cli.stores.base import Store
from ladder_cli.stores.interface import JobRejected
from ladder_cli.stores.rows import involved_uids
from ladder_cli.util.errors import LadderError
from ladder_cli.util.files import open_sqlite, write_atomically

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.domain.model import Entry, Key, QueuedJob
    from ladder_cli.domain.rating import Ratings


CACHE_KIB: Final = 64 * 1024

# 2: the rules table (ladder_rules) was added; 3: the event log (match state,
# ladder_events, ladder_audit).
_SCHEMA_VERSION: Final = 3

# Players whose rows a flush keeps between batches (a bound on its memory).
ROWS_KEPT: Final = 500_000

# Part of the frame cache's key: a cache written by a version that stored another row
# order (before rank order) must not be read as ranked.
_CACHE_FORMAT: Final = b"rank-order-1"


@cache
def _qmark(statement: str) -> str:
    return statement.replace("%s", "?")


def _fold(value: str | None) -> str | None:
    # SQLite's lower() only knows ASCII; names are Unicode.
    return None if value is None else value.casefold()


@dataclass
class _CacheDelta:
    """A frame cache that matched the database at ``version``, and the rows written since."""

    cache: Path
    version: int
    changes: dict[Key, Entry] = field(default_factory=dict)
    renamed: dict[int, str] = field(default_factory=dict)


class SqliteStore(Store):
    words: ClassVar[dict[str, str]] = {
        "serial": "INTEGER",
        "bigserial": "INTEGER",
        "timestamp": "TEXT",
        "fold": "ladder_fold",
        "entries_options": "",
        "ledger_options": " WITHOUT ROWID",
    }

    def __init__(self, path: Path) -> None:
        self.path = path
        self.target = f"sqlite:///{path.absolute()}"
        # One connection for every thread of a Ladder: a read must not run inside another
        # thread's open write transaction (it would see half a batch), so each takes turns.
        self._lock = threading.RLock()
        # Each player's rows as the last committed batch left them (see _batch_entries).
        self._rows_of: dict[int, list[Entry]] = {}
        self._rows_version: int | None = None
        # The rows this connection's flush has written since a frame cache was current.
        self._cache_delta: _CacheDelta | None = None
        try:
            self._conn = open_sqlite(path, timeout=60)
            # SQLite's default page cache is 2 MiB; a flush inserts into the match log's and
            # the ledger's indexes at random places, which on a large ladder then misses on
            # nearly every row.
            self._conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self._conn.create_function("ladder_fold", 1, _fold, deterministic=True)
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version < _SCHEMA_VERSION or self._old_job_key_tables(self._conn):
                self.init_schema()
        except (OSError, sqlite3.Error) as exc:
            raise LadderError(f"cannot open the embedded database {path}: {exc}") from None

    def q(self, statement: str) -> str:
        return _qmark(statement)

    @contextmanager
    def write_transaction(self) -> Iterator[sqlite3.Cursor]:
        # BEGIN IMMEDIATE takes the database's write lock before the first read, so the
        # rows read are the rows the upsert replaces: no other writer can slip between.
        with self._lock:
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
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
            finally:
                cur.close()

    def _batch_entries(
        self, cur: Any, jobs: Sequence[QueuedJob], prepared: object = None
    ) -> Iterator[Entry]:
        """Every row of every involved player, reusing those an earlier batch left while
        no other connection has committed since (``PRAGMA data_version`` moves only on
        their commits): a large import then reads each player's rows once, not once per
        batch it appears in."""
        version = cur.execute("PRAGMA data_version").fetchone()[0]
        self._follow_cache(version)
        if version != self._rows_version or len(self._rows_of) > ROWS_KEPT:
            self._rows_of = {}
            self._rows_version = version
        uids = involved_uids(jobs)
        rows_of = self._rows_of
        missing = []
        for uid in uids:
            kept = rows_of.get(uid)
            if kept is None:
                missing.append(uid)
                rows_of[uid] = []
            else:
                # Copies: the batch changes its rows in place, and the kept ones are also
                # the entries an earlier batch reported; a rollback must not touch those.
                rows_of[uid] = [entry.copy() for entry in kept]
        for entry in self._entries_of(cur, missing):
            rows_of[entry.discord_uid].append(entry)
        return (entry for uid in uids for entry in rows_of[uid])

    def _remember(self, ratings: Ratings) -> None:
        # The batch mutated these entries in place and wrote them: they are the rows now.
        # (New rows got their ids in _learn_new_ids.)
        self._rows_of.update(ratings.by_uid)
        if self._cache_delta is not None:
            self._cache_delta.changes.update((k, c.entry) for k, c in ratings.changes.items())
            self._cache_delta.renamed.update(ratings.renamed)

    def forget(self) -> None:
        self._rows_of = {}
        self._rows_version = None
        self._cache_delta = None

    # -- the frame cache kept current by flushes -----------------------------------------

    def _follow_cache(self, version: int) -> None:
        """At a batch's start, under the write lock: keep collecting the rows this
        connection writes while no other connection commits in between (``data_version``
        moves only on theirs), starting from a frame cache that matched the database."""
        delta = self._cache_delta
        if delta is not None and delta.version == version:
            return
        self._cache_delta = None
        cache = self._frame_cache()
        if cache is not None and cache.exists():
            self._cache_delta = _CacheDelta(cache, version)

    def flushed(self) -> None:
        """Write the frame cache for the database as this connection's batches left it:
        the cache from before them with their rows merged in, instead of a reload of
        every row by the next read. Under the write lock, and only if no other
        connection committed since the first batch (else the next read reloads)."""
        delta, self._cache_delta = self._cache_delta, None
        if delta is None or not (delta.changes or delta.renamed):
            return
        import polars as pl

        from ladder_cli.domain.frames import frame_from_entries, upsert_frame
        from ladder_cli.domain.ranks import in_order

        try:
            with self._lock:
                # The checkpoint the last connection's close would make changes the
                # files' state, which keys the cache: make it now, before the key is taken.
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            with self.write_transaction() as cur:
                if cur.execute("PRAGMA data_version").fetchone()[0] != delta.version:
                    return
                cache = self._frame_cache()
                if cache is None or cache == delta.cache:
                    return
                frame = pl.read_ipc(delta.cache)
                frame = upsert_frame(frame, frame_from_entries(delta.changes.values()))
                if delta.renamed:
                    names = pl.DataFrame(
                        {
                            "discord_uid": list(delta.renamed),
                            "player_name": list(delta.renamed.values()),
                        },
                        schema={"discord_uid": pl.Int64, "player_name": pl.String},
                    )
                    frame = frame.update(names, on="discord_uid", how="left")
                self._save_frame_cache(cache, in_order(frame))
        except (OSError, LadderError, pl.exceptions.PolarsError):
            pass  # only a cache: the next read loads from the database

    def uids_filter(self, uids: Sequence[int]) -> tuple[str, object]:
        return "IN (SELECT value FROM json_each(%s))", json.dumps(list(uids))

    def ts(self, value: datetime | None) -> object:
        return None if value is None else value.isoformat()

    def parse_ts(self, value: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    def no_limit(self) -> object:
        return -1

    def init_schema(self) -> None:
        script = sql.render(sql.SCHEMA, **self.words)
        with self.write_transaction() as cur:
            for statement in script.split(";"):
                if statement.strip():
                    cur.execute(statement)
            self._rename_old_job_keys(cur)
            self.upgrade_tables(cur)
            cur.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def columns(self, cur: Any, table: str) -> set[str]:
        return {row[1] for row in cur.execute(f"PRAGMA table_info({table})").fetchall()}

    def load_frame(self) -> pl.DataFrame:
        """All of ``mmrs_1v1`` in rank order; from a cached Arrow file while the database
        is unchanged.

        Reading every row through Python objects is slow on a large ladder; the cache
        (beside the database, keyed by the state of its files) makes every later read a
        file read, and being in rank order lets :meth:`ranked_scan` serve a leaderboard
        page from it.
        """
        import polars as pl

        from ladder_cli.domain.frames import frame_from_rows
        from ladder_cli.domain.ranks import in_order

        cache = self._frame_cache()
        if cache is not None and cache.exists():
            try:
                return pl.read_ipc(cache)
            except (OSError, pl.exceptions.PolarsError):
                cache.unlink(missing_ok=True)
        with self.read_cursor() as cur:
            cur.execute(sql.ALL_ENTRIES)
            frame = in_order(frame_from_rows(cur.fetchall(), timestamps_as_text=True))
        if cache is not None:
            self._save_frame_cache(cache, frame)
        return frame

    def ranked_scan(self) -> pl.LazyFrame:
        """The frame cache, made current first. Lazy: a caller that finds the file gone
        when it reads (another process replaced it after a write) reads the frame instead.
        Never None here: without a cache file, the loaded frame itself."""
        import polars as pl

        cache = self._frame_cache()
        if cache is None or not cache.exists():
            frame = self.load_frame()
            if cache is None or not cache.exists():
                return frame.lazy()  # the cache could not be written: the frame is in order
        return pl.scan_ipc(cache)

    def _frame_cache(self) -> Path | None:
        # The key is taken before any read: a later commit changes it, so a commit racing
        # the read can only make the key stale, never the cached frame.
        key = self._file_state()
        return None if key is None else self.path.with_name(f".{self.path.name}.{key}.arrow")

    def _file_state(self) -> str | None:
        """A digest that changes whenever the database's content can have changed.

        In WAL mode (:func:`~ladder_cli.util.files.open_sqlite` always sets it) every commit
        appends frames to the -wal file (its size grows) until the WAL restarts, which
        changes the salts in its header; a checkpoint rewrites the main file (its mtime
        changes). Inode numbers catch a replaced file.

        The main file is only ever stat'ed, never opened: closing any descriptor of it
        drops every POSIX lock this process holds on it, SQLite's included (see
        :func:`~ladder_cli.util.files.private_file`). The -wal file carries no locks.
        """
        parts = []
        try:
            st = self.path.stat()
            parts.append(f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}".encode())
        except FileNotFoundError:
            parts.append(b"-")
        except OSError:
            return None
        wal = Path(f"{self.path}-wal")
        try:
            st = wal.stat()
            if st.st_size <= 32:
                # A WAL without frames (each process that opens the database creates a
                # new, empty one): the content is the main file's.
                parts.append(b"-")
            else:
                with wal.open("rb") as fh:
                    head = fh.read(32)
                parts.append(f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:".encode() + head)
        except FileNotFoundError:
            parts.append(b"-")
        except OSError:
            return None
        return "frame-" + hashlib.sha256(b"|".join([_CACHE_FORMAT, *parts])).hexdigest()[:32]

    def _save_frame_cache(self, cache: Path, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.write_ipc(buffer)
        try:
            for old in self.path.parent.glob(f".{self.path.name}.frame-*.arrow"):
                old.unlink(missing_ok=True)
            write_atomically(cache, buffer.getvalue())
        except OSError:
            pass  # only a cache: the next read loads from the database again

    def close(self) -> None:
        self._conn.close()
