"""What both stores share: the batch transaction of the flush and the reads.

A subclass supplies a connection, the dialect's words, its lock and how its errors map to
ours; the SQL and the order of the steps are written once here.
"""

from __future__ import annotations

import functools
import gc
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar

from ladder_cli import failpoints
from ladder_cli.model import (
    RACE_SET,
    AdjustJob,
    AppliedMatch,
    AuditJob,
    Entry,
    Key,
    MatchJob,
    QueuedJob,
    ResetJob,
    job_uids,
    now_utc,
)
from ladder_cli.rating import Change, PoisonJob, Ratings
from ladder_cli.rules import PRESETS, STANDARD, Rules
from ladder_cli.stores import eventlog, sql

if TYPE_CHECKING:
    import polars as pl


_T = TypeVar("_T")
_P = ParamSpec("_P")


def without_gc(method: Callable[_P, _T]) -> Callable[_P, _T]:
    """Run ``method`` with the cyclic garbage collector paused.

    A batch allocates a few objects per job and row, none of them in reference cycles;
    with the collector on, its full passes over a heap that grows with the batch take a
    large share of the flush's CPU time (docs/benchmarks.md).
    """

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        if not gc.isenabled():
            return method(*args, **kwargs)
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper


class JobRejected(Exception):
    """The database refused a write for a reason tied to the data (a constraint, a
    trigger): retrying the same job cannot succeed, so the flush isolates it."""


@dataclass
class BatchResult:
    """What one transaction did."""

    applied: list[int] = field(default_factory=list)
    already_applied: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    matches: list[AppliedMatch] = field(default_factory=list)
    entries: dict[Key, Entry] = field(default_factory=dict)
    renamed: dict[int, str] = field(default_factory=dict)
    #: How many of ``applied`` and ``already_applied`` are audit rows (see ladder_cli.audit).
    audit_applied: int = 0
    audit_already: int = 0


class Dialect(ABC):
    """What each store supplies (connection, placeholders, timestamps, locks), and the
    row readers built on it; :class:`Store` adds the reads and the flush."""

    words: ClassVar[dict[str, str]]
    #: What a read of rows about to be updated adds to lock them (a server's FOR UPDATE;
    #: SQLite's write transaction locks the whole database already).
    lock_rows: ClassVar[str] = ""
    #: Whether a correction's many rows go in bulk (:mod:`ladder_cli.stores.pgbulk`).
    bulk_corrections: ClassVar[bool] = False

    #: Where the data lives, for messages and queue targets; never holds a password.
    target: str
    #: After :meth:`init_schema`: an index to suggest for an adopted table, if any.
    index_advice: str | None = None

    # -- what a dialect supplies -------------------------------------------------------

    @abstractmethod
    def write_transaction(self) -> AbstractContextManager[Any]:
        """Begin a transaction holding the ladder's write lock; yield a cursor."""

    @abstractmethod
    def read_cursor(self) -> AbstractContextManager[Any]:
        """A cursor for reads outside any write transaction."""

    @abstractmethod
    def _uids_filter(self, uids: Sequence[int]) -> tuple[str, object]:
        """The ``discord_uid`` predicate (after the column) and its parameter."""

    @abstractmethod
    def _ts(self, value: datetime | None) -> object:
        """A timestamp as this driver wants it."""

    @abstractmethod
    def _parse_ts(self, value: Any) -> datetime | None:
        """A timestamp as this driver returns it."""

    @abstractmethod
    def _no_limit(self) -> object:
        """The LIMIT parameter that means "all rows"."""

    def ping(self) -> None:
        """Return when the database answers. Raise DatabaseUnavailable when it does not
        (an outage: writes queue, reads use the snapshot), BadInput when its URL can never
        work. The embedded database is always at hand."""
        return None

    @abstractmethod
    def init_schema(self) -> None: ...

    @abstractmethod
    def load_frame(self) -> pl.DataFrame:
        """All of ``mmrs_1v1`` as a Polars frame (see :mod:`ladder_cli.state`)."""

    def frame_aside(self) -> pl.DataFrame | None:
        """:meth:`load_frame` on a connection of its own, so it can run on another thread
        beside a write transaction; None where the store has no such connection."""
        return None

    def ranked_page(
        self,
        *,
        race: str | None,
        min_games: int,
        top: int | None,
        page: int,
        rules: Rules,
        now: datetime | None = None,
    ) -> pl.DataFrame | None:
        """One leaderboard page ranked by the database itself, where it can (see
        :mod:`ladder_cli.stores.server_ranks`); None: rank the loaded frame instead."""
        return None

    def ranked_entries_of(
        self, uid: int, *, rules: Rules, now: datetime | None = None
    ) -> pl.DataFrame | None:
        """A player's rows with letter and race position, ranked by the database where it
        can; None: rank the loaded frame instead."""
        return None

    def log_columns_until(self, cutoff: datetime | None) -> pl.DataFrame | None:
        """The matches played at or before ``cutoff`` (every match for None), in log
        order, as the columns of
        :data:`ladder_cli.domain.wavereplay.MATCH_COLUMNS`, where the store reads them
        column-wise; None: read them as rows."""
        return None

    def ranked_scan(self) -> pl.LazyFrame | None:
        """All of ``mmrs_1v1`` in rank order as a lazy scan of a local file, where the store
        keeps one current: a leaderboard page then reads only its rows. None otherwise."""
        return None

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _columns(self, cur: Any, table: str) -> set[str]:
        """The column names of one of the ladder's tables (empty when it is missing)."""

    def _old_job_key_tables(self, cur: Any) -> list[str]:
        """The ladder tables still in the first builds' layout (keyed by ``job_seq``)."""
        return [t for t in sql.OLD_JOB_KEY_TABLES if "job_seq" in self._columns(cur, t)]

    def _rename_old_job_keys(self, cur: Any) -> None:
        """Inside the schema transaction: bring tables of the first builds up to date."""
        for table in self._old_job_key_tables(cur):
            cur.execute(sql.RENAME_OLD_JOB_KEY.format(table=table))

    def q(self, statement: str) -> str:
        """A shared statement in this driver's placeholder style."""
        return statement

    def _entries_of(self, cur: Any, uids: Sequence[int]) -> Iterator[Entry]:
        """Every row of these players, in key order (the lock order on PostgreSQL)."""
        if not uids:
            return iter(())
        predicate, param = self._uids_filter(uids)
        cur.execute(self.q(sql.ENTRIES_OF_UIDS.format(uids=predicate)), (param,))
        return (self._entry(row) for row in cur.fetchall())

    def _entry(self, row: Sequence[Any]) -> Entry:
        rid, uid, name, race, mmr, played, won, lost, drawn, last = row
        return Entry(
            discord_uid=uid,
            race=race,
            player_name=name,
            mmr=mmr,
            games_played=played or 0,
            games_won=won or 0,
            games_lost=lost or 0,
            games_drawn=drawn or 0,
            last_played=self._parse_ts(last),
            id=rid,
        )


class StoreReads(Dialect):
    """The ladder's rules and the reads both stores share, written once."""

    # -- rules -------------------------------------------------------------------------

    #: The stored rules, once read: a ladder's rules never change after they are set.
    _stored_rules: Rules | None = None

    def _rules_in(self, cur: Any) -> Rules:
        """The ladder's rules, read with ``cur`` (standard while none are stored)."""
        if self._stored_rules is not None:
            return self._stored_rules
        cur.execute(sql.SELECT_RULES)
        row = cur.fetchone()
        if row is None:
            return STANDARD
        self._stored_rules = rules_from_row(row)
        return self._stored_rules

    def stored_rules(self) -> Rules | None:
        """The rules stored with the ladder; None while it has none (it rates by the
        standard rules then)."""
        with self.read_cursor() as cur:
            cur.execute(sql.SELECT_RULES)
            row = cur.fetchone()
        if row is None:
            return None
        self._stored_rules = rules_from_row(row)
        return self._stored_rules

    def rules(self) -> Rules:
        """The ladder's rules: the stored ones, else the standard rules."""
        if self._stored_rules is not None:
            return self._stored_rules
        return self.stored_rules() or STANDARD

    def set_rules(self, rules: Rules) -> Rules:
        """Store ``rules`` unless the ladder has rules already; the rules it then has."""
        with self.write_transaction() as cur:
            r = rules
            cur.execute(
                self.q(sql.INSERT_RULES),
                (r.preset, r.k, r.scale, r.rounding, r.start_mmr, r.letters, r.activity_days),
            )
            cur.execute(sql.SELECT_RULES)
            row = cur.fetchone()
        self._stored_rules = rules_from_row(row)
        return self._stored_rules

    def all_matches(self) -> list[AppliedMatch]:
        """The whole match log in the order it was applied (match_id)."""
        with self.read_cursor() as cur:
            cur.execute(sql.ALL_MATCHES)
            return self._matches(cur)

    # -- reads -------------------------------------------------------------------------

    def entries_of(self, uids: Sequence[int]) -> list[Entry]:
        with self.read_cursor() as cur:
            return list(self._entries_of(cur, sorted(set(uids))))

    def players_named(self, name: str) -> list[tuple[int, str]]:
        """Players whose name equals ``name`` ignoring case: ``(discord_uid, name)``."""
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.render(sql.PLAYERS_NAMED, **self.words)), (name,))
            return [(int(uid), str(found)) for uid, found in cur.fetchall()]

    def player_names(self) -> list[tuple[int, str]]:
        """Every player's ``(discord_uid, name)``: the candidates for an unknown name."""
        with self.read_cursor() as cur:
            cur.execute(sql.PLAYER_NAMES)
            return [(int(uid), str(name)) for uid, name in cur.fetchall()]

    def player_exists(self, uid: int) -> bool:
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.PLAYER_EXISTS), (uid,))
            return cur.fetchone() is not None

    def history(
        self, uid: int | None = None, limit: int | None = None, *, include_voided: bool = False
    ) -> list[AppliedMatch]:
        """The match log, newest first; voided matches only with ``include_voided``."""
        where, params = ("" if include_voided else "state <> 'voided'"), list[object]()
        if uid is not None:
            where += "" if include_voided else " AND "
            where, params = where + "(p1_uid = %s OR p2_uid = %s)", [uid, uid]
        where = f"WHERE {where}" if where else ""
        params.append(self._no_limit() if limit is None else limit)
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.HISTORY.format(where=where)), params)
            return self._matches(cur)

    def applied_among(self, queue_id: str, job_ids: Sequence[int]) -> set[int]:
        """Which of these jobs (of the queue ``queue_id``) the ledger records as applied."""
        if not job_ids:
            return set()
        predicate, ids = self._uids_filter(job_ids)
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.APPLIED_AMONG.format(ids=predicate)), (queue_id, ids))
            return {int(row[0]) for row in cur.fetchall()}

    def logged_matches(self, queue_id: str, job_ids: Sequence[int]) -> list[AppliedMatch]:
        """The logged matches of these jobs, for a writer whose jobs another process
        flushed first: it still reports the real before → after."""
        if not job_ids:
            return []
        predicate, ids = self._uids_filter(job_ids)
        with self.read_cursor() as cur:
            cur.execute(self.q(sql.MATCHES_OF_JOBS.format(ids=predicate)), (queue_id, ids))
            return self._matches(cur)

    def _matches(self, cur: Any) -> list[AppliedMatch]:
        """The match log rows a query returned, read by column name."""
        names = [column[0] for column in cur.description]
        matches = []
        for row in cur.fetchall():
            r = dict(zip(names, row, strict=True))
            job_id = r.get("job_id")
            matches.append(
                AppliedMatch(
                    match_id=int(r["match_id"]),
                    played_at=self._parse_ts(r["played_at"]) or now_utc(),
                    p1_uid=int(r["p1_uid"]),
                    p1_race=r["p1_race"],
                    p1_mmr_before=int(r["p1_mmr_before"]),
                    p1_mmr_after=int(r["p1_mmr_after"]),
                    p2_uid=int(r["p2_uid"]),
                    p2_race=r["p2_race"],
                    p2_mmr_before=int(r["p2_mmr_before"]),
                    p2_mmr_after=int(r["p2_mmr_after"]),
                    result=int(r["result"]),
                    job_id=None if job_id is None else int(job_id),
                    state=str(r.get("state") or "recorded"),
                )
            )
        return matches

    def counts(self) -> tuple[int, int]:
        """(entries, sum of games_played): the cheap invariants the tests check."""
        with self.read_cursor() as cur:
            cur.execute(sql.COUNTS)
            entries, games = cur.fetchone()
        return int(entries), int(games)


class Store(StoreReads):
    """A database holding ``mmrs_1v1``, the match log and the ledger of applied jobs:
    the reads, and the flush's transaction with its steps in order."""

    # -- the flush ---------------------------------------------------------------------

    def prepare(self, jobs: Sequence[QueuedJob]) -> object:
        """What a batch's transaction needs from its jobs alone, worked out ahead: the
        flush calls it on its prefetch thread, while the database writes the previous
        batch, and hands the result to :meth:`apply_batch`. None: nothing to prepare."""
        return None

    @without_gc
    def apply_batch(
        self, queue_id: str, jobs: Sequence[QueuedJob], prepared: object = None
    ) -> BatchResult:
        """Apply jobs in queue order in one transaction, each exactly once.

        Under the write lock: skip jobs the ledger already holds, read the rows of every
        player involved, compute the batch sequentially in memory, then write the
        touched rows with the atomic upsert, the match log and the ledger, and commit.
        """
        result = BatchResult()
        if not jobs:
            return result
        if any(type(job.job) in eventlog.OWN_TRANSACTION for job in jobs):
            return eventlog.split_corrections(self, queue_id, jobs)
        try:
            ratings = self._apply_in_transaction(queue_id, jobs, result, prepared)
        except BaseException:
            self._forget()
            raise
        self._remember(ratings)
        failpoints.hit("after-db-commit")
        return result

    def _apply_in_transaction(
        self, queue_id: str, jobs: Sequence[QueuedJob], result: BatchResult, prepared: object
    ) -> Ratings:
        with self.write_transaction() as cur:
            ledger_ids = [job.ledger_id for job in jobs]
            predicate, ids = self._uids_filter(ledger_ids)
            cur.execute(self.q(sql.APPLIED_AMONG.format(ids=predicate)), (queue_id, ids))
            done = {row[0] for row in cur.fetchall()}
            todo: Sequence[QueuedJob] = jobs
            if done:
                todo = [job for job, i in zip(jobs, ledger_ids, strict=True) if i not in done]
                skipped = [job for job, i in zip(jobs, ledger_ids, strict=True) if i in done]
                result.already_applied = [job.seq for job in skipped]
                result.audit_already = sum(type(job.job) is AuditJob for job in skipped)
                prepared = None  # it was worked out for every job of the batch
            entries = self._batch_entries(cur, todo, prepared)
            ratings = Ratings.from_entries(entries, self._rules_in(cur))
            applied_ids = []
            audits: list[QueuedJob] = []  # the jobs carrying their command's audit row
            marks: list[eventlog.Mark] = []  # resets, adjustments, audit rows: logged events
            with self._match_stream(cur, queue_id, todo, ratings.matches) as stream:
                for job in todo:
                    before = (
                        None if type(job.job) is MatchJob else eventlog.before_job(ratings, job)
                    )
                    try:
                        ratings.apply(job)
                    except PoisonJob as exc:
                        result.failed.append((job.seq, str(exc)))
                    else:
                        result.applied.append(job.seq)
                        applied_ids.append(job.ledger_id)
                        if job.audit is not None:
                            audits.append(job)
                        if before is not None:
                            eventlog.mark(marks, ratings, job, before)
                            result.audit_applied += type(job.job) is AuditJob
                        if stream is not None:
                            stream()
            failpoints.hit("in-db-transaction")
            base = eventlog.last_match_id(self, cur) if marks else 0
            self._write(cur, queue_id, ratings, applied_ids, matches_sent=stream is not None)
            if marks:
                eventlog.write_events(self, cur, queue_id, marks, ratings, base)
            if audits:
                eventlog.write_audits(self, cur, queue_id, audits)
            self._learn_new_ids(cur, ratings)
            result.matches = ratings.matches
            result.entries = {key: change.entry for key, change in ratings.changes.items()}
            for uid in ratings.renamed:  # a rename reaches every row of the player
                result.entries.update((e.key, e) for e in ratings.by_uid.get(uid, ()))
            result.renamed = ratings.renamed
        return ratings

    def _learn_new_ids(self, cur: Any, ratings: Ratings) -> None:
        """Give the rows this batch created the ids the database chose, so a frame kept
        current from them equals a fresh load (the id breaks rank ties)."""
        new = [entry for entry in ratings.created if entry.id is None]
        if not new:
            return
        uids = sorted({entry.discord_uid for entry in new})
        ids = {entry.key: entry.id for entry in self._entries_of(cur, uids)}
        for entry in new:
            entry.id = ids.get(entry.key)

    def _match_stream(
        self, cur: Any, queue_id: str, jobs: Sequence[QueuedJob], matches: list[AppliedMatch]
    ) -> AbstractContextManager[Callable[[], None] | None]:
        """Where the store can, the match log written while the batch is rated: a callable
        to call after each applied job (it sends what ``matches`` gained), the rest sent
        on leaving the block. None: the matches are written with the batch's other rows."""
        return nullcontext(None)

    def _write(
        self,
        cur: Any,
        queue_id: str,
        ratings: Ratings,
        applied: Sequence[int],
        *,
        matches_sent: bool = False,
    ) -> None:
        # In the order the batch first touched each row, so new rows get their ids in the
        # same order as job-by-job application would give them (ids break rank ties).
        # The rows are generated as the driver consumes them: held in lists, they would
        # raise a large import's peak memory by a batch's worth of tuples.
        ts = self._ts
        for absolute, run in groupby(ratings.changes.values(), key=lambda c: c.absolute):
            upsert = sql.UPSERT_ABSOLUTE if absolute else sql.UPSERT_DELTA
            cur.executemany(self.q(upsert), (upsert_row(c, ts) for c in run))
        if ratings.renamed:
            cur.executemany(
                self.q(sql.RENAME), [(name, uid) for uid, name in ratings.renamed.items()]
            )
        if ratings.matches and not matches_sent:
            cur.executemany(
                self.q(sql.INSERT_MATCH), (match_row(queue_id, m, ts) for m in ratings.matches)
            )
        if applied:
            now = ts(now_utc())
            cur.executemany(self.q(sql.INSERT_APPLIED), ((queue_id, i, now) for i in applied))

    @abstractmethod
    def _batch_entries(
        self, cur: Any, jobs: Sequence[QueuedJob], prepared: object = None
    ) -> Iterator[Entry]:
        """The stored rows the batch needs, in key order (locked, on a server): each match
        side's row, every row of a player it resets or renames, and a player's rows when
        it gains a race (the new row takes the name of the first)."""

    def bulk(self, jobs: int) -> AbstractContextManager[None]:
        """Around a flush of ``jobs`` pending jobs: where the store gains by it, secondary
        work it can do once afterwards instead of once per row (see the PostgreSQL
        store's rank index)."""
        return nullcontext()

    def flushed(self) -> None:
        """After a flush's last batch: bring any local read cache up to date with what
        this connection wrote (see the SQLite store)."""
        return None

    def _remember(self, ratings: Ratings) -> None:
        """After a commit: the batch's rows as they now stand (see the SQLite store)."""
        return None

    def _forget(self) -> None:
        """After a rollback: drop whatever :meth:`_remember` kept."""
        return None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rules_from_row(row: Sequence[Any]) -> Rules:
    """A stored rules row as :class:`Rules`; the preset itself when it is one unchanged."""
    preset, k, scale, rounding, start_mmr, letters, activity_days = row
    rules = Rules(
        str(preset),
        int(k),
        int(scale),
        rounding,
        int(start_mmr),
        letters,
        None if activity_days is None else int(activity_days),
    )
    known = PRESETS.get(rules.preset)
    return known if known == rules else rules


def involved_keys(jobs: Sequence[QueuedJob]) -> tuple[list[Key], set[int]]:
    """The rows a batch's jobs touch: the ``(uid, race)`` of each match side, and the
    players whose every row a job needs (a reset, or a match naming a player, which renames
    all of that player's rows). Keys of those players are left out of the first list, and
    so are unknown races (such a job fails before it touches a row). Unordered: the
    database sorts them into its lock order."""
    keys: set[Key] = set()
    whole: set[int] = set()
    add = keys.add
    for queued in jobs:
        job = queued.job
        # Identity tests, cheaper than isinstance (the job types are never subclassed).
        # Corrections, decays, audit rows and season closes read no row here (see
        # apply_batch).
        if type(job) is MatchJob:
            if job.p1_name is None and job.p2_name is None:
                add((job.p1_uid, job.p1_race))
                add((job.p2_uid, job.p2_race))
                continue
            for uid, race, name in (
                (job.p1_uid, job.p1_race, job.p1_name),
                (job.p2_uid, job.p2_race, job.p2_name),
            ):
                if name is None:
                    add((uid, race))
                else:
                    whole.add(uid)
        elif type(job) is AdjustJob:
            add((job.uid, job.race))
        elif type(job) is ResetJob:
            whole.add(job.uid)
    return [key for key in keys if key[1] in RACE_SET and key[0] not in whole], whole


def involved_uids(jobs: Sequence[QueuedJob]) -> list[int]:
    """Every player a batch's jobs touch, sorted (the lock order)."""
    uids: set[int] = set()
    for queued in jobs:
        uids.update(job_uids(queued.job))
    return sorted(uids)


def match_row(queue_id: str, m: AppliedMatch, ts: Callable[[Any], object]) -> tuple[object, ...]:
    """A match log row in ``INSERT_MATCH`` column order (the stores' COPY uses it too)."""
    return (
        queue_id,
        m.job_id,
        ts(m.played_at),
        m.p1_uid,
        m.p1_race,
        m.p1_mmr_before,
        m.p1_mmr_after,
        m.p2_uid,
        m.p2_race,
        m.p2_mmr_before,
        m.p2_mmr_after,
        m.result,
    )


def upsert_row(change: Change, ts: Any) -> tuple[object, ...]:
    """An upsert's parameters in :data:`~ladder_cli.tables.ENTRY_WRITE` order."""
    e = change.entry
    return (
        e.discord_uid,
        e.player_name,
        e.race,
        e.mmr,
        change.played,
        change.won,
        change.lost,
        change.drawn,
        ts(e.last_played),
    )
