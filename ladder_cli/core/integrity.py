"""The integrity report over a ladder (a Ladder's ``integrity`` part): flags of win trading,
feeding, sandbagging and smurfing for an admin to review, and their dismissal.

The patterns are :mod:`ladder_cli.domain.integrity`'s, sought with the config's
``[integrity]`` thresholds in the match log as voids and amends left it, read from the
database by the reader verify and the corrections use
(:func:`ladder_cli.stores.eventlog.match_log`). The log is only in the database: offline
there is no report (the snapshot holds the current ratings alone).

A dismissal is an audit row (action ``dismiss``, the contract's list of actions extended;
the flag's id first in its target), queued as a write of its own and applied exactly once
like every write, so every home reads the same dismissals from the database. A flag is a
report, never a change: nothing here touches a rating.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from ladder_cli.core.audit import parse_reason
from ladder_cli.domain.integrity import Flag, find_flags
from ladder_cli.domain.model import DISMISS, AuditJob, now_utc
from ladder_cli.stores import eventlog
from ladder_cli.stores.audit import audit_rows_of
from ladder_cli.util.errors import BadInput, LadderError

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.core.parts import Parts
    from ladder_cli.core.reads import Reads
    from ladder_cli.core.writes import Submit, WriteOutcome


_FLAG_ID: Final = re.compile(r"[0-9a-f]{10}")
#: A dismissal's stored target: ``flag 3fa2c9e1b0: pair 1000 bw_terran, 1001 bw_protoss``.
_TARGET: Final = re.compile(r"flag ([0-9a-f]{10})\b")


@dataclass(frozen=True)
class Dismissal:
    """Who dismissed a flag, when and why (``audit_id`` None: still in this home's queue)."""

    flag: str
    at: datetime | None
    actor: str
    reason: str | None
    audit_id: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "audit_id": self.audit_id,
            "at": None if self.at is None else self.at.isoformat(),
            "actor": self.actor,
            "reason": self.reason,
        }


@dataclass
class Report:
    """The flags of one report, the names of their players, and every dismissal."""

    flags: list[Flag]
    names: dict[int, str]
    dismissals: dict[str, Dismissal]
    #: The matches in effect the report looked at (voided ones left out).
    matches: int
    #: Dismissed flags left out of ``flags``.
    hidden: int = 0

    def as_json(self) -> list[dict[str, object]]:
        return [flag.as_dict(self.names) for flag in self.flags]


@dataclass
class DismissOutcome:
    flag: Flag
    names: dict[int, str]
    #: The queued write; None when the flag was dismissed before (nothing written).
    outcome: WriteOutcome | None
    earlier: Dismissal | None = None


def parse_flag_id(text: str) -> str:
    """A flag id as ``ladder integrity`` lists it: ten hex digits (any case)."""
    flag = text.strip().lower()
    if not _FLAG_ID.fullmatch(flag):
        raise BadInput(
            f"flag {text!r} is not a flag id: ten hex digits, as `ladder integrity` lists them"
        )
    return flag


def dismissal_target(flag: Flag) -> str:
    """The audit row's target: the flag's id, kind and entries (by uid, so the audit
    table names the players)."""
    entries = ", ".join(f"{uid} {race}" for uid, race in flag.entries)
    return f"flag {flag.flag}: {flag.kind} {entries}"


class Integrity:
    """``ladder integrity`` over one Ladder: the report, one flag, and dismissing one."""

    def __init__(self, parts: Parts, reads: Reads, submit: Submit, actor: str) -> None:
        self._parts = parts
        self._reads = reads
        self._submit = submit
        self.actor = actor

    def report(self, since: datetime | None = None, *, include_dismissed: bool = False) -> Report:
        """The flags whose window ends at or after ``since`` (all without it), grouped by
        kind, newest first; dismissed ones left out unless ``include_dismissed``."""
        matches = self._log()
        dismissals = self.dismissals()
        names: dict[int, str] = {}

        def named(uids: Collection[int]) -> Mapping[int, str]:
            names.update(self._reads.names(uids))
            return names

        flags = find_flags(
            matches,
            self._parts.settings.integrity,
            since,
            dismissed=dismissals,
            include_dismissed=True,
            names=named,
            start_mmr=self._parts.rules().start_mmr,
        )
        hidden = 0 if include_dismissed else sum(f.dismissed for f in flags)
        if hidden:
            flags = [f for f in flags if not f.dismissed]
        in_effect = matches.height - int(matches["voided"].sum())
        return Report(flags, names, dismissals, in_effect, hidden)

    def flag(self, flag_id: str) -> tuple[Flag, Report]:
        """One flag of the report (dismissed or not) and the report it is in; BadInput
        for an id the report does not have."""
        wanted = parse_flag_id(flag_id)
        report = self.report(include_dismissed=True)
        for flag in report.flags:
            if flag.flag == wanted:
                return flag, report
        raise BadInput(
            f"unknown flag {wanted}: the integrity report has no such flag (`ladder integrity "
            "--all` lists them all; a flag's id changes when a correction moves its start)"
        )

    def dismiss(self, flag_id: str, reason: str | None, *, flush: bool = True) -> DismissOutcome:
        """Hide a flag from later reports, with an audit row saying who, when and why.
        Dismissing a flag already dismissed (or whose dismissal waits in this home's
        queue) writes nothing."""
        reason = parse_reason(reason)
        flag, report = self.flag(flag_id)
        earlier = report.dismissals.get(flag.flag)
        if earlier is not None:
            return DismissOutcome(flag, report.names, None, earlier)
        job = AuditJob(
            DISMISS, dismissal_target(flag), now_utc().replace(microsecond=0), self.actor, reason
        )
        outcome = self._submit([job], flush=flush, want_matches=False)
        return DismissOutcome(flag, report.names, outcome)

    def dismissals(self) -> dict[str, Dismissal]:
        """Every flag dismissed on this ladder (the first dismissal of each), by id: the
        database's, then those still in this home's queue (an admin sees their own)."""
        found: dict[str, Dismissal] = {}
        for row in audit_rows_of(self._parts.store, DISMISS):
            hit = _TARGET.match(row.target)
            if hit is not None and hit[1] not in found:
                found[hit[1]] = Dismissal(hit[1], row.at, row.actor, row.reason, row.audit_id)
        for job in self._queued():
            hit = _TARGET.match(job.target)
            if hit is not None and hit[1] not in found:
                found[hit[1]] = Dismissal(hit[1], job.at, job.actor, job.reason, None)
        return found

    def _queued(self) -> list[AuditJob]:
        """The dismissals in this home's queue, not yet in the database."""
        queue = self._parts.queue
        if not queue.pending_count():
            return []
        jobs = (queued.job for queued in self._parts.pending())
        return [job for job in jobs if isinstance(job, AuditJob) and job.action == DISMISS]

    def _log(self) -> pl.DataFrame:
        """The whole match log (its columns), from the database; an error (exit 1) while it
        cannot be reached."""
        parts = self._parts
        unavailable = parts.source.unavailable
        if unavailable is not None:
            raise LadderError(
                f"the integrity report reads the match log, which is in the database: "
                f"{unavailable} (the offline snapshot holds only the current ratings); try "
                "again when the database answers"
            )
        pending = parts.queue.pending_count() - len(self._queued())
        if pending > 0:
            parts.note(
                f"{pending:,} pending {'write' if pending == 1 else 'writes'} not yet in the "
                f"database (and its match log) {'is' if pending == 1 else 'are'} not included"
            )
        return eventlog.match_log(parts.store)


__all__ = [
    "DISMISS",
    "DismissOutcome",
    "Dismissal",
    "Integrity",
    "Report",
    "dismissal_target",
    "parse_flag_id",
]
