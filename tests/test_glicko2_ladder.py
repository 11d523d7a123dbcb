"""A ladder under the ``glicko2`` rules, through the real flush and the real commands, on both
stores: its match log and leaderboard equal an independent Glicko-2 replay game for game
(Glickman's paper written out in ``tests/helpers.py``, nothing from the library's rating
code), and so do corrections, ``--as-of`` and a season close; the tables mark provisional
entries and give them no letter; ``record --dry-run`` gives Glicko-2's probability; decay is
bad input."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ladder_cli.core.ladder import Ladder
from ladder_cli.domain.model import MatchJob
from tests.helpers import (
    Player,
    invoke,
    paper_expected,
    paper_grown,
    paper_new,
    paper_play,
    query,
)

Key = tuple[int, str]
RACES = ("bw_zerg", "sc2_terran")
NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(days=90)


def mmr(r: float) -> int:
    return math.floor(r + 0.5)


@dataclass
class Paper:
    """The log replayed by the paper's Glicko-2: players, counts, and each match's pairs."""

    players: dict[Key, Player] = field(default_factory=dict)
    played: dict[Key, list[int]] = field(default_factory=dict)  # played, won, lost, drawn
    pairs: list[tuple[int, int, int, int]] = field(default_factory=list)

    def side(self, key: Key) -> Player:
        return self.players.setdefault(key, paper_new())

    def match(self, k1: Key, k2: Key, score: float | None, at: datetime) -> None:
        """A match (``score`` None: voided, so not rated)."""
        p1, p2 = self.side(k1), self.side(k2)
        if score is None:
            self.pairs.append((mmr(p1.r), mmr(p1.r), mmr(p2.r), mmr(p2.r)))
            return
        n1, n2 = paper_play(p1, p2, score, at)
        self.pairs.append((mmr(p1.r), mmr(n1.r), mmr(p2.r), mmr(n2.r)))
        self.players[k1], self.players[k2] = n1, n2
        for key, s in ((k1, score), (k2, 1 - score)):
            counts = self.played.setdefault(key, [0, 0, 0, 0])
            counts[0] += 1
            counts[1 if s == 1 else 2 if s == 0 else 3] += 1

    def adjust(self, key: Key, delta: int) -> None:
        p = self.side(key)
        p.r += delta

    def reset(self, key: Key, to: int) -> None:
        """A reset without --keep-stats: the rating starts over at ``to`` (RD 500,
        volatility 0.09), the counts and last game go."""
        self.players[key] = Player(float(to), 500.0, 0.09)
        self.played[key] = [0, 0, 0, 0]

    def season(self, factor: float) -> None:
        for key, p in self.players.items():
            p.r = 1500 + factor * (p.r - 1500)
            self.played[key] = [0, 0, 0, 0]


def random_matches(seed: int, n: int, players: int = 8) -> list[tuple[Key, Key, int, datetime]]:
    """``n`` matches among ``players`` x 2 races, a few hours apart (some a day or more),
    about one in six a draw."""
    rng = random.Random(seed)
    keys = [(uid, race) for uid in range(1, players + 1) for race in RACES]
    out = []
    at = START
    for _ in range(n):
        k1, k2 = rng.sample(keys, 2)
        while k1[0] == k2[0]:
            k1, k2 = rng.sample(keys, 2)
        at += timedelta(hours=rng.choice([1, 2, 3, 8, 26]), seconds=rng.randrange(60))
        out.append((k1, k2, 0 if rng.random() < 1 / 6 else 1, at))
    return out


def record(lad: Ladder, games: list[tuple[Key, Key, int, datetime]], paper: Paper) -> None:
    """Through the real flush: all but the last three as one import, those one by one."""
    jobs = [MatchJob(k1[0], k1[1], k2[0], k2[1], result, at) for k1, k2, result, at in games]
    lad.record_many(jobs[:-3])
    for k1, k2, result, at in games[-3:]:
        lad.record(k1[0], k1[1], k2[0], k2[1], draw=result == 0, at=at)
    for k1, k2, result, at in games:
        paper.match(k1, k2, 1.0 if result == 1 else 0.5, at)


def glicko_ladder(url: str, home: Path) -> Ladder:
    made = invoke(home, url, "init", "--rules", "glicko2")
    assert made.code == 0, made.err
    assert "rules: glicko2" in made.out
    return Ladder.open(db=url, home=home)


def board(home: Path, url: str, *args: object) -> list[dict[str, Any]]:
    done = invoke(home, url, "leaderboard", "--top", 0, "--min-games", 0, "--format", "json",
                  *args)  # fmt: skip
    assert done.code == 0, done.err
    rows: list[dict[str, Any]] = done.json
    return rows


def check_board(rows: list[dict[str, Any]], paper: Paper, at: datetime) -> None:
    """Every entry: MMR exact, counts, RD grown to ``at`` within 0.05, provisional at RD
    110 or more and then no letter."""
    shown = {(r["discord_uid"], r["race"]): r for r in rows}
    assert set(shown) == set(paper.players)
    for key, p in paper.players.items():
        row = shown[key]
        assert row["mmr"] == mmr(p.r), key
        counts = paper.played.get(key, [0, 0, 0, 0])
        assert [row["games_played"], row["games_won"], row["games_lost"],
                row["games_drawn"]] == counts, key  # fmt: skip
        rd = paper_grown(p, at)
        assert row["rd"] == pytest.approx(rd, abs=0.05), key
        if abs(rd - 110) > 0.05:
            assert row["provisional"] is (rd >= 110), key
        if row["provisional"] or not counts[0]:
            assert row["rank"] == "U", key
        else:
            assert row["rank"] in "SABCDEF", key


def check_log(url: str, paper: Paper) -> None:
    """Every logged match's before/after pairs, in log order, as the paper replays them."""
    logged = query(url, "SELECT p1_mmr_before, p1_mmr_after, p2_mmr_before, p2_mmr_after "
                   "FROM ladder_matches ORDER BY match_id")  # fmt: skip
    assert [tuple(r) for r in logged] == paper.pairs


def verified(home: Path, url: str) -> None:
    done = invoke(home, url, "verify", "--format", "json")
    assert done.code == 0, done.out
    assert done.json["ok"] and done.json["rules"] == "glicko2"


def test_leaderboard_is_an_independent_replay_game_for_game(db_url: str, home: Path) -> None:
    paper = Paper()
    with glicko_ladder(db_url, home) as lad:
        record(lad, random_matches(1, 160), paper)
    check_log(db_url, paper)
    check_board(board(home, db_url), paper, datetime.now(UTC))
    verified(home, db_url)
    rules = invoke(home, db_url, "rules", "--format", "json").json
    assert rules["preset"] == "glicko2" and rules["k"] is None and rules["scale"] is None
    # The doubles are the ladder's own table; mmrs_1v1 holds floor(rating + 0.5).
    stored = query(db_url, "SELECT m.mmr, g.rating FROM mmrs_1v1 m JOIN ladder_glicko g "
                   "ON g.discord_uid = m.discord_uid AND g.race = m.race")  # fmt: skip
    assert len(stored) == len(paper.players)
    assert all(m == mmr(r) for m, r in stored)


def test_corrections_replay_under_glicko2(db_url: str, home: Path) -> None:
    """Void, amend, an adjustment and a reset (in between, so later games start from them):
    the ladder ends where the corrected log's independent replay does."""
    games = random_matches(2, 90)
    paper = Paper()
    with glicko_ladder(db_url, home) as lad:
        lad.record_many([MatchJob(k1[0], k1[1], k2[0], k2[1], r, at)
                         for k1, k2, r, at in games[:50]])  # fmt: skip
        k1, k2 = games[0][0], games[0][1]
        lad.admin.adjust(lad.admin.preview_adjust(k1[0], k1[1], 30), "a typo in the bot")
        lad.reset(k2[0], race=k2[1], mmr=1600)
        lad.record_many([MatchJob(a[0], a[1], b[0], b[1], r, at)
                         for a, b, r, at in games[50:]])  # fmt: skip
    for args in (["match", "void", 3], ["match", "amend", 20, "--result", "p2"],
                 ["match", "void", 70]):  # fmt: skip
        done = invoke(home, db_url, *args, "--reason", "test", "--yes")
        assert done.code == 0, done.err
    for i, (a, b, r, at) in enumerate(games, start=1):
        if i == 51:
            paper.adjust(k1, 30)
            paper.reset(k2, 1600)
        score: float | None = 1.0 if r == 1 else 0.5
        if i in (3, 70):
            score = None
        elif i == 20:
            score = 0.0  # amended: P2 won
        paper.match(a, b, score, at)
    check_log(db_url, paper)
    check_board(board(home, db_url), paper, datetime.now(UTC))
    verified(home, db_url)


def test_as_of_replays_glicko2_to_then(db_url: str, home: Path) -> None:
    games = random_matches(3, 80)
    cutoff = games[39][3]
    early, paper = Paper(), Paper()
    with glicko_ladder(db_url, home) as lad:
        record(lad, games, paper)
    for k1, k2, r, at in games[:40]:
        early.match(k1, k2, 1.0 if r == 1 else 0.5, at)
    then = board(home, db_url, "--as-of", cutoff.isoformat())
    played = {k for k, c in early.played.items() if c[0]}
    check_board(then, Paper({k: p for k, p in early.players.items() if k in played},
                            early.played), cutoff)  # fmt: skip


def test_a_season_close_soft_resets_the_rating(db_url: str, home: Path) -> None:
    """The soft reset acts on the rating (RD and volatility kept); a void before the close
    then replays through it."""
    games = random_matches(4, 60)
    paper = Paper()
    with glicko_ladder(db_url, home) as lad:
        record(lad, games, paper)
    done = invoke(home, db_url, "season", "close", "S1", "--soft-reset", "0.5", "--yes")
    assert done.code == 0, done.err
    closed = Paper({k: Player(p.r, p.rd, p.vol, p.last) for k, p in paper.players.items()},
                   {k: list(c) for k, c in paper.played.items()})  # fmt: skip
    closed.season(0.5)
    check_board(board(home, db_url), closed, datetime.now(UTC))
    verified(home, db_url)
    done = invoke(home, db_url, "match", "void", 5, "--reason", "test", "--yes")
    assert done.code == 0, done.err
    again = Paper()
    for i, (a, b, r, at) in enumerate(games, start=1):
        again.match(a, b, None if i == 5 else 1.0 if r == 1 else 0.5, at)
    again.season(0.5)
    check_board(board(home, db_url), again, datetime.now(UTC))
    verified(home, db_url)


def test_tables_mark_provisional_entries(db_url: str, home: Path) -> None:
    """A new entry's RD is 500: after one game still provisional (``?``, letter U); an entry
    with many recent games is not."""
    with glicko_ladder(db_url, home) as lad:
        at = NOW - timedelta(days=2)
        for i in range(40):
            lad.record(1, "bw_zerg", 2 + i % 4, "bw_terran", draw=i % 3 == 0,
                       at=at + timedelta(minutes=i))  # fmt: skip
        lad.record(8, "sc2_zerg", 9, "sc2_terran", at=at + timedelta(hours=2))
    rows = {(r["discord_uid"], r["race"]): r for r in board(home, db_url)}
    assert rows[(1, "bw_zerg")]["provisional"] is False
    assert rows[(1, "bw_zerg")]["rank"] != "U"
    assert rows[(8, "sc2_zerg")]["provisional"] is True
    assert rows[(8, "sc2_zerg")]["rank"] == "U"
    table = invoke(home, db_url, "leaderboard", "--top", 0)
    line = next(x for x in table.out.splitlines() if "Player8" in x)
    assert f"{rows[(8, 'sc2_zerg')]['mmr']}?" in line
    line = next(x for x in table.out.splitlines() if "Player1 " in x)
    assert f"{rows[(1, 'bw_zerg')]['mmr']}?" not in line
    profile = invoke(home, db_url, "profile", 8, "--format", "json").json
    assert profile["races"][0]["provisional"] is True and profile["races"][0]["rd"] > 110
    assert f"{rows[(8, 'sc2_zerg')]['mmr']}?" in invoke(home, db_url, "profile", 8).out


def test_dry_run_gives_glicko2s_probability(db_url: str, home: Path) -> None:
    games = random_matches(5, 30)
    paper = Paper()
    with glicko_ladder(db_url, home) as lad:
        record(lad, games, paper)
    (u1, r1), (u2, r2) = games[0][0], games[0][1]
    at = NOW - timedelta(hours=1)
    done = invoke(home, db_url, "record", u1, r1, u2, r2, "--at", at.isoformat(), "--dry-run",
                  "--format", "json")  # fmt: skip
    assert done.code == 0, done.err
    want = paper_expected(paper.players[(u1, r1)], paper.players[(u2, r2)], at)
    assert done.json["p1_win_probability"] == pytest.approx(want, abs=1e-4)
    after = paper_play(paper.players[(u1, r1)], paper.players[(u2, r2)], 1.0, at)
    assert done.json["p1"]["mmr_after"] == mmr(after[0].r)


def test_decay_is_bad_input_under_glicko2(db_url: str, home: Path) -> None:
    (home / "config.toml").write_text(
        "[decay]\nafter_days = 14\npoints = 25\nevery_days = 7\nfloor = 1200\n"
    )
    with glicko_ladder(db_url, home) as lad:
        lad.record(1, "bw_zerg", 2, "bw_terran", at=NOW - timedelta(days=90))
    before = query(db_url, "SELECT * FROM mmrs_1v1 ORDER BY id")
    for args in (["decay", "--yes"], ["decay", "--dry-run"]):
        done = invoke(home, db_url, *args)
        assert done.code == 2, done.out
        assert len(done.err_lines) == 1 and "glicko2" in done.err, done.err
    assert query(db_url, "SELECT * FROM mmrs_1v1 ORDER BY id") == before
    assert invoke(home, db_url, "wal", "status", "--format", "json").json["pending"] == 0
