"""Player names and uids beginning with a prefix, read from a SQLite ladder file for the
shell's completion: opened read-only (a missing file is never created), with nothing but
the standard library, so a completion stays quick."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

__all__ = ["players_from_sqlite"]

_BY_NAME: Final = (
    "SELECT DISTINCT discord_uid, player_name FROM mmrs_1v1 WHERE player_name LIKE ? ESCAPE '\\'"
)
_ALL: Final = "SELECT DISTINCT discord_uid, player_name FROM mmrs_1v1"
_BY_UID: Final = (
    "SELECT DISTINCT discord_uid, player_name FROM mmrs_1v1 "
    "WHERE CAST(discord_uid AS TEXT) LIKE ? ESCAPE '\\'"
)


def players_from_sqlite(path: Path, prefix: str) -> list[tuple[int, str]]:
    """``(discord_uid, player_name)`` of the players whose name, or uid, may begin with
    ``prefix`` (the caller applies the exact test: SQLite's LIKE ignores the case of ASCII
    letters only, so a prefix with other letters reads every name). Raises ``sqlite3.Error``
    where the file is missing or is no ladder."""
    uri = f"{path.absolute().as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=0.5) as conn:
        if prefix.isascii():
            pattern = _like(prefix)
            rows = conn.execute(_BY_NAME, (pattern,)).fetchall()
            if prefix.isdigit():
                rows += conn.execute(_BY_UID, (pattern,)).fetchall()
        else:
            rows = conn.execute(_ALL).fetchall()
    return [(int(uid), str(name)) for uid, name in rows]


def _like(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
