"""The maintenance commands added to `kiosk --maintenance`: backup, restore, check, stats."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from ..clock import SystemClock, to_sqlite_text
from ..db import connect
from ..errors import KioskError, one_line
from ..schema import runner
from ..schema.files import format_version
from . import Refused, alerts, facts, pg_dump, preflight, restore, stats, validate
from . import backup as backups
from .report import page_progress, print_validation
from .runs import RunRecord, record


def echo(msg: str = "") -> None:
    """One line of output: a control character in it (a newline in a file name) is shown escaped."""
    click.echo(one_line(msg))


def echo_text(text: str) -> None:
    """Text that spans lines on purpose (JSON)."""
    click.echo(text)


def _quiet(_msg: str) -> None:
    pass


def _need_database(target) -> None:
    if not target.exists():
        raise KioskError(f"no database at {target.describe()}: check --db (or KIOSK_DB), or restore a backup")


def _run_recorded(target, database, run: RunRecord, started: float, body):
    """Run `body()`, then store the run with its outcome, also when it fails.

    A run that did not complete changed nothing: it is recorded beside the
    database, not in it.
    """
    completed = False
    try:
        result = body()
        completed = True
        return result
    except BaseException as exc:
        run.outcome = "refused" if isinstance(exc, Refused) else "failed"
        run.error = str(exc) if isinstance(exc, KioskError) else f"{type(exc).__name__}: {exc}"
        raise
    finally:
        run.duration_ms = round((time.perf_counter() - started) * 1000)
        record(target, database, run, in_database=completed)


@click.command("backup")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the backup to this file instead of backups/ (never overwrites; not rotated).")
@click.option("--keep", type=click.IntRange(1, 1000), default=backups.DEFAULT_KEEP, show_default=True, help="Backups of this database to keep in backups/.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
@click.pass_context
def backup_cmd(ctx: click.Context, out: Path | None, keep: int, as_json: bool) -> int:
    """Take a verified online backup (safe while kiosks run)."""
    target = ctx.obj["target"]
    _need_database(target)
    files = runner.migration_files()
    database = connect(target)
    started = time.perf_counter()
    run = RunRecord(command="backup", started_at=to_sqlite_text(SystemClock().now()))
    pre = preflight.Preflight(set(), _quiet if as_json else echo)

    def body():
        with preflight.hold(target, database, pre, need_exclusive=False), page_progress() as progress:
            st = runner.status(target, database, files)
            run.from_version = run.to_version = format_version(st.schema_version)
            preflight.check_disk(target, pre, factor=1, database=database)
            pre.refuse_if_failed()
            if target.is_sqlite:
                taken = backups.take_backup(target.path, run.from_version, out=out, keep=keep, progress=progress)
            else:  # pg_dump of one snapshot, verified against its row counts
                taken = pg_dump.take(target, database, run.from_version, out=out, keep=keep)
        run.backup_path, run.rows_before = str(taken.path), taken.counts
        return taken

    taken = _run_recorded(target, database, run, started, body)
    if as_json:
        echo_text(json.dumps(taken.to_json(), indent=2))
    else:
        echo(f"backup {taken.path} ({facts.human(taken.size)}, schema {taken.version}, {sum(taken.counts.values())} rows, verified, mode 0600)")
        for p in taken.removed:
            echo(f"rotated out {p.name}")
    return 0


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
        run, found, where = restore.restore(target, database, file, files, skip=skip, keep=keep, report=echo, progress=progress)
    echo(f"recorded in {where}")
    echo(f"schema version {found.version}")
    latest = files[-1].version_text
    if found.version != latest:
        echo(f"the kiosk needs {latest}: run 'kiosk --maintenance migrate' before starting the booths")
    if run.skipped_checks:
        echo(f"warning: pre-flight check(s) skipped: {', '.join(run.skipped_checks)}")
    return 4 if run.outcome == "warnings" else 0


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts and monitoring.")
@click.pass_context
def check_cmd(ctx: click.Context, as_json: bool) -> int:
    """Validate the database now (integrity, foreign keys, schema, history); exit 1 on a finding."""
    target = ctx.obj["target"]
    _need_database(target)
    files = runner.migration_files()
    exposed = alerts.exposure_alerts(target)  # as found: opening the database tightens it
    database = connect(target)
    started = time.perf_counter()
    run = RunRecord(command="check", started_at=to_sqlite_text(SystemClock().now()))
    pre = preflight.Preflight(set(), _quiet)

    def body():
        with preflight.hold(target, database, pre, need_exclusive=False):
            st = runner.status(target, database, files)
            run.from_version = run.to_version = format_version(st.schema_version)
            v = validate.validate(database, files, st.schema_version)
            v.findings[:0] = [validate.Finding("error", "history", f) for f in st.findings]
            v.findings[:0] = [validate.Finding(a.level, a.code, a.message) for a in exposed]
            run.rows_after = v.rows_after
            run.findings = [f.to_json() for f in v.findings]
            run.outcome = "failed" if any(f.level != "info" for f in v.findings) else "ok"
            if run.outcome == "failed":
                run.error = next(f.message for f in v.findings if f.level != "info")
            return v

    v = _run_recorded(target, database, run, started, body)
    if as_json:
        echo_text(json.dumps({"target": target.describe(), "schema_version": run.to_version, **v.to_json()}, indent=2))
    else:
        echo(f"database        {target.describe()}  schema {run.to_version}")
        print_validation(v, echo)
    return 1 if run.outcome == "failed" else 0


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for monitoring.")
@click.pass_context
def stats_cmd(ctx: click.Context, as_json: bool) -> int:
    """Sizes, rows, last runs, slowest typical query and alerts; exit 0 ok, 1 error, 4 warnings."""
    target = ctx.obj["target"]
    _need_database(target)
    database = connect(target, readonly=True)
    data = stats.collect(target, database, runner.migration_files())
    code = alerts.exit_code([alerts.Alert(**a) for a in data["alerts"]])
    data["exit_code"] = code
    if as_json:
        echo_text(json.dumps(data, indent=2, default=str))
        return code
    _print_stats(data)
    return code


def _print_stats(d: dict) -> None:
    h = facts.human
    echo(f"database        {d['target']}")
    echo(f"schema version  {d['schema_version']}  (latest {d['latest']}{', pending ' + ', '.join(d['pending']) if d['pending'] else ''})")
    if "database_bytes" in d:
        wal = "" if d["wal_bytes"] is None else f" + WAL {h(d['wal_bytes'])}"
        echo(f"size            {h(d['database_bytes'])}{wal}; free disk {h(d['free_disk_bytes'])}")
        echo(f"backups         {d['backups']['count']}, newest {d['backups']['newest'] or 'none'}")
    echo(f"tables          (bytes from {d.get('size_source')})")
    for t in d.get("tables", []):
        echo(f"  {t['name']:28} {t['rows']:>10} rows {h(t['bytes']):>12}")
    echo("indexes")
    for i in d.get("indexes", []):
        echo(f"  {i['name']:40} {h(i['bytes']):>12}  on {i['table']}")
    last = d.get("last_maintenance_run")
    if last:
        echo(f"last maintenance  {last['command']} {last['outcome']} at {last['started_at']} UTC in {last['duration_ms']} ms ({last['from_version']} -> {last['to_version']})")
    else:
        echo("last maintenance  none recorded")
    for lc in d.get("last_lifecycle_runs", []):
        echo(f"last {lc['kind']:12} at {lc['started_at']} UTC" + (f" in {lc['duration_ms']} ms" if lc.get("duration_ms") is not None else "") + (f", {lc['rows']} rows" if lc.get("rows") is not None else ""))
    echo(f"errors (24 h)   {d.get('errors_24h', 0)}")
    q = d.get("slowest_query")
    if q:
        echo(f"slowest query   '{q['name']}' {q['ms']:.2f} ms (budget {q['budget_ms']:.0f} ms), {'uses an index' if q['uses_index'] else 'NO index'}")
        for line in q["plan"]:
            echo(f"  plan: {line}")
    if not d["alerts"]:
        echo("alerts          none")
    for a in d["alerts"]:
        echo(f"{a['level']:8} {a['code']:16} {a['message']}")


def register(group: click.Group) -> None:
    for command in (backup_cmd, restore_cmd, check_cmd, stats_cmd):
        group.add_command(command)
