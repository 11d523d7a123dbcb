"""Corrections, adjustments, ``match show`` and the audit trail: a Ladder's ``admin`` part.

Writes take the same path as ``record``: validated fully first, queued durably, then
flushed; the store applies them exactly once under the flush's locks. Offline, a
correction is previewed against this home's snapshot (:mod:`ladder_cli.core.snapshot`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING

from ladder_cli.core import audit
from ladder_cli.core.audit import parse_reason
from ladder_cli.domain.corrections import ListedLog, Plan, Planned, check, plan, plan_replayed
from ladder_cli.domain.events import AMENDED, RESULT_NAMES, VOIDED
from ladder_cli.domain.model import AdjustJob, CorrectionJob, Entry, Key, now_utc, parse_race
from ladder_cli.stores import corrections
from ladder_cli.stores.audit import AuditRow, audit_rows
from ladder_cli.util.errors import BadInput

if TYPE_CHECKING:
    from ladder_cli.core.parts import Parts
    from ladder_cli.core.reads import Reads
    from ladder_cli.core.writes import Submit, WriteOutcome

MAX_ADJUST = 10_000


@dataclass
class ChangeRow:
    """One entry a write would change: stored before → after."""

    key: Key
    name: str
    before: Entry
    after: Entry
    drifted: bool = False

    @property
    def difference(self) -> int:
        return self.after.mmr - self.before.mmr


@dataclass
class Preview:
    rows: list[ChangeRow] = field(default_factory=list)
    plan: Plan | None = None
    note: str | None = None
    #: The plan with the mark of the database's log it was read from (None offline): the
    #: correction applies it while the log bears that mark, without reading it again.
    planned: Planned | None = None


def parse_result(text: str) -> int:
    try:
        return RESULT_NAMES[text.strip().lower()]
    except KeyError:
        raise BadInput(f"--result {text!r} must be p1, p2 or draw") from None


def _plans(done: Plan, match_id: int, result: int | None) -> bool:
    """Whether ``done`` is the plan of voiding (``result`` None) or amending this match."""
    wanted = (VOIDED, done.match.result) if result is None else (AMENDED, result)
    return done.match.match_id == match_id and (done.state, done.result) == wanted


def parse_match_id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput(f"match id {value!r} must be a whole number from 1")
    return value


def _replayed_offline(log: ListedLog, match_id: int, result: int | None) -> Plan:
    """A Glicko-2 correction previewed from a snapshot's newest matches: each entry starts
    the window as a baseline at its first logged MMR in it (the rating, RD and volatility
    it had then are not in the snapshot), so the preview is approximate."""
    from ladder_cli.domain.events import BASELINE, StateEvent, in_order
    from ladder_cli.domain.raters import Glicko2Rater

    seen: set[Key] = set()
    starts: list[StateEvent] = []
    for m in log.matches:
        for key, before in ((m.key1, m.p1_before), (m.key2, m.p2_before)):
            if key not in seen:
                seen.add(key)
                starts.append(StateEvent(len(starts) + 1, 0, BASELINE, key[0], key[1],
                                         before, False, before, before, m.played_at))  # fmt: skip
    events = in_order(log.matches, starts)
    return plan_replayed(events, log.match(match_id), match_id, result, Glicko2Rater())


class Admin:
    """The admin writes and reads of a Ladder beyond record and reset (its ``admin``
    part): void, amend, adjust, ``match show`` and the audit trail."""

    def __init__(
        self,
        parts: Parts,
        reads: Reads,
        resolve: Callable[[str | int], int],
        submit: Submit,
        actor: str,
    ) -> None:
        self._parts = parts
        self._reads = reads
        self._resolve = resolve
        self._submit = submit
        self.actor = actor

    def preview_correction(self, match_id: int, result: int | None) -> Preview:
        """Who a void (``result`` None) or amend would change; BadInput if it cannot apply."""
        match_id = parse_match_id(match_id)
        if self._parts.source.unavailable is not None:
            return self._offline_preview(match_id, result)
        planned, stored = corrections.preview(self._parts.store, match_id, result)
        return Preview(self._rows(planned.plan, stored), planned.plan, planned=planned)

    def _rows(self, done: Plan, stored: dict[Key, Entry]) -> list[ChangeRow]:
        rows = []
        for key, change in done.changes.items():
            before = stored.get(key)
            if before is None:
                continue
            drifted = change.logged_mmr is not None and before.mmr != change.logged_mmr
            rows.append(
                ChangeRow(key, before.player_name, before, change.applied_to(before), drifted)
            )
        rows.sort(key=lambda r: (-abs(r.difference), r.key))
        return rows

    def _offline_preview(self, match_id: int, result: int | None) -> Preview:
        """The preview from the snapshot, saying so; BadInput where the snapshot shows the
        correction cannot apply (a void is final; amending to the result it has)."""
        import polars as pl

        from ladder_cli.domain.frames import entries_from_frame
        from ladder_cli.domain.replay import rating_rules

        later = "it is checked when applied (see `ladder wal failed`)"
        snapshot = self._parts.snapshots().listed_log()
        if snapshot is None:
            return Preview(note=f"offline: this home has no snapshot of the match log, so "
                           f"there is no preview; {later}")  # fmt: skip
        log, frame, taken = snapshot
        when = f"{taken.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if log.match(match_id) is None:
            return Preview(note=f"offline: match {match_id} is not among the newest "
                           f"{len(log.matches):,} matches of this home's snapshot ({when}), so "
                           f"there is no preview; {later}")  # fmt: skip
        rules = self._parts.rules()
        if rules.glicko:
            done = _replayed_offline(log, match_id, result)
        else:
            rate, _ = rating_rules(rules)
            done = plan(log, match_id, result, rate)
        uids = sorted({key[0] for key in done.changes})
        stored = {e.key: e for e in entries_from_frame(
            frame.filter(pl.col("discord_uid").is_in(uids)))}  # fmt: skip
        note = (f"offline: preview from this home's snapshot of {when} (its newest "
                f"{len(log.matches):,} matches; resets and adjustments are not in it)")  # fmt: skip
        return Preview(self._rows(done, stored), done, note)

    def correct(
        self,
        match_id: int,
        result: int | None,
        reason: str | None,
        *,
        flush: bool = True,
        preview: Preview | None = None,
    ) -> WriteOutcome:
        """Queue (and flush) a void or amend, validated first. Given the ``preview`` of this
        correction, its read of the log is the only one: the flush applies its plan while
        the log has not moved since (else it plans again, under the write lock)."""
        reason = parse_reason(reason)
        match_id = parse_match_id(match_id)
        planned = preview.planned if preview is not None else None
        if planned is not None and not _plans(planned.plan, match_id, result):
            planned = None  # the preview of another correction
        if planned is not None:
            check(planned.plan.match, match_id, result)
        elif self._parts.source.unavailable is None:
            check(corrections.logged_match(self._parts.store, match_id), match_id, result)
        else:
            snapshot = self._parts.snapshots().listed_log()
            found = None if snapshot is None else snapshot[0].match(match_id)
            if found is not None:
                check(found, match_id, result)
        job = CorrectionJob(match_id, result, now_utc(), self.actor, reason, planned)
        return self._submit([job], flush=flush, want_matches=False)

    def preview_adjust(self, player: str | int, race: str, delta: int) -> ChangeRow:
        import polars as pl

        from ladder_cli.domain.frames import entries_from_frame

        uid = self._resolve(player)
        race = parse_race(race)
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
            raise BadInput(f"--by {delta!r} must be a whole number other than 0")
        if abs(delta) > MAX_ADJUST:
            raise BadInput(f"--by {delta} is out of range: at most {MAX_ADJUST} either way")
        frame = self._reads.current().frame
        found = entries_from_frame(
            frame.filter((pl.col("discord_uid") == uid) & (pl.col("race") == race))
        )
        if not found:
            raise BadInput(f"player {uid} has no {race} entry to adjust")
        before = found[0]
        after = before.copy()
        after.mmr += delta
        return ChangeRow(before.key, before.player_name, before, after)

    def adjust(self, row: ChangeRow, reason: str | None, *, flush: bool = True) -> WriteOutcome:
        reason = parse_reason(reason)
        job = AdjustJob(row.key[0], row.key[1], row.difference, now_utc(), self.actor, reason)
        return self._submit([job], flush=flush, want_matches=False)

    def audit(self, limit: int | None) -> list[AuditRow]:
        """The audit trail, newest first (``limit`` None or 0: all of it)."""
        return audit.trail(self._parts.store, limit)

    def audit_row(self, audit_id: int) -> AuditRow:
        """One row of the trail; BadInput when there is no such row."""
        return audit.row(self._parts.store, audit_id)

    def audit_names(self, rows: list[AuditRow]) -> dict[int, str]:
        """Names of the players the rows' targets name by uid."""
        return audit.names_in(rows, self._reads.names)

    def match_show(self, match_id: int) -> dict[str, object]:
        match_id = parse_match_id(match_id)
        found = corrections.logged_match(self._parts.store, match_id)
        if found is None:
            raise BadInput(f"unknown match {match_id}: no match with this id in the match log")
        names = self._reads.names([found.p1_uid, found.p2_uid])
        shown: dict[str, object] = {
            "match_id": found.match_id,
            "played_at": found.played_at.isoformat(),
            "p1_uid": found.p1_uid,
            "p1_name": names.get(found.p1_uid),
            "p1_race": found.p1_race,
            "p1_mmr_before": found.p1_before,
            "p1_mmr_after": found.p1_after,
            "p2_uid": found.p2_uid,
            "p2_name": names.get(found.p2_uid),
            "p2_race": found.p2_race,
            "p2_mmr_before": found.p2_before,
            "p2_mmr_after": found.p2_after,
            "result": found.result,
            "state": found.state,
            "audit": [a.as_dict() for a in audit_rows(self._parts.store, None, match_id)],
        }
        return shown
