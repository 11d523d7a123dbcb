"""Every writing command leaves one audit row, written with its change, on both stores;
the row rides on the command's last queued job, so pending counts stay the command's jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ladder_cli.core.ladder import Ladder
from ladder_cli.domain.model import MatchJob
from ladder_cli.util.errors import BadInput


def _ladder(db_url: str, home: Path) -> Ladder:
    ladder = Ladder.open(db=db_url, home=home)
    ladder.init()
    ladder.by = "alice"
    return ladder


def test_each_writing_command_is_one_audit_row(db_url: str, tmp_path: Path) -> None:
    with _ladder(db_url, tmp_path) as ladder:
        ladder.record(1, "bw_zerg", 2, "bw_terran", p1_name="One", p2_name="Two")
        jobs = [MatchJob.checked(1, "bw_zerg", 2, "bw_terran", result=1) for _ in range(5)]
        ladder.record_many(jobs)
        ladder.reset(1, race="bw_zerg", mmr=1600)
        row = ladder.admin.preview_adjust(2, "bw_terran", 10)
        ladder.admin.adjust(row, "compensation")
        first = ladder.history(limit=None)[-1].match_id
        assert first is not None
        ladder.admin.correct(first, None, "wrong players")
        later = ladder.history(limit=1)[0].match_id
        assert later is not None
        ladder.admin.correct(later, 0, "was a draw")
        rows = ladder.admin.audit(None)
        assert [r.action for r in rows] == ["amend", "void", "adjust", "reset", "import", "record"]
        assert {r.actor for r in rows} == {"alice"}
        assert rows[4].target == "5 matches"
        assert ladder.wal_status().pending == 0
        assert ladder.verify().ok


def test_a_queued_command_keeps_its_audit_row_until_applied(db_url: str, tmp_path: Path) -> None:
    with _ladder(db_url, tmp_path) as ladder:
        ladder.record(1, "bw_zerg", 2, "bw_terran", flush=False)
        assert ladder.wal_status().pending == 1
        assert ladder.admin.audit(None) == []
        ladder.flush()
        [row] = ladder.admin.audit(None)
        assert (row.action, row.actor) == ("record", "alice")


def test_bad_corrections_write_nothing(db_url: str, tmp_path: Path) -> None:
    with _ladder(db_url, tmp_path) as ladder:
        ladder.record(1, "bw_zerg", 2, "bw_terran")
        [m] = ladder.history()
        assert m.match_id is not None
        for match_id, result, reason in [
            (m.match_id + 99, None, "x"),  # unknown match
            (m.match_id, 1, "x"),  # amend to the same result
            (m.match_id, None, None),  # no reason
            (m.match_id, None, " "),
        ]:
            with pytest.raises(BadInput):
                ladder.admin.correct(match_id, result, reason)
        assert ladder.wal_status().pending == 0
        assert [r.action for r in ladder.admin.audit(None)] == ["record"]
        ladder.admin.correct(m.match_id, None, "test")
        with pytest.raises(BadInput):  # already voided
            ladder.admin.correct(m.match_id, None, "again")
        assert [r.action for r in ladder.admin.audit(None)] == ["void", "record"]
