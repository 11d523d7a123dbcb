"""Integrity flags (:mod:`ladder_cli.domain.integrity`) over generated match logs.

The logs are :mod:`tests.integrity_logs`' (random play with patterns planted into it). A
brute-force reference of the four definitions, written from the module's documentation,
checks the engine on small random logs (hypothesis). All in process, no database.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder_cli.domain.events import LoggedMatch
from ladder_cli.domain.integrity import KINDS, Flag, IntegrityRules, find_flags
from ladder_cli.domain.model import Key, default_name, short_race
from ladder_cli.domain.runs import components
from tests.integrity_logs import (
    BISU,
    DAY,
    EPOCH,
    FEEDER_KEY,
    FLASH,
    HOUR,
    NEW_AT,
    PLANT_AT,
    SMURF,
    Game,
    active,
    build,
    in_time_order,
    planted_ids,
    random_play,
    with_feeder,
    with_newcomer,
    with_pair,
    with_sandbag,
)

RULES = IntegrityRules()


NAMES = {1000: "Flash", 1001: "Bisu", 2000: "Smurf", 2001: "Feeder"}


def label(key: Key) -> str:
    return f"{NAMES.get(key[0], default_name(key[0]))} {short_race(key[1])}"


def flags_of(flags: Iterable[Flag], kind: str, entries: tuple[Key, ...]) -> list[Flag]:
    return [f for f in flags if f.kind == kind and f.entries == entries]


# -- a brute-force reference ----------------------------------------------------------------


def _runs(
    times: Sequence[datetime], marked: Sequence[bool], least: int, share: Fraction, span: timedelta
) -> list[tuple[int, int]]:
    """Unions of overlapping qualifying runs, by trying every run."""
    found = []
    for i in range(len(times)):
        for j in range(i + least - 1, len(times)):
            if times[j] - times[i] > span:
                break
            if Fraction(sum(marked[i : j + 1]), j - i + 1) >= share:
                found.append((i, j))
    merged: list[list[int]] = []
    for i, j in sorted(found):
        if merged and i <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], j)
        else:
            merged.append([i, j])
    return [(i, j) for i, j in merged]


def _winner(m: LoggedMatch) -> Key | None:
    return m.key1 if m.result == 1 else m.key2 if m.result == 2 else None


def _loser(m: LoggedMatch) -> Key | None:
    return m.key2 if m.result == 1 else m.key1 if m.result == 2 else None


Seen = tuple[str, tuple[Key, ...], frozenset[int], datetime, datetime]


def reference(
    log: Sequence[LoggedMatch], rules: IntegrityRules, start_mmr: int = 1500
) -> set[Seen]:
    live = sorted(
        (m for m in log if m.state != "voided" and m.key1 != m.key2),
        key=lambda m: (m.played_at, m.match_id),
    )
    span = timedelta(days=rules.window_days)
    keys = sorted({k for m in live for k in (m.key1, m.key2)})
    out: set[Seen] = set()

    def add(
        kind: str,
        entries: tuple[Key, ...],
        ms: Sequence[LoggedMatch],
        first: LoggedMatch,
        last: LoggedMatch,
    ) -> None:
        out.add((kind, entries, frozenset(m.match_id for m in ms), first.played_at, last.played_at))

    pair_share = Fraction(str(rules.pair_share))
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            meet = [m for m in live if {m.key1, m.key2} == {a, b}]
            for w, l_ in ((a, b), (b, a)):
                won = [_winner(m) == w for m in meet]
                times = [m.played_at for m in meet]
                for s, e in _runs(times, won, rules.pair_games, pair_share, span):
                    add("pair", (w, l_), meet[s : e + 1], meet[s], meet[e])
    feeder_share = Fraction(str(rules.feeder_share))
    for x in keys:
        losses = [m for m in live if _loser(m) == x]
        for y in {_winner(m) for m in losses}:
            assert y is not None
            to_y = [_winner(m) == y for m in losses]
            times = [m.played_at for m in losses]
            for s, e in _runs(times, to_y, rules.feeder_losses, feeder_share, span):
                listed = [m for m, t in zip(losses[s : e + 1], to_y[s : e + 1], strict=True) if t]
                add("feeder", (x, y), listed, losses[s], losses[e])
    for x in keys:
        games = [m for m in live if x in (m.key1, m.key2)]

        def delta(m: LoggedMatch, x: Key = x) -> int:
            return m.p1_after - m.p1_before if m.key1 == x else m.p2_after - m.p2_before

        windows: list[list[int]] = []
        i = 0
        while i < len(games):
            if _loser(games[i]) != x:
                i += 1
                continue
            start = i
            while i < len(games) and _loser(games[i]) == x:
                i += 1
            drop = -sum(delta(m) for m in games[start:i])
            if i - start < rules.sandbag_streak or drop < rules.sandbag_drop:
                continue
            gain, best, peak = 0, 0, i - 1
            for k in range(i, len(games)):
                if games[k].played_at - games[i - 1].played_at > span:
                    break
                gain += delta(games[k])
                if gain > best:
                    best, peak = gain, k
            if best < rules.sandbag_regain:
                continue
            if windows and start <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], peak)
            else:
                windows.append([start, peak])
        for s, e in windows:
            add("sandbag", (x,), games[s : e + 1], games[s], games[e])
    for x in keys:
        first = [m for m in live if x in (m.key1, m.key2)][: rules.newcomer_games]
        own = [
            (m.p1_before, m.p2_before) if m.key1 == x else (m.p2_before, m.p1_before) for m in first
        ]
        if start_mmr is not None and own[0][0] != start_mmr:
            continue
        upsets = [
            m
            for m, (mine, theirs) in zip(first, own, strict=True)
            if _winner(m) == x and theirs - mine >= rules.newcomer_gap
        ]
        if len({m.key2 if m.key1 == x else m.key1 for m in upsets}) >= rules.newcomer_upsets:
            add("newcomer", (x,), upsets, first[0], first[-1])
    return out


def seen(flags: Iterable[Flag]) -> set[Seen]:
    return {(f.kind, f.entries, frozenset(f.matches), f.start, f.end) for f in flags}


# -- the engine against the reference (hypothesis) ------------------------------------------

SMALL_KEYS = [
    (1, "bw_terran"),
    (1, "bw_zerg"),
    (2, "bw_terran"),
    (3, "sc2_protoss"),
    (4, "bw_zerg"),
]
shares = st.sampled_from([0.25, 0.5, 0.6, 2 / 3, 0.75, 0.8, 1.0])


@st.composite
def small_logs(draw: st.DrawFn) -> list[LoggedMatch]:
    """Up to 60 matches among five entries over ten days (application order is not
    played order), some voided, some amended."""
    n = draw(st.integers(0, 60))
    games = []
    for _ in range(n):
        a, b = draw(st.lists(st.sampled_from(SMALL_KEYS), min_size=2, max_size=2, unique=True))
        hours = draw(st.integers(0, 240))
        games.append(Game(EPOCH + hours * HOUR, a, b, draw(st.sampled_from([1, 1, 2, 2, 0]))))
    if draw(st.booleans()):
        games.sort(key=lambda g: g.at)
    ids = st.integers(1, max(1, n))
    voided = draw(st.sets(ids, max_size=3)) if n else set()
    amended = draw(st.dictionaries(ids, st.sampled_from([0, 1, 2]), max_size=3)) if n else {}
    amended = {k: v for k, v in amended.items() if k not in voided}
    return build(games, voided=voided, amended=amended)


@st.composite
def small_rules(draw: st.DrawFn) -> IntegrityRules:
    games = draw(st.integers(1, 5))
    return IntegrityRules(
        window_days=draw(st.integers(1, 4)),
        pair_games=draw(st.integers(1, 6)),
        pair_share=draw(shares),
        feeder_losses=draw(st.integers(1, 6)),
        feeder_share=draw(shares),
        sandbag_streak=draw(st.integers(1, 5)),
        sandbag_drop=draw(st.integers(1, 80)),
        sandbag_regain=draw(st.integers(1, 80)),
        newcomer_games=games,
        newcomer_upsets=draw(st.integers(1, games)),
        newcomer_gap=draw(st.integers(0, 60)),
    )


@settings(max_examples=150, deadline=None)
@given(small_logs(), small_rules())
def test_the_engine_finds_exactly_what_the_definitions_say(
    log: list[LoggedMatch], rules: IntegrityRules
) -> None:
    assert seen(find_flags(log, rules)) == reference(log, rules)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 50), max_size=40).map(sorted),
    st.data(),
    st.integers(1, 6),
    shares,
    st.integers(0, 20),
)
def test_runs_are_the_unions_of_every_qualifying_run(
    times: list[int], data: st.DataObject, least: int, share: float, span: int
) -> None:
    marked = data.draw(st.lists(st.booleans(), min_size=len(times), max_size=len(times)))
    frac = Fraction(str(share))
    got = components(
        times, marked, least=least, num=frac.numerator, den=frac.denominator, span=span
    )
    stamps = [EPOCH + timedelta(seconds=t) for t in times]
    assert got == _runs(stamps, marked, least, frac, timedelta(seconds=span))


def test_a_match_against_oneself_is_left_out() -> None:
    games = [Game(EPOCH + i * HOUR, FLASH, BISU, 1) for i in range(10)]
    log = build(games)
    log.insert(3, replace(log[3], match_id=99, p2_uid=FLASH[0], p2_race=FLASH[1]))
    (flag,) = flags_of(find_flags(log), "pair", (FLASH, BISU))
    assert 99 not in flag.matches and len(flag.matches) == 10


# -- planted into random play --------------------------------------------------------------


@pytest.fixture(scope="module")
def play() -> list[Game]:
    """A ladder wide enough to have entries 300 above a newcomer (the top of the narrower
    one of the false-positive test is about 290 above the start at day 45)."""
    return random_play(7, spread=320)


def test_win_trading_is_flagged_with_all_its_matches(play: list[Game]) -> None:
    games = with_pair(play, "BAAAAAAAAAAA")
    flags = find_flags(build(games), label=label)
    (flag,) = flags_of(flags, "pair", (FLASH, BISU))
    assert set(flag.matches) == set(planted_ids(games))
    assert flag.reason == "Flash BW T beat Bisu BW P 11 of 12 times in 5 days"
    when = [g.at for g in games if g.planted]
    assert (flag.start, flag.end) == (PLANT_AT, when[-1])
    assert timedelta(days=4) < when[-1] - PLANT_AT <= timedelta(days=4.25)


def test_win_trading_recorded_late_is_found_in_played_order(play: list[Game]) -> None:
    """Planted matches applied after all the others (``record --at`` a week later)."""
    plant = [g for g in with_pair(play, "AAAAAAAAAA") if g.planted]
    games = [*play, *plant]
    (flag,) = flags_of(find_flags(build(games)), "pair", (FLASH, BISU))
    assert set(flag.matches) >= set(planted_ids(games))


@pytest.mark.parametrize(
    ("winners", "why"),
    [
        ("AAAAAAAAA", "one meeting fewer than pair_games"),
        ("AABAAABAAB", "7 of 10: a share below pair_share"),
        ("AAAADAAABB", "7 wins and a draw of 10: a draw is no win"),
    ],
)
def test_trading_just_under_a_threshold_is_not_flagged(
    play: list[Game], winners: str, why: str
) -> None:
    flags = find_flags(build(with_pair(play, winners)))
    assert not flags_of(flags, "pair", (FLASH, BISU)), why
    assert not flags_of(flags, "pair", (BISU, FLASH)), why


def test_trading_at_the_threshold_is_flagged(play: list[Game]) -> None:
    games = with_pair(play, "ABAAAABAAA")  # 8 of 10: exactly pair_share
    (flag,) = flags_of(find_flags(build(games)), "pair", (FLASH, BISU))
    assert set(flag.matches) == set(planted_ids(games))


def test_trading_spread_over_more_than_the_window_is_not_flagged(play: list[Game]) -> None:
    flags = find_flags(build(with_pair(play, "A" * 10, days=9.5)))
    assert not flags_of(flags, "pair", (FLASH, BISU))


@pytest.mark.parametrize(("kind", "games"), [("pair", 10), ("feeder", 8)])
@pytest.mark.parametrize("share", [0.8, 1.0])
def test_the_window_holds_games_exactly_window_days_apart(
    kind: str, games: int, share: float
) -> None:
    """Just enough games, the first and last exactly seven days apart, then a second more."""
    entries = (FLASH, BISU) if kind == "pair" else (BISU, FLASH)
    rules = replace(RULES, pair_share=share, feeder_share=share)
    for late, flagged in ((timedelta(0), True), (timedelta(seconds=1), False)):
        step = timedelta(seconds=7 * 86_400 // (games - 1))
        at = [EPOCH + i * step for i in range(games - 1)] + [EPOCH + 7 * DAY + late]
        log = build([Game(t, FLASH, BISU, 1) for t in at])
        found = flags_of(find_flags(log, rules), kind, entries)
        assert bool(found) == flagged, late
        if flagged:
            assert len(found[0].matches) == games


def test_voiding_the_planted_matches_removes_the_flag(play: list[Game]) -> None:
    games = with_pair(play, "BAAAAAAAAAAA")
    planted = planted_ids(games)
    assert flags_of(find_flags(build(games)), "pair", (FLASH, BISU))
    assert not flags_of(find_flags(build(games, voided=planted)), "pair", (FLASH, BISU))
    # Voiding three of its wins leaves 8 of 9 meetings: under pair_games.
    after = find_flags(build(games, voided=planted[1:4]))
    assert not flags_of(after, "pair", (FLASH, BISU))


def test_amending_one_match_changes_the_reason_not_the_id(play: list[Game]) -> None:
    games = with_pair(play, "BAAAAAAAAAAA")
    (before,) = flags_of(find_flags(build(games), label=label), "pair", (FLASH, BISU))
    amended = build(games, amended={planted_ids(games)[5]: 2})
    (after,) = flags_of(find_flags(amended, label=label), "pair", (FLASH, BISU))
    assert after.reason == "Flash BW T beat Bisu BW P 10 of 12 times in 5 days"
    assert after.reason != before.reason
    assert after.flag == before.flag
    assert after.matches == before.matches


def test_a_feeder_is_flagged_with_all_its_losses(play: list[Game]) -> None:
    games = with_feeder(play, 9)
    main = active(play, PLANT_AT, 1, top=True)[0]
    flags = find_flags(build(games), label=label)
    (flag,) = flags_of(flags, "feeder", (FEEDER_KEY, main))
    assert set(flag.matches) == set(planted_ids(games))
    assert flag.reason == f"Feeder BW Z lost 9 of its 9 losses in 4 days to {label(main)}"


def test_a_feeder_diluted_by_other_losses_is_counted_with_them(play: list[Game]) -> None:
    games = with_feeder(play, 6, to_others=4)  # 6 of 10: at feeder_share
    main = active(play, PLANT_AT, 1, top=True)[0]
    (flag,) = flags_of(find_flags(build(games), label=label), "feeder", (FEEDER_KEY, main))
    to_main = [i for i, g in enumerate(games, start=1) if g.planted and g.p1 == main]
    assert set(flag.matches) == set(to_main)
    assert flag.reason.startswith("Feeder BW Z lost 6 of its 10 losses in 4 days to ")


@pytest.mark.parametrize(
    ("to_main", "to_others", "why"),
    [(7, 0, "one loss fewer than feeder_losses"), (4, 4, "4 of 8: a share below feeder_share")],
)
def test_feeding_just_under_a_threshold_is_not_flagged(
    play: list[Game], to_main: int, to_others: int, why: str
) -> None:
    flags = find_flags(build(with_feeder(play, to_main, to_others)))
    assert not [f for f in flags if f.kind == "feeder" and f.entries[0] == FEEDER_KEY], why


def _sandbag_figures(log: Sequence[LoggedMatch], x: Key) -> tuple[int, int, int]:
    """The planted streak's length and MMR lost, and the most won back in the week after,
    read from the logged pairs."""
    mine = sorted((m for m in log if x in (m.key1, m.key2)), key=lambda m: m.played_at)

    def delta(m: LoggedMatch) -> int:
        return m.p1_after - m.p1_before if m.key1 == x else m.p2_after - m.p2_before

    streak = [m for m in mine if PLANT_AT <= m.played_at < PLANT_AT + DAY]
    after = [m for m in mine if PLANT_AT + DAY <= m.played_at <= streak[-1].played_at + 7 * DAY]
    gains = [sum(delta(m) for m in after[: i + 1]) for i in range(len(after))]
    return len(streak), -sum(delta(m) for m in streak), max(gains)


def test_a_sandbagger_is_flagged_with_the_streak_and_the_regain(play: list[Game]) -> None:
    games, x = with_sandbag(play, 10, 6)
    log = build(games)
    lost, drop, regain = _sandbag_figures(log, x)
    assert lost == 10  # the plant holds
    assert drop >= RULES.sandbag_drop and regain >= RULES.sandbag_regain
    (flag,) = flags_of(find_flags(log, label=label), "sandbag", (x,))
    assert set(flag.matches) == set(planted_ids(games))
    assert flag.reason == (
        f"{label(x)} lost 10 in a row, {drop} MMR, then won back {regain} within 3 days"
    )


def test_sandbagging_just_under_each_threshold_is_not_flagged(play: list[Game]) -> None:
    games, x = with_sandbag(play, 10, 6)
    log = build(games)
    lost, drop, regain = _sandbag_figures(log, x)
    exact = replace(RULES, sandbag_streak=lost, sandbag_drop=drop, sandbag_regain=regain)
    assert flags_of(find_flags(log, exact), "sandbag", (x,))
    for key, value in (
        ("sandbag_streak", lost),
        ("sandbag_drop", drop),
        ("sandbag_regain", regain),
    ):
        above = replace(exact, **{key: value + 1})
        assert not flags_of(find_flags(log, above), "sandbag", (x,)), key


def test_the_regain_ends_at_the_first_game_of_its_peak() -> None:
    """Logged pairs written by hand: 3 losses (60 MMR), then +30, -10, +10, -5."""
    x, y = FLASH, BISU
    changes = [-20, -20, -20, 30, -10, 10, -5]
    log, mmr = [], 1500
    for i, change in enumerate(changes, start=1):
        at = EPOCH + i * HOUR
        result = 1 if change > 0 else 2
        log.append(LoggedMatch(i, at, *x, *y, result, "recorded", mmr, mmr + change, 1500, 1500))
        mmr += change
    rules = replace(RULES, sandbag_streak=3, sandbag_drop=60, sandbag_regain=30)
    (flag,) = flags_of(find_flags(log, rules), "sandbag", (x,))
    assert flag.matches == (1, 2, 3, 4)
    assert flag.reason.endswith("lost 3 in a row, 60 MMR, then won back 30 within 1 day")


def test_a_draw_ends_a_losing_streak(play: list[Game]) -> None:
    games, x = with_sandbag(play, 12, 6, draw_at=6)  # 6 losses, a draw, 5 losses
    assert not flags_of(find_flags(build(games)), "sandbag", (x,))


def test_a_regain_after_the_window_does_not_count(play: list[Game]) -> None:
    games, x = with_sandbag(play, 10, 6)
    late = [replace(g, at=g.at + 8 * DAY) if g.planted and g.result == 2 else g for g in games]
    assert not flags_of(find_flags(build(in_time_order(late))), "sandbag", (x,))


def test_a_smurf_is_flagged_with_its_upsets(play: list[Game]) -> None:
    games = with_newcomer(play, 4)
    log = build(games)
    upsets = [m for m in log if m.key2 == SMURF and m.result == 2]
    gaps = [m.p1_before - m.p2_before for m in upsets]
    assert len(upsets) == 4 and min(gaps) >= RULES.newcomer_gap  # the plant holds
    (flag,) = flags_of(find_flags(log, label=label), "newcomer", (SMURF,))
    assert set(flag.matches) == {m.match_id for m in upsets}
    assert flag.reason == (
        f"Smurf BW Z beat 4 opponents rated {min(gaps)} to {max(gaps)} above it "
        "in its first 5 games"
    )
    assert (flag.start, flag.end) == (NEW_AT, NEW_AT + 12 * HOUR)


def test_a_newcomer_just_under_a_threshold_is_not_flagged(play: list[Game]) -> None:
    assert not flags_of(find_flags(build(with_newcomer(play, 3))), "newcomer", (SMURF,))
    log = build(with_newcomer(play, 4))
    gap = min(m.p1_before - m.p2_before for m in log if m.key2 == SMURF and m.result == 2)
    assert flags_of(find_flags(log, replace(RULES, newcomer_gap=gap)), "newcomer", (SMURF,))
    below = replace(RULES, newcomer_gap=gap + 1)
    assert not flags_of(find_flags(log, below), "newcomer", (SMURF,))


def test_upsets_count_different_opponents(play: list[Game]) -> None:
    log = build(with_newcomer(play, 4, twice=True))
    upsets = [m for m in log if m.key2 == SMURF and m.result == 2]
    assert len(upsets) == 4 and len({m.key1 for m in upsets}) == 3
    gap = min(m.p1_before - m.p2_before for m in upsets)
    rules = replace(RULES, newcomer_gap=gap)
    assert not flags_of(find_flags(log, rules), "newcomer", (SMURF,))
    three = replace(rules, newcomer_upsets=3)
    (flag,) = flags_of(find_flags(log, three), "newcomer", (SMURF,))
    assert set(flag.matches) == {m.match_id for m in upsets}


def test_a_draw_is_no_upset() -> None:
    """Logged pairs written by hand: a newcomer at 1500 wins against three entries rated
    1900 and one rated 1500, and draws with a fourth rated 1900."""
    opponents = [((10 + i, "bw_zerg"), 1900) for i in range(3)] + [((20, "bw_zerg"), 1500)]
    opponents.append(((13, "bw_zerg"), 1900))

    def log(last: int) -> list[LoggedMatch]:
        results = [1, 1, 1, 1, last]
        return [
            LoggedMatch(i + 1, EPOCH + i * HOUR, *SMURF, *k, r, "recorded", 1500, 1500, m, m)
            for i, ((k, m), r) in enumerate(zip(opponents, results, strict=True))
        ]

    assert not flags_of(find_flags(log(0)), "newcomer", (SMURF,))
    assert flags_of(find_flags(log(1)), "newcomer", (SMURF,))


def test_an_entry_older_than_the_log_is_no_newcomer(play: list[Game]) -> None:
    log = build(with_newcomer(play, 4))
    shifted = [
        replace(m, p2_before=m.p2_before + 1) if m.key2 == SMURF and m.played_at == NEW_AT else m
        for m in log
    ]
    assert not flags_of(find_flags(shifted), "newcomer", (SMURF,))
    assert flags_of(find_flags(shifted, start_mmr=None), "newcomer", (SMURF,))


# -- ids, since, dismissed ------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(play: list[Game]) -> list[Game]:
    games = with_pair(play, "BAAAAAAAAAAA")
    games = with_feeder(games, 9)
    games = with_newcomer(games, 4)
    return with_sandbag(games, 10, 6)[0]


def test_every_kind_planted_together_is_found(planted: list[Game]) -> None:
    kinds = Counter(
        f.kind for f in find_flags(build(planted)) if set(f.matches) & set(planted_ids(planted))
    )
    assert set(kinds) == set(KINDS)


def test_ids_are_stable_across_runs_input_order_and_later_matches(planted: list[Game]) -> None:
    log = build(planted)
    first = {f.flag: f for f in find_flags(log)}
    assert {f.flag for f in find_flags(list(reversed(log)))} == set(first)
    assert {f.flag for f in find_flags(log, label=label)} == set(first)
    assert all(len(f) == 10 and int(f, 16) >= 0 for f in first)
    later = random_play(99, days=20)  # the same players, from the day after the log ends
    shifted = [replace(g, at=g.at + 61 * DAY) for g in later]
    again = {f.flag: f for f in find_flags(build([*planted, *shifted]))}
    assert set(first) <= set(again)
    for fid, flag in first.items():
        if flag.end < EPOCH + 50 * DAY:
            assert again[fid].matches == flag.matches


def test_more_of_a_pattern_later_keeps_its_id(play: list[Game]) -> None:
    games = with_pair(play, "BAAAAAAAAAAA")
    (flag,) = flags_of(find_flags(build(games)), "pair", (FLASH, BISU))
    more = [Game(PLANT_AT + 5 * DAY + i * HOUR, FLASH, BISU, 1, True) for i in range(3)]
    (grown,) = flags_of(find_flags(build(in_time_order(games + more))), "pair", (FLASH, BISU))
    assert grown.flag == flag.flag
    assert len(grown.matches) == len(flag.matches) + 3


def test_since_keeps_the_flags_whose_window_ends_then_or_later(planted: list[Game]) -> None:
    flags = find_flags(build(planted))
    cut = sorted(f.end for f in flags)[len(flags) // 2]
    kept = find_flags(build(planted), since=cut)
    assert {f.flag for f in kept} == {f.flag for f in flags if f.end >= cut}
    assert kept and len(kept) < len(flags)


def test_dismissed_flags_are_hidden_unless_all_are_asked_for(planted: list[Game]) -> None:
    flags = find_flags(build(planted))
    gone = {flags[0].flag, "0123456789"}
    shown = find_flags(build(planted), dismissed=gone)
    assert [f.flag for f in shown] == [f.flag for f in flags[1:]]
    every = find_flags(build(planted), dismissed=gone, include_dismissed=True)
    assert [(f.flag, f.dismissed) for f in every] == [
        (f.flag, f.flag == flags[0].flag) for f in flags
    ]


def test_flags_come_grouped_by_kind_newest_first(planted: list[Game]) -> None:
    flags = find_flags(build(planted))
    ranks = [KINDS.index(f.kind) for f in flags]
    assert ranks == sorted(ranks)
    for kind in KINDS:
        ends = [f.end for f in flags if f.kind == kind]
        assert ends == sorted(ends, reverse=True)


def test_names_are_asked_once_for_the_players_of_the_flags_reported(
    planted: list[Game],
) -> None:
    log = build(planted)
    asked: list[set[int]] = []

    def names(uids: Iterable[int]) -> dict[int, str]:
        asked.append(set(uids))
        return {uid: name for uid, name in NAMES.items() if uid in asked[-1]}

    cut = PLANT_AT + 10 * DAY
    flags = find_flags(log, since=cut, names=names)
    assert len(asked) == 1
    assert asked[0] == {uid for f in flags for uid, _ in f.entries}
    assert [f.reason for f in flags] == [f.reason for f in find_flags(log, since=cut, label=label)]
    assert any("Smurf BW Z" in f.reason for f in flags)


def test_a_flag_as_json_has_the_contract_keys(planted: list[Game]) -> None:
    flag = flags_of(find_flags(build(planted)), "pair", (FLASH, BISU))[0]
    data = flag.as_dict({FLASH[0]: "Flash"})
    assert set(data) >= {"flag", "kind", "entries", "from", "to", "matches", "reason"}
    assert data["entries"] == [
        {"discord_uid": 1000, "race": "bw_terran", "player_name": "Flash"},
        {"discord_uid": 1001, "race": "bw_protoss", "player_name": "Player1001"},
    ]
    assert data["from"] == "2026-01-31T00:00:00+00:00"
    assert data["matches"] == list(flag.matches)


# -- random play raises few flags ------------------------------------------------------------


def test_random_play_raises_few_flags() -> None:
    """20 logs of 60 players over 60 days (seeds 0 to 19) with the contract's thresholds:
    the issue wants at most two flags a log. These 20 logs raise 39 (1.95 a log: 38
    sandbags and one feeder). Nearly every flag of random play is a sandbag: an even
    player's eight losses in a row cost about 160 MMR under K 40, and regression to the
    mean wins most of it back within days (a log of 60 players holds some 60 losing
    streaks of eight or more, mostly of weak entries whose losses cost less than 150).
    Over seeds 0 to 199 the mean is 1.66 a log, and the means of ten blocks of 20 seeds
    range from 1.25 to 2.15: another choice of 20 seeds could land above two."""
    per_log = [Counter(f.kind for f in find_flags(build(random_play(seed)))) for seed in range(20)]
    total = [sum(c.values()) for c in per_log]
    assert statistics.mean(total) <= 2
    others = sum(c[k] for c in per_log for k in ("pair", "feeder", "newcomer"))
    assert others <= 2
