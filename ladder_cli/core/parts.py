"""What one :class:`~ladder_cli.core.ladder.Ladder` opens and its helpers share.

The store, the queue and the in-memory frame are opened on first use (a ``record`` needs
no frame, ``--version`` none of them), and the read source is chosen once: the first
read or write asks the database whether it answers, and every later read of the command
goes to the same source (see :mod:`ladder_cli.core.sources`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ladder_cli.core.snapshot import OfflineSource, Snapshots
from ladder_cli.core.sources import LiveSource, ReadSource
from ladder_cli.domain.model import QueuedJob
from ladder_cli.domain.rules import STANDARD, Rules, preset
from ladder_cli.queue.writequeue import WriteQueue
from ladder_cli.stores import Store, open_store
from ladder_cli.util.config import Settings
from ladder_cli.util.errors import BadInput, DatabaseUnavailable, QueueError
from ladder_cli.util.files import private_dir

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.core.state import LadderState


class Parts:
    """The lazily opened parts of one ladder, and the read source chosen for it.

    ``lock`` serialises opening them, the flush, and loading the frame (a flush
    committing between a load and setting the frame would lose its update).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.notes: list[str] = []
        self.lock = threading.RLock()
        self._store: Store | None = None
        self._queue: WriteQueue | None = None
        self._state: LadderState | None = None
        self._source: ReadSource | None = None
        self._rules: Rules | None = None

    def close(self) -> None:
        with self.lock:
            if self._store is not None:
                self._store.close()
                self._store = None
            if self._queue is not None:
                self._queue.close()
                self._queue = None
            self._source = None
            self._rules = None

    def note(self, text: str) -> None:
        """Something the user should know about where the answer came from."""
        self.notes.append(text)

    @property
    def store(self) -> Store:
        with self.lock:
            if self._store is None:
                if self.settings.embedded:
                    self._make_home()
                self._store = open_store(
                    self.settings.url, connect_timeout=self.settings.connect_timeout
                )
            return self._store

    def opened_queue(self) -> WriteQueue | None:
        """The queue if this process has opened it (never opens it)."""
        return self._queue

    @property
    def queue(self) -> WriteQueue:
        with self.lock:
            if self._queue is None:
                self._make_home()
                self._queue = WriteQueue(
                    self.settings.queue_path,
                    self.store.target,
                    retain_days=self.settings.retain_days,
                )
            return self._queue

    def _make_home(self) -> None:
        try:
            private_dir(self.settings.data_dir)
        except OSError as exc:
            raise QueueError(
                f"cannot create the ladder's home {self.settings.data_dir}: "
                f"{exc.strerror or exc}: choose a writable directory with --home or LADDER_HOME"
            ) from None

    @property
    def state(self) -> LadderState:
        from ladder_cli.core.state import LadderState  # deferred: Polars

        with self.lock:
            if self._state is None:
                self._state = LadderState()
            return self._state

    def cached_frame_loaded(self) -> bool:
        """Whether this process already holds ``mmrs_1v1`` in memory."""
        return self._state is not None and self._state.frame() is not None

    def snapshots(self) -> Snapshots:
        return Snapshots(self.settings.snapshot_dir, self.store.target)

    def save_snapshot(self, frame: pl.DataFrame) -> None:
        """Keep ``frame`` (as just read from a server) as this home's snapshot; the
        embedded store is always at hand and needs none."""
        if not self.settings.embedded:
            self.snapshots().save(frame, self.store)

    def pending(self) -> list[QueuedJob]:
        return self.queue.pending_jobs()

    # -- the read source ---------------------------------------------------------------

    @property
    def source(self) -> ReadSource:
        """The database when it answers, else this home's snapshot: asked once.

        A wrong URL or password is not an outage: ``ping`` raises BadInput, so a write
        puts nothing in the queue.
        """
        with self.lock:
            if self._source is None:
                try:
                    self.store.ping()
                except DatabaseUnavailable as exc:
                    self._source = OfflineSource(self.snapshots(), str(exc), self.note)
                else:
                    self._source = LiveSource(self)
            return self._source

    def went_offline(self, exc: DatabaseUnavailable) -> ReadSource:
        """The database stopped answering during this command: read the snapshot now."""
        with self.lock:
            self._source = OfflineSource(self.snapshots(), str(exc), self.note)
            return self._source

    def answered(self) -> None:
        """The database answered a flush: an offline source chosen before is dropped."""
        with self.lock:
            if self._source is not None and self._source.unavailable is not None:
                self._source = None

    def forget_source(self) -> None:
        """Ask the database again on the next read (after a refresh or a flush)."""
        with self.lock:
            self._source = None

    # -- the rating rules --------------------------------------------------------------

    def init(self, rules: str | None = None) -> Rules:
        """Create the schema (idempotent; adopts an existing ``mmrs_1v1``) and store the
        rating rules when the ladder has none yet (``rules`` names a preset, default
        standard). Naming other rules than a ladder already has is bad input (``ladder init``)."""
        wanted = STANDARD if rules is None else preset(rules)
        self.store.init_schema()
        if self.store.index_advice:
            self.note(self.store.index_advice)
        stored = self.store.stored_rules()
        if stored is None:
            stored = self.store.set_rules(wanted)
        if rules is not None and stored.preset != wanted.preset:
            raise BadInput(
                f"this ladder already rates by the {stored.preset} rules; they cannot be "
                f"changed to {wanted.preset} (see `ladder rules`)"
            )
        self.keep_rules(stored)
        return stored

    def rules(self) -> Rules:
        """The ladder's rating rules (with the config's activity window where the rules
        set none), read once per command. While the database is unreachable, the rules
        last read from it, kept beside the snapshot."""
        with self.lock:
            if self._rules is None:
                try:
                    stored = self.store.rules()
                except DatabaseUnavailable:
                    stored = self.snapshots().kept_rules() or STANDARD
                else:
                    self.keep_rules(stored)
                self._rules = stored.with_activity(self.settings.activity_days)
            return self._rules

    def keep_rules(self, rules: Rules) -> None:
        """Keep the rules beside the snapshot, for reads while the database is down."""
        if not self.settings.embedded:
            self.snapshots().keep_rules(rules)
