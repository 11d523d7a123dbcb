"""The correction planner against an independent from-scratch replay (hypothesis).

Random event logs (matches with all three results, resets with and without stats, every-
race resets expanded per entry as the flush logs them, adjustments, baselines) and random
sequences of voids and amends. After each correction the stored entries (the planner's
changes added to them) and every logged pair must equal a plain replay of the corrected
log written here, with nothing from the library but the Elo formula.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder_cli.domain.corrections import EventRewrite, MatchRewrite, Rewrite, plan
from ladder_cli.domain.events import LoggedMatch, StateEvent
from ladder_cli.domain.model import Entry
from ladder_cli.domain.rating import rate
from ladder_cli.util.errors import BadInput
from tests.helpers import Row

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
UIDS = [1, 2, 3, 4]
RACES = ["bw_terran", "bw_zerg"]
Key = tuple[int, str]


def reference(
    log: list[LoggedMatch | StateEvent],
) -> tuple[dict[Key, Row], dict[object, tuple[int, ...]]]:
    """Final rows and each event's pair(s), by a plain walk of the log in order."""
    rows: dict[Key, Row] = {}
    pairs: dict[object, tuple[int, ...]] = {}
    for ev in sorted(log, key=lambda e: e.position):
        if isinstance(ev, LoggedMatch):
            r1 = rows.setdefault((ev.p1_uid, ev.p1_race), Row())
            r2 = rows.setdefault((ev.p2_uid, ev.p2_race), Row())
            if ev.state == "voided":
                pairs["m", ev.match_id] = (r1.mmr, r1.mmr, r2.mmr, r2.mmr)
                continue
            s = {1: 1.0, 0: 0.5, 2: 0.0}[ev.result]
            a1, a2 = rate(r1.mmr, r2.mmr, s)
            pairs["m", ev.match_id] = (r1.mmr, a1, r2.mmr, a2)
            r1.mmr, r2.mmr = a1, a2
            for r, won, lost in (
                (r1, ev.result == 1, ev.result == 2),
                (r2, ev.result == 2, ev.result == 1),
            ):
                r.played += 1
                r.won += won
                r.lost += lost
                r.drawn += ev.result == 0
                r.last = ev.played_at if r.last is None else max(r.last, ev.played_at)
        else:
            r = rows.setdefault((ev.uid, ev.race), Row())
            before = r.mmr
            if ev.kind == "adjust":
                r.mmr += ev.amount
            else:
                r.mmr = ev.amount
            if ev.kind == "baseline" or (ev.kind == "reset" and not ev.keep_stats):
                r.played, r.won, r.lost, r.drawn, r.last = (
                    ev.played,
                    ev.won,
                    ev.lost,
                    ev.drawn,
                    ev.last,
                )
            pairs["e", ev.event_id] = (before, r.mmr)
    return rows, pairs


class MemoryLog:
    """The event log in lists, with the lookups a store answers."""

    def __init__(self, events: list[LoggedMatch | StateEvent]) -> None:
        self.events = sorted(events, key=lambda e: e.position)

    def match(self, match_id: int) -> LoggedMatch | None:
        for ev in self.events:
            if isinstance(ev, LoggedMatch) and ev.match_id == match_id:
                return replace(ev)
        return None

    def later(self, match_id: int) -> Iterator[LoggedMatch | StateEvent]:
        start = (match_id, 0, match_id)
        return (replace(ev) for ev in self.events if ev.position > start)

    def last_played_before(self, key: Key, match_id: int) -> datetime | None:
        last = None
        for ev in self.events:
            if ev.position >= (match_id, 0, match_id):
                break
            if isinstance(ev, LoggedMatch):
                if ev.state != "voided" and key in (ev.key1, ev.key2):
                    last = ev.played_at if last is None else max(last, ev.played_at)
            elif ev.key == key and ev.sets_counts:
                last = ev.last
        return last

    def apply(self, rewrites: list[Rewrite]) -> None:
        by_match = {r.match_id: r for r in rewrites if isinstance(r, MatchRewrite)}
        by_event = {r.event_id: r for r in rewrites if isinstance(r, EventRewrite)}
        for ev in self.events:
            if isinstance(ev, LoggedMatch) and ev.match_id in by_match:
                r = by_match[ev.match_id]
                ev.p1_before, ev.p1_after, ev.p2_before, ev.p2_after = (
                    r.p1_before, r.p1_after, r.p2_before, r.p2_after,
                )  # fmt: skip
            elif isinstance(ev, StateEvent) and ev.event_id in by_event:
                e = by_event[ev.event_id]
                ev.mmr_before, ev.mmr_after = e.mmr_before, e.mmr_after


keys = st.tuples(st.sampled_from(UIDS), st.sampled_from(RACES))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("match"), keys, keys, st.sampled_from([0, 1, 1, 2]), st.integers(0, 50)),
        st.tuples(st.just("reset"), st.sampled_from(UIDS), st.sampled_from([None, *RACES]),
                  st.integers(1000, 2000), st.booleans()),
        st.tuples(st.just("adjust"), keys, st.integers(-60, 60)),
        st.tuples(st.just("baseline"), keys, st.integers(1200, 1800), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=40,
)  # fmt: skip


def build(spec: list[tuple[object, ...]]) -> list[LoggedMatch | StateEvent]:
    """A consistent log from the steps: pairs as a replay logs them."""
    events: list[LoggedMatch | StateEvent] = []
    match_id, event_id = 0, 0
    for step in spec:
        kind = step[0]
        if kind == "match":
            _, k1, k2, result, minutes = step
            if k1[0] == k2[0]:  # type: ignore[index]
                continue
            match_id += 1
            events.append(
                LoggedMatch(match_id, EPOCH + timedelta(minutes=minutes), k1[0], k1[1],  # type: ignore[index, arg-type]
                            k2[0], k2[1], result, "recorded", 0, 0, 0, 0)  # type: ignore[index, arg-type]
            )  # fmt: skip
            continue
        rows, _ = reference(events)
        if kind == "reset":
            _, uid, race, mmr, keep = step
            targets = [k for k in rows if k[0] == uid and (race is None or k[1] == race)]
            for key in sorted(targets):
                event_id += 1
                events.append(
                    StateEvent(event_id, match_id, "reset", key[0], key[1], mmr, keep, 0, 0, EPOCH)
                )  # type: ignore[arg-type]
        elif kind == "adjust":
            _, key, amount = step
            if key in rows:
                event_id += 1
                events.append(
                    StateEvent(
                        event_id, match_id, "adjust", key[0], key[1], amount, True, 0, 0, EPOCH
                    )
                )  # type: ignore[index, arg-type]
        else:
            _, key, mmr, played = step
            event_id += 1
            events.append(
                StateEvent(event_id, match_id, "baseline", key[0], key[1], mmr, False, 0, 0, EPOCH,  # type: ignore[index, arg-type]
                           played, played, 0, 0, EPOCH + timedelta(minutes=played))  # type: ignore[arg-type]
            )  # fmt: skip
    # Fill in the logged pairs.
    _, pairs = reference(events)
    for ev in events:
        if isinstance(ev, LoggedMatch):
            ev.p1_before, ev.p1_after, ev.p2_before, ev.p2_after = pairs["m", ev.match_id]
        else:
            ev.mmr_before, ev.mmr_after = pairs["e", ev.event_id]
    return events


def stored_rows(rows: dict[Key, Row]) -> dict[Key, Entry]:
    return {
        k: Entry(k[0], k[1], f"P{k[0]}", r.mmr, r.played, r.won, r.lost, r.drawn, r.last)
        for k, r in rows.items()
    }


def as_row(e: Entry) -> Row:
    return Row(e.mmr, e.games_played, e.games_won, e.games_lost, e.games_drawn, e.last_played)


corrections = st.lists(st.tuples(st.integers(1, 40), st.sampled_from([None, 0, 1, 2])), max_size=6)


@settings(max_examples=300, deadline=None)
@given(steps, corrections)
def test_corrections_equal_a_replay_from_scratch(
    spec: list[tuple[object, ...]], fixes: list[tuple[int, int | None]]
) -> None:
    events = build(spec)
    log = MemoryLog(events)
    rows, _ = reference(log.events)
    stored = stored_rows(rows)
    for match_id, result in fixes:
        target = log.match(match_id)
        if target is None or target.state == "voided" or result == target.result:
            with pytest.raises(BadInput):
                plan(log, match_id, result, rate)
            continue
        rewrites: list[Rewrite] = []
        p = plan(log, match_id, result, rate, rewrites.extend)
        log.apply([p.pair, *rewrites])
        for ev in log.events:
            if isinstance(ev, LoggedMatch) and ev.match_id == match_id:
                ev.state, ev.result = p.state, p.result
        for key, change in p.changes.items():
            stored[key] = change.applied_to(stored[key])
        expected_rows, expected_pairs = reference(log.events)
        assert {k: as_row(e) for k, e in stored.items()} == {
            k: expected_rows.get(k, Row()) for k in stored
        }
        for ev in log.events:
            if isinstance(ev, LoggedMatch):
                got: tuple[int, ...] = (ev.p1_before, ev.p1_after, ev.p2_before, ev.p2_after)
                assert got == expected_pairs["m", ev.match_id], ev.match_id
            else:
                assert (ev.mmr_before, ev.mmr_after) == expected_pairs["e", ev.event_id]


def test_drifted_entry_gets_the_correction_as_a_delta() -> None:
    events = build([("match", (1, "bw_terran"), (2, "bw_zerg"), 1, 1),
                    ("match", (1, "bw_terran"), (3, "bw_zerg"), 1, 2)])  # fmt: skip
    log = MemoryLog(events)
    p = plan(log, 1, None, rate)
    change = p.changes[(2, "bw_zerg")]
    # An outside writer added 7 points and a game to P2 meanwhile: both stay.
    drifted = Entry(2, "bw_zerg", "P2", 1480 + 7, 2, 0, 2, 0, EPOCH + timedelta(minutes=9))
    after = change.applied_to(drifted)
    assert (after.mmr, after.games_played, after.games_lost) == (1507, 1, 1)
    assert after.last_played == drifted.last_played
