"""Bulk reads (``mmrs_1v1`` whole, the match log as columns) through the ADBC PostgreSQL
driver, straight into Arrow."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

from ladder_cli.stores import sql

if TYPE_CHECKING:
    import polars as pl


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
