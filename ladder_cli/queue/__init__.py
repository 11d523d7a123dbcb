"""This home's write-ahead queue: the SQLite file every write is committed to before it is
acknowledged, how a job is stored as a row of it, what ``wal status`` and ``wal list``
show of it, the applied jobs kept for ``wal reconcile``, the flush lock, and ``wal
discard``.
"""
