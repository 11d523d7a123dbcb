"""This home's snapshot of a database, for reads while it is unreachable.

Arrow IPC files beside the queue; never the source of truth (the flush recomputes from
the database), and only written for databases that can become unreachable.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ladder_cli.domain.frames import frame_from_matches, matches_from_frame
from ladder_cli.domain.model import AppliedMatch
from ladder_cli.util.files import write_atomically


class Snapshots:
    """Per database, the last state read from it, for reads while it is unreachable.

    Arrow IPC files beside the queue; never the source of truth (the flush recomputes
    from the database), and only written for databases that can become unreachable.
    """

    def __init__(self, directory: Path, target: str) -> None:
        digest = hashlib.sha256(target.encode()).hexdigest()[:16]
        self.entries_path = directory / f"{digest}.mmrs.arrow"
        self.matches_path = directory / f"{digest}.matches.arrow"

    def save_entries(self, frame: pl.DataFrame) -> None:
        self._save(self.entries_path, frame)

    def load_entries(self) -> tuple[pl.DataFrame, datetime] | None:
        return self._load(self.entries_path)

    def save_matches(self, matches: Sequence[AppliedMatch]) -> None:
        """The newest logged matches, newest first."""
        self._save(self.matches_path, frame_from_matches(matches))

    def load_matches(self) -> list[AppliedMatch] | None:
        """The saved matches, newest first; None where none were saved (a snapshot
        taken by an earlier version)."""
        loaded = self._load(self.matches_path)
        if loaded is None:
            return None
        try:
            return matches_from_frame(loaded[0])
        except (pl.exceptions.PolarsError, TypeError):
            return None

    @staticmethod
    def _save(path: Path, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.write_ipc(buffer)
        write_atomically(path, buffer.getvalue())

    @staticmethod
    def _load(path: Path) -> tuple[pl.DataFrame, datetime] | None:
        try:
            taken = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
            return pl.read_ipc(path), taken
        except (FileNotFoundError, pl.exceptions.ComputeError, OSError):
            return None
