"""Verify: replay the whole event log with the ladder's rules and compare with ``mmrs_1v1``.

The event log is the match log (every match the ladder applied, amended or voided, and
every match imported from the original bot) with the resets, adjustments and upgrade
baselines between its matches, in application order; a sequential replay from the starting
MMR (:mod:`ladder_cli.domain.replay`, the flush's own rating function) must end where the stored
rows are. Under Glicko-2 rules the replayed rating, RD and volatility must also be the
doubles stored beside each row. Rows whose own counts are impossible (a negative count, or
games played other than won + lost + drawn) are reported too, whatever wrote them.

One value is compared by the bot's own rule: the original bot sets ``last_played`` when
it completes a match, a little after the match's ``played_at`` (the time it was made,
which is what the log keeps). So where an entry's last game was imported from the bot, a
stored ``last_played`` from that ``played_at`` to :data:`BOT_COMPLETION_WINDOW` after it
agrees (:func:`explains`); earlier, or later than that, it is a difference.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from ladder_cli.domain.events import Event, LoggedMatch
from ladder_cli.domain.glicko2 import of_row
from ladder_cli.domain.model import Entry, Key, format_timestamp
from ladder_cli.domain.replay import Replay, Standing
from ladder_cli.domain.rules import Rules

COMPARED = ("mmr", "games_played", "games_won", "games_lost", "games_drawn", "last_played")
COUNTS = ("games_played", "games_won", "games_lost", "games_drawn")
#: Glicko-2's doubles, compared to within what a round trip through a database keeps.
DOUBLES = ("rating", "rd", "volatility")

#: How long after a bot match's ``played_at`` the bot may have completed it (and set the
#: entry's ``last_played``): longer than a game and its report, short enough that a row
#: changed by days is still a difference.
BOT_COMPLETION_WINDOW: Final = timedelta(hours=24)


@dataclass
class Difference:
    """One stored value that is not what it should be."""

    discord_uid: int
    race: str
    player_name: str | None
    check: str  # "replay" (differs from the replayed log) or "counts" (impossible row)
    field: str
    stored: object
    expected: object

    def as_dict(self) -> dict[str, object]:
        return {
            "key": f"{self.discord_uid}/{self.race}",
            "discord_uid": self.discord_uid,
            "race": self.race,
            "player_name": self.player_name,
            "check": self.check,
            "field": self.field,
            "stored": _plain(self.stored),
            "expected": _plain(self.expected),
        }


@dataclass
class VerifyReport:
    rules: str
    matches_replayed: int = 0
    #: Resets, adjustments and baselines replayed between the matches.
    events_replayed: int = 0
    entries_checked: int = 0
    differences: list[Difference] = field(default_factory=list)
    #: Logged matches the replay could not apply (an unknown race, a player against self).
    unreplayable: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.unreplayable

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "rules": self.rules,
            "matches_replayed": self.matches_replayed,
            "events_replayed": self.events_replayed,
            "entries_checked": self.entries_checked,
            "differences": [d.as_dict() for d in self.differences],
            "unreplayable": [{"match_id": m, "reason": r} for m, r in self.unreplayable],
        }


def _plain(value: object) -> object:
    return format_timestamp(value) if isinstance(value, datetime) else value


def verify(
    stored: Iterable[Entry],
    log: Iterable[Event],
    rules: Rules,
    doubles: Mapping[Key, tuple[float, float, float]] | None = None,
) -> VerifyReport:
    """Compare the stored rows with the replayed event log, and check each row's counts;
    under Glicko-2 rules, also the stored ``doubles`` (rating, RD, volatility by key)."""
    replay = Replay.with_rules(rules)
    report = VerifyReport(rules.preset)
    for event in log:
        try:
            replay.apply(event)
        except ValueError as exc:  # a logged row no replay can apply
            report.unreplayable.append((getattr(event, "match_id", 0), str(exc)))
            continue
        if isinstance(event, LoggedMatch):
            report.matches_replayed += 1
        else:
            report.events_replayed += 1
    return compare(stored, replay.standings, rules, report, doubles)


def compare(
    stored: Iterable[Entry],
    standings: dict[Key, Standing],
    rules: Rules,
    report: VerifyReport,
    doubles: Mapping[Key, tuple[float, float, float]] | None = None,
) -> VerifyReport:
    """The stored rows against the replayed ``standings`` (however the log was replayed),
    and each row's own counts, into ``report``; under Glicko-2 rules, also the stored
    ``doubles`` against the replayed states."""
    seen: set[Key] = set()
    for row in sorted(stored, key=lambda e: e.key):
        report.entries_checked += 1
        seen.add(row.key)
        want = standings.get(row.key) or Standing(rules.start_mmr)
        for name, should in zip(COMPARED, want.values(), strict=True):
            have = getattr(row, name)
            if have != should and not (name == "last_played" and _completed(want, have)):
                report.differences.append(_diff(row, "replay", name, have, should))
        if rules.glicko and want.state is not None:
            # What a flush would rate this entry from (a row without doubles that explain
            # its MMR is read as a baseline), against the replay's state.
            kept = (doubles or {}).get(row.key)
            r, d, v = (None, None, None) if kept is None else kept
            have_s = of_row(row.mmr, r, d, v, row.last_played, row.games_played)
            s = want.state
            for name, have_d, should_d in zip(
                DOUBLES, (have_s.rating, have_s.rd, have_s.volatility),
                (s.rating, s.rd, s.volatility), strict=True,
            ):  # fmt: skip
                if not math.isclose(have_d, should_d, rel_tol=1e-12, abs_tol=1e-9):
                    report.differences.append(_diff(row, "replay", name, have_d, should_d))
        report.differences.extend(invalid_counts(row))
    for key in sorted(set(standings) - seen):
        missing = Entry(key[0], key[1], "", standings[key].mmr)
        report.differences.append(_diff(missing, "replay", "row", None, "a row with games"))
    return report


def explains(want: Standing, row: Entry) -> bool:
    """Whether the replayed ``want`` explains the stored ``row``: every value equal, but
    ``last_played`` by the bot's rule where the last game was the bot's (see above)."""
    have = (row.mmr, row.games_played, row.games_won, row.games_lost, row.games_drawn)
    if have != want.values()[:5]:
        return False
    return row.last_played == want.last or _completed(want, row.last_played)


def _completed(want: Standing, stored: object) -> bool:
    """A stored ``last_played`` the bot set on completing the entry's last game."""
    last = want.last
    return (
        want.last_imported
        and last is not None
        and isinstance(stored, datetime)
        and last <= stored <= last + BOT_COMPLETION_WINDOW
    )


def invalid_counts(row: Entry) -> list[Difference]:
    """The impossible counts of one row: negatives, and played != won + lost + drawn."""
    found = [
        _diff(row, "counts", name, getattr(row, name), ">= 0")
        for name in COUNTS
        if getattr(row, name) < 0
    ]
    total = row.games_won + row.games_lost + row.games_drawn
    if row.games_played != total:
        found.append(_diff(row, "counts", "games_played", row.games_played, total))
    return found


def _diff(row: Entry, check: str, name: str, stored: object, expected: object) -> Difference:
    return Difference(
        row.discord_uid, row.race, row.player_name or None, check, name, stored, expected
    )
