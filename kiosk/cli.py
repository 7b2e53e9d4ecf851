"""Command line: `kiosk` starts the terminal; `kiosk --maintenance CMD` runs headless.

Exit codes: 0 done, 1 failed, 2 bad usage, 3 refused by a pre-flight check,
4 warnings only. Errors are one line; no traceback reaches the operator.
"""

from __future__ import annotations

import importlib
import sys

import click
import peewee as pw

from .commands import COMMANDS
from .commands.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, log_to_output
from .db import connect, resolve_target, wrecked_file_target
from .errors import DatabaseTargetError, ErrorCode, KioskError


class KioskGroup(click.Group):
    """The headless commands (`kiosk.commands`) are imported only when one is asked for or
    listed: the terminal starts without them."""

    def get_command(self, ctx: click.Context, cmd_name: str):
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name].split(":")
        return getattr(importlib.import_module(f"{__package__}.commands.{module}"), attr)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)


@click.group(cls=KioskGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_target", metavar="TARGET", help="SQLite file or postgresql:// URL (default: $KIOSK_DB, else kiosk.db).")
@click.option("--maintenance", is_flag=True, help="Run a maintenance command headless instead of the terminal.")
@click.pass_context
def cli(ctx: click.Context, db_target: str | None, maintenance: bool) -> int:
    """Car-park booth kiosk."""
    ctx.ensure_object(dict)
    try:
        ctx.obj["target"] = resolve_target(db_target)
    except DatabaseTargetError as exc:
        # The emergency procedure: a wrecked database file is exactly what restore replaces.
        if not (maintenance and ctx.invoked_subcommand == "restore" and exc.code is ErrorCode.NOT_A_DATABASE):
            raise
        ctx.obj["target"] = wrecked_file_target(db_target)
    if ctx.invoked_subcommand is None:
        if maintenance:
            raise click.UsageError("--maintenance needs a command: " + ", ".join(cli.list_commands(ctx)))
        return run_terminal(ctx.obj["target"])
    if not maintenance:
        raise click.UsageError(f"'{ctx.invoked_subcommand}' is a maintenance command: run 'kiosk --maintenance {ctx.invoked_subcommand}'")
    log_to_output()  # headless: what the maintenance code logs is the command's output
    return EXIT_OK


def build_terminal(target, mode: str = "entry"):
    """The booth terminal for a target, as `kiosk` starts it: (app, presence). Entering `presence`
    announces the kiosk (maintenance refuses to run under it) for as long as it is held.
    `mode`: the first screen (the benchmarks open the spot map first)."""
    import os
    import socket

    from .maintenance.presence import announce
    from .quiet_gc import quiet_gc
    from .startup import prepare_database

    database = connect(target)
    version = prepare_database(target, database)
    with quiet_gc():
        from .booth import Booth
        from .tui.app import build_app  # Textual is imported only when the terminal starts
        from .tui.services import booth_services, receipts_dir_for

    services = booth_services(Booth(database), receipts_dir=receipts_dir_for(target))
    booth_name = os.environ.get("KIOSK_BOOTH") or services.booth_name or socket.gethostname()
    app = build_app(target=target, database=database, schema_version=version, services=services, mode=mode,
                    read_spots_first=True, shift_first=True)
    return app, announce(target, database, booth_name)


def run_terminal(target) -> int:
    app, presence = build_terminal(target)
    with presence:
        app.run()
    return EXIT_OK


def main(argv: list[str] | None = None) -> None:
    """Entry point: map every failure to a one-line message and an exit code."""
    try:
        rv = cli.main(args=argv, prog_name="kiosk", standalone_mode=False)
        code = rv if isinstance(rv, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.UsageError as exc:
        fail(f"{exc.format_message()} (see 'kiosk --help')")
        code = EXIT_USAGE
    except (click.exceptions.Abort, KeyboardInterrupt):
        fail("interrupted; every finished step is committed, the current one was undone")
        code = 130
    except KioskError as exc:
        fail(f"error: {exc}")
        code = exc.exit_code
    except pw.DatabaseError as exc:
        fail(f"database error: {' '.join(str(exc).split())} (restore from a backup: see docs/operations.md)")
        code = EXIT_FAILED
    except OSError as exc:
        fail(f"error: {exc.strerror or exc} ({exc.filename or 'file system'})")
        code = EXIT_FAILED
    sys.exit(code)
