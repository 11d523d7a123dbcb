"""Corrections through the real stores (both), against an independent replay (hypothesis).

Random ladders of matches (wins and draws, times out of order), resets (one race or
every race, with and without stats) and adjustments are written through the library,
the path the CLI takes, each write flushed. Then a random sequence of voids and amends
(with a few more matches between them) runs the same way. After every step the stored
entries (MMR, W/L/D, games, last played) and every logged before/after pair of the match
log and the event log must equal a from-scratch replay of the corrected log written here,
with nothing from the library but the ladder itself; a correction that cannot apply must
be refused as bad input with nothing written.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ladder_cli.core.ladder import Ladder
from ladder_cli.stores import corrections as eventlog
from ladder_cli.util.errors import BadInput
from tests.helpers import Row, elo, query

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
UIDS = [1, 2, 3, 4]
RACES = ["bw_terran", "bw_zerg"]
Key = tuple[int, str]
_fresh = itertools.count()


@dataclass
class Model:
    """What the test did, in order: the corrected log an independent replay walks."""

    #: ("match", match_id, key1, key2, result, played_at, state) or
    #: ("reset", after_match, uid, race | None, mmr, keep) or ("adjust", after_match, key, by)
    log: list[list[Any]] = field(default_factory=list)
    last_match: int = 0
    corrections: int = 0

    def match(self, match_id: int) -> list[Any]:
        return next(e for e in self.log if e[0] == "match" and e[1] == match_id)

    def replay(self) -> tuple[dict[Key, Row], dict[int, tuple[int, ...]], list[tuple[Any, ...]]]:
        """Final rows, each match's logged pair, and each (expanded) state event in order."""
        rows: dict[Key, Row] = {}
        pairs: dict[int, tuple[int, ...]] = {}
        events: list[tuple[Any, ...]] = []
        for e in self.log:
            if e[0] == "match":
                _, mid, k1, k2, result, at, state = e
                r1, r2 = rows.setdefault(k1, Row()), rows.setdefault(k2, Row())
                if state == "voided":
                    pairs[mid] = (r1.mmr, r1.mmr, r2.mmr, r2.mmr)
                    continue
                score = {1: 1.0, 0: 0.5, 2: 0.0}[result]
                a1, a2 = elo(r1.mmr, r2.mmr, score)
                pairs[mid] = (r1.mmr, a1, r2.mmr, a2)
                r1.mmr, r2.mmr = a1, a2
                for r, win, loss in ((r1, 1, 2), (r2, 2, 1)):
                    r.played += 1
                    r.won += result == win
                    r.lost += result == loss
                    r.drawn += result == 0
                    r.last = at if r.last is None else max(r.last, at)
            elif e[0] == "reset":
                _, after, uid, race, mmr, keep = e
                for key in sorted(k for k in rows if k[0] == uid and race in (None, k[1])):
                    r = rows[key]
                    events.append((after, "reset", *key, r.mmr, mmr))
                    r.mmr = mmr
                    if not keep:
                        r.played = r.won = r.lost = r.drawn = 0
                        r.last = None
            else:
                _, after, key, by = e
                r = rows[key]
                events.append((after, "adjust", *key, r.mmr, r.mmr + by))
                r.mmr += by
        return rows, pairs, events


def _fresh_url(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    """An empty database of the same store, and an empty home, for one example."""
    n = next(_fresh)
    home = tmp_path / f"home{n}"
    home.mkdir()
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/ladder{n}.sqlite3", home
    query(db_url, "DROP SCHEMA public CASCADE")
    query(db_url, "CREATE SCHEMA public")
    return db_url, home


def check_against_replay(ladder: Ladder, url: str, model: Model) -> None:
    rows, pairs, events = model.replay()
    ladder.refresh()
    stored = {e.key: e for e in ladder.store.entries_of(UIDS)}
    assert set(stored) == set(rows)
    for key, want in rows.items():
        got = stored[key]
        assert (got.mmr, got.games_played, got.games_won, got.games_lost, got.games_drawn) == (
            want.mmr, want.played, want.won, want.lost, want.drawn,
        ), key  # fmt: skip
        assert got.last_played == want.last, key
    logged = query(
        url,
        "SELECT match_id, p1_mmr_before, p1_mmr_after, p2_mmr_before, p2_mmr_after, state, "
        "result FROM ladder_matches ORDER BY match_id",
    )
    assert {int(r[0]): tuple(int(v) for v in r[1:5]) for r in logged} == pairs
    states = {int(r[0]): (r[5], int(r[6])) for r in logged}
    assert states == {e[1]: (e[6], e[4]) for e in model.log if e[0] == "match"}
    got_events = query(
        url,
        "SELECT after_match, kind, discord_uid, race, mmr_before, mmr_after FROM ladder_events "
        "ORDER BY after_match, event_id",
    )
    assert sorted(tuple(int(v) if i in (0, 2, 4, 5) else v for i, v in enumerate(r))
                  for r in got_events) == sorted(events)  # fmt: skip


keys = st.tuples(st.sampled_from(UIDS), st.sampled_from(RACES))
match_step = st.tuples(
    st.just("match"), keys, keys, st.sampled_from([0, 1, 1]), st.integers(0, 600)
)
history = st.lists(
    st.one_of(
        match_step,
        match_step,
        st.tuples(st.just("reset"), st.sampled_from(UIDS), st.sampled_from([None, *RACES]),
                  st.integers(1000, 2000), st.booleans()),
        st.tuples(st.just("adjust"), keys, st.integers(-60, 60).filter(bool)),
    ),
    min_size=2,
    max_size=18,
)  # fmt: skip
fixes = st.lists(
    st.one_of(
        st.tuples(st.just("void"), st.integers(0, 30)),
        st.tuples(st.just("amend"), st.integers(0, 30), st.sampled_from([0, 1, 2])),
        match_step,
    ),
    min_size=1,
    max_size=6,
)


def _do(ladder: Ladder, model: Model, step: tuple[Any, ...]) -> None:
    """Apply one history step through the library, and to the model when it applies."""
    known = {k for e in model.log if e[0] == "match" for k in (e[2], e[3])}
    if step[0] == "match":
        _, k1, k2, result, minutes = step
        if k1[0] == k2[0]:
            return
        at = EPOCH + timedelta(minutes=minutes)
        ladder.record(k1[0], k1[1], k2[0], k2[1], draw=result == 0, at=at)
        model.last_match += 1
        model.log.append(["match", model.last_match, k1, k2, result, at, "recorded"])
    elif step[0] == "reset":
        _, uid, race, mmr, keep = step
        if (uid, race) not in known and not (race is None and any(k[0] == uid for k in known)):
            return
        ladder.reset(uid, race=race, mmr=mmr, keep_stats=keep)
        model.log.append(["reset", model.last_match, uid, race, mmr, keep])
    else:
        _, key, by = step
        if key not in known:
            return
        ladder.admin.adjust(ladder.admin.preview_adjust(key[0], key[1], by), "test")
        model.log.append(["adjust", model.last_match, key, by])


def _fix(ladder: Ladder, model: Model, step: tuple[Any, ...]) -> None:
    if step[0] == "match":
        _do(ladder, model, step)
        return
    if model.last_match == 0:
        return
    match_id = step[1] % model.last_match + 1
    entry = model.match(match_id)
    result = None if step[0] == "void" else step[2]
    if entry[6] == "voided" or result == entry[4]:
        with pytest.raises(BadInput):
            ladder.admin.correct(match_id, result, "test")
        return
    outcome = ladder.admin.correct(match_id, result, "test")
    assert outcome.applied and not outcome.failed
    model.corrections += 1
    if result is None:
        entry[6] = "voided"
    else:
        entry[4], entry[6] = result, "amended"


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=history, corrections=fixes)
def test_corrections_end_where_a_replay_of_the_corrected_log_does(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    steps: list[tuple[Any, ...]],
    corrections: list[tuple[Any, ...]],
) -> None:
    # PostgreSQL writes the entries in bulk (COPY, one UPDATE) even for these few; the
    # row-at-a-time path runs on SQLite here and for small corrections everywhere.
    monkeypatch.setattr(eventlog, "BULK_ENTRIES", 1)
    url, home = _fresh_url(db_url, tmp_path)
    model = Model()
    with Ladder.open(db=url, home=home) as ladder:
        ladder.init()
        for step in steps:
            _do(ladder, model, step)
        check_against_replay(ladder, url, model)
        for step in corrections:
            _fix(ladder, model, step)
            check_against_replay(ladder, url, model)
        assert ladder.wal_status().pending == 0
        audit = [r.action for r in ladder.admin.audit(None)]
        assert len([a for a in audit if a in ("void", "amend")]) == model.corrections
        assert ladder.verify().ok


# -- an outside writer ---------------------------------------------------------------------

#: The original bot's upsert (shared/seeds): the MMR it worked out, counts incremented.
BOT_UPSERT = """
INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, games_won,
                      games_lost, games_drawn, last_played)
VALUES (%(uid)s, %(name)s, %(race)s, %(mmr)s, 1, %(won)s, %(lost)s, %(drawn)s, %(last)s)
ON CONFLICT (discord_uid, race) DO UPDATE SET
    mmr = EXCLUDED.mmr,
    games_played = mmrs_1v1.games_played + 1,
    games_won = mmrs_1v1.games_won + %(won)s,
    games_lost = mmrs_1v1.games_lost + %(lost)s,
    games_drawn = mmrs_1v1.games_drawn + %(drawn)s,
    last_played = EXCLUDED.last_played
"""
BOT_KEYS = [(1, "bw_terran"), (2, "bw_zerg"), (5, "bw_terran")]


def _bot(url: str, stop: threading.Event, tally: dict[Key, list[Any]]) -> None:
    """Upserts on a few entries until told to stop (at least 30). The MMR it reads is
    locked until its upsert commits, so the test knows exactly what the bot added."""
    import psycopg

    n = 0
    with psycopg.connect(url) as conn:
        while n < 30 or not stop.is_set():
            key = BOT_KEYS[n % len(BOT_KEYS)]
            won = n % 3 == 0
            delta = 7 if won else -5
            last = datetime.now(UTC)
            with conn.transaction():
                [(mmr,)] = conn.execute(
                    "SELECT mmr FROM mmrs_1v1 WHERE discord_uid = %s AND race = %s FOR UPDATE",
                    key,
                ).fetchall()
                conn.execute(BOT_UPSERT, {
                    "uid": key[0], "name": f"Player{key[0]}", "race": key[1],
                    "mmr": mmr + delta, "won": int(won), "lost": int(not won), "drawn": 0,
                    "last": last,
                })  # fmt: skip
            t = tally.setdefault(key, [0, 0, 0, None])
            t[0] += delta
            t[1] += 1
            t[2] += won
            t[3] = last
            n += 1
            time.sleep(0.002)


@pytest.mark.pg
@pytest.mark.parametrize("bulk", [False, True], ids=["row-at-a-time", "bulk"])
def test_corrections_beside_the_bots_upsert_keep_every_write(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    """The bot writes `mmrs_1v1` while voids and amends run: nothing either wrote is lost,
    the bot's writes are not undone, and the corrections land as deltas on top of them."""
    monkeypatch.setattr(eventlog, "BULK_ENTRIES", 1 if bulk else 10**9)
    model = Model()
    home = tmp_path / "home"
    home.mkdir()
    players = [(1, "bw_terran"), (2, "bw_zerg"), (3, "bw_zerg"), (4, "bw_terran"),
               (5, "bw_terran"), (6, "bw_zerg")]  # fmt: skip
    with Ladder.open(db=pg_url, home=home) as ladder:
        ladder.init()
        for i in range(30):
            k1, k2 = players[i % 6], players[(i * 5 + 1) % 6]
            if k1 == k2:
                k2 = players[(i + 2) % 6]
            _do(ladder, model, ("match", k1, k2, 0 if i % 7 == 0 else 1, i * 10))
        stop, tally = threading.Event(), dict[Key, list[Any]]()
        bot = threading.Thread(target=_bot, args=(pg_url, stop, tally))
        bot.start()
        try:
            for step in [("void", 1), ("amend", 4, 2), ("void", 9), ("amend", 14, 0),
                         ("void", 19), ("amend", 24, 2), ("void", 0)]:  # fmt: skip
                _fix(ladder, model, step)
        finally:
            stop.set()
            bot.join()
        rows, _, _ = model.replay()
        ladder.refresh()
        stored = {e.key: e for e in ladder.store.entries_of([k[0] for k in players])}
        assert set(stored) == set(rows)
        for key, want in rows.items():
            mmr, played, won, last = tally.get(key, [0, 0, 0, None])
            got = stored[key]
            assert (got.mmr, got.games_played, got.games_won, got.games_lost) == (
                want.mmr + mmr, want.played + played, want.won + won,
                want.lost + played - won,
            ), key  # fmt: skip
            assert got.last_played == (last or want.last), key
        assert model.corrections >= 6 and ladder.wal_status().pending == 0
        audit = [r.action for r in ladder.admin.audit(None)]
        assert audit.count("void") + audit.count("amend") == model.corrections
        # verify sees the bot's drift, and a preview names the drifted entries it changes
        assert {(d.discord_uid, d.race) for d in ladder.verify().differences} == set(BOT_KEYS)
        preview = ladder.admin.preview_correction(model.last_match - 1, None)
        assert preview.rows
        assert {r.key for r in preview.rows if r.drifted} == {
            r.key for r in preview.rows if r.key in BOT_KEYS and r.difference
        }
