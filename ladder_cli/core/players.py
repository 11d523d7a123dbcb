"""Who a player reference means: digits are a discord_uid, anything else an exact name.

Names are looked up in the read source (the database, or offline its snapshot) and in the
pending queue, so a player created by a write not yet flushed is found too.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from ladder_cli.domain.model import MatchJob, ResetJob, job_uids, now_utc, parse_race, parse_uid
from ladder_cli.util.errors import BadInput, LadderError
from ladder_cli.util.thresholds import MAX_MMR

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ladder_cli.core.parts import Parts


class Players:
    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    def resolve(self, ref: str | int, *, must_exist: bool = True) -> int:
        """A discord_uid from digits or an exact (case-insensitive) player name.

        Unknown uids are accepted only for writes that create players (``must_exist``
        false); names must always match exactly one known player.
        """
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            uid = parse_uid(ref, what="player")
            if must_exist and not self._known(uid):
                raise BadInput(
                    f"unknown player {uid}: no entries for this discord_uid "
                    "(record a match to create it)"
                )
            return uid
        name = str(ref)
        if not name.strip():
            raise BadInput("player is empty: give a discord_uid or a player name")
        found = dict(self._named(name))
        if not found:
            similar = self._similar(name)
            hint = "; did you mean " + ", ".join(f"{n} ({u})" for u, n in similar) + "?"
            raise BadInput(
                f"unknown player {name!r}: no player has this name{hint if similar else ''} "
                "(names match exactly, ignoring case; a new player needs a discord_uid)"
            )
        if len(found) > 1:
            candidates = ", ".join(f"{n} ({u})" for u, n in sorted(found.items()))
            raise BadInput(f"player name {name!r} is ambiguous: {candidates}; use the discord_uid")
        return next(iter(found))

    def _similar(self, name: str, limit: int = 5) -> list[tuple[int, str]]:
        """Known players whose names are close to ``name``: the candidates to list."""
        source = self._parts.source
        try:
            players = source.player_names()
        except LadderError:
            if source.unavailable is None:
                raise
            return []  # offline with no snapshot: no candidates to list
        by_name: dict[str, list[tuple[int, str]]] = {}
        for uid, known in players:
            by_name.setdefault(known.casefold(), []).append((uid, known))
        wanted = name.casefold()
        close = difflib.get_close_matches(wanted, list(by_name), n=limit, cutoff=0.6)
        close += [k for k in by_name if wanted in k and k not in close]
        return [player for key in close[:limit] for player in by_name[key]][:limit]

    def _named(self, name: str) -> list[tuple[int, str]]:
        wanted = name.casefold()
        pending = [
            (uid, given)
            for q in self._parts.pending()
            if isinstance(q.job, MatchJob)
            for uid, given in ((q.job.p1_uid, q.job.p1_name), (q.job.p2_uid, q.job.p2_name))
            if given is not None and given.casefold() == wanted
        ]
        return self._parts.source.players_named(name) + pending

    def _known(self, uid: int) -> bool:
        if any(uid in job_uids(q.job) for q in self._parts.pending()):
            return True
        return self._parts.source.player_exists(uid)

    def match(
        self,
        p1: str | int,
        race1: str,
        p2: str | int,
        race2: str,
        draw: bool,
        at: datetime | None,
        p1_name: str | None,
        p2_name: str | None,
    ) -> MatchJob:
        """A validated match; a uid the ladder has not seen is a new player."""
        return MatchJob.checked(
            self.resolve(p1, must_exist=False),
            race1,
            self.resolve(p2, must_exist=False),
            race2,
            result=0 if draw else 1,
            played_at=at,
            p1_name=p1_name,
            p2_name=p2_name,
        )

    def reset(
        self,
        player: str | int,
        race: str | None,
        mmr: int,
        keep_stats: bool,
        races_of: Callable[[int], set[str]],
    ) -> ResetJob:
        """A validated reset of a known player (``races_of``: the races a player plays)."""
        uid = self.resolve(player)
        race = None if race is None else parse_race(race)
        if isinstance(mmr, bool) or not isinstance(mmr, int):
            raise BadInput(f"mmr {mmr!r} must be a whole number from 0 to {MAX_MMR}")
        if not 0 <= mmr <= MAX_MMR:
            raise BadInput(f"mmr {mmr} is out of range: it must be from 0 to {MAX_MMR}")
        if race is not None:
            races = races_of(uid)
            if race not in races:
                raise BadInput(
                    f"player {uid} has no {race} entry (plays: {', '.join(sorted(races))})"
                )
        return ResetJob(uid, race, mmr, keep_stats, now_utc())
