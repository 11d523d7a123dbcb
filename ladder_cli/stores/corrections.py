"""Corrections in a store: void or amend one logged match, exactly once, and their preview.

The plan is :func:`ladder_cli.domain.corrections.plan` over the store's event log
(:class:`~ladder_cli.stores.eventlog.StoreLog`); here it is applied: the rewritten log,
the entries' deltas and the audit row commit with the ledger row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ladder_cli.domain.corrections import (
    CHUNK,
    EntryChange,
    EventRewrite,
    MatchRewrite,
    Plan,
    Planned,
    Rewrite,
    plan,
    plan_replayed,
)
from ladder_cli.domain.events import LoggedMatch
from ladder_cli.domain.model import CorrectionJob, Entry, Key, QueuedJob
from ladder_cli.domain.raters import Glicko2Rater
from ladder_cli.domain.replay import rating_rules
from ladder_cli.domain.rules import Rules
from ladder_cli.stores import glicko, sql
from ladder_cli.stores.alone import apply_alone
from ladder_cli.stores.eventlog import StoreLog
from ladder_cli.stores.interface import BatchResult, Dialect
from ladder_cli.util import failpoints
from ladder_cli.util.errors import BadInput

BULK_ENTRIES = 64
"""From this many changed entries on, a server takes them in bulk (as the flush does)."""


def apply_correction(store: Dialect, queue_id: str, queued: QueuedJob) -> BatchResult:
    """Void or amend one match, exactly once: ledger, rewritten log, entries and audit row
    commit together. A correction that no longer applies (voided meanwhile) fails."""
    job = queued.job
    assert isinstance(job, CorrectionJob)

    def work(cur: Any) -> dict[Key, Entry] | str:
        rules = store.rules_in(cur)
        planned = job.planned
        if isinstance(planned, Planned) and planned.mark == log_mark(store, cur, rules):
            # The log is as the preview read it: its plan is this correction's.
            done = planned.plan
            for start in range(0, len(done.rewrites), CHUNK):
                rewrite(store, cur, done.rewrites[start : start + CHUNK])
        else:
            try:
                done = _plan(store, cur, job.match_id, job.result,
                             lambda c: rewrite(store, cur, c))  # fmt: skip
            except BadInput as exc:
                return str(exc)
        rewrite(store, cur, [done.pair])
        cur.execute(store.q(sql.CORRECT_MATCH), (done.state, done.result, job.match_id))
        failpoints.hit("in-correction")
        entries = write_changes(store, cur, done.changes)
        if done.states:
            entries = _write_states(store, cur, done, entries)
        action = "void" if job.result is None else "amend"
        cur.execute(
            store.q(sql.INSERT_AUDIT),
            (store.ts(job.at), job.actor, action, f"match {job.match_id}", job.reason,
             job.match_id, queue_id, queued.ledger_id),
        )  # fmt: skip
        return entries

    return apply_alone(store, queue_id, queued, work)


def _plan(
    store: Dialect,
    cur: Any,
    match_id: int,
    result: int | None,
    rewrite: Callable[[list[Rewrite]], None] | None = None,
) -> Plan:
    """The correction worked out under the ladder's rules: Elo replays what it reaches
    from the logged MMRs; Glicko-2, whose state the log does not keep, replays the whole
    log (:func:`~ladder_cli.domain.corrections.plan_replayed`)."""
    rules = store.rules_in(cur)
    log = StoreLog(store, cur)
    if rules.glicko:
        return plan_replayed(
            log.later(0), log.match(match_id), match_id, result, Glicko2Rater(), rewrite
        )
    rate, _ = rating_rules(rules)
    return plan(log, match_id, result, rate, rewrite)


def _write_states(
    store: Dialect, cur: Any, done: Plan, entries: dict[Key, Entry]
) -> dict[Key, Entry]:
    """Under Glicko-2 rules: the corrected states stored beside their rows; then every
    row the correction wrote, read back with its state (what this home's frame takes)."""
    glicko.write(store, cur, [(k[0], k[1], s.rating, s.rd, s.volatility)
                              for k, s in sorted(done.states.items())])  # fmt: skip
    keys = set(entries) | set(done.states)
    predicate, param = store.uids_filter(sorted({key[0] for key in keys}))
    cur.execute(store.q(sql.ENTRIES_OF_UIDS.format(uids=predicate)), (param,))
    written = [e for e in (store.entry(row) for row in cur.fetchall()) if e.key in keys]
    return {e.key: e for e in glicko.attach(store, cur, written)}


def write_changes(store: Dialect, cur: Any, changes: Mapping[Key, EntryChange]) -> dict[Key, Entry]:
    """Each change as a delta on the stored row (locked in key order on a server; in
    bulk there, as the flush writes, when there are many); the rows as written."""
    written: dict[Key, Entry] = {}
    if store.bulk_corrections and len(changes) >= BULK_ENTRIES:
        for stored in store.bulk_entry_changes(cur, list(changes.values())):
            written[stored.key] = changes[stored.key].applied_to(stored)
        return written
    lock = store.lock_rows
    ts, q = store.ts, store.q
    for key in sorted(changes):
        change = changes[key]
        cur.execute(q(sql.ENTRY_OF_KEY) + lock, key)
        row = cur.fetchone()
        if row is None:
            continue  # deleted outside the ladder: nothing to correct
        stored = store.entry(row)
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


def rewrite(store: Dialect, cur: Any, chunk: list[Rewrite]) -> None:
    """Rewritten logged pairs: in bulk through a temporary table on PostgreSQL."""
    matches = [(r.p1_before, r.p1_after, r.p2_before, r.p2_after, r.match_id)
               for r in chunk if isinstance(r, MatchRewrite)]  # fmt: skip
    events = [(r.mmr_before, r.mmr_after, r.event_id) for r in chunk if isinstance(r, EventRewrite)]
    if matches:
        if store.bulk_corrections and len(matches) >= BULK_ENTRIES:
            store.bulk_rewrite_matches(cur, matches)
        else:
            cur.executemany(store.q(sql.REWRITE_MATCH), matches)
    if events:
        cur.executemany(store.q(sql.REWRITE_EVENT), events)


def preview(store: Dialect, match_id: int, result: int | None) -> tuple[Planned, dict[Key, Entry]]:
    """A correction worked out without writing: the plan, marked with the log it was read
    from (the mark first, so a write that lands during the read changes it), and the
    stored rows it changes."""
    with store.read_cursor() as cur:
        rules = store.rules_in(cur)
        mark = log_mark(store, cur, rules)
        done = _plan(store, cur, match_id, result)
    stored = {e.key: e for e in store.entries_of(sorted({k[0] for k in done.changes}))}
    return Planned(mark, done), stored


def log_mark(store: Dialect, cur: Any, rules: Rules) -> tuple[object, ...]:
    """The log's mark (:data:`ladder_cli.stores.sql.LOG_MARK`) with the rules it rates by."""
    cur.execute(sql.LOG_MARK)
    return (*(int(v) for v in cur.fetchone()), rules)


def logged_match(store: Dialect, match_id: int) -> LoggedMatch | None:
    with store.read_cursor() as cur:
        return StoreLog(store, cur).match(match_id)
