"""``ladder integrity`` over a ladder, on both stores: patterns planted into random play and
recorded through the ladder are reported with all their matches; corrections change the
report; a dismissal hides a flag from every home, with an audit row, exactly once; the
config's thresholds apply; offline there is no report.

The log (about 4,800 matches, :mod:`tests.integrity_logs`) is recorded once per store per
worker and copied for each test (a file copy; a database made from it as a template).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from devtools.pgcluster import PgCluster
from ladder_cli import Ladder
from ladder_cli.domain.integrity import find_flags
from ladder_cli.domain.model import Key
from tests.helpers import Run, invoke, query
from tests.integrity_logs import (
    BISU,
    FEEDER_KEY,
    FLASH,
    PLANT_AT,
    SMURF,
    Game,
    active,
    build,
    random_play,
    with_feeder,
    with_newcomer,
    with_pair,
    with_sandbag,
)

NAMES = {FLASH[0]: "Flash", BISU[0]: "Bisu", SMURF[0]: "[red]Smurf[/red]", FEEDER_KEY[0]: "Feeder"}
CONTRACT_KEYS = {"flag", "kind", "entries", "from", "to", "matches", "reason"}


@dataclass(frozen=True)
class Planted:
    """The log as played, and which of its games each pattern is (indexes into ``games``)."""

    games: list[Game]
    sandbagger: Key
    feeder_main: Key

    def indexes(self, kind: str) -> list[int]:
        def mine(g: Game) -> bool:
            if kind == "pair":
                return {g.p1, g.p2} == {FLASH, BISU}
            if kind == "feeder":
                return g.p2 == FEEDER_KEY
            if kind == "newcomer":
                return g.p2 == SMURF and g.result == 2
            return self.sandbagger in (g.p1, g.p2)

        return [i for i, g in enumerate(self.games) if g.planted and mine(g)]


@pytest.fixture(scope="module")
def planted() -> Planted:
    play = random_play(7, spread=320)
    games = with_pair(play, "BAAAAAAAAAAA")  # Bisu wins the first, Flash the other 11
    main = active(games, PLANT_AT, 1, top=True)[0]  # the entry the feeder loses to
    games = with_feeder(games, 9)
    games = with_newcomer(games, 4)
    games, sandbagger = with_sandbag(games, 10, 6)
    return Planted(games, sandbagger, main)


def _write_csv(games: list[Game], path: Path) -> Path:
    lines = ["p1_uid,p1_race,p2_uid,p2_race,result,played_at,p1_name,p2_name"]
    for g in games:
        n1, n2 = NAMES.get(g.p1[0], ""), NAMES.get(g.p2[0], "")
        lines.append(
            f"{g.p1[0]},{g.p1[1]},{g.p2[0]},{g.p2[1]},{g.result},{g.at.isoformat()},{n1},{n2}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def _record(url: str, home: Path, games: list[Game], tmp: Path) -> None:
    done = invoke(home, url, "record", "--file", _write_csv(games, tmp / "log.csv"))
    assert done.code == 0, done.err


@pytest.fixture(scope="module")
def recorded_sqlite(planted: Planted, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("integrity-sqlite")
    (tmp / "home").mkdir()
    _record(f"sqlite:///{tmp}/ladder.sqlite3", tmp / "home", planted.games, tmp)
    return tmp / "ladder.sqlite3"


@pytest.fixture(scope="module")
def recorded_postgres(
    planted: Planted, fast_pg_cluster: PgCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("integrity-pg")
    (tmp / "home").mkdir()
    fast_pg_cluster.start()
    name = f"ladder_integrity_{uuid.uuid4().hex[:12]}"
    _record(fast_pg_cluster.create_database(name), tmp / "home", planted.games, tmp)
    try:
        yield name
    finally:
        fast_pg_cluster.start()
        fast_pg_cluster.drop_database(name)


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)], ids=["sqlite", "postgres"]
)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ladder that recorded the planted log, this test's own copy."""
    if request.param == "sqlite":
        source: Path = request.getfixturevalue("recorded_sqlite")
        shutil.copy(source, tmp_path / "ladder.sqlite3")
        yield f"sqlite:///{tmp_path}/ladder.sqlite3"
        return
    template: str = request.getfixturevalue("recorded_postgres")
    cluster: PgCluster = request.getfixturevalue("fast_pg_cluster")
    cluster.start()
    name = f"ladder_integrity_t_{uuid.uuid4().hex[:12]}"
    cluster.terminate_backends(template)
    with cluster.connect() as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    try:
        yield cluster.url(name)
    finally:
        cluster.start()
        cluster.drop_database(name)


def run(home: Path, url: str, *args: object, code: int = 0) -> Run:
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def report(home: Path, url: str, *args: object) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = run(home, url, "integrity", "--format", "json", *args).json
    return flags


def logged(home: Path, url: str, games: list[Game]) -> list[dict[str, Any]]:
    """The ladder's logged match of each game (recorded in list order; the ladder logs a
    win of P2 with the winner as P1)."""
    log = run(home, url, "history", "--limit", "0", "--include-voided", "--format", "json").json
    log.sort(key=lambda m: m["match_id"])
    assert len(log) == len(games)
    for m, g in zip(log, games, strict=True):
        assert {m["p1_uid"], m["p2_uid"]} == {g.p1[0], g.p2[0]}
        assert datetime.fromisoformat(m["played_at"]) == g.at
    return log


def match_ids(home: Path, url: str, games: list[Game]) -> list[int]:
    return [m["match_id"] for m in logged(home, url, games)]


def entries(flag: dict[str, Any]) -> tuple[Key, ...]:
    return tuple((e["discord_uid"], e["race"]) for e in flag["entries"])


def the_flag(flags: list[dict[str, Any]], kind: str, *keys: Key) -> dict[str, Any]:
    (found,) = [f for f in flags if f["kind"] == kind and entries(f) == keys]
    return found


# -- the report ------------------------------------------------------------------------------


def test_each_kind_planted_is_reported_with_all_its_matches(
    url: str, home: Path, planted: Planted
) -> None:
    ids = match_ids(home, url, planted.games)
    flags = report(home, url)

    def planted_ids(kind: str) -> list[int]:
        return [ids[i] for i in planted.indexes(kind)]

    pair = the_flag(flags, "pair", FLASH, BISU)
    assert pair["matches"] == planted_ids("pair")
    assert pair["reason"] == "Flash BW T beat Bisu BW P 11 of 12 times in 5 days"
    assert pair["entries"][0] == {"discord_uid": 1000, "race": "bw_terran", "player_name": "Flash"}
    feeder = the_flag(flags, "feeder", FEEDER_KEY, planted.feeder_main)
    assert feeder["matches"] == planted_ids("feeder")
    assert feeder["reason"].startswith("Feeder BW Z lost 9 of its 9 losses in 4 days to Player")
    sandbag = the_flag(flags, "sandbag", planted.sandbagger)
    assert sandbag["matches"] == planted_ids("sandbag")
    assert " lost 10 in a row, " in sandbag["reason"]
    smurf = the_flag(flags, "newcomer", SMURF)
    assert smurf["matches"] == planted_ids("newcomer")
    assert smurf["reason"].startswith("[red]Smurf[/red] BW Z beat 4 opponents rated ")
    for flag in flags:
        assert set(flag) >= CONTRACT_KEYS and flag["dismissed"] is False
    # Everything the ladder reports is what the engine finds in the log as played.
    engine = find_flags(build(planted.games))
    assert {(f["flag"], f["kind"], tuple(f["matches"])) for f in flags} == {
        (f.flag, f.kind, tuple(ids[m - 1] for m in f.matches)) for f in engine
    }
    kinds = [f["kind"] for f in flags]
    assert kinds == sorted(kinds, key=["pair", "feeder", "sandbag", "newcomer"].index)


def test_the_table_lists_each_kind_with_its_match_ids(
    url: str, home: Path, planted: Planted
) -> None:
    ids = match_ids(home, url, planted.games)
    shown = run(home, url, "integrity").out
    lines = shown.splitlines()
    for kind in ("pair", "feeder", "sandbag", "newcomer"):
        assert any(line.startswith(f"{kind} (") for line in lines), kind
    pair_line = next(line for line in lines if "Flash BW T beat Bisu BW P" in line)
    assert " ".join(str(ids[i]) for i in planted.indexes("pair")) in pair_line
    assert "[red]Smurf[/red] BW Z beat 4 opponents" in shown  # names shown literally
    flags = report(home, url)
    assert f"{len(flags)} flags in {len(planted.games):,} matches" in shown


def test_since_keeps_the_flags_still_going_on_then(url: str, home: Path) -> None:
    every = report(home, url)
    pair = the_flag(every, "pair", FLASH, BISU)
    smurf = the_flag(every, "newcomer", SMURF)
    later = report(home, url, "--since", "2026-02-05")
    assert pair["flag"] not in {f["flag"] for f in later}
    assert smurf in later
    assert later == [f for f in every if f["to"] >= "2026-02-05"]
    assert report(home, url, "--since", "2026-01-01T00:00:00+00:00") == every


def test_thresholds_come_from_the_config(url: str, home: Path) -> None:
    pair = the_flag(report(home, url), "pair", FLASH, BISU)
    (home / "config.toml").write_text("[integrity]\npair_games = 13\n")
    flags = report(home, url)
    assert pair["flag"] not in {f["flag"] for f in flags}
    assert the_flag(flags, "newcomer", SMURF)
    shown = run(home, url, "config", "--format", "json").json
    assert shown["integrity"]["pair_games"] == 13 and shown["integrity"]["pair_share"] == 0.8
    table = run(home, url, "config").out
    assert "integrity.pair_games" in table and "integrity.window_days" in table


# -- corrections -----------------------------------------------------------------------------


def test_voiding_the_planted_matches_removes_the_flag(
    url: str, home: Path, planted: Planted
) -> None:
    ids = match_ids(home, url, planted.games)
    before = report(home, url)
    smurf = the_flag(before, "newcomer", SMURF)
    for i in planted.indexes("newcomer"):
        run(home, url, "match", "void", ids[i], "--reason", "smurf account", "--yes")
    after = report(home, url)
    assert not [f for f in after if f["kind"] == "newcomer" and entries(f) == (SMURF,)]
    assert smurf["flag"] not in {f["flag"] for f in after}
    assert the_flag(after, "pair", FLASH, BISU) == the_flag(before, "pair", FLASH, BISU)


def test_amending_a_match_changes_the_reason(url: str, home: Path, planted: Planted) -> None:
    log = logged(home, url, planted.games)
    before = the_flag(report(home, url), "pair", FLASH, BISU)
    first = log[planted.indexes("pair")[0]]  # the one Bisu won
    flash = "p1" if first["p1_uid"] == FLASH[0] else "p2"
    run(
        home,
        url,
        "match",
        "amend",
        first["match_id"],
        "--result",
        flash,
        "--reason",
        "misreported",
        "--yes",
    )
    after = the_flag(report(home, url), "pair", FLASH, BISU)
    assert after["reason"] == "Flash BW T beat Bisu BW P 12 of 12 times in 5 days"
    assert (after["flag"], after["matches"]) == (before["flag"], before["matches"])


# -- dismissal -------------------------------------------------------------------------------


def test_a_dismissal_hides_the_flag_from_every_home_once(
    url: str, home: Path, tmp_path: Path
) -> None:
    pair = the_flag(report(home, url), "pair", FLASH, BISU)
    fid = pair["flag"]
    ledger = query(url, "SELECT count(*) FROM ladder_applied_jobs")[0][0]
    done = run(
        home, url, "--by", "alice", "integrity", "dismiss", fid.upper(), "--reason", "sparring"
    )
    assert done.out.startswith(f"dismissed flag {fid} (pair: Flash BW T beat Bisu BW P")
    assert fid not in {f["flag"] for f in report(home, url)}
    shown = {f["flag"]: f for f in report(home, url, "--all")}
    assert shown[fid] == pair | {"dismissed": True}
    assert "1 dismissed flag not shown (--all shows it)" in run(home, url, "integrity").out
    rows = query(url, "SELECT actor, target, reason FROM ladder_audit WHERE action = 'dismiss'")
    assert rows == [("alice", f"flag {fid}: pair 1000 bw_terran, 1001 bw_protoss", "sparring")]
    assert query(url, "SELECT count(*) FROM ladder_applied_jobs")[0][0] == ledger + 1
    audit = run(home, url, "audit", "--format", "json").json
    assert audit[0]["action"] == "dismiss" and audit[0]["reason"] == "sparring"

    other = tmp_path / "other-home"
    other.mkdir()
    assert fid not in {f["flag"] for f in report(other, url)}
    assert {f["flag"]: f["dismissed"] for f in report(other, url, "--all")}[fid] is True
    again = run(other, url, "integrity", "dismiss", fid, "--reason", "twice")
    assert "was already dismissed by alice" in again.out and "nothing written" in again.out
    assert len(query(url, "SELECT 1 FROM ladder_audit WHERE action = 'dismiss'")) == 1
    assert query(url, "SELECT count(*) FROM ladder_applied_jobs")[0][0] == ledger + 1

    detail = run(other, url, "integrity", "show", fid, "--format", "json").json
    assert detail["dismissal"]["actor"] == "alice" and detail["dismissal"]["reason"] == "sparring"
    assert {k: v for k, v in detail.items() if k != "dismissal"} == pair | {"dismissed": True}


def test_a_queued_dismissal_counts_in_its_own_home_until_applied(
    url: str, home: Path, tmp_path: Path
) -> None:
    pair = the_flag(report(home, url), "pair", FLASH, BISU)["flag"]
    other = tmp_path / "other-home"
    other.mkdir()
    with Ladder.open(db=url, home=home) as ladder:
        ladder.by = "alice"
        queued = ladder.integrity.dismiss(pair, "sparring partners", flush=False)
        assert queued.outcome is not None and not queued.outcome.applied
        again = ladder.integrity.dismiss(pair, "twice", flush=False)
        assert again.outcome is None and again.earlier is not None
        assert again.earlier.audit_id is None and again.earlier.actor == "alice"
    assert run(home, url, "wal", "status", "--format", "json").json["pending"] == 1
    assert pair not in {f["flag"] for f in report(home, url)}  # an admin sees their own
    assert pair in {f["flag"] for f in report(other, url)}  # not yet in the database
    assert query(url, "SELECT count(*) FROM ladder_audit WHERE action = 'dismiss'") == [(0,)]
    run(home, url, "wal", "replay")
    assert pair not in {f["flag"] for f in report(other, url)}
    rows = query(url, "SELECT actor, reason FROM ladder_audit WHERE action = 'dismiss'")
    assert rows == [("alice", "sparring partners")]


def test_show_lists_every_match_and_what_to_do(url: str, home: Path, planted: Planted) -> None:
    ids = match_ids(home, url, planted.games)
    sandbag = the_flag(report(home, url), "sandbag", planted.sandbagger)
    shown = run(home, url, "integrity", "show", sandbag["flag"]).out
    assert " ".join(str(ids[i]) for i in planted.indexes("sandbag")) in shown
    assert f"ladder history {planted.sandbagger[0]} --limit 0" in shown
    assert f"ladder integrity dismiss {sandbag['flag']} --reason TEXT" in shown
    pair = the_flag(report(home, url), "pair", FLASH, BISU)
    assert "ladder h2h 1000 1001" in run(home, url, "integrity", "show", pair["flag"]).out


# -- offline ---------------------------------------------------------------------------------


@pytest.mark.pg
def test_offline_is_an_error_and_changes_nothing(
    home: Path, pg_url: str, pg_cluster: PgCluster
) -> None:
    for i in range(3):
        run(home, pg_url, "record", 1, "bw_terran", 2 + i, "bw_zerg")
    run(home, pg_url, "leaderboard")  # leaves this home's snapshot
    queue = home / "queue.sqlite3"
    before = queue.read_bytes()
    pg_cluster.stop()
    try:
        shown = invoke(home, pg_url, "leaderboard", "--format", "json")
        assert shown.code == 0  # reads work from the snapshot
        results = [
            invoke(home, pg_url, "integrity"),
            invoke(home, pg_url, "integrity", "--format", "json"),
            invoke(home, pg_url, "integrity", "dismiss", "0123456789", "--reason", "x"),
            invoke(home, pg_url, "integrity", "show", "0123456789"),
        ]
    finally:
        pg_cluster.start()
    for result in results:
        assert result.code == 1, (result.out, result.err)
        assert result.out == "" and len(result.err_lines) == 1
        assert result.err_lines[0].startswith("error: the integrity report reads the match log")
        assert "database" in result.err_lines[0]
    assert queue.read_bytes() == before
    assert query(pg_url, "SELECT count(*) FROM ladder_audit WHERE action = 'dismiss'") == [(0,)]


def test_no_flags_is_a_report_too(db_url: str, home: Path) -> None:
    run(home, db_url, "record", 1, "bw_terran", 2, "bw_zerg")
    assert run(home, db_url, "integrity").out == "no flags in 1 match\n"
    assert report(home, db_url) == []
    now = datetime.now(UTC).date().isoformat()
    assert report(home, db_url, "--since", now) == []
