"""``ladder site``: the standings site, built from ladders made in this process.

Everyday tier (no browser): every page parsed with the standard library's HTML parser and
checked for structure (``lang``, titles, header cells with a scope, charts with a text
alternative, tables in their own scrolling box), every link followed to a file of the
site, no address outside it, hostile player names shown as text and never as markup,
``data.json`` equal to what the CLI's ``--format json`` prints, byte-identical rebuilds,
``--players`` and the 100-row pages. On both stores (the leaderboards come from the
server's ranking on PostgreSQL, from the embedded file on SQLite).

Whole-suite tier (``slow``): a real Chromium, driven by Selenium, visits every kind of
page: no console error, no request leaving the site, no sideways scrolling at 360 pixels,
another background under a dark preference, tables without JavaScript.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from devtools.pgcluster import PgCluster
from ladder_cli import Ladder
from ladder_cli.domain.model import RACES, MatchJob, now_utc
from ladder_cli.render.console import escape_controls
from ladder_cli.site import build
from ladder_cli.site.build import MARKER
from ladder_cli.site.data import ACTIVE_DAYS, NOT_PUBLISHED
from tests.helpers import invoke, query
from tests.test_security import ESCAPES, MARKUP

# Names a page must show as text: HTML that would run or inject, the bad-input corpus's
# SQL, Rich markup, and (written by another writer, as the bot does) terminal escapes.
HTML_NAMES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "</title><svg onload=alert(3)>",
    "&amp; &lt;b&gt; ' \" `",
]
SQL_NAMES = ["x'); DROP TABLE mmrs_1v1;--", "Robert'); DROP TABLE ladder_matches;--"]
HOSTILE = [*HTML_NAMES, *SQL_NAMES, *MARKUP]
HOSTILE_UID = 900  # HOSTILE[i] is player 900 + i
ESCAPED_UID = 950  # ESCAPES' names go to players 950 + their key
SEASON = 'Season <1> & "friends"'

OLD, RECENT, LIVE = 1_000, 2_000, 3_000  # first uids of the three groups below


@dataclass
class Made:
    url: str
    home: Path
    #: Players expected to get a page: ranked now, or a game in the 90 days before the
    #: latest match; and those expected not to.
    ranked: set[int] = field(default_factory=set)
    recent_only: set[int] = field(default_factory=set)
    stale: set[int] = field(default_factory=set)

    def ladder(self) -> Ladder:
        return Ladder.open(db=self.url, home=self.home)


def execute(url: str, statement: str, params: tuple[Any, ...]) -> None:
    query(url, statement, params)


def make_ladder(url: str, home: Path) -> Made:
    """Three groups, then a season close, then play by one group:

    * OLD: played 200 days ago only: after the close, no ranked entry and no recent game;
    * RECENT: played 10 days ago: after the close, unranked but recent (a page);
    * LIVE (with the hostile names): played after the close: ranked (pages first).

    LIVE alone has 126 entries with games, so the all-race board has two pages."""
    made = Made(url, home)
    now = now_utc()
    jobs = []
    for i in range(20):
        at = now - timedelta(days=200, minutes=i)
        jobs.append(MatchJob(OLD + i, "bw_terran", OLD + 100 + i, "sc2_zerg", 1, at))
    for i in range(10):
        at = now - timedelta(days=10, minutes=i)
        jobs.append(MatchJob(RECENT + i, "bw_protoss", RECENT + 100 + i, "sc2_terran", 1, at))
    made.stale = {j.p1_uid for j in jobs[:20]} | {j.p2_uid for j in jobs[:20]}
    made.recent_only = {j.p1_uid for j in jobs[20:]} | {j.p2_uid for j in jobs[20:]}
    with Ladder.open(db=url, home=home) as ladder:
        ladder.init()
        ladder.record_many(jobs)
        # Hostile names and one opponent for each, in the season about to close too.
        first = [
            MatchJob(HOSTILE_UID + i, "bw_zerg", LIVE + 500 + i, "bw_terran", 1, at, name, None)
            for i, name in enumerate(HOSTILE)
            for at in [now - timedelta(days=5, minutes=i)]
        ]
        ladder.record_many(first)
        ladder.seasons.close(ladder.seasons.preview_close(SEASON, 0.5))
        later = []
        for i in range(60):
            at = now + timedelta(seconds=10 + i)
            result = 0 if i % 7 == 0 else 1
            later.append(MatchJob(LIVE + i, "bw_terran", LIVE + 100 + i, "bw_zerg", result, at))
        for i in range(len(HOSTILE)):
            at = now + timedelta(seconds=100 + i)
            later.append(MatchJob(HOSTILE_UID + i, "bw_zerg", LIVE + i, "sc2_protoss", 1, at))
            later.append(MatchJob(LIVE + 500 + i, "bw_terran", HOSTILE_UID + i, "bw_zerg", 0, at))
        for key in ESCAPES:
            at = now + timedelta(seconds=200 + key)
            later.append(MatchJob(ESCAPED_UID + key, "sc2_terran", LIVE + key, "bw_terran", 1, at))
        ladder.record_many(later)
    for key, name in ESCAPES.items():
        execute(
            url,
            "UPDATE mmrs_1v1 SET player_name = %s WHERE discord_uid = %s",
            (name, ESCAPED_UID + key),
        )
    made.ranked = {j.p1_uid for j in later} | {j.p2_uid for j in later}
    made.recent_only -= made.ranked
    return made


@pytest.fixture
def made(db_url: str, home: Path) -> Made:
    return make_ladder(db_url, home)


def site_of(made: Made, out: Path, **options: Any) -> Path:
    with made.ladder() as ladder:
        build(ladder, out, **options)
    return out


# -- parsing ---------------------------------------------------------------------------

VOID = {"meta", "link", "br", "img", "input", "hr", "source", "area", "base", "col", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parents: tuple[str, ...]
    classes_above: frozenset[str]


class Page(HTMLParser):
    """A page's elements (with their ancestors), text, title, ids and SVG titles."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.text: list[str] = []
        self.title = ""
        self.ids: set[str] = set()
        self.svg_text: dict[str, str] = {}  # id -> text of an SVG title/desc
        self._stack: list[tuple[str, frozenset[str], str | None]] = []
        self.feed(text)
        self.close()

    def _push(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        values = {k: v or "" for k, v in attrs}
        above = frozenset().union(*(c for _, c, _ in self._stack)) if self._stack else frozenset()
        self.elements.append(Element(tag, values, tuple(t for t, _, _ in self._stack), above))
        if "id" in values:
            self.ids.add(values["id"])
        if not closed and tag not in VOID:
            classes = frozenset(values.get("class", "").split())
            self._stack.append((tag, classes, values.get("id")))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._push(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._push(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not self._stack:
            return
        tag, _, ident = self._stack[-1]
        inside_svg = any(t == "svg" for t, _, _ in self._stack)
        if tag == "title" and not inside_svg:
            self.title += data
        if inside_svg and tag in ("title", "desc") and ident:
            self.svg_text[ident] = self.svg_text.get(ident, "") + data

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    @property
    def body_text(self) -> str:
        return "".join(self.text)


def pages(site: Path) -> dict[str, Page]:
    return {
        str(path.relative_to(site)): Page(path.read_text(encoding="utf-8"))
        for path in sorted(site.rglob("*.html"))
    }


def tree(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()
    }


def player_pages(site: Path) -> set[int]:
    return {int(p.stem) for p in (site / "players").glob("*.html")}


# -- structure -------------------------------------------------------------------------


def test_every_page_is_well_formed_and_links_stay_inside(made: Made, tmp_path: Path) -> None:
    site = site_of(made, tmp_path / "site", title="Evo <Ladder> & co")
    parsed = pages(site)
    names = set(parsed)
    # Every kind of page, and the files beside them.
    assert {"index.html", "stats.html", "seasons/index.html", "seasons/1.html"} <= names
    assert {f"boards/{key}.html" for key in ("all", *RACES)} <= names
    assert (site / "data.json").is_file() and (site / "style.css").is_file()
    assert (site / MARKER).is_file()
    assert player_pages(site)

    titles = set()
    for name, page in parsed.items():
        html = page.all("html")
        assert html and html[0].attrs.get("lang") == "en", name
        assert page.title.strip(), f"{name} has no <title>"
        titles.add(page.title)
        assert "Evo <Ladder> & co" in page.body_text, name  # the --title, as text
        for th in page.all("th"):
            assert th.attrs.get("scope") in ("col", "row"), f"{name}: <th> without scope"
        for table in page.all("table"):
            assert "table-wrap" in table.classes_above, f"{name}: a table outside its box"
        assert not page.all("script"), f"{name} runs a script"
        assert not page.all("img") and not page.all("iframe"), name
        for element in page.elements:
            handlers = [a for a in element.attrs if a.startswith("on")]
            assert not handlers, f"{name}: <{element.tag}> has {handlers}"
            for attr in ("href", "src"):
                if attr in element.attrs:
                    check_link(site, name, element.attrs[attr], parsed)
        for svg in page.all("svg"):
            assert svg.attrs.get("role") == "img", name
            labels = svg.attrs.get("aria-labelledby", "").split()
            assert len(labels) == 2, f"{name}: a chart without title and description"
            assert all(page.svg_text.get(i, "").strip() for i in labels), name
    assert len(titles) == len(parsed), "two pages share a <title>"

    # The style sheet is the site's own and loads nothing from anywhere.
    css = (site / "style.css").read_text()
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    assert "prefers-color-scheme: dark" in css


def check_link(site: Path, page: str, target: str, parsed: dict[str, Page]) -> None:
    parts = urlsplit(target)
    if parts.scheme == "data":  # the empty icon, so a browser asks the server for none
        assert target == "data:,", (page, target)
        return
    assert not parts.scheme and not parts.netloc, f"{page} links outside the site: {target}"
    base = (site / page).parent
    if not parts.path:  # a fragment of the same page
        assert parts.fragment in parsed[page].ids, (page, target)
        return
    resolved = (base / unquote(parts.path)).resolve()
    assert resolved.is_relative_to(site.resolve()), f"{page} leaves the site: {target}"
    assert resolved.is_file(), f"{page} links to a missing file: {target}"
    if parts.fragment:
        other = str(resolved.relative_to(site.resolve()))
        assert parts.fragment in parsed[other].ids, (page, target)


def test_hostile_names_are_shown_as_text(made: Made, tmp_path: Path) -> None:
    site = site_of(made, tmp_path / "site")
    parsed = pages(site)
    raw = {name: (site / name).read_text(encoding="utf-8") for name in parsed}
    shown = {**dict(zip(range(HOSTILE_UID, HOSTILE_UID + len(HOSTILE)), HOSTILE, strict=True))}
    shown |= {ESCAPED_UID + key: name for key, name in ESCAPES.items()}
    for uid, name in shown.items():
        page = parsed[f"players/{uid}.html"]
        literal = escape_controls(name)
        assert literal in page.title, (uid, page.title)
        assert literal in page.body_text, uid
        # On the leaderboards and in the chart's text alternative too.
        assert any(literal in parsed[p].body_text for p in parsed if p.startswith("boards/"))
        assert any(literal in text for text in page.svg_text.values()), uid
    # No raw control character reaches a page; a season's name is text as well.
    for name, text in raw.items():
        assert "\x1b" not in text and "\x07" not in text, name
        assert "<script>alert" not in text and "<img" not in text, name
    assert SEASON in parsed["seasons/1.html"].title
    assert SEASON in parsed["seasons/index.html"].body_text
    data = json.loads((site / "data.json").read_text(encoding="utf-8"))
    in_json = {p["discord_uid"]: p["player_name"] for p in data["players"]}
    assert all(in_json[uid] == name for uid, name in shown.items())  # JSON keeps them exact


def test_same_ladder_same_bytes(made: Made, tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    first = tree(site_of(made, sites / "one"))
    second = tree(site_of(made, sites / "two"))
    assert first == second
    again = tree(site_of(made, sites / "one"))  # replacing the earlier build in place
    assert again == first
    # Nothing left beside the site: the build's temporary directories are gone.
    assert sorted(p.name for p in sites.iterdir()) == ["one", "two"]


def test_replacing_without_an_atomic_exchange(
    made: Made, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where renameat2 is missing, the old site is renamed aside, then the new one in."""
    import importlib

    built = importlib.import_module("ladder_cli.site.build")
    sites = tmp_path / "sites"
    first = tree(site_of(made, sites / "site"))
    (sites / "site" / "players" / "1.html").write_text("a page an earlier build left\n")
    monkeypatch.setattr(built, "_exchange", lambda a, b: False)
    assert tree(site_of(made, sites / "site")) == first
    assert sorted(p.name for p in sites.iterdir()) == ["site"]


def test_players_bound_order_and_links(made: Made, tmp_path: Path) -> None:
    site = site_of(made, tmp_path / "all")
    paged = player_pages(site)
    assert paged == made.ranked | made.recent_only
    assert not paged & made.stale

    data = json.loads((site / "data.json").read_text(encoding="utf-8"))
    board = data["leaderboard"]
    best_first = list(dict.fromkeys(r["discord_uid"] for r in board if r["rank"] != "U"))
    assert [p["discord_uid"] for p in data["players"]][: len(best_first)] == best_first

    bounded = site_of(made, tmp_path / "three", players=3)
    assert player_pages(bounded) == set(best_first[:3])
    linked = set()
    for page in pages(bounded).values():
        for a in page.all("a"):
            href = a.attrs["href"]
            if "players/" in href:
                linked.add(int(Path(urlsplit(href).path).stem))
    assert linked == set(best_first[:3]), "a link to a player without a page"
    # A recent player without a ranked entry has a page; one whose games are old has none.
    recent = next(iter(made.recent_only))
    assert (site / "players" / f"{recent}.html").is_file()
    stale = next(iter(made.stale))
    assert not (site / "players" / f"{stale}.html").exists()
    assert ACTIVE_DAYS == 90  # the contract's window, which the ladder above straddles


def test_leaderboards_have_100_rows_a_page(made: Made, tmp_path: Path) -> None:
    site = site_of(made, tmp_path / "site")
    data = json.loads((site / "data.json").read_text(encoding="utf-8"))
    total = len(data["leaderboard"])
    assert 100 < total <= 200, total
    parsed = pages(site)

    def rows(name: str) -> list[str]:
        page = parsed[name]
        return [e.attrs.get("scope", "") for e in page.all("th") if e.parents[-1] == "tr"]

    first = [e for e in parsed["boards/all.html"].all("tr") if "tbody" in e.parents]
    second = [e for e in parsed["boards/all-2.html"].all("tr") if "tbody" in e.parents]
    assert (len(first), len(second)) == (100, total - 100)
    assert "boards/all-3.html" not in parsed
    hrefs = {a.attrs["href"] for a in parsed["boards/all.html"].all("a")}
    assert "all-2.html" in hrefs
    assert "all.html" in {a.attrs["href"] for a in parsed["boards/all-2.html"].all("a")}
    assert rows("boards/all.html").count("row") == 100
    # A race with fewer entries has one page; one with none says so.
    terran = [e for e in parsed["boards/bw_terran.html"].all("tr") if "tbody" in e.parents]
    assert 60 <= len(terran) <= 100 and "boards/bw_terran-2.html" not in parsed
    assert "No entry has played" in parsed["boards/sc2_zerg.html"].body_text


# -- data.json is the CLI's JSON ----------------------------------------------------------


def test_data_json_equals_the_clis_json(made: Made, tmp_path: Path) -> None:
    site = site_of(made, tmp_path / "site")
    data = json.loads((site / "data.json").read_text(encoding="utf-8"))

    def cli(*args: object) -> Any:
        result = invoke(made.home, made.url, *args, "--format", "json")
        assert result.code == 0, result.err
        return result.json

    assert data["leaderboard"] == cli("leaderboard", "--top", 0)
    assert data["stats"] == cli("stats")
    assert data["seasons"] == cli("season", "list")
    assert data["rules"] == cli("rules")
    for player in data["players"][:3] + data["players"][-3:]:
        profile = cli("profile", player["discord_uid"])
        assert player == {k: v for k, v in profile.items() if k not in NOT_PUBLISHED}
    latest = max(datetime.fromisoformat(r["last_played"]) for r in data["leaderboard"])
    assert datetime.fromisoformat(data["latest_match"]) == latest
    # Never the audit trail or integrity flags.
    text = (site / "data.json").read_text(encoding="utf-8")
    assert "audit" not in text and "actor" not in text and "flag" not in text


# -- bad input, offline, replacing a site -----------------------------------------------


def one_line(result: Any, code: int, *words: str) -> None:
    assert result.code == code, (result.out, result.err)
    assert len(result.err_lines) == 1, result.err
    for word in words:
        assert word in result.err_lines[0], result.err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--players", "0"], ["--players", "1 or more"]),
        (["--players", "-5"], ["--players"]),
        (["--players", "many"], ["--players"]),
        (["--title", "  "], ["--title"]),
        (["--title", "x" * 201], ["--title", "200"]),
    ],
    ids=["players-zero", "players-negative", "players-word", "title-blank", "title-long"],
)
def test_bad_options_are_one_line_and_write_nothing(
    home: Path, tmp_path: Path, args: list[str], words: list[str]
) -> None:
    url = f"sqlite:///{tmp_path}/ladder.sqlite3"
    out = tmp_path / "site"
    result = invoke(home, url, "site", "--out", out, *args)
    one_line(result, 2, *words)
    assert not out.exists()


def test_out_must_be_a_directory_of_a_site(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ladder.sqlite3"
    assert invoke(home, url, "record", 1, "bw_terran", 2, "bw_zerg").code == 0
    tmp_path = tmp_path / "sites"
    tmp_path.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("mine\n")
    one_line(invoke(home, url, "site", "--out", a_file), 2, "is a file")
    assert a_file.read_text() == "mine\n"
    one_line(invoke(home, url, "site", "--out", a_file / "site"), 2, "not a directory")
    # A directory holding someone else's files is never replaced.
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep me\n")
    one_line(invoke(home, url, "site", "--out", theirs), 2, MARKER)
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]
    # An empty one is, and so is a site written before; nothing is left beside them.
    empty = tmp_path / "empty"
    empty.mkdir()
    done = invoke(home, url, "site", "--out", empty)
    assert done.code == 0, done.err
    assert done.out.startswith(f"wrote the site to {empty}: 2 player pages")
    (empty / "players" / "12345.html").write_text("stale page of an earlier build\n")
    done = invoke(home, url, "site", "--out", empty, "--players", 1)
    assert done.code == 0, done.err
    assert player_pages(empty) == {1}  # the winner: best first; the stale page is gone
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.pg
def test_offline_is_an_error_and_writes_nothing(
    home: Path, pg_url: str, pg_cluster: PgCluster, tmp_path: Path
) -> None:
    assert invoke(home, pg_url, "record", 1, "bw_terran", 2, "bw_zerg").code == 0
    assert invoke(home, pg_url, "leaderboard").code == 0  # leaves this home's snapshot
    out = tmp_path / "sites" / "site"
    pg_cluster.stop()
    try:
        shown = invoke(home, pg_url, "leaderboard", "--format", "json")
        assert shown.code == 0 and len(shown.json) == 2  # reads work from the snapshot
        result = invoke(home, pg_url, "site", "--out", out)
    finally:
        pg_cluster.start()
    # Like `leaderboard --as-of` and `verify`: the log and the archive are in the database.
    one_line(result, 1, "match log", "database")
    assert not out.parent.exists()


# -- a real browser (whole suite) ---------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture
def browser_site(tmp_path: Path) -> Path:
    made = make_ladder(f"sqlite:///{tmp_path}/ladder.sqlite3", tmp_path / "home")
    return site_of(made, tmp_path / "site")


def _driver(profile: Path, *, javascript: bool = True) -> Any:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI needs Debian's chromium and chromium-driver (.ci/run installs them)")
        pytest.skip(
            "no /usr/bin/chromium and /usr/bin/chromedriver: "
            "apt-get install chromium chromium-driver"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=360,800",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    driver = _driver(tmp_path / f"profile-{uuid.uuid4().hex}")
    try:
        yield driver
    finally:
        driver.quit()


def kinds(site: Path) -> list[str]:
    """One page of each kind (the second page of a paged board too)."""
    player = sorted(player_pages(site))[0]
    return [
        "index.html",
        "boards/all.html",
        "boards/all-2.html",
        "boards/bw_terran.html",
        f"players/{player}.html",
        f"players/{HOSTILE_UID}.html",
        "seasons/index.html",
        "seasons/1.html",
        "stats.html",
    ]


@pytest.mark.slow
def test_browser_every_kind_of_page(browser_site: Path, chromium: Any) -> None:
    site = browser_site.resolve()
    prefix = site.as_uri() + "/"
    for name in kinds(site):
        chromium.set_window_size(360, 800)
        chromium.get(prefix + name)
        assert chromium.title, name
        errors = [e for e in chromium.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, (name, errors)
        resources = chromium.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        outside = [r for r in resources if not r.startswith(prefix)]
        assert not outside, (name, outside)
        width = chromium.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width[0] <= width[1], f"{name} scrolls sideways at 360 px: {width}"
        assert chromium.execute_script("return document.querySelectorAll('table').length")

        def background() -> str:
            return str(
                chromium.execute_script("return getComputedStyle(document.body).backgroundColor")
            )

        chromium.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "light"}]},
        )
        light = background()
        chromium.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
        )
        dark = background()
        chromium.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        assert light != dark, (name, light, dark)


@pytest.mark.slow
def test_browser_tables_without_javascript(browser_site: Path, tmp_path: Path) -> None:
    driver = _driver(tmp_path / "profile-nojs", javascript=False)
    try:
        site = browser_site.resolve()
        from selenium.webdriver.common.by import By

        for name in kinds(site):
            driver.get(site.as_uri() + "/" + name)
            tables = driver.find_elements(By.TAG_NAME, "table")
            assert tables and all(t.is_displayed() for t in tables), name
            rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
            assert rows, name
    finally:
        driver.quit()


@pytest.mark.slow
def test_browser_hostile_names_run_nothing(browser_site: Path, chromium: Any) -> None:
    site = browser_site.resolve()
    from selenium.webdriver.common.by import By

    for i, name in enumerate(HOSTILE):
        chromium.get(f"{site.as_uri()}/players/{HOSTILE_UID + i}.html")
        heading = chromium.find_element(By.TAG_NAME, "h1").text
        assert heading == name
        # An alert would be open (and block the driver) had any name run.
        assert (
            chromium.execute_script("return document.querySelectorAll('script, img').length") == 0
        )
