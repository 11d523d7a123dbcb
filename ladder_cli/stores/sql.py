"""SQL that both stores run, written once in psycopg's ``%s`` style.

The SQLite store swaps the placeholders for ``?``; the few words that differ between the
dialects (column types, the case-folding function) are filled in by :func:`render`.
"""

from __future__ import annotations

from typing import Final

from ladder_cli.domain.tables import (
    AUDIT_SHOWN,
    ENTRY_READ,
    ENTRY_WRITE,
    GLICKO,
    LEDGER,
    MATCH_SHOWN,
    MATCH_WRITE,
    sql_list,
)

ENTRY_COLUMNS: Final = sql_list(ENTRY_READ)
MATCH_COLUMNS: Final = sql_list(MATCH_SHOWN)
UPSERT_COLUMNS: Final = sql_list(ENTRY_WRITE)


def _values(names: tuple[str, ...]) -> str:
    return ", ".join(["%s"] * len(names))


# mmrs_1v1 is the existing ladder's table: created only where it is missing, never altered.
# Where the ladder creates it on PostgreSQL, pages are left 20% free ({entries_options}),
# so that updating a row can keep the new version on its page (a HOT update, with no new
# index entries), which makes the flush's upserts cheaper (docs/benchmarks.md).
# The ledger is only ever looked up by its key; SQLite stores it in that key's B-tree
# ({ledger_options}) rather than in a table plus an index.
SCHEMA = """
CREATE TABLE IF NOT EXISTS mmrs_1v1 (
    id {serial} PRIMARY KEY,
    discord_uid BIGINT NOT NULL,
    player_name TEXT NOT NULL,
    race TEXT NOT NULL,
    mmr INTEGER NOT NULL,
    games_played INTEGER DEFAULT 0,
    games_won INTEGER DEFAULT 0,
    games_lost INTEGER DEFAULT 0,
    games_drawn INTEGER DEFAULT 0,
    last_played {timestamp},
    UNIQUE (discord_uid, race)
){entries_options};
CREATE TABLE IF NOT EXISTS ladder_matches (
    match_id {bigserial} PRIMARY KEY,
    queue_id TEXT NOT NULL,
    job_id BIGINT NOT NULL,
    played_at {timestamp} NOT NULL,
    p1_uid BIGINT NOT NULL,
    p1_race TEXT NOT NULL,
    p1_mmr_before INTEGER NOT NULL,
    p1_mmr_after INTEGER NOT NULL,
    p2_uid BIGINT NOT NULL,
    p2_race TEXT NOT NULL,
    p2_mmr_before INTEGER NOT NULL,
    p2_mmr_after INTEGER NOT NULL,
    result SMALLINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'recorded'
);
CREATE INDEX IF NOT EXISTS ladder_matches_p1_uid ON ladder_matches (p1_uid);
CREATE INDEX IF NOT EXISTS ladder_matches_p2_uid ON ladder_matches (p2_uid);
CREATE INDEX IF NOT EXISTS ladder_matches_played_at ON ladder_matches (played_at, match_id);
CREATE TABLE IF NOT EXISTS ladder_applied_jobs (
    queue_id TEXT NOT NULL,
    job_id BIGINT NOT NULL,
    applied_at {timestamp} NOT NULL,
    PRIMARY KEY (queue_id, job_id)
){ledger_options};
"""

# The ladder's rating rules (one row, id 1; see ladder_cli.domain.rules): no row means the
# standard rules. Written once, by `ladder init`, and the same for every home.
RULES_TABLE: Final = "ladder_rules"
RULES_COLUMNS: Final = "preset, k, scale, rounding, start_mmr, letters, activity_days"
RULES_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS ladder_rules (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    preset TEXT NOT NULL,
    k INTEGER NOT NULL,
    scale INTEGER NOT NULL,
    rounding TEXT NOT NULL,
    start_mmr INTEGER NOT NULL,
    letters TEXT NOT NULL,
    activity_days INTEGER
);
"""
SCHEMA += RULES_SCHEMA

# Under Glicko-2 rules, each entry's rating, RD and volatility (doubles), beside its row of
# mmrs_1v1 (whose mmr is floor(rating + 0.5)): the bot's table is never altered. A row
# whose mmr no longer matches its rating here was changed outside the ladder.
GLICKO_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS ladder_glicko (
    discord_uid BIGINT NOT NULL,
    race TEXT NOT NULL,
    rating {double} NOT NULL,
    rd {double} NOT NULL,
    volatility {double} NOT NULL,
    PRIMARY KEY (discord_uid, race)
){ledger_options};
"""
SCHEMA += GLICKO_SCHEMA
GLICKO_COLUMNS: Final = sql_list(GLICKO.names)
GLICKO_OF_UIDS: Final = f"SELECT {GLICKO_COLUMNS} FROM ladder_glicko WHERE discord_uid {{uids}}"
ALL_GLICKO: Final = f"SELECT {GLICKO_COLUMNS} FROM ladder_glicko"
UPSERT_GLICKO: Final = (
    f"INSERT INTO ladder_glicko ({GLICKO_COLUMNS}) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (discord_uid, race) DO UPDATE SET rating = EXCLUDED.rating, "
    "rd = EXCLUDED.rd, volatility = EXCLUDED.volatility"
)
SELECT_RULES: Final = f"SELECT {RULES_COLUMNS} FROM ladder_rules WHERE id = 1"
INSERT_RULES: Final = (
    f"INSERT INTO ladder_rules (id, {RULES_COLUMNS}) VALUES (1, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (id) DO NOTHING"
)

# The ladder's own tables as the first development builds made them named the ledger's
# job key after the queue's seq; a job's ledger key is now its job id, and a queue upgraded
# from then gives its old jobs their seq as job id, so the rows keep meaning the same jobs.
SCHEMA_TABLES: Final = ("mmrs_1v1", "ladder_matches", "ladder_applied_jobs", "ladder_rules",
                        "ladder_events", "ladder_audit", "ladder_glicko")  # fmt: skip
"""The tables of a ready schema: a server's connection checks them once (else ``init``)."""
SCHEMA_READY: Final = "SELECT " + " AND ".join(
    f"to_regclass('{table}') IS NOT NULL" for table in SCHEMA_TABLES
)

OLD_JOB_KEY_TABLES: Final = ("ladder_applied_jobs", "ladder_matches")
RENAME_OLD_JOB_KEY: Final = "ALTER TABLE {table} RENAME COLUMN job_seq TO job_id"

# The seed's atomic upsert: the database adds the game counts to what it holds, so no
# update is lost even against a writer that does not take our locks.
UPSERT_DELTA: Final = f"""
INSERT INTO mmrs_1v1 ({UPSERT_COLUMNS})
VALUES ({_values(ENTRY_WRITE)})
ON CONFLICT (discord_uid, race) DO UPDATE SET
    player_name = EXCLUDED.player_name,
    mmr = EXCLUDED.mmr,
    games_played = COALESCE(mmrs_1v1.games_played, 0) + EXCLUDED.games_played,
    games_won = COALESCE(mmrs_1v1.games_won, 0) + EXCLUDED.games_won,
    games_lost = COALESCE(mmrs_1v1.games_lost, 0) + EXCLUDED.games_lost,
    games_drawn = COALESCE(mmrs_1v1.games_drawn, 0) + EXCLUDED.games_drawn,
    last_played = EXCLUDED.last_played
"""

# After a reset without --keep-stats the counts are absolute: they replace what is stored.
UPSERT_ABSOLUTE: Final = f"""
INSERT INTO mmrs_1v1 ({UPSERT_COLUMNS})
VALUES ({_values(ENTRY_WRITE)})
ON CONFLICT (discord_uid, race) DO UPDATE SET
    player_name = EXCLUDED.player_name,
    mmr = EXCLUDED.mmr,
    games_played = EXCLUDED.games_played,
    games_won = EXCLUDED.games_won,
    games_lost = EXCLUDED.games_lost,
    games_drawn = EXCLUDED.games_drawn,
    last_played = EXCLUDED.last_played
"""

RENAME: Final = "UPDATE mmrs_1v1 SET player_name = %s WHERE discord_uid = %s"

INSERT_MATCH: Final = (
    f"INSERT INTO ladder_matches ({sql_list(MATCH_WRITE)}) VALUES ({_values(MATCH_WRITE)})"
)

INSERT_APPLIED: Final = (
    f"INSERT INTO ladder_applied_jobs ({sql_list(LEDGER.names)}) VALUES ({_values(LEDGER.names)})"
)

APPLIED_AMONG: Final = "SELECT job_id FROM ladder_applied_jobs WHERE queue_id = %s AND job_id {ids}"

ENTRIES_OF_UIDS: Final = (
    f"SELECT {ENTRY_COLUMNS} FROM mmrs_1v1 WHERE discord_uid {{uids}} ORDER BY discord_uid, race"
)

ALL_ENTRIES: Final = f"SELECT {ENTRY_COLUMNS} FROM mmrs_1v1"

PLAYERS_NAMED: Final = (
    "SELECT discord_uid, min(player_name) FROM mmrs_1v1 "
    "WHERE {fold}(player_name) = {fold}(%s) GROUP BY discord_uid ORDER BY discord_uid"
)

PLAYER_NAMES: Final = (
    "SELECT discord_uid, min(player_name) FROM mmrs_1v1 GROUP BY discord_uid ORDER BY discord_uid"
)

PLAYER_EXISTS: Final = "SELECT 1 FROM mmrs_1v1 WHERE discord_uid = %s LIMIT 1"

HISTORY: Final = (
    f"SELECT {MATCH_COLUMNS} FROM ladder_matches {{where}} "
    "ORDER BY played_at DESC, match_id DESC LIMIT %s"
)

MATCHES_OF_JOBS: Final = (
    f"SELECT {MATCH_COLUMNS}, job_id FROM ladder_matches "
    "WHERE queue_id = %s AND job_id {ids} ORDER BY match_id"
)

ALL_MATCHES: Final = f"SELECT {MATCH_COLUMNS} FROM ladder_matches ORDER BY match_id"

LOGGED_JOB_IDS: Final = "SELECT job_id FROM ladder_matches WHERE queue_id = %s"

COUNTS: Final = "SELECT count(*), COALESCE(sum(games_played), 0) FROM mmrs_1v1"


# -- the event log, corrections and the audit trail ------------------------------------

# Resets, adjustments and baselines, one row per entry, each placed after the match it was
# applied after (match_id 0: before every match); with the match log they are the event
# log. A baseline pins an entry the log could not explain when the database was upgraded.
DELETE_EVENTS_OF_KIND: Final = "DELETE FROM ladder_events WHERE kind = %s"
EVENT_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS ladder_events (
    event_id {bigserial} PRIMARY KEY,
    after_match BIGINT NOT NULL,
    kind TEXT NOT NULL,
    discord_uid BIGINT NOT NULL,
    race TEXT NOT NULL,
    amount INTEGER NOT NULL,
    keep_stats SMALLINT NOT NULL,
    mmr_before INTEGER NOT NULL,
    mmr_after INTEGER NOT NULL,
    games_played INTEGER NOT NULL DEFAULT 0,
    games_won INTEGER NOT NULL DEFAULT 0,
    games_lost INTEGER NOT NULL DEFAULT 0,
    games_drawn INTEGER NOT NULL DEFAULT 0,
    last_played {timestamp},
    at {timestamp} NOT NULL,
    queue_id TEXT,
    job_id BIGINT,
    mmr_floor INTEGER
);
CREATE INDEX IF NOT EXISTS ladder_events_order ON ladder_events (after_match, event_id);
CREATE INDEX IF NOT EXISTS ladder_events_key ON ladder_events (discord_uid, race);
CREATE TABLE IF NOT EXISTS ladder_audit (
    audit_id {bigserial} PRIMARY KEY,
    at {timestamp} NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT,
    match_id BIGINT,
    queue_id TEXT,
    job_id BIGINT
);
CREATE INDEX IF NOT EXISTS ladder_audit_match ON ladder_audit (match_id);
"""

ADD_MATCH_STATE: Final = (
    "ALTER TABLE ladder_matches ADD COLUMN state TEXT NOT NULL DEFAULT 'recorded'"
)
# A decay's floor; an event log from before decays lacks the column.
ADD_EVENT_FLOOR: Final = "ALTER TABLE ladder_events ADD COLUMN mmr_floor INTEGER"

EVENT_COLUMNS: Final = (
    "event_id, after_match, kind, discord_uid, race, amount, keep_stats, mmr_before, "
    "mmr_after, at, games_played, games_won, games_lost, games_drawn, last_played, mmr_floor"
)

INSERT_EVENT: Final = f"""
INSERT INTO ladder_events ({EVENT_COLUMNS.split(", ", 1)[1]}, queue_id, job_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""

# The last column: whether the match was imported from the original bot (its queue id,
# ladder_cli.stores.bot.BOT_QUEUE_PREFIX), whose rows' last_played is the match's completion.
LOG_MATCH_COLUMNS: Final = (
    "match_id, played_at, p1_uid, p1_race, p2_uid, p2_race, result, state, "
    "p1_mmr_before, p1_mmr_after, p2_mmr_before, p2_mmr_after, "
    "CASE WHEN substr(queue_id, 1, 4) = 'bot:' THEN 1 ELSE 0 END"
)

LOG_MATCH: Final = f"SELECT {LOG_MATCH_COLUMNS} FROM ladder_matches WHERE match_id = %s"

LOG_MATCHES_AFTER: Final = (
    f"SELECT {LOG_MATCH_COLUMNS} FROM ladder_matches WHERE match_id > %s ORDER BY match_id LIMIT %s"
)

# The log as it stood at a time (``--as-of``): matches played and other events made at or
# before it, each in log order.
LOG_MATCHES_UNTIL: Final = (
    f"SELECT {LOG_MATCH_COLUMNS} FROM ladder_matches WHERE match_id > %s AND played_at <= %s "
    "ORDER BY match_id LIMIT %s"
)

# The same matches, only the columns a replay to a time reads (the fast path of ``--as-of``).
LOG_MATCH_ROWS_UNTIL: Final = (
    "SELECT match_id, played_at, p1_uid, p1_race, p2_uid, p2_race, result, state "
    "FROM ladder_matches WHERE match_id > %s AND played_at <= %s ORDER BY match_id LIMIT %s"
)

LOG_MATCH_ROWS: Final = (
    "SELECT match_id, played_at, p1_uid, p1_race, p2_uid, p2_race, result, state "
    "FROM ladder_matches WHERE match_id > %s ORDER BY match_id LIMIT %s"
)

LOG_EVENTS_UNTIL: Final = (
    f"SELECT {EVENT_COLUMNS} FROM ladder_events WHERE at <= %s ORDER BY after_match, event_id"
)

LOG_EVENTS_FROM: Final = (
    f"SELECT {EVENT_COLUMNS} FROM ladder_events WHERE after_match >= %s "
    "ORDER BY after_match, event_id"
)

# The last event that set a key's counts before a match, and its later games in effect.
LAST_COUNTS_SET: Final = (
    "SELECT after_match, last_played FROM ladder_events WHERE discord_uid = %s AND race = %s "
    "AND after_match < %s AND (kind = 'baseline' OR (kind = 'reset' AND keep_stats = 0)) "
    "ORDER BY after_match DESC, event_id DESC LIMIT 1"
)
LAST_PLAYED_BETWEEN: Final = (
    "SELECT max(played_at) FROM ladder_matches WHERE match_id > %s AND match_id < %s "
    "AND state <> 'voided' AND ((p1_uid = %s AND p1_race = %s) OR (p2_uid = %s AND p2_race = %s))"
)

REWRITE_MATCH: Final = (
    "UPDATE ladder_matches SET p1_mmr_before = %s, p1_mmr_after = %s, p2_mmr_before = %s, "
    "p2_mmr_after = %s WHERE match_id = %s"
)
REWRITE_EVENT: Final = (
    "UPDATE ladder_events SET mmr_before = %s, mmr_after = %s WHERE event_id = %s"
)
CORRECT_MATCH: Final = "UPDATE ladder_matches SET state = %s, result = %s WHERE match_id = %s"

# A correction's change as a delta on what is stored: an outside writer's games stay.
ENTRY_DELTA: Final = """
UPDATE mmrs_1v1 SET mmr = mmr + %s,
    games_played = COALESCE(games_played, 0) + %s,
    games_won = COALESCE(games_won, 0) + %s,
    games_lost = COALESCE(games_lost, 0) + %s,
    games_drawn = COALESCE(games_drawn, 0) + %s
WHERE discord_uid = %s AND race = %s
"""
ENTRY_LAST_PLAYED: Final = (
    "UPDATE mmrs_1v1 SET last_played = %s WHERE discord_uid = %s AND race = %s AND last_played = %s"
)
ENTRY_LAST_PLAYED_WAS_NULL: Final = (
    "UPDATE mmrs_1v1 SET last_played = %s WHERE discord_uid = %s AND race = %s "
    "AND last_played IS NULL"
)
ENTRY_OF_KEY: Final = f"SELECT {ENTRY_COLUMNS} FROM mmrs_1v1 WHERE discord_uid = %s AND race = %s"

MAX_MATCH_ID: Final = "SELECT COALESCE(max(match_id), 0) FROM ladder_matches"
# The log's mark: its newest match, event and audit row. Every write that changes the log
# adds one of them (a correction, a decay, a close or an adjustment its audit row).
LOG_MARK: Final = (
    "SELECT (SELECT COALESCE(max(match_id), 0) FROM ladder_matches), "
    "(SELECT COALESCE(max(event_id), 0) FROM ladder_events), "
    "(SELECT COALESCE(max(audit_id), 0) FROM ladder_audit)"
)
MATCH_ID_OF_JOB: Final = "SELECT match_id FROM ladder_matches WHERE queue_id = %s AND job_id = %s"

INSERT_AUDIT: Final = (
    "INSERT INTO ladder_audit (at, actor, action, target, reason, match_id, queue_id, job_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
AUDIT_COLUMNS: Final = sql_list(AUDIT_SHOWN)
AUDIT_NEWEST: Final = f"SELECT {AUDIT_COLUMNS} FROM ladder_audit ORDER BY audit_id DESC LIMIT %s"
AUDIT_BY_ID: Final = f"SELECT {AUDIT_COLUMNS} FROM ladder_audit WHERE audit_id = %s"
AUDIT_OF_MATCH: Final = (
    f"SELECT {AUDIT_COLUMNS} FROM ladder_audit WHERE match_id = %s ORDER BY audit_id"
)
AUDIT_OF_ACTION: Final = (
    f"SELECT {AUDIT_COLUMNS} FROM ladder_audit WHERE action = %s ORDER BY audit_id"
)


def render(sql: str, **words: str) -> str:
    """Fill in the dialect's words (``{serial}``, ``{fold}``...) of a shared statement."""
    return sql.format(**words) if words else sql


# -- seasons -----------------------------------------------------------------------------

# A closed season and every entry's final standing in it, as the leaderboard showed it when
# the season closed (``place``: the rank order over all entries; ``position`` and
# ``race_position``: the default leaderboard's and the race's, NULL without games). Written
# once by the close, never changed: a later correction replays the live ratings only.
SEASON_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS ladder_seasons (
    season_id {bigserial} PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    closed_at {timestamp} NOT NULL,
    entries INTEGER NOT NULL,
    matches BIGINT NOT NULL,
    soft_reset INTEGER NOT NULL,
    after_match BIGINT NOT NULL,
    queue_id TEXT,
    job_id BIGINT
);
CREATE TABLE IF NOT EXISTS ladder_season_standings (
    season_id BIGINT NOT NULL,
    place INTEGER NOT NULL,
    position INTEGER,
    race_position INTEGER,
    rank TEXT NOT NULL,
    discord_uid BIGINT NOT NULL,
    player_name TEXT NOT NULL,
    race TEXT NOT NULL,
    mmr INTEGER NOT NULL,
    games_played INTEGER NOT NULL,
    games_won INTEGER NOT NULL,
    games_lost INTEGER NOT NULL,
    games_drawn INTEGER NOT NULL,
    last_played {timestamp},
    PRIMARY KEY (season_id, place)
);
CREATE INDEX IF NOT EXISTS ladder_season_standings_uid
    ON ladder_season_standings (discord_uid, season_id);
"""

SEASON_NAMED: Final = "SELECT season_id FROM ladder_seasons WHERE name = %s"
INSERT_SEASON: Final = (
    "INSERT INTO ladder_seasons (name, closed_at, entries, matches, soft_reset, after_match, "
    "queue_id, job_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
SEASON_LIST: Final = (
    "SELECT name, closed_at, entries, matches, soft_reset FROM ladder_seasons "
    "ORDER BY season_id DESC"
)
# The matches in effect since the previous close (its last match) up to this one.
LAST_SEASON_END: Final = "SELECT COALESCE(max(after_match), 0) FROM ladder_seasons"
MATCHES_BETWEEN: Final = (
    "SELECT count(*) FROM ladder_matches WHERE match_id > %s AND match_id <= %s "
    "AND state <> 'voided'"
)

# Entries in the leaderboard's order (ladder_cli.domain.ranks.ORDER, nulls last), with whether each
# holds a letter (``ranked``); ``{since}`` is empty or the activity window's condition. The
# letter is filled in from the count of ranked entries ahead, by cut-offs computed for the
# number of ranked entries (``{letter}``). Positions, overall and within the race, count
# the ranked entries only (without a window: those with a game), as the leaderboard does.
_SEASON_RANKED: Final = """
SELECT discord_uid, player_name, race, mmr, COALESCE(games_played, 0) AS played_n,
    COALESCE(games_won, 0) AS won_n, COALESCE(games_lost, 0) AS lost_n,
    COALESCE(games_drawn, 0) AS drawn_n, last_played, ranked,
    ROW_NUMBER() OVER w AS place,
    SUM(ranked) OVER w - ranked AS ahead,
    SUM(ranked) OVER (PARTITION BY race ORDER BY mmr DESC, last_played DESC NULLS LAST, id DESC
        ROWS UNBOUNDED PRECEDING) AS race_upto
FROM (
    SELECT mmrs_1v1.*,
        CASE WHEN COALESCE(games_played, 0) > 0{since} THEN 1 ELSE 0 END AS ranked
    FROM mmrs_1v1
) e
WINDOW w AS (ORDER BY mmr DESC, last_played DESC NULLS LAST, id DESC ROWS UNBOUNDED PRECEDING)
"""
SEASON_RANKED_COUNT: Final = (
    "SELECT COALESCE(SUM(CASE WHEN COALESCE(games_played, 0) > 0{since} THEN 1 ELSE 0 END), 0), "
    "count(*) FROM mmrs_1v1"
)
SEASON_SINCE: Final = " AND last_played >= %s"
ARCHIVE_STANDINGS: Final = f"""
INSERT INTO ladder_season_standings (season_id, place, position, race_position, rank,
    discord_uid, player_name, race, mmr, games_played, games_won, games_lost, games_drawn,
    last_played)
SELECT %s, place, CASE WHEN ranked = 1 THEN ahead + 1 END,
    CASE WHEN ranked = 1 THEN race_upto END, {{letter}}, discord_uid, player_name, race, mmr,
    played_n, won_n, lost_n, drawn_n, last_played
FROM ({_SEASON_RANKED}) r
"""

# ``floor(1500 + F * (mmr - 1500) + 0.5)`` with F in millionths (``{factor}``, a validated
# integer), in exact integers: both dialects divide integers truncating toward zero, so a
# negative numerator is floored through its negation. Must equal
# ladder_cli.domain.events.soft_reset (tests/test_seasons.py).
_NUMERATOR: Final = "(1500 * 1000000 + CAST({factor} AS BIGINT) * (mmr - 1500) + 500000)"
SOFT_RESET_MMR: Final = (
    f"(CASE WHEN {_NUMERATOR} >= 0 THEN {_NUMERATOR} / 1000000 "
    f"ELSE -((999999 - {_NUMERATOR}) / 1000000) END)"
)
SEASON_EVENTS: Final = f"""
INSERT INTO ladder_events (after_match, kind, discord_uid, race, amount, keep_stats,
    mmr_before, mmr_after, at, games_played, games_won, games_lost, games_drawn, last_played,
    mmr_floor, queue_id, job_id)
SELECT %s, 'season', discord_uid, race, {{factor}}, 0, mmr, {SOFT_RESET_MMR}, %s, 0, 0, 0, 0,
    last_played, NULL, %s, %s
FROM mmrs_1v1
"""
SEASON_RESET_ENTRIES: Final = f"""
UPDATE mmrs_1v1 SET mmr = {SOFT_RESET_MMR}, games_played = 0, games_won = 0, games_lost = 0,
    games_drawn = 0
"""

_STANDING_COLUMNS: Final = (
    "place, position, race_position, rank, discord_uid, player_name, race, mmr, "
    "games_played, games_won, games_lost, games_drawn, last_played"
)
SEASON_STANDINGS: Final = (
    f"SELECT {_STANDING_COLUMNS} FROM ladder_season_standings WHERE season_id = %s ORDER BY place"
)
PLAYER_SEASONS: Final = (
    f"SELECT s.name, {_STANDING_COLUMNS} FROM ladder_season_standings st "
    "JOIN ladder_seasons s ON s.season_id = st.season_id WHERE st.discord_uid = %s "
    "ORDER BY st.season_id DESC, st.race"
)
