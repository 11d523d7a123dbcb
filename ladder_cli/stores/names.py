"""Player names and uids beginning with a prefix, read from a SQLite ladder file for the
shell's completion: opened read-only (a missing file is never created), with nothing but
the standard library, so a completion stays quick."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

__all__ = ["players_from_sqlite"]

_ALL: Final = "SELECT discord_uid, player_name FROM mmrs_1v1"
# Code point order is UTF-8's byte order, SQLite's BINARY collation: the names that begin
# with a prefix are those from it up to the prefix with its last character the next one.
_BY_NAME: Final = _ALL + " WHERE player_name >= ? AND player_name < ?"
_BY_NAME_SLOW: Final = _ALL + " WHERE substr(player_name, 1, ?) = ?"
_BY_UID: Final = _ALL + " WHERE substr(CAST(discord_uid AS TEXT), 1, ?) = ?"
_NAME_ORDER: Final = " ORDER BY player_name, discord_uid LIMIT ?"
_UID_ORDER: Final = " ORDER BY discord_uid LIMIT ?"


def players_from_sqlite(path: Path, prefix: str, rows: int) -> list[tuple[int, str]]:
    """``(discord_uid, player_name)`` of the first ``rows`` entries by name whose player's
    name begins with ``prefix`` (as typed: case counts), then of the first ``rows`` by
    uid whose uid does where ``prefix`` is digits; a player once per race. Raises
    ``sqlite3.Error`` where the file is missing or is no ladder."""
    uri = f"{path.absolute().as_uri()}?mode=ro"
    statement, params = _by_name(prefix)
    with sqlite3.connect(uri, uri=True, timeout=0.5) as conn:
        found = conn.execute(statement + _NAME_ORDER, (*params, rows)).fetchall()
        if prefix.isdigit():
            by_uid = _BY_UID + _UID_ORDER
            found += conn.execute(by_uid, (len(prefix), prefix, rows)).fetchall()
    return [(int(uid), str(name)) for uid, name in found]


def _by_name(prefix: str) -> tuple[str, tuple[object, ...]]:
    if not prefix:
        return _ALL, ()
    after = ord(prefix[-1]) + 1
    if after > 0x10FFFF or 0xD800 <= after <= 0xDFFF:
        return _BY_NAME_SLOW, (len(prefix), prefix)
    return _BY_NAME, (prefix, prefix[:-1] + chr(after))
