"""The original bot's tables, only ever read: its matches (imported into the match log as
history it already applied) and its ``players`` (country, region, battletag).

Written once for both stores, through :class:`~ladder_cli.stores.interface.Dialect`'s cursors.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ladder_cli.domain.model import AppliedMatch
from ladder_cli.stores import eventlog, sql
from ladder_cli.stores.interface import Dialect
from ladder_cli.stores.rows import match_row
from ladder_cli.util.errors import BadInput

#: The queue id of matches imported from the bot's table: ``bot:matches_1v1``.
BOT_QUEUE_PREFIX = "bot:"
BOT_MATCH_COLUMNS = (
    "id",
    "player_1_discord_uid",
    "player_2_discord_uid",
    "player_1_race",
    "player_2_race",
    "player_1_mmr",
    "player_2_mmr",
    "match_result",
    "mmr_change",
    "played_at",
)
BOT_PLAYER_COLUMNS = ("country", "region", "battletag")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def bot_columns(store: Dialect, table: str) -> set[str]:
    """The columns of one of the bot's tables; empty when it has no such table."""
    with store.read_cursor() as cur:
        return store.columns(cur, table)


def import_bot_matches(store: Dialect, table: str, *, dry_run: bool = False) -> dict[str, int]:
    """Copy the bot's resolved matches into the match log, as history already applied.

    In played order (``played_at, id``), each keyed by the bot's id under the queue id
    ``bot:TABLE``, so a second import adds only the new ones; nothing in
    ``mmrs_1v1`` changes. Aborted (-1) and unresolved (NULL) matches are counted.
    """
    if not _IDENTIFIER.fullmatch(table):
        raise BadInput(
            f"table {table!r} is not a plain table name (letters, digits, _)", param="table"
        )
    queue_id = BOT_QUEUE_PREFIX + table
    counts = dict.fromkeys(
        ("imported", "already_present", "skipped_aborted", "skipped_unresolved"), 0
    )
    with store.write_transaction() as cur:
        have = store.columns(cur, table)
        if not have:
            raise BadInput(f"the database has no table {table!r} of the bot's matches")
        if missing := [c for c in BOT_MATCH_COLUMNS if c not in have]:
            raise BadInput(
                f"table {table!r} lacks the bot's columns {', '.join(missing)}: "
                "it is not the bot's matches table"
            )
        cur.execute(f"SELECT {', '.join(BOT_MATCH_COLUMNS)} FROM {table} ORDER BY played_at, id")
        rows = cur.fetchall()
        cur.execute(store.q(sql.LOGGED_JOB_IDS), (queue_id,))
        present = {int(row[0]) for row in cur.fetchall()}
        new: list[AppliedMatch] = []
        for bot_id, p1, p2, race1, race2, mmr1, mmr2, result, change, played in rows:
            played_at = _parse_bot_ts(played)
            if result == -1:
                counts["skipped_aborted"] += 1
            elif result not in (0, 1, 2) or played_at is None:
                counts["skipped_unresolved"] += 1
            elif int(bot_id) in present:
                counts["already_present"] += 1
            else:
                delta = int(change or 0)
                new.append(
                    AppliedMatch(
                        None,
                        played_at,
                        int(p1),
                        str(race1),
                        int(mmr1),
                        int(mmr1) + delta,
                        int(p2),
                        str(race2),
                        int(mmr2),
                        int(mmr2) - delta,
                        int(result),
                        None,
                        int(bot_id),
                    )
                )
        counts["imported"] = len(new)
        if new and not dry_run:
            ts = store.ts
            cur.executemany(store.q(sql.INSERT_MATCH), (match_row(queue_id, m, ts) for m in new))
            # The imported history explains entries init had to pin with a baseline.
            eventlog.rebaseline(store, cur)
    return counts


def _parse_bot_ts(value: Any) -> datetime | None:
    """A timestamp of the bot's tables: text in SQLite, naive or aware in PostgreSQL;
    without an offset it is UTC (the bot writes UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def bot_player(store: Dialect, uid: int) -> dict[str, Any] | None:
    """The bot's ``players`` row of this player (country, region, battletag), or None
    when the table or the row is missing."""
    have = bot_columns(store, "players")
    wanted = [c for c in BOT_PLAYER_COLUMNS if c in have]
    if "discord_uid" not in have or not wanted:
        return None
    with store.read_cursor() as cur:
        cur.execute(
            store.q(f"SELECT {', '.join(wanted)} FROM players WHERE discord_uid = %s"), (uid,)
        )
        row = cur.fetchone()
    return None if row is None else dict(zip(wanted, row, strict=True))


def bot_players_in(store: Dialect, country: str) -> set[int] | None:
    """The players whose bot ``players.country`` is ``country`` (ignoring case); None
    when the database has no such table or column."""
    have = bot_columns(store, "players")
    if not {"discord_uid", "country"} <= have:
        return None
    with store.read_cursor() as cur:
        cur.execute(
            store.q("SELECT discord_uid FROM players WHERE upper(country) = upper(%s)"),
            (country,),
        )
        return {int(row[0]) for row in cur.fetchall()}
