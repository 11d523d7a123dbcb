"""Errors the tool reports to users, each carrying its exit code.

Every message is one line that says what was wrong and what to do about it;
the CLI prints it without a traceback.
"""

from __future__ import annotations


class LadderError(Exception):
    """An operation failed and nothing was accepted (exit 1)."""

    exit_code = 1


class BadInput(LadderError):
    """The user's input is invalid; nothing was written (exit 2)."""

    exit_code = 2


class DatabaseUnavailable(LadderError):
    """The database could not be reached (connection refused, timed out, dropped)."""


class QueueError(LadderError):
    """The local write-ahead queue cannot be used (unwritable, corrupt, too new)."""
