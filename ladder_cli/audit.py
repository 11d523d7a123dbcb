"""The audit trail: who ran which writing command, when, on what, and why.

Each writing command's audit row rides on its last queued job (``record``, ``reset`` and
``record --file``'s import; corrections and adjustments carry their own), so it is durable
with the command and counts as no job of its own; the flush writes it in the transaction
that applies that job (the last one, for a large import).
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence

from ladder_cli.errors import BadInput
from ladder_cli.model import (
    AdjustJob,
    AuditJob,
    CorrectionJob,
    DecayJob,
    Job,
    MatchJob,
    ResetJob,
    now_utc,
    parse_name,
)

MAX_REASON = 500


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def parse_actor(text: str) -> str:
    return parse_name(text, what="--by name")


def parse_reason(text: str | None) -> str:
    """A correction's reason: required, one line, at most :data:`MAX_REASON` characters."""
    if text is None or not text.strip():
        raise BadInput("--reason is required: say why (it goes into the audit trail)")
    if len(text) > MAX_REASON:
        raise BadInput(f"--reason is {len(text)} characters long: the limit is {MAX_REASON}")
    for ch in text:
        if ord(ch) < 32 or ord(ch) == 127:
            raise BadInput(f"--reason contains the control character U+{ord(ch):04X}: remove it")
    return text


def audit_of(jobs: Sequence[Job], actor: str) -> AuditJob | None:
    """The audit row of a command's jobs (None when they carry their own: corrections,
    adjustments and decays write theirs when applied)."""
    if not jobs or isinstance(jobs[0], AdjustJob | CorrectionJob | DecayJob | AuditJob):
        return None
    first = jobs[0]
    if isinstance(first, ResetJob):
        which = "every race" if first.race is None else first.race
        target = f"{first.uid} ({which}) to {first.mmr}" + (
            " keeping stats" if first.keep_stats else ""
        )
        action = "reset"
    elif len(jobs) == 1 and isinstance(first, MatchJob):
        target = f"{first.p1_uid} {first.p1_race} vs {first.p2_uid} {first.p2_race}"
        action = "record"
    else:
        target, action = f"{len(jobs):,} matches", "import"
    return AuditJob(action, target, now_utc().replace(microsecond=0), actor)


__all__ = ["MAX_REASON", "audit_of", "default_actor", "parse_actor", "parse_reason"]
