"""Closed seasons in a store: their tables, the close itself, and the archive's reads.

A close is one transaction, like a correction: the ledger check, the archive of every
entry's standing (ranked by the database in one ``INSERT ... SELECT``, so nothing crosses
the wire row by row), one season event per entry, the soft reset of ``mmrs_1v1``, the
season row, the audit row and the ledger row commit together, or none of them does.
Written once for both stores against :class:`~ladder_cli.stores.interface.Dialect`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from ladder_cli.domain.events import SOFT_RESET_SCALE
from ladder_cli.domain.model import QueuedJob, SeasonJob, now_utc
from ladder_cli.domain.ranks import LEADERBOARD_COLUMNS
from ladder_cli.stores import sql
from ladder_cli.stores.alone import apply_alone
from ladder_cli.stores.interface import BatchResult, Dialect
from ladder_cli.util import failpoints

if TYPE_CHECKING:
    from ladder_cli.domain.rules import Rules

ACTION: Final = "season-close"
"""The audit trail's action for a close."""

#: An archived standing as read back: its place in the archive, the leaderboard's keys
#: (position overall), and the position within its race.
STANDING_KEYS: Final = ("place", "position", "race_position", *LEADERBOARD_COLUMNS[1:])


@dataclass(frozen=True)
class Season:
    """One closed season, as ``season list`` shows it."""

    name: str
    closed_at: datetime | None
    entries: int
    matches: int
    soft_reset: float

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "entries": self.entries,
            "matches": self.matches,
            "soft_reset": self.soft_reset,
        }


# -- schema ------------------------------------------------------------------------------


def upgrade(store: Dialect, cur: Any) -> None:
    """Inside the schema transaction: add the season tables where they are missing (a
    database from before seasons is upgraded in place; an existing one needs no DDL)."""
    if store.columns(cur, "ladder_seasons") and store.columns(cur, "ladder_season_standings"):
        return
    script = sql.render(sql.SEASON_SCHEMA, **store.words)
    for statement in script.split(";"):
        if statement.strip():
            cur.execute(statement)


# -- the close ---------------------------------------------------------------------------


def apply_close(store: Dialect, queue_id: str, queued: QueuedJob) -> BatchResult:
    """Close one season, exactly once. A name closed meanwhile (by another home, or an
    earlier job of this queue) fails the job cleanly: nothing is archived twice."""
    job = queued.job
    assert isinstance(job, SeasonJob)

    def work(cur: Any) -> Any:
        cur.execute(store.q(sql.SEASON_NAMED), (job.name,))
        if cur.fetchone() is not None:
            return f"season {job.name!r} is already closed"
        if store.lock_rows:
            # A server: no outside writer (the bot) may change a row between the archive
            # and the reset; they wait for this transaction.
            cur.execute("LOCK TABLE mmrs_1v1 IN SHARE ROW EXCLUSIVE MODE")
        return _close(store, cur, queue_id, queued, job)

    return apply_alone(store, queue_id, queued, work)


def _close(store: Dialect, cur: Any, queue_id: str, queued: QueuedJob, job: SeasonJob) -> Any:
    q, ts = store.q, store.ts
    now = now_utc()
    rules = store.rules_in(cur).with_activity(job.activity_days)
    since_sql, since = "", []
    if rules.activity_days is not None:
        since_sql, since = sql.SEASON_SINCE, [ts(now - timedelta(days=rules.activity_days))]
    cur.execute(q(sql.SEASON_RANKED_COUNT.format(since=since_sql)), since)
    ranked, entries = (int(v) for v in cur.fetchone())
    cur.execute(sql.MAX_MATCH_ID)
    after = int(cur.fetchone()[0])
    cur.execute(sql.LAST_SEASON_END)
    previous = int(cur.fetchone()[0])
    cur.execute(q(sql.MATCHES_BETWEEN), (previous, after))
    matches = int(cur.fetchone()[0])
    cur.execute(
        q(sql.INSERT_SEASON),
        (job.name, ts(now), entries, matches, job.factor, after, queue_id, queued.ledger_id),
    )
    cur.execute(q(sql.SEASON_NAMED), (job.name,))
    season_id = int(cur.fetchone()[0])
    letter = _letter_case(ranked, rules)
    cur.execute(
        q(sql.ARCHIVE_STANDINGS.format(letter=letter, since=since_sql)), [season_id, *since]
    )
    failpoints.hit("in-season-close")
    factor = int(job.factor)
    cur.execute(
        q(sql.SEASON_EVENTS.format(factor=factor)), (after, ts(now), queue_id, queued.ledger_id)
    )
    cur.execute(sql.SEASON_RESET_ENTRIES.format(factor=factor))
    target = f"{job.name} ({entries:,} entries, soft reset {factor / SOFT_RESET_SCALE:g})"
    cur.execute(
        q(sql.INSERT_AUDIT),
        (ts(job.at), job.actor, ACTION, target, None, None, queue_id, queued.ledger_id),
    )
    cur.execute(sql.ALL_ENTRIES)
    written = (store.entry(row) for row in cur.fetchall())
    return {e.key: e for e in written}


def _letter_case(ranked: int, rules: Rules) -> str:
    """The letter of a row ranked ``ahead`` among ``ranked`` entries, as SQL (the cut-offs
    are whole numbers computed here by :func:`ladder_cli.domain.rules.cutoffs`)."""
    from ladder_cli.domain.rules import cutoffs

    cuts = cutoffs(ranked, rules)
    whens = " ".join(f"WHEN ahead < {int(cut)} THEN '{name}'" for name, cut in cuts)
    return f"CASE WHEN ranked = 0 THEN 'U' {whens} ELSE 'F' END"


# -- reads -------------------------------------------------------------------------------


def season_id(store: Dialect, name: str) -> int | None:
    with store.read_cursor() as cur:
        if not store.columns(cur, "ladder_seasons"):
            return None
        cur.execute(store.q(sql.SEASON_NAMED), (name,))
        row = cur.fetchone()
    return None if row is None else int(row[0])


def seasons(store: Dialect) -> list[Season]:
    """Every closed season, newest first."""
    with store.read_cursor() as cur:
        if not store.columns(cur, "ladder_seasons"):
            return []
        cur.execute(sql.SEASON_LIST)
        rows = cur.fetchall()
    return [
        Season(str(r[0]), store.parse_ts(r[1]), int(r[2]), int(r[3]), int(r[4]) / SOFT_RESET_SCALE)
        for r in rows
    ]


def standings(store: Dialect, season: int) -> list[dict[str, Any]]:
    """A closed season's archived standings, in rank order."""
    with store.read_cursor() as cur:
        cur.execute(store.q(sql.SEASON_STANDINGS), (season,))
        rows = cur.fetchall()
    return [_standing(store, r) for r in rows]


def finishes(store: Dialect, uid: int) -> list[dict[str, Any]]:
    """A player's archived standings in every closed season, newest season first."""
    with store.read_cursor() as cur:
        if not store.columns(cur, "ladder_season_standings"):
            return []
        cur.execute(store.q(sql.PLAYER_SEASONS), (uid,))
        rows = cur.fetchall()
    return [{"season": str(r[0]), **_standing(store, r[1:])} for r in rows]


def _standing(store: Dialect, r: Any) -> dict[str, Any]:
    row = dict(zip(STANDING_KEYS, r, strict=True))
    row["last_played"] = store.parse_ts(row["last_played"])
    for key in ("place", "mmr", "games_played", "games_won", "games_lost", "games_drawn"):
        row[key] = int(row[key])
    row["discord_uid"] = int(row["discord_uid"])
    for key in ("position", "race_position"):
        row[key] = None if row[key] is None else int(row[key])
    return row


__all__ = ["ACTION", "Season", "apply_close", "finishes", "season_id", "seasons", "standings"]
