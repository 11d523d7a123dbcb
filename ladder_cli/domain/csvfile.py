"""Reading a matches CSV: the whole file is validated before anything is queued.

Format: header ``p1_uid,p1_race,p2_uid,p2_race,result,played_at`` (``played_at``
optional per row), optional ``p1_name,p2_name``. ``result`` is 1 (P1 won), 0 (draw) or 2
(P2 won, as the original bot's matches say; recorded with the winner as P1). A UTF-8
byte-order mark, as spreadsheets write, is accepted. Any bad line rejects the file, naming the line.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TextIO

from ladder_cli.domain.model import (
    RACE_SET,
    MatchJob,
    now_utc,
    parse_name,
    parse_race,
    parse_timestamp,
    parse_uid,
)
from ladder_cli.util import failpoints
from ladder_cli.util.errors import BadInput

REQUIRED: Final = ("p1_uid", "p1_race", "p2_uid", "p2_race", "result")
OPTIONAL: Final = ("played_at", "p1_name", "p2_name")


def read_matches(path: Path, *, progress: Callable[[int], None] | None = None) -> list[MatchJob]:
    """All matches in ``path``, or BadInput naming the first bad line."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        try:
            return _read(path, handle, progress)
        except UnicodeDecodeError as exc:
            raise BadInput(f"{path}{_bad_utf8(path, exc)}") from None
        except csv.Error as exc:
            raise BadInput(f"{path}: malformed CSV: {exc}") from None


def _bad_utf8(path: Path, exc: UnicodeDecodeError) -> str:
    """Where the first invalid UTF-8 is: the decoder's offset is only within its chunk."""
    offset = 0
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as bad:
                return f" line {number}: not UTF-8 text ({bad.reason} at byte {offset + bad.start})"
            offset += len(raw)
    return f": not UTF-8 text ({exc.reason})"


def _read(path: Path, handle: TextIO, progress: Callable[[int], None] | None) -> list[MatchJob]:
    reader = csv.reader(handle, strict=True)
    try:
        return _read_rows(path, reader, progress)
    except csv.Error as exc:
        raise BadInput(f"{path} line {reader.line_num}: malformed CSV: {exc}") from None


def _read_rows(path: Path, reader: Any, progress: Callable[[int], None] | None) -> list[MatchJob]:
    header = next(reader, None)
    if header is None:
        raise BadInput(f"{path}: the file is empty: expected a header {','.join(REQUIRED)}")
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if missing or unknown or len(set(columns)) != len(columns):
        problem = (
            f"missing column {missing[0]!r}"
            if missing
            else f"unknown column {unknown[0]!r}"
            if unknown
            else "a column appears twice"
        )
        raise BadInput(
            f"{path}: bad header ({problem}): expected "
            f"{','.join((*REQUIRED, 'played_at'))}[,p1_name,p2_name]"
        )
    index = {name: i for i, name in enumerate(columns)}
    width = len(columns)
    at, n1, n2 = index.get("played_at"), index.get("p1_name"), index.get("p2_name")
    i_p1, i_r1, i_p2, i_r2, i_res = (index[c] for c in REQUIRED)
    now = now_utc()
    failpoints.hit("reading-csv")
    uids: dict[str, int] = {}  # players recur: each uid text is parsed once
    jobs: list[MatchJob] = []
    append = jobs.append
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        if len(row) != width:
            raise BadInput(
                f"{path} line {line}: {len(row)} field{'' if len(row) == 1 else 's'}, "
                f"expected {width} as in the header"
            )
        try:
            r1, r2 = row[i_r1], row[i_r2]
            t1, t2 = row[i_p1], row[i_p2]
            p1 = uids.get(t1) or uids.setdefault(t1, parse_uid(t1, what="p1_uid"))
            p2 = uids.get(t2) or uids.setdefault(t2, parse_uid(t2, what="p2_uid"))
            if r1 not in RACE_SET:
                r1 = parse_race(r1, what="p1_race")
            if r2 not in RACE_SET:
                r2 = parse_race(r2, what="p2_race")
            result = row[i_res].strip()
            if result not in ("0", "1", "2"):
                raise BadInput(f"result {result!r} must be 1 (P1 won), 2 (P2 won) or 0 (draw)")
            if p1 == p2:
                raise BadInput(f"p1_uid and p2_uid are the same player ({p1})")
            when = row[at].strip() if at is not None else ""
            name1 = row[n1] if n1 is not None and row[n1] != "" else None
            name2 = row[n2] if n2 is not None and row[n2] != "" else None
            if result == "2":  # P2 won: recorded as its winner first, as `record` does
                p1, r1, name1, p2, r2, name2, result = p2, r2, name2, p1, r1, name1, "1"
            append(
                MatchJob(
                    p1,
                    r1,
                    p2,
                    r2,
                    int(result),
                    parse_timestamp(when, what="played_at") if when else now,
                    None if name1 is None else parse_name(name1, what="p1_name"),
                    None if name2 is None else parse_name(name2, what="p2_name"),
                )
            )
        except BadInput as exc:
            raise BadInput(f"{path} line {line}: {exc}") from None
        if progress is not None and len(jobs) % 100_000 == 0:
            progress(len(jobs))
    if not jobs:
        raise BadInput(f"{path}: no matches after the header")
    return jobs
