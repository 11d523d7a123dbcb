"""Verify: replay the match log with the ladder's rules and compare with ``mmrs_1v1``.

The log holds every match the ladder applied and every match imported from the original
bot, in application order; a sequential replay from the starting MMR must end where the
stored rows are. Rows whose own counts are impossible (a negative count, or games played
other than won + lost + drawn) are reported too, whatever wrote them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ladder_cli.model import AppliedMatch, Entry, Key, MatchJob, QueuedJob, format_timestamp
from ladder_cli.rating import PoisonJob, Ratings
from ladder_cli.rules import Rules

COMPARED = ("mmr", "games_played", "games_won", "games_lost", "games_drawn", "last_played")
COUNTS = ("games_played", "games_won", "games_lost", "games_drawn")


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
            "entries_checked": self.entries_checked,
            "differences": [d.as_dict() for d in self.differences],
            "unreplayable": [{"match_id": m, "reason": r} for m, r in self.unreplayable],
        }


def _plain(value: object) -> object:
    return format_timestamp(value) if isinstance(value, datetime) else value


def replay(matches: Iterable[AppliedMatch], rules: Rules) -> tuple[Ratings, list[tuple[int, str]]]:
    """The log replayed from nothing with ``rules``; a match P2 won (result 2) is the same
    game with the sides swapped (Elo treats both sides alike)."""
    ratings = Ratings(rules=rules)
    failed: list[tuple[int, str]] = []
    for m in matches:
        if m.result == 2:
            job = MatchJob(m.p2_uid, m.p2_race, m.p1_uid, m.p1_race, 1, m.played_at)
        else:
            job = MatchJob(m.p1_uid, m.p1_race, m.p2_uid, m.p2_race, m.result, m.played_at)
        try:
            ratings.apply(QueuedJob(0, job))
        except PoisonJob as exc:
            failed.append((m.match_id or 0, str(exc)))
    return ratings, failed


def verify(stored: Sequence[Entry], matches: Sequence[AppliedMatch], rules: Rules) -> VerifyReport:
    """Compare the stored rows with the replayed log, and check each row's own counts."""
    ratings, failed = replay(matches, rules)
    report = VerifyReport(rules.preset, matches_replayed=len(matches) - len(failed))
    report.unreplayable = failed
    expected: dict[Key, Entry] = ratings.entries
    seen: set[Key] = set()
    for row in sorted(stored, key=lambda e: e.key):
        report.entries_checked += 1
        seen.add(row.key)
        want = expected.get(row.key) or Entry(row.discord_uid, row.race, "", rules.start_mmr)
        for name in COMPARED:
            have, should = getattr(row, name), getattr(want, name)
            if have != should:
                report.differences.append(_diff(row, "replay", name, have, should))
        report.differences.extend(invalid_counts(row))
    for key in sorted(set(expected) - seen):
        want = expected[key]
        report.differences.append(_diff(want, "replay", "row", None, "a row with games"))
    return report


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
