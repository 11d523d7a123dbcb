"""The event log in a store: its tables, reading it (for a correction, verify and the
ladder at a past time), and the events a flushed batch logs (resets, adjustments).

Written against :class:`~ladder_cli.stores.interface.Dialect`, so both stores share it,
like the flush; corrections are :mod:`ladder_cli.stores.corrections`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any, TypeVar

from ladder_cli.domain.events import BASELINE, RESET, LoggedMatch, StateEvent
from ladder_cli.domain.model import (
    AdjustJob,
    AuditJob,
    Entry,
    Key,
    QueuedJob,
    ResetJob,
    now_utc,
)
from ladder_cli.domain.replay import Replay, Standing
from ladder_cli.domain.verify import explains
from ladder_cli.stores import sql
from ladder_cli.stores.interface import Dialect

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.domain.asof import MatchRow, Standings
    from ladder_cli.domain.rating import Ratings
    from ladder_cli.domain.rules import Rules
    from ladder_cli.domain.verify import VerifyReport

T = TypeVar("T")

PAGE = 50_000
"""Match-log rows read at a time by a replay: its memory stays that of one page."""


Mark = tuple[int, QueuedJob, list[tuple[Key, int, int]]]
"""A non-match job of a flushed batch: how many of the batch's matches came before it,
the job, and each entry it changed with its MMR before and after."""


# -- schema ------------------------------------------------------------------------------


def upgrade(store: Dialect, cur: Any) -> None:
    """Inside the schema transaction: add the event log to a database that lacks it.

    A match log from before the event log did not record resets (and an adopted
    ``mmrs_1v1`` may hold a bot's ratings): each entry whose stored values the old log
    cannot explain gets a baseline event at the upgrade point, pinning it there. Earlier
    corrections then replay up to that point; the entry carries on from its baseline.
    """
    if "state" not in store.columns(cur, "ladder_matches"):
        cur.execute(sql.ADD_MATCH_STATE)
    event_columns = store.columns(cur, "ladder_events")
    if event_columns and "mmr_floor" not in event_columns:
        cur.execute(sql.ADD_EVENT_FLOOR)
    had_events = bool(event_columns)
    if had_events and store.columns(cur, "ladder_audit"):
        return  # in place: no DDL, so a role without CREATE (least privilege) may run this
    script = sql.render(sql.EVENT_SCHEMA, **store.words)
    for statement in script.split(";"):
        if statement.strip():
            cur.execute(statement)
    if had_events:
        return
    _pin_unexplained(store, cur)


def rebaseline(store: Dialect, cur: Any) -> int:
    """Inside the transaction that imported history (the bot's matches): re-derive the
    baselines, which pinned the entries the log could not explain before it had that
    history. Those the log now explains lose theirs (else the imported matches would be
    counted a second time on top of them); the rest are pinned again at the log's end.
    Returns how many baselines there are now."""
    cur.execute(store.q(sql.DELETE_EVENTS_OF_KIND), (BASELINE,))
    return _pin_unexplained(store, cur)


def _pin_unexplained(store: Dialect, cur: Any) -> int:
    """Replay the log and give each stored entry whose values it cannot explain a
    baseline event at the log's end, pinning it there."""
    log = StoreLog(store, cur)
    replay = Replay.with_rules(store.rules_in(cur)).run(log.later(0))
    cur.execute(sql.MAX_MATCH_ID)
    position = int(cur.fetchone()[0])
    cur.execute(sql.ALL_ENTRIES)
    stored = [store.entry(row) for row in cur.fetchall()]
    now = store.ts(now_utc())
    rows = []
    for entry in stored:
        expected = replay.standings.get(entry.key) or Standing(replay.start_mmr)
        if not explains(expected, entry):
            rows.append(_baseline_row(store, entry, position, now))
    if rows:
        cur.executemany(store.q(sql.INSERT_EVENT), rows)
    return len(rows)


def _baseline_row(store: Dialect, e: Entry, position: int, now: object) -> tuple[object, ...]:
    return (
        position, BASELINE, e.discord_uid, e.race, e.mmr, 0, e.mmr, e.mmr, now,
        e.games_played, e.games_won, e.games_lost, e.games_drawn, store.ts(e.last_played),
        None, None, None,
    )  # fmt: skip


# -- reading the log ---------------------------------------------------------------------


class StoreLog:
    """The event log as :func:`ladder_cli.domain.corrections.plan` and the replay read it."""

    def __init__(self, store: Dialect, cur: Any) -> None:
        self.store, self.cur = store, cur

    def _logged(self, r: Sequence[Any]) -> LoggedMatch:
        parse = self.store.parse_ts
        played = parse(r[1]) or now_utc()
        return LoggedMatch(
            int(r[0]), played, int(r[2]), r[3], int(r[4]), r[5], int(r[6]), str(r[7]),
            int(r[8]), int(r[9]), int(r[10]), int(r[11]), bool(r[12]),
        )  # fmt: skip

    def _event(self, r: Sequence[Any]) -> StateEvent:
        parse = self.store.parse_ts
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

    def matches(self) -> Iterator[LoggedMatch]:
        """Every logged match, voided and amended ones as logged, in log order, a page at
        a time."""
        return chain.from_iterable(self._pages(0, sql.LOG_MATCHES_AFTER, ()))

    def later(self, match_id: int) -> Iterator[LoggedMatch | StateEvent]:
        """Every event after the match, in order, a page of matches at a time (the cursor
        is free between pages: a caller may write through it while iterating)."""
        yield from self._merged(self.events_from(match_id), match_id, sql.LOG_MATCHES_AFTER, ())

    def until(self, cutoff: datetime) -> Iterator[LoggedMatch | StateEvent]:
        """The log as it stood at ``cutoff``: the matches played and the other events made
        at or before it, in log order (not time order: a backfilled match keeps its place)."""
        events = self.events_until(cutoff)
        yield from self._merged(events, 0, sql.LOG_MATCHES_UNTIL, (self.store.ts(cutoff),))

    def events_until(self, cutoff: datetime) -> list[StateEvent]:
        """The events other than matches made at or before ``cutoff``, in log order."""
        self.cur.execute(self.store.q(sql.LOG_EVENTS_UNTIL), (self.store.ts(cutoff),))
        return [self._event(r) for r in self.cur.fetchall()]

    def match_rows_until(self, cutoff: datetime | None) -> Iterator[list[MatchRow]]:
        """The matches played at or before ``cutoff`` (every match for ``None``), in log
        order, a page of plain rows at a time (``played_at`` as the driver returns it: see
        :class:`ladder_cli.domain.asof.Tally`)."""
        statement = self.store.q(sql.LOG_MATCH_ROWS_UNTIL if cutoff else sql.LOG_MATCH_ROWS)
        last = 0
        at: tuple[object, ...] = () if cutoff is None else (self.store.ts(cutoff),)
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
        parse = self.store.parse_ts
        pages = [match_frame(page, parse) for page in self.match_rows_until(cutoff)]
        return pl.concat(pages) if pages else match_frame([], parse)

    def _merged(
        self, events: Iterable[StateEvent], match_id: int, query: str, params: tuple[object, ...]
    ) -> Iterator[LoggedMatch | StateEvent]:
        """``events`` merged into the matches after ``match_id`` that ``query`` pages
        through (``params`` between the page's start and its size)."""
        pending_events = iter(events)
        pending = next(pending_events, None)
        for page in self._pages(match_id, query, params):
            for m in page:
                while pending is not None and pending.after_match < m.match_id:
                    yield pending
                    pending = next(pending_events, None)
                yield m
        while pending is not None:
            yield pending
            pending = next(pending_events, None)

    def _pages(
        self, match_id: int, query: str, params: tuple[object, ...]
    ) -> Iterator[list[LoggedMatch]]:
        """The matches after ``match_id`` that ``query`` pages through (``params`` between
        the page's start and its size), a page at a time."""
        last = match_id
        statement = self.store.q(query)
        while True:
            self.cur.execute(statement, (last, *params, PAGE))
            page = [self._logged(r) for r in self.cur.fetchall()]
            if page:
                yield page
            if len(page) < PAGE:
                break
            last = page[-1].match_id

    def last_played_before(self, key: Key, match_id: int) -> datetime | None:
        uid, race = key
        q, parse = self.store.q, self.store.parse_ts
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
    store: Dialect, cur: Any, queue_id: str, marks: Sequence[Mark], ratings: Ratings, base: int
) -> None:
    """The batch's resets, adjustments and audit rows, each after the match before it.

    ``base`` is the last match id before the batch; the batch's matches got theirs in
    order, so the n-th one's is looked up by its job id.
    """
    q, ts = store.q, store.ts
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


def last_match_id(store: Dialect, cur: Any) -> int:
    cur.execute(sql.MAX_MATCH_ID)
    return int(cur.fetchone()[0])


# -- corrections -------------------------------------------------------------------------


# -- verify ------------------------------------------------------------------------------


def verify(store: Dialect, *, min_wave: int | None = None) -> VerifyReport:
    """Replay the whole event log and compare every stored entry: the matches read as
    columns and replayed a wave at a time (:mod:`ladder_cli.domain.wavereplay`), or, for a
    log of small waves (see :func:`standings_until`), one event at a time, a page of the
    log at a time."""
    from ladder_cli.domain import verify as check
    from ladder_cli.domain import wavereplay
    from ladder_cli.domain.asof import Standings

    with store.read_cursor() as cur:
        rules = store.rules_in(cur)
        cur.execute(sql.ALL_ENTRIES)
        stored = [store.entry(row) for row in cur.fetchall()]
        if rules.glicko:  # the states are checked too; the waves carry none
            cur.execute(sql.ALL_GLICKO)
            doubles = {(int(r[0]), str(r[1])): (float(r[2]), float(r[3]), float(r[4]))
                       for r in cur.fetchall()}  # fmt: skip
            return check.verify(stored, StoreLog(store, cur).later(0), rules, doubles)
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


# -- the whole log, for a caller's pass ---------------------------------------------------


def over_log(store: Dialect, read: Callable[[Iterable[LoggedMatch | StateEvent]], T]) -> T:
    """``read`` over the whole event log in order (``evaluate``'s pass), a page of matches
    at a time, inside one read."""
    with store.read_cursor() as cur:
        return read(StoreLog(store, cur).later(0))


# -- the integrity report -----------------------------------------------------------------


def match_log(store: Dialect) -> pl.DataFrame:
    """The whole match log as voids and amends left it, as the columns of
    :data:`ladder_cli.domain.patterns.LOG_COLUMNS` (what the integrity report reads): in
    one columnar read where the store has one, else a page of rows at a time."""
    from ladder_cli.domain.patterns import log_frame

    frame = store.match_log_columns()
    if frame is not None:
        return frame
    with store.read_cursor() as cur:
        return log_frame(StoreLog(store, cur).matches())


# -- the ladder at a past time ------------------------------------------------------------


def standings_until(
    store: Dialect, cutoff: datetime, rules: Rules, *, min_wave: int | None = None
) -> Standings:
    """Each entry as the log had it at ``cutoff`` (see :mod:`ladder_cli.domain.asof`): the
    matches read as columns and replayed a wave at a time
    (:mod:`ladder_cli.domain.wavereplay`); a log of small waves (on average under
    ``min_wave`` matches, by default :data:`~ladder_cli.domain.wavereplay.MIN_WAVE`) row
    by row, in a tight loop (:class:`ladder_cli.domain.asof.Tally`)."""
    from ladder_cli.domain import wavereplay
    from ladder_cli.domain.asof import Standings, Tally

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
