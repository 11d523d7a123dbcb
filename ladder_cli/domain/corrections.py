"""Planning a correction: void or amend one logged match, replaying only what it reaches.

Elo cannot be reversed, so a correction replays the log from the corrected match on. Only
entries whose rating the change reaches are replayed: the corrected match's two entries,
then, transitively, every entry that meets an already changed one later. An entry that is
not reached keeps its logged values, so the other side of a later match starts from that
match's logged ``before``. Each logged pair the replay changes is handed to ``rewrite``
in chunks (the caller writes them), so memory stays bounded by the set of changed entries.

The result is, per entry, the change of its final values (MMR, counts, last game). A store
applies it as a delta on top of what it holds: equal to the corrected replay for an entry
that matched the log, and the correction alone for one an outside writer changed (drift).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ladder_cli.domain.events import AMENDED, VOIDED, Event, LoggedMatch, StateEvent, score
from ladder_cli.domain.glicko2 import Glicko2State
from ladder_cli.domain.model import AppliedMatch, Entry, Key
from ladder_cli.domain.raters import Glicko2Rater, apply_event
from ladder_cli.domain.replay import Rate, counts_of
from ladder_cli.util.errors import BadInput

CHUNK = 20_000
"""Rewritten pairs handed to the writer at a time."""


class EventLog(Protocol):
    """Read access to the event log, as a store gives it inside its transaction."""

    def match(self, match_id: int) -> LoggedMatch | None: ...

    def later(self, match_id: int) -> Iterator[LoggedMatch | StateEvent]:
        """Every event after the match, in log order."""
        ...

    def last_played_before(self, key: Key, match_id: int) -> datetime | None:
        """The latest game of ``key`` in effect before the match, since its counts were last
        set (a baseline's own last game included): what its ``last_played`` was then."""
        ...


class ListedLog:
    """Logged matches in memory as an :class:`EventLog`: this home's snapshot of a server
    (its newest matches, without resets and adjustments), so a correction queued while
    the server is down can still be previewed, approximately."""

    def __init__(self, matches: Iterable[AppliedMatch]) -> None:
        self.matches = sorted(
            (LoggedMatch(m.match_id, m.played_at, m.p1_uid, m.p1_race, m.p2_uid, m.p2_race,
                         m.result, m.state, m.p1_mmr_before, m.p1_mmr_after, m.p2_mmr_before,
                         m.p2_mmr_after)
             for m in matches if m.match_id is not None),
            key=lambda m: m.match_id,
        )  # fmt: skip
        self.by_id = {m.match_id: m for m in self.matches}

    def match(self, match_id: int) -> LoggedMatch | None:
        return self.by_id.get(match_id)

    def later(self, match_id: int) -> Iterator[LoggedMatch | StateEvent]:
        return (m for m in self.matches if m.match_id > match_id)

    def last_played_before(self, key: Key, match_id: int) -> datetime | None:
        played = [m.played_at for m in self.matches if m.match_id < match_id
                  and m.state != VOIDED and key in (m.key1, m.key2)]  # fmt: skip
        return max(played, default=None)


@dataclass(frozen=True, slots=True)
class MatchRewrite:
    match_id: int
    p1_before: int
    p1_after: int
    p2_before: int
    p2_after: int


@dataclass(frozen=True, slots=True)
class EventRewrite:
    event_id: int
    mmr_before: int
    mmr_after: int


Rewrite = MatchRewrite | EventRewrite


@dataclass(slots=True)
class EntryChange:
    """How a correction changes one entry's final values."""

    key: Key
    mmr: int = 0
    played: int = 0
    won: int = 0
    lost: int = 0
    drawn: int = 0
    #: (what the log's replay had, what the corrected replay has), when it changes.
    last: tuple[datetime | None, datetime | None] | None = None
    #: The MMR the uncorrected log ends this entry at (None where only counts change):
    #: a stored MMR that differs from it was changed outside the ladder (drift).
    logged_mmr: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.mmr or self.played or self.won or self.lost or self.drawn or self.last)

    def applied_to(self, stored: Entry) -> Entry:
        """The stored row with this change on top (the last game only where it still is
        what the log had: an outside writer's later game stays)."""
        new = stored.copy()
        new.mmr += self.mmr
        new.games_played += self.played
        new.games_won += self.won
        new.games_lost += self.lost
        new.games_drawn += self.drawn
        if self.last is not None and stored.last_played == self.last[0]:
            new.last_played = self.last[1]
        return new


@dataclass
class Plan:
    """A correction worked out: the match as it was, what it becomes, every entry change."""

    match: LoggedMatch
    state: str
    result: int
    pair: MatchRewrite
    changes: dict[Key, EntryChange] = field(default_factory=dict)
    rewritten_matches: int = 0
    rewritten_events: int = 0
    replayed: int = 0
    #: Under Glicko-2 rules: the corrected state of every entry whose state the correction
    #: changes (its MMR may stay), to be stored beside its row.
    states: dict[Key, Glicko2State] = field(default_factory=dict)
    #: The later pairs the correction rewrites, when no writer took them as they came (a
    #: preview): what its apply writes if the log has not moved since (see :class:`Planned`).
    rewrites: list[Rewrite] = field(default_factory=list)


@dataclass(frozen=True)
class Planned:
    """A plan with the mark of the log it was read from (a store's newest match, event and
    audit row, and the rules): a correction applies it as it is while the log still bears
    that mark, so the preview's read of the log is the only one."""

    mark: tuple[object, ...]
    plan: Plan


def check(match: LoggedMatch | None, match_id: int, result: int | None) -> LoggedMatch:
    """The match to correct, or BadInput naming why it cannot be."""
    if match is None:
        raise BadInput(f"unknown match {match_id}: no match with this id in the match log")
    if match.state == VOIDED:
        raise BadInput(f"match {match_id} is already voided")
    if result is not None:
        if result not in (0, 1, 2):
            raise BadInput(f"result {result!r} must be 1 (P1 won), 2 (P2 won) or 0 (draw)")
        if result == match.result:
            raise BadInput(f"match {match_id} already has that result: nothing to amend")
    return match


def plan(
    log: EventLog,
    match_id: int,
    result: int | None,
    rate: Rate,
    rewrite: Callable[[list[Rewrite]], None] | None = None,
) -> Plan:
    """Work out voiding (``result`` None) or amending the match; BadInput if it cannot be."""
    m = check(log.match(match_id), match_id, result)
    k1, k2 = m.key1, m.key2
    b1, b2 = m.p1_before, m.p2_before
    if result is None:
        state, new_result, a1, a2 = VOIDED, m.result, b1, b2
    else:
        state, new_result = AMENDED, result
        a1, a2 = rate(b1, b2, score(result))
    pair = MatchRewrite(match_id, b1, a1, b2, a2)
    out = Plan(m, state, new_result, pair)
    # The replayed MMR of every entry the change reaches, and the log's own last value
    # for it; an entry whose replayed value meets the log's again drops out of both.
    current: dict[Key, int] = {}
    logged: dict[Key, int] = {}
    for key, new, old in ((k1, a1, m.p1_after), (k2, a2, m.p2_after)):
        if new != old:
            current[key], logged[key] = new, old
    counts = _Counts(m)
    pending: list[Rewrite] = []

    def emit(item: Rewrite) -> None:
        pending.append(item)
        if len(pending) >= CHUNK and rewrite is not None:
            rewrite(pending[:])
            pending.clear()

    for event in log.later(match_id):
        if isinstance(event, LoggedMatch):
            ka, kb = event.key1, event.key2
            counts.match(event)
            ina, inb = ka in current, kb in current
            if not (ina or inb):
                continue
            out.replayed += 1
            ba = current[ka] if ina else event.p1_before
            bb = current[kb] if inb else event.p2_before
            if event.state == VOIDED:
                aa, ab = ba, bb
            else:
                aa, ab = rate(ba, bb, score(event.result))
            if (ba, aa, bb, ab) != (
                event.p1_before,
                event.p1_after,
                event.p2_before,
                event.p2_after,
            ):
                emit(MatchRewrite(event.match_id, ba, aa, bb, ab))
                out.rewritten_matches += 1
            for key, new, old in ((ka, aa, event.p1_after), (kb, ab, event.p2_after)):
                if new != old:
                    current[key], logged[key] = new, old
                elif key in current:
                    del current[key], logged[key]
        else:
            key = event.key
            counts.event(event)
            if key not in current:
                continue
            out.replayed += 1
            before = current[key]
            after = event.mmr_from(before)
            if (before, after) != (event.mmr_before, event.mmr_after):
                emit(EventRewrite(event.event_id, before, after))
                out.rewritten_events += 1
            if after != event.mmr_after:
                current[key], logged[key] = after, event.mmr_after
            else:
                del current[key], logged[key]
    if rewrite is None:
        out.rewrites = pending
    elif pending:
        rewrite(pending)

    for key, new in current.items():
        out.changes[key] = EntryChange(key, mmr=new - logged[key], logged_mmr=logged[key])
    counts.finish(out.changes, result, lambda key: log.last_played_before(key, match_id))
    return out


class _Counts:
    """What a correction does to its match's two entries' counts and last game.

    The corrected match's counts change until a later event sets that entry's counts, and
    its last game until one sets the last game too (a season reset keeps it)."""

    def __init__(self, m: LoggedMatch) -> None:
        self.m = m
        k1, k2 = m.key1, m.key2
        self.counts_live = {k1: True, k2: True}
        self.last_live = {k1: True, k2: True}
        self.later_last: dict[Key, datetime | None] = {k1: None, k2: None}

    def match(self, event: LoggedMatch) -> None:
        """A later match: its time, for the entries whose last game it may be."""
        if event.state == VOIDED:
            return
        last_live, later_last = self.last_live, self.later_last
        for key in (event.key1, event.key2):
            if last_live.get(key):
                seen = later_last[key]
                if seen is None or event.played_at > seen:
                    later_last[key] = event.played_at

    def event(self, event: StateEvent) -> None:
        """A later event: it may set the entry's counts (and last game) from then on."""
        key = event.key
        if event.sets_counts and key in self.counts_live:
            self.counts_live[key] = False
            if not event.keeps_last:
                self.last_live[key] = False

    def finish(
        self,
        changes: dict[Key, EntryChange],
        result: int | None,
        last_before: Callable[[Key], datetime | None],
    ) -> None:
        """Add the two entries' count and last-game changes to ``changes``;
        ``last_before(key)`` is the entry's last game in effect before the match."""
        m = self.m
        for key, side in ((m.key1, 1), (m.key2, 2)):
            change = changes.get(key) or EntryChange(key)
            won, lost, drawn = counts_of(m.result, side)
            if result is None and self.counts_live[key]:
                change.played -= 1
                change.won, change.lost, change.drawn = -won, -lost, -drawn
            elif result is not None and self.counts_live[key]:
                nwon, nlost, ndrawn = counts_of(result, side)
                change.won, change.lost, change.drawn = nwon - won, nlost - lost, ndrawn - drawn
            if result is None and self.last_live[key]:
                later = self.later_last[key]
                if later is None or later < m.played_at:
                    earlier = last_before(key)
                    old_last = _latest(_latest(earlier, later), m.played_at)
                    new_last = _latest(earlier, later)
                    if old_last != new_last:
                        change.last = (old_last, new_last)
            if not change.empty:
                changes[key] = change


def plan_replayed(
    events: Iterable[Event],
    match: LoggedMatch | None,
    match_id: int,
    result: int | None,
    rater: Glicko2Rater,
    rewrite: Callable[[list[Rewrite]], None] | None = None,
) -> Plan:
    """:func:`plan` for rules whose state the log does not keep (Glicko-2: the logged MMRs
    are not the rating, RD and volatility a game is rated from): ``events`` is the whole
    log from its start, replayed once as it stands and, for the entries the correction
    reaches, once as corrected; an entry leaves the reached set when its whole corrected
    state equals the uncorrected one again. Its other side of a later match is its
    uncorrected replayed state, so only what the correction reaches is rewritten."""
    m = check(match, match_id, result)
    k1, k2 = m.key1, m.key2
    start = rater.start()
    mmr = rater.mmr
    now: dict[Key, Glicko2State] = {}  # the log as it stands, every entry
    fixed: dict[Key, Glicko2State] = {}  # the corrected state, where it differs
    counts = _Counts(m)
    last_before: dict[Key, datetime | None] = {}
    pending: list[Rewrite] = []
    out: Plan | None = None

    def emit(item: Rewrite) -> None:
        pending.append(item)
        if len(pending) >= CHUNK and rewrite is not None:
            rewrite(pending[:])
            pending.clear()

    for event in events:
        if isinstance(event, LoggedMatch):
            ka, kb = event.key1, event.key2
            ua, ub = now.get(ka, start), now.get(kb, start)
            if event.state == VOIDED:
                na, nb = ua, ub
            else:
                na, nb = rater.rate(ua, ub, score(event.result), event.played_at)
            now[ka], now[kb] = na, nb
            if out is None:
                if event.match_id != match_id:
                    continue
                # The corrected match: what it is now, and what it becomes.
                last_before = {k1: ua.last, k2: ub.last}
                if result is None:
                    state, new_result, xa, xb = VOIDED, m.result, ua, ub
                else:
                    state, new_result = AMENDED, result
                    xa, xb = rater.rate(ua, ub, score(result), event.played_at)
                pair = MatchRewrite(match_id, mmr(ua), mmr(xa), mmr(ub), mmr(xb))
                out = Plan(m, state, new_result, pair)
                for key, x, n in ((ka, xa, na), (kb, xb, nb)):
                    if x != n:
                        fixed[key] = x
                continue
            counts.match(event)
            ina, inb = ka in fixed, kb in fixed
            if not (ina or inb):
                continue
            out.replayed += 1
            ca, cb = fixed.get(ka, ua), fixed.get(kb, ub)
            if event.state == VOIDED:
                xa, xb = ca, cb
            else:
                xa, xb = rater.rate(ca, cb, score(event.result), event.played_at)
            shown = (mmr(ca), mmr(xa), mmr(cb), mmr(xb))
            if shown != (event.p1_before, event.p1_after, event.p2_before, event.p2_after):
                emit(MatchRewrite(event.match_id, *shown))
                out.rewritten_matches += 1
            for key, x, n in ((ka, xa, na), (kb, xb, nb)):
                if x != n:
                    fixed[key] = x
                else:
                    fixed.pop(key, None)
        else:
            key = event.key
            u = now.get(key, start)
            n = now[key] = apply_event(rater, u, event)
            if out is None:
                continue
            counts.event(event)
            if key not in fixed:
                continue
            out.replayed += 1
            c = fixed[key]
            x = apply_event(rater, c, event)
            if (mmr(c), mmr(x)) != (event.mmr_before, event.mmr_after):
                emit(EventRewrite(event.event_id, mmr(c), mmr(x)))
                out.rewritten_events += 1
            if x != n:
                fixed[key] = x
            else:
                del fixed[key]
    if out is None:  # the log read does not hold the match it was checked to hold
        raise BadInput(f"unknown match {match_id}: no match with this id in the match log")
    if rewrite is None:
        out.rewrites = pending
    elif pending:
        rewrite(pending)
    for key, x in fixed.items():
        n = now[key]
        out.states[key] = x
        if mmr(x) != mmr(n):
            out.changes[key] = EntryChange(key, mmr=mmr(x) - mmr(n), logged_mmr=mmr(n))
    counts.finish(out.changes, result, lambda key: last_before.get(key))
    return out


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b


__all__ = [
    "CHUNK",
    "EntryChange",
    "EventLog",
    "EventRewrite",
    "ListedLog",
    "MatchRewrite",
    "Plan",
    "Planned",
    "Rewrite",
    "check",
    "plan",
    "plan_replayed",
]
