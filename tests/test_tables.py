"""Each table's columns are defined once (ladder_cli/domain/tables.py): the tables the stores
create, and the row constructors written out by hand on hot paths, agree with it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import psycopg
import pytest

from ladder_cli.core.ladder import Ladder
from ladder_cli.domain import frames as state
from ladder_cli.domain import tables
from ladder_cli.domain.model import AppliedMatch, Entry
from ladder_cli.domain.rating import Change
from ladder_cli.stores import sql
from ladder_cli.stores.postgres.copy import _UPSERT_TMP_TYPES, upsert_tmp_row
from ladder_cli.stores.rows import match_row, upsert_row
from ladder_cli.stores.sqlite import SqliteStore

TABLES = (tables.ENTRIES, tables.MATCHES, tables.LEDGER, tables.EVENTS, tables.AUDIT)
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _entry() -> Entry:
    return Entry(11, "bw_zerg", "Name", 1501, 3, 2, 1, 0, WHEN, 7)


def _match() -> AppliedMatch:
    return AppliedMatch(
        match_id=5,
        played_at=WHEN,
        p1_uid=101,
        p1_race="bw_terran",
        p1_mmr_before=1502,
        p1_mmr_after=1503,
        p2_uid=102,
        p2_race="sc2_zerg",
        p2_mmr_before=1504,
        p2_mmr_after=1505,
        result=1,
        job_id=99,
    )


def test_sqlite_creates_the_defined_columns_in_order(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ladder.sqlite3")
    try:
        with store.read_cursor() as cur:
            for table in TABLES:
                rows = cur.execute(f"PRAGMA table_info({table.name})").fetchall()
                assert tuple(row[1] for row in rows) == table.names, table.name
    finally:
        store.close()


@pytest.mark.pg
def test_postgres_creates_the_defined_columns_and_types(pg_url: str, tmp_path: Path) -> None:
    with Ladder.open(db=pg_url, home=tmp_path) as ladder:
        ladder.init()
    with psycopg.connect(pg_url) as conn:
        for table in TABLES:
            rows = conn.execute(
                "SELECT column_name, udt_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s "
                "ORDER BY ordinal_position",
                (table.name,),
            ).fetchall()
            assert tuple(rows) == tuple((c.name, c.type) for c in table.columns), table.name


def test_the_polars_schemas_follow_the_tables() -> None:
    assert tuple(state.SCHEMA) == tables.ENTRY_READ
    assert tuple(state.MATCH_SCHEMA) == tables.MATCH_SHOWN
    assert tuple(state.empty_frame().columns) == tables.ENTRY_READ
    assert [c.strip() for c in sql.MATCH_COLUMNS.split(",")] == list(tables.MATCH_SHOWN)


def test_match_rows_follow_the_match_log() -> None:
    m = _match()
    row = dict(zip(tables.MATCH_WRITE, match_row("q", m, lambda v: v), strict=True))
    assert row == {"queue_id": "q", **{n: getattr(m, n) for n in tables.MATCH_WRITE[1:]}}
    assert len(tables.MATCHES.types(tables.MATCH_WRITE)) == len(row)


def test_upsert_rows_follow_the_entries() -> None:
    change = Change(_entry())
    change.played, change.won, change.lost, change.drawn = 21, 22, 23, 24
    expected = {
        **{n: getattr(change.entry, n) for n in tables.ENTRY_WRITE},
        "games_played": 21,
        "games_won": 22,
        "games_lost": 23,
        "games_drawn": 24,
    }
    assert dict(zip(tables.ENTRY_WRITE, upsert_row(change, lambda v: v), strict=True)) == expected
    tmp = upsert_tmp_row(4, change)
    assert tmp[:2] == (4, change.absolute)
    assert dict(zip(tables.ENTRY_WRITE, tmp[2:], strict=True)) == expected
    assert len(_UPSERT_TMP_TYPES) == len(tmp)


def test_entries_read_positionally_follow_the_entries(tmp_path: Path) -> None:
    entry = _entry()
    row = tuple(getattr(entry, n) for n in tables.ENTRY_READ)
    store = SqliteStore(tmp_path / "ladder.sqlite3")
    try:
        text_row = tuple(v.isoformat() if isinstance(v, datetime) else v for v in row)
        assert store._entry(text_row) == entry
    finally:
        store.close()
    from ladder_cli.stores.postgres.rows import _entries

    assert list(_entries([row])) == [entry]
    frame = state.frame_from_entries([entry])
    assert frame.row(0) == row
    assert state.entries_from_frame(frame) == [entry]


def test_a_snapshot_keeps_logged_matches_by_name() -> None:
    m = _match()
    frame = state.frame_from_matches([m])
    assert frame.schema == pl.Schema(state.MATCH_SCHEMA)
    [back] = state.matches_from_frame(frame)
    assert back.as_dict() == m.as_dict()
