"""Renders the standings site and puts it in place.

The pages are Jinja2 templates with autoescaping on: player names (from users and from the
bot's table) and season names are data, shown literally. Everything is written into a new
directory beside ``--out``, then swapped in:

* ``--out`` missing: one ``rename(2)`` of the new directory to it;
* ``--out`` holding an earlier site: on Linux ``renameat2(RENAME_EXCHANGE)`` trades the two
  directories in one atomic step, so at every instant the path names a whole site, the old
  one or the new one; then the old one (now in the temporary name) is removed. Where that
  call is missing (another system, an old kernel, a file system without it) the old site
  is first renamed aside, then the new one renamed in: for the moment between the two
  renames the path is missing (a web server answers 404), never half a site.

A directory is replaced only if it is empty or carries the marker file a build leaves
(:data:`MARKER`), so a mistyped ``--out`` never removes someone's files.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ladder_cli.render.console import escape_controls
from ladder_cli.site.data import DEFAULT_PLAYERS, TOP, check_players
from ladder_cli.site.pages import Board, PlayerPage, Row, SiteData
from ladder_cli.site.templating import day, environment, letters_text, race_label, rate
from ladder_cli.util.errors import BadInput, LadderError

if TYPE_CHECKING:
    from markupsafe import Markup

    from ladder_cli.core.ladder import Ladder

PER_PAGE: Final = 100
"""Rows of a leaderboard or a season's standings on one page."""
DEFAULT_TITLE: Final = "Ladder standings"
MAX_TITLE: Final = 200
MARKER: Final = ".ladder-site"
MARKER_TEXT: Final = (
    "Written by `ladder site`. The next build replaces this whole directory: keep no other "
    "files here.\n"
)
WEEKS: Final = 12
FILE_MODE: Final = 0o644
DIR_MODE: Final = 0o755
"""A site is for publishing: readable by the web server's user, unlike the tool's own
files (the queue, the embedded database), which stay private to their owner."""


@dataclass(frozen=True)
class Built:
    """What a build wrote (the CLI's one-line summary)."""

    out: Path
    files: int
    bytes: int
    players: int
    eligible_players: int
    board_pages: int
    seasons: int


def check_title(title: str | None) -> str:
    if title is None:
        return DEFAULT_TITLE
    text = title.strip()
    if not text:
        raise BadInput("--title must not be empty")
    if len(text) > MAX_TITLE:
        raise BadInput(f"--title is {len(text)} characters long: at most {MAX_TITLE}")
    return text


def check_out(out: Path) -> Path:
    """The absolute path the site goes to; bad input if something else is there: a file, or
    a directory with files that no build wrote (they would be removed)."""
    path = Path(os.path.abspath(out))
    if path.is_symlink():
        path = path.resolve()  # the site goes where the link points; the link stays
    if path == Path(path.anchor):
        raise BadInput(f"--out {out}: the root directory cannot hold a site")
    if path.exists() and not path.is_dir():
        raise BadInput(
            f"--out {out} is a file, not a directory: name a new directory (or one an "
            "earlier `ladder site` wrote)"
        )
    if path.is_dir():
        try:
            with os.scandir(path) as found:
                holds_files = any(True for _ in found)
        except OSError as exc:
            raise BadInput(f"--out {out} cannot be read: {exc.strerror or exc}") from None
        if holds_files and not (path / MARKER).is_file():
            raise BadInput(
                f"--out {out} holds files that `ladder site` did not write (no {MARKER} "
                "in it), which replacing it would remove: name a new or empty directory"
            )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise BadInput(f"--out {out}: {parent} is a file, not a directory")
            break
    return path


def build(
    ladder: Ladder,
    out: str | Path,
    *,
    title: str | None = None,
    players: int = DEFAULT_PLAYERS,
) -> Built:
    """Write ``ladder`` as a static site into ``out`` (see the module's doc for how it is
    put in place). Options are checked before anything is read or written."""
    from ladder_cli.site.data import gather

    text = check_title(title)
    check_players(players)
    target = check_out(Path(out))
    return write(gather(ladder, title=text, players=players), target)


def write(data: SiteData, out: Path) -> Built:
    """Render ``data`` into a new directory beside ``out``, then swap it in."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new", dir=out.parent))
    except OSError as exc:
        raise LadderError(f"cannot write the site beside {out}: {exc.strerror or exc}") from None
    try:
        os.chmod(scratch, DIR_MODE)
        files = _Files(scratch)
        pages = _render(data, files)
        _swap(scratch, out)
    except OSError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise LadderError(f"cannot write the site to {out}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return Built(
        out,
        files.count,
        files.size,
        len(data.players),
        data.eligible_players,
        pages,
        len(data.seasons),
    )


# -- putting it in place -----------------------------------------------------------------


def _swap(new: Path, out: Path) -> None:
    if not out.exists():
        os.rename(new, out)
        return
    if _exchange(new, out):
        shutil.rmtree(new)  # the old site, now under the temporary name
        return
    old = new.with_name(new.name[: -len(".new")] + ".old")
    os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError:
        os.rename(old, out)  # put the old site back
        raise
    shutil.rmtree(old)


_RENAME_EXCHANGE: Final = 2
_AT_FDCWD: Final = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's ``renameat2``; False where it is missing or
    the file system does not support it (then the caller renames twice)."""
    import ctypes
    import errno
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return False
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    call.restype = ctypes.c_int
    if call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


class _Files:
    """Writes the site's files under one directory, counting them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0
        self.size = 0
        self._dirs: set[Path] = {root}

    def put(self, name: str, content: str | bytes) -> None:
        path = self.root / name
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path.parent, DIR_MODE)
            self._dirs.add(path.parent)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        os.chmod(path, FILE_MODE)
        self.count += 1
        self.size += len(data)


# -- pages -------------------------------------------------------------------------------


def _render(data: SiteData, files: _Files) -> int:
    """Write every page, the style sheet, data.json and the marker; the number of
    leaderboard pages."""
    from ladder_cli.render.views import to_json
    from ladder_cli.site.svg import Boundary, Cut, histogram, mmr_chart, within

    env = environment()
    linked = data.linked
    letters = letters_text(data.rules)
    links = {root: _linker(root, linked) for root in ("", "../")}
    writers = {root: _row_writer(link) for root, link in links.items()}

    def page(template: str, name: str, **context: Any) -> None:
        depth = name.count("/")
        root = "../" * depth
        context.setdefault("section", "")
        html = env.get_template(template).render(
            site=data, root=root, link=links[root], standing_row=writers[root], **context
        )
        files.put(name, html)

    page("index.html", "index.html", section="home", top=TOP)

    board_pages = 0
    for board in data.boards:
        board_pages += _board(board, page, letters)

    bounds = [Boundary(s.closed_at, s.name) for s in data.seasons if s.closed_at is not None]

    def ends(entry: Any) -> list[Boundary]:
        return within(entry.points, bounds)

    season_names = {s.number: s.name for s in data.seasons}
    for player in data.players:

        def chart(entry: Any, player: PlayerPage = player) -> Any:
            return mmr_chart(
                entry.points,
                games=entry.logged_games,
                ident=f"chart-{entry.race}",
                label=f"{player.player_name} ({race_label(entry.race)})",
                boundaries=bounds,
            )

        page(
            "player.html",
            f"players/{player.discord_uid}.html",
            p=player,
            chart=chart,
            ends=ends,
            names=data.names,
            season_names=season_names,
        )

    page("seasons.html", "seasons/index.html", section="seasons")
    for season in data.seasons:
        rows = season.standings
        count = max(1, math.ceil(len(rows) / PER_PAGE))
        number = season.number

        def season_href(n: int, number: int = number) -> str:
            return f"{number}.html" if n == 1 else f"{number}-{n}.html"

        for n in range(1, count + 1):
            page(
                "season.html",
                f"seasons/{season_href(n)}",
                section="seasons",
                s=season,
                rows=rows[(n - 1) * PER_PAGE : n * PER_PAGE],
                page=n,
                count=count,
                href=season_href,
            )

    stats = data.stats
    bins = [(int(b["min_mmr"]), int(b["max_mmr"]), int(b["entries"])) for b in stats.histogram]
    cuts = [
        Cut(str(d["rank"]), int(str(d["min_mmr"])))
        for d in stats.distribution
        if d["rank"] != "U" and d["min_mmr"] is not None
    ]
    page(
        "stats.html",
        "stats.html",
        section="stats",
        stats=stats,
        histogram=histogram(bins, cuts, ident="distribution"),
        letters=letters,
        weeks=list(reversed(stats.activity[-WEEKS:])),
    )
    files.put("style.css", resources.files("ladder_cli.site").joinpath("style.css").read_bytes())
    files.put("data.json", to_json(data.json, ascii_only=False, indent=None) + "\n")
    files.put(MARKER, MARKER_TEXT)
    return board_pages


def _board(board: Board, page: Callable[..., None], letters: str) -> int:
    rows = board.rows
    count = max(1, math.ceil(len(rows) / PER_PAGE))
    heading = "Leaderboard: " + ("all races" if board.key == "all" else race_label(board.key))
    key = board.key

    def href(n: int) -> str:
        return f"{key}.html" if n == 1 else f"{key}-{n}.html"

    for n in range(1, count + 1):
        page(
            "board.html",
            f"boards/{href(n)}",
            section="boards",
            key=key,
            heading=heading,
            rows=rows[(n - 1) * PER_PAGE : n * PER_PAGE],
            total=len(rows),
            page=n,
            count=count,
            href=href,
            letters=letters,
        )
    return count


def _row_writer(link: Callable[[int, str], Markup]) -> Callable[[Row, bool], Markup]:
    """``standing_row(row, show_race)``: one row of a leaderboard or a season's standings.

    Written here rather than in the template because these tables are most of a big
    site's pages and the template's per-value escaping was most of their cost. The same
    rule holds: every text taken from the ladder (name, race, rank letter) is escaped;
    the rest are numbers and dates this module formats."""
    from markupsafe import Markup, escape

    from ladder_cli.site.templating import PROVISIONAL

    def row(r: Row, show_race: bool) -> Markup:
        rank = escape(r.rank)
        race = f"<td>{escape(race_label(r.race))}</td>" if show_race else ""
        position = "-" if r.position is None else int(r.position)
        return Markup(
            f'<tr><td class="num">{position}</td><td><span class="rank rank-{rank}">'
            f'{rank}</span></td><th scope="row">{link(r.discord_uid, r.player_name)}</th>'
            f'{race}<td class="num">{int(r.mmr)}{PROVISIONAL if r.provisional else ""}</td>'
            f'<td class="num">{int(r.games_won)}-'
            f'{int(r.games_lost)}-{int(r.games_drawn)}</td><td class="num">'
            f"{rate(r.games_won, r.games_played)}</td><td>{day(r.last_played)}</td></tr>"
        )

    return row


def _linker(root: str, linked: frozenset[int]) -> Callable[[int, str], Markup]:
    """``link(uid, name)`` for one page: the name (escaped), linked to the player's page
    where they have one."""
    from markupsafe import Markup, escape

    def link(uid: int, name: str) -> Markup:
        shown = escape(escape_controls(name))
        if uid in linked:  # root is "" or "../"s, uid an int: only the name needs escaping
            return Markup(f'<a href="{root}players/{int(uid)}.html">{shown}</a>')
        return shown

    return link


__all__ = [
    "DEFAULT_TITLE",
    "MARKER",
    "PER_PAGE",
    "Built",
    "build",
    "check_out",
    "check_title",
    "write",
]
