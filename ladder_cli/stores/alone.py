"""A job that needs a transaction of its own (a correction, a decay, a season close),
applied exactly once: the ledger check, the job's writes and its ledger row commit
together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ladder_cli.domain.model import Entry, Key, QueuedJob, now_utc
from ladder_cli.stores import sql
from ladder_cli.stores.interface import BatchResult, Dialect
from ladder_cli.util import failpoints


def apply_alone(
    store: Dialect,
    queue_id: str,
    queued: QueuedJob,
    work: Callable[[Any], dict[Key, Entry] | str],
) -> BatchResult:
    """One job that needs a transaction of its own (a correction, a decay, a season close),
    exactly once: skipped when the database's ledger already has it; else ``work`` runs in
    the transaction and returns the entries it wrote, or why the job no longer applies
    (it then fails, having written nothing), and the ledger row commits with its writes."""
    result = BatchResult()
    try:
        with store.write_transaction() as cur:
            predicate, ids = store.uids_filter([queued.ledger_id])
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
                store.q(sql.INSERT_APPLIED), (queue_id, queued.ledger_id, store.ts(now_utc()))
            )
            result.applied.append(queued.seq)
    finally:
        store.forget()  # rows kept between batches are stale after such a job
    failpoints.hit("after-db-commit")
    return result
