"""Where reads come from: the database (live) or this home's snapshot (offline).

Both sources offer the same methods, so a read is written once against
:class:`ReadSource` and :class:`~ladder_cli.core.parts.Parts` picks the source once per
command. The offline source is the path of every read while the database is unreachable:
the snapshot of ``mmrs_1v1`` and of the newest matches that the last live read or flush
left, which the caller overlays with the pending queue as it does live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

from ladder_cli.domain.model import AppliedMatch, Entry
from ladder_cli.util.errors import DatabaseUnavailable, LadderError

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.core.parts import Parts
    from ladder_cli.domain.rules import Rules

SNAPSHOT_MATCHES: Final = 1_000
"""How many of the newest logged matches a snapshot keeps for offline history."""


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


class LiveSource:
    """The database itself; a loaded frame is kept for the Ladder's lifetime and, for a
    server, saved as this home's snapshot."""

    unavailable: str | None = None
    note: str | None = None

    def __init__(self, parts: Parts) -> None:
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
            save_snapshot(parts, frame)
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


class OfflineSource:
    """This home's snapshot of a database that does not answer. Every read says so;
    a database never read from this home has no snapshot, and reading it is an error."""

    def __init__(self, parts: Parts, unavailable: str) -> None:
        self._parts = parts
        self.unavailable: str | None = unavailable
        self._frame: pl.DataFrame | None = None
        self._matches: list[AppliedMatch] | None = None
        #: None before the first read.
        self.note: str | None = None

    def frame(self) -> pl.DataFrame:
        if self._frame is None:
            snapshot = self._parts.snapshots().load_entries()
            if snapshot is None:
                raise LadderError(
                    f"{self.unavailable}; and this database was never read from this home, "
                    "so there is no local snapshot to show: try again when it is reachable"
                )
            self._frame, taken = snapshot
            self.note = (
                f"database unreachable: showing the local snapshot from {taken.isoformat()} "
                "with pending writes applied"
            )
        self._parts.note(self.note or "")
        return self._frame

    def ranked_scan(self) -> pl.LazyFrame | None:
        return None

    def ranked_page(
        self, *, race: str | None, min_games: int, top: int | None, page: int, rules: Rules
    ) -> pl.DataFrame | None:
        return None

    def ranked_entries_of(self, uid: int, *, rules: Rules) -> pl.DataFrame | None:
        return None

    def entries_of(self, uids: list[int]) -> list[Entry]:
        import polars as pl

        from ladder_cli.domain.frames import entries_from_frame

        return entries_from_frame(self.frame().filter(pl.col("discord_uid").is_in(uids)))

    def players_named(self, name: str) -> list[tuple[int, str]]:
        import polars as pl

        wanted = name.casefold()
        rows = (
            self.frame()
            .filter(
                pl.col("player_name").map_elements(str.casefold, return_dtype=pl.String) == wanted
            )
            .select("discord_uid", "player_name")
        )
        return list(rows.unique("discord_uid").iter_rows())

    def player_names(self) -> list[tuple[int, str]]:
        frame = self.frame().select("discord_uid", "player_name")
        return list(frame.unique("discord_uid").iter_rows())

    def player_exists(self, uid: int) -> bool:
        import polars as pl

        return not self.frame().filter(pl.col("discord_uid") == uid).is_empty()

    def history(
        self, uid: int | None, limit: int | None, *, include_voided: bool = False
    ) -> list[AppliedMatch]:
        matches = [
            m
            for m in self._logged()
            if (uid is None or uid in (m.p1_uid, m.p2_uid))
            and (include_voided or m.state != "voided")
        ]
        return matches if limit is None else matches[:limit]

    def newest_match_id(self) -> int:
        return max((m.match_id or 0 for m in self._logged()), default=0)

    def _logged(self) -> list[AppliedMatch]:
        """The snapshot's newest matches, newest first (after the entries: a database
        never read has neither, and that error comes from :meth:`frame`)."""
        self.frame()
        if self._matches is None:
            self._matches = self._parts.snapshots().load_matches()
            if self._matches is None:
                self._matches = []
                self._parts.note("database unreachable: the match log shows pending matches only")
        return self._matches


def save_snapshot(parts: Parts, frame: pl.DataFrame) -> None:
    """Keep this home's snapshot of a server: its entries and its newest matches, so a
    later outage's reads (leaderboard, profile, history) show them. The embedded store
    is always at hand and needs none."""
    if parts.settings.embedded:
        return
    snapshots = parts.snapshots()
    snapshots.save_entries(frame)
    snapshots.save_matches(parts.store.history(None, SNAPSHOT_MATCHES))
