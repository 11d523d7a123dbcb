"""The library API: one :class:`Ladder` per database, used by the CLI and by programs.

Writes follow the contract's path: validate, append to the durable queue, flush. Reads
show the database with the pending queue on top. Heavy modules (Polars, psycopg) are
imported only by the operations that need them, so a single ``record`` stays quick.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ladder_cli import failpoints
from ladder_cli.config import Settings, resolve
from ladder_cli.errors import BadInput, DatabaseUnavailable, LadderError, QueueError
from ladder_cli.files import private_dir
from ladder_cli.model import (
    DEFAULT_MMR,
    AppliedMatch,
    Entry,
    Job,
    Key,
    MatchJob,
    QueuedJob,
    ResetJob,
    job_uids,
    now_utc,
    parse_race,
    parse_uid,
)
from ladder_cli.queue import JobInfo, QueueStatus, WriteQueue, in_stored_form
from ladder_cli.stores import JobRejected, Store, open_store
from ladder_cli.stores.base import without_gc

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.state import LadderState, Overlay, Snapshots

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while jobs are applied."""

Fresh = tuple[Sequence[tuple[int, int]], Sequence[Job]]
"""Jobs just queued, with the ``(seq, job_id)`` the queue gave each (see Ladder.flush)."""

MAX_MMR = 100_000
MAX_ROWS = 2**62
"""A ``--limit`` above this means "all": SQL's LIMIT takes a 64-bit integer."""


@dataclass
class FlushReport:
    """What a flush did: counts, the failures, and each applied match by job seq."""

    applied: int = 0
    already_applied: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    matches: dict[int, AppliedMatch] = field(default_factory=dict)
    #: The players of the kept matches, by uid.
    names: dict[int, str] = field(default_factory=dict)
    #: The rows written, when this process keeps a frame or a local snapshot current.
    entries: dict[Key, Entry] = field(default_factory=dict)
    pending: int = 0
    #: Whose applied matches to keep in ``matches`` (None: every job's). A replay of a
    #: million jobs keeps none, so its memory stays that of one batch.
    keep_matches: Container[int] | None = None


@dataclass
class WriteOutcome:
    """The answer to a write: where it went, and (except from :meth:`Ladder.record_many`)
    each match's MMR before and after."""

    seqs: list[int]
    applied: bool
    matches: list[AppliedMatch]
    report: FlushReport | None = None
    pending: int = 0
    unavailable: str | None = None
    preview_note: str | None = None
    failed: list[tuple[int, str]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)


@dataclass
class Profile:
    discord_uid: int
    player_name: str
    races: list[dict[str, Any]]
    recent_matches: list[AppliedMatch]

    def as_dict(self) -> dict[str, Any]:
        return {
            "discord_uid": self.discord_uid,
            "player_name": self.player_name,
            "races": self.races,
            "recent_matches": [m.as_dict() for m in self.recent_matches],
        }


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
        from ladder_cli.audit import default_actor

        return self.by or self.settings.admin or default_actor()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.notes: list[str] = []
        self._store: Store | None = None
        self._queue: WriteQueue | None = None
        self._state: LadderState | None = None
        self._lock = threading.RLock()

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
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
            if self._queue is not None:
                self._queue.close()
                self._queue = None

    # -- parts -------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                if self.settings.embedded:
                    self._make_home()
                self._store = open_store(
                    self.settings.url, connect_timeout=self.settings.connect_timeout
                )
            return self._store

    @property
    def queue(self) -> WriteQueue:
        with self._lock:
            if self._queue is None:
                self._make_home()
                self._queue = WriteQueue(self.settings.queue_path, self.store.target)
            return self._queue

    def _make_home(self) -> None:
        try:
            private_dir(self.settings.data_dir)
        except OSError as exc:
            raise QueueError(
                f"cannot create the ladder's home {self.settings.data_dir}: "
                f"{exc.strerror or exc}: choose a writable directory with --home or LADDER_HOME"
            ) from None

    @property
    def state(self) -> LadderState:
        from ladder_cli.state import LadderState

        with self._lock:
            if self._state is None:
                self._state = LadderState()
            return self._state

    def _snapshots(self) -> Snapshots:
        from ladder_cli.state import Snapshots

        return Snapshots(self.settings.snapshot_dir, self.store.target)

    def _note(self, text: str) -> None:
        self.notes.append(text)

    def init(self) -> None:
        """Create the schema (idempotent; adopts an existing ``mmrs_1v1``)."""
        self.store.init_schema()

    def reachable(self) -> str | None:
        """None when the database answers; otherwise why not.

        A wrong URL or password is not an outage: it raises BadInput, so the caller
        writes nothing to the queue.
        """
        connect = getattr(self.store, "connect", None)
        if connect is None:
            return None
        try:
            connect()
        except DatabaseUnavailable as exc:
            return str(exc)
        return None

    # -- players -----------------------------------------------------------------------

    def resolve_player(self, ref: str | int, *, must_exist: bool = True) -> int:
        """A discord_uid from digits or an exact (case-insensitive) player name.

        Unknown uids are accepted only for writes that create players (``must_exist``
        false); names must always match exactly one known player.
        """
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            uid = parse_uid(ref, what="player")
            if must_exist and not self._player_known(uid):
                raise BadInput(
                    f"unknown player {uid}: no entries for this discord_uid "
                    "(record a match to create it)"
                )
            return uid
        name = str(ref)
        if not name.strip():
            raise BadInput("player is empty: give a discord_uid or a player name")
        found = dict(self._players_named(name))
        if not found:
            similar = self._similar_players(name)
            hint = "; did you mean " + ", ".join(f"{n} ({u})" for u, n in similar) + "?"
            raise BadInput(
                f"unknown player {name!r}: no player has this name{hint if similar else ''} "
                "(names match exactly, ignoring case; a new player needs a discord_uid)"
            )
        if len(found) > 1:
            candidates = ", ".join(f"{n} ({u})" for u, n in sorted(found.items()))
            raise BadInput(f"player name {name!r} is ambiguous: {candidates}; use the discord_uid")
        return next(iter(found))

    def _similar_players(self, name: str, limit: int = 5) -> list[tuple[int, str]]:
        """Known players whose names are close to ``name``: the candidates to list."""
        import difflib

        if self.reachable() is None:
            players = self.store.player_names()
        else:
            try:
                frame = self._offline_frame()
            except LadderError:
                return []
            players = list(
                frame.select("discord_uid", "player_name").unique("discord_uid").iter_rows()
            )
        by_name: dict[str, list[tuple[int, str]]] = {}
        for uid, known in players:
            by_name.setdefault(known.casefold(), []).append((uid, known))
        wanted = name.casefold()
        close = difflib.get_close_matches(wanted, list(by_name), n=limit, cutoff=0.6)
        close += [k for k in by_name if wanted in k and k not in close]
        return [player for key in close[:limit] for player in by_name[key]][:limit]

    def _players_named(self, name: str) -> list[tuple[int, str]]:
        wanted = name.casefold()
        pending = [
            (uid, given)
            for q in self._pending()
            if isinstance(q.job, MatchJob)
            for uid, given in ((q.job.p1_uid, q.job.p1_name), (q.job.p2_uid, q.job.p2_name))
            if given is not None and given.casefold() == wanted
        ]
        if self.reachable() is None:
            return self.store.players_named(name) + pending
        frame = self._offline_frame()
        import polars as pl

        rows = frame.filter(
            pl.col("player_name").map_elements(str.casefold, return_dtype=pl.String) == wanted
        ).select("discord_uid", "player_name")
        return list(rows.unique("discord_uid").iter_rows()) + pending

    def _player_known(self, uid: int) -> bool:
        if any(uid in job_uids(q.job) for q in self._pending()):
            return True
        if self.reachable() is None:
            return self.store.player_exists(uid)
        import polars as pl

        return not self._offline_frame().filter(pl.col("discord_uid") == uid).is_empty()

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
        job = MatchJob.checked(
            self.resolve_player(p1, must_exist=False),
            race1,
            self.resolve_player(p2, must_exist=False),
            race2,
            result=0 if draw else 1,
            played_at=at,
            p1_name=p1_name,
            p2_name=p2_name,
        )
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
        uid = self.resolve_player(player)
        race = None if race is None else parse_race(race)
        if isinstance(mmr, bool) or not isinstance(mmr, int):
            raise BadInput(f"mmr {mmr!r} must be a whole number from 0 to {MAX_MMR}")
        if not 0 <= mmr <= MAX_MMR:
            raise BadInput(f"mmr {mmr} is out of range: it must be from 0 to {MAX_MMR}")
        if race is not None:
            races = {r["race"] for r in self.profile(uid).races}
            if race not in races:
                raise BadInput(
                    f"player {uid} has no {race} entry (plays: {', '.join(sorted(races))})"
                )
        return self.submit([ResetJob(uid, race, mmr, keep_stats, now_utc())], flush=flush)

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
        if not jobs:
            raise BadInput("nothing to record: no matches were given")
        unavailable = self.reachable()
        ids = self.queue.append_with_ids(jobs)
        seqs = [seq for seq, _ in ids]
        first, last = seqs[0], seqs[-1]  # one append: contiguous
        outcome = WriteOutcome(seqs=seqs, applied=False, matches=[])
        if flush and unavailable is None:
            try:
                report = self.flush(
                    progress=progress,
                    keep_matches=range(first, last + 1) if want_matches else (),
                    fresh=(ids, jobs) if all(map(in_stored_form, jobs)) else None,
                )
            except LadderError as exc:
                # Not only an outage: whatever stopped the flush, the jobs are queued and
                # will apply on replay, so failing the command would invite a doubling retry.
                unavailable = str(exc)
            else:
                outcome.report = report
                outcome.names = report.names
                outcome.failed = [f for f in report.failed if first <= f[0] <= last]
                if not want_matches:
                    outcome.applied = not outcome.failed and not self.queue.unfinished_between(
                        first, last
                    )
                else:
                    self._collect_matches(outcome, report, dict(ids), jobs)
        outcome.unavailable = unavailable
        outcome.pending = self.queue.pending_count()
        if (
            want_matches
            and not outcome.matches
            and len(jobs) == 1
            and isinstance(jobs[0], MatchJob)
        ):
            outcome.matches, outcome.names, outcome.preview_note = self._preview(seqs)
        return outcome

    def _collect_matches(
        self, outcome: WriteOutcome, report: FlushReport, ids: dict[int, int], jobs: Sequence[Job]
    ) -> None:
        """Each of our matches' before → after, also those another process applied first."""
        seqs = outcome.seqs
        outcome.matches = [report.matches[s] for s in seqs if s in report.matches]
        outcome.applied = not outcome.failed and (
            len(outcome.matches) == sum(isinstance(j, MatchJob) for j in jobs)
        )
        if outcome.applied or outcome.failed:
            return
        # Another process flushed some of our jobs first: they are applied, just not by
        # us. Read their before → after from the match log.
        seq_of = {ids[s]: s for s in seqs if s not in report.matches}
        logged = self.store.logged_matches(self.queue.queue_id, list(seq_of))
        found = {seq_of[m.job_id]: m for m in logged if m.job_id in seq_of}
        found |= report.matches
        outcome.matches = [found[s] for s in seqs if s in found]
        outcome.applied = not self.queue.unfinished_between(seqs[0], seqs[-1])
        if logged:
            outcome.names |= self.names_of({u for m in logged for u in _uids_of_match(m)})

    def _preview(
        self, seqs: Sequence[int]
    ) -> tuple[list[AppliedMatch], dict[int, str], str | None]:
        """Before → after for queued jobs, from the pending queue over the known state."""
        from ladder_cli.rating import Ratings

        pending = self._pending()
        uids = sorted({u for q in pending for u in job_uids(q.job)})
        note = None
        if self.reachable() is None:
            try:
                entries = self.store.entries_of(uids)
            except LadderError as exc:
                # The job is already queued: a failed preview must not fail the command.
                return [], {}, f"no MMR preview: {exc}"
        else:
            import polars as pl

            from ladder_cli.state import entries_from_frame

            try:
                frame = self._offline_frame()
            except LadderError:
                return [], {}, "no MMR preview: this database was never read from this home"
            entries = entries_from_frame(frame.filter(pl.col("discord_uid").is_in(uids)))
            note = self.notes[-1] if self.notes else None
        ratings = Ratings.from_entries(entries)
        ratings.preview(pending)
        wanted = set(seqs)
        return [m for m in ratings.matches if m.seq in wanted], ratings.names, note

    @without_gc
    def flush(
        self,
        *,
        progress: Progress | None = None,
        keep_matches: Container[int] | None = None,
        fresh: Fresh | None = None,
    ) -> FlushReport:
        """Apply every pending job to the database, in queue order, each exactly once.

        ``report.matches`` holds the applied matches of the jobs in ``keep_matches`` (of
        every job when None). ``fresh`` is the jobs this process has just queued, with
        their ``(seq, job_id)``, all in the queue's stored form (see
        :func:`~ladder_cli.queue.in_stored_form`): they are applied from memory instead of
        read back from the queue (a million rows decode and checksum in 7 s); the queue
        still holds them, and the ledger skips any another process applied meanwhile. Raises
        DatabaseUnavailable if the database cannot be reached; jobs stay queued.
        """
        report = FlushReport(keep_matches=keep_matches)
        from filelock import FileLock, Timeout  # here: reads never need it

        lock = FileLock(str(self.settings.data_dir / ".flush.lock"), timeout=600, mode=0o600)
        with self._lock:
            try:
                lock.acquire()
            except Timeout:
                raise LadderError(
                    "another ladder process has been flushing for 10 minutes: try again later"
                ) from None
            try:
                queue = self.queue
                total = queue.pending_count()
                done = 0
                batches = _prefetched(self._batches(queue, report, fresh))
                for batch in batches:
                    self._apply(batch, report)
                    done += len(batch)
                    if progress is not None:
                        progress(done, total)
                    failpoints.hit("between-batches")
            finally:
                lock.release()
                if self._state is not None:
                    # Keep this process's frame current: one rebuild for the whole flush.
                    self._state.apply(list(report.entries.values()))
                self._keep_snapshot(list(report.entries.values()))
        report.pending = self.queue.pending_count()
        return report

    def _batches(
        self, queue: WriteQueue, report: FlushReport, fresh: Fresh | None
    ) -> Iterator[list[QueuedJob]]:
        """The pending jobs in queue order, in batches; ``fresh`` ones from memory. Runs in
        the prefetch thread: it must not take this Ladder's lock, which flush holds."""
        size, failed = self.settings.batch_size, report.failed
        if fresh is None:
            yield from queue.pending_batches(size, failed=failed)
            return
        ids, jobs = fresh
        first, last = ids[0][0], ids[-1][0]
        yield from queue.pending_batches(size, failed=failed, before=first)
        for start in range(0, len(jobs), size):
            yield [
                QueuedJob(seq, job, job_id)
                for (seq, job_id), job in zip(
                    ids[start : start + size], jobs[start : start + size], strict=True
                )
            ]
        yield from queue.pending_batches(size, failed=failed, after=last)

    def _keep_snapshot(self, entries: Sequence[Entry]) -> None:
        """After a flush to a server, keep this home's snapshot current, so that during a
        later outage reads and previews still show this admin's writes. The first flush
        takes a whole snapshot; later ones merge the rows they wrote into it."""
        if self.settings.embedded or not entries:
            return
        from ladder_cli.state import frame_from_entries, upsert_frame

        snapshots = self._snapshots()
        try:
            frame = self._state.frame() if self._state is not None else None
            if frame is None:
                saved = snapshots.load_entries()
                if saved is None:
                    frame = self.store.load_frame()
                else:
                    frame = upsert_frame(saved[0], frame_from_entries(entries))
            snapshots.save_entries(frame)
        except (LadderError, OSError) as exc:
            # The writes are applied; only the offline copy is behind. Say so, do not fail.
            self._note(f"could not update the local snapshot: {exc}")

    def _apply(self, batch: Sequence[QueuedJob], report: FlushReport) -> None:
        queue = self.queue
        try:
            result = self.store.apply_batch(queue.queue_id, batch)
        except JobRejected as exc:
            # A job the database refuses: split the batch until that job stands alone,
            # move it to `failed`, and apply the rest around it.
            if len(batch) == 1:
                failure = (batch[0].seq, f"rejected by the database: {exc}")
                queue.mark_failed([failure])
                report.failed.append(failure)
                return
            middle = len(batch) // 2
            self._apply(batch[:middle], report)
            self._apply(batch[middle:], report)
            return
        queue.mark_failed(result.failed)
        queue.complete(result.applied + result.already_applied)
        # An audit row is not a write of its own: the counts are the command's jobs.
        report.applied += len(result.applied) - result.audit_applied
        report.already_applied += len(result.already_applied) - result.audit_already
        report.failed.extend(result.failed)
        keep = report.keep_matches
        kept = []
        for match in result.matches:
            if match.seq is not None and (keep is None or match.seq in keep):
                report.matches[match.seq] = match
                kept.append(match)
        if self._state is not None or not self.settings.embedded:
            # for the frame this process keeps and the local snapshot (see flush)
            report.entries.update(result.entries)
        if kept:
            shown = {uid for m in kept for uid in _uids_of_match(m)}
            for entry in result.entries.values():
                if entry.discord_uid in shown:
                    report.names[entry.discord_uid] = entry.player_name

    # -- reads -------------------------------------------------------------------------

    def _pending(self) -> list[QueuedJob]:
        return self.queue.pending_jobs()

    def _offline_frame(self) -> pl.DataFrame:
        snapshot = self._snapshots().load_entries()
        if snapshot is None:
            raise LadderError(
                f"{self.reachable()}; and this database was never read from this home, "
                "so there is no local snapshot to show: try again when it is reachable"
            )
        frame, taken = snapshot
        self._note(
            f"database unreachable: showing the local snapshot from {taken.isoformat()} "
            "with pending writes applied"
        )
        return frame

    def frame(self) -> pl.DataFrame:
        """``mmrs_1v1`` as stored (cached for this Ladder), before pending writes."""
        state = self.state
        current = state.frame()
        if current is not None:
            return current
        # Load under the lock a flush holds: otherwise a flush could commit after our read
        # and update the (still empty) frame before we set it, and its update would be lost.
        with self._lock:
            current = state.frame()
            if current is not None:
                return current
            try:
                frame = self.store.load_frame()
            except DatabaseUnavailable:
                return self._offline_frame()
            if not self.settings.embedded:
                self._snapshots().save_entries(frame)
            state.set(frame)
            return frame

    def refresh(self) -> None:
        """Forget the cached frame; the next read loads it from the database again."""
        self.state.set(None)  # type: ignore[arg-type]

    def current(self) -> Overlay:
        """The stored state with this home's pending queue applied on top."""
        from ladder_cli.state import overlay

        pending = self._pending()
        result = overlay(self.frame(), pending)
        if pending:
            self._note(f"{len(pending)} pending write(s) not yet in the database are included")
        return result

    def leaderboard(
        self,
        *,
        race: str | None = None,
        top: int | None = 20,
        page: int = 1,
        min_games: int = 1,
    ) -> pl.DataFrame:
        from ladder_cli import ranks

        race = None if race is None else parse_race(race)
        if top is not None and top < 0:
            raise BadInput(f"--top {top} must be 0 (all) or more")
        if page < 1:
            raise BadInput(f"--page {page} must be 1 or more")
        if min_games < 0:
            raise BadInput(f"--min-games {min_games} must be 0 or more")
        options: dict[str, Any] = {
            "race": race,
            "top": top or None,
            "page": page,
            "min_games": min_games,
            "activity_days": self.settings.activity_days,
        }
        in_memory = self._state is not None and self._state.frame() is not None
        if not in_memory and not self.queue.pending_count():
            # Nothing pending and no frame in memory: read the page from the store's
            # ranked file, if it keeps one, instead of loading every entry.
            import polars as pl

            scan = self.store.ranked_scan()
            if scan is not None:
                try:
                    return ranks.leaderboard_in_order(scan, **options)
                except (OSError, pl.exceptions.PolarsError):
                    pass  # replaced by another process after a write: load the frame
        return ranks.leaderboard(self.current().frame, **options)

    def profile(self, player: str | int, *, recent: int = 10) -> Profile:
        import polars as pl

        from ladder_cli import ranks

        uid = self.resolve_player(player)
        ranked = ranks.race_positions(
            ranks.with_ranks(self.current().frame, activity_days=self.settings.activity_days)
        )
        mine = ranked.filter(pl.col("discord_uid") == uid).sort("race")
        if mine.is_empty():
            raise BadInput(f"unknown player {uid}: no entries for this discord_uid")
        races = mine.select(ranks.LEADERBOARD_COLUMNS).to_dicts()
        name = races[0]["player_name"]
        return Profile(uid, name, races, self.history(uid, limit=recent))

    def history(
        self,
        player: str | int | None = None,
        *,
        limit: int | None = 20,
        include_voided: bool = False,
    ) -> list[AppliedMatch]:
        """The match log, newest first, pending matches included; ``limit`` None is all."""
        if limit is not None and limit < 0:
            raise BadInput(f"--limit {limit} must be 0 (all) or more")
        if limit is not None and limit > MAX_ROWS:
            limit = None  # more than any log holds: all of it (and no 64-bit overflow in SQL)
        uid = None if player is None else self.resolve_player(player)
        if self.reachable() is None:
            logged = self.store.history(uid, limit, include_voided=include_voided)
        else:
            # A database never read from this home has no snapshot: that is an error.
            self.frame()
            logged = []
            self._note("database unreachable: the match log shows pending matches only")
        pending = self.current().matches if self._pending() else []
        top = max((m.match_id or 0 for m in logged), default=0)
        if pending and self.reachable() is None:
            newest = self.store.history(None, 1)
            top = max(top, newest[0].match_id or 0) if newest else top
        provisional = [
            _with_id(m, top + i)
            for i, m in enumerate(pending, start=1)
            if uid is None or uid in (m.p1_uid, m.p2_uid)
        ]
        merged = sorted(
            logged + provisional, key=lambda m: (m.played_at, m.match_id or 0), reverse=True
        )
        return merged if limit is None else merged[:limit]

    def names_of(self, uids: Iterable[int]) -> dict[int, str]:
        """Stored names of these players, without loading the whole ladder."""
        return {e.discord_uid: e.player_name for e in self.store.entries_of(list(uids))}

    def names(self, uids: Iterable[int]) -> dict[int, str]:
        """Current names of these players (pending renames included)."""
        import polars as pl

        wanted = sorted(set(uids))
        if not wanted:
            return {}
        frame = self.current().frame.filter(pl.col("discord_uid").is_in(wanted))
        return dict(frame.select("discord_uid", "player_name").iter_rows())

    # -- the queue ---------------------------------------------------------------------

    def wal_status(self) -> QueueStatus:
        return self.queue.status()

    def wal_jobs(self, state: str = "pending", limit: int | None = None) -> list[JobInfo]:
        if limit is not None and limit < 0:
            raise BadInput(f"--limit {limit} must be 0 (all) or more")
        return self.queue.list(state, None if limit is None or limit > MAX_ROWS else limit)

    def retry_failed(self) -> int:
        return self.queue.retry_failed()


_T = TypeVar("_T")


def _prefetched(items: Iterator[_T]) -> Iterator[_T]:
    """``items``, each produced by a helper thread while the previous one is consumed.

    The flush reads and decodes the next batch from the queue while the database works
    on the current one (the main thread waits on the socket without the GIL). Only
    reading is ahead, and by one item: the helper starts on the next only once the
    consumer has taken the last, so two batches at most are held. Batches are still
    applied, and removed from the queue, in order.
    """
    import queue as queues

    handoff: queues.Queue[tuple[str, Any]] = queues.Queue(maxsize=1)
    taken = threading.Semaphore(0)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                handoff.put(("item", item))  # never waits: the last one was taken
                del item
                while not taken.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
            handoff.put(("done", None))
        except BaseException as exc:  # handed to the consumer, raised there
            handoff.put(("error", exc))

    thread = threading.Thread(target=produce, name="ladder-queue-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            taken.release()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
            del value
    finally:
        stop.set()
        with contextlib.suppress(queues.Empty):
            handoff.get_nowait()
        thread.join()


def _uids_of_match(match: AppliedMatch) -> tuple[int, int]:
    return (match.p1_uid, match.p2_uid)


def _with_id(match: AppliedMatch, match_id: int) -> AppliedMatch:
    from dataclasses import replace

    return replace(match, match_id=match_id)
