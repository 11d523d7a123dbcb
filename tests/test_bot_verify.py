"""``verify`` on data the original bot wrote: the bot sets ``last_played`` when it
completes a match, a little after the ``played_at`` its ``matches_1v1`` keeps, so on an
imported bot history a stored ``last_played`` up to 24 hours after the replayed one is
the bot's own rule, not a difference (README, "Administering the original bot's
database"). Such entries are not pinned by baselines either, so a correction of an
imported match reaches them. A real difference is still reported.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.helpers import invoke, query
from tests.test_bot import BotSimulation


def run(home: Path, url: str, *args: object, code: int = 0) -> Any:
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def _ts(url: str, value: datetime) -> object:
    return value.isoformat() if url.startswith("sqlite") else value


def _last(url: str, uid: int, race: str) -> datetime:
    (raw,) = query(
        url, "SELECT last_played FROM mmrs_1v1 WHERE discord_uid = %s AND race = %s", (uid, race)
    )[0]
    value = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_verify_on_the_bots_data_follows_its_last_played_rule(db_url: str, home: Path) -> None:
    bot = BotSimulation(seed=24, completion=(3, 55))
    bot.play(150, range(1, 13))
    bot.write(db_url, first=True)
    run(home, db_url, "init", "--rules", "evoladder")
    run(home, db_url, "import", "bot-matches")
    # the imported history explains every row, each last game's completion included
    assert query(db_url, "SELECT count(*) FROM ladder_events") == [(0,)]
    report = run(home, db_url, "verify", "--format", "json").json
    assert report["ok"] and report["differences"] == [], report["differences"][:3]
    made: dict[tuple[object, object], object] = {}  # each entry's last match's played_at
    for p1, p2, r1, r2, _, _, _, at, result in bot.matches:
        if result in (0, 1, 2):
            made[p1, r1] = made[p2, r2] = at
    assert all(e["last"] > made[k] for k, e in bot.entries.items() if e["played"])  # type: ignore[operator]

    # The bot plays on; a second import, and its rule still holds.
    bot.play(100, range(1, 13))
    bot.write(db_url, first=False)
    run(home, db_url, "import", "bot-matches")
    assert run(home, db_url, "verify").code == 0
    assert query(db_url, "SELECT count(*) FROM ladder_events") == [(0,)]

    # A correction of an imported match reaches its players' current ratings (a baseline
    # would have pinned them where the bot left them).
    log = run(home, db_url, "history", "--limit", "0", "--format", "json").json
    first = log[-1]
    before = {(r["discord_uid"], r["race"]): r["mmr"] for r in
              run(home, db_url, "leaderboard", "--top", "0", "--format", "json").json}  # fmt: skip
    run(home, db_url, "match", "void", first["match_id"], "--reason", "test", "--yes")
    after = {(r["discord_uid"], r["race"]): r["mmr"] for r in
             run(home, db_url, "leaderboard", "--top", "0", "--format", "json").json}  # fmt: skip
    assert after[first["p1_uid"], first["p1_race"]] != before[first["p1_uid"], first["p1_race"]]
    assert run(home, db_url, "verify").code == 0

    # Real differences are still reported: a last game moved days later, or earlier than
    # the match was made.
    (u1, r1), (u2, r2) = sorted(k for k, e in bot.entries.items() if e["played"])[:2]
    for uid, race, shift in ((u1, r1, timedelta(days=3)), (u2, r2, -timedelta(minutes=200))):
        moved = _last(db_url, uid, race) + shift
        query(
            db_url,
            "UPDATE mmrs_1v1 SET last_played = %s WHERE discord_uid = %s AND race = %s",
            (_ts(db_url, moved), uid, race),
        )
    report = run(home, db_url, "verify", "--format", "json", code=1).json
    found = {(d["key"], d["field"]) for d in report["differences"]}
    assert found == {(f"{u1}/{r1}", "last_played"), (f"{u2}/{r2}", "last_played")}


def test_a_match_the_ladder_recorded_is_compared_exactly(db_url: str, home: Path) -> None:
    """The bot's rule is for the bot's matches: on an evoladder ladder, a match recorded
    by the ladder itself sets last_played to its played_at, and a row an hour off is a
    difference."""
    run(home, db_url, "init", "--rules", "evoladder")
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    run(home, db_url, "record", 1, "bw_zerg", 2, "bw_zerg", "--at", at.isoformat())
    assert run(home, db_url, "verify").code == 0
    query(
        db_url,
        "UPDATE mmrs_1v1 SET last_played = %s WHERE discord_uid = 1",
        (_ts(db_url, at + timedelta(hours=1)),),
    )
    report = run(home, db_url, "verify", "--format", "json", code=1).json
    assert [(d["key"], d["field"]) for d in report["differences"]] == [("1/bw_zerg", "last_played")]
