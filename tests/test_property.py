"""Property-based tests (hypothesis): random match streams, with draws and resets.

The reference is a few lines of plain Python below (:class:`Model`), independent of the
library except for the Elo formula itself. Properties:

* the engine (:class:`ladder_cli.domain.rating.Ratings`) agrees with the model;
* Elo conserves points within rounding: in every match ``|Δ1 + Δ2| <= 1``;
* a real store, flushed in random batch sizes, holds exactly the model's rows, and the
  invariants of :mod:`tests.invariants` hold (all of them when the stream has no reset);
* what reads show before a flush (the database with the queue on top) is what the
  flush then writes;
* replay is idempotent: flushing twice, or re-applying committed batches (a crash
  between the database commit and the queue update), changes nothing.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ladder_cli.core.ladder import Ladder
from ladder_cli.domain.model import RACES, Job, MatchJob, QueuedJob, ResetJob
from ladder_cli.domain.rating import Ratings, rate
from ladder_cli.util.config import resolve
from tests.helpers import Row
from tests.invariants import EPOCH, check_invariants, read_db

STRESS = (os.environ.get("LADDER_STRESS") or "").lower() in {"1", "true", "yes", "on"}
EXAMPLES = 400 if STRESS else 40
PG_EXAMPLES = 80 if STRESS else 15

UIDS = [101, 102, 103, 104, 105]
SOME_RACES = list(RACES[:3])

Key = tuple[int, str]


# -- the reference ----------------------------------------------------------------------


@dataclass
class Model:
    rows: dict[Key, Row] = field(default_factory=dict)
    matches: int = 0
    worst_drift: int = 0

    def apply(self, job: Job) -> None:
        if isinstance(job, MatchJob):
            a = self.rows.setdefault((job.p1_uid, job.p1_race), Row())
            b = self.rows.setdefault((job.p2_uid, job.p2_race), Row())
            new_a, new_b = rate(a.mmr, b.mmr, 1.0 if job.result == 1 else 0.5)
            drift = (new_a - a.mmr) + (new_b - b.mmr)
            self.worst_drift = max(self.worst_drift, abs(drift))
            a.mmr, b.mmr = new_a, new_b
            for row, won, lost in ((a, job.result, 0), (b, 0, job.result)):
                row.played += 1
                row.won += won
                row.lost += lost
                row.drawn += 1 - job.result
                row.last = job.played_at if row.last is None else max(row.last, job.played_at)
            self.matches += 1
            return
        for (uid, race), row in self.rows.items():
            if uid == job.uid and job.race in (None, race):
                row.mmr = job.mmr
                if not job.keep_stats:
                    row.played = row.won = row.lost = row.drawn = 0
                    row.last = None

    def table(self) -> dict[Key, tuple[object, ...]]:
        return {k: (r.mmr, r.played, r.won, r.lost, r.drawn, r.last) for k, r in self.rows.items()}


# -- streams ----------------------------------------------------------------------------


@st.composite
def match_jobs(draw: st.DrawFn, i: int) -> Job:
    u1, u2 = draw(st.lists(st.sampled_from(UIDS), min_size=2, max_size=2, unique=True))
    return MatchJob(
        p1_uid=u1,
        p1_race=draw(st.sampled_from(SOME_RACES)),
        p2_uid=u2,
        p2_race=draw(st.sampled_from(SOME_RACES)),
        result=draw(st.sampled_from([1, 1, 1, 0])),
        played_at=EPOCH + timedelta(seconds=draw(st.integers(0, 10**6))) + timedelta(days=i),
    )


@st.composite
def streams(draw: st.DrawFn, *, resets: bool = True, max_size: int = 60) -> list[Job]:
    n = draw(st.integers(1, max_size))
    jobs: list[Job] = []
    for i in range(n):
        if resets and draw(st.integers(0, 9)) == 0:
            jobs.append(
                ResetJob(
                    uid=draw(st.sampled_from(UIDS)),
                    race=draw(st.one_of(st.none(), st.sampled_from(SOME_RACES))),
                    mmr=draw(st.integers(0, 3000)),
                    keep_stats=draw(st.booleans()),
                    at=EPOCH + timedelta(days=i),
                )
            )
        else:
            jobs.append(draw(match_jobs(i)))
    return jobs


# -- the engine -------------------------------------------------------------------------


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(streams())
def test_engine_agrees_with_the_model(jobs: list[Job]) -> None:
    model, ratings = Model(), Ratings()
    for seq, job in enumerate(jobs, start=1):
        model.apply(job)
        ratings.apply(QueuedJob(seq, job))
    got = {
        k: (e.mmr, e.games_played, e.games_won, e.games_lost, e.games_drawn, e.last_played)
        for k, e in ratings.entries.items()
    }
    assert got == model.table()
    for e in ratings.entries.values():
        assert e.games_played == e.games_won + e.games_lost + e.games_drawn
    # Elo conservation within rounding, match by match.
    assert model.worst_drift <= 1
    for m in ratings.matches:
        assert abs((m.p1_mmr_after - m.p1_mmr_before) + (m.p2_mmr_after - m.p2_mmr_before)) <= 1
    assert len(ratings.matches) == model.matches


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(streams(resets=False))
def test_without_resets_points_are_conserved_within_rounding(jobs: list[Job]) -> None:
    model = Model()
    for job in jobs:
        model.apply(job)
    total = sum(r.mmr for r in model.rows.values())
    assert abs(total - 1500 * len(model.rows)) <= model.matches
    assert sum(r.played for r in model.rows.values()) == 2 * model.matches


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(st.integers(0, 3000), st.integers(0, 3000), st.sampled_from([1.0, 0.5, 0.0]))
def test_one_match_conserves_within_rounding(a: int, b: int, score: float) -> None:
    new_a, new_b = rate(a, b, score)
    assert abs((new_a - a) + (new_b - b)) <= 1
    assert abs(new_a - a) <= 40 and abs(new_b - b) <= 40
    # The winner never loses points, the loser never gains.
    if score == 1.0:
        assert new_a >= a and new_b <= b


# -- a real store -----------------------------------------------------------------------


@contextmanager
def _sqlite_ladder(batch_size: int) -> Iterator[tuple[Ladder, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/ladder.sqlite3"
        settings_ = dataclasses.replace(resolve(db=url, home=Path(tmp) / "home"),
                                        batch_size=batch_size)  # fmt: skip
        with Ladder(settings_) as lad:
            yield lad, url


def _db_table(url: str) -> dict[Key, tuple[object, ...]]:
    return {
        k: (r.mmr, r.games_played, r.games_won, r.games_lost, r.games_drawn, r.last_played)
        for k, r in read_db(url).rows.items()
    }


def _frame_table(frame: object) -> dict[Key, tuple[object, ...]]:
    import polars as pl

    assert isinstance(frame, pl.DataFrame)
    cols = ["discord_uid", "race", "mmr", "games_played", "games_won", "games_lost",
            "games_drawn", "last_played"]  # fmt: skip
    out = {}
    for uid, race, *rest in frame.select(cols).iter_rows():
        last = rest[-1]
        if isinstance(last, str):
            last = datetime.fromisoformat(last)
        if last is not None and last.tzinfo is None:
            from datetime import UTC

            last = last.replace(tzinfo=UTC)
        out[(uid, race)] = (*rest[:-1], last)
    return out


def _check_store(lad: Ladder, url: str, queued: list[QueuedJob], model: Model) -> None:
    """The store holds the model's rows, consistently, and a replay changes nothing."""
    assert _db_table(url) == model.table()
    db = read_db(url)
    resets = sum(isinstance(q.job, ResetJob) for q in queued)
    check_invariants(db, extra_ledger=resets, chain=not resets)
    assert len(db.ledger) == len(queued) == len(set(db.ledger))
    assert len(db.matches) == model.matches
    # Replay idempotence: flush again; re-apply every job as if the queue forgot them.
    before = read_db(url)
    report = lad.flush()
    assert (report.applied, report.already_applied) == (0, 0)
    again = lad.store.apply_batch(lad.queue.queue_id, queued)
    assert again.applied == [] and len(again.already_applied) == len(queued)
    assert read_db(url) == before


def _queued(lad: Ladder, jobs: list[Job]) -> list[QueuedJob]:
    seqs = set(lad.submit(jobs, flush=False).seqs)
    # As the flush will see them: with the random job ids the queue gave them.
    return [q for q in lad.queue.pending_jobs() if q.seq in seqs]


@settings(max_examples=EXAMPLES, deadline=None)
@given(streams(), st.integers(1, 12))
def test_sqlite_store_matches_the_model(jobs: list[Job], batch_size: int) -> None:
    model = Model()
    for job in jobs:
        model.apply(job)
    with _sqlite_ladder(batch_size) as (lad, url):
        queued = _queued(lad, jobs)
        # Reads before the flush (database + queue on top) show what the flush will write.
        shown = _frame_table(lad.current().frame)
        report = lad.flush()
        assert report.applied == len(jobs) and not report.failed
        assert _db_table(url) == shown
        _check_store(lad, url, queued, model)


@settings(max_examples=EXAMPLES, deadline=None)
@given(streams(), st.integers(1, 8), st.data())
def test_crash_between_commit_and_queue_update_is_harmless(
    jobs: list[Job], batch_size: int, data: st.DataObject
) -> None:
    """Some batches reach the database but the queue never hears of it; then a flush."""
    model = Model()
    for job in jobs:
        model.apply(job)
    with _sqlite_ladder(batch_size) as (lad, url):
        queued = _queued(lad, jobs)
        committed = data.draw(st.integers(0, len(jobs)), label="jobs committed, unacknowledged")
        for start in range(0, committed, batch_size):
            end = min(committed, start + batch_size)
            lad.store.apply_batch(lad.queue.queue_id, queued[start:end])
        report = lad.flush()
        assert report.already_applied == committed
        assert report.applied == len(jobs) - committed
        _check_store(lad, url, queued, model)


@pytest.mark.pg
@settings(
    max_examples=PG_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(jobs=streams(max_size=40), batch_size=st.integers(1, 10))
def test_postgres_store_matches_the_model(
    jobs: list[Job], batch_size: int, pg_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import psycopg

    model = Model()
    for job in jobs:
        model.apply(job)
    home = tmp_path_factory.mktemp("home")
    settings_ = dataclasses.replace(resolve(db=pg_url, home=home), batch_size=batch_size)
    with Ladder(settings_) as lad:
        lad.init()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("TRUNCATE mmrs_1v1, ladder_matches, ladder_applied_jobs")
        queued = _queued(lad, jobs)
        shown = _frame_table(lad.current().frame)
        report = lad.flush()
        assert report.applied == len(jobs) and not report.failed
        assert _db_table(pg_url) == shown
        _check_store(lad, pg_url, queued, model)
