"""Positions count ranked entries only (shared/design.md, "Rules and the original bot").

Under an activity window a U row has no position (``-`` in tables, ``null`` in JSON) and
the ranked rows are numbered as if it were not there; without a window every row shown is
numbered. Checked against a reference written here from that sentence, through each way a
page is read (the frame in memory, a ladder stored in rank order), and end to end on both
stores (PostgreSQL ranks its pages itself) with a ladder shaped like the original bot's
published snapshot: the bot's rules, every last game months ago.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder_cli.domain.frames import frame_from_entries
from ladder_cli.domain.model import RACES, Entry
from ladder_cli.domain.ranks import Filters, in_order, leaderboard, leaderboard_in_order
from ladder_cli.domain.rules import EVOLADDER, STANDARD, Rules
from tests.helpers import invoke, query
from tests.test_bot import _PG_TABLES, _SQLITE_TABLES

NOW = datetime(2026, 6, 1, tzinfo=UTC)
_LOWEST = datetime(1, 1, 1, tzinfo=UTC)

# -- the rule, written out ---------------------------------------------------------------


def _ranked(e: Entry, rules: Rules, now: datetime) -> bool:
    if e.games_played <= 0:
        return False
    if rules.activity_days is None:
        return True
    return e.last_played is not None and e.last_played >= now - timedelta(days=rules.activity_days)


def reference(
    entries: Sequence[Entry],
    rules: Rules,
    now: datetime,
    *,
    race: str | None,
    min_games: int,
    best_race: bool = False,
) -> list[tuple[int, str, int | None]]:
    """Every row the leaderboard shows, in order, with its position: (uid, race, position)."""
    order = sorted(
        entries, key=lambda e: (e.mmr, e.last_played or _LOWEST, e.id or 0), reverse=True
    )
    shown = [e for e in order if race is None or e.race == race]
    if best_race:
        seen: set[int] = set()
        best = []
        for e in shown:
            if _ranked(e, rules, now) and e.discord_uid not in seen:
                seen.add(e.discord_uid)
                best.append(e)
        shown = best
    shown = [e for e in shown if e.games_played >= min_games]
    out: list[tuple[int, str, int | None]] = []
    ranked = 0
    for i, e in enumerate(shown, start=1):
        if rules.activity_days is None:
            out.append((e.discord_uid, e.race, i))
        elif _ranked(e, rules, now):
            ranked += 1
            out.append((e.discord_uid, e.race, ranked))
        else:
            out.append((e.discord_uid, e.race, None))
    return out


def _rows(board: pl.DataFrame) -> list[tuple[int, str, int | None]]:
    return list(board.select("discord_uid", "race", "position").iter_rows())


_entry = st.builds(
    lambda uid, race, mmr, games, days, rid: Entry(
        uid,
        race,
        f"P{uid}",
        mmr,
        games,
        games,
        0,
        0,
        None if days is None else NOW - timedelta(days=days),
        id=rid,
    ),
    st.integers(1, 12),
    st.sampled_from(RACES[:3]),
    st.sampled_from([1400, 1500, 1501, 1600]),  # few values: many ties
    st.sampled_from([0, 0, 1, 2, 5]),
    st.sampled_from([None, 0, 1, 10, 20, 40]),
    st.integers(1, 10**6),
)


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(
        _entry, max_size=40, unique_by=(lambda e: (e.discord_uid, e.race), lambda e: e.id)
    ),
    rules=st.sampled_from([STANDARD, EVOLADDER, STANDARD.with_activity(7)]),
    race=st.sampled_from([None, *RACES[:3]]),
    min_games=st.integers(0, 3),
    top=st.sampled_from([None, 1, 3, 20, 150]),
    page=st.integers(1, 4),
    best_race=st.booleans(),
)
def test_positions_follow_the_rule_on_every_read_path(
    entries: list[Entry],
    rules: Rules,
    race: str | None,
    min_games: int,
    top: int | None,
    page: int,
    best_race: bool,
) -> None:
    frame = frame_from_entries(entries)
    want = reference(entries, rules, NOW, race=race, min_games=min_games, best_race=best_race)
    if top:
        want = want[(page - 1) * top : page * top]
    options: dict[str, Any] = {"min_games": min_games, "top": top, "page": page}
    filters = Filters(races=(race,) if race else (), best_race=best_race)
    got = leaderboard(frame, **options, rules=rules, now=NOW, filters=filters)
    assert _rows(got) == want
    if not best_race:
        with tempfile.TemporaryDirectory() as tmp:  # as the embedded store reads it
            path = Path(tmp) / "ranked.arrow"
            in_order(frame).write_ipc(path)
            scanned = leaderboard_in_order(
                pl.scan_ipc(path), race=race, **options, rules=rules, now=NOW
            )
        assert _rows(scanned) == want


# -- end to end: a ladder shaped like the original bot's snapshot -------------------------


def run(home: Path, url: str, *args: object, code: int = 0) -> Any:
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def _bot_snapshot(url: str, now: datetime) -> list[tuple[int, str]]:
    """The bot's tables with 60 entries (two of them never played), every last game months
    ago; returns the keys in the order they were written (their ids)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url[len("sqlite:///") :]) as conn:
            conn.executescript(_SQLITE_TABLES)
    else:
        query(url, _PG_TABLES)
    keys = []
    for i in range(60):
        uid, race = 1000 + i // 2, RACES[i % 3 + (i // 2) % 2 * 3]
        games = 0 if i in (7, 30) else 3 + i % 9
        won = games // 2
        last = None if games == 0 else now - timedelta(days=120 + i)
        ts: object = last if last is None or not url.startswith("sqlite") else last.isoformat()
        query(
            url,
            "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, "
            "games_won, games_lost, games_drawn, last_played) VALUES (%s, %s, %s, %s, %s, %s, "
            "%s, 0, %s)",
            (uid, f"Bot{uid}", race, 1400 + (i * 37) % 300, games, won, games - won, ts),
        )
        keys.append((uid, race))
    return keys


def _board(home: Path, url: str, *args: object) -> list[dict[str, Any]]:
    return run(home, url, "leaderboard", "--top", "0", "--format", "json", *args).json  # type: ignore[no-any-return]


def _check(rows: list[dict[str, Any]]) -> None:
    """Ranked rows numbered 1, 2, ... in order; U rows without a position."""
    ranked = [r["position"] for r in rows if r["rank"] != "U"]
    assert ranked == list(range(1, len(ranked) + 1)), rows
    assert all(r["position"] is None for r in rows if r["rank"] == "U"), rows


def test_the_bots_snapshot_has_no_positions_and_active_rows_count_alone(
    db_url: str, home: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    keys = _bot_snapshot(db_url, now)
    run(home, db_url, "init", "--rules", "evoladder")

    # Every row's last game is months old: all U, and no row has a position.
    board = _board(home, db_url)
    assert len(board) == 58 and {r["rank"] for r in board} == {"U"}
    assert {r["position"] for r in board} == {None}
    table = run(home, db_url, "leaderboard", "--top", "3").out.splitlines()
    assert [line.split()[:2] for line in table[1:4]] == [["-", "U"]] * 3, table
    assert _board(home, db_url, "--top", "5", "--page", "2") == board[5:10]

    # A third of the entries play each other this week: they alone are numbered.
    active = keys[::3]
    at = (now - timedelta(days=2)).isoformat()
    for (p1, r1), (p2, r2) in zip(active[::2], active[1::2], strict=True):
        run(home, db_url, "record", p1, r1, p2, r2, "--at", at)
    board = _board(home, db_url)
    _check(board)
    assert sum(r["position"] is not None for r in board) == len(active)
    # Paging, a race, a minimum of games: the same rule within what is shown.
    for size in (1, 4, 7):
        pages = [_board(home, db_url, "--top", size, "--page", p) for p in range(1, 60 // size + 2)]
        assert [r for page in pages for r in page] == board
    views: list[tuple[str, ...]] = [
        ("--race", "bw_zerg"),
        ("--min-games", "6"),
        ("--race", "sc2_zerg", "--race", "bw_terran"),
    ]
    for options in views:
        narrowed = _board(home, db_url, *options)
        assert narrowed and any(r["position"] is None for r in narrowed), options
        _check(narrowed)
    best = _board(home, db_url, "--best-race")
    assert [r["position"] for r in best] == list(range(1, len(best) + 1))
    assert {r["position"] for r in _board(home, db_url, "--rank", "U")} == {None}
    assert [r["position"] for r in _board(home, db_url, "--rank", "D")] == list(
        range(1, 1 + sum(r["rank"] == "D" for r in board))
    )
    # The ladder as of now, replayed from the log, numbers it alike.
    assert _board(home, db_url, "--as-of", datetime.now(UTC).isoformat()) == board
    # A profile's race position counts the ranked entries of that race.
    uid, race = active[1]
    mine = run(home, db_url, "profile", uid, "--format", "json").json["races"]
    (entry,) = [r for r in mine if r["race"] == race]
    in_race = [r for r in _board(home, db_url, "--race", race)]
    assert entry["position"] == next(r["position"] for r in in_race if r["discord_uid"] == uid)
    assert all(r["position"] is None for r in mine if r["rank"] == "U")
    # A closed season keeps those positions, and `--season` shows them.
    run(home, db_url, "season", "close", "S1", "--yes")
    assert _board(home, db_url, "--season", "S1") == board
    finishes = run(home, db_url, "profile", uid, "--format", "json").json["seasons"]
    (finish,) = [f for f in finishes if f["race"] == race]
    assert finish["race_position"] == entry["position"]
