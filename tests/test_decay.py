"""Inactivity decay (`ladder decay`), on both stores.

The time a run counts from is set with ``LADDER_TEST_NOW`` (test-only), so a test can
step across period boundaries; matches are recorded with ``--at`` dates in the past.
Expected MMRs are worked out here from the contract's Elo (tests.helpers.elo) and the
decay rule as the README states it, not from the library.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ladder_cli.core.decay import TEST_NOW_ENV
from ladder_cli.domain.model import DecayJob
from ladder_cli.queue.jobrows import decode, encode, in_stored_form
from ladder_cli.util.config import DecayRule, parse_rule
from ladder_cli.util.errors import BadInput
from tests.helpers import Run, elo, invoke, query
from tests.invariants import ladder as real_ladder

D0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
RULE = "[decay]\nafter_days = 14\npoints = 25\nevery_days = 7\nfloor = {floor}\n"
A, B, C, D = (1, "bw_terran"), (2, "bw_zerg"), (3, "bw_protoss"), (4, "sc2_zerg")


def day(n: float) -> str:
    return (D0 + timedelta(days=n)).isoformat()


def configure(home: Path, floor: int = 1200, extra: str = "") -> None:
    (home / "config.toml").write_text(RULE.format(floor=floor) + extra)


def run(home: Path, url: str, *args: object, code: int = 0) -> Run:
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def decay_at(
    home: Path, url: str, monkeypatch: pytest.MonkeyPatch, when: str, *args: object
) -> Run:
    monkeypatch.setenv(TEST_NOW_ENV, when)
    try:
        return run(home, url, "decay", "--yes", *args)
    finally:
        monkeypatch.delenv(TEST_NOW_ENV)


def record(home: Path, url: str, p1: tuple[int, str], p2: tuple[int, str], at: str) -> None:
    run(home, url, "record", p1[0], p1[1], p2[0], p2[1], "--at", at)


def mmrs(url: str) -> dict[tuple[int, str], int]:
    rows = query(url, "SELECT discord_uid, race, mmr FROM mmrs_1v1")
    return {(int(r[0]), str(r[1])): int(r[2]) for r in rows}


def decay_events(url: str) -> list[tuple[int, str, int, int, int, int]]:
    rows = query(
        url,
        "SELECT discord_uid, race, amount, mmr_before, mmr_after, mmr_floor FROM ladder_events "
        "WHERE kind = 'decay' ORDER BY event_id",
    )
    return [(int(r[0]), str(r[1]), *(int(v) for v in r[2:])) for r in rows]  # type: ignore[misc]


def decay_audits(url: str) -> list[tuple[Any, ...]]:
    return query(url, "SELECT action, target FROM ladder_audit WHERE action = 'decay'")


def dump(url: str, home: Path) -> tuple[Any, ...]:
    tables = ("mmrs_1v1", "ladder_matches", "ladder_events", "ladder_audit", "ladder_applied_jobs")
    db = tuple(sorted(map(repr, query(url, f"SELECT * FROM {t}"))) for t in tables)
    with closing(sqlite3.connect(home / "queue.sqlite3")) as conn:
        jobs = conn.execute("SELECT * FROM jobs ORDER BY seq").fetchall()
    return db, jobs


def seeded(home: Path, url: str, floor: int = 1200) -> None:
    """A beat B at day 0; C beat D at day 40 (still active at day 49)."""
    run(home, url, "init")
    record(home, url, A, B, day(0))
    record(home, url, C, D, day(40))
    configure(home, floor)


# -- the rule itself -------------------------------------------------------------------


def test_owed_points_count_full_periods_after_the_idle_days() -> None:
    rule = DecayRule(after_days=14, points=25, every_days=7, floor=1200)
    last = D0
    assert rule.owed(None, D0 + timedelta(days=400)) == 0  # no last game: never
    assert rule.owed(last, D0 + timedelta(days=14)) == 0
    assert rule.owed(last, D0 + timedelta(days=21) - timedelta(seconds=1)) == 0
    assert rule.owed(last, D0 + timedelta(days=21)) == 25
    assert rule.owed(last, D0 + timedelta(days=28) - timedelta(seconds=1)) == 25
    assert rule.owed(last, D0 + timedelta(days=28)) == 50
    assert rule.owed(last, D0 + timedelta(days=49)) == 125
    assert rule.owed(last, D0 - timedelta(days=3)) == 0  # a game after "now"
    assert rule.cutoff(D0 + timedelta(days=21)) == last


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ({"after_days": 14, "points": 25, "every_days": 7}, "lacks floor"),
        ({"after_days": 14, "points": 0, "every_days": 7, "floor": 1200}, "points must be"),
        ({"after_days": -1, "points": 25, "every_days": 7, "floor": 1200}, "after_days must"),
        ({"after_days": 14, "points": 25, "every_days": 0, "floor": 1200}, "every_days must"),
        ({"after_days": 14, "points": 25, "every_days": 7, "floor": "1200"}, "floor must"),
        ({"after_days": 14, "points": 25, "every_days": 1.5, "floor": 1200}, "every_days must"),
        ({"after_days": True, "points": 25, "every_days": 7, "floor": 1200}, "after_days must"),
        ({"after_days": 14, "points": 25, "every_days": 7, "floor": 1200, "x": 1}, "unknown"),
        (14, "must be a table"),
    ],
)
def test_bad_rules_are_refused(section: object, says: str) -> None:
    with pytest.raises(BadInput, match=says):
        parse_rule(section, Path("config.toml"))


def test_the_decay_job_round_trips_through_the_queue_encoding() -> None:
    job = DecayJob(14, 25, 7, 1200, D0, "admin")
    assert in_stored_form(job)
    assert decode(encode(job)) == job
    row = encode(job)
    for damaged in ((*row[:3], 0, *row[4:]), (*row[:5], None, *row[6:])):
        with pytest.raises(ValueError, match="decay job"):
            decode(damaged)


# -- decay through the command ---------------------------------------------------------


def test_decay_is_taken_once_per_period_and_caught_up(
    db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(home, db_url)
    a0, b0 = elo(1500, 1500, 1.0)
    c0, d0 = a0, b0
    start = {A: a0, B: b0, C: c0, D: d0}
    assert mmrs(db_url) == start

    # one second before the first period ends: nothing owed, nothing written
    out = decay_at(home, db_url, monkeypatch, day(21 - 1 / 86400)).out
    assert "nothing to decay" in out
    assert mmrs(db_url) == start and decay_events(db_url) == [] and decay_audits(db_url) == []

    # 21 days after A and B's game: 25 each; C and D played recently and keep theirs
    out = decay_at(home, db_url, monkeypatch, day(21)).out
    assert "decayed 2 entries: 50 MMR in all" in out
    after_first = {A: a0 - 25, B: b0 - 25, C: c0, D: d0}
    assert mmrs(db_url) == after_first

    # again in the same period, a few times: nothing changes, no new event or audit row
    for when in (day(21), day(24), day(28 - 1 / 86400)):
        assert "nothing to decay" in decay_at(home, db_url, monkeypatch, when).out
    assert mmrs(db_url) == after_first
    assert len(decay_events(db_url)) == 2 and len(decay_audits(db_url)) == 1

    # across the boundary: one more period
    decay_at(home, db_url, monkeypatch, day(28))
    decay_at(home, db_url, monkeypatch, day(28))
    assert mmrs(db_url) == {A: a0 - 50, B: b0 - 50, C: c0, D: d0}

    # runs missed for three weeks: the next one catches up (5 periods owed at day 49)
    decay_at(home, db_url, monkeypatch, day(49))
    assert mmrs(db_url) == {A: a0 - 125, B: b0 - 125, C: c0, D: d0}
    events = decay_events(db_url)
    assert [(e[0], e[2]) for e in events] == [(1, 25), (2, 25), (1, 25), (2, 25), (1, 75), (2, 75)]
    assert all(e[5] == 1200 for e in events)
    # the log's before/after pairs chain
    assert [e[3] for e in events if e[0] == 1] == [a0, a0 - 25, a0 - 50]
    audits = decay_audits(db_url)
    assert len(audits) == 3
    assert "2 entries, -150 MMR" in str(audits[-1][1])
    assert run(home, db_url, "verify").code == 0
    shown = run(home, db_url, "audit", "--format", "json").json
    assert [r["action"] for r in shown[:3]] == ["decay", "decay", "decay"]


def test_a_new_game_restarts_the_clock(
    db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(home, db_url)
    decay_at(home, db_url, monkeypatch, day(21))
    before = mmrs(db_url)
    # A plays again at day 25 (against C); B stays idle
    record(home, db_url, A, C, day(25))
    played = mmrs(db_url)
    decay_at(home, db_url, monkeypatch, day(45))  # A: 20 days idle, owes nothing yet
    now = mmrs(db_url)
    assert now[A] == played[A]
    assert now[B] == before[B] - 75  # 45 days: 4 periods owed, 1 taken at day 21
    decay_at(home, db_url, monkeypatch, day(46))  # A: 21 days since its new game
    assert mmrs(db_url)[A] == played[A] - 25
    assert run(home, db_url, "verify").code == 0


def test_decay_stops_at_the_floor(db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded(home, db_url, floor=1490)
    a0, b0 = elo(1500, 1500, 1.0)
    assert b0 < 1490 < a0 - 25
    decay_at(home, db_url, monkeypatch, day(21))
    got = mmrs(db_url)
    assert got[A] == a0 - 25 and got[B] == b0  # B was below the floor: untouched
    decay_at(home, db_url, monkeypatch, day(35))  # 50 more owed: A stops at 1490
    assert mmrs(db_url)[A] == 1490
    events = decay_events(db_url)
    assert [(e[0], e[2], e[3], e[4]) for e in events] == [
        (1, 25, a0, a0 - 25),
        (1, 50, a0 - 25, 1490),
    ]
    # at the floor: no more events, however long it stays idle
    decay_at(home, db_url, monkeypatch, day(90))
    assert mmrs(db_url)[A] == 1490
    assert [e[0] for e in decay_events(db_url)].count(1) == 2
    assert run(home, db_url, "verify").code == 0


def test_entries_that_never_played_do_not_decay(
    db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(home, db_url)
    run(home, db_url, "reset", 2, "--race", "bw_zerg", "--mmr", 1700, "--yes")  # no last game
    decay_at(home, db_url, monkeypatch, day(60))
    got = mmrs(db_url)
    assert got[B] == 1700
    assert got[A] < elo(1500, 1500, 1.0)[0]


def test_dry_run_writes_nothing(db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded(home, db_url)
    before = dump(db_url, home)
    monkeypatch.setenv(TEST_NOW_ENV, day(35))
    shown = run(home, db_url, "decay", "--dry-run")
    assert "75" in shown.out and "→" in shown.out  # before → after, 3 periods
    as_json = run(home, db_url, "decay", "--dry-run", "--format", "json").json
    a0, b0 = elo(1500, 1500, 1.0)
    assert [(r["discord_uid"], r["mmr_before"], r["mmr_after"], r["difference"])
            for r in as_json] == [(1, a0, a0 - 75, -75), (2, b0, b0 - 75, -75)]  # fmt: skip
    assert set(as_json[0]) == {
        "discord_uid", "player_name", "race", "mmr_before", "mmr_after", "difference",
        "last_played",
    }  # fmt: skip
    assert dump(db_url, home) == before
    # without --yes and no terminal to ask on: refused, nothing written
    refused = run(home, db_url, "decay", code=2)
    assert "--yes" in refused.err
    assert dump(db_url, home) == before
    run(home, db_url, "decay", "--format", "json", code=2)
    assert dump(db_url, home) == before


def test_without_a_decay_section_or_with_a_bad_one(db_url: str, home: Path) -> None:
    seeded(home, db_url)
    (home / "config.toml").unlink()
    before = dump(db_url, home)
    result = run(home, db_url, "decay", "--yes", code=2)
    assert result.err_lines == [
        f"error: decay is not configured: add a [decay] section to {home / 'config.toml'} "
        "(after_days, points, every_days, floor)"
    ]
    for bad, says in [
        ("[decay]\nafter_days = 14\npoints = -5\nevery_days = 7\nfloor = 1200\n", "points"),
        ("[decay]\nafter_days = 14\npoints = 25\nevery_days = 7\n", "lacks floor"),
        ("decay = 3\n", "must be a table"),
    ]:
        (home / "config.toml").write_text(bad)
        result = run(home, db_url, "decay", "--yes", code=2)
        assert len(result.err_lines) == 1 and says in result.err, result.err
        assert dump(db_url, home) == before


def test_void_before_a_decay_replays_it_clamped_at_the_floor(
    db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(home, db_url, "init")
    configure(home, floor=1475)
    record(home, db_url, A, B, day(0))  # match 1: B ends below 1500
    record(home, db_url, A, C, day(1))  # match 2
    decay_at(home, db_url, monkeypatch, day(30))
    # as logged: 2 periods (50) each; A stays above the floor, B and C reach it
    logged = {(e[0], e[1]): e[2:5] for e in decay_events(db_url)}
    assert logged[A][2] > 1475 and logged[B][2] == logged[C][2] == 1475
    ids = sorted(m["match_id"] for m in run(home, db_url, "history", "--format", "json").json)
    run(home, db_url, "match", "void", ids[0], "--reason", "wrong players", "--yes")

    # an independent from-scratch replay of the corrected log: match 2, then the logged
    # decay amounts (50 each), never below the floor
    def decayed(mmr: int, amount: int, floor: int = 1475) -> int:
        return mmr if mmr <= floor else max(floor, mmr - amount)

    a, c = elo(1500, 1500, 1.0)
    expected = {A: decayed(a, 50), B: decayed(1500, 50), C: decayed(c, 50)}
    events = {(e[0], e[1]): e[2:5] for e in decay_events(db_url)}
    assert {key: e[0] for key, e in events.items()} == {A: 50, B: 50, C: 50}
    assert mmrs(db_url) == expected
    assert expected[A] == 1475  # clamped only in the replay: 1520 - 50 is below the floor
    assert events[A] == (50, a, 1475)  # the event's logged pair is rewritten
    assert run(home, db_url, "verify").code == 0

    # after the void B has no game left, so it never decays again; A and C are at the floor
    decay_at(home, db_url, monkeypatch, day(60))
    assert mmrs(db_url) == expected
    assert run(home, db_url, "verify").code == 0


def test_two_homes_deciding_at_once_take_a_period_once(
    db_url: str, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both homes queue a decay from the same state; the second to apply finds it taken."""
    seeded(home, db_url)
    other = tmp_path / "other"
    other.mkdir()
    configure(other)
    monkeypatch.setenv(TEST_NOW_ENV, day(28))
    run(home, db_url, "decay", "--yes", "--no-flush")
    run(other, db_url, "decay", "--yes", "--no-flush")
    assert "decay" in run(other, db_url, "wal", "list").out
    run(home, db_url, "wal", "replay")
    run(other, db_url, "wal", "replay")
    a0, b0 = elo(1500, 1500, 1.0)
    assert mmrs(db_url)[A] == a0 - 50 and mmrs(db_url)[B] == b0 - 50
    assert len(decay_events(db_url)) == 2 and len(decay_audits(db_url)) == 1
    # replaying again applies nothing twice (the ledger)
    run(home, db_url, "wal", "replay")
    assert len(decay_events(db_url)) == 2


@pytest.mark.slow_except("postgres")
def test_the_real_command(db_url: str, home: Path) -> None:
    seeded(home, db_url)
    env = {TEST_NOW_ENV: day(21)}
    dry = real_ladder(home, db_url, "decay", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "-25" in dry.stdout
    assert "dry run, nothing written: 2 entries would lose 50 MMR in all" in dry.stdout
    asked = real_ladder(home, db_url, "decay", env=env)
    assert asked.returncode == 2 and "pass --yes" in asked.stderr
    done = real_ladder(home, db_url, "decay", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert "decayed 2 entries: 50 MMR in all" in done.stdout
    again = real_ladder(home, db_url, "decay", "--yes", env=env)
    assert again.returncode == 0 and "nothing to decay" in again.stdout
    audit = real_ladder(home, db_url, "audit", "--format", "json")
    assert [r["action"] for r in __import__("json").loads(audit.stdout)].count("decay") == 1
    (home / "config.toml").write_text("[decay]\nafter_days = 'two weeks'\n")
    bad = real_ladder(home, db_url, "decay", "--yes", env=env)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr


@pytest.mark.slow_except("sqlite-in-db-transaction")
@pytest.mark.parametrize("point", ["in-db-transaction", "after-db-commit"])
def test_a_decay_killed_mid_write_applies_exactly_once(point: str, db_url: str, home: Path) -> None:
    """SIGKILL inside the decay's transaction (rolled back) or just after its commit
    (before the queue heard of it): the replay applies it once, never twice."""
    seeded(home, db_url)
    env = {TEST_NOW_ENV: day(28), "LADDER_FAILPOINT": point}
    killed = real_ladder(home, db_url, "decay", "--yes", env=env)
    assert killed.returncode == -9
    a0, b0 = elo(1500, 1500, 1.0)
    committed = point == "after-db-commit"
    assert mmrs(db_url)[A] == (a0 - 50 if committed else a0)
    replayed = real_ladder(home, db_url, "wal", "replay")
    assert replayed.returncode == 0, replayed.stderr
    assert real_ladder(home, db_url, "wal", "replay").returncode == 0
    assert mmrs(db_url)[A] == a0 - 50 and mmrs(db_url)[B] == b0 - 50
    assert len(decay_events(db_url)) == 2 and len(decay_audits(db_url)) == 1
    assert real_ladder(home, db_url, "verify").returncode == 0


@pytest.mark.pg
def test_a_decay_run_during_an_outage_applies_as_of_when_it_was_run(
    home: Path, pg_url: str, pg_cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(home, pg_url)
    pg_cluster.stop()
    try:
        monkeypatch.setenv(TEST_NOW_ENV, day(21))
        down = invoke(home, pg_url, "decay", "--yes")
        assert down.code == 0, down
        assert "queued unpreviewed" in down.err and "ladder wal replay" in down.err
        refused = invoke(home, pg_url, "decay", "--dry-run")
        assert refused.code == 1 and len(refused.err_lines) == 1
    finally:
        pg_cluster.start()
    monkeypatch.setenv(TEST_NOW_ENV, day(40))
    run(home, pg_url, "wal", "replay")
    a0, b0 = elo(1500, 1500, 1.0)
    assert mmrs(pg_url)[A] == a0 - 25  # one period: as of day 21, not day 40
    decay_at(home, pg_url, monkeypatch, day(40))  # now the rest: 3 periods in all
    assert mmrs(pg_url)[A] == a0 - 75 and mmrs(pg_url)[B] == b0 - 75
