"""Planning a switch of rules (``ladder rules use``): every event of the log replayed under
the new rules, beside the replay under the current ones.

Ratings are the replay of the log (:mod:`ladder_cli.domain.replay`), so new rules mean a new
replay from the first event: every logged before/after pair the new rules change is handed to
``rewrite`` in chunks, and each entry's change is the new replay's final MMR less the current
replay's. A store applies it as a correction's change is applied, a delta on what it holds:
an entry that matched the log ends exactly at the new replay, one an outside writer changed
(drift) keeps that change on top. The counts and last games are the same under any rules.
Under Glicko-2 rules every replayed entry's state is kept too, to be stored beside its row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ladder_cli.domain.corrections import CHUNK, EntryChange, EventRewrite, MatchRewrite, Rewrite
from ladder_cli.domain.events import Event, LoggedMatch
from ladder_cli.domain.glicko2 import Glicko2State
from ladder_cli.domain.model import Key
from ladder_cli.domain.replay import Replay
from ladder_cli.domain.rules import Rules


@dataclass
class SwitchPlan:
    """A switch worked out: the rules before and after, and what changes."""

    old: Rules
    new: Rules
    changes: dict[Key, EntryChange] = field(default_factory=dict)
    #: Under new Glicko-2 rules: every replayed entry's state.
    states: dict[Key, Glicko2State] = field(default_factory=dict)
    matches: int = 0
    events: int = 0
    rewritten_matches: int = 0
    rewritten_events: int = 0


def plan_switch(
    events: Iterable[Event],
    old: Rules,
    new: Rules,
    rewrite: Callable[[list[Rewrite]], None] | None = None,
) -> SwitchPlan:
    """Replay ``events`` (the whole log, in order) under ``old`` and ``new`` rules at once:
    the pairs the new replay logs differently go to ``rewrite``, the entries' changes and
    (under Glicko-2) states come back."""
    now, then = Replay.with_rules(old), Replay.with_rules(new)
    out = SwitchPlan(old, new)
    pending: list[Rewrite] = []

    def emit(item: Rewrite) -> None:
        pending.append(item)
        if len(pending) >= CHUNK and rewrite is not None:
            rewrite(pending[:])
            pending.clear()

    for event in events:
        now.apply(event)
        pair = then.apply(event)
        if isinstance(event, LoggedMatch):
            out.matches += 1
            logged: tuple[int, ...] = (
                event.p1_before, event.p1_after, event.p2_before, event.p2_after,
            )  # fmt: skip
            if pair != logged:
                emit(MatchRewrite(event.match_id, *pair))
                out.rewritten_matches += 1
        else:
            out.events += 1
            if pair != (event.mmr_before, event.mmr_after):
                emit(EventRewrite(event.event_id, *pair))
                out.rewritten_events += 1
    if pending and rewrite is not None:
        rewrite(pending)
    for key, standing in then.standings.items():
        before = now.standings[key].mmr
        if standing.mmr != before:
            out.changes[key] = EntryChange(key, mmr=standing.mmr - before, logged_mmr=before)
        if standing.state is not None:
            out.states[key] = standing.state
    return out


__all__ = ["SwitchPlan", "plan_switch"]
