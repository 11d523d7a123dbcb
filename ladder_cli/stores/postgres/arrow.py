"""Bulk reads (``mmrs_1v1`` whole, the match log as columns) through the ADBC PostgreSQL
driver, straight into Arrow."""

from __future__ import annotations

import contextlib
import re
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ladder_cli.stores import sql

if TYPE_CHECKING:
    import polars as pl


# The match log for a replay (ladder_cli.domain.wavereplay.MATCH_COLUMNS), up to a time.
_LOG_COLUMNS = (
    "SELECT match_id, played_at, p1_uid, p1_race, p2_uid, p2_race, result::int8 AS result, "
    "state = 'voided' AS voided FROM ladder_matches {where} ORDER BY match_id"
)
# The match log for the integrity report (ladder_cli.domain.patterns.LOG_COLUMNS).
_LOG_WITH_MMRS = (
    "SELECT match_id, played_at, p1_uid, p1_race, p2_uid, p2_race, result::int8 AS result, "
    "state = 'voided' AS voided, p1_mmr_before::int8 AS p1_before, "
    "p1_mmr_after::int8 AS p1_after, p2_mmr_before::int8 AS p2_before, "
    "p2_mmr_after::int8 AS p2_after FROM ladder_matches"
)
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00")


class ArrowReader:
    """``mmrs_1v1`` through the ADBC PostgreSQL driver (binary COPY decoded to Arrow in
    C++), when it is installed: faster than the COPY-to-CSV path (docs/benchmarks.md compares them).
    Its connection is autocommit, so it never sits idle in a transaction holding a lock
    on the table between reads."""

    def __init__(self, url: str, connect_timeout: float) -> None:
        self._url = url
        self._timeout = max(1, round(connect_timeout))
        self._conn: Any = None
        self._lock = threading.RLock()  # its own: it may read beside a write transaction

    def entries(self) -> pl.DataFrame | None:
        """None when the driver is missing or on any error: the caller falls back to the
        COPY path, which also classifies errors."""
        from ladder_cli.domain.frames import frame_from_arrow

        frame = self.frame(sql.ALL_ENTRIES)
        return None if frame is None else frame_from_arrow(frame)

    def frame(self, statement: str) -> pl.DataFrame | None:
        """Any statement's rows as the driver types them; None as for :meth:`entries`."""
        with self._lock:
            return self._read(statement)

    def log_until(self, cutoff: datetime | None) -> pl.DataFrame | None:
        """The match log for a replay, up to ``cutoff``; None as for :meth:`entries`."""
        # The driver binds no parameter without pyarrow: the cutoff is written into the
        # statement, from a datetime's own ISO text only (checked, never a user's text).
        if cutoff is None:
            return self.frame(_LOG_COLUMNS.format(where=""))
        at = cutoff.astimezone(UTC).isoformat()
        if not _ISO_TIME.fullmatch(at):
            return None
        return self.frame(_LOG_COLUMNS.format(where=f"WHERE played_at <= '{at}'"))

    def log_with_mmrs(self) -> pl.DataFrame | None:
        """The match log for the integrity report; None as for :meth:`entries`."""
        return self.frame(_LOG_WITH_MMRS)

    def _read(self, statement: str) -> pl.DataFrame | None:
        try:
            import adbc_driver_postgresql.dbapi as adbc  # type: ignore[import-untyped]
        except ImportError:
            return None
        import polars as pl

        try:
            if self._conn is None:
                sep = "&" if "?" in self._url else "?"
                uri = f"{self._url}{sep}connect_timeout={self._timeout}"
                self._conn = adbc.connect(uri, autocommit=True)
            with self._conn.cursor() as cur:
                cur.execute(statement)
                return pl.DataFrame(cur.fetch_arrow())
        except Exception:
            self.close()
            return None

    def close(self) -> None:
        with self._lock:  # never under a read on another thread
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
