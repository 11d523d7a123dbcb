"""The audit trail: who ran which writing command, when, on what, and why.

Each writing command's audit row rides on its last queued job (``record``, ``reset`` and
``record --file``'s import; corrections and adjustments carry their own), so it is durable
with the command and counts as no job of its own; the flush writes it in the transaction
that applies that job (the last one, for a large import). The rows are read back from
the store (:mod:`ladder_cli.stores.audit`), each target with its players named.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from ladder_cli.domain.model import (
    RACES,
    AdjustJob,
    AuditJob,
    CorrectionJob,
    DecayJob,
    Job,
    MatchJob,
    ResetJob,
    RulesJob,
    SeasonJob,
    now_utc,
    parse_name,
)
from ladder_cli.stores import Store
from ladder_cli.stores.audit import AuditRow, audit_row, audit_rows
from ladder_cli.util.errors import BadInput

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


def parse_optional_reason(text: str | None) -> str | None:
    """A reason that may be left out (``rules use``); checked as :func:`parse_reason` when
    given."""
    if text is not None and not text.strip():
        raise BadInput("--reason is empty: say why, or leave the option out")
    return None if text is None else parse_reason(text)


def audit_of(jobs: Sequence[Job], actor: str) -> AuditJob | None:
    """The audit row of a command's jobs (None when they carry their own: corrections,
    adjustments, decays, season closes and switches of rules write theirs when applied)."""
    if not jobs or isinstance(
        jobs[0], AdjustJob | CorrectionJob | DecayJob | AuditJob | SeasonJob | RulesJob
    ):
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


#: A player's uid in a stored target: digits followed by a race or "(every race)".
_PLAYER_IN_TARGET = re.compile(r"(?<![\w])(\d+)(?= (?:\(|(?:" + "|".join(RACES) + r")\b))")


def target_uids(target: str) -> set[int]:
    """The players a stored target names by uid (``record``, ``reset``, ``adjust``)."""
    return {int(uid) for uid in _PLAYER_IN_TARGET.findall(target)}


def named_target(target: str, names: Mapping[int, str]) -> str:
    """The target as a person reads it: each known player by name (JSON and CSV keep
    the stored target, with uids)."""
    return _PLAYER_IN_TARGET.sub(lambda m: names.get(int(m[1]), m[1]), target)


def trail(store: Store, limit: int | None) -> list[AuditRow]:
    """The newest ``limit`` rows of the trail (None or 0: all), newest first."""
    if limit is not None and limit < 0:
        raise BadInput(f"--limit {limit} must be 0 (all) or more")
    return audit_rows(store, limit or None)


def row(store: Store, audit_id: int) -> AuditRow:
    """Row ``audit_id`` of the trail; BadInput when there is none."""
    if isinstance(audit_id, bool) or not isinstance(audit_id, int) or audit_id < 1:
        raise BadInput(f"audit row {audit_id!r} must be a whole number from 1")
    found = audit_row(store, audit_id)
    if found is None:
        raise BadInput(f"unknown audit row {audit_id}: see `ladder audit` for the rows there are")
    return found


def names_in(
    rows: Sequence[AuditRow], names: Callable[[Iterable[int]], dict[int, str]]
) -> dict[int, str]:
    """The names of the players the rows' targets name by uid."""
    uids = set().union(*(target_uids(r.target) for r in rows)) if rows else set()
    return names(sorted(uids)) if uids else {}


__all__ = [
    "MAX_REASON",
    "audit_of",
    "default_actor",
    "named_target",
    "names_in",
    "parse_actor",
    "parse_reason",
    "row",
    "target_uids",
    "trail",
]
