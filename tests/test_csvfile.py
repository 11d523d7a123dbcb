"""Reading a matches CSV: good files in their variants, and every bad case named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ladder_cli.domain.csvfile import read_matches
from ladder_cli.domain.model import MatchJob
from ladder_cli.util.errors import BadInput

HEADER = "p1_uid,p1_race,p2_uid,p2_race,result,played_at\n"
AT = datetime(2026, 1, 31, 18, tzinfo=UTC)


def write(tmp_path: Path, text: str | bytes, name: str = "matches.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_bytes(text.encode("utf-8"))
    else:
        path.write_bytes(text)
    return path


def test_good_file(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "1,bw_terran,2,bw_zerg,1,2026-01-31T18:00:00+00:00\n"
        + "3,sc2_protoss,4,sc2_zerg,0,2026-01-31T20:00:00+02:00\n",
    )
    assert read_matches(path) == [
        MatchJob(1, "bw_terran", 2, "bw_zerg", 1, AT),
        # 20:00 at +02:00 = 18:00 UTC
        MatchJob(3, "sc2_protoss", 4, "sc2_zerg", 0, AT),
    ]


def test_without_played_at_column_uses_now(tmp_path):
    before = datetime.now(UTC).replace(microsecond=0)
    path = write(tmp_path, "p1_uid,p1_race,p2_uid,p2_race,result\n1,bw_terran,2,bw_zerg,1\n")
    [job] = read_matches(path)
    assert before <= job.played_at <= datetime.now(UTC)
    assert (job.p1_uid, job.p2_uid, job.result) == (1, 2, 1)


def test_empty_played_at_uses_now(tmp_path):
    before = datetime.now(UTC).replace(microsecond=0)
    path = write(tmp_path, HEADER + "1,bw_terran,2,bw_zerg,1,\n")
    [job] = read_matches(path)
    assert before <= job.played_at <= datetime.now(UTC)


def test_names_columns_in_any_order(tmp_path):
    path = write(
        tmp_path,
        "p2_name,result,p1_uid,p2_uid,p1_race,p2_race,played_at,p1_name\n"
        'Jaedong,1,1,2,BW_Terran,bw_zerg,2026-01-31T18:00:00,"Flash, the God"\n'
        ",0,1,2,bw_terran,bw_zerg,2026-01-31T18:00:00Z,\n"
        '"[bold]x[/]","1",5,6,sc2_zerg,sc2_terran,2026-01-31 18:00,"say ""hi"""\n',
    )
    assert read_matches(path) == [
        MatchJob(1, "bw_terran", 2, "bw_zerg", 1, AT, "Flash, the God", "Jaedong"),
        MatchJob(1, "bw_terran", 2, "bw_zerg", 0, AT, None, None),  # empty name: keep
        MatchJob(5, "sc2_zerg", 6, "sc2_terran", 1, AT, 'say "hi"', "[bold]x[/]"),
    ]


def test_bom_crlf_and_header_case(tmp_path):
    data = (
        "\ufeffP1_UID,p1_race, p2_uid ,p2_race,Result,played_at\r\n"
        "1,bw_terran,2,bw_zerg,1,2026-01-31T18:00:00+00:00\r\n"
        "\r\n"  # blank lines are skipped
        "3,bw_zerg,4,bw_protoss,0,2026-01-31T18:00:00+00:00\r\n"
    )
    path = write(tmp_path, data)
    jobs = read_matches(path)
    assert [(j.p1_uid, j.p1_race, j.result) for j in jobs] == [
        (1, "bw_terran", 1),
        (3, "bw_zerg", 0),
    ]


def test_unicode_names(tmp_path):
    path = write(
        tmp_path, "p1_uid,p1_race,p2_uid,p2_race,result,p1_name\n1,bw_terran,2,bw_zerg,1,박성준★\n"
    )
    [job] = read_matches(path)
    assert job.p1_name == "박성준★"


def test_no_trailing_newline_and_max_uid(tmp_path):
    path = write(tmp_path, HEADER + "9223372036854775807,bw_terran,1,bw_zerg,1,2026-01-31T18:00:00")
    [job] = read_matches(path)
    assert job.p1_uid == 2**63 - 1


def test_progress_callback(tmp_path):
    rows = "".join(f"{i},bw_terran,{i + 1},bw_zerg,1,\n" for i in range(1, 100_002))
    path = write(tmp_path, HEADER + rows)
    seen: list[int] = []
    jobs = read_matches(path, progress=seen.append)
    assert len(jobs) == 100_001
    assert seen == [100_000]


# -- bad files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("1,bw_terran,2,bw_zerg,1,2026-01-31T18:00:00\n1,bw_terran,2,bw_zerg\n", 3, "4 fields"),
        ("1,bw_terran,2,bw_zerg,1,2026-01-31T18:00:00,extra\n", 2, "7 fields"),
        ("1,bw_terran,2,zerg,1,\n", 2, "p2_race"),
        ("1,bw_terrann,2,bw_zerg,1,\n", 2, "did you mean bw_terran"),
        ("x,bw_terran,2,bw_zerg,1,\n", 2, "p1_uid"),
        ("1,bw_terran,0,bw_zerg,1,\n", 2, "p2_uid"),
        ("1,bw_terran,-2,bw_zerg,1,\n", 2, "p2_uid"),
        ("1,bw_terran,9223372036854775808,bw_zerg,1,\n", 2, "p2_uid"),
        ("1,bw_terran,2,bw_zerg,1,\n7,bw_terran,7,bw_zerg,1,\n", 3, "same player"),
        ("1,bw_terran,2,bw_zerg,3,\n", 2, "result"),
        ("1,bw_terran,2,bw_zerg,win,\n", 2, "result"),
        ("1,bw_terran,2,bw_zerg,,\n", 2, "result"),
        ("1,bw_terran,2,bw_zerg,1,2026-02-30T00:00:00\n", 2, "played_at"),
        ("1,bw_terran,2,bw_zerg,1,tomorrow\n", 2, "played_at"),
        # a valid line first: the error must name the right line
        ("1,bw_terran,2,bw_zerg,1,\n\n1,bw_terran,2,bw_zerg,1,31/01/2026\n", 4, "played_at"),
    ],
)
def test_bad_rows_name_the_line(tmp_path, body, line, fragment):
    path = write(tmp_path, HEADER + body)
    with pytest.raises(BadInput) as info:
        read_matches(path)
    message = str(info.value)
    assert f"line {line}:" in message
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_bad_name_names_the_line(tmp_path):
    path = write(
        tmp_path,
        "p1_uid,p1_race,p2_uid,p2_race,result,p1_name,p2_name\n"
        "1,bw_terran,2,bw_zerg,1,ok,ok\n"
        f"1,bw_terran,2,bw_zerg,1,ok,{'x' * 65}\n"
        "1,bw_terran,2,bw_zerg,1,\x1b[31mred,ok\n",
    )
    with pytest.raises(BadInput, match=r"line 3: p2_name is 65 characters"):
        read_matches(path)


def test_control_character_name_names_the_line(tmp_path):
    path = write(
        tmp_path,
        "p1_uid,p1_race,p2_uid,p2_race,result,p1_name\n1,bw_terran,2,bw_zerg,1,\x1b[31mred\n",
    )
    with pytest.raises(BadInput, match=r"line 2: p1_name .*U\+001B"):
        read_matches(path)


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("p1_uid,p1_race,p2_uid,p2_race\n", "missing column 'result'"),
        ("p1,p1_race,p2_uid,p2_race,result\n", "missing column 'p1_uid'"),
        ("p1_uid,p1_race,p2_uid,p2_race,result,winner\n", "unknown column 'winner'"),
        ("p1_uid,p1_race,p2_uid,p2_race,result,result\n", "twice"),
        ("1,bw_terran,2,bw_zerg,1\n", "missing column"),  # no header at all
    ],
)
def test_bad_header(tmp_path, header, fragment):
    path = write(tmp_path, header + "1,bw_terran,2,bw_zerg,1\n")
    with pytest.raises(BadInput, match="header") as info:
        read_matches(path)
    assert fragment in str(info.value)


def test_empty_file(tmp_path):
    with pytest.raises(BadInput, match="empty"):
        read_matches(write(tmp_path, ""))


@pytest.mark.parametrize("text", [HEADER, HEADER + "\n\n", "\ufeff" + HEADER])
def test_header_only(tmp_path, text):
    with pytest.raises(BadInput, match="no matches"):
        read_matches(write(tmp_path, text))


def test_not_utf8(tmp_path):
    path = write(
        tmp_path, HEADER.encode() + b"1,bw_terran,2,bw_zerg,1,\n1,bw_t\xe9rran,2,bw_zerg,1,\n"
    )
    with pytest.raises(BadInput, match="UTF-8") as info:
        read_matches(path)
    assert "line 3" in str(info.value)


def test_not_utf8_far_into_a_large_file_names_the_right_line(tmp_path):
    # well past the text layer's first 8 KiB decoding chunk
    good = "".join(f"{i},bw_terran,{i + 1},bw_zerg,1,\n" for i in range(1, 2001))
    path = write(tmp_path, (HEADER + good).encode() + b"5,bw_zerg,6,\xff,1,\n")
    with pytest.raises(BadInput, match="UTF-8") as info:
        read_matches(path)
    assert "line 2002" in str(info.value)  # header + 2000 good lines


def test_utf16_file_is_rejected(tmp_path):
    path = write(tmp_path, (HEADER + "1,bw_terran,2,bw_zerg,1,\n").encode("utf-16"))
    with pytest.raises(BadInput, match="UTF-8"):
        read_matches(path)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('1,bw_terran,"2"x,bw_zerg,1,\n', 3),  # text after a closing quote
        ('1,bw_terran,"2,bw_zerg,1,\n', 3),  # quote never closed
    ],
)
def test_malformed_csv_names_the_line(tmp_path, body, line):
    path = write(tmp_path, HEADER + "1,bw_terran,2,bw_zerg,1,\n" + body)
    with pytest.raises(BadInput, match="malformed CSV") as info:
        read_matches(path)
    assert f"line {line}" in str(info.value)


def test_nul_byte(tmp_path):
    path = write(tmp_path, HEADER + "1,bw_terran,2,bw_zerg\x00,1,\n")
    with pytest.raises(BadInput, match="line 2"):
        read_matches(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(BadInput, match="no such file") as info:
        read_matches(path)
    assert str(path) in str(info.value)


def test_directory(tmp_path):
    with pytest.raises(BadInput, match="directory"):
        read_matches(tmp_path)
