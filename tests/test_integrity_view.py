"""What the integrity report looks like (:mod:`ladder_cli.render.integrity`): the match ids
of a flag packed in a few lines with the count of the rest, tables that fit a terminal of
60 to 200 columns with every number whole, names shown literally, and a flag in full."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from ladder_cli.domain.integrity import Flag
from ladder_cli.render.integrity import flag_detail, flags_view, match_ids

AT = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)


def render(parts: list[object], width: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=True, color_system=None)
    for part in parts:
        console.print(part)
    return buffer.getvalue()


def flag(kind: str, ids: list[int], *, reason: str, dismissed: bool = False) -> Flag:
    entries = ((1000, "bw_terran"), (1001, "bw_protoss"))
    return Flag(
        f"{abs(hash((kind, reason))) % 16**10:010x}",
        kind,
        entries if kind in ("pair", "feeder") else entries[:1],
        AT - timedelta(days=4),
        AT,
        tuple(ids),
        reason,
        dismissed,
    )


def in_order(words: list[str], tokens: list[str]) -> bool:
    """``words`` appear among ``tokens`` in order (a wrapped cell's lines are interleaved
    with the other columns')."""
    rest = iter(tokens)
    return all(word in rest for word in words)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 10**8), max_size=60),
    st.integers(12, 40),
    st.one_of(st.none(), st.integers(1, 5)),
)
def test_match_ids_shows_a_prefix_and_counts_the_rest(
    ids: list[int], width: int, lines: int | None
) -> None:
    text = match_ids(ids, width=width, lines=lines)
    rows = text.split("\n") if text else []
    assert all(len(row) <= width for row in rows)
    if lines is not None:
        assert len(rows) <= lines
    words = text.split()
    left = int(words.pop()[1:]) if words and words[-1].startswith("+") else 0
    assert [int(w) for w in words] == ids[: len(ids) - left]
    if lines is None or len(" ".join(map(str, ids))) <= width:
        assert left == 0  # room for every id
    if lines is not None and len(ids) > lines * (width + 1) // 2:
        assert left > 0  # no room for every id (each takes two characters at least)


def test_a_long_list_is_cut_to_three_lines() -> None:
    assert match_ids(list(range(101, 113))) == "101 102 103 104 105\n106 107 108 109 110\n111 112"
    assert match_ids(list(range(4501000, 4501030))).split("\n")[-1] == "4501004 4501005 +24"


FLAGS = [
    flag(
        "pair", list(range(2145, 2157)), reason="Flash BW T beat Bisu BW P 11 of 12 times in 5 days"
    ),
    flag(
        "sandbag",
        list(range(1_000_001, 1_000_031)),
        reason="Player1037 BW P lost 10 in a row, 171 MMR, then won back 132 within 5 days",
        dismissed=True,
    ),
    flag(
        "newcomer",
        [3426, 3445, 3455, 3464],
        reason="[red]Smurf[/red] BW Z beat 4 opponents rated 324 to 368 above it in its first "
        "5 games",
    ),
]


@pytest.mark.parametrize("width", [60, 80, 100, 200])
def test_the_report_fits_the_terminal_with_every_number_whole(width: int) -> None:
    text = render(flags_view(FLAGS), width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width, text
    assert "…" not in text
    headings = [line.split(" ")[0] for line in lines if re.match(r"^[a-z]+ \(\d+ flags?\):", line)]
    assert headings == ["pair", "sandbag", "newcomer"]
    flat = " ".join(text.split())
    for f in FLAGS:
        assert f.flag in text
        for row in match_ids(f.matches).split("\n"):  # the packed ids, whole, in place
            assert any(row in line for line in lines), (row, text)
        assert in_order(f.reason.split(), flat.split())  # wrapped, not cut; markup literal
    assert flat.count("dismissed") == 1


def test_piped_output_lists_every_match_on_the_flags_line() -> None:
    text = render(flags_view(FLAGS, full=True), 10_000)
    for f in FLAGS:
        (line,) = [line for line in text.splitlines() if line.startswith(f.flag)]
        assert " ".join(map(str, f.matches)) in line
        assert f.reason in line and "2026-02-25 → 2026-03-01" in line
    assert "dismissed" in next(line for line in text.splitlines() if FLAGS[1].flag in line)


def test_a_flag_in_full_lists_every_match_and_its_dismissal() -> None:
    sandbag = FLAGS[1]
    dismissal = {"at": "2026-03-02T09:15:00+00:00", "actor": "[b]alice", "reason": "a slump"}
    text = render(flag_detail(sandbag, {1000: "Flash"}, dismissal), 80)
    flat = " ".join(text.split())
    assert " ".join(map(str, sandbag.matches)) in flat
    assert "by [b]alice, 2026-03-02 09:15 UTC: a slump" in flat
    assert "Flash (1000) bw_terran" in flat
    assert "ladder history 1000 --limit 0" in flat
    assert max(len(line) for line in text.splitlines()) <= 80
