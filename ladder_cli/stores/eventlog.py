"""The event log in a store: its tables, the flush's events, corrections, verify, audit.

Written against :class:`~ladder_cli.stores.base.Store`'s small dialect interface (``q``,
``_ts``, ``_parse_ts``, ``write_transaction``), so both stores share it, like the flush.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ladder_cli import failpoints
from ladder_cli.corrections import (
    EventRewrite,
    MatchRewrite,
    Plan,
    Rewrite,
    plan,
)
from ladder_cli.errors import BadInput
from ladder_cli.events import BASELINE, RESET, LoggedMatch, StateEvent
from ladder_cli.model import (
    AdjustJob,
    AuditJob,
    CorrectionJob,
    DecayJob,
    Entry,
    Key,
    QueuedJob,
    ResetJob,
    SeasonJob,
    now_utc,
)
from ladder_cli.replay import Replay, Standing, rating_rules
from ladder_cli.stores import sql

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.asof import MatchRow, Standings
    from ladder_cli.rating import Ratings
    from ladder_cli.rules import Rules
    from ladder_cli.stores.base import BatchResult, Store
    from ladder_cli.verify import VerifyReport

PAGE = 50_000
"""Match-log rows read at a time by a replay: its memory stays that of one page."""

BULK_ENTRIES = 64
"""From this many changed entries on, a server takes them in bulk (as the flush does)."""

#: Jobs applied each in a transaction of its own, since they read the log or many rows:
#: a batch holding one is split around it (see :func:`split_corrections`).
OWN_TRANSACTION = (CorrectionJob, DecayJob, SeasonJob)

Mark = tuple[int, QueuedJob, list[tuple[Key, int, int]]]
"""A non-match job of a flushed batch: how many of the batch's matches came before it,
the job, and each entry it changed with its MMR before and after."""


# -- schema ------------------------------------------------------------------------------


def upgrade(store: Store, cur: Any) -> None:
    """Inside the schema transaction: add the event log to a database that lacks it.

    A match log from before the event log did not record resets (and an adopted
    ``mmrs_1v1`` may hold a bot's ratings): each entry whose stored values the old log
    cannot explain gets a baseline event at the upgrade point, pinning it there. Earlier
    corrections then replay up to that point; the entry carries on from its baseline.
    """
    from ladder_cli.stores import seasons

    seasons.upgrade(store, cur)
    if "state" not in store._columns(cur, "ladder_matches"):
        cur.execute(sql.ADD_MATCH_STATE)
    event_columns = store._columns(cur, "ladder_events")
    if event_columns and "mmr_floor" not in event_columns:
        cur.execute(sql.ADD_EVENT_FLOOR)
    had_events = bool(event_columns)
    if had_events and store._columns(cur, "ladder_audit"):
        return  # in place: no DDL, so a role without CREATE (least privilege) may run this
    script = sql.render(sql.EVENT_SCHEMA, **store.words)
    for statement in script.split(";"):
        if statement.strip():
            cur.execute(statement)
    if had_events:
        return
    _pin_unexplained(store, cur)


def rebaseline(store: Store, cur: Any) -> int:
    """Inside the transaction that imported history (the bot's matches): re-derive the
    baselines, which pinned the entries the log could not explain before it had that
    history. Those the log now explains lose theirs (else the imported matches would be
    counted a second time on top of them); the rest are pinned again at the log's end.
    Returns how many baselines there are now."""
    cur.execute(store.q(sql.DELETE_EVENTS_OF_KIND), (BASELINE,))
    return _pin_unexplained(store, cur)


def _pin_unexplained(store: Store, cur: Any) -> int:
    """Replay the log and give each stored entry whose values it cannot explain a
    baseline event at the log's end, pinning it there."""
    log = StoreLog(store, cur)
    replay = Replay.with_rules(store._rules_in(cur)).run(log.later(0))
    cur.execute(sql.MAX_MATCH_ID)
    position = int(cur.fetchone()[0])
    cur.execute(sql.ALL_ENTRIES)
    stored = [store._entry(row) for row in cur.fetchall()]
    now = store._ts(now_utc())
    rows = []
    for entry in stored:
        expected = replay.standings.get(entry.key) or Standing(replay.start_mmr)
        if _values(entry) != expected.values():
            rows.append(_baseline_row(store, entry, position, now))
    if rows:
        cur.executemany(store.q(sql.INSERT_EVENT), rows)
    return len(rows)


def _values(e: Entry) -> tuple[int, int, int, int, int, datetime | None]:
    return (e.mmr, e.games_played, e.games_won, e.games_lost, e.games_drawn, e.last_played)


def _baseline_row(store: Store, e: Entry, position: int, now: object) -> tuple[object, ...]:
    return (
        position, BASELINE, e.discord_uid, e.race, e.mmr, 0, e.mmr, e.mmr, now,
        e.games_played, e.games_won, e.games_lost, e.games_drawn, store._ts(e.last_played),
        None, None, None,
    )  # fmt: skip


# -- reading the log ---------------------------------------------------------------------


class StoreLog:
    """The event log as :func:`ladder_cli.corrections.plan` and the replay read it."""

    def __init__(self, store: Store, cur: Any) -> None:
        self.store, self.cur = store, cur

    def _logged(self, r: Sequence[Any]) -> LoggedMatch:
        parse = self.store._parse_ts
        played = parse(r[1]) or now_utc()
        return LoggedMatch(
            int(r[0]), played, int(r[2]), r[3], int(r[4]), r[5], int(r[6]), str(r[7]),
            int(r[8]), int(r[9]), int(r[10]), int(r[11]),
        )  # fmt: skip

    def _event(self, r: Sequence[Any]) -> StateEvent:
        parse = self.store._parse_ts
        return StateEvent(
            int(r[0]), int(r[1]), str(r[2]), int(r[3]), str(r[4]), int(r[5]), bool(r[6]),
            int(r[7]), int(r[8]), parse(r[9]) or now_utc(), int(r[10]), int(r[11]),
            int(r[12]), int(r[13]), parse(r[14]), None if r[15] is None else int(r[15]),
        )  # fmt: skip

    def match(self, match_id: int) -> LoggedMatch | None:
        self.cur.execute(self.store.q(sql.LOG_MATCH), (match_id,))
        row = self.cur.fetchone()
        return None if row is None else self._logged(row)

    def events_from(self, match_id: int) -> list[StateEvent]:
        self.cur.execute(self.store.q(sql.LOG_EVENTS_FROM), (match_id,))
        return [self._event(r) for r in self.cur.fetchall()]

    def later(self, match_id: int) -> Iterator[LoggedMatch | StateEvent]:
        """Every event after the match, in order, a page of matches at a time (the cursor
        is free between pages: a caller may write through it while iterating)."""
        yield from self._merged(self.events_from(match_id), match_id, sql.LOG_MATCHES_AFTER, ())

    def until(self, cutoff: datetime) -> Iterator[LoggedMatch | StateEvent]:
        """The log as it stood at ``cutoff``: the matches played and the other events made
        at or before it, in log order (not time order: a backfilled match keeps its place)."""
        events = self.events_until(cutoff)
        yield from self._merged(events, 0, sql.LOG_MATCHES_UNTIL, (self.store._ts(cutoff),))

    def events_until(self, cutoff: datetime) -> list[StateEvent]:
        """The events other than matches made at or before ``cutoff``, in log order."""
        self.cur.execute(self.store.q(sql.LOG_EVENTS_UNTIL), (self.store._ts(cutoff),))
        return [self._event(r) for r in self.cur.fetchall()]

    def match_rows_until(self, cutoff: datetime | None) -> Iterator[list[MatchRow]]:
        """The matches played at or before ``cutoff`` (every match for ``None``), in log
        order, a page of plain rows at a time (``played_at`` as the driver returns it: see
        :class:`ladder_cli.asof.Tally`)."""
        statement = self.store.q(sql.LOG_MATCH_ROWS_UNTIL if cutoff else sql.LOG_MATCH_ROWS)
        last = 0
        at: tuple[object, ...] = () if cutoff is None else (self.store._ts(cutoff),)
        while True:
            self.cur.execute(statement, (last, *at, PAGE))
            page: list[MatchRow] = self.cur.fetchall()
            if page:
                yield page
            if len(page) < PAGE:
                break
            last = page[-1][0]

    def match_columns_until(self, cutoff: datetime | None) -> pl.DataFrame:
        """:meth:`match_rows_until` as one frame of columns
        (:data:`ladder_cli.domain.wavereplay.MATCH_COLUMNS`), the store's columnar read
        where it has one; every match for ``None``."""
        import polars as pl

        from ladder_cli.domain.wavereplay import match_frame

        frame = self.store.log_columns_until(cutoff)
        if frame is not None:
            return frame
        parse = self.store._parse_ts
        pages = [match_frame(page, parse) for page in self.match_rows_until(cutoff)]
        return pl.concat(pages) if pages else match_frame([], parse)

    def _merged(
        self, events: Iterable[StateEvent], match_id: int, query: str, params: tuple[object, ...]
    ) -> Iterator[LoggedMatch | StateEvent]:
        """``events`` merged into the matches after ``match_id`` that ``query`` pages
        through (``params`` between the page's start and its size)."""
        pending_events = iter(events)
        pending = next(pending_events, None)
        last = match_id
        statement = self.store.q(query)
        while True:
            self.cur.execute(statement, (last, *params, PAGE))
            page = [self._logged(r) for r in self.cur.fetchall()]
            for m in page:
                while pending is not None and pending.after_match < m.match_id:
                    yield pending
                    pending = next(pending_events, None)
                yield m
            if len(page) < PAGE:
                break
            last = page[-1].match_id
        while pending is not None:
            yield pending
            pending = next(pending_events, None)

    def last_played_before(self, key: Key, match_id: int) -> datetime | None:
        uid, race = key
        q, parse = self.store.q, self.store._parse_ts
        self.cur.execute(q(sql.LAST_COUNTS_SET), (uid, race, match_id))
        row = self.cur.fetchone()
        since, base = (0, None) if row is None else (int(row[0]), parse(row[1]))
        self.cur.execute(q(sql.LAST_PLAYED_BETWEEN), (since, match_id, uid, race, uid, race))
        found = self.cur.fetchone()
        latest = None if found is None else parse(found[0])
        if latest is None or (base is not None and base > latest):
            return base
        return latest


# -- the flush's events ------------------------------------------------------------------


def before_job(ratings: Ratings, job: QueuedJob) -> list[tuple[Key, int]] | None:
    """The MMR of each entry a reset or adjustment is about to change (None: another job)."""
    inner = job.job
    if isinstance(inner, ResetJob):
        return [
            (e.key, e.mmr)
            for e in ratings.by_uid.get(inner.uid, ())
            if inner.race is None or e.race == inner.race
        ]
    if isinstance(inner, AdjustJob):
        entry = ratings.entries.get((inner.uid, inner.race))
        return [] if entry is None else [(entry.key, entry.mmr)]
    return [] if isinstance(inner, AuditJob) else None


def mark(
    marks: list[Mark], ratings: Ratings, job: QueuedJob, before: list[tuple[Key, int]]
) -> None:
    """After the job applied: note it, with each of its entries' MMR before and after."""
    changed = [(key, mmr, ratings.entries[key].mmr) for key, mmr in before]
    marks.append((len(ratings.matches), job, changed))


def write_events(
    store: Store, cur: Any, queue_id: str, marks: Sequence[Mark], ratings: Ratings, base: int
) -> None:
    """The batch's resets, adjustments and audit rows, each after the match before it.

    ``base`` is the last match id before the batch; the batch's matches got theirs in
    order, so the n-th one's is looked up by its job id.
    """
    q, ts = store.q, store._ts
    ids: dict[int, int] = {0: base}
    events, audits = [], []
    for count, queued, changed in marks:
        if count not in ids:
            cur.execute(q(sql.MATCH_ID_OF_JOB), (queue_id, ratings.matches[count - 1].job_id))
            ids[count] = int(cur.fetchone()[0])
        after = ids[count]
        job = queued.job
        if isinstance(job, AuditJob):
            audits.append((ts(job.at), job.actor, job.action, job.target, job.reason, None,
                           queue_id, queued.ledger_id))  # fmt: skip
            continue
        if isinstance(job, ResetJob):
            kind, amount, keep, at = RESET, job.mmr, job.keep_stats, job.at
        elif isinstance(job, AdjustJob):
            kind, amount, keep, at = "adjust", job.delta, True, job.at
            target = f"{job.uid} {job.race} {job.delta:+d}"
            audits.append((ts(at), job.actor, "adjust", target, job.reason, None, queue_id,
                           queued.ledger_id))  # fmt: skip
        else:
            continue
        for (uid, race), mmr_before, mmr_after in changed:
            events.append((after, kind, uid, race, amount, int(keep), mmr_before, mmr_after,
                           ts(at), 0, 0, 0, 0, None, None, queue_id,
                           queued.ledger_id))  # fmt: skip
    if events:
        cur.executemany(q(sql.INSERT_EVENT), events)
    if audits:
        cur.executemany(q(sql.INSERT_AUDIT), audits)


def write_audits(store: Store, cur: Any, queue_id: str, jobs: Sequence[QueuedJob]) -> None:
    """The audit rows riding on applied jobs (``record``, ``import``, ``reset``)."""
    rows = []
    for queued in jobs:
        a = queued.audit
        if a is not None:
            rows.append((store._ts(a.at), a.actor, a.action, a.target, a.reason, None,
                         queue_id, queued.ledger_id))  # fmt: skip
    cur.executemany(store.q(sql.INSERT_AUDIT), rows)


def last_match_id(store: Store, cur: Any) -> int:
    cur.execute(sql.MAX_MATCH_ID)
    return int(cur.fetchone()[0])


# -- corrections -------------------------------------------------------------------------


def split_corrections(store: Store, queue_id: str, jobs: Sequence[QueuedJob]) -> BatchResult:
    """A batch holding corrections, decays or season closes: the runs of other jobs as
    usual, each correction (it replays the log), decay and close in a transaction of its
    own, all in queue order."""
    from ladder_cli.stores.base import BatchResult

    total = BatchResult()
    run: list[QueuedJob] = []

    def merge(part: BatchResult) -> None:
        total.applied += part.applied
        total.already_applied += part.already_applied
        total.failed += part.failed
        total.matches += part.matches
        total.entries.update(part.entries)
        total.renamed.update(part.renamed)
        total.audit_applied += part.audit_applied
        total.audit_already += part.audit_already

    from ladder_cli.stores import seasons
    from ladder_cli.stores.decaylog import apply_decay

    for queued in jobs:
        if isinstance(queued.job, OWN_TRANSACTION):
            if run:
                merge(store.apply_batch(queue_id, run))
                run = []
            if isinstance(queued.job, SeasonJob):
                merge(seasons.apply_close(store, queue_id, queued))
            elif isinstance(queued.job, DecayJob):
                merge(apply_decay(store, queue_id, queued))
            else:
                merge(apply_correction(store, queue_id, queued))
        else:
            run.append(queued)
    if run:
        merge(store.apply_batch(queue_id, run))
    return total


def apply_alone(
    store: Store,
    queue_id: str,
    queued: QueuedJob,
    work: Callable[[Any], dict[Key, Entry] | str],
) -> BatchResult:
    """One job that needs a transaction of its own (a correction, a decay, a season close),
    exactly once: skipped when the database's ledger already has it; else ``work`` runs in
    the transaction and returns the entries it wrote, or why the job no longer applies
    (it then fails, having written nothing), and the ledger row commits with its writes."""
    from ladder_cli.stores.base import BatchResult

    result = BatchResult()
    try:
        with store.write_transaction() as cur:
            predicate, ids = store._uids_filter([queued.ledger_id])
            cur.execute(store.q(sql.APPLIED_AMONG.format(ids=predicate)), (queue_id, ids))
            if cur.fetchall():
                result.already_applied.append(queued.seq)
                return result
            outcome = work(cur)
            if isinstance(outcome, str):
                result.failed.append((queued.seq, outcome))
                return result
            result.entries = outcome
            cur.execute(
                store.q(sql.INSERT_APPLIED), (queue_id, queued.ledger_id, store._ts(now_utc()))
            )
            result.applied.append(queued.seq)
    finally:
        store._forget()  # rows kept between batches are stale after such a job
    failpoints.hit("after-db-commit")
    return result


def apply_correction(store: Store, queue_id: str, queued: QueuedJob) -> BatchResult:
    """Void or amend one match, exactly once: ledger, rewritten log, entries and audit row
    commit together. A correction that no longer applies (voided meanwhile) fails."""
    job = queued.job
    assert isinstance(job, CorrectionJob)

    def work(cur: Any) -> dict[Key, Entry] | str:
        rate, _ = rating_rules(store._rules_in(cur))
        log = StoreLog(store, cur)
        try:
            done = plan(log, job.match_id, job.result, rate, lambda c: rewrite(store, cur, c))
        except BadInput as exc:
            return str(exc)
        rewrite(store, cur, [done.pair])
        cur.execute(store.q(sql.CORRECT_MATCH), (done.state, done.result, job.match_id))
        failpoints.hit("in-correction")
        entries = _write_changes(store, cur, done)
        action = "void" if job.result is None else "amend"
        cur.execute(
            store.q(sql.INSERT_AUDIT),
            (store._ts(job.at), job.actor, action, f"match {job.match_id}", job.reason,
             job.match_id, queue_id, queued.ledger_id),
        )  # fmt: skip
        return entries

    return apply_alone(store, queue_id, queued, work)


def _write_changes(store: Store, cur: Any, done: Plan) -> dict[Key, Entry]:
    """Each change as a delta on the stored row (locked in key order on a server; in
    bulk there, as the flush writes, when there are many)."""
    written: dict[Key, Entry] = {}
    if store.bulk_corrections and len(done.changes) >= BULK_ENTRIES:
        from ladder_cli.stores import pgbulk

        for stored in pgbulk.write_entry_changes(cur, list(done.changes.values())):
            written[stored.key] = done.changes[stored.key].applied_to(stored)
        return written
    lock = store.lock_rows
    ts, q = store._ts, store.q
    for key in sorted(done.changes):
        change = done.changes[key]
        cur.execute(q(sql.ENTRY_OF_KEY) + lock, key)
        row = cur.fetchone()
        if row is None:
            continue  # deleted outside the ladder: nothing to correct
        stored = store._entry(row)
        cur.execute(
            q(sql.ENTRY_DELTA),
            (change.mmr, change.played, change.won, change.lost, change.drawn, *key),
        )
        if change.last is not None:
            old, new = change.last
            if old is None:
                cur.execute(q(sql.ENTRY_LAST_PLAYED_WAS_NULL), (ts(new), *key))
            else:
                cur.execute(q(sql.ENTRY_LAST_PLAYED), (ts(new), *key, ts(old)))
        written[key] = change.applied_to(stored)
    return written


def rewrite(store: Store, cur: Any, chunk: list[Rewrite]) -> None:
    """Rewritten logged pairs: in bulk through a temporary table on PostgreSQL."""
    matches = [(r.p1_before, r.p1_after, r.p2_before, r.p2_after, r.match_id)
               for r in chunk if isinstance(r, MatchRewrite)]  # fmt: skip
    events = [(r.mmr_before, r.mmr_after, r.event_id) for r in chunk if isinstance(r, EventRewrite)]
    if matches:
        if store.bulk_corrections and len(matches) >= BULK_ENTRIES:
            from ladder_cli.stores import pgbulk

            pgbulk.rewrite_matches(cur, matches)
        else:
            cur.executemany(store.q(sql.REWRITE_MATCH), matches)
    if events:
        cur.executemany(store.q(sql.REWRITE_EVENT), events)


def preview(store: Store, match_id: int, result: int | None) -> tuple[Plan, dict[Key, Entry]]:
    """A correction worked out without writing: the plan and the stored rows it changes."""
    with store.read_cursor() as cur:
        rate, _ = rating_rules(store._rules_in(cur))
        done = plan(StoreLog(store, cur), match_id, result, rate)
    stored = {e.key: e for e in store.entries_of(sorted({k[0] for k in done.changes}))}
    return done, stored


def logged_match(store: Store, match_id: int) -> LoggedMatch | None:
    with store.read_cursor() as cur:
        return StoreLog(store, cur).match(match_id)


# -- verify ------------------------------------------------------------------------------


def verify(store: Store, *, min_wave: int | None = None) -> VerifyReport:
    """Replay the whole event log and compare every stored entry: the matches read as
    columns and replayed a wave at a time (:mod:`ladder_cli.domain.wavereplay`), or, for a
    log of small waves (see :func:`standings_until`), one event at a time, a page of the
    log at a time."""
    from ladder_cli import verify as check
    from ladder_cli.asof import Standings
    from ladder_cli.domain import wavereplay

    with store.read_cursor() as cur:
        rules = store._rules_in(cur)
        cur.execute(sql.ALL_ENTRIES)
        stored = [store._entry(row) for row in cur.fetchall()]
        log = StoreLog(store, cur)
        events = log.events_from(0)
        matches = log.match_columns_until(None)
        smallest = wavereplay.MIN_WAVE if min_wave is None else min_wave
        done = wavereplay.replay(matches, events, rules, min_wave=smallest)
        if done is None:
            del matches
            return check.verify(stored, log.later(0), rules)
    report = check.VerifyReport(rules.preset, done.matches, done.events)
    standings = Standings(now_utc(), rules, table=done.table).entries
    return check.compare(stored, standings, rules, report)


# -- the ladder at a past time ------------------------------------------------------------


def standings_until(
    store: Store, cutoff: datetime, rules: Rules, *, min_wave: int | None = None
) -> Standings:
    """Each entry as the log had it at ``cutoff`` (see :mod:`ladder_cli.asof`): the
    matches read as columns and replayed a wave at a time
    (:mod:`ladder_cli.domain.wavereplay`); a log of small waves (on average under
    ``min_wave`` matches, by default :data:`~ladder_cli.domain.wavereplay.MIN_WAVE`) row
    by row, in a tight loop (:class:`ladder_cli.asof.Tally`)."""
    from ladder_cli.asof import Standings, Tally
    from ladder_cli.domain import wavereplay

    with store.read_cursor() as cur:
        log = StoreLog(store, cur)
        events = log.events_until(cutoff)
        matches = log.match_columns_until(cutoff)
    smallest = wavereplay.MIN_WAVE if min_wave is None else min_wave
    done = wavereplay.replay(matches, events, rules, min_wave=smallest)
    if done is not None:
        return Standings(cutoff, rules, matches=done.matches, events=done.events, table=done.table)
    tally = Tally(rules, lambda at: at, lambda at: at)
    tally.run([wavereplay.match_rows(matches)], events)
    return tally.standings(cutoff)


# -- audit -------------------------------------------------------------------------------


@dataclass
class AuditRow:
    audit_id: int
    at: datetime | None
    actor: str
    action: str
    target: str
    reason: str | None
    match_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "audit_id": self.audit_id,
            "at": None if self.at is None else self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "reason": self.reason,
        }


def audit_rows(store: Store, limit: int | None, match_id: int | None = None) -> list[AuditRow]:
    with store.read_cursor() as cur:
        if match_id is None:
            cur.execute(store.q(sql.AUDIT_NEWEST), (store._no_limit() if limit is None else limit,))
        else:
            cur.execute(store.q(sql.AUDIT_OF_MATCH), (match_id,))
        return [
            AuditRow(int(r[0]), store._parse_ts(r[1]), r[2], r[3], r[4], r[5], r[6])
            for r in cur.fetchall()
        ]


__all__ = [
    "AuditRow",
    "apply_correction",
    "audit_rows",
    "logged_match",
    "preview",
    "split_corrections",
    "standings_until",
    "upgrade",
    "verify",
    "write_events",
]
