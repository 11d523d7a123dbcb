"""A switch of rules in a store (``ladder rules use``), exactly once, and its preview.

One transaction, like a correction: under the write lock the whole log is replayed under the
current and the new rules (:func:`ladder_cli.domain.switch.plan_switch`), the pairs the new
rules log differently are rewritten, each entry's change goes onto its stored row as a delta,
Glicko-2's states are stored beside the rows (under Glicko-2 rules), the rules row changes,
and the audit row and the ledger row commit with them. Written once for both stores against
:class:`~ladder_cli.stores.interface.Dialect`.
"""

from __future__ import annotations

from typing import Any, Final

from ladder_cli.domain.model import Entry, Key, QueuedJob, RulesJob
from ladder_cli.domain.rules import Rules, preset
from ladder_cli.domain.switch import SwitchPlan, plan_switch
from ladder_cli.stores import glicko, sql
from ladder_cli.stores.alone import apply_alone
from ladder_cli.stores.corrections import rewrite, write_changes
from ladder_cli.stores.eventlog import StoreLog
from ladder_cli.stores.interface import BatchResult, Dialect
from ladder_cli.util import failpoints

ACTION: Final = "rules"
"""The audit trail's action for a switch of rules."""

SET_RULES: Final = (
    f"INSERT INTO ladder_rules (id, {sql.RULES_COLUMNS}) VALUES (1, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (id) DO UPDATE SET preset = EXCLUDED.preset, k = EXCLUDED.k, "
    "scale = EXCLUDED.scale, rounding = EXCLUDED.rounding, start_mmr = EXCLUDED.start_mmr, "
    "letters = EXCLUDED.letters, activity_days = EXCLUDED.activity_days"
)


def apply_switch(store: Dialect, queue_id: str, queued: QueuedJob) -> BatchResult:
    """Switch the ladder to the job's rules, exactly once. Rules the ladder already has
    (another home switched first) change nothing; the job is then applied as it stands."""
    job = queued.job
    assert isinstance(job, RulesJob)

    def work(cur: Any) -> dict[Key, Entry] | str:
        old, new = store.rules_in(cur), preset(job.preset)
        if old == new:
            return {}
        try:
            done = plan_switch(StoreLog(store, cur).later(0), old, new,
                               lambda c: rewrite(store, cur, c))  # fmt: skip
        except ValueError as exc:  # a logged row no replay can apply (see `ladder verify`)
            return f"the log cannot be replayed under the {new.preset} rules: {exc}"
        failpoints.hit("in-rules-switch")
        written = write_changes(store, cur, done.changes)
        if new.glicko:
            glicko.write(store, cur, [(k[0], k[1], s.rating, s.rd, s.volatility)
                                      for k, s in sorted(done.states.items())])  # fmt: skip
            written = _read_back(store, cur, set(written) | set(done.states))
        r = new
        values = (r.preset, r.k, r.scale, r.rounding, r.start_mmr, r.letters, r.activity_days)
        cur.execute(store.q(SET_RULES), values)
        cur.execute(
            store.q(sql.INSERT_AUDIT),
            (store.ts(job.at), job.actor, ACTION, target(done), job.reason, None, queue_id,
             queued.ledger_id),
        )  # fmt: skip
        return written

    return apply_alone(store, queue_id, queued, work)


def target(done: SwitchPlan) -> str:
    """The audit row's target: the rules before and after, and how many entries moved."""
    moved = len(done.changes)
    entries = "1 entry" if moved == 1 else f"{moved:,} entries"
    return f"{done.old.preset} -> {done.new.preset} ({entries} change)"


def _read_back(store: Dialect, cur: Any, keys: set[Key]) -> dict[Key, Entry]:
    """The rows of ``keys`` as they now stand, each with its state."""
    if not keys:
        return {}
    predicate, param = store.uids_filter(sorted({key[0] for key in keys}))
    cur.execute(store.q(sql.ENTRIES_OF_UIDS.format(uids=predicate)), (param,))
    rows = [e for e in (store.entry(row) for row in cur.fetchall()) if e.key in keys]
    return {e.key: e for e in glicko.attach(store, cur, rows)}


def preview(store: Dialect, new: Rules) -> tuple[SwitchPlan, dict[Key, Entry]]:
    """A switch worked out without writing: the plan and the stored rows it changes."""
    with store.read_cursor() as cur:
        done = plan_switch(StoreLog(store, cur).later(0), store.rules_in(cur), new)
    stored = {e.key: e for e in store.entries_of(sorted({k[0] for k in done.changes}))}
    return done, stored


__all__ = ["ACTION", "SET_RULES", "apply_switch", "preview", "target"]
