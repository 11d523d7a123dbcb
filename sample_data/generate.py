#!/usr/bin/env python3
"""Generate ``sample_data/matches.csv``: a deterministic, realistic sample ladder.

The file is in the "Matches CSV" format of the design contract::

    p1_uid,p1_race,p2_uid,p2_race,result,played_at,p1_name,p2_name

``result`` is 1 when P1 won and 0 for a draw (so the winner is always P1), ``played_at`` is
ISO 8601 with an offset and strictly increasing over the file.

How the ladder is simulated:

* ~420 players with Discord-like snowflake uids and gamer names (a few with non-ASCII letters,
  one with square brackets to exercise markup escaping);
* each player plays 1-5 races; Brood War players mostly stay on BW races, some play both games;
* every (player, race) entry has a hidden skill (player level plus a per-race offset and a small
  drift over the season) and an activity weight (heavy-tailed: a few entries play hundreds of
  games, many play a handful);
* players join and sometimes leave during the season; matchmaking pairs active entries of the
  same game (BW with BW, SC2 with SC2), mostly of similar hidden skill;
* the winner follows the Elo expected score of the hidden skills; about 3% of games are draws;
* every entry plays at least one match.

Only the standard library is used and the seed is fixed, so the output is byte-identical on every
run. Regenerate with ``python sample_data/generate.py``; ``--check`` exits 1 when the file on
disk is out of date.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20261031
OUTPUT = Path(__file__).resolve().with_name("matches.csv")
HEADER = ["p1_uid", "p1_race", "p2_uid", "p2_race", "result", "played_at", "p1_name", "p2_name"]

N_PLAYERS = 420
N_MATCHES = 6000
DRAW_RATE = 0.03
SEASON_START = datetime(2026, 5, 1, tzinfo=UTC)
SEASON_END = datetime(2026, 11, 1, tzinfo=UTC)  # exclusive: the last match is on 2026-10-31
SEASON_DAYS = (SEASON_END - SEASON_START).days

BW_RACES = ["bw_terran", "bw_zerg", "bw_protoss"]
SC2_RACES = ["sc2_terran", "sc2_zerg", "sc2_protoss"]
GAMES = {"bw": BW_RACES, "sc2": SC2_RACES}

DISCORD_EPOCH_MS = 1_420_070_400_000  # 2015-01-01T00:00:00Z

# Names exercising display edge cases: non-ASCII letters and Rich-markup-like brackets.
SPECIAL_NAMES = [
    "[KR]Flash",
    "Zérgling",
    "Mütalisk",
    "Ærchon",
    "Överlord",
    "정찰병",
    "Δefiler",
    "ŁurkerŁord",
]

ADJECTIVES = [
    "Dark", "Silent", "Iron", "Void", "Psi", "Storm", "Shadow", "Crimson", "Frozen", "Swift",
    "Lucky", "Mad", "Lazy", "Salty", "Hyper", "Mega", "Ultra", "Neo", "Cyber", "Nova", "Omega",
    "Alpha", "Blink", "Cloaked", "Burrowed", "Toxic", "Royal", "Feral", "Grim", "Rusty", "Golden",
    "Angry", "Sneaky", "Cheesy", "Macro", "Micro", "Proxy", "Greedy", "Fast", "Late", "Solar",
    "Lunar", "Atomic", "Static", "Broken", "Wild", "Brave", "Tiny", "Big", "Old", "Young", "Red",
    "Blue", "Black", "White", "Stim", "Warp", "Hidden", "Calm", "Rogue", "Holy", "Savage",
]  # fmt: skip

NOUNS = [
    "Templar", "Probe", "Marine", "Ling", "Hydra", "Reaver", "Carrier", "Drone", "Scv", "Medic",
    "Vulture", "Goliath", "Tank", "Lurker", "Defiler", "Arbiter", "Corsair", "Observer",
    "Stalker", "Zealot", "Baneling", "Roach", "Viper", "Raven", "Thor", "Reaper", "Oracle",
    "Phoenix", "Tempest", "Overlord", "Muta", "Scourge", "Dragoon", "Archon", "Queen", "Hellion",
    "Cyclone", "Banshee", "Wraith", "Valkyrie", "Cruiser", "Nydus", "Pylon", "Bunker", "Cannon",
    "Ghost", "Firebat", "Shuttle", "Scout", "Ultra", "Broodlord", "Infestor", "Disruptor",
    "Adept", "Sentry", "Marauder", "Widowmine", "Liberator", "Mothership", "Colossus", "Nexus",
    "Hatchery", "Spire", "Gateway", "Factory", "Starport", "Larva", "Creep", "Vespene",
]  # fmt: skip

TITLES = ["Main", "God", "Lord", "King", "Master", "Boss", "Fan", "Addict", "Enjoyer", "Abuser"]

SYLLABLES = [
    "min", "soo", "jun", "ho", "jae", "dong", "hyun", "woo", "sung", "bin", "kyu", "tae", "yeon",
    "seok", "joon", "ki", "hee", "jin", "yong", "chan",
]  # fmt: skip

WORDS = [
    "zerg", "toss", "terran", "rush", "cheese", "macro", "apm", "gosu", "noob", "bonjwa",
    "supply", "minerals", "gas", "micro", "turtle", "allin", "proxy", "timing", "harass", "drop",
]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Players and entries
# --------------------------------------------------------------------------------------------


class Entry:
    """One (player, race) pair with its hidden skill and activity."""

    __slots__ = ("activity", "drift", "game", "player", "race", "skill")

    def __init__(self, player: Player, race: str, skill: float, drift: float, activity: float):
        self.player = player
        self.race = race
        self.game = race.split("_", 1)[0]
        self.skill = skill
        self.drift = drift
        self.activity = activity

    def skill_at(self, season_fraction: float) -> float:
        return self.skill + self.drift * season_fraction


class Player:
    __slots__ = ("entries", "first_day", "last_day", "name", "uid")

    def __init__(self, uid: int, name: str, first_day: int, last_day: int):
        self.uid = uid
        self.name = name
        self.first_day = first_day
        self.last_day = last_day
        self.entries: list[Entry] = []


def snowflake(rng: random.Random) -> int:
    """A Discord-like snowflake: account creation time (ms since 2015) << 22, plus id bits."""
    roll = rng.random()
    if roll < 0.03:  # early adopters (mid 2015): 17-digit uids
        start, end = datetime(2015, 5, 15, tzinfo=UTC), datetime(2015, 9, 25, tzinfo=UTC)
    elif roll < 0.55:  # 2015-2022: 18 digits
        start, end = datetime(2015, 10, 1, tzinfo=UTC), datetime(2022, 6, 1, tzinfo=UTC)
    else:  # recent accounts: 19 digits
        start, end = datetime(2022, 8, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    start_ms = int(start.timestamp() * 1000)
    end_ms = int(end.timestamp() * 1000)
    ms = rng.randrange(start_ms, end_ms) - DISCORD_EPOCH_MS
    worker, process, increment = rng.randrange(32), rng.randrange(32), rng.randrange(4096)
    return (ms << 22) | (worker << 17) | (process << 12) | increment


def gamer_name(rng: random.Random) -> str:
    style = rng.random()
    adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
    if style < 0.40:
        return adjective + noun
    if style < 0.52:
        return noun + str(rng.choice([rng.randrange(10, 100), rng.randrange(1990, 2011)]))
    if style < 0.62:
        return f"{adjective.lower()}_{noun.lower()}"
    if style < 0.72:
        return noun + rng.choice(TITLES)
    if style < 0.82:
        first = rng.choice(SYLLABLES).capitalize()
        return (
            first
            + rng.choice(SYLLABLES).capitalize()
            + rng.choice(["", "", str(rng.randrange(100))])
        )
    if style < 0.90:
        return rng.choice(WORDS) + rng.choice(WORDS) + rng.choice(["", str(rng.randrange(1000))])
    if style < 0.94:
        return f"xX{noun}Xx"
    if style < 0.97:
        return "The" + noun
    return f"{noun}.{rng.choice(WORDS)}"


def make_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for special in SPECIAL_NAMES:
        names.append(special)
        seen.add(special.casefold())
    while len(names) < count:
        name = gamer_name(rng)
        if name.casefold() in seen or len(name) > 64:
            continue
        seen.add(name.casefold())
        names.append(name)
    rng.shuffle(names)
    return names


def pick_races(rng: random.Random) -> list[str]:
    """1-5 races; Brood War players mostly stay in BW, some play both games."""
    kind = rng.random()
    if kind < 0.34:
        games = ["bw"]
    elif kind < 0.72:
        games = ["sc2"]
    else:
        games = ["bw", "sc2"]
    races: list[str] = []
    for game in games:
        if len(games) == 1:
            count = rng.choices([1, 2, 3], weights=[25, 30, 45])[0]
        else:
            count = rng.choices([1, 2, 3], weights=[40, 30, 30])[0]
        races.extend(rng.sample(GAMES[game], count))
    if len(races) > 5:
        races.pop()
    return races


def make_players(rng: random.Random) -> list[Player]:
    names = make_names(rng, N_PLAYERS)
    uids: set[int] = set()
    players: list[Player] = []
    for name in names:
        uid = snowflake(rng)
        while uid in uids:
            uid = snowflake(rng)
        uids.add(uid)

        # Most players are there from the start of the season; others join later, some quit.
        first_day = 0 if rng.random() < 0.6 else rng.randrange(0, SEASON_DAYS - 14)
        last_day = SEASON_DAYS - 1
        if rng.random() < 0.2:
            last_day = rng.randrange(min(first_day + 14, SEASON_DAYS - 1), SEASON_DAYS)
        player = Player(uid, name, first_day, last_day)

        level = min(2500.0, max(700.0, rng.gauss(1500, 260)))
        # Heavy-tailed activity: a few grinders, many casual players.
        activity = min(rng.paretovariate(1.15), 60.0)
        races = pick_races(rng)
        for i, race in enumerate(races):
            main = i == 0
            offset = 0.0 if main else -abs(rng.gauss(80, 90))
            if races[0].split("_")[0] != race.split("_")[0]:
                offset -= abs(rng.gauss(60, 80))  # the player's other game is weaker
            share = 1.0 if main else rng.uniform(0.05, 0.6)
            drift = rng.gauss(25, 60)
            entry = Entry(player, race, round(level + offset), drift, activity * share)
            player.entries.append(entry)
        players.append(player)
    return players


# --------------------------------------------------------------------------------------------
# Schedule and matches
# --------------------------------------------------------------------------------------------

# Relative match volume per UTC hour: European and American evenings, plus a Korean evening.
HOUR_WEIGHTS = [
    6, 4, 3, 2, 2, 2, 2, 2, 2, 3, 5, 7, 8, 7, 5, 5, 6, 8, 11, 13, 14, 13, 11, 8,
]  # fmt: skip


def make_times(rng: random.Random) -> list[datetime]:
    """N_MATCHES strictly increasing timestamps over the season."""
    day_weights = []
    for day in range(SEASON_DAYS):
        weekday = (SEASON_START + timedelta(days=day)).weekday()
        weight = 1.0 + 0.6 * day / SEASON_DAYS  # the ladder grows over the season
        weight *= 1.35 if weekday >= 5 else 1.0
        weight *= rng.uniform(0.75, 1.25)
        day_weights.append(weight)
    days = rng.choices(range(SEASON_DAYS), weights=day_weights, k=N_MATCHES)
    seconds = []
    for day in days:
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        seconds.append(day * 86400 + hour * 3600 + rng.randrange(3600))
    seconds.sort()
    for i in range(1, len(seconds)):  # strictly increasing
        if seconds[i] <= seconds[i - 1]:
            seconds[i] = seconds[i - 1] + 1
    assert seconds[-1] < SEASON_DAYS * 86400
    return [SEASON_START + timedelta(seconds=s) for s in seconds]


def win_probability(skill1: float, skill2: float) -> float:
    return 1.0 / (1.0 + 10 ** ((skill2 - skill1) / 400))


def make_matches(rng: random.Random, players: list[Player]) -> list[list[str]]:
    times = make_times(rng)
    entries = [entry for player in players for entry in player.entries]
    day_of = [(t - SEASON_START).days for t in times]

    def active(entry: Entry, day: int) -> bool:
        return entry.player.first_day <= day <= entry.player.last_day

    # Every entry plays at least once: give each one a slot of its own (as the seeker) inside
    # its player's active window.
    seekers: list[Entry | None] = [None] * len(times)
    order = entries[:]
    rng.shuffle(order)
    for entry in order:
        candidates = [
            i for i, day in enumerate(day_of) if seekers[i] is None and active(entry, day)
        ]
        seekers[rng.choice(candidates)] = entry

    rows: list[list[str]] = []
    cache_day = -1
    active_entries: list[Entry] = []
    cum_activity: list[float] = []
    for i, when in enumerate(times):
        day = day_of[i]
        if day != cache_day:
            cache_day = day
            active_entries = [e for e in entries if active(e, day)]
            cum_activity = []
            total = 0.0
            for e in active_entries:
                total += e.activity
                cum_activity.append(total)
        seeker = seekers[i]
        if seeker is None:
            seeker = rng.choices(active_entries, cum_weights=cum_activity)[0]

        fraction = i / len(times)
        own = seeker.skill_at(fraction)
        pool = [
            e for e in active_entries if e.game == seeker.game and e.player is not seeker.player
        ]
        if rng.random() < 0.12:  # unranked-style random pairing
            weights = [e.activity for e in pool]
        else:  # matchmaking on similar (hidden) skill
            weights = [
                e.activity * math.exp(-(((e.skill_at(fraction) - own) / 150) ** 2)) + 1e-6
                for e in pool
            ]
        opponent = rng.choices(pool, weights=weights)[0]

        first, second = (seeker, opponent) if rng.random() < 0.5 else (opponent, seeker)
        if rng.random() < DRAW_RATE:
            result = "0"
        else:
            p_first = win_probability(first.skill_at(fraction), second.skill_at(fraction))
            if rng.random() >= p_first:
                first, second = second, first
            result = "1"  # the winner is always P1
        rows.append(
            [
                str(first.player.uid),
                first.race,
                str(second.player.uid),
                second.race,
                result,
                when.isoformat(),
                first.player.name,
                second.player.name,
            ]
        )
    return rows


def generate() -> tuple[str, dict[str, int]]:
    rng = random.Random(SEED)
    players = make_players(rng)
    rows = make_matches(rng, players)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)

    pairs = {(r[0], r[1]) for r in rows} | {(r[2], r[3]) for r in rows}
    uids = {r[0] for r in rows} | {r[2] for r in rows}
    stats = {"entries": len(pairs), "players": len(uids), "matches": len(rows)}
    return buffer.getvalue(), stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate in memory and exit 1 if it differs from the file on disk",
    )
    parser.add_argument(
        "--output", type=Path, default=OUTPUT, help=f"where to write (default: {OUTPUT.name})"
    )
    args = parser.parse_args(argv)

    text, stats = generate()
    data = text.encode("utf-8")
    summary = (
        f"{stats['entries']:,} entries, {stats['players']:,} players, {stats['matches']:,} matches"
    )
    if args.check:
        try:
            current = args.output.read_bytes()
        except FileNotFoundError:
            current = b""
        if current != data:
            print(
                f"{args.output} is out of date: run `python sample_data/generate.py`",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} is up to date ({summary})")
        return 0

    args.output.write_bytes(data)
    print(f"wrote {args.output}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
