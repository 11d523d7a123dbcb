"""The audit trail in a store: the rows riding on applied jobs, and ``ladder audit``'s reads.

Corrections, adjustments, decays and season closes write their own audit row with their
changes; a ``record``, ``reset`` or import's row rides on its last job
(:mod:`ladder_cli.core.audit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ladder_cli.domain.model import QueuedJob
from ladder_cli.stores import sql
from ladder_cli.stores.interface import Dialect


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


def audit_rows(store: Dialect, limit: int | None, match_id: int | None = None) -> list[AuditRow]:
    with store.read_cursor() as cur:
        if match_id is None:
            cur.execute(store.q(sql.AUDIT_NEWEST), (store.no_limit() if limit is None else limit,))
        else:
            cur.execute(store.q(sql.AUDIT_OF_MATCH), (match_id,))
        return [
            AuditRow(int(r[0]), store.parse_ts(r[1]), r[2], r[3], r[4], r[5], r[6])
            for r in cur.fetchall()
        ]


def audit_row(store: Dialect, audit_id: int) -> AuditRow | None:
    """One row of the trail (``ladder audit show``); None when there is no such row."""
    with store.read_cursor() as cur:
        cur.execute(store.q(sql.AUDIT_BY_ID), (audit_id,))
        r = cur.fetchone()
    if r is None:
        return None
    return AuditRow(int(r[0]), store.parse_ts(r[1]), r[2], r[3], r[4], r[5], r[6])


def audit_rows_of(store: Dialect, action: str) -> list[AuditRow]:
    """Every row of one action, oldest first (``dismiss``: the integrity flags dismissed,
    which every home reads from here)."""
    with store.read_cursor() as cur:
        cur.execute(store.q(sql.AUDIT_OF_ACTION), (action,))
        return [
            AuditRow(int(r[0]), store.parse_ts(r[1]), r[2], r[3], r[4], r[5], r[6])
            for r in cur.fetchall()
        ]


def write_audits(store: Dialect, cur: Any, queue_id: str, jobs: Sequence[QueuedJob]) -> None:
    """The audit rows riding on applied jobs (``record``, ``import``, ``reset``)."""
    rows = []
    for queued in jobs:
        a = queued.audit
        if a is not None:
            rows.append((store.ts(a.at), a.actor, a.action, a.target, a.reason, None,
                         queue_id, queued.ledger_id))  # fmt: skip
    cur.executemany(store.q(sql.INSERT_AUDIT), rows)
