"""What the integrity report looks like: a table per kind of flag, newest first, each flag
with its reason and the match ids an admin can hand to ``ladder match void``; and one
flag in detail.

Reasons name players as plain text: they are shown literally (:func:`literal`). In a table
on a terminal a long list of match ids is cut to a few lines with a count of the rest;
piped output, JSON and the detail view (``ladder integrity show``) list them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from rich.table import Table
from rich.text import Text

from ladder_cli.domain.integrity import KINDS
from ladder_cli.render.console import arrow, literal, table

if TYPE_CHECKING:
    from ladder_cli.domain.integrity import Flag

#: What each kind means, as a group's heading says it.
MEANING: Final = {
    "pair": "one side won nearly every one of many meetings (win trading)",
    "feeder": "most of an entry's losses went to one opponent (feeding)",
    "sandbag": "a long losing streak, then the MMR won back (sandbagging)",
    "newcomer": "a new entry beat much higher-rated opponents (a smurf)",
}
#: The widest a table's match-id lines are, and how many lines a flag's ids take there.
IDS_WIDTH: Final = 20
IDS_LINES: Final = 3


def match_ids(ids: Sequence[int], *, width: int = IDS_WIDTH, lines: int | None = IDS_LINES) -> str:
    """Match ids in lines of at most ``width`` characters; beyond ``lines`` lines the last
    one ends with ``+N``, the count of the ids left out. ``lines`` None: every id."""
    rows = _packed([str(i) for i in ids], width)
    if lines is None or len(rows) <= lines:
        return "\n".join(rows)
    kept = rows[: lines - 1]
    left = [str(i) for i in ids[sum(len(row.split()) for row in kept) :]]
    last: list[str] = []
    while left and len(" ".join([*last, left[0], f"+{len(left) - 1}"])) <= width:
        last.append(left.pop(0))
    return "\n".join([*kept, " ".join([*last, f"+{len(left)}"])])


def _packed(words: Sequence[str], width: int) -> list[str]:
    """``words`` in lines of at most ``width`` characters (a longer word alone on its line)."""
    rows: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            rows.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        rows.append(line)
    return rows


def _day(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d}"


def window(flag: Flag) -> str:
    """The flag's window as dates (UTC): ``2026-01-31 → 2026-02-04``, one date for a day."""
    start, end = _day(flag.start), _day(flag.end)
    return start if start == end else f"{start} {arrow()} {end}"


def flags_view(flags: Sequence[Flag], *, full: bool = False) -> list[Any]:
    """A heading and a table per kind of flag, in the order of :data:`KINDS` (the flags
    come sorted newest first within a kind). ``full``: every match id (piped output)."""
    out: list[Any] = []
    for kind in KINDS:
        mine = [f for f in flags if f.kind == kind]
        if not mine:
            continue
        count = f"{len(mine)} flag{'s' if len(mine) > 1 else ''}"
        out.append(Text.assemble((kind, "bold"), f" ({count}): {MEANING[kind]}"))
        out.append(_table(mine, full=full))
    return out


def _table(flags: Sequence[Flag], *, full: bool) -> Table:
    """On a terminal: the window under the reason and the ids in a few lines. ``full``
    (piped): a line a flag, the window in a column, every id."""
    t = table([("Flag", "left")])
    if full:
        t.add_column("Window (UTC)", no_wrap=True)
    t.add_column("Reason", ratio=1, overflow="fold")
    t.add_column("Matches", no_wrap=True)
    for flag in flags:
        label = Text(flag.flag)
        if flag.dismissed:
            label.append(" dismissed" if full else "\ndismissed", style="dim")
        reason = literal(flag.reason)
        if full:
            t.add_row(label, window(flag), reason, " ".join(map(str, flag.matches)))
            continue
        reason.append(f"\n{window(flag)}", style="dim")
        t.add_row(label, reason, match_ids(flag.matches, width=IDS_WIDTH, lines=IDS_LINES))
    return t


def flag_detail(
    flag: Flag, names: Mapping[int, str], dismissal: Mapping[str, Any] | None
) -> list[Any]:
    """One flag in full: its reason, entries, window, every match id, who dismissed it,
    and the commands to look closer and to act."""
    t = table([("", "left"), ("", "left")], title=f"Integrity flag {flag.flag}")
    t.show_header = False
    t.columns[1].no_wrap = False
    t.columns[1].overflow = "fold"
    t.add_row("flag", flag.flag)
    t.add_row("kind", f"{flag.kind}: {MEANING[flag.kind]}")
    t.add_row("reason", literal(flag.reason))
    for i, (uid, race) in enumerate(flag.entries, start=1):
        who = f"{names[uid]} ({uid})" if uid in names else str(uid)
        t.add_row(f"entry {i}" if len(flag.entries) > 1 else "entry", literal(f"{who} {race}"))
    t.add_row("from", _minute(flag.start))
    t.add_row("to", _minute(flag.end))
    t.add_row(f"matches ({len(flag.matches)})", " ".join(map(str, flag.matches)))
    if dismissal is not None:
        at = dismissal.get("at")
        when = _minute(datetime.fromisoformat(at)) if isinstance(at, str) else "queued"
        by = literal(f"by {dismissal.get('actor')}, {when}: {dismissal.get('reason') or ''}")
        t.add_row("dismissed", by)
    return [t, *next_steps(flag)]


def next_steps(flag: Flag) -> list[Text]:
    """Where to look closer and how to act on the flag."""
    uids = [uid for uid, _ in flag.entries]
    look = (
        f"ladder h2h {uids[0]} {uids[1]}"
        if len(set(uids)) > 1
        else f"ladder history {uids[0]} --limit 0"
    )
    return [
        Text(f"look closer:  {look}"),
        Text("void a match: ladder match void MATCH_ID --reason TEXT"),
        Text(f"or dismiss:   ladder integrity dismiss {flag.flag} --reason TEXT"),
    ]


def _minute(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


__all__ = ["MEANING", "flag_detail", "flags_view", "match_ids", "next_steps", "window"]
