"""The library: the :class:`~ladder_cli.core.ladder.Ladder` facade and the services behind
it (reads, writes, players, corrections, seasons, decay, insight, reconcile, the audit
trail), over this home's queue and the database's store.

Each service is handed what it uses (the parts, the reads, a way to submit jobs), never
the facade itself.
"""
