"""This home's snapshot of a database, for reads while it is unreachable: the files, reads
from them, and their upkeep by the reads and flushes that reach the database.

Per database, beside the queue: ``mmrs_1v1`` and the newest logged matches as Arrow IPC
files, the ladder's rules as JSON, and its players' names and uids as text for the shell's
completion (:mod:`~ladder_cli.core.completion`). Never the source of truth (the flush recomputes
from the database), and only kept for databases that can become unreachable (the embedded
one is always at hand). Polars is imported where a frame is read or written, so a
``record`` that needs no snapshot never loads it.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

from ladder_cli.core import completion
from ladder_cli.domain.corrections import ListedLog
from ladder_cli.domain.model import AppliedMatch, Entry
from ladder_cli.domain.rules import Rules
from ladder_cli.util.errors import LadderError
from ladder_cli.util.files import private_dir, write_atomically

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.core.state import LadderState
    from ladder_cli.stores import Store
    from ladder_cli.util.config import Settings

SNAPSHOT_MATCHES: Final = 1_000
"""How many of the newest logged matches a snapshot keeps for offline history."""


class Snapshots:
    """The snapshot files of one database (``target``) in ``directory``."""

    def __init__(self, directory: Path, target: str) -> None:
        digest = hashlib.sha256(target.encode()).hexdigest()[:16]
        self.entries_path = directory / f"{digest}.mmrs.arrow"
        self.matches_path = directory / f"{digest}.matches.arrow"
        self.rules_path = directory / f"{digest}.rules.json"
        self.names_path = completion.names_path(directory, target)

    def save(self, frame: pl.DataFrame, store: Store) -> None:
        """Keep ``frame`` (``mmrs_1v1`` as just read) and the store's newest matches, so a
        later outage's reads (leaderboard, profile, history) show them."""
        self.save_entries(frame)
        self.save_matches(store.history(None, SNAPSHOT_MATCHES))

    def save_entries(self, frame: pl.DataFrame) -> None:
        self._save(self.entries_path, frame)
        # The names beside it, for the shell's completion (read without Polars).
        pairs = frame.select("discord_uid", "player_name").unique().iter_rows()
        completion.keep_names(self.names_path, pairs)

    def load_entries(self) -> tuple[pl.DataFrame, datetime] | None:
        return self._load(self.entries_path)

    def save_matches(self, matches: Sequence[AppliedMatch]) -> None:
        """The newest logged matches, newest first."""
        from ladder_cli.domain.frames import frame_from_matches  # deferred: Polars

        self._save(self.matches_path, frame_from_matches(matches))

    def load_matches(self) -> list[AppliedMatch] | None:
        """The saved matches, newest first; None where none were saved (a snapshot
        taken by an earlier version)."""
        import polars as pl

        from ladder_cli.domain.frames import matches_from_frame  # deferred: Polars

        loaded = self._load(self.matches_path)
        if loaded is None:
            return None
        try:
            return matches_from_frame(loaded[0])
        except (pl.exceptions.PolarsError, TypeError):
            return None

    def keep_rules(self, rules: Rules) -> None:
        """Keep the rules beside the snapshot, for reads while the database is down."""
        text = json.dumps(rules.as_dict(), sort_keys=True)
        try:
            if not self.rules_path.exists() or self.rules_path.read_text() != text:
                private_dir(self.rules_path.parent)
                write_atomically(self.rules_path, text.encode())
        except OSError:
            pass  # only a copy for offline reads

    def kept_rules(self) -> Rules | None:
        """The rules last read from the database; None where none were kept."""
        try:
            return Rules(**json.loads(self.rules_path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def listed_log(self) -> tuple[ListedLog, pl.DataFrame, datetime] | None:
        """The snapshot's newest matches as an event log, its entries and when it was
        taken: what a correction queued offline is previewed against (None: no snapshot,
        or one without matches)."""
        entries, matches = self.load_entries(), self.load_matches()
        if entries is None or not matches:
            return None
        return ListedLog(matches), entries[0], entries[1]

    @staticmethod
    def _save(path: Path, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.write_ipc(buffer)
        write_atomically(path, buffer.getvalue())

    @staticmethod
    def _load(path: Path) -> tuple[pl.DataFrame, datetime] | None:
        import polars as pl

        try:
            taken = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
            return pl.read_ipc(path), taken
        except (FileNotFoundError, pl.exceptions.ComputeError, OSError):
            return None


class OfflineSource:
    """This home's snapshot of a database that does not answer. Every read says so;
    a database never read from this home has no snapshot, and reading it is an error."""

    def __init__(self, snapshots: Snapshots, unavailable: str, note: Callable[[str], None]) -> None:
        self._snapshots = snapshots
        self._note = note
        self.unavailable: str | None = unavailable
        self._frame: pl.DataFrame | None = None
        self._matches: list[AppliedMatch] | None = None
        #: None before the first read.
        self.note: str | None = None

    def frame(self) -> pl.DataFrame:
        if self._frame is None:
            snapshot = self._snapshots.load_entries()
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
        self._note(self.note or "")
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

        from ladder_cli.domain.frames import entries_from_frame  # deferred: Polars

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
            self._matches = self._snapshots.load_matches()
            if self._matches is None:
                self._matches = []
                self._note("database unreachable: the match log shows pending matches only")
        return self._matches


# -- upkeep by the flush ---------------------------------------------------------------


class Home(Protocol):
    """What the upkeep after a flush uses of the parts one Ladder opened."""

    settings: Settings

    @property
    def store(self) -> Store: ...

    @property
    def state(self) -> LadderState: ...

    def cached_frame_loaded(self) -> bool: ...

    def snapshots(self) -> Snapshots: ...

    def note(self, text: str) -> None: ...

    def rules(self) -> Rules: ...


def first_read(home: Home) -> Callable[[], pl.DataFrame | None] | None:
    """For a home without a snapshot of its server: a read of the whole table, to run on
    the flush's bookkeeping thread as the flush begins (on the store's own bulk-read
    connection), so the flush ends by merging its rows into it instead of reading it all
    then. Worked out before the flush takes the parts' lock, which the helper must not
    take."""
    if home.settings.embedded or home.cached_frame_loaded():
        return None
    try:
        if home.snapshots().entries_path.exists():
            return None
    except OSError:
        return None  # the end of the flush deals with the snapshot, and says so
    return home.store.frame_aside


def keep_current(home: Home, entries: Sequence[Entry], before: pl.DataFrame | None) -> None:
    """After a flush to a server, keep this home's snapshot current, so that during a
    later outage reads and previews still show this admin's writes. The first flush takes
    a whole snapshot (``before``: read as the flush began, see :func:`first_read`); later
    ones merge the rows they wrote into it."""
    if home.settings.embedded or not entries:
        return
    # Deferred: Polars.
    from ladder_cli.domain.frames import frame_from_entries, has_states, upsert_frame

    try:
        frame = home.state.frame() if home.cached_frame_loaded() else None
        if frame is None:
            snapshots = home.snapshots()
            saved = (before, None) if before is not None else snapshots.load_entries()
            glicko_rules = home.rules().glicko
            if saved is not None and glicko_rules and not has_states(saved[0]):
                saved = None  # read whole, with the doubles a ladder under Glicko-2 keeps
            if saved is None:
                frame = home.store.load_frame()
                if glicko_rules:
                    from ladder_cli.stores import glicko

                    frame = glicko.joined(home.store, frame)
            else:
                states = has_states(saved[0]) or any(e.state is not None for e in entries)
                frame = upsert_frame(saved[0], frame_from_entries(entries, states=states))
        home.snapshots().save(frame, home.store)
    except (LadderError, OSError) as exc:
        # The writes are applied; only the offline copy is behind. Say so, do not fail.
        home.note(f"could not update the local snapshot: {exc}")
