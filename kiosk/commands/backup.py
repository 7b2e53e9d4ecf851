"""`backup` and `restore`: a verified online copy of the database, and putting one back."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import click

from ..clock import SystemClock, to_sqlite_text
from ..db import connect
from ..maintenance import facts, preflight, restore
from ..maintenance import backup as backups
from ..maintenance.report import page_progress
from ..maintenance.runs import RunRecord
from ..maintenance.site_backup import backup_tool_for
from ..schema import runner
from ..schema.files import format_version
from .output import EXIT_OK, EXIT_WARNINGS, echo, echo_text, quiet
from .recorded import need_database, run_recorded


@click.command("backup")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the backup to this file instead of backups/ (never overwrites; not rotated).")
@click.option("--keep", type=click.IntRange(1, 1000), default=backups.DEFAULT_KEEP, show_default=True, help="Backups of this database to keep in backups/.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
@click.pass_context
def backup_cmd(ctx: click.Context, out: Path | None, keep: int, as_json: bool) -> int:
    """Take a verified online backup (safe while kiosks run)."""
    target = ctx.obj["target"]
    need_database(target)
    files = runner.migration_files()
    database = connect(target)
    started = time.perf_counter()
    run = RunRecord(command="backup", started_at=to_sqlite_text(SystemClock().now()))
    pre = preflight.Preflight(set())

    def body():
        with preflight.hold(target, database, pre, need_exclusive=False), page_progress() as progress:
            st = runner.status(target, database, files)
            run.from_version = run.to_version = format_version(st.schema_version)
            preflight.check_disk(target, pre, factor=1, database=database)
            pre.refuse_if_failed()
            taken = backup_tool_for(target).take(database, run.from_version, out=out, keep=keep, progress=progress)
        run.backup_path, run.rows_before = str(taken.path), taken.counts
        return taken

    with quiet() if as_json else contextlib.nullcontext():
        taken = run_recorded(target, database, run, started, body)
    if as_json:
        echo_text(json.dumps(taken.to_json(), indent=2))
    else:
        echo(f"backup {taken.path} ({facts.human(taken.size)}, schema {taken.version}, {sum(taken.counts.values())} rows, verified, mode 0600)")
        for p in taken.removed:
            echo(f"rotated out {p.name}")
    return EXIT_OK


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--skip-check", "skips", multiple=True, metavar="NAME", help="Skip a pre-flight check (backup = no safety copy, disk, connections).")
@click.option("--keep", type=click.IntRange(1, 1000), default=backups.DEFAULT_KEEP, show_default=True, help="Backups of this database to keep.")
@click.pass_context
def restore_cmd(ctx: click.Context, file: Path, skips, keep: int) -> int:
    """Replace the database with a verified backup (keeps the current one aside)."""
    target = ctx.obj["target"]
    files = runner.migration_files()
    skip = preflight.parse_skips(skips)
    database = connect(target)
    with page_progress() as progress:
        run, found, where = restore.restore(target, database, file, files, skip=skip, keep=keep, progress=progress)
    echo(f"recorded in {where}")
    echo(f"schema version {found.version}")
    latest = files[-1].version_text
    if found.version != latest:
        echo(f"the kiosk needs {latest}: run 'kiosk --maintenance migrate' before starting the booths")
    if run.skipped_checks:
        echo(f"warning: pre-flight check(s) skipped: {', '.join(run.skipped_checks)}")
    return EXIT_WARNINGS if run.outcome == "warnings" else EXIT_OK
