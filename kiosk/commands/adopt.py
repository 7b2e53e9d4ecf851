"""`adopt`: record a database built by hand from the migration plan at its version (and what status says of one)."""

from __future__ import annotations

import click
import peewee as pw

from ..db import connect
from ..errors import UsageError
from ..maintenance import recognise  # status needs only this: the rest is imported when adopt runs
from ..schema import runner
from ..schema.files import EMPTY, MigrationFile, resolve_target_version
from .output import echo, print_validation, table
from .recorded import need_database

_SHOWN = {"refuse": "refuse", "accept": "accept", "repair": "repair", "equivalent": "same"}
_IF = {"accept": "if accepted: ", "repair": "", "equivalent": "", "refuse": ""}


def unversioned(database: pw.Database | None, files: list[MigrationFile]) -> recognise.Recognition | None:
    """What a database with tables but no kiosk history is (None for any other)."""
    return recognise.unversioned(database, files) if database is not None else None


def print_found(found: recognise.Recognition) -> None:
    """The recognition as `status` and `adopt --dry-run` show it: every difference, then what to run."""
    if found.adoptable or found.version is None:
        echo(f"found           {found.summary()}")
    else:
        echo(f"found           no kiosk history; its schema matches no version the kiosk can adopt (closest {found.label}, "
             f"with {len(found.of('refuse'))} difference(s) no version may have):")
    table([(_SHOWN[d.action], d.name, d.message + (f"; {_IF[d.action]}{d.consequence}" if d.consequence else ""))
           for d in found.differences])
    step = found.next_step()
    echo(f"next            {step}" if step else "next            nothing: the kiosk cannot adopt or migrate this database")


def pending_after(found: recognise.Recognition, files: list[MigrationFile]) -> list[MigrationFile]:
    return [f for f in files if found.adoptable and found.version is not None and f.version > found.version]


@click.command("adopt")
@click.option("--as", "as_version", metavar="VERSION", help="The version to adopt the database as (default: the one its schema matches).")
@click.option("--accept", "accepts", multiple=True, metavar="DIFFERENCE",
              help="Adopt despite this difference (its name as status lists it); repeatable.")
@click.option("--dry-run", is_flag=True, help="Print what would be repaired and recorded; change nothing.")
@click.option("--skip-check", "skips", multiple=True, metavar="NAME",
              help="Skip a pre-flight check (backup, disk, connections); repeatable; logged with the run. The lock cannot be skipped.")
@click.option("--keep", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Backups of this database to keep (older ones are deleted).")
@click.pass_context
def adopt_cmd(ctx: click.Context, as_version: str | None, accepts: tuple[str, ...], dry_run: bool, skips, keep: int) -> int:
    """Record a database built by hand from the migration plan at its schema version, so migrate takes it on."""
    from ..maintenance import Refused, preflight
    from ..maintenance import adopt as adopting
    from ..maintenance.report import page_progress

    target = ctx.obj["target"]
    need_database(target)
    files = runner.migration_files()
    version = resolve_target_version(as_version, files) if as_version is not None else None
    if version == EMPTY:
        raise UsageError("--as 0: a database is adopted as one of the kiosk's versions: "
                         + ", ".join(f.version_text for f in files))
    skip = preflight.parse_skips(skips)
    look = connect(target, readonly=True)
    try:
        if dry_run:
            return _dry_run(look, files, version, list(accepts))
        try:  # bad usage (an --accept naming no difference) is found before any pre-flight check
            adopting.prepare(look, files, version, list(accepts))
        except Refused:
            pass  # said, and recorded, by the run itself
    finally:
        look.close()
    database = connect(target)
    with page_progress() as progress:
        done = adopting.adopt(target, database, files, as_version=version, accept=list(accepts), skip=skip, keep=keep,
                              progress=progress)
    _print_changes(done, past=True)
    if done.validation is not None:
        print_validation(done.validation)
    echo(f"recorded in {done.recorded_in}")
    echo(f"schema version {done.found.label} (adopted)")
    if any(f.version > done.version for f in files):
        echo("next: kiosk --maintenance migrate")
    if done.skipped:
        echo(f"warning: pre-flight check(s) skipped: {', '.join(done.skipped)}")
    return done.exit_code


def _dry_run(database: pw.Database, files: list[MigrationFile], version, accepts: list[str]) -> int:
    from ..maintenance import adopt as adopting

    found = unversioned(database, files)
    if found is not None:
        print_found(found if version is None or found.version == version else recognise.recognise(database, files, version))
    plan = adopting.prepare(database, files, version, accepts)
    echo(f"dry run: adopt as {plan.found.label}")
    _print_changes(plan, past=False)
    for f in [*adopting.later_findings(plan)]:
        echo(f"  {f.message}")
    echo("dry run: nothing was changed")
    return 0


def _print_changes(plan, *, past: bool) -> None:
    """What adopting repairs and accepts (did, or would do), and the history rows it records."""
    verbs = {"repair": ("repaired", "repair"), "accept": ("accepted", "accept")}
    for d in plan.changes:
        echo(f"{verbs[d.action][0 if past else 1]:12} {d.name}: {d.consequence}")
        for sql in d.sql:
            echo(f"  {sql};")
    echo(("recorded" if past else "would record") + f" the history of {len(plan.record)} version(s), as if applied:")
    table([(f.version_text, f.name, f"checksum {f.checksum[:12]}") for f in plan.record])
    if not past:
        echo("(after the pre-flight checks and a verified backup; the repairs and the history are one transaction)")
