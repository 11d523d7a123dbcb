"""Benchmarks of ladder against the seed's approach, measured side by side in one run.

Run from the project root: ``python -m bench`` (full size, writes docs/benchmarks.md) or
``python -m bench --quick`` (CI size); ``nox -s bench -- --quick`` does the same in a
fresh virtualenv. Each run starts its own throwaway PostgreSQL cluster
(:class:`devtools.pgcluster.PgCluster`), generates deterministic data, and times:

1. flushing queued matches to PostgreSQL vs the seed's "before" (baseline A: SELECT then
   upsert per player, commit per job) and "after" (baseline B: one atomic upsert per
   player, commit per job);
2. loading ``mmrs_1v1`` into Polars: the fast path vs ``cursor.fetchall()``;
3. ``ladder leaderboard --top 20`` end to end vs ``python -c "import polars, typer, rich"``;
4. ``ladder record`` of one match end to end vs the same floor;
5. ``ladder record --file`` vs a seed-style loop that reassigns ``with_columns`` per match;

plus the peak RSS of ``ladder wal replay`` of a large pending queue, and (9, see
:mod:`bench.corrections`) voiding a match near the start of a long log vs importing it.
"""
