"""What the shell completes: player names and uids, and races, from what this machine
holds (never a network round trip): a SQLite ladder is read directly, read-only; a server
ladder through the names file kept beside this home's snapshot of it
(:class:`~ladder_cli.core.snapshot.Snapshots` writes it with the snapshot). Neither Polars
nor the stores' code is loaded, and nothing here raises: a completion that cannot read
anything offers nothing."""

from __future__ import annotations

import bisect
import hashlib
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ladder_cli.domain.model import RACES
from ladder_cli.util.files import write_atomically

if TYPE_CHECKING:
    from ladder_cli.util.config import Settings

__all__ = ["LIMIT", "Candidate", "keep_names", "names_path", "players", "races"]

LIMIT: Final = 100
"""The most candidates one completion offers (more would flood the terminal)."""


@dataclass(frozen=True)
class Candidate:
    """One completion: the value the shell inserts and a note some shells show."""

    value: str
    help: str


def names_path(directory: Path, target: str) -> Path:
    """The names file of the database ``target`` among the snapshots in ``directory``."""
    digest = hashlib.sha256(target.encode()).hexdigest()[:16]
    return directory / f"{digest}.names.tsv"


def keep_names(path: Path, players: Iterable[tuple[int, str]]) -> None:
    """Write ``(discord_uid, player_name)`` pairs as the names file: ``name<TAB>uid``, one
    player a line, sorted, so a prefix's names are found by bisection (a name a shell
    could not take is left empty: that player completes by uid)."""
    lines = sorted({f"{name if _typable(name) else ''}\t{uid}\n" for uid, name in players})
    data = "".join(lines).encode()
    # Every snapshot keeps the names, and most flushes change none: an unchanged file is
    # left as it is (no write, no fsync).
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomically(path, data)


def players(settings: Settings, incomplete: str) -> list[Candidate]:
    """The players whose name begins with ``incomplete`` (as typed: the shells and Typer
    match case-sensitively), then those whose uid does, at most :data:`LIMIT`; none
    where the ladder cannot be read from here."""
    try:
        known = _known(settings, incomplete)
    except (OSError, sqlite3.Error, ValueError):
        return []
    return _matching(known, incomplete)


def races(incomplete: str) -> list[str]:
    """The races beginning with ``incomplete``."""
    return [race for race in RACES if race.startswith(incomplete)]


def _known(settings: Settings, incomplete: str) -> list[tuple[int, str]]:
    """Enough of the players that may match: by name in name order until more than
    :data:`LIMIT` names, by uid in uid order likewise."""
    rows = (LIMIT + 1) * len(RACES)  # a player has a row per race
    url = settings.url
    if url[: len("sqlite:///")].lower() == "sqlite:///":
        from ladder_cli.stores.names import players_from_sqlite  # sqlite3 only

        path = Path(url[len("sqlite:///") :]).expanduser()
        return players_from_sqlite(path, incomplete, rows)
    from ladder_cli.util.urls import mask_url

    # The snapshot's files are named for the store's target (PostgresStore.target).
    path = names_path(settings.snapshot_dir, mask_url(url, hide_password=True))
    lines = path.read_text(encoding="utf-8").splitlines()
    known: list[tuple[int, str]] = []
    # The lines that begin with it are together, from its place on, in name order.
    for line in lines[bisect.bisect_left(lines, incomplete) :]:
        if not line.startswith(incomplete) or len(known) > LIMIT:
            break
        name, _, uid = line.rpartition("\t")
        if name:
            known.append((int(uid), name))
    if incomplete.isdigit():
        by_uid = []
        for line in lines:
            name, _, uid = line.rpartition("\t")
            if uid.startswith(incomplete):
                by_uid.append((int(uid), name))
        known += sorted(by_uid)[: LIMIT + 1]
    return known


def _matching(known: list[tuple[int, str]], incomplete: str) -> list[Candidate]:
    names: dict[str, list[int]] = {}
    uids: set[tuple[int, str]] = set()
    for uid, name in known:
        if name and name.startswith(incomplete):
            names.setdefault(name, []).append(uid)
        if incomplete.isdigit() and str(uid).startswith(incomplete):
            uids.add((uid, name))
    found = [Candidate(name, _uids(names[name])) for name in sorted(names) if _typable(name)]
    found += [Candidate(str(uid), name if _typable(name) else "") for uid, name in sorted(uids)]
    if len(found) <= LIMIT:
        return found
    # The typed word itself first, so that a shell inserting what its candidates share
    # (bash) adds nothing these few would not share with the ones left out.
    more = Candidate(incomplete, "and more: type more")
    return [more, *found[: LIMIT - 1]] if incomplete else found[:LIMIT]


def _uids(uids: list[int]) -> str:
    return "discord_uid " + ", ".join(str(uid) for uid in sorted(set(uids)))


def _typable(name: str) -> bool:
    """Whether a shell could take ``name`` as typed: no control or format characters
    (imported names may carry them; such players complete by uid)."""
    # Control and format characters are never printable: most names are, and need no
    # character-by-character look-up.
    return name.isprintable() or not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
