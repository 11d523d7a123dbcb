"""Match logs made for the integrity tests: random play (each entry has a hidden strength,
the winner is drawn with Elo's probability, players join over the weeks and play a few games
a day against random opponents), and patterns planted into it. MMRs come from the
contract's Elo (:func:`tests.helpers.elo`) replayed in application order, voided matches
logged as the ladder logs them (before = after) and amended ones rated with their new
result. The engine's tests (tests/test_integrity.py) use the logs in process; the report's
(tests/test_integrity_report.py) record them through the ladder."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ladder_cli.domain.events import LoggedMatch
from ladder_cli.domain.model import Key
from tests.helpers import elo

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
SCORE = {1: 1.0, 2: 0.0, 0: 0.5}


# -- logs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Game:
    """A match as played: P1, P2, the result (1 P1 won, 2 P2 won, 0 draw)."""

    at: datetime
    p1: Key
    p2: Key
    result: int
    planted: bool = False


def build(
    games: Sequence[Game],
    *,
    voided: Iterable[int] = (),
    amended: dict[int, int] | None = None,
) -> list[LoggedMatch]:
    """The match log of ``games`` applied in list order (match ids 1, 2, ...)."""
    gone, changed = set(voided), amended or {}
    mmr: dict[Key, int] = {}
    log = []
    for match_id, g in enumerate(games, start=1):
        b1, b2 = mmr.get(g.p1, 1500), mmr.get(g.p2, 1500)
        if match_id in gone:
            log.append(
                LoggedMatch(match_id, g.at, *g.p1, *g.p2, g.result, "voided", b1, b1, b2, b2)
            )
            continue
        result = changed.get(match_id, g.result)
        a1, a2 = elo(b1, b2, SCORE[result])
        mmr[g.p1], mmr[g.p2] = a1, a2
        state = "amended" if match_id in changed else "recorded"
        log.append(LoggedMatch(match_id, g.at, *g.p1, *g.p2, result, state, b1, a1, b2, a2))
    return log


def random_play(seed: int, *, players: int = 60, days: int = 60, spread: float = 200) -> list[Game]:
    """Two thirds of the players there from the start, the rest joining in the first
    three quarters; each plays 1 to 5 games a day on average (random opponents among
    those who joined), 3% draws, the winner drawn with Elo's probability of the hidden
    strengths (normal, standard deviation ``spread``)."""
    rng = random.Random(seed)
    races = ("bw_terran", "bw_zerg", "bw_protoss")
    people = []
    for i in range(players):
        mine = rng.sample(races, rng.choice((1, 1, 2)))
        joined = 0.0 if i < players * 2 // 3 else rng.uniform(0, days * 0.75)
        strength = {race: rng.gauss(0, spread) for race in mine}
        people.append((1000 + i, mine, joined * 86_400, strength, rng.uniform(1, 5)))
    games = []
    for uid, mine, joined, strength, per_day in people:
        t = joined
        while True:
            t += rng.expovariate(per_day / 2 / 86_400)  # half the games are the others'
            if t > days * 86_400:
                break
            other = rng.choice([p for p in people if p[0] != uid and p[2] <= t])
            r1, r2 = rng.choice(mine), rng.choice(other[1])
            p = 1 / (1 + 10 ** ((other[3][r2] - strength[r1]) / 400))
            result = 0 if rng.random() < 0.03 else 1 if rng.random() < p else 2
            games.append(Game(EPOCH + timedelta(seconds=int(t)), (uid, r1), (other[0], r2), result))
    games.sort(key=lambda g: g.at)
    return games


def quiet(games: Iterable[Game], keys: Iterable[Key], start: datetime, end: datetime) -> list[Game]:
    """``games`` without those of ``keys`` played from ``start`` to ``end``."""
    ks = set(keys)
    return [g for g in games if not (start <= g.at <= end and ks & {g.p1, g.p2})]


def ratings(games: Sequence[Game], at: datetime) -> dict[Key, int]:
    """Every entry's MMR after the games played before ``at``."""
    mmr: dict[Key, int] = {}
    for m in build([g for g in games if g.at < at]):
        mmr[m.key1], mmr[m.key2] = m.p1_after, m.p2_after
    return mmr


def planted_ids(games: Sequence[Game]) -> list[int]:
    return [i for i, g in enumerate(games, start=1) if g.planted]


def in_time_order(games: Iterable[Game]) -> list[Game]:
    return sorted(games, key=lambda g: g.at)


# -- planted patterns -----------------------------------------------------------------------

FLASH, BISU = (1000, "bw_terran"), (1001, "bw_protoss")
PLANT_AT = EPOCH + 30 * DAY


def with_pair(
    base: Sequence[Game], winners: str, *, a: Key = FLASH, b: Key = BISU, days: float = 4.25
) -> list[Game]:
    """``base`` with A and B meeting once per letter of ``winners`` ("A" or "B" won, "D"
    drawn) over ``days``, and none of their other meetings within twenty days of it."""
    start, span = PLANT_AT, timedelta(days=days)
    step = timedelta(seconds=span.total_seconds() // max(1, len(winners) - 1))
    kept = [g for g in base if not ({g.p1, g.p2} == {a, b} and abs(g.at - start) < 20 * DAY)]
    code = {"A": 1, "B": 2, "D": 0}
    plant = [Game(start + i * step, a, b, code[w], True) for i, w in enumerate(winners)]
    return in_time_order(kept + plant)


def active(base: Sequence[Game], at: datetime, count: int, *, top: bool) -> list[Key]:
    """The ``count`` highest (or lowest) rated entries at ``at`` that played in the week
    before it."""
    mmr = ratings(base, at)
    recent = {k for g in base if at - 7 * DAY <= g.at < at for k in (g.p1, g.p2)}
    return sorted(recent, key=lambda k: mmr[k], reverse=top)[:count]


FEEDER_KEY = (2001, "bw_zerg")


def with_feeder(base: Sequence[Game], to_main: int, to_others: int = 0) -> list[Game]:
    """A fresh feeder account that loses ``to_main`` games to one entry and ``to_others``
    to other entries within four days (interleaved), and plays nothing else."""
    main, *others = active(base, PLANT_AT, 1 + to_others, top=True)
    order = [main] * to_main
    for i, other in enumerate(others):
        order.insert(min(len(order), 1 + 2 * i), other)
    step = timedelta(seconds=4 * 86_400 // max(1, len(order) - 1))
    plant = [Game(PLANT_AT + i * step, k, FEEDER_KEY, 1, True) for i, k in enumerate(order)]
    return in_time_order([*base, *plant])


def with_sandbag(
    base: Sequence[Game], losses: int, wins: int, *, draw_at: int = -1
) -> tuple[list[Game], Key]:
    """One active entry loses ``losses`` in a row in a day (to the weakest active entries;
    a draw instead at index ``draw_at``), then wins ``wins`` in the next three days (against
    the strongest); it plays nothing else from the day before to ten days after."""
    x = active(base, PLANT_AT, 30, top=True)[15]  # a middling entry
    weak = [k for k in active(base, PLANT_AT, 10, top=False) if k != x]
    strong = [k for k in active(base, PLANT_AT, 10, top=True) if k != x]
    kept = quiet(base, [x], PLANT_AT - DAY, PLANT_AT + 10 * DAY)
    plant = [Game(PLANT_AT - 12 * HOUR, x, weak[0], 1)]  # a win before: the streak starts here
    for i in range(losses):
        result = 0 if i == draw_at else 1
        at = PLANT_AT + timedelta(seconds=i * 86_400 // losses)
        plant.append(Game(at, weak[i % len(weak)], x, result, True))
    for i in range(wins):
        at = PLANT_AT + DAY + timedelta(seconds=i * 3 * 86_400 // wins)
        plant.append(Game(at, strong[i % len(strong)], x, 2, True))
    return in_time_order(kept + plant), x


SMURF = (2000, "bw_zerg")
NEW_AT = EPOCH + 45 * DAY


def with_newcomer(base: Sequence[Game], upsets: int, *, twice: bool = False) -> list[Game]:
    """A fresh entry whose first five games (in a day, from day 45) are a loss to a weak
    entry, then ``upsets`` wins over the strongest entries (weakest of them first; with
    ``twice`` the last one is the one before again), then losses to weak entries."""
    strong = list(reversed(active(base, NEW_AT, upsets, top=True)))
    if twice:
        strong[-1] = strong[-2]
    weak = active(base, NEW_AT, 5, top=False)
    order = [(weak[0], 1)] + [(k, 2) for k in strong] + [(w, 1) for w in weak[1 : 5 - upsets]]
    plant = [Game(NEW_AT + i * 3 * HOUR, k, SMURF, r, True) for i, (k, r) in enumerate(order)]
    return in_time_order([*base, *plant])
