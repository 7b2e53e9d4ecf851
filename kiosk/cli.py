"""Command line: `kiosk` starts the terminal; `kiosk --maintenance CMD` runs headless.

Exit codes: 0 done, 1 failed, 2 bad usage, 3 refused by a pre-flight check,
4 warnings only. Errors are one line; no traceback reaches the operator.
"""

from __future__ import annotations

import json
import sys

import click
import peewee as pw

from .db import connect, resolve_target
from .errors import KioskError
from .schema import runner
from .schema.files import format_version, load_migrations, resolve_target_version

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED, EXIT_WARNINGS = 0, 1, 2, 3, 4


def echo(msg: str = "") -> None:
    click.echo(msg)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_target", metavar="TARGET", help="SQLite file or postgresql:// URL (default: $KIOSK_DB, else kiosk.db).")
@click.option("--maintenance", is_flag=True, help="Run a maintenance command headless instead of the terminal.")
@click.pass_context
def cli(ctx: click.Context, db_target: str | None, maintenance: bool) -> int:
    """Car-park booth kiosk."""
    ctx.ensure_object(dict)
    ctx.obj["target"] = resolve_target(db_target)
    if ctx.invoked_subcommand is None:
        if maintenance:
            raise click.UsageError("--maintenance needs a command: " + ", ".join(sorted(cli.commands)))
        return run_terminal(ctx.obj["target"])
    if not maintenance:
        raise click.UsageError(f"'{ctx.invoked_subcommand}' is a maintenance command: run 'kiosk --maintenance {ctx.invoked_subcommand}'")
    return EXIT_OK


def run_terminal(target) -> int:
    from .startup import prepare_database

    database = connect(target)
    version = prepare_database(target, database)
    from .booth import Booth
    from .tui.app import build_app  # Textual is imported only when the terminal starts
    from .tui.services import booth_services, receipts_dir_for

    services = booth_services(Booth(database), receipts_dir=receipts_dir_for(target))
    build_app(target=target, database=database, schema_version=version, services=services).run()
    return EXIT_OK


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts and monitoring.")
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool) -> int:
    """Schema version, applied and pending versions."""
    target = ctx.obj["target"]
    database = connect(target, readonly=True) if target.exists() else None
    st = runner.status(target, database)
    if as_json:
        echo(json.dumps(st.to_json(), indent=2))
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


@cli.command("migrate")
@click.option("--to", "to", metavar="VERSION", help="Stop at this version (default: the latest).")
@click.option("--dry-run", is_flag=True, help="Print the plan and its SQL; change nothing.")
@click.pass_context
def migrate_cmd(ctx: click.Context, to: str | None, dry_run: bool) -> int:
    """Upgrade the schema to the latest (or given) version."""
    target = ctx.obj["target"]
    files = load_migrations()
    goal = resolve_target_version(to, files) if to is not None else None
    if dry_run:
        return _print_plan(target, goal, files)
    database = connect(target)
    steps = runner.migrate(target, database, goal, files=files, report=echo)
    final = runner.status(target, database, files).schema_version
    echo(f"schema version {format_version(final)}" + ("" if steps else " (nothing to do)"))
    return EXIT_OK


@cli.command("rollback")
@click.option("--to", "to", required=True, metavar="VERSION", help="Version to go down to (0 empties the schema).")
@click.option("--dry-run", is_flag=True, help="Print the plan and its SQL; change nothing.")
@click.pass_context
def rollback_cmd(ctx: click.Context, to: str, dry_run: bool) -> int:
    """Downgrade the schema to an earlier version."""
    target = ctx.obj["target"]
    files = load_migrations()
    goal = resolve_target_version(to, files)
    if dry_run:
        return _print_plan(target, goal, files)
    if not target.exists():
        raise KioskError(f"no database at {target.describe()}: nothing to roll back")
    database = connect(target)
    steps = runner.rollback(target, database, goal, files=files, report=echo)
    final = runner.status(target, database, files).schema_version
    echo(f"schema version {format_version(final)}" + ("" if steps else " (nothing to do)"))
    return EXIT_OK


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
        echo(f"\n-- {verb} {step.file.version_text}: {step.file.title}")
        for sql in step.sql:
            echo(sql.rstrip() + ";")
    echo("\ndry run: nothing was changed")
    return EXIT_OK


def main(argv: list[str] | None = None) -> None:
    """Entry point: map every failure to a one-line message and an exit code."""
    try:
        rv = cli.main(args=argv, prog_name="kiosk", standalone_mode=False)
        code = rv if isinstance(rv, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.UsageError as exc:
        click.echo(f"kiosk: {exc.format_message()} (see 'kiosk --help')", err=True)
        code = EXIT_USAGE
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("kiosk: interrupted; every finished step is committed, the current one was undone", err=True)
        code = 130
    except KioskError as exc:
        click.echo(f"kiosk: error: {exc}", err=True)
        code = exc.exit_code
    except pw.DatabaseError as exc:
        click.echo(f"kiosk: database error: {' '.join(str(exc).split())} (restore from a backup: see docs/operations.md)", err=True)
        code = EXIT_FAILED
    except OSError as exc:
        click.echo(f"kiosk: error: {exc.strerror or exc} ({exc.filename or 'file system'})", err=True)
        code = EXIT_FAILED
    sys.exit(code)
from . import cli_lifecycle  # noqa: E402,F401
