"""Validation of user input: uids, races, names, timestamps, match jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ladder_cli.domain.model import (
    DEFAULT_MMR,
    MAX_NAME_LENGTH,
    MAX_UID,
    RACES,
    AppliedMatch,
    Entry,
    MatchJob,
    default_name,
    format_timestamp,
    parse_name,
    parse_race,
    parse_timestamp,
    parse_uid,
    short_race,
)
from ladder_cli.util.errors import BadInput

# -- constants -------------------------------------------------------------------------


def test_contract_constants():
    assert RACES == (
        "bw_terran", "bw_zerg", "bw_protoss", "sc2_terran", "sc2_zerg", "sc2_protoss",
    )  # fmt: skip
    assert DEFAULT_MMR == 1500
    assert MAX_UID == 9_223_372_036_854_775_807  # 2**63 - 1
    assert MAX_NAME_LENGTH == 64
    assert default_name(42) == "Player42"


def test_new_entry_defaults():
    e = Entry(7, "bw_zerg", "Player7")
    assert (e.mmr, e.games_played, e.games_won, e.games_lost, e.games_drawn) == (
        1500, 0, 0, 0, 0,
    )  # fmt: skip
    assert e.last_played is None and e.key == (7, "bw_zerg")


# -- parse_uid -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", 1),
        ("42", 42),
        ("9223372036854775807", 2**63 - 1),
        ("007", 7),
        (1, 1),
        (2**63 - 1, 2**63 - 1),
    ],
)
def test_parse_uid_accepts(text, value):
    assert parse_uid(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-1",
        "9223372036854775808",  # 2**63
        "99999999999999999999999",
        "+5",
        "1.0",
        "1e3",
        "0x10",
        "",
        " ",
        "12 34",
        "1_000",
        "١٢٣",  # Arabic-Indic digits: isdigit() but not ASCII
        "²",  # superscript two: isdigit() but not a number to us
        "\uff11\uff12",  # fullwidth digits
        "abc",
        0,
        -5,
        2**63,
        True,
        None,  # library callers pass loosely typed values: BadInput, not AttributeError
        1.0,
        b"12",
    ],
)
def test_parse_uid_rejects(text):
    with pytest.raises(BadInput) as info:
        parse_uid(text)
    assert "discord_uid" in str(info.value)


def test_parse_uid_names_what():
    with pytest.raises(BadInput, match="P2 discord_uid"):
        parse_uid("x", what="P2 discord_uid")


def test_bad_input_exit_code():
    assert BadInput("x").exit_code == 2


# -- parse_race ------------------------------------------------------------------------


@pytest.mark.parametrize("race", RACES)
def test_parse_race_accepts_every_race_in_any_case(race):
    assert parse_race(race) == race
    assert parse_race(race.upper()) == race
    assert parse_race(race.title()) == race


def test_parse_race_suggests_the_closest():
    with pytest.raises(BadInput, match="did you mean bw_zerg") as info:
        parse_race("bw_zreg")
    assert "'bw_zreg'" in str(info.value)


def test_parse_race_lists_choices_when_nothing_is_close():
    with pytest.raises(BadInput) as info:
        parse_race("xyz")
    message = str(info.value)
    assert all(race in message for race in RACES)


@pytest.mark.parametrize("text", ["", "terran", "bw terran", "bw-terran", "sc2", None, 1])
def test_parse_race_rejects(text):
    with pytest.raises(BadInput):
        parse_race(text)


# -- parse_name ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Flash",
        "x" * 64,
        "é" * 64,  # 64 characters, 128 bytes in UTF-8: the limit counts characters
        "[bold]x[/]",
        "[link=https://example.com]click[/link]",
        "Zerg★",
        "박성준",
        "  padded  ",
        "a,b;\"c'",
    ],
)
def test_parse_name_accepts_verbatim(name):
    assert parse_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "x" * 65,
        "a\x1b[31mred",  # ESC
        "tab\there",
        "new\nline",
        "nul\x00",
        "del\x7f",
        "c1\x9bcontrol",  # C1 CSI
        "evil\u202egnp.exe",  # RIGHT-TO-LEFT OVERRIDE
        "\u202dLRO",
        "\u2066isolate\u2069",
    ],
)
def test_parse_name_rejects(name):
    with pytest.raises(BadInput) as info:
        parse_name(name)
    assert "\n" not in str(info.value)  # one line


def test_parse_name_says_why():
    with pytest.raises(BadInput, match="65 characters"):
        parse_name("x" * 65)
    with pytest.raises(BadInput, match="U\\+202E"):
        parse_name("a\u202eb")
    with pytest.raises(BadInput, match="empty"):
        parse_name("")


# -- parse_timestamp -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # without an offset: UTC
        ("2026-01-31T18:00:00", datetime(2026, 1, 31, 18, tzinfo=UTC)),
        ("2026-01-31 18:00", datetime(2026, 1, 31, 18, tzinfo=UTC)),
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        ("2026-01-31T18:00:00Z", datetime(2026, 1, 31, 18, tzinfo=UTC)),
        ("2026-01-31T18:00:00+00:00", datetime(2026, 1, 31, 18, tzinfo=UTC)),
        # 18:00 at +02:00 is 16:00 UTC
        ("2026-01-31T18:00:00+02:00", datetime(2026, 1, 31, 16, tzinfo=UTC)),
        # 20:30 at -05:00 is 01:30 UTC the next day
        ("2026-01-31T20:30:00-05:00", datetime(2026, 2, 1, 1, 30, tzinfo=UTC)),
        # 00:15 at +05:30 is 18:45 UTC the day before
        ("2026-03-01T00:15:00+05:30", datetime(2026, 2, 28, 18, 45, tzinfo=UTC)),
        # stored to the second
        ("2026-01-31T18:00:00.999999", datetime(2026, 1, 31, 18, tzinfo=UTC)),
        ("  2026-01-31T18:00:00  ", datetime(2026, 1, 31, 18, tzinfo=UTC)),
        ("2024-02-29T00:00:00", datetime(2024, 2, 29, tzinfo=UTC)),  # leap day
    ],
)
def test_parse_timestamp(text, expected):
    value = parse_timestamp(text)
    assert value == expected
    assert value.utcoffset() == timedelta(0)
    assert value.microsecond == 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-02-30",  # no such day
        "2026-02-29T00:00:00",  # 2026 is not a leap year
        "2026-13-01",
        "2026-01-01T25:00:00",
        "2026-01-01T00:00:00+25:00",
        "1767225600",  # epoch seconds are not ISO 8601
        # valid syntax, but outside the representable range once converted to UTC
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:00:00-05:00",
    ],
)
def test_parse_timestamp_rejects(text):
    with pytest.raises(BadInput, match=r"ISO 8601|timestamp"):
        parse_timestamp(text)


def test_parse_timestamp_names_what():
    with pytest.raises(BadInput, match=r"^played_at"):
        parse_timestamp("nope", what="played_at")


def test_format_timestamp_has_an_offset():
    assert format_timestamp(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00+00:00"
    # another zone is shown in UTC: 02:00 at +02:00 is midnight UTC
    plus2 = timezone(timedelta(hours=2))
    assert format_timestamp(datetime(2026, 1, 1, 2, tzinfo=plus2)) == "2026-01-01T00:00:00+00:00"
    assert format_timestamp(None) is None


# -- MatchJob.checked ------------------------------------------------------------------

AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_checked_normalises():
    job = MatchJob.checked("10", "BW_Zerg", 20, " sc2_terran ", played_at=AT, p1_name="[b]x[/b]")
    assert job == MatchJob(10, "bw_zerg", 20, "sc2_terran", 1, AT, "[b]x[/b]", None)


def test_checked_draw_and_naive_time_is_utc():
    job = MatchJob.checked(1, "bw_zerg", 2, "bw_zerg", result=0, played_at=datetime(2026, 1, 1))
    assert job.result == 0
    assert job.played_at == AT and job.played_at.tzinfo is not None


def test_checked_defaults_to_now():
    before = datetime.now(UTC).replace(microsecond=0)
    job = MatchJob.checked(1, "bw_zerg", 2, "bw_zerg")
    after = datetime.now(UTC)
    assert before <= job.played_at <= after
    assert job.played_at.microsecond == 0


@pytest.mark.parametrize("p2", [10, "10", "010"])
def test_checked_rejects_the_same_player(p2):
    with pytest.raises(BadInput, match="same player"):
        MatchJob.checked(10, "bw_zerg", p2, "bw_terran")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"p1_uid": 0}, "P1 discord_uid"),
        ({"p2_uid": "x"}, "P2 discord_uid"),
        ({"p1_race": "zerg"}, "P1 race"),
        ({"p2_race": "bw_zergg"}, "P2 race"),
        ({"result": 2}, "result"),
        ({"result": "1"}, "result"),
        # True == 1, but a bool result would be queued as True and read back as 1: the
        # row's checksum would then fail and the match be dropped as corrupt
        ({"result": True}, "result"),
        ({"result": 1.0}, None),
        ({"p1_uid": None}, "P1 discord_uid"),
        ({"p2_race": None}, "P2 race"),
        ({"p1_name": ""}, "P1 name"),
        ({"p2_name": "x" * 65}, "P2 name"),
        ({"p2_name": "a\x1bb"}, "P2 name"),
    ],
)
def test_checked_rejects(kwargs, fragment):
    args = {"p1_uid": 1, "p1_race": "bw_zerg", "p2_uid": 2, "p2_race": "bw_terran", **kwargs}
    p1, r1, p2, r2 = (
        args.pop("p1_uid"),
        args.pop("p1_race"),
        args.pop("p2_uid"),
        args.pop("p2_race"),
    )
    if fragment is None:  # 1.0 == 1 is accepted as the number it equals, stored as an int
        result = MatchJob.checked(p1, r1, p2, r2, **args).result
        assert result == 1 and type(result) is int
        return
    with pytest.raises(BadInput, match=fragment):
        MatchJob.checked(p1, r1, p2, r2, **args)


def test_applied_match_as_dict_keys_and_types():
    m = AppliedMatch(3, AT, 1, "bw_zerg", 1500, 1520, 2, "bw_terran", 1500, 1480, 1)
    d = m.as_dict()
    assert list(d) == [
        "match_id", "played_at", "p1_uid", "p1_race", "p1_mmr_before", "p1_mmr_after",
        "p2_uid", "p2_race", "p2_mmr_before", "p2_mmr_after", "result", "state",
    ]  # fmt: skip
    assert d["played_at"] == "2026-01-01T00:00:00+00:00"
    assert d["match_id"] == 3 and d["p1_mmr_after"] == 1520 and d["result"] == 1
    assert d["state"] == "recorded"  # history objects gain state (corrections)


def test_short_race() -> None:
    assert [short_race(r) for r in RACES] == ["BW T", "BW Z", "BW P", "SC2 T", "SC2 Z", "SC2 P"]
    assert short_race("other") == "other"
    assert short_race("bw_") == "bw_"
