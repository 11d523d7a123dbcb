"""Errors the tool reports to users, each carrying its exit code.

Every message is one line that says what was wrong and what to do about it;
the CLI prints it without a traceback.
"""

from __future__ import annotations


class LadderError(Exception):
    """An operation failed and nothing was accepted (exit 1)."""

    exit_code = 1


class BadInput(LadderError):
    """The user's input is invalid; nothing was written (exit 2).

    ``param`` names the library argument at fault when the message starts with it
    (``top -1 must be 0 (all) or more``): a front end says it its own way, as the CLI's
    ``--top`` (see :meth:`as_option`).
    """

    exit_code = 2

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param

    def as_option(self) -> str:
        """The message with its parameter written as a command-line option."""
        message = str(self)
        if self.param and message.startswith(self.param):
            return "--" + self.param.replace("_", "-") + message[len(self.param) :]
        return message


class DatabaseUnavailable(LadderError):
    """The database could not be reached (connection refused, timed out, dropped)."""


class QueueError(LadderError):
    """The local write-ahead queue cannot be used (unwritable, corrupt, too new)."""
