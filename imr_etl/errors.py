"""Every error imr-etl raises on purpose, under one root.

Each says, in one line, what went wrong and where; each carries the stage a
letter it stops is quarantined at (``read``, ``parse`` or ``load``:
``etl_quarantine.stage``) and the exit status the command line ends with.
:func:`one_line` renders any error — ours, a database driver's, a bug's — as
the one line a user is shown; the CLI, the loader and the warehouse all use
it.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_BUSY = 75  # EX_TEMPFAIL: another process holds the warehouse; retry later


class ImrEtlError(Exception):
    """The root of imr-etl's errors."""

    stage: str | None = None  # where a letter stopped by it is quarantined (None: not a letter's)
    exit_status: int = EXIT_FAILURE


class LetterParseError(ImrEtlError, ValueError):
    """A letter that is not a Final Determination Letter as the grammar knows
    it: the file, and for a parse error the line, column and what was
    expected there."""

    stage = "parse"

    def __init__(self, reason: str, source: str = "", line: int | None = None,
                 column: int | None = None, expected: tuple[str, ...] = ()):
        self.reason = reason
        self.source = source
        self.line = line
        self.column = column
        self.expected = expected
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source or "<letter>"
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.reason}"


class PdfTextError(LetterParseError):
    """A PDF whose text cannot be had: a scan, a password, a broken file."""

    stage = "read"


class ParseTimeout(ImrEtlError):
    """A letter that took longer than its time budget to read and parse."""

    stage = "parse"


class WarehouseError(ImrEtlError):
    """A problem with the warehouse itself, told in one line."""


class WarehouseBusy(WarehouseError):
    """Another process is writing to (or holding open) the warehouse."""

    exit_status = EXIT_BUSY


class OutputError(ImrEtlError):
    """A file imr-etl was asked to write (a report, an export) cannot be written."""


def one_line(error: BaseException) -> str:
    """The line to show for ``error``: ours as they say it; a database
    driver's without its SQL and context lines; anything else (a bug) named
    as an internal error."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError):
        message = str(error.orig).split("\nLINE ")[0]
        return " ".join(line.strip() for line in message.splitlines() if line.strip())
    message = str(error) or type(error).__name__
    if isinstance(error, ImrEtlError):
        return message
    return f"internal error: {type(error).__name__}: {message}"


def exit_status(error: BaseException) -> int:
    return error.exit_status if isinstance(error, ImrEtlError) else EXIT_FAILURE
