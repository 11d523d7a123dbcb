"""The pages' Jinja2 environment, and how its templates write values: races, times, rates,
streaks and the sentence on how rank letters are handed out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from ladder_cli.render.console import escape_controls

if TYPE_CHECKING:
    import jinja2

    from ladder_cli.domain.rules import Rules


def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ladder_cli.site", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def race_label(race: str) -> str:
    """``bw_terran`` as ``BW Terran``."""
    game, _, name = race.partition("_")
    return f"{game.upper()} {name.capitalize()}" if name else race


def _utc(at: datetime) -> datetime:
    return at if at.utcoffset() == ZERO else at.astimezone(UTC)


def _when(at: datetime | None) -> str:
    return "-" if at is None else _utc(at).strftime("%Y-%m-%d %H:%M UTC")


def day(at: datetime | None) -> str:
    return "-" if at is None else _utc(at).date().isoformat()


def rate(won: int, played: int) -> str:
    return f"{100 * won / played:.1f}%" if played > 0 else "-"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def _outcome(outcome: str) -> str:
    return {"W": "Win", "L": "Loss", "D": "Draw"}.get(outcome, outcome)


def _streak(outcome: str | None, games: int) -> str:
    if outcome is None or games < 1:
        return "-"
    word = {"W": ("win", "wins"), "L": ("loss", "losses"), "D": ("draw", "draws")}[outcome]
    return f"{games} {word[0] if games == 1 else word[1]}"


FILTERS: Final[Mapping[str, Callable[..., str]]] = {
    "name": lambda text: escape_controls(str(text)),
    "race": race_label,
    "when": _when,
    "day": day,
    "num": lambda n: f"{n:,}",
    "rate": rate,
    "pct": _pct,
    "signed": _signed,
    "outcome": _outcome,
    "streak": _streak,
}


def letters_text(rules: Rules) -> str:
    """How the ladder hands out its rank letters, in a sentence."""
    from ladder_cli.domain.rules import PERCENTILE_BOUNDS, SHARES

    window = "" if rules.activity_days is None else f" in the last {rules.activity_days} days"
    if rules.letters == "fixed":
        shares = ", ".join(f"{letter} {share}%" for letter, share in SHARES.items())
        rule = f"each letter gets a fixed share of the ranked entries ({shares})"
    else:
        bounds = ", ".join(f"{letter} the top {bound}%" for letter, bound in PERCENTILE_BOUNDS)
        rule = f"by percentile of the ranked entries: {bounds}, F the rest"
    return f"{rule}; U (unranked): no game{window}."


ZERO: Final = timedelta(0)


__all__ = ["FILTERS", "day", "environment", "letters_text", "race_label", "rate"]
