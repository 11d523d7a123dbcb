"""Working with the original bot's database, end to end on both stores: stored rules,
the bot's match history imported, verify, and the bot's leaderboard views.

A database "prepared like the bot's" has its three tables (``mmrs_1v1``, ``matches_1v1``,
``players``) with the bot's columns, and a history written by :func:`simulate_bot`: the
bot's rules (K 40 over a scale of 500, Python's ``round``), written out here
independently of ``ladder_cli``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.helpers import invoke, query

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


def run(home: Path, url: str, *args: object, code: int = 0):  # type: ignore[no-untyped-def]
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def bot_rate(mmr1: int, mmr2: int, result: int) -> tuple[int, int]:
    """The bot's Elo: result 1 P1 won, 2 P2 won, 0 draw."""
    diff = (mmr2 - mmr1) / 500.0
    e1 = 1.0 / (1.0 + 10.0**diff)
    e2 = 1.0 / (1.0 + 10.0**-diff)
    s1, s2 = {1: (1.0, 0.0), 2: (0.0, 1.0), 0: (0.5, 0.5)}[result]
    return round(mmr1 + 40 * (s1 - e1)), round(mmr2 + 40 * (s2 - e2))


# -- rules stored with the ladder ------------------------------------------------------


def test_rules_default_to_standard_and_are_chosen_once(db_url: str, home: Path) -> None:
    assert run(home, db_url, "rules", "--format", "json").json["preset"] == "standard"
    other = home.parent / "home2"
    run(other, db_url, "init")
    assert run(home, db_url, "rules", "--format", "json").json == {
        "preset": "standard",
        "k": 40,
        "scale": 400,
        "rounding": "half_up",
        "start_mmr": 1500,
        "letters": "percentile",
        "activity_days": None,
    }
    bad = run(home, db_url, "init", "--rules", "evoladder", code=2)
    assert "standard" in bad.err and len(bad.err_lines) == 1
    run(home, db_url, "init", "--rules", "standard")
    run(home, db_url, "init", "--rules", "nonsense", code=2)


def test_evoladder_rules_rate_every_home_the_same(db_url: str, home: Path) -> None:
    run(home, db_url, "init", "--rules", "evoladder")
    other = home.parent / "home2"
    assert run(other, db_url, "rules", "--format", "json").json["scale"] == 500
    run(other, db_url, "init", "--rules", "standard", code=2)
    # 1500 vs 1500 moves 20 under either rules; the next games show the scale and rounding.
    mmr = {1: 1500, 2: 1500}
    race = {1: "bw_terran", 2: "bw_zerg"}
    for winner, loser, home_used in [(1, 2, home), (1, 2, other), (2, 1, home), (1, 2, other)]:
        run(home_used, db_url, "record", winner, race[winner], loser, race[loser])
        new = bot_rate(mmr[winner], mmr[loser], 1)
        mmr[winner], mmr[loser] = new
    rows = dict(query(db_url, "SELECT discord_uid, mmr FROM mmrs_1v1"))
    assert rows == mmr
    assert rows != {1: 1556, 2: 1444}  # what the standard rules would give


def test_evoladder_letters_are_the_bots(db_url: str, home: Path) -> None:
    run(home, db_url, "init", "--rules", "evoladder")
    at = datetime.now(UTC).replace(microsecond=0)
    for uid in range(1, 11):  # ten players, each wins against its own sparring partner
        run(home, db_url, "record", uid, "bw_terran", 100 + uid, "bw_zerg", "--at", at.isoformat())
    # an inactive entry: played 20 days ago, unranked under the 14-day window
    old = (at - timedelta(days=20)).isoformat()
    run(home, db_url, "record", 50, "sc2_zerg", 51, "sc2_zerg", "--at", old)
    board = run(home, db_url, "leaderboard", "--top", "0", "--format", "json").json
    letters = {(r["discord_uid"], r["race"]): r["rank"] for r in board}
    assert letters[50, "sc2_zerg"] == "U" and letters[51, "sc2_zerg"] == "U"
    ranked = [r["rank"] for r in board if r["rank"] != "U"]
    assert len(ranked) == 20
    # 20 ranked entries: floors S0 A1 B4 C4 D4 E4 F1 (18), then D and C: S0 A1 B4 C5 D5 E4 F1
    assert ranked == ["A"] + ["B"] * 4 + ["C"] * 5 + ["D"] * 5 + ["E"] * 4 + ["F"]


# -- a database prepared like the bot's ------------------------------------------------

_PG_TABLES = """
CREATE TABLE mmrs_1v1 (
    id SERIAL PRIMARY KEY, discord_uid BIGINT NOT NULL, player_name TEXT NOT NULL,
    race TEXT NOT NULL, mmr INTEGER NOT NULL, games_played INTEGER DEFAULT 0,
    games_won INTEGER DEFAULT 0, games_lost INTEGER DEFAULT 0, games_drawn INTEGER DEFAULT 0,
    last_played TIMESTAMPTZ, UNIQUE (discord_uid, race));
CREATE TABLE matches_1v1 (
    id SERIAL PRIMARY KEY, player_1_discord_uid BIGINT NOT NULL,
    player_2_discord_uid BIGINT NOT NULL, player_1_race TEXT NOT NULL,
    player_2_race TEXT NOT NULL, player_1_mmr INTEGER NOT NULL, player_2_mmr INTEGER NOT NULL,
    winner_discord_uid BIGINT, mmr_change INTEGER NOT NULL, map_played TEXT NOT NULL,
    server_used TEXT NOT NULL, played_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    match_result INTEGER);
CREATE TABLE players (
    id SERIAL PRIMARY KEY, discord_uid BIGINT NOT NULL UNIQUE, discord_username TEXT NOT NULL,
    player_name TEXT, battletag TEXT, country TEXT, region TEXT);
"""
_SQLITE_TABLES = (
    _PG_TABLES.replace("SERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT")
    .replace("BIGINT", "INTEGER")
    .replace("TIMESTAMPTZ", "TIMESTAMP")
)

RACES = ("bw_terran", "bw_zerg", "sc2_protoss")
COUNTRIES = {0: ("KR", "AS"), 1: ("DE", "EU"), 2: ("US", "NA")}


class BotSimulation:
    """The bot's side: players queue with a race, matches resolve (or abort, or stay
    unresolved), and each resolved one updates ``mmrs_1v1`` as the bot does."""

    def __init__(self, seed: int, completion: tuple[int, int] = (0, 0)) -> None:
        """``completion``: the range of minutes between a match's ``played_at`` (when the
        bot made it) and its completion, when the bot sets the rows' ``last_played``."""
        self.completion = completion
        self.rng = random.Random(seed)
        self.entries: dict[tuple[int, str], dict[str, object]] = {}
        self.order: list[tuple[int, str]] = []  # creation order: the rows' ids
        self.matches: list[tuple[object, ...]] = []
        self.clock = T0

    def play(self, n: int, players: range) -> None:
        for _ in range(n):
            p1, p2 = self.rng.sample(list(players), 2)
            r1, r2 = self.rng.choice(RACES), self.rng.choice(RACES)
            self.clock += timedelta(minutes=self.rng.randint(20, 90))
            result = self.rng.choice([1, 1, 2, 2, 0, -1, None])
            e1, e2 = self._entry(p1, r1), self._entry(p2, r2)
            m1, m2 = int(e1["mmr"]), int(e2["mmr"])  # type: ignore[call-overload]
            change = 0
            if result in (0, 1, 2):
                new1, new2 = bot_rate(m1, m2, result)
                change = new1 - m1
                e1["mmr"], e2["mmr"] = new1, new2
                done = self.clock
                if self.completion != (0, 0):  # (no draw otherwise: the seeds' data stay)
                    done += timedelta(minutes=self.rng.randint(*self.completion))
                for entry, won in ((e1, result == 1), (e2, result == 2)):
                    entry["played"] += 1  # type: ignore[operator]
                    key = "won" if won else "drawn" if result == 0 else "lost"
                    entry[key] += 1  # type: ignore[operator]
                    entry["last"] = done
            self.matches.append((p1, p2, r1, r2, m1, m2, change, self.clock, result))

    def _entry(self, uid: int, race: str) -> dict[str, object]:
        key = (uid, race)
        if key not in self.entries:
            self.entries[key] = {"mmr": 1500, "played": 0, "won": 0, "lost": 0, "drawn": 0,
                                 "last": None}  # fmt: skip
            self.order.append(key)
        return self.entries[key]

    def write(self, url: str, *, first: bool) -> None:
        """Write the bot's tables as they now stand (matches appended since last time)."""
        sqlite = url.startswith("sqlite")
        if first:
            if sqlite:
                import sqlite3

                with sqlite3.connect(url[len("sqlite:///") :]) as conn:
                    conn.executescript(_SQLITE_TABLES)
            else:
                query(url, _PG_TABLES)
            for uid in range(1, 13):
                country, region = COUNTRIES[uid % 3]
                query(
                    url,
                    "INSERT INTO players (discord_uid, discord_username, player_name, "
                    "battletag, country, region) VALUES (%s, %s, %s, %s, %s, %s)",
                    (uid, f"user{uid}", f"Bot{uid}", f"Bot{uid}#{1000 + uid}", country, region),
                )
            self.written = 0

        def ts(value: object) -> object:
            if value is None or not sqlite:
                return value
            return value.isoformat()  # type: ignore[attr-defined]

        for p1, p2, r1, r2, m1, m2, change, at, result in self.matches[self.written :]:
            query(
                url,
                "INSERT INTO matches_1v1 (player_1_discord_uid, player_2_discord_uid, "
                "player_1_race, player_2_race, player_1_mmr, player_2_mmr, mmr_change, "
                "map_played, server_used, played_at, match_result) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, 'Fighting Spirit', 'USE', %s, %s)",
                (p1, p2, r1, r2, m1, m2, change, ts(at), result),
            )
        self.written = len(self.matches)
        for uid, race in self.order:
            e = self.entries[uid, race]
            query(
                url,
                "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, "
                "games_won, games_lost, games_drawn, last_played) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (discord_uid, race) "
                "DO UPDATE SET mmr = EXCLUDED.mmr, games_played = EXCLUDED.games_played, "
                "games_won = EXCLUDED.games_won, games_lost = EXCLUDED.games_lost, "
                "games_drawn = EXCLUDED.games_drawn, last_played = EXCLUDED.last_played",
                (uid, f"Bot{uid}", race, e["mmr"], e["played"], e["won"], e["lost"],
                 e["drawn"], ts(e["last"])),
            )  # fmt: skip

    def counts(self, matches: list[tuple[object, ...]]) -> dict[str, int]:
        results = [m[-1] for m in matches]
        return {
            "imported": sum(r in (0, 1, 2) for r in results),
            "already_present": 0,
            "skipped_aborted": results.count(-1),
            "skipped_unresolved": results.count(None),
        }

    def letters(self, url: str, now: datetime) -> dict[tuple[int, str], str]:
        """The letters the bot would show: its allocation over entries active in 14 days,
        ordered mmr, last_played, id (all descending)."""
        from tests.test_rules import bot_letters

        ids = {(u, r): i for i, u, r in query(url, "SELECT id, discord_uid, race FROM mmrs_1v1")}
        active = [
            key
            for key, e in self.entries.items()
            if e["played"] and e["last"] >= now - timedelta(days=14)  # type: ignore[operator]
        ]
        active.sort(
            key=lambda k: (self.entries[k]["mmr"], self.entries[k]["last"], ids[k]), reverse=True
        )
        letters = dict(zip(active, bot_letters(len(active)), strict=True))
        return {key: letters.get(key, "U") for key in self.entries}


def test_the_bots_database_end_to_end(db_url: str, home: Path) -> None:
    bot = BotSimulation(seed=16)
    bot.play(150, range(1, 13))  # everyone plays early on...
    bot.write(db_url, first=True)
    run(home, db_url, "init", "--rules", "evoladder")
    dry = run(home, db_url, "import", "bot-matches", "--dry-run", "--format", "json").json
    assert dry == bot.counts(bot.matches)
    assert run(home, db_url, "history", "--format", "json").json == []
    first = run(home, db_url, "import", "bot-matches", "--format", "json").json
    assert first == bot.counts(bot.matches)
    assert first["skipped_aborted"] > 0 and first["skipped_unresolved"] > 0
    assert run(home, db_url, "verify").code == 0
    # init pinned the bot's ratings with baselines; the imported history explains them all
    assert query(db_url, "SELECT count(*) FROM ladder_events WHERE kind = 'baseline'") == [(0,)]

    # ...later only players 1-8 play on: 9-12 drop out of the 14-day window.
    bot.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    before = len(bot.matches)
    bot.play(150, range(1, 9))
    bot.write(db_url, first=False)
    second = run(home, db_url, "import", "bot-matches", "--format", "json").json
    # skipped rows are counted on every run: they stay in the bot's table
    expected = bot.counts(bot.matches) | {"imported": bot.counts(bot.matches[before:])["imported"]}
    expected["already_present"] = first["imported"]
    assert second == expected
    again = run(home, db_url, "import", "bot-matches", "--format", "json").json
    assert again["imported"] == 0
    assert again["already_present"] == first["imported"] + second["imported"]

    # Every imported match in history, in the order played, P2's wins as result 2.
    log = run(home, db_url, "history", "--limit", "0", "--format", "json").json
    assert len(log) == first["imported"] + second["imported"]
    assert {m["result"] for m in log} == {0, 1, 2}
    assert [m["match_id"] for m in log] == sorted((m["match_id"] for m in log), reverse=True)

    report = run(home, db_url, "verify", "--format", "json").json
    assert report["ok"] and report["differences"] == [] and report["rules"] == "evoladder"
    assert report["matches_replayed"] == len(log)

    # The leaderboard shows the bot's MMRs and letters.
    board = run(home, db_url, "leaderboard", "--top", "0", "--format", "json").json
    got = {(r["discord_uid"], r["race"]): (r["mmr"], r["rank"]) for r in board}
    now = datetime.now(UTC)
    letters = bot.letters(db_url, now)
    assert got == {key: (e["mmr"], letters[key]) for key, e in bot.entries.items() if e["played"]}
    assert {letters[k] for k in letters if k[0] > 8} == {"U"}

    # The bot's views: several races, each player's best ranked entry, one letter, country.
    two = run(home, db_url, "leaderboard", "--race", "bw_zerg", "--race", "bw_terran",
              "--top", "0", "--format", "json").json  # fmt: skip
    assert {r["race"] for r in two} == {"bw_zerg", "bw_terran"}
    best = run(home, db_url, "leaderboard", "--best-race", "--top", "0", "--format", "json").json
    assert len({r["discord_uid"] for r in best}) == len(best) == 8
    assert "U" not in {r["rank"] for r in best}
    for row in best:
        mine = [r for r in board if r["discord_uid"] == row["discord_uid"] and r["rank"] != "U"]
        assert row["mmr"] == max(r["mmr"] for r in mine)
    d_only = run(home, db_url, "leaderboard", "--rank", "d", "--top", "0", "--format", "json")
    assert {r["rank"] for r in d_only.json} == {"D"}
    korea = run(home, db_url, "leaderboard", "--country", "KR", "--top", "0", "--format", "json")
    assert {r["discord_uid"] % 3 for r in korea.json} == {0}
    prof = run(home, db_url, "profile", 4, "--format", "json").json
    assert (prof["country"], prof["region"], prof["battletag"]) == ("DE", "EU", "Bot4#1004")

    # record: the bot's Elo on the bot's MMRs; verify still accepts the whole log.
    (m1,) = query(db_url, "SELECT mmr FROM mmrs_1v1 WHERE discord_uid = 1 AND race = 'bw_zerg'")
    (m2,) = query(db_url, "SELECT mmr FROM mmrs_1v1 WHERE discord_uid = 2 AND race = 'bw_zerg'")
    run(home, db_url, "record", 1, "bw_zerg", 2, "bw_zerg")
    after = query(db_url, "SELECT discord_uid, mmr FROM mmrs_1v1 WHERE discord_uid IN (1, 2) "
                  "AND race = 'bw_zerg' ORDER BY discord_uid")  # fmt: skip
    assert [mmr for _, mmr in after] == list(bot_rate(m1[0], m2[0], 1))
    assert run(home, db_url, "verify").code == 0
    counts = query(db_url, "SELECT count(*) FROM matches_1v1")
    assert counts[0][0] == len(bot.matches)  # the bot's tables are only read

    # One stored row changed: verify names it, with stored and expected.
    query(db_url, "UPDATE mmrs_1v1 SET mmr = mmr + 7 WHERE discord_uid = 3 AND race = 'bw_zerg'")
    rejected = run(home, db_url, "verify", "--format", "json", code=1).json
    assert not rejected["ok"]
    [diff] = rejected["differences"]
    assert (diff["key"], diff["field"]) == ("3/bw_zerg", "mmr")
    assert diff["stored"] == diff["expected"] + 7
    table = run(home, db_url, "verify", code=1)
    assert "3/bw_zerg" in table.out and "mmr" in table.out


def test_verify_reports_impossible_counts(db_url: str, home: Path) -> None:
    run(home, db_url, "init", "--rules", "evoladder")
    run(home, db_url, "record", 1, "bw_zerg", 2, "bw_zerg")
    query(
        db_url,
        "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, games_won, "
        "games_lost, games_drawn, last_played) VALUES (7, 'Broken', 'bw_terran', 1500, 22, 21, "
        "-1, 1, NULL)",
    )
    report = run(home, db_url, "verify", "--format", "json", code=1).json
    counts = [d for d in report["differences"] if d["check"] == "counts"]
    assert {(d["field"], d["stored"], d["expected"]) for d in counts} == {
        ("games_lost", -1, ">= 0"),
        ("games_played", 22, 21 + -1 + 1),
    }
    board = run(home, db_url, "leaderboard", "--top", "0")
    assert "21 / -1 / 1" in board.out and "21--1-1" not in board.out
    # the standard ladder's --country: no players table, so bad input
    bad = run(home, db_url, "leaderboard", "--country", "KR", code=2)
    assert "players" in bad.err
    run(home, db_url, "import", "bot-matches", code=2)
    run(home, db_url, "import", "bot-matches", "--table", "x; DROP TABLE mmrs_1v1", code=2)
