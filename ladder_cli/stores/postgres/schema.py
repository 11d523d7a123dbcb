"""``ladder init`` on PostgreSQL: whether the schema is already in place (then no DDL, so a
least-privilege role may run it), whether an existing ``mmrs_1v1`` can be adopted, and the
index in rank order that server-side reads walk."""

from __future__ import annotations

import re
from typing import Any, Final

import psycopg

from ladder_cli.domain import tables
from ladder_cli.stores import sql
from ladder_cli.util.errors import LadderError

#: The schema's SQL words on PostgreSQL (:func:`ladder_cli.stores.sql.render`).
WORDS: Final[dict[str, str]] = {
    "serial": "SERIAL",
    "bigserial": "BIGSERIAL",
    "timestamp": "TIMESTAMPTZ",
    "fold": "lower",
    "entries_options": " WITH (fillfactor = 80)",
    "double": "DOUBLE PRECISION",
    "ledger_options": "",
}


def schema_in_place(cur: Any, old_job_key_tables: list[str]) -> bool:
    """Whether every table and index of the schema exists, up to date: then `ladder init`
    runs no DDL, so a role without CREATE on the schema (least privilege, see the README)
    can run it after the owner did."""
    names = re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)", sql.SCHEMA)
    cur.execute(
        "SELECT count(*) FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NOT NULL",
        (names,),
    )
    row = cur.fetchone()
    return bool(row and row[0] == len(names)) and not old_job_key_tables


def made_here(cur: psycopg.Cursor[Any]) -> bool:
    """Whether ``mmrs_1v1`` is the one a ``ladder init`` created: only that one has the
    ladder's storage option (:data:`~ladder_cli.stores.sql.SCHEMA`'s fillfactor)."""
    cur.execute(
        "SELECT coalesce('fillfactor=80' = ANY(reloptions), false) FROM pg_class "
        "WHERE oid = 'mmrs_1v1'::regclass"
    )
    row = cur.fetchone()
    return bool(row and row[0])


def rank_index(cur: psycopg.Cursor[Any], *, owned: bool) -> str | None:
    """Create the index server-side reads walk on a table the ladder owns; on an adopted
    one, return the statement to suggest (an admin's table is not altered)."""
    from ladder_cli.stores.postgres.ranks import RANK_INDEX, RANK_INDEX_DDL

    cur.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (RANK_INDEX,))
    row = cur.fetchone()
    if row and row[0]:
        return None  # in place: no DDL (a least-privilege role may run init)
    if owned:
        if row:  # invalid: a build that was stopped (ladder_cli.stores.postgres.rank_index)
            cur.execute(f"DROP INDEX {RANK_INDEX}")
        cur.execute(RANK_INDEX_DDL)
        return None
    if row:
        return None  # the admin's own index, being built or failed: theirs to mind
    return (
        "leaderboard and profile read faster with an index in rank order on mmrs_1v1 "
        f"(not created on an adopted table): {RANK_INDEX_DDL}"
    )


def check_adoptable(cur: psycopg.Cursor[Any], have: set[str], target: str) -> None:
    """An existing ``mmrs_1v1`` the ladder can write to: every column, and the unique key
    its atomic upsert needs."""
    need = set(tables.ENTRY_READ)
    if missing := sorted(need - have):
        raise LadderError(
            f"mmrs_1v1 in {target} lacks columns {', '.join(missing)}: "
            "it is not the ladder's schema"
        )
    cur.execute(
        "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "WHERE c.oid = 'mmrs_1v1'::regclass AND i.indisunique AND ("
        "  SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a"
        "  WHERE a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
        ") = ARRAY['discord_uid', 'race']"
    )
    if cur.fetchone() is None:
        raise LadderError(
            f"mmrs_1v1 in {target} has no UNIQUE (discord_uid, race): the atomic "
            "upsert needs it; add the constraint and run `ladder init` again"
        )
