"""The flush's two helper threads: the next batch read from the queue while the database
applies this one (:func:`prefetched`), and the queue's bookkeeping of each committed batch
while the next one is applied (:class:`InOrder`). Both keep the batches in order; only
reading and bookkeeping overlap the database's work.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

_T = TypeVar("_T")


def result_or_none(future: concurrent.futures.Future[_T] | None) -> _T | None:
    """A helper's result; None for none, or for its failure (the caller has a slower way)."""
    if future is None:
        return None
    try:
        return future.result()
    except Exception:
        return None


class InOrder:
    """The queue's bookkeeping after each committed batch, run in order on one helper
    thread while the next batch's transaction goes on (SQLite releases the GIL while it
    writes and syncs). Unthreaded, each call runs at once.

    Safe to defer: until the queue forgets a job, the database's ledger already skips it,
    so a crash in between only makes the next flush report it as already applied.
    :meth:`check` raises a failure of earlier bookkeeping before the next batch, as
    running it inline would; :meth:`close` waits for all of it, also on the way out of
    an error, so the queue is settled whenever the flush returns or raises.
    """

    def __init__(self, *, threaded: bool) -> None:
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ladder-queue-books")
            if threaded
            else None
        )
        self._pending: list[concurrent.futures.Future[None]] = []

    def run(self, fn: Callable[[Any], None], arg: Any) -> None:
        if self._pool is None:
            fn(arg)
        else:
            self._pending.append(self._pool.submit(fn, arg))

    def later(self, fn: Callable[[], _T]) -> concurrent.futures.Future[_T] | None:
        """``fn`` on the helper thread, its result for later; None when unthreaded."""
        return None if self._pool is None else self._pool.submit(fn)

    def check(self) -> None:
        """Raise the first failure among the bookkeeping done so far, without waiting."""
        while self._pending and self._pending[0].done():
            self._pending.pop(0).result()

    def wait(self) -> None:
        while self._pending:
            self._pending.pop(0).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def prefetched(items: Iterator[_T]) -> Generator[_T]:
    """``items``, each produced by a helper thread while the previous one is consumed.

    The flush reads and decodes the next batch from the queue while the database works
    on the current one (the main thread waits on the socket without the GIL). Only
    reading is ahead, and by one item: the helper starts on the next only once the
    consumer has taken the last, so two batches at most are held. Batches are still
    applied, and removed from the queue, in order.
    """
    import queue as queues

    handoff: queues.Queue[tuple[str, Any]] = queues.Queue(maxsize=1)
    taken = threading.Semaphore(0)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                handoff.put(("item", item))  # never waits: the last one was taken
                del item
                while not taken.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
            handoff.put(("done", None))
        except BaseException as exc:  # handed to the consumer, raised there
            handoff.put(("error", exc))

    thread = threading.Thread(target=produce, name="ladder-queue-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            taken.release()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
            del value
    finally:
        stop.set()
        with contextlib.suppress(queues.Empty):
            handoff.get_nowait()
        if not sys.is_finalizing():  # at shutdown a daemon thread may never run again
            thread.join()
