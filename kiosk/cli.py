"""Command line: `kiosk` starts the terminal; `kiosk --maintenance CMD` runs headless.

Exit codes: 0 done, 1 failed, 2 bad usage, 3 refused by a pre-flight check,
4 warnings only. Errors are one line; no traceback reaches the operator.
"""

from __future__ import annotations

import json
import sys

import click
import peewee as pw

from .db import Target, connect, resolve_target
from .errors import DatabaseTargetError, KioskError, UsageError, one_line
from .schema import runner
from .schema.files import format_version, resolve_target_version

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED, EXIT_WARNINGS = 0, 1, 2, 3, 4


def echo(msg: str = "") -> None:
    """One line of output: a control character in it (a newline in a file name) is shown escaped."""
    click.echo(one_line(msg))


def echo_text(text: str) -> None:
    """Text that spans lines on purpose (JSON, SQL)."""
    click.echo(text)


def fail(msg: str) -> None:
    """The one error line on stderr."""
    click.echo(f"kiosk: {one_line(msg)}", err=True)


class KioskGroup(click.Group):
    """The maintenance commands (backup, restore, check, stats, expire) are imported only when one is
    asked for or listed: the terminal starts without them (~40 ms of imports)."""

    _loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            from . import cli_lifecycle  # noqa: F401  (registers expire)
            from .maintenance.commands import register

            register(self)

    def get_command(self, ctx: click.Context, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load()
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)


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
        if not (maintenance and ctx.invoked_subcommand == "restore" and "is not a SQLite database" in str(exc)):
            raise
        ctx.obj["target"] = Target(raw=db_target or "", kind="sqlite", path=_wrecked_path(db_target))
    if ctx.invoked_subcommand is None:
        if maintenance:
            raise click.UsageError("--maintenance needs a command: " + ", ".join(cli.list_commands(ctx)))
        return run_terminal(ctx.obj["target"])
    if not maintenance:
        raise click.UsageError(f"'{ctx.invoked_subcommand}' is a maintenance command: run 'kiosk --maintenance {ctx.invoked_subcommand}'")
    return EXIT_OK


def _wrecked_path(raw: str | None):
    import os
    from pathlib import Path

    return Path(raw or os.environ.get("KIOSK_DB") or "kiosk.db").expanduser().absolute()


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
                    read_spots_first=True)
    return app, announce(target, database, booth_name)


def run_terminal(target) -> int:
    app, presence = build_terminal(target)
    with presence:
        app.run()
    return EXIT_OK


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts and monitoring.")
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool) -> int:
    """Schema version, applied and pending versions."""
    target = ctx.obj["target"]
    database = connect(target, readonly=True) if target.exists() else None
    st = runner.status(target, database, runner.migration_files())
    if as_json:
        echo_text(json.dumps(st.to_json(), indent=2))
        return EXIT_OK
    echo(f"database        {st.target}{'' if database else '  (no database file yet)'}")
    echo(f"schema version  {format_version(st.schema_version)}  (latest {format_version(st.latest)})")
    echo("applied:" if st.applied else "applied:        none")
    for a in st.applied:
        when = a.applied_at.strftime("%Y-%m-%d %H:%M:%S UTC") if a.applied_at else "?"
        took = f"  {a.duration_ms} ms" if a.duration_ms is not None else ""
        echo(f"  {format_version(a.version):8} {when}  {a.name}{took}")
    echo("pending:" if st.pending else "pending:        none")
    for f in st.pending:
        echo(f"  {f.version_text:8} {f.name}")
    for finding in st.findings:
        echo(f"finding: {finding}")
    return EXIT_OK


def _change_options(fn):
    """Options shared by migrate and rollback (pre-flight, rehearsal, backups)."""
    fn = click.option("--keep", type=click.IntRange(1, 1000), default=10, show_default=True, help="Backups of this database to keep (older ones are deleted).")(fn)
    fn = click.option("--rehearse", is_flag=True, help="Run the plan on a copy of the fresh backup first; touch the live database only if that validates.")(fn)
    fn = click.option(
        "--skip-check",
        "skips",
        multiple=True,
        metavar="NAME",
        help="Skip a pre-flight check (backup, disk, connections, history); repeatable; logged with the run. The lock cannot be skipped.",
    )(fn)
    return fn


@cli.command("migrate")
@click.option("--to", "to", metavar="VERSION", help="Stop at this version (default: the latest).")
@click.option("--dry-run", is_flag=True, help="Print the plan and its SQL; change nothing.")
@_change_options
@click.pass_context
def migrate_cmd(ctx: click.Context, to: str | None, dry_run: bool, skips, rehearse: bool, keep: int) -> int:
    """Upgrade the schema to the latest (or given) version, after the pre-flight checks."""
    target = ctx.obj["target"]
    files = runner.migration_files()
    goal = resolve_target_version(to, files) if to is not None else None
    _check_direction(target, goal, files, "up")
    if dry_run:
        return _print_plan(target, goal, files)
    return _change(target, files, goal, "up", skips, rehearse, keep)


@cli.command("rollback")
@click.option("--to", "to", required=True, metavar="VERSION", help="Version to go down to (0 empties the schema).")
@click.option("--dry-run", is_flag=True, help="Print the plan and its SQL; change nothing.")
@_change_options
@click.pass_context
def rollback_cmd(ctx: click.Context, to: str, dry_run: bool, skips, rehearse: bool, keep: int) -> int:
    """Downgrade the schema to an earlier version, after the pre-flight checks."""
    target = ctx.obj["target"]
    files = runner.migration_files()
    goal = resolve_target_version(to, files)
    if not target.exists():
        raise UsageError(f"no database at {target.describe()}: nothing to roll back")
    _check_direction(target, goal, files, "down")
    if dry_run:
        return _print_plan(target, goal, files)
    return _change(target, files, goal, "down", skips, rehearse, keep)


def _check_direction(target, goal, files, direction: str) -> None:
    """Bad usage (a target on the wrong side of the current version) is exit 2, before any pre-flight check."""
    if goal is None or not target.exists():
        return
    try:
        database = connect(target, readonly=True)
        try:
            current = runner.status(target, database, files).schema_version
        finally:
            database.close()
    except pw.DatabaseError:
        return  # an unreadable database: the pre-flight's history check says what is wrong with it
    want, have = format_version(goal), format_version(current)
    if direction == "down" and goal > current:
        raise UsageError(f"rollback --to {want}: the database is at {have} and rollback only goes down "
                         f"(to a version below {have}); to go up run 'kiosk --maintenance migrate --to {want}'")
    if direction == "up" and goal < current:
        raise UsageError(f"migrate --to {want}: the database is at {have} and migrate only goes up "
                         f"(to {have} or later); to go down run 'kiosk --maintenance rollback --to {want}'")


def _change(target, files, goal, direction: str, skips, rehearse: bool, keep: int) -> int:
    from .maintenance import migrate as safe
    from .maintenance import preflight
    from .maintenance.report import page_progress, print_validation

    skip = preflight.parse_skips(skips)
    database = connect(target)
    with page_progress() as progress:
        out = safe.change_schema(
            target, database, files, goal, direction=direction, skip=skip, rehearse=rehearse, keep=keep, report=echo, progress=progress
        )
    if out.validation is not None:
        print_validation(out.validation, echo)
    if out.rehearsal_seconds is not None:
        echo(f"rehearsal took {out.rehearsal_seconds:.2f} s")
    echo(f"recorded in {out.recorded_in}")
    echo(f"schema version {out.run.to_version}" + ("" if out.steps else " (nothing to do)"))
    if out.run.skipped_checks:
        echo(f"warning: pre-flight check(s) skipped: {', '.join(out.run.skipped_checks)}")
    return out.exit_code


def _print_plan(target, goal, files) -> int:
    database = connect(target, readonly=True) if target.exists() else pw.SqliteDatabase(":memory:")
    steps = runner.plan(database, goal, files)
    current = runner.status(target, database if target.exists() else None, files).schema_version
    if not steps:
        echo(f"dry run: already at {format_version(current)}, nothing to do")
        return EXIT_OK
    echo(f"dry run: {format_version(current)} -> {format_version(goal if goal is not None else files[-1].version)}")
    for step in steps:
        verb = "apply" if step.direction == "up" else "undo"
        echo()
        echo(f"-- {verb} {step.file.version_text}: {step.file.title}")
        for sql in step.sql:
            echo_text(sql.rstrip() + ";")
    echo()
    echo("dry run: nothing was changed")
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
