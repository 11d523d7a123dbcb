"""The library API: one :class:`Ladder` per database, used by the CLI and by programs.

A facade over services named for what they do, each handed what it uses:

* :mod:`ladder_cli.core.writes`: the write path (queue, flush, batches, exactly once);
* :mod:`ladder_cli.core.reads`: leaderboard, profile, history, with the pending queue on top;
* :mod:`ladder_cli.core.players`: which player a uid or a name means;
* :mod:`ladder_cli.core.insight`: statistics, head-to-head, trends (``views``);
* :mod:`ladder_cli.core.admin`, :mod:`~ladder_cli.core.seasons`, :mod:`~ladder_cli.core.decay`:
  corrections and the audit trail, seasons, inactivity decay (``admin``, ``seasons``,
  ``decay``);
* :mod:`ladder_cli.core.integrity`: the integrity flags and their dismissal (``integrity``);
* :mod:`ladder_cli.core.parts`: the store, queue and frame they share, opened on first use,
  and the read source (:mod:`~ladder_cli.core.sources`, offline
  :mod:`~ladder_cli.core.snapshot`), chosen once.

Heavy modules (Polars, psycopg) are imported only by the operations that need them, so a
single ``record`` stays quick.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ladder_cli.core.insight import Insight
from ladder_cli.core.parts import Parts
from ladder_cli.core.players import Players
from ladder_cli.core.reads import MAX_ROWS, Profile, Reads
from ladder_cli.core.writes import FlushReport, Fresh, Progress, WriteOutcome, WritePath
from ladder_cli.domain.model import DEFAULT_MMR, AppliedMatch, Job
from ladder_cli.queue.listing import JobInfo, QueueStatus
from ladder_cli.queue.writequeue import WriteQueue
from ladder_cli.stores import Store
from ladder_cli.util.config import Settings, resolve
from ladder_cli.util.errors import BadInput
from ladder_cli.util.thresholds import MAX_MMR

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.core.admin import Admin
    from ladder_cli.core.decay import Decay
    from ladder_cli.core.discard import Discards
    from ladder_cli.core.integrity import Integrity
    from ladder_cli.core.reconcile import ReconcileReport
    from ladder_cli.core.seasons import Seasons
    from ladder_cli.core.switch import Rulebook
    from ladder_cli.domain import stats as insight
    from ladder_cli.domain.frames import Overlay
    from ladder_cli.domain.rules import Rules
    from ladder_cli.domain.verify import VerifyReport

__all__ = ["MAX_MMR", "FlushReport", "Ladder", "Profile", "Progress", "WriteOutcome"]


class Ladder:
    """A ladder database and this home's write-ahead queue for it.

    Thread-safe: writes are serialised by a lock (and, across processes, by a file lock
    around the flush); the in-memory frame is replaced, never mutated, under its own lock.
    """

    #: Who the audit trail names for this Ladder's writes (``--by``); see :attr:`actor`.
    by: str | None = None

    @property
    def actor(self) -> str:
        """``--by``, else config ``admin``, else the login name."""
        from ladder_cli.core.audit import default_actor

        return self.by or self.settings.admin or default_actor()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._parts = Parts(settings)
        #: What the user should know about where answers came from (snapshot, pending).
        self.notes = self._parts.notes
        self._players = Players(self._parts)
        self._reads = Reads(self._parts, self._players.resolve)
        self._writes = WritePath(self._parts)
        #: Statistics, head-to-head, trends and charts (:mod:`ladder_cli.core.insight`).
        self.views = Insight(self._parts, self._reads, self._players.resolve)

    @classmethod
    def open(
        cls,
        db: str | None = None,
        home: str | Path | None = None,
        *,
        settings: Settings | None = None,
    ) -> Ladder:
        return cls(settings or resolve(db=db, home=home))

    def __enter__(self) -> Ladder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._parts.close()

    # -- parts -------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        return self._parts.store

    @property
    def queue(self) -> WriteQueue:
        return self._parts.queue

    def init(self, rules: str | None = None) -> Rules:
        """Create the schema (idempotent; adopts ``mmrs_1v1``) and store the rules ``rules``
        names (default standard) if none yet; naming other rules is bad input."""
        return self._parts.init(rules)

    def rules(self) -> Rules:
        """The ladder's rating rules (offline: the rules last read from the database)."""
        return self._parts.rules()

    def reachable(self) -> str | None:
        """None when reads come from the database; otherwise why it could not be reached."""
        return self._parts.source.unavailable

    def resolve_player(self, ref: str | int, *, must_exist: bool = True) -> int:
        """A discord_uid from digits or an exact (case-insensitive) player name."""
        return self._players.resolve(ref, must_exist=must_exist)

    # -- writes ------------------------------------------------------------------------

    def record(
        self,
        p1: str | int,
        race1: str,
        p2: str | int,
        race2: str,
        *,
        draw: bool = False,
        at: datetime | None = None,
        p1_name: str | None = None,
        p2_name: str | None = None,
        flush: bool = True,
    ) -> WriteOutcome:
        """Record one match that P1 won (or a draw)."""
        job = self._players.match(p1, race1, p2, race2, draw, at, p1_name, p2_name)
        return self.submit([job], flush=flush)

    def reset(
        self,
        player: str | int,
        *,
        race: str | None = None,
        mmr: int = DEFAULT_MMR,
        keep_stats: bool = False,
        flush: bool = True,
    ) -> WriteOutcome:
        """Reset a known player's MMR (and stats, unless ``keep_stats``)."""

        def races_of(uid: int) -> set[str]:
            return {r["race"] for r in self.profile(uid).races}

        job = self._players.reset(player, race, mmr, keep_stats, races_of)
        return self.submit([job], flush=flush)

    def record_many(
        self, jobs: Sequence[Job], *, flush: bool = True, progress: Progress | None = None
    ) -> WriteOutcome:
        """Queue already-validated jobs as one unit, then flush them.

        The outcome says whether all of them applied, not each match's before → after
        (``history`` has those): a million matches' worth would not fit in memory.
        """
        return self.submit(jobs, flush=flush, progress=progress, want_matches=False)

    def submit(
        self,
        jobs: Sequence[Job],
        *,
        flush: bool = True,
        progress: Progress | None = None,
        want_matches: bool = True,
    ) -> WriteOutcome:
        from ladder_cli.core.audit import audit_of

        audit = audit_of(jobs, self.actor)
        return self._writes.submit(jobs, flush, progress, want_matches, audit)

    def flush(
        self,
        *,
        progress: Progress | None = None,
        keep_matches: Container[int] | None = None,
        fresh: Fresh | None = None,
    ) -> FlushReport:
        """Apply every pending job to the database, in queue order, each exactly once
        (see :meth:`ladder_cli.core.writes.WritePath.flush`)."""
        return self._writes.flush(progress, keep_matches, fresh)

    # -- reads -------------------------------------------------------------------------

    def frame(self) -> pl.DataFrame:
        """``mmrs_1v1`` as stored (cached for this Ladder), before pending writes."""
        return self._reads.frame()

    def refresh(self) -> None:
        """Forget the cached frame and the read source; the next read asks the database."""
        self._parts.forget_rules()
        self._parts.forget_source()

    def current(self) -> Overlay:
        """The stored state with this home's pending queue applied on top."""
        return self._reads.current()

    def leaderboard(
        self,
        *,
        race: str | Sequence[str] | None = None,
        top: int | None = 20,
        page: int = 1,
        min_games: int = 1,
        best_race: bool = False,
        rank: str | None = None,
        country: str | None = None,
        season: str | None = None,
        as_of: datetime | None = None,
    ) -> pl.DataFrame:
        """One page of the leaderboard (see :meth:`Reads.leaderboard`): ``season`` a closed
        season's final standings, ``as_of`` (UTC) the ladder as it stood then."""
        args = (race, top, page, min_games, best_race, rank, country, season, as_of)
        return self._reads.leaderboard(*args)

    def profile(self, player: str | int, *, recent: int = 10) -> Profile:
        return self._reads.profile(player, recent=recent)

    def history(
        self,
        player: str | int | None = None,
        *,
        limit: int | None = 20,
        include_voided: bool = False,
    ) -> list[AppliedMatch]:
        """The match log, newest first, pending matches included; ``limit`` None is all."""
        return self._reads.history(player, limit=limit, include_voided=include_voided)

    def names(self, uids: Iterable[int]) -> dict[int, str]:
        """Current names of these players alone (pending renames included)."""
        return self._reads.names(uids)

    #: The same as :meth:`names` (the two were one concept under two names).
    names_of = names

    def record_preview(
        self,
        p1: str | int,
        race1: str,
        p2: str | int,
        race2: str,
        *,
        draw: bool = False,
        at: datetime | None = None,
        p1_name: str | None = None,
        p2_name: str | None = None,
    ) -> insight.Preview:
        """What :meth:`record` would do, validated the same way; writes nothing."""
        return self.views.record_preview(
            self._players.match(p1, race1, p2, race2, draw, at, p1_name, p2_name)
        )

    # -- the original bot ----------------------------------------------------------------

    def import_bot_matches(
        self, table: str = "matches_1v1", *, dry_run: bool = False
    ) -> dict[str, int]:
        """Add the bot's resolved matches to the match log as history already applied
        (no rating changes); see :func:`ladder_cli.stores.bot.import_bot_matches`."""
        from ladder_cli.stores.bot import import_bot_matches

        return import_bot_matches(self.store, table, dry_run=dry_run)

    def verify(self) -> VerifyReport:
        """Replay the log, compare with ``mmrs_1v1``, and report impossible counts."""
        from ladder_cli.stores import eventlog

        return eventlog.verify(self.store)

    # -- its parts: corrections and the audit trail, seasons, decay, integrity ----------

    @property
    def admin(self) -> Admin:
        """Void, amend, adjust, ``match show`` and the audit trail."""
        from ladder_cli.core.admin import Admin

        return Admin(self._parts, self._reads, self._players.resolve, self.submit, self.actor)

    @property
    def seasons(self) -> Seasons:
        """Close a season, list the closed ones, read their final standings."""
        from ladder_cli.core.seasons import Seasons  # deferred: Polars, via the archive

        return Seasons(self._parts, self._reads, self.submit, self.actor)

    @property
    def rulebook(self) -> Rulebook:
        """Other rules: how well they predict the log (``evaluate``), and switching to them."""
        from ladder_cli.core.switch import Rulebook

        return Rulebook(self._parts, self.submit, self.actor)

    @property
    def decay(self) -> Decay:
        """The configured inactivity decay: what a run would take, and a run."""
        from ladder_cli.core.decay import Decay

        return Decay(self._parts, self.submit, self.actor)

    @property
    def integrity(self) -> Integrity:
        """The integrity report: flags of manipulation in the log, and dismissing one."""
        from ladder_cli.core.integrity import Integrity

        return Integrity(self._parts, self._reads, self.submit, self.actor)

    # -- the queue ---------------------------------------------------------------------

    def wal_status(self) -> QueueStatus:
        return self.queue.status()

    def wal_jobs(self, state: str = "pending", limit: int | None = None) -> list[JobInfo]:
        if limit is not None and limit < 0:
            raise BadInput(f"limit {limit} must be 0 (all) or more", param="limit")
        return self.queue.list(state, None if limit is None or limit > MAX_ROWS else limit)

    def retry_failed(self) -> int:
        return self.queue.retry_failed()

    @property
    def discards(self) -> Discards:
        """``wal discard``: which pending jobs it may drop, and the drop with its audit row."""
        from ladder_cli.core.discard import Discards

        return Discards(self._parts, self.actor)

    def queued_here(self) -> list[tuple[int, int]]:
        """Each append's ``(first, last)`` queue seqs (an interrupted command's report)."""
        queue = self._parts.opened_queue()
        return [] if queue is None else list(queue.appended)

    def reconcile(self, progress: Progress | None = None) -> ReconcileReport:
        """Re-apply the retained jobs the database's ledger no longer has (after a
        restore or a failover); see :mod:`ladder_cli.core.reconcile`."""
        from ladder_cli.core.reconcile import reconcile

        return reconcile(self._parts, self._writes, progress)
