"""``match void`` and ``match amend`` read the event log once: the preview's read is the
one the correction applies (issue: they read it twice, once to preview and once to apply).

The store's log reader is wrapped to count its reads; the ratings are checked against a
from-scratch replay (``verify``). When the log moves between the preview and the apply
(another admin's write), the apply plans again under the write lock, and is still right.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ladder_cli.core.ladder import Ladder
from ladder_cli.stores.eventlog import StoreLog
from tests.helpers import invoke

READERS = ("match", "later", "last_played_before")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each of the store's log readers is called (the real readers, counted)."""
    counted: Counter[str] = Counter()
    for name in READERS:
        real = getattr(StoreLog, name)

        def wrapper(self: StoreLog, *args: Any, _real: Any = real, _name: str = name) -> Any:
            counted[_name] += 1
            return _real(self, *args)

        monkeypatch.setattr(StoreLog, name, wrapper)
    return counted


def _played(home: Path, url: str) -> None:
    """Six matches among four players; match 2 is the one corrected."""
    for p1, p2 in [(1, 2), (2, 3), (3, 1), (1, 3), (2, 4), (4, 1)]:
        done = invoke(home, url, "record", p1, "bw_terran", p2, "bw_terran")
        assert done.code == 0, done.err


@pytest.mark.parametrize("command", [("void",), ("amend", "--result", "draw")])
def test_a_correction_reads_the_log_once(
    command: tuple[str, ...], db_url: str, home: Path, reads: Counter[str]
) -> None:
    _played(home, db_url)
    reads.clear()
    done = invoke(home, db_url, "match", *command, 2, "--reason", "test", "--yes")
    assert done.code == 0, done.err
    assert "bw_terran" in done.out  # the preview was shown
    assert reads["later"] == 1, reads  # the replay of every later event: once
    assert reads["match"] == 1, reads  # the corrected match: once
    assert reads["last_played_before"] <= 2, reads  # at most once for each of its entries
    assert invoke(home, db_url, "verify").code == 0
    assert invoke(home, db_url, "audit", "--format", "json").json[0]["action"] == command[0]


@pytest.mark.parametrize("command", [("void",), ("amend", "--result", "draw")])
def test_under_glicko2_too(
    command: tuple[str, ...], db_url: str, home: Path, reads: Counter[str]
) -> None:
    """A glicko2 ladder's correction replays the whole log (its states are not logged):
    the preview's replay, once, is still the one applied."""
    assert invoke(home, db_url, "init", "--rules", "glicko2").code == 0
    _played(home, db_url)
    reads.clear()
    done = invoke(home, db_url, "match", *command, 2, "--reason", "test", "--yes")
    assert done.code == 0, done.err
    assert reads["later"] == 1, reads
    assert reads["match"] == 1, reads
    verified = invoke(home, db_url, "verify", "--format", "json")
    assert verified.code == 0, verified.out


def test_a_dry_run_reads_it_once_too(db_url: str, home: Path, reads: Counter[str]) -> None:
    _played(home, db_url)
    reads.clear()
    assert invoke(home, db_url, "match", "void", 2, "--dry-run").code == 0
    assert reads["later"] == 1 and reads["match"] == 1, reads


def test_a_log_that_moved_since_the_preview_is_read_again(
    db_url: str, home: Path, reads: Counter[str]
) -> None:
    _played(home, db_url)
    with Ladder.open(db=db_url, home=home) as ladder:
        preview = ladder.admin.preview_correction(2, None)
        assert preview.plan is not None and preview.rows
        # Meanwhile another admin records a match of the corrected match's players.
        other = home.parent / "other"
        assert invoke(other, db_url, "record", 2, "bw_terran", 3, "bw_terran").code == 0
        reads.clear()
        outcome = ladder.admin.correct(2, None, "test", preview=preview)
        assert outcome.applied
        assert reads["later"] == 1, reads  # planned again, under the write lock
    assert invoke(home, db_url, "verify").code == 0
