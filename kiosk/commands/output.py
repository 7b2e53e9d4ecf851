"""What every command prints, and the exit codes they share (click only: cheap to import)."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Iterator

import click

from ..errors import one_line

if TYPE_CHECKING:
    from ..maintenance.validate import Validation

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED, EXIT_WARNINGS = 0, 1, 2, 3, 4
EXIT_STOPPED = 130


def echo(msg: str = "") -> None:
    """One line of output: a control character in it (a newline in a file name) is shown escaped."""
    click.echo(one_line(msg))


def table(rows: list[tuple[object, ...]], right: tuple[int, ...] = (), indent: int = 2) -> None:
    """Rows as aligned columns, each as wide as its widest cell (`right`: right-aligned columns)."""
    if not rows:
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1))
    for i in range(len(rows[0])):
        grid.add_column(justify="right" if i in right else "left", no_wrap=True)
    for row in rows:
        grid.add_row(*(Text(one_line(cell)) for cell in row))
    console = Console(width=10_000, color_system=None, highlight=False)
    for line in console.render_lines(grid, pad=False):
        echo(" " * indent + "".join(seg.text for seg in line).rstrip())


def print_validation(v: Validation) -> None:
    """A migration's or a check's validation: the verdict, row counts (before -> after), findings."""
    errors = [f for f in v.findings if f.level == "error"]
    echo("validation   " + ("ok" if not errors else f"FAILED ({len(errors)} error(s))"))
    before, after = v.rows_before, v.rows_after

    def shown(n: int | None) -> str:
        return "-" if n is None else str(n)

    table([("rows", t, shown(after.get(t)) if before is None else f"{shown(before.get(t))} -> {shown(after.get(t))}")
           for t in sorted(set(after) | set(before or {}))])
    table([(f.level, f.code, f.message) for f in v.findings])
    if v.checked:
        echo(f"  {v.checked}")


def echo_text(text: str) -> None:
    """Text that spans lines on purpose (JSON, SQL)."""
    click.echo(text)


def fail(msg: str) -> None:
    """The one error line on stderr."""
    click.echo(f"kiosk: {one_line(msg)}", err=True)


class _Echo(logging.Handler):
    """The kiosk's log records (pre-flight results, steps as they run) as output lines."""

    def emit(self, record: logging.LogRecord) -> None:
        echo(record.getMessage())


_ECHO = _Echo(logging.INFO)
_KIOSK_LOG = logging.getLogger("kiosk")


def log_to_output() -> None:
    """Print the kiosk's INFO records on stdout, each as one line (once per process)."""
    if _ECHO not in _KIOSK_LOG.handlers:
        _KIOSK_LOG.addHandler(_ECHO)
        _KIOSK_LOG.setLevel(logging.INFO)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No progress lines for the while (JSON output, a check that only counts); warnings still show."""
    level = _ECHO.level
    _ECHO.setLevel(logging.WARNING)
    try:
        yield
    finally:
        _ECHO.setLevel(level)
