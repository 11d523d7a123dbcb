"""``ladder leaderboard --as-of``: the ladder as it stood at a past time, on both stores.

The whole log replayed up to now is the live leaderboard (both rule presets, with a reset,
an adjustment, a voided and an amended match in the log); at earlier times the answer is
that of a replay written out here, independently of the library, in log order with a
backfilled match; the activity window is measured from the as-of time; bad input is one
line on stderr and exit 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Run, elo, invoke, query

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)


def run(home: Path, url: str, *args: object, code: int = 0) -> Run:
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def board(home: Path, url: str, *args: object) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = run(
        home, url, "leaderboard", "--top", "0", "--format", "json", *args
    ).json
    return rows


def iso(t: datetime) -> str:
    return t.isoformat()


def at(days_ago: float, hour: int = 12) -> datetime:
    """A whole second ``days_ago`` days before now, at ``hour`` UTC."""
    day = (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0)
    return day


# (p1, race1, p2, race2, result 1/0, played_at); in this (log) order. The fourth match is
# backfilled: logged after the third but played before the first.
MATCHES: list[tuple[int, str, int, str, int, datetime]] = [
    (1, "bw_zerg", 2, "bw_terran", 1, at(40)),
    (2, "bw_terran", 3, "bw_protoss", 1, at(35)),
    (3, "bw_protoss", 1, "bw_zerg", 1, at(30)),
    (4, "sc2_zerg", 1, "bw_zerg", 0, at(45)),
    (1, "sc2_terran", 4, "sc2_zerg", 1, at(25)),
    (2, "bw_terran", 4, "sc2_zerg", 1, at(20)),
    (5, "bw_zerg", 3, "bw_protoss", 1, at(10)),
    (1, "bw_zerg", 5, "bw_zerg", 1, at(5)),
    (2, "bw_terran", 5, "bw_zerg", 0, at(3)),
]


def record_all(home: Path, url: str, rules: str = "standard") -> list[int]:
    run(home, url, "init", "--rules", rules)
    for p1, r1, p2, r2, result, played in MATCHES:
        args: list[object] = ["record", p1, r1, p2, r2, "--at", iso(played)]
        if result == 0:
            args.append("--draw")
        run(home, url, *args)
    log = run(home, url, "history", "--limit", "0", "--format", "json").json
    return sorted(m["match_id"] for m in log)


def corrections(home: Path, url: str, ids: list[int]) -> None:
    """A voided and an amended match, a reset and an adjustment: every kind of event."""
    run(home, url, "match", "void", ids[1], "--reason", "wrong players", "--yes")
    run(home, url, "match", "amend", ids[4], "--result", "p2", "--reason", "misreported", "--yes")
    run(home, url, "reset", 3, "--race", "bw_protoss", "--mmr", 1600, "--yes")
    run(home, url, "adjust", 4, "--race", "sc2_zerg", "--by", -25, "--reason", "smurf", "--yes")


# -- the whole log up to now is the live leaderboard -------------------------------------


@pytest.mark.parametrize("rules", ["standard", "evoladder"])
def test_the_whole_log_up_to_now_is_the_live_leaderboard(
    db_url: str, home: Path, rules: str
) -> None:
    ids = record_all(home, db_url, rules)
    corrections(home, db_url, ids)
    assert run(home, db_url, "verify").code == 0
    now = iso(datetime.now(UTC).replace(microsecond=0))
    for options in (
        ("--min-games", 0),
        (),
        ("--race", "bw_zerg", "--race", "bw_terran"),
        ("--best-race",),
        ("--rank", "U", "--min-games", 0),
        ("--rank", "S"),
        ("--top", 2, "--page", 2),
        ("--race", "bw_zerg"),
    ):
        live = board(home, db_url, *options)
        then = board(home, db_url, *options, "--as-of", now)
        assert then == live, options
    assert len(board(home, db_url)) == 5 and len(board(home, db_url, "--min-games", 0)) == 6
    as_csv = run(home, db_url, "leaderboard", "--format", "csv", "--as-of", now).out
    assert as_csv == run(home, db_url, "leaderboard", "--format", "csv").out


# -- at earlier times: an independent replay --------------------------------------------


def independent(
    cutoff: datetime,
    matches: list[tuple[int, str, int, str, float | None, datetime]],
    events: list[tuple[int, str, str, int, datetime]],
    ids: dict[tuple[int, str], int],
) -> list[dict[str, Any]]:
    """The standard rules written out: matches (score None: voided) then events (all made
    after every match here), each kept only when dated at or before ``cutoff``."""
    table: dict[tuple[int, str], list[Any]] = {}
    for p1, r1, p2, r2, score, played in matches:
        if played > cutoff:
            continue
        a = table.setdefault((p1, r1), [1500, 0, 0, 0, 0, None])
        b = table.setdefault((p2, r2), [1500, 0, 0, 0, 0, None])
        if score is None:
            continue
        a[0], b[0] = elo(a[0], b[0], score)
        for side, s in ((a, score), (b, 1 - score)):
            side[1] += 1
            side[2 if s == 1 else 3 if s == 0 else 4] += 1
            side[5] = played if side[5] is None else max(side[5], played)
    for uid, race, kind, amount, made in events:
        if made > cutoff:
            continue
        entry = table.setdefault((uid, race), [1500, 0, 0, 0, 0, None])
        if kind == "reset":
            entry[:5] = [amount, 0, 0, 0, 0]
            entry[5] = None
        else:
            entry[0] += amount
    played = [(k, v) for k, v in table.items() if v[1] > 0]
    played.sort(key=lambda kv: (kv[1][0], kv[1][5], ids[kv[0]]), reverse=True)
    n = len(played)
    rows = []
    for i, ((uid, race), v) in enumerate(played):
        percentile = 100 * i / n
        letter = next(
            (name for name, bound in (("S", 1), ("A", 8), ("B", 29), ("C", 50), ("D", 71),
                                      ("E", 92)) if percentile < bound),
            "F",
        )  # fmt: skip
        rows.append(
            {
                "position": i + 1,
                "rank": letter,
                "discord_uid": uid,
                "race": race,
                "mmr": v[0],
                "games_played": v[1],
                "games_won": v[2],
                "games_lost": v[3],
                "games_drawn": v[4],
                "last_played": v[5].isoformat(),
            }
        )
    return rows


def test_as_of_at_several_points_is_an_independent_replay(db_url: str, home: Path) -> None:
    ids = record_all(home, db_url)
    before = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.1)  # the reset and the adjustment are made after ``before``, to the second
    corrections(home, db_url, ids)
    after = datetime.now(UTC).replace(microsecond=0)
    scores: list[float | None] = [1.0 if m[4] == 1 else 0.5 for m in MATCHES]
    scores[1] = None  # voided
    scores[4] = 0.0  # amended: P2 won
    matches = [(*m[:4], s, m[5]) for m, s in zip(MATCHES, scores, strict=True)]
    events = [(3, "bw_protoss", "reset", 1600, after), (4, "sc2_zerg", "adjust", -25, after)]
    stored = query(db_url, "SELECT id, discord_uid, race FROM mmrs_1v1")
    row_ids = {(int(u), str(r)): int(i) for i, u, r in stored}
    cutoffs = [*sorted({m[5] for m in MATCHES}), at(44, 0), at(31, 18), at(2), before]
    for cutoff in sorted(cutoffs):
        shown = board(home, db_url, "--as-of", iso(cutoff))
        for row in shown:
            del row["player_name"]
        assert shown == independent(cutoff, matches, events, row_ids), cutoff
    # The backfilled match (the fourth logged) is in at its own time, before the first.
    first = board(home, db_url, "--as-of", iso(at(45)))
    assert {(r["discord_uid"], r["race"]) for r in first} == {(4, "sc2_zerg"), (1, "bw_zerg")}
    assert all(r["games_drawn"] == 1 for r in first)
    # Before any match: an empty ladder.
    assert board(home, db_url, "--as-of", iso(at(50))) == []
    assert "no entries" in run(home, db_url, "leaderboard", "--as-of", iso(at(50))).out


def test_a_date_alone_is_the_end_of_that_day(db_url: str, home: Path) -> None:
    record_all(home, db_url)
    day = at(30).date()
    whole_day = board(home, db_url, "--as-of", day.isoformat())
    assert whole_day == board(home, db_url, "--as-of", f"{day.isoformat()}T23:59:59+00:00")
    assert sum(r["games_played"] for r in whole_day) == 2 * 4  # the 30-day-old game is in
    # Naive times are UTC, offsets are honoured.
    noon = at(30)
    naive = board(home, db_url, "--as-of", noon.replace(tzinfo=None).isoformat())
    shifted = noon.astimezone(timezone(timedelta(hours=2)))
    assert naive == board(home, db_url, "--as-of", shifted.isoformat()) == whole_day
    assert naive != board(home, db_url, "--as-of", iso(noon - timedelta(seconds=1)))
    # Today's date is the ladder as it stands.
    assert board(home, db_url, "--as-of", NOW.date().isoformat()) == board(home, db_url)


# -- ranks as they stood then -------------------------------------------------------------


def test_the_activity_window_is_measured_from_the_as_of_time(db_url: str, home: Path) -> None:
    """evoladder: 14 days. Player 6 played only 20 days ago: unranked now, ranked then."""
    run(home, db_url, "init", "--rules", "evoladder")
    run(home, db_url, "record", 6, "bw_zerg", 7, "bw_terran", "--at", iso(at(20)))
    run(home, db_url, "record", 8, "bw_zerg", 9, "bw_terran", "--at", iso(at(2)))
    now = {r["discord_uid"]: r["rank"] for r in board(home, db_url)}
    assert now[6] == now[7] == "U" and now[8] != "U" and now[9] != "U"
    then = board(home, db_url, "--as-of", iso(at(15)))
    assert {r["discord_uid"]: r["rank"] for r in then} == {6: "C", 7: "D"}  # fixed allocation of 2
    assert board(home, db_url, "--as-of", iso(at(15)), "--rank", "U") == []
    assert [r["discord_uid"] for r in board(home, db_url, "--rank", "U")] == [6, 7]


# -- bad input and offline ---------------------------------------------------------------


def _one_error(result: Run, code: int, *fragments: str) -> None:
    assert result.code == code, (result.code, result.out, result.err)
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in result.err_lines[0], result.err


def test_bad_as_of_is_bad_input(db_url: str, home: Path) -> None:
    record_all(home, db_url)
    state = query(db_url, "SELECT count(*) FROM ladder_matches")
    tomorrow = (datetime.now(UTC) + DAY).date().isoformat()
    soon = iso(datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5))
    for text, fragment in (
        ("yesterday", "not an ISO 8601"),
        ("2026-13-01", "not an ISO 8601"),
        ("", "not an ISO 8601"),
        ("9999-12-31T23:59:59-05:00", "out of range"),
        (tomorrow, "in the future"),
        (soon, "in the future"),
        ("2999-01-01T00:00:00Z", "in the future"),
    ):
        result = invoke(home, db_url, "leaderboard", "--as-of", text)
        _one_error(result, 2, "--as-of", fragment)
    assert query(db_url, "SELECT count(*) FROM ladder_matches") == state


def test_as_of_offline_says_it_needs_the_database(home: Path) -> None:
    down = "postgresql://ladder:pw@127.0.0.1:1/ladder"
    result = invoke(home, down, "leaderboard", "--as-of", "2026-01-01")
    _one_error(result, 1, "--as-of", "event log", "database")


# -- the real command ----------------------------------------------------------------------


@pytest.mark.slow_except("sqlite")
def test_real_command(db_url: str, home: Path) -> None:
    ids = record_all(home, db_url)
    corrections(home, db_url, ids)

    def ladder(*args: object) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "LADDER_HOME"}
        env["NO_COLOR"] = "1"
        argv = [sys.executable, "-m", "ladder_cli", "--home", str(home), "--db", db_url]
        return subprocess.run(
            [*argv, *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )

    cutoff = iso(at(31))
    shown = ladder("leaderboard", "--as-of", cutoff)
    assert shown.returncode == 0, shown.stderr
    assert "Player1" in shown.stdout and "Player5" not in shown.stdout
    as_json = ladder("leaderboard", "--as-of", cutoff, "--format", "json")
    assert [r["discord_uid"] for r in json.loads(as_json.stdout)] == [1, 4, 2]
    bad = ladder("leaderboard", "--as-of", "last tuesday")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0 and "--as-of" in bad.stderr
    assert "Traceback" not in bad.stderr
    helped = ladder("leaderboard", "--help")
    assert "--as-of" in helped.stdout and "end of that day" in " ".join(helped.stdout.split())


# -- the fast path is the replay ----------------------------------------------------------


def test_the_tally_is_the_replay_over_every_event_kind() -> None:
    """:class:`Tally` (plain rows, the fast path) against :class:`Replay` (the definition)
    over random logs holding every kind of event, seasons and decays included."""
    import random

    from ladder_cli.domain.asof import Tally, replay_until
    from ladder_cli.domain.events import EVENT_KINDS, LoggedMatch, StateEvent, in_order
    from ladder_cli.domain.rules import PRESETS

    rng = random.Random(12)
    keys = [(uid, race) for uid in range(1, 9) for race in ("bw_zerg", "sc2_terran")]
    keys.append((9, "not_a_race"))  # kept as logged, whatever it says
    for rules in PRESETS.values():
        for _ in range(20):
            matches, events = [], []
            for match_id in range(1, rng.randint(1, 400)):
                (u1, r1), (u2, r2) = rng.sample(keys, 2)
                played = NOW - timedelta(seconds=rng.randrange(10**6))
                state = rng.choice(["recorded", "recorded", "amended", "voided"])
                result = rng.choice([0, 1, 2])
                matches.append(
                    LoggedMatch(match_id, played, u1, r1, u2, r2, result, state, 0, 0, 0, 0)
                )
                while rng.random() < 0.1:
                    uid, race = rng.choice(keys)
                    kind = rng.choice(EVENT_KINDS)
                    amount = {
                        "reset": 1400,
                        "adjust": rng.choice([-25, 30]),
                        "baseline": 1600,
                        "season": rng.choice([0, 500_000, 1_000_000]),
                        "decay": 25,
                    }[kind]
                    event = StateEvent(
                        len(events) + 1, match_id, kind, uid, race, amount, rng.random() < 0.5,
                        0, rng.randint(1000, 2000), played, rng.randint(0, 9), 1, 2, 3,
                        rng.choice([None, played]), rng.choice([None, 1450]),
                    )  # fmt: skip
                    events.append(event)
            log = list(in_order(matches, events))
            want = replay_until(log, NOW, rules)
            tally = Tally(rules, lambda t: t, lambda t: t)
            pages = [
                [(m.match_id, m.played_at, m.p1_uid, m.p1_race, m.p2_uid, m.p2_race, m.result,
                  m.state) for m in matches[i : i + 37]]
                for i in range(0, len(matches), 37)
            ]  # fmt: skip
            tally.run(pages, events)
            got = tally.standings(NOW)
            assert {k: s.values() for k, s in got.entries.items()} == {
                k: s.values() for k, s in want.entries.items()
            }
            assert (got.matches, got.events) == (want.matches, want.events)


def test_the_wave_replay_is_the_replay_over_every_event_kind() -> None:
    """:func:`wavereplay.replay` (columns, a wave at a time) against :class:`Replay` (the
    definition), entry by entry and in the order the log first names the entries, over
    random logs holding every kind of event (also before the first match), gaps in the
    match ids, a race the tool does not know and uids beyond 2**62."""
    import random

    import polars as pl

    from ladder_cli.domain import wavereplay
    from ladder_cli.domain.asof import replay_until
    from ladder_cli.domain.events import EVENT_KINDS, LoggedMatch, StateEvent, in_order
    from ladder_cli.domain.rules import PRESETS

    rng = random.Random(21)
    keys = [(uid, race) for uid in range(1, 9) for race in ("bw_zerg", "sc2_terran")]
    keys += [(9, "not_a_race"), (2**62 + 5, "bw_protoss"), (2**63 - 1, "bw_zerg")]
    for rules in PRESETS.values():
        for _ in range(30):
            matches, events = [], []
            if rng.random() < 0.3:
                events.append(
                    StateEvent(0, 0, "baseline", 77, "bw_zerg", 1600, False, 0, 1600, NOW,
                               3, 1, 1, 1, NOW - DAY, None)
                )  # fmt: skip
            for n in range(1, rng.randint(1, 600)):
                match_id = 3 * n
                (u1, r1), (u2, r2) = rng.sample(keys, 2)
                played = NOW - timedelta(seconds=rng.randrange(10**6))
                state = rng.choice(["recorded", "recorded", "amended", "voided"])
                result = rng.choice([0, 1, 2])
                matches.append(
                    LoggedMatch(match_id, played, u1, r1, u2, r2, result, state, 0, 0, 0, 0)
                )
                after = match_id
                while rng.random() < 0.15:
                    uid, race = rng.choice(keys)
                    kind = rng.choice(EVENT_KINDS)
                    amount = {
                        "reset": 1400,
                        "adjust": rng.choice([-25, 30]),
                        "baseline": 1600,
                        "season": rng.choice([0, 500_000, 1_000_000]),
                        "decay": 25,
                    }[kind]
                    after += rng.choice([0, 1])  # after this match, or in the gap after it
                    event = StateEvent(
                        len(events) + 1, after, kind, uid, race, amount, rng.random() < 0.5,
                        0, rng.randint(1000, 2000), played, rng.randint(0, 9), 1, 2, 3,
                        rng.choice([None, played]), rng.choice([None, 1450]),
                    )  # fmt: skip
                    events.append(event)
            want = replay_until(list(in_order(matches, events)), NOW, rules)
            columns = wavereplay.match_frame(
                [(m.match_id, m.played_at, m.p1_uid, m.p1_race, m.p2_uid, m.p2_race,
                  m.result, m.state) for m in matches],
                lambda t: t,
            )  # fmt: skip
            done = wavereplay.replay(columns, events, rules, min_wave=0)
            assert done is not None
            got = [((r[0], r[1]), tuple(r[2:])) for r in done.table.iter_rows()]
            assert got == [(k, s.values()) for k, s in want.entries.items()]
            assert (done.matches, done.events) == (want.matches, want.events)
            assert done.table.schema["last_played"] == pl.Datetime("us", "UTC")


def test_the_wave_replay_leaves_small_waves_to_the_tally() -> None:
    from ladder_cli.domain import wavereplay
    from ladder_cli.domain.rules import STANDARD

    rows = [(i, NOW, 1, "bw_zerg", 2, "bw_zerg", 1, "recorded") for i in range(1, 50)]
    columns = wavereplay.match_frame(rows, lambda t: t)
    assert wavereplay.replay(columns, [], STANDARD) is None  # 49 waves of one match
    assert wavereplay.replay(columns, [], STANDARD, min_wave=1) is not None
    odd = wavereplay.match_frame([(1, NOW, 1, "bw_zerg", 2, "bw_zerg", 3, "recorded")], lambda t: t)
    assert wavereplay.replay(odd, [], STANDARD, min_wave=0) is None  # result 3: row by row


@pytest.mark.parametrize("min_wave", [0, 10**9], ids=["waves", "rows"])
def test_the_fast_path_reads_what_the_replay_reads(db_url: str, home: Path, min_wave: int) -> None:
    """On the store: the rows the fast path reads give the standings of the generic
    replay of :meth:`StoreLog.until`, at several times, a wave at a time and row by row."""
    from ladder_cli.core.ladder import Ladder
    from ladder_cli.domain.asof import replay_until
    from ladder_cli.stores import eventlog

    ids = record_all(home, db_url)
    corrections(home, db_url, ids)
    with Ladder.open(db_url, home) as ladder:
        store, rules = ladder.store, ladder.rules()
        for cutoff in (at(41), at(30), at(4), datetime.now(UTC).replace(microsecond=0)):
            fast = eventlog.standings_until(store, cutoff, rules, min_wave=min_wave)
            with store.read_cursor() as cur:
                slow = replay_until(eventlog.StoreLog(store, cur).until(cutoff), cutoff, rules)
            assert {k: s.values() for k, s in fast.entries.items()} == {
                k: s.values() for k, s in slow.entries.items()
            }
            assert (fast.matches, fast.events) == (slow.matches, slow.events)


def test_verify_a_wave_at_a_time_is_verify_row_by_row(db_url: str, home: Path) -> None:
    """``verify``'s report is the same whichever way the log is replayed: on a corrected
    ladder, then with a stored row changed behind the ladder's back and one deleted."""
    from ladder_cli.core.ladder import Ladder
    from ladder_cli.stores import eventlog

    ids = record_all(home, db_url)
    corrections(home, db_url, ids)
    with Ladder.open(db_url, home) as ladder:
        waves = eventlog.verify(ladder.store, min_wave=0)
        rows = eventlog.verify(ladder.store, min_wave=10**9)
    assert waves.ok and waves.as_dict() == rows.as_dict()
    assert waves.matches_replayed == len(MATCHES) and waves.events_replayed == 2
    query(
        db_url, "UPDATE mmrs_1v1 SET mmr = mmr + 5, games_won = games_won + 1 WHERE discord_uid = 2"
    )
    query(db_url, "DELETE FROM mmrs_1v1 WHERE discord_uid = 5")
    with Ladder.open(db_url, home) as ladder:
        waves = eventlog.verify(ladder.store, min_wave=0)
        rows = eventlog.verify(ladder.store, min_wave=10**9)
    assert not waves.ok and waves.as_dict() == rows.as_dict()
    fields = {(d.discord_uid, d.field) for d in waves.differences}
    assert {(2, "mmr"), (2, "games_won"), (5, "row")} <= fields
