"""``ladder rules use NAME``: every event of the log replayed under the new rules, previewed
first, one queued job applied exactly once (SIGKILL at each of its crash points, then a
replay), one audit row. Checked against independent replays written in the tests: Elo from
``tests/helpers.elo``, Glicko-2 from the paper (``tests/test_glicko2_ladder.Paper``)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ladder_cli.core.ladder import Ladder
from ladder_cli.domain.model import MatchJob
from tests.helpers import elo, invoke, query
from tests.invariants import ladder
from tests.test_glicko2_ladder import Paper, check_board, check_log, random_matches

Key = tuple[int, str]
NOW = datetime.now(UTC).replace(microsecond=0)
GAMES = random_matches(21, 70)
ADJUSTED, RESET = GAMES[0][0], GAMES[0][1]
VOIDED = 12


def build(url: str, home: Path, rules: str) -> None:
    """A ladder under ``rules``: 40 matches, an adjustment and a reset, 30 more, a void."""
    done = invoke(home, url, "init", "--rules", rules)
    assert done.code == 0, done.err
    with Ladder.open(db=url, home=home) as lad:
        lad.record_many([MatchJob(a[0], a[1], b[0], b[1], r, at) for a, b, r, at in GAMES[:40]])
        lad.admin.adjust(lad.admin.preview_adjust(ADJUSTED[0], ADJUSTED[1], -20), "typo")
        lad.reset(RESET[0], race=RESET[1], mmr=1450)
        lad.record_many([MatchJob(a[0], a[1], b[0], b[1], r, at) for a, b, r, at in GAMES[40:]])
    done = invoke(home, url, "match", "void", VOIDED, "--reason", "no-show", "--yes")
    assert done.code == 0, done.err


def elo_replay() -> tuple[dict[Key, list[Any]], list[tuple[int, int, int, int]], list[Any]]:
    """The log of :func:`build` under the standard rules: each entry's MMR and counts, each
    match's logged pairs, and the adjustment's and the reset's."""
    table: dict[Key, list[Any]] = {}
    pairs = []
    events = []
    for i, (a, b, r, _) in enumerate(GAMES, start=1):
        if i == 41:
            before = table[ADJUSTED][0]
            table[ADJUSTED][0] -= 20
            events.append(("adjust", before, before - 20))
            events.append(("reset", table[RESET][0], 1450))
            table[RESET] = [1450, 0, 0, 0, 0]
        x = table.setdefault(a, [1500, 0, 0, 0, 0])
        y = table.setdefault(b, [1500, 0, 0, 0, 0])
        if i == VOIDED:
            pairs.append((x[0], x[0], y[0], y[0]))
            continue
        score = 1.0 if r == 1 else 0.5
        n1, n2 = elo(x[0], y[0], score)
        pairs.append((x[0], n1, y[0], n2))
        x[0], y[0] = n1, n2
        for side, s in ((x, score), (y, 1 - score)):
            side[1] += 1
            side[2 if s == 1 else 3 if s == 0 else 4] += 1
    return table, pairs, events


def paper_replay() -> Paper:
    paper = Paper()
    for i, (a, b, r, at) in enumerate(GAMES, start=1):
        if i == 41:
            paper.adjust(ADJUSTED, -20)
            paper.reset(RESET, 1450)
        paper.match(a, b, None if i == VOIDED else 1.0 if r == 1 else 0.5, at)
    return paper


TABLES = ("mmrs_1v1", "ladder_matches", "ladder_applied_jobs", "ladder_rules", "ladder_events",
          "ladder_audit", "ladder_glicko")  # fmt: skip


def dump_database(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the ladder's tables, in a stable order."""
    return {t: sorted(query(url, f"SELECT * FROM {t}"), key=repr) for t in TABLES}


def rows(url: str) -> dict[Key, list[Any]]:
    found = query(url, "SELECT discord_uid, race, mmr, games_played, games_won, games_lost, "
                  "games_drawn FROM mmrs_1v1")  # fmt: skip
    return {(int(r[0]), str(r[1])): [int(v) for v in r[2:]] for r in found}


def switched(home: Path, url: str, name: str, *more: str) -> None:
    done = invoke(home, url, "rules", "use", name, "--yes", *more)
    assert done.code == 0, done.err
    assert f"now rates by the {name} rules" in done.out


def audits(url: str) -> list[tuple[Any, ...]]:
    return query(url, "SELECT action, target, reason FROM ladder_audit WHERE action = 'rules' "
                 "ORDER BY audit_id")  # fmt: skip


def test_standard_on_a_glicko2_ladder_is_exactly_the_elo_replay(db_url: str, home: Path) -> None:
    build(db_url, home, "glicko2")
    check_log(db_url, paper_replay())
    [(jobs,)] = query(db_url, "SELECT count(*) FROM ladder_applied_jobs")
    switched(home, db_url, "standard", "--reason", "back to Elo")
    table, pairs, events = elo_replay()
    assert rows(db_url) == table
    logged = query(db_url, "SELECT p1_mmr_before, p1_mmr_after, p2_mmr_before, p2_mmr_after "
                   "FROM ladder_matches ORDER BY match_id")  # fmt: skip
    assert [tuple(r) for r in logged] == pairs
    # the adjustment's and the reset's logged pairs follow the Elo replay too
    kept = query(db_url, "SELECT kind, mmr_before, mmr_after FROM ladder_events ORDER BY event_id")
    assert [tuple(e) for e in kept] == events
    done = invoke(home, db_url, "verify", "--format", "json")
    assert done.code == 0 and done.json["rules"] == "standard", done.out
    assert invoke(home, db_url, "rules", "--format", "json").json["preset"] == "standard"
    [(_, target, reason)] = audits(db_url)
    assert target.startswith("glicko2 -> standard (") and reason == "back to Elo"
    assert query(db_url, "SELECT count(*) FROM ladder_applied_jobs") == [(jobs + 1,)]


def test_glicko2_on_a_standard_ladder_is_the_glicko2_replay(db_url: str, home: Path) -> None:
    build(db_url, home, "standard")
    switched(home, db_url, "glicko2")
    paper = paper_replay()
    check_log(db_url, paper)
    shown = invoke(home, db_url, "leaderboard", "--top", 0, "--min-games", 0, "--format", "json")
    check_board(shown.json, paper, datetime.now(UTC))
    done = invoke(home, db_url, "verify", "--format", "json")
    assert done.code == 0 and done.json["rules"] == "glicko2", done.out
    [(_, target, reason)] = audits(db_url)
    assert target.startswith("standard -> glicko2 (") and reason is None
    # and back: exactly the Elo replay again, the glicko rows left unread
    switched(home, db_url, "standard")
    assert rows(db_url) == elo_replay()[0]
    assert len(audits(db_url)) == 2


def test_dry_run_previews_biggest_moves_first_and_writes_nothing(db_url: str, home: Path) -> None:
    build(db_url, home, "standard")
    before = dump_database(db_url)
    done = invoke(home, db_url, "rules", "use", "glicko2", "--dry-run")
    assert done.code == 0, done.err
    assert "dry run, nothing written" in done.out
    change = re.compile(r"^\s*Player(\d+)\s+(\w+)\s+(\d+) → (\d+)\s+([+-]\d+)")
    shown = [m.groups() for m in map(change.match, done.out.splitlines()) if m]
    moves = [abs(int(g[4])) for g in shown]
    assert moves and moves == sorted(moves, reverse=True)  # biggest moves first
    # each row is what the switch does: the Elo replay's MMR to the Glicko-2 replay's
    table, _, _ = elo_replay()
    paper = paper_replay()
    want = {k: (table[k][0], math.floor(p.r + 0.5)) for k, p in paper.players.items()
            if math.floor(p.r + 0.5) != table[k][0]}  # fmt: skip
    assert {(int(u), r): (int(b), int(a)) for u, r, b, a, _ in shown} == want
    assert dump_database(db_url) == before
    assert invoke(home, db_url, "wal", "status", "--format", "json").json["pending"] == 0


def test_naming_the_current_rules_changes_nothing(db_url: str, home: Path) -> None:
    build(db_url, home, "evoladder")
    before = dump_database(db_url)
    done = invoke(home, db_url, "rules", "use", "evoladder", "--yes")
    assert done.code == 0, done.err
    assert "already rates by the evoladder rules" in done.out
    assert dump_database(db_url) == before
    assert invoke(home, db_url, "wal", "list", "--format", "json").json == []


def test_the_bot_is_named_before_asking(db_url: str, home: Path) -> None:
    build(db_url, home, "standard")
    query(db_url, "CREATE TABLE matches_1v1 (id INTEGER PRIMARY KEY, player_1_discord_uid "
          "BIGINT, player_2_discord_uid BIGINT, player_1_race TEXT, player_2_race TEXT, "
          "player_1_mmr INTEGER, player_2_mmr INTEGER, match_result INTEGER, mmr_change "
          "INTEGER, played_at TEXT)")  # fmt: skip
    done = invoke(home, db_url, "rules", "use", "glicko2")  # no terminal, no --yes
    assert done.code == 2
    assert "the bot will keep rating with its own rules" in done.err
    assert done.err_lines[-1].startswith("error: ") and "--yes" in done.err_lines[-1]
    assert query(db_url, "SELECT preset FROM ladder_rules") == [("standard",)]


def test_queued_without_flushing_then_replayed_once(db_url: str, home: Path) -> None:
    build(db_url, home, "standard")
    done = invoke(home, db_url, "rules", "use", "glicko2", "--yes", "--no-flush")
    assert done.code == 0, done.err
    assert query(db_url, "SELECT preset FROM ladder_rules") == [("standard",)]
    status = invoke(home, db_url, "wal", "list", "--format", "json").json
    assert [j["kind"] for j in status] == ["rules"] and status[0]["rules"] == "glicko2"
    for _ in range(2):
        assert invoke(home, db_url, "wal", "replay").code == 0
    assert query(db_url, "SELECT preset FROM ladder_rules") == [("glicko2",)]
    assert len(audits(db_url)) == 1
    check_log(db_url, paper_replay())


POINTS = ["after-validate", "after-queue-commit", "in-rules-switch", "after-db-commit"]


@pytest.mark.slow_except("sqlite-in-rules-switch")
@pytest.mark.parametrize("point", POINTS)
def test_sigkill_in_a_switch_then_replay_applies_it_once(
    point: str, db_url: str, home: Path
) -> None:
    """Killed before the job is durable (nothing happens), once it is durable, inside the
    transaction that replays the log (rolled back), or after that commit but before the
    queue heard of it: a record and a replay afterwards leave the switch applied exactly
    once, or not at all."""
    build(db_url, home, "standard")
    killed = ladder(home, db_url, "rules", "use", "glicko2", "--yes", "--reason", "crash test",
                    env={"LADDER_FAILPOINT": point})  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    at = NOW - timedelta(minutes=5)
    after = ladder(
        home, db_url, "record", "1", "bw_zerg", "2", "sc2_terran", "--at", at.isoformat()
    )
    assert after.returncode == 0, after.stderr
    assert ladder(home, db_url, "wal", "replay").returncode == 0
    applied = point != "after-validate"
    assert query(db_url, "SELECT preset FROM ladder_rules") == [
        ("glicko2" if applied else "standard",)
    ]
    assert len(audits(db_url)) == int(applied)
    assert ladder(home, db_url, "wal", "status", "--format", "json").returncode == 0
    verified = ladder(home, db_url, "verify")
    assert verified.returncode == 0, verified.stdout
    paper = paper_replay()
    if applied:
        paper.match((1, "bw_zerg"), (2, "sc2_terran"), 1.0, at)
        check_log(db_url, paper)
