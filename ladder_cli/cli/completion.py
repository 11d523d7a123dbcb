"""The shell's completion of player names and uids and of races, for every argument and
option that takes one (``autocompletion=`` on them). Runs in the completing shell's
process: it loads only the light :mod:`ladder_cli.core.completion`, and never prints an
error into the shell."""

from __future__ import annotations

from typing import Final

import typer

#: What bash takes literally in a word.
_PLAIN: Final = frozenset("-_.,:+=@%/^")


def player(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Player names (and uids) beginning with ``incomplete``."""
    try:
        from ladder_cli.core import completion
        from ladder_cli.util.config import resolve

        root = ctx.find_root().params
        settings = resolve(db=root.get("db"), home=root.get("home"))
        found = completion.players(settings, incomplete)
    except Exception:  # a bad config file or home: complete nothing, say nothing
        return []
    return [(c.value, c.help) for c in found]


def race(incomplete: str) -> list[str]:
    """Race names beginning with ``incomplete``."""
    from ladder_cli.core import completion

    return completion.races(incomplete)


def use_in_bash() -> None:
    """Quote the candidates bash receives (call after Typer has set up its completion)."""
    from typer._click.shell_completion import CompletionItem, add_completion_class
    from typer._completion_classes import BashComplete

    class QuotingBashComplete(BashComplete):
        # bash inserts a candidate as it is: escape what it would split or expand, a
        # backslash a character (zsh and fish quote their candidates themselves).
        def format_completion(self, item: CompletionItem) -> str:
            value = str(item.value)
            return "".join(ch if ch.isalnum() or ch in _PLAIN else "\\" + ch for ch in value)

    add_completion_class(QuotingBashComplete, BashComplete.name)
