"""The in-memory ladder of one process: ``mmrs_1v1`` as a Polars frame, behind a lock.

Polars frames are immutable, so every transformation is assigned back
(``self._frame = ...``); and every read-modify-write of the frame holds ``self._lock``,
so concurrent writers in one process never lose an update (the seed's two lessons).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import polars as pl

from ladder_cli.domain.frames import frame_from_entries, upsert_frame
from ladder_cli.domain.model import Entry


class LadderState:
    """The authoritative in-memory copy of ``mmrs_1v1`` for one process.

    Loaded once, then kept current by the flushes this process makes: each batch's final
    rows replace the frame's in one rebuild, under the lock, and the result is assigned.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: pl.DataFrame | None = None

    def set(self, frame: pl.DataFrame) -> None:
        with self._lock:
            self._frame = frame

    def frame(self) -> pl.DataFrame | None:
        with self._lock:
            return self._frame

    def apply(self, entries: Sequence[Entry]) -> None:
        """Merge rows a flush wrote (their final values) into the frame."""
        if not entries:
            return
        changed = frame_from_entries(entries)
        with self._lock:
            if self._frame is not None:
                self._frame = upsert_frame(self._frame, changed)
