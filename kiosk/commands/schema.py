"""`status`, `migrate` and `rollback`: the schema's version, and changing it safely."""

from __future__ import annotations

import json

import click
import peewee as pw

from ..db import connect
from ..errors import UsageError
from ..schema import runner
from ..schema.files import format_version, resolve_target_version
from .dry_run import print_plan
from .output import EXIT_OK, echo, echo_text, print_validation, table


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts and monitoring.")
@click.pass_context
def status_cmd(ctx: click.Context, as_json: bool) -> int:
    """Schema version, applied and pending versions."""
    target = ctx.obj["target"]
    database = connect(target, readonly=True) if target.exists() else None
    from . import adopt

    files = runner.migration_files()
    st = runner.status(target, database, files)
    found = adopt.unversioned(database, files)  # tables but no history: built by hand from the plan?
    if as_json:
        data = st.to_json()
        if found is not None:
            data["unversioned"] = {**found.to_json(), "pending_after_adopt": [f.version_text for f in adopt.pending_after(found, files)]}
        echo_text(json.dumps(data, indent=2))
        return EXIT_OK
    echo(f"database        {st.target}{'' if database else '  (no database file yet)'}")
    echo(f"schema version  {format_version(st.schema_version)}  (latest {format_version(st.latest)})")
    echo("applied:" if st.applied else "applied:        none")
    table([(format_version(a.version), a.applied_at.strftime("%Y-%m-%d %H:%M:%S UTC") if a.applied_at else "?", a.name,
            f"{a.duration_ms} ms" if a.duration_ms is not None else "") for a in st.applied], right=(3,))
    if found is not None:
        adopt.print_found(found)
        later = adopt.pending_after(found, files)
        echo(f"pending after adopting as {found.label}:" if later else "pending:        none can be applied to this schema")
        table([(f.version_text, f.name) for f in later])
    else:
        echo("pending:" if st.pending else "pending:        none")
        table([(f.version_text, f.name) for f in st.pending])
    for finding in st.findings:
        echo(f"finding: {finding}")
    return EXIT_OK


def _change_options(fn):
    """Options shared by migrate and rollback (pre-flight, rehearsal, backups)."""
    fn = click.option("--keep", type=click.IntRange(1, 1000), default=10, show_default=True, help="Backups of this database to keep (older ones are deleted).")(fn)
    fn = click.option(
        "--allow-data-loss",
        is_flag=True,
        help="Go ahead when steps would remove rows or values (without it such a run is refused, exit 3); they are exported beside the backup first.",
    )(fn)
    fn = click.option("--json", "as_json", is_flag=True, help="With --dry-run: the plan as one JSON object.")(fn)
    fn = click.option("--rehearse", is_flag=True, help="Run the plan on a copy of the fresh backup first; touch the live database only if that validates.")(fn)
    fn = click.option(
        "--skip-check",
        "skips",
        multiple=True,
        metavar="NAME",
        help="Skip a pre-flight check (backup, disk, connections, history); repeatable; logged with the run. The lock cannot be skipped.",
    )(fn)
    return fn


@click.command("migrate")
@click.option("--to", "to", metavar="VERSION", help="Stop at this version (default: the latest).")
@click.option("--dry-run", is_flag=True, help="Print the plan and its SQL; change nothing.")
@_change_options
@click.pass_context
def migrate_cmd(ctx: click.Context, to: str | None, dry_run: bool, skips, rehearse: bool, keep: int,
                allow_data_loss: bool, as_json: bool) -> int:
    """Upgrade the schema to the latest (or given) version, after the pre-flight checks."""
    target = ctx.obj["target"]
    files = runner.migration_files()
    goal = resolve_target_version(to, files) if to is not None else None
    _json_needs_dry_run(as_json, dry_run)
    _check_direction(target, goal, files, "up")
    if dry_run:
        return print_plan(target, goal, files, "up", as_json)
    return _change(target, files, goal, "up", skips, rehearse, keep, allow_data_loss)


@click.command("rollback")
@click.option("--to", "to", required=True, metavar="VERSION", help="Version to go down to (0 empties the schema).")
@click.option("--dry-run", is_flag=True, help="Print the plan and its SQL; change nothing.")
@_change_options
@click.pass_context
def rollback_cmd(ctx: click.Context, to: str, dry_run: bool, skips, rehearse: bool, keep: int,
                 allow_data_loss: bool, as_json: bool) -> int:
    """Downgrade the schema to an earlier version, after the pre-flight checks."""
    target = ctx.obj["target"]
    files = runner.migration_files()
    goal = resolve_target_version(to, files)
    _json_needs_dry_run(as_json, dry_run)
    if not target.exists():
        raise UsageError(f"no database at {target.describe()}: nothing to roll back")
    _check_direction(target, goal, files, "down")
    if dry_run:
        return print_plan(target, goal, files, "down", as_json)
    return _change(target, files, goal, "down", skips, rehearse, keep, allow_data_loss)


def _json_needs_dry_run(as_json: bool, dry_run: bool) -> None:
    if as_json and not dry_run:
        raise UsageError("--json goes with --dry-run (the plan as JSON); a run itself prints its steps as text")


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


def _change(target, files, goal, direction: str, skips, rehearse: bool, keep: int, allow_data_loss: bool) -> int:
    from ..maintenance import migrate as safe
    from ..maintenance import preflight
    from ..maintenance.report import page_progress

    skip = preflight.parse_skips(skips)
    database = connect(target)
    with page_progress() as progress:
        out = safe.change_schema(
            target, database, files, goal, direction=direction, skip=skip, rehearse=rehearse, keep=keep, progress=progress,
            allow_data_loss=allow_data_loss,
        )
    if out.validation is not None:
        print_validation(out.validation)
    if out.rehearsal_seconds is not None:
        echo(f"rehearsal took {out.rehearsal_seconds:.2f} s")
    if out.exported is not None:
        echo(f"exported     {out.exported.path}: the rows that left ({sum(out.exported.counts.values())} in "
             f"{len(out.exported.counts)} table(s)), JSON Lines, owner-only")
    echo(f"recorded in {out.recorded_in}")
    echo(f"schema version {out.run.to_version}" + ("" if out.steps else " (nothing to do)"))
    if out.run.skipped_checks:
        echo(f"warning: pre-flight check(s) skipped: {', '.join(out.run.skipped_checks)}")
    return out.exit_code
