"""Statistics, head-to-head, trends, charts and dry runs, on both stores.

Every expected figure is computed here from the list of matches the test recorded, with
the contract's Elo written out in ``tests.helpers`` (not ``ladder_cli.domain.rating``), and the
letters taken from ``leaderboard --format json``: never from ``ladder_cli.domain.stats``.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ladder_cli.domain.stats import wilson
from ladder_cli.render.charts import sparkline
from tests.helpers import Run, elo, invoke, query

RACES = ("bw_terran", "bw_zerg", "bw_protoss", "sc2_terran", "sc2_zerg", "sc2_protoss")
START = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)  # a Wednesday
NAMES = {101: "Flash", 102: "Jaedong", 103: "Bisu", 104: "Stork", 105: "Maru", 106: "Serral"}


def ok(result: Run) -> Run:
    assert result.code == 0, (result.code, result.out, result.err)
    return result


def the_matches(n: int = 60) -> list[dict[str, Any]]:
    """A reproducible season: six players, two races each, some draws and mirrors."""
    rng = random.Random(13)
    plays = {uid: rng.sample(RACES[:3], 2) for uid in NAMES}
    out = []
    for i in range(n):
        p1, p2 = rng.sample(sorted(NAMES), 2)
        out.append(
            {
                "p1_uid": p1,
                "p1_race": rng.choice(plays[p1]),
                "p2_uid": p2,
                "p2_race": rng.choice(plays[p2]),
                "result": 0 if rng.random() < 0.15 else 1,
                "played_at": START + timedelta(days=i, hours=rng.randrange(20)),
            }
        )
    return out


def simulate(matches: list[dict[str, Any]]) -> tuple[dict[tuple[int, str], int], list[dict]]:
    """Final MMRs by (uid, race), and each match with both sides' before and after."""
    mmr: dict[tuple[int, str], int] = {}
    log = []
    for m in matches:
        k1, k2 = (m["p1_uid"], m["p1_race"]), (m["p2_uid"], m["p2_race"])
        b1, b2 = mmr.get(k1, 1500), mmr.get(k2, 1500)
        a1, a2 = elo(b1, b2, 1.0 if m["result"] == 1 else 0.5)
        mmr[k1], mmr[k2] = a1, a2
        log.append({**m, "b1": b1, "a1": a1, "b2": b2, "a2": a2})
    return mmr, log


def write_csv(path: Path, matches: list[dict[str, Any]]) -> Path:
    lines = ["p1_uid,p1_race,p2_uid,p2_race,result,played_at,p1_name,p2_name"]
    for m in matches:
        lines.append(
            f"{m['p1_uid']},{m['p1_race']},{m['p2_uid']},{m['p2_race']},{m['result']},"
            f"{m['played_at'].isoformat()},{NAMES[m['p1_uid']]},{NAMES[m['p2_uid']]}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def season(home: Path, db_url: str, tmp_path: Path) -> list[dict[str, Any]]:
    matches = the_matches()
    ok(invoke(home, db_url, "record", "--file", write_csv(tmp_path / "m.csv", matches)))
    return matches


def cli(home: Path, url: str, *args: object) -> Any:
    return ok(invoke(home, url, *args, "--format", "json")).json


# -- stats -------------------------------------------------------------------------------


def expected_stats(home: Path, url: str, matches: list[dict[str, Any]]) -> dict[str, Any]:
    final, _ = simulate(matches)
    pairs: Counter[tuple[str, str, str]] = Counter()
    mirrors: Counter[tuple[str, str]] = Counter()
    for m in matches:
        r1, r2, res = m["p1_race"], m["p2_race"], m["result"]
        if r1 == r2:
            mirrors[(r1, "games")] += 1
            mirrors[(r1, "draws")] += res == 0
            continue
        if RACES.index(r1) > RACES.index(r2):
            r1, r2 = r2, r1
            winner = "race2_wins"
        else:
            winner = "race1_wins"
        pairs[(r1, r2, "games")] += 1
        pairs[(r1, r2, "draws" if res == 0 else winner)] += 1
    matchups = [
        {
            "race1": r1,
            "race2": r2,
            "games": pairs[(r1, r2, "games")],
            "race1_wins": pairs[(r1, r2, "race1_wins")],
            "race2_wins": pairs[(r1, r2, "race2_wins")],
            "draws": pairs[(r1, r2, "draws")],
        }
        for i, r1 in enumerate(RACES)
        for r2 in RACES[i + 1 :]
        if pairs[(r1, r2, "games")]
    ]
    board = cli(home, url, "leaderboard", "--top", 0, "--min-games", 0)
    distribution = []
    for letter in "SABCDEFU":
        mine = [r["mmr"] for r in board if r["rank"] == letter]
        if mine:
            distribution.append(
                {"rank": letter, "entries": len(mine), "min_mmr": min(mine), "max_mmr": max(mine)}
            )
    bins = Counter(v // 50 for v in final.values())
    histogram = [
        {"min_mmr": 50 * b, "max_mmr": 50 * b + 49, "entries": bins[b]}
        for b in range(min(bins), max(bins) + 1)
    ]
    weeks = Counter(
        (m["played_at"] - timedelta(days=m["played_at"].weekday())).date() for m in matches
    )
    first, last = min(weeks), max(weeks)
    activity = [
        {
            "week": (first + timedelta(days=7 * i)).isoformat(),
            "matches": weeks[first + timedelta(days=7 * i)],
        }
        for i in range((last - first).days // 7 + 1)
    ]
    return {
        "entries": len(final),
        "players": len({uid for uid, _ in final}),
        "matches": len(matches),
        "matchups": matchups,
        "mirrors": [
            {"race": r, "games": mirrors[(r, "games")], "draws": mirrors[(r, "draws")]}
            for r in RACES
            if mirrors[(r, "games")]
        ],
        "distribution": distribution,
        "histogram": histogram,
        "activity": activity,
    }


def test_stats_from_the_match_log(home: Path, db_url: str, season: list[dict[str, Any]]) -> None:
    assert cli(home, db_url, "stats") == expected_stats(home, db_url, season)


def test_stats_include_pending_writes(home: Path, db_url: str, season: list[dict]) -> None:
    extra = {
        "p1_uid": 101, "p1_race": "sc2_zerg", "p2_uid": 102, "p2_race": "sc2_terran",
        "result": 1, "played_at": START + timedelta(days=90),
    }  # fmt: skip
    ok(invoke(home, db_url, "record", 101, "sc2_zerg", 102, "sc2_terran", "--no-flush",
              "--at", extra["played_at"].isoformat()))  # fmt: skip
    assert ok(invoke(home, db_url, "wal", "status", "--format", "json")).json["pending"] == 1
    got = cli(home, db_url, "stats")
    assert got == expected_stats(home, db_url, [*season, extra])
    assert {"race1": "sc2_terran", "race2": "sc2_zerg", "games": 1, "race1_wins": 0,
            "race2_wins": 1, "draws": 0} in got["matchups"]  # fmt: skip


def test_stats_of_an_empty_ladder(home: Path, db_url: str) -> None:
    ok(invoke(home, db_url, "init"))
    got = cli(home, db_url, "stats")
    assert got["entries"] == got["players"] == got["matches"] == 0
    assert got["matchups"] == got["histogram"] == got["activity"] == []
    assert ok(invoke(home, db_url, "stats")).out.startswith("0 entries")


def test_wilson_interval() -> None:
    low, high = wilson(50, 100)  # textbook: 0.4038 to 0.5962
    assert math.isclose(low, 0.4038, abs_tol=1e-4) and math.isclose(high, 0.5962, abs_tol=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(10, 10)
    assert high == 1.0 and 0.69 < low < 0.73  # 0.7225


# -- head to head ------------------------------------------------------------------------


def test_h2h_counts_and_odds(home: Path, db_url: str, season: list[dict[str, Any]]) -> None:
    final, log = simulate(season)
    met = [m for m in log if {m["p1_uid"], m["p2_uid"]} == {101, 102}]
    assert met, "the season has meetings of 101 and 102"
    wins = sum(1 for m in met if m["result"] == 1 and m["p1_uid"] == 101)
    losses = sum(1 for m in met if m["result"] == 1 and m["p1_uid"] == 102)
    draws = sum(1 for m in met if m["result"] == 0)
    got = cli(home, db_url, "h2h", "Flash", "102")
    assert got["p1"] == {"discord_uid": 101, "player_name": "Flash"}
    assert got["p2"] == {"discord_uid": 102, "player_name": "Jaedong"}
    assert (got["games"], got["p1_wins"], got["p2_wins"], got["draws"]) == (
        len(met), wins, losses, draws,
    )  # fmt: skip
    newest_first = sorted(met, key=lambda m: m["played_at"], reverse=True)
    assert [m["played_at"] for m in got["matches"]] == [
        m["played_at"].isoformat() for m in newest_first
    ]
    assert [(m["p1_mmr_before"], m["p1_mmr_after"]) for m in got["matches"]] == [
        (m["b1"], m["a1"]) for m in newest_first
    ]
    by_pair: Counter[tuple[str, str]] = Counter(
        (m["p1_race"], m["p2_race"]) if m["p1_uid"] == 101 else (m["p2_race"], m["p1_race"])
        for m in met
    )
    assert {(p["p1_race"], p["p2_race"]): p["games"] for p in got["pairings"]} == dict(by_pair)
    latest = newest_first[0]
    r1, r2 = (
        (latest["p1_race"], latest["p2_race"])
        if latest["p1_uid"] == 101
        else (latest["p2_race"], latest["p1_race"])
    )
    m1, m2 = final[(101, r1)], final[(102, r2)]
    odds = got["win_probability"]
    assert (odds["p1_race"], odds["p2_race"], odds["p1_mmr"], odds["p2_mmr"]) == (r1, r2, m1, m2)
    assert math.isclose(odds["p1_win_probability"], 1 / (1 + 10 ** ((m2 - m1) / 400)), abs_tol=1e-4)
    # from the other side, the same record mirrored
    back = cli(home, db_url, "h2h", 102, 101)
    assert (back["p1_wins"], back["p2_wins"], back["draws"]) == (losses, wins, draws)


def test_h2h_bad_input(home: Path, db_url: str, season: list[dict[str, Any]]) -> None:
    for args in (("Flash", "Flash"), ("Flash", "Nobody"), ("Flash", "999")):
        result = invoke(home, db_url, "h2h", *args)
        assert result.code == 2 and len(result.err_lines) == 1, result


# -- trends in the profile, and the chart ------------------------------------------------


def test_profile_trends_from_the_match_log(home: Path, db_url: str, season: list[dict]) -> None:
    final, log = simulate(season)
    got = cli(home, db_url, "profile", 103)
    trends = {t["race"]: t for t in got["trends"]}
    assert set(trends) == {r for (u, r) in final if u == 103}
    for race, trend in trends.items():
        sides = [
            (m["b1"], m["a1"], "W" if m["result"] == 1 else "D")
            if m["p1_uid"] == 103
            else (m["b2"], m["a2"], "L" if m["result"] == 1 else "D")
            for m in log
            if (m["p1_uid"], m["p1_race"]) == (103, race)
            or (m["p2_uid"], m["p2_race"]) == (103, race)
        ]
        recent = sides[-12:]
        assert trend["recent_mmr"] == [recent[0][0]] + [after for _, after, _ in recent]
        assert trend["peak_mmr"] == max(v for b, a, _ in sides for v in (b, a))
        streak = 0
        while streak < len(sides) and sides[-1 - streak][2] == sides[-1][2]:
            streak += 1
        assert trend["streak"] == {"outcome": sides[-1][2], "games": streak}
    # the races and matches keys are as before
    assert [r["mmr"] for r in got["races"]] == [final[(103, r["race"])] for r in got["races"]]


def test_chart_points(home: Path, db_url: str, season: list[dict[str, Any]]) -> None:
    _, log = simulate(season)
    race = next(m["p1_race"] for m in log if m["p1_uid"] == 104)
    since = START + timedelta(days=20)
    got = cli(home, db_url, "chart", "Stork", "--race", race, "--since", since.isoformat())
    want = [
        (m["played_at"].isoformat(), m["a1"] if m["p1_uid"] == 104 else m["a2"])
        for m in log
        if m["played_at"] >= since
        and (
            (m["p1_uid"], m["p1_race"]) == (104, race) or (m["p2_uid"], m["p2_race"]) == (104, race)
        )
    ]
    assert [(p["played_at"], p["mmr"]) for p in got] == want
    assert all(p["race"] == race for p in got)
    text = ok(invoke(home, db_url, "chart", "Stork")).out
    assert "MMR of Stork" in text and "\x1b" not in text  # piped: plain characters
    assert max(len(line) for line in text.splitlines()) <= 80
    csv_text = ok(invoke(home, db_url, "chart", "Stork", "--format", "csv")).out
    assert csv_text.splitlines()[0] == "race,played_at,mmr,match_id"
    assert invoke(home, db_url, "chart", "Stork", "--since", "yesterday-ish").code == 2
    assert invoke(home, db_url, "chart", "Stork", "--race", "bw_elf").code == 2


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([1500, 1500]) == "▄▄"
    assert sparkline([1500, 1520, 1510, 1570]) == "▁▃▂█"  # (v - 1500) * 7 / 70, rounded


# -- record --dry-run --------------------------------------------------------------------


def state(home: Path, url: str) -> tuple[Any, ...]:
    return (
        query(url, "SELECT * FROM mmrs_1v1 ORDER BY id"),
        query(url, "SELECT count(*) FROM ladder_matches"),
        {k: v for k, v in cli(home, url, "wal", "status").items() if k != "oldest_pending_age_s"},
        ok(invoke(home, url, "wal", "list", "--format", "json")).json,
    )


def test_record_dry_run_writes_nothing(home: Path, db_url: str, season: list[dict]) -> None:
    final, _ = simulate(season)
    ok(invoke(home, db_url, "record", 105, "bw_zerg", 106, "bw_protoss", "--no-flush"))
    m1, m2 = final.get((105, "bw_zerg"), 1500), final.get((106, "bw_protoss"), 1500)
    m1, m2 = elo(m1, m2, 1.0)  # the pending match comes first
    before = state(home, db_url)
    got = cli(home, db_url, "record", "Maru", "bw_zerg", "Serral", "bw_protoss", "--dry-run")
    assert state(home, db_url) == before
    a1, a2 = elo(m1, m2, 1.0)
    assert got["p1"] == {"discord_uid": 105, "player_name": "Maru", "race": "bw_zerg",
                         "mmr_before": m1, "mmr_after": a1}  # fmt: skip
    assert got["p2"]["mmr_before"] == m2 and got["p2"]["mmr_after"] == a2
    assert math.isclose(got["p1_win_probability"], 1 / (1 + 10 ** ((m2 - m1) / 400)), abs_tol=1e-4)
    text = ok(invoke(home, db_url, "record", "Maru", "bw_zerg", "Serral", "bw_protoss",
                     "--dry-run", "--draw")).out  # fmt: skip
    d1, d2 = elo(m1, m2, 0.5)
    assert f"{m1} → {d1}" in text and f"{m2} → {d2}" in text and "dry run" in text
    # a new player is previewed at 1500 and is not created
    got = cli(home, db_url, "record", 999, "sc2_zerg", "Maru", "sc2_zerg", "--dry-run",
              "--p1-name", "Newbie")  # fmt: skip
    assert got["p1"]["player_name"] == "Newbie" and got["p1"]["mmr_before"] == 1500
    assert state(home, db_url) == before
    assert invoke(home, db_url, "profile", 999).code == 2


def test_record_dry_run_bad_input(home: Path, db_url: str, season: list[dict]) -> None:
    before = state(home, db_url)
    for args in (
        ("Maru", "bw_elf", "Serral", "bw_zerg", "--dry-run"),
        ("Maru", "bw_zerg", "Maru", "bw_zerg", "--dry-run"),
        ("Nobody", "bw_zerg", "Maru", "bw_zerg", "--dry-run"),
        ("Maru", "bw_zerg", "Serral", "bw_zerg", "--format", "json"),
        ("--file", "x.csv", "--dry-run"),
    ):
        result = invoke(home, db_url, "record", *args)
        assert result.code == 2 and len(result.err_lines) == 1, (args, result)
    assert state(home, db_url) == before


# -- offline -----------------------------------------------------------------------------


def test_reads_offline_from_the_snapshot_and_queue(
    home: Path, pg_url: str, pg_cluster: Any
) -> None:
    ok(invoke(home, pg_url, "record", 101, "bw_terran", 102, "bw_zerg", "--p1-name", "Flash",
              "--p2-name", "Jaedong"))  # fmt: skip
    a1, b1 = elo(1500, 1500, 1.0)
    pg_cluster.stop()
    try:
        queued = ok(invoke(home, pg_url, "record", "Flash", "bw_terran", "Jaedong", "bw_zerg"))
        assert "pending" in queued.err
        a2, b2 = elo(a1, b1, 1.0)
        stats = ok(invoke(home, pg_url, "stats", "--format", "json"))
        assert "snapshot" in stats.err
        # entries and the recent match log from the snapshot, with the queue on top
        assert stats.json["entries"] == 2 and stats.json["matches"] == 2
        assert {d["rank"]: d["max_mmr"] for d in stats.json["distribution"]}.get("S") == a2
        h2h = ok(invoke(home, pg_url, "h2h", "Flash", "Jaedong", "--format", "json")).json
        assert (h2h["games"], h2h["p1_wins"]) == (2, 2)
        assert h2h["win_probability"]["p1_mmr"] == a2
        dry = ok(invoke(home, pg_url, "record", "Jaedong", "bw_zerg", "Flash", "bw_terran",
                        "--dry-run", "--format", "json"))  # fmt: skip
        assert dry.json["p1"]["mmr_before"] == b2 and dry.json["p2"]["mmr_before"] == a2
        assert ok(invoke(home, pg_url, "wal", "status", "--format", "json")).json["pending"] == 1
        profile = ok(invoke(home, pg_url, "profile", "Flash", "--format", "json")).json
        assert profile["trends"][0]["recent_mmr"] == [1500, a1, a2]
        ok(invoke(home, pg_url, "chart", "Flash"))
    finally:
        pg_cluster.start()
