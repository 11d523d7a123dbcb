"""Options several command groups share: the output formats, and the reason, confirmation,
dry-run and no-flush options of the writes."""

from __future__ import annotations

from enum import StrEnum

import typer


class TableJsonCsv(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class TableJson(StrEnum):
    table = "table"
    json = "json"


REASON = typer.Option("--reason", metavar="TEXT", help="Why (required; kept in the audit trail).")
YES = typer.Option("--yes", "-y", help="Do not ask for confirmation.")
DRY = typer.Option("--dry-run", help="Show who would change; write nothing.")
NO_FLUSH = typer.Option("--no-flush", help="Only queue; apply later with `ladder wal replay`.")
