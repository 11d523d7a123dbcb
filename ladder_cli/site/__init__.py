"""The standings site: ``ladder site`` writes the ladder as static pages.

:func:`build` gathers what the pages show (:mod:`ladder_cli.site.pages`) from a
:class:`~ladder_cli.Ladder`'s public reads (:mod:`ladder_cli.site.data`), renders them with
Jinja2 (:mod:`ladder_cli.site.build`; filters in :mod:`ladder_cli.site.templating`, charts
from :mod:`ladder_cli.site.svg`) and swaps the new site into place.
"""

from __future__ import annotations

from ladder_cli.site.build import Built, build
from ladder_cli.site.data import DEFAULT_PLAYERS

__all__ = ["DEFAULT_PLAYERS", "Built", "build"]
