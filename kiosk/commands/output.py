"""What every command prints, and the exit codes they share (click only: cheap to import)."""

from __future__ import annotations

import click

from ..errors import one_line

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED, EXIT_WARNINGS = 0, 1, 2, 3, 4
EXIT_STOPPED = 130


def echo(msg: str = "") -> None:
    """One line of output: a control character in it (a newline in a file name) is shown escaped."""
    click.echo(one_line(msg))


def echo_text(text: str) -> None:
    """Text that spans lines on purpose (JSON, SQL)."""
    click.echo(text)


def fail(msg: str) -> None:
    """The one error line on stderr."""
    click.echo(f"kiosk: {one_line(msg)}", err=True)


def quiet(_msg: str) -> None:
    """A `report` that prints nothing (JSON output, checks that only count)."""
