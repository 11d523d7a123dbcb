"""Where reads come from: the database (live) or this home's snapshot (offline).

Both sources offer the same methods, so a read is written once against
:class:`ReadSource` and :class:`~ladder_cli.core.parts.Parts` picks the source once per
command. The offline source is the path of every read while the database is unreachable:
the snapshot of ``mmrs_1v1`` and of the newest matches that the last live read or flush
left (:class:`~ladder_cli.core.snapshot.OfflineSource`), which the caller overlays with
the pending queue as it does live.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from ladder_cli.domain.model import AppliedMatch, Entry
from ladder_cli.util.errors import DatabaseUnavailable

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.core.state import LadderState
    from ladder_cli.domain.rules import Rules
    from ladder_cli.stores import Store


class ReadSource(Protocol):
    """The stored ladder, before pending writes."""

    #: None when this is the database; otherwise why it could not be reached.
    unavailable: str | None
    #: What reads from here tell the user about where the answer came from.
    note: str | None

    def frame(self) -> pl.DataFrame:
        """``mmrs_1v1`` as a frame of :data:`ladder_cli.domain.frames.SCHEMA`."""

    def ranked_scan(self) -> pl.LazyFrame | None:
        """The entries in rank order as a lazy scan, where a local file holds them."""

    def ranked_page(
        self, *, race: str | None, min_games: int, top: int | None, page: int, rules: Rules
    ) -> pl.DataFrame | None:
        """One leaderboard page ranked where the ladder is stored (None: not here)."""

    def ranked_entries_of(self, uid: int, *, rules: Rules) -> pl.DataFrame | None:
        """A player's rows with letter and race position, ranked where the ladder is
        stored (None: not here)."""

    def entries_of(self, uids: list[int]) -> list[Entry]:
        """Every row of these players, in key order."""

    def players_named(self, name: str) -> list[tuple[int, str]]:
        """Players whose name equals ``name`` ignoring case."""

    def player_names(self) -> list[tuple[int, str]]:
        """Every player's ``(discord_uid, name)``."""

    def player_exists(self, uid: int) -> bool: ...

    def history(
        self, uid: int | None, limit: int | None, *, include_voided: bool = False
    ) -> list[AppliedMatch]:
        """The match log, newest first; ``limit`` None is all; voided matches only with
        ``include_voided``."""

    def newest_match_id(self) -> int:
        """The largest match id logged (0 for an empty log)."""


class LiveParts(Protocol):
    """What the live source uses of the parts one Ladder opened."""

    lock: threading.RLock

    @property
    def store(self) -> Store: ...

    @property
    def state(self) -> LadderState: ...

    def went_offline(self, exc: DatabaseUnavailable) -> ReadSource: ...

    def save_snapshot(self, frame: pl.DataFrame) -> None: ...


class LiveSource:
    """The database itself; a loaded frame is kept for the Ladder's lifetime and, for a
    server, saved as this home's snapshot."""

    unavailable: str | None = None
    note: str | None = None

    def __init__(self, parts: LiveParts) -> None:
        self._parts = parts

    def frame(self) -> pl.DataFrame:
        parts = self._parts
        state = parts.state
        current = state.frame()
        if current is not None:
            return current
        with parts.lock:
            current = state.frame()
            if current is not None:
                return current
            try:
                frame = parts.store.load_frame()
            except DatabaseUnavailable as exc:
                return parts.went_offline(exc).frame()
            parts.save_snapshot(frame)
            state.set(frame)
            return frame

    def ranked_scan(self) -> pl.LazyFrame | None:
        return self._parts.store.ranked_scan()

    def ranked_page(
        self, *, race: str | None, min_games: int, top: int | None, page: int, rules: Rules
    ) -> pl.DataFrame | None:
        try:
            return self._parts.store.ranked_page(
                race=race, min_games=min_games, top=top, page=page, rules=rules
            )
        except DatabaseUnavailable as exc:
            self._parts.went_offline(exc)
            return None

    def ranked_entries_of(self, uid: int, *, rules: Rules) -> pl.DataFrame | None:
        try:
            return self._parts.store.ranked_entries_of(uid, rules=rules)
        except DatabaseUnavailable as exc:
            self._parts.went_offline(exc)
            return None

    def entries_of(self, uids: list[int]) -> list[Entry]:
        return self._parts.store.entries_of(uids)

    def players_named(self, name: str) -> list[tuple[int, str]]:
        return self._parts.store.players_named(name)

    def player_names(self) -> list[tuple[int, str]]:
        return self._parts.store.player_names()

    def player_exists(self, uid: int) -> bool:
        return self._parts.store.player_exists(uid)

    def history(
        self, uid: int | None, limit: int | None, *, include_voided: bool = False
    ) -> list[AppliedMatch]:
        return self._parts.store.history(uid, limit, include_voided=include_voided)

    def newest_match_id(self) -> int:
        newest = self._parts.store.history(None, 1)
        return (newest[0].match_id or 0) if newest else 0
