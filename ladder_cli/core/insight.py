"""What a person reads rather than scans (a Ladder's ``views``): trends, statistics,
head-to-head, charts and the dry-run preview of a match. Data comes from the reads
(pending writes included, offline too); the arithmetic is in :mod:`ladder_cli.domain.stats`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ladder_cli.domain.model import AppliedMatch, MatchJob, QueuedJob, parse_race
from ladder_cli.util.errors import BadInput

if TYPE_CHECKING:
    from ladder_cli.core.parts import Parts
    from ladder_cli.core.reads import Profile, Reads
    from ladder_cli.domain import stats as insight


class Insight:
    """What ``stats``, ``h2h``, ``chart``, ``profile``'s trends and ``record --dry-run``
    show, computed from one :class:`~ladder_cli.core.reads.Reads`."""

    def __init__(self, parts: Parts, reads: Reads, resolve: Callable[..., int]) -> None:
        self._parts = parts
        self._reads = reads
        self._resolve = resolve

    def matches_of(self, player: str | int) -> list[AppliedMatch]:
        """Every match of one player, pending ones included, newest first."""
        return self._reads.history(player, limit=None)

    def trends(self, profile: Profile) -> list[insight.Trend]:
        """Per race of a profile: recent MMRs, peak and current streak."""
        from ladder_cli.domain import stats as insight

        current = {r["race"]: r["mmr"] for r in profile.races}
        uid = profile.discord_uid
        return insight.trends(uid, self.matches_of(uid), current)

    def stats(self, matches: Sequence[AppliedMatch] | None = None) -> insight.LadderStats:
        """The ladder at a glance, pending writes included. ``matches``: the whole match log
        (``history(None, limit=None)``) when the caller has already read it, so a big log
        is not read twice (the standings site needs it for its charts too)."""
        from ladder_cli.domain import ranks
        from ladder_cli.domain import stats as insight

        ranked = ranks.with_ranks(self._reads.current().frame, rules=self._parts.rules())
        if matches is None:
            matches = self._reads.history(None, limit=None)
        return insight.ladder_stats(ranked, matches)

    def h2h(self, p1: str | int, p2: str | int) -> insight.HeadToHead:
        """Two known players' record against each other, and the odds the ratings give."""
        import polars as pl

        from ladder_cli.domain import stats as insight
        from ladder_cli.domain.rating import expected

        u1, u2 = self._resolve(p1), self._resolve(p2)
        if u1 == u2:
            raise BadInput(f"P1 and P2 are the same player ({u1}): name two players")
        both = self._reads.current().frame.filter(pl.col("discord_uid").is_in([u1, u2]))
        rows = both.select("discord_uid", "race", "mmr", "player_name").iter_rows()
        mmrs, names = {}, {}
        for uid, race, mmr, name in rows:
            mmrs[(uid, race)] = mmr
            names[uid] = name
        scale = self._parts.rules().scale
        return insight.head_to_head(
            (u1, names.get(u1, str(u1))),
            (u2, names.get(u2, str(u2))),
            self.matches_of(u1),
            mmrs,
            lambda mine, theirs: expected(mine, theirs, scale),
        )

    def record_preview(self, job: MatchJob) -> insight.Preview:
        """What recording ``job`` (already validated) would do; writes nothing."""
        import polars as pl

        from ladder_cli.domain import stats as insight
        from ladder_cli.domain.frames import entries_from_frame
        from ladder_cli.domain.rating import Ratings, expected

        rules = self._parts.rules()
        uids = [job.p1_uid, job.p2_uid]
        frame = self._reads.current().frame.filter(pl.col("discord_uid").is_in(uids))
        ratings = Ratings.from_entries(entries_from_frame(frame), rules)
        ratings.apply(QueuedJob(0, job))
        match = ratings.matches[-1]
        names = {**ratings.names, **ratings.renamed}
        chance = expected(match.p1_mmr_before, match.p2_mmr_before, rules.scale)
        return insight.Preview(match, names, chance)

    def mmr_points(
        self, player: str | int, race: str | None, since: datetime | None
    ) -> list[insight.Point]:
        """A player's MMR after each match, per race, for a chart."""
        from ladder_cli.domain import stats as insight

        uid = self._resolve(player)
        race = None if race is None else parse_race(race)
        return insight.mmr_points(uid, self.matches_of(uid), race=race, since=since)
