"""Fixing a mistake through the real `ladder` command, on both stores: void and amend end
where an independent from-scratch replay puts every entry, history shows each match's
state, and verify catches a row changed behind the tool's back."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import elo, invoke, query


def run(home: Path, url: str, *args: object, code: int = 0):  # type: ignore[no-untyped-def]
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


# (p1, race1, p2, race2, result): 1 P1 won, 0 draw
MATCHES = [
    (1, "bw_zerg", 2, "bw_terran", 1),
    (2, "bw_terran", 3, "bw_protoss", 1),
    (3, "bw_protoss", 1, "bw_zerg", 1),
    (1, "bw_zerg", 3, "bw_protoss", 0),
    (2, "bw_terran", 1, "bw_zerg", 1),
]


def _record_all(home: Path, url: str) -> list[int]:
    run(home, url, "init")
    for p1, r1, p2, r2, result in MATCHES:
        args: list[object] = ["record", p1, r1, p2, r2]
        if result == 0:
            args.append("--draw")
        run(home, url, *args)
    log = run(home, url, "history", "--limit", "0", "--format", "json").json
    return sorted(m["match_id"] for m in log)


def _ratings(url: str) -> dict[tuple[int, str], tuple[int, int, int, int, int]]:
    rows = query(
        url,
        "SELECT discord_uid, race, mmr, games_played, games_won, games_lost, games_drawn "
        "FROM mmrs_1v1",
    )
    return {(int(r[0]), str(r[1])): tuple(int(v) for v in r[2:]) for r in rows}  # type: ignore[misc]


def _replay(matches: list[tuple[int, str, int, str, float]]) -> dict[tuple[int, str], list[int]]:
    """From 1500, in order: [mmr, played, won, lost, drawn] per entry."""
    table: dict[tuple[int, str], list[int]] = {}
    for p1, r1, p2, r2, score in matches:
        a = table.setdefault((p1, r1), [1500, 0, 0, 0, 0])
        b = table.setdefault((p2, r2), [1500, 0, 0, 0, 0])
        a[0], b[0] = elo(a[0], b[0], score)
        for side, s in ((a, score), (b, 1 - score)):
            side[1] += 1
            side[2 if s == 1 else 3 if s == 0 else 4] += 1
    return table


def test_void_then_amend_ends_where_an_independent_replay_does(db_url: str, home: Path) -> None:
    ids = _record_all(home, db_url)
    run(home, db_url, "match", "void", ids[1], "--reason", "wrong players", "--yes")
    run(home, db_url, "match", "amend", ids[2], "--result", "p2", "--reason", "misreported",
        "--yes")  # fmt: skip
    scores = {0: 0.5, 1: 1.0}
    corrected = [(p1, r1, p2, r2, scores[res]) for p1, r1, p2, r2, res in MATCHES]
    corrected[2] = (*corrected[2][:4], 0.0)  # amended: its P2 won
    del corrected[1]  # voided
    expected = _replay(corrected)
    got = _ratings(db_url)
    for key, values in expected.items():
        assert got[key] == tuple(values), key
    # the voided match's players keep an entry; P2/P3's other games still count
    assert set(got) == set(expected)
    assert run(home, db_url, "verify").code == 0

    # history marks each match's state; voided ones only with --include-voided
    shown = run(home, db_url, "history", "--limit", "0", "--format", "json").json
    assert ids[1] not in {m["match_id"] for m in shown}
    every = run(home, db_url, "history", "--limit", "0", "--include-voided", "--format", "json")
    states = {m["match_id"]: m["state"] for m in every.json}
    assert states == {
        ids[0]: "recorded", ids[1]: "voided", ids[2]: "amended", ids[3]: "recorded",
        ids[4]: "recorded",
    }  # fmt: skip
    assert {m["result"] for m in every.json if m["match_id"] == ids[2]} == {2}
    table = run(home, db_url, "history", "--limit", "0", "--include-voided")
    assert "voided" in table.out and "amended" in table.out
    # the audit table names who did what, and why
    audit = run(home, db_url, "audit").out
    for word in ("void", "amend", "record", "wrong players", "misreported"):
        assert word in audit, word


def test_verify_exit_codes_on_a_corrected_ladder(db_url: str, home: Path) -> None:
    ids = _record_all(home, db_url)
    run(home, db_url, "reset", 2, "--race", "bw_terran", "--mmr", 1400, "--yes")
    run(home, db_url, "adjust", 3, "--race", "bw_protoss", "--by", -25, "--reason", "smurf",
        "--yes")  # fmt: skip
    run(home, db_url, "match", "void", ids[0], "--reason", "test game", "--yes")
    run(home, db_url, "match", "amend", ids[3], "--result", "p1", "--reason", "typo", "--yes")
    run(home, db_url, "record", 3, "bw_protoss", 2, "bw_terran")
    report = run(home, db_url, "verify", "--format", "json").json
    assert report["ok"] and report["differences"] == []
    assert run(home, db_url, "verify").code == 0

    query(db_url, "UPDATE mmrs_1v1 SET games_won = games_won + 1 "
          "WHERE discord_uid = 1 AND race = 'bw_zerg'")  # fmt: skip
    rejected = run(home, db_url, "verify", "--format", "json", code=1).json
    assert not rejected["ok"]
    assert ("1/bw_zerg", "games_won") in {(d["key"], d["field"]) for d in rejected["differences"]}
    run(home, db_url, "verify", code=1)


def test_matches_csv_accepts_result_2(db_url: str, home: Path, tmp_path: Path) -> None:
    """2: P2 won, as the bot's matches say; recorded with the winner as P1 (result 1)."""
    run(home, db_url, "init")
    csv = tmp_path / "m.csv"
    csv.write_text("p1_uid,p1_race,p2_uid,p2_race,result\n1,bw_zerg,2,bw_terran,2\n")
    run(home, db_url, "record", "--file", csv)
    [m] = run(home, db_url, "history", "--format", "json").json
    assert (m["p1_uid"], m["p1_race"], m["p2_uid"], m["result"]) == (2, "bw_terran", 1, 1)
    assert _ratings(db_url)[(2, "bw_terran")][:3] == (1520, 1, 1)
    csv.write_text("p1_uid,p1_race,p2_uid,p2_race,result\n1,bw_zerg,2,bw_terran,3\n")
    bad = run(home, db_url, "record", "--file", csv, code=2)
    assert "line 2" in bad.err and "2 (P2 won)" in bad.err


def test_match_show_names_the_players(db_url: str, home: Path) -> None:
    run(home, db_url, "init")
    run(home, db_url, "record", 1, "bw_zerg", 2, "bw_terran", "--p1-name", "[b]Alice",
        "--p2-name", "Bob")  # fmt: skip
    run(home, db_url, "match", "amend", 1, "--result", "p2", "--reason", "typo", "--yes")
    shown = run(home, db_url, "match", "show", 1, "--format", "json").json
    assert (shown["p1_name"], shown["p2_name"], shown["state"]) == ("[b]Alice", "Bob", "amended")
    assert [(a["action"], a["target"]) for a in shown["audit"]] == [("amend", "match 1")]
    table = run(home, db_url, "match", "show", 1).out
    assert "[b]Alice (1) bw_zerg: 1500 → 1480" in table  # names are data: shown literally
    assert "Bob (2) bw_terran: 1500 → 1520" in table and "P2 won" in table
    assert "amend match 1: typo" in table
    audit = run(home, db_url, "audit").out
    assert "[b]Alice BW Z vs Bob BW T" in audit, audit  # players by name, races short
    assert run(home, db_url, "audit", "--format", "json").json[-1]["target"] == (
        "1 bw_zerg vs 2 bw_terran"
    )
