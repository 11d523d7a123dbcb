"""Integrity flags: patterns of win trading, feeding, sandbagging and smurfing in the match log.

A flag is a report for an admin to review, never a change. The log is read as voids and
amends left it (voided matches skipped, amended ones with their amended result), in played
order (``played_at``, then ``match_id``), with each side's MMR before and after as logged.
An *entry* is a (discord_uid, race). A draw is neither a win nor a loss: it counts as a game
(a meeting of a pair, a game of an entry) and it ends a losing streak.

"Within ``window_days``" means first and last game at most ``window_days`` times 24 hours
apart (inclusive; times are to the second). The windowed kinds look at every stretch of
consecutive games of one sequence (a *run*) that fits in that time, not just at fixed or
maximal windows, and one sustained pattern gives one flag: qualifying runs of the same kind
and entries that share a game merge, and the flag's window runs from the first game of the
earliest such run to the last game of the latest (:mod:`ladder_cli.domain.runs`):

``pair``
    Runs of the meetings of entries A and B with at least ``pair_games`` games of which A
    won at least ``pair_share``. Entries (A, B), the winner first; every meeting in the
    window is listed.
``feeder``
    Runs of the losses of entry X with at least ``feeder_losses`` losses of which at least
    ``feeder_share`` were to one opponent Y. Entries (X, Y), the feeder first; its losses
    to Y in the window are listed (its other losses there count, and are not listed).
``sandbag``
    A losing streak of X (its consecutive lost games, taken whole: a longer streak is one
    streak, not several) of at least ``sandbag_streak`` games whose MMR losses, game by
    game, sum to at least ``sandbag_drop``; then, over X's games within ``window_days`` of
    the streak's last loss, the running sum of its MMR changes from the streak's end peaks
    at ``sandbag_regain`` or more. MMR moved by other events (resets, adjustments, decay)
    is not counted. The streak's games and the games up to that peak (the first game to
    reach it) are listed; flags whose listed games overlap merge.
``newcomer``
    Among X's first ``newcomer_games`` games in the log, wins over at least
    ``newcomer_upsets`` different opponent entries rated at least ``newcomer_gap`` above X
    (both MMRs before the game). Only an entry whose first game starts at the ladder's
    starting MMR is a newcomer (not one that existed before the log began). Its upsets are
    listed; the window is its first games so far.

Reasons, with the caller's labels for the entries: ``Flash BW T beat Bisu BW P 11 of 12
times in 5 days``; ``X lost 9 of its 11 losses in 4 days to Y``; ``X lost 10 in a row, 172
MMR, then won back 131 within 4 days`` (the first streak's figures, then ``(2 such
streaks)`` when several merged); ``X beat 4 opponents rated 312 to 455 above it in its
first 5 games``. Days are the window's length rounded up, at least 1.

A flag's id is the first 10 hex digits of the SHA-256 of its kind, its entries and its
window's start (the first game's time and match id): the same on every run, and unchanged
by later matches unless they move that start (a later run of the same pattern can reach
back before it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Final

import polars as pl

from ladder_cli.domain.events import LoggedMatch
from ladder_cli.domain.model import (
    DEFAULT_MMR,
    Key,
    default_name,
    format_timestamp,
    short_race,
)
from ladder_cli.domain.patterns import FEEDER, KINDS, NEWCOMER, PAIR, SANDBAG, Log, find
from ladder_cli.util.thresholds import IntegrityRules, parse_rules

_RANK: Final = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Flag:
    """One pattern found: the contract's ``{flag, kind, entries, from, to, matches,
    reason}`` (``start`` and ``end`` are ``from`` and ``to``), and whether an admin
    dismissed it."""

    flag: str
    kind: str
    entries: tuple[Key, ...]
    start: datetime
    end: datetime
    matches: tuple[int, ...]
    reason: str
    dismissed: bool = False

    @property
    def order(self) -> tuple[int, float, float, str]:
        """Sort key: grouped by kind (in :data:`KINDS` order), newest window end first."""
        return (_RANK[self.kind], -self.end.timestamp(), -self.start.timestamp(), self.flag)

    def as_dict(self, names: Mapping[int, str] | None = None) -> dict[str, object]:
        """The JSON object; ``names`` (discord_uid → player name) adds ``player_name``."""
        entries: list[dict[str, object]] = []
        for uid, race in self.entries:
            entry: dict[str, object] = {"discord_uid": uid, "race": race}
            if names is not None:
                entry["player_name"] = names.get(uid, default_name(uid))
            entries.append(entry)
        return {
            "flag": self.flag,
            "kind": self.kind,
            "entries": entries,
            "from": format_timestamp(self.start),
            "to": format_timestamp(self.end),
            "matches": list(self.matches),
            "reason": self.reason,
            "dismissed": self.dismissed,
        }


Label = Callable[[Key], str]
"""How a reason names an entry; the caller's, e.g. ``Flash BW T`` from its player names."""

Names = Callable[[Collection[int]], Mapping[int, str]]
"""The current names of some players (discord_uid → name), asked once for a whole report."""


def plain_label(key: Key) -> str:
    """The default label, ``Player123 bw_terran``, for callers without names."""
    return f"{default_name(key[0])} {key[1]}"


def entry_label(names: Mapping[int, str]) -> Label:
    """Entries named as the reasons read: ``Flash BW T`` (``Player123`` where the name is
    not known)."""
    return lambda key: f"{names.get(key[0], default_name(key[0]))} {short_race(key[1])}"


def flag_id(kind: str, entries: Iterable[Key], start: datetime, first_match: int) -> str:
    """The stable id of a flag: a short hash of its kind, entries and window start."""
    text = "\n".join(
        [
            kind,
            *(f"{uid}/{race}" for uid, race in entries),
            format_timestamp(start) or "",
            str(first_match),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def find_flags(
    matches: Iterable[LoggedMatch] | pl.DataFrame,
    rules: IntegrityRules | None = None,
    since: datetime | None = None,
    *,
    dismissed: Collection[str] = (),
    include_dismissed: bool = False,
    label: Label | None = None,
    names: Names | None = None,
    start_mmr: int | None = DEFAULT_MMR,
) -> list[Flag]:
    """Every flag of the match log (logged matches, or their columns as
    :data:`~ladder_cli.domain.patterns.LOG_COLUMNS` names them), sorted by :attr:`Flag.order`.

    ``since`` (aware) keeps the flags whose window ends at or after it: a pattern still
    going on then is news, and the windows are found over the whole log either way, so ids
    do not depend on ``since``. Flags whose id is in ``dismissed`` are left out, or kept and
    marked with ``include_dismissed`` (``--all``). Reasons name entries by ``label``, or
    with ``names`` (asked once, for the players of the flags reported) by
    :func:`entry_label`. ``start_mmr`` is the ladder's starting MMR (None: every entry's
    first logged game counts as its first game).
    """
    rules = rules or IntegrityRules()
    log = Log(matches)
    kept = []
    for f in find(log, rules, start_mmr):
        start, end = log.played_at(f.first), log.played_at(f.last)
        if since is not None and end < since:
            continue
        entries = tuple(log.keys[e] for e in f.entries)
        fid = flag_id(f.kind, entries, start, log.match_id(f.first))
        gone = fid in dismissed
        if gone and not include_dismissed:
            continue
        kept.append((f, fid, entries, gone, start, end))
    if label is None and names is not None:
        label = entry_label(names({uid for _, _, entries, *_ in kept for uid, _ in entries}))
    name = label or plain_label
    out = [
        Flag(
            fid,
            f.kind,
            entries,
            start,
            end,
            tuple(log.match_ids[f.positions].tolist()),
            f.reason(*(name(key) for key in entries)),
            gone,
        )
        for f, fid, entries, gone, start, end in kept
    ]
    out.sort(key=attrgetter("order"))
    return out


__all__ = [
    "FEEDER",
    "KINDS",
    "NEWCOMER",
    "PAIR",
    "SANDBAG",
    "Flag",
    "IntegrityRules",
    "Label",
    "Names",
    "entry_label",
    "find_flags",
    "flag_id",
    "parse_rules",
    "plain_label",
]
