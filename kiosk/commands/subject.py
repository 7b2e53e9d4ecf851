"""`kiosk --maintenance subject ...`: a person's data-protection request, headless.

    subject find   (--plate P | --phone N | --name NAME | --staff NAME_OR_ID) [--json]
    subject export (...one of the above...) --request REF --out FILE
    subject erase  (...one of the above...) --request REF [--dry-run] [--json]
    subject hold ...                              legal holds (kiosk.commands.holds)

What the booth finds (kiosk.booth.subject_find), plus the backups of this database that may still
hold the person: one taken after their first recorded entry, until rotation deletes it (taken +
retention + backup window). Exit codes: 0 done, 1 failed, 2 bad usage (no or two selectors, an
unknown or wrong request, an export path that exists), 4 erase left some of the person's data
(a car on site, an unpaid debt, a hold, an active staff account: each said why).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import click

from .. import owner_only
from ..booth.privacy_results import BackupEntry
from ..errors import UsageError, one_line
from ..maintenance.retention import limit_of, taken_at
from ..maintenance.sites import site_for
from .holds import hold_cmd
from .headless import open_booth, run
from .output import EXIT_OK, EXIT_WARNINGS, echo, echo_text

_RULE = "name the person by exactly one of --plate, --phone, --name or --staff"


def _selector_options(fn):
    for opt in reversed((
        click.option("--plate", help="The plate (normalised as at entry; O/0 and I/1 look-alikes are flagged, not taken)."),
        click.option("--phone", help="The phone number (compared in its E.164 form, in the site's region)."),
        click.option("--name", help="The contact name (compared without case or extra spaces)."),
        click.option("--staff", help="A staff account, by name or id."),
    )):
        fn = opt(fn)
    return fn


def _backups(target, database, first_seen) -> tuple[BackupEntry, ...]:
    """This database's backups taken after the person's first entry: they may hold them until rotated out."""
    if first_seen is None:
        return ()
    limit = limit_of(database)
    out = []
    for path in site_for(target).backups():
        taken = taken_at(path)
        if taken is not None and taken >= first_seen:
            out.append(BackupEntry(str(path), taken, taken + limit.max_age))
    return tuple(out)


def _selector(plate, phone, name, staff) -> dict:
    given = {k: v for k, v in (("plate", plate), ("phone", phone), ("name", name), ("staff", staff)) if v is not None}
    if len(given) != 1:
        raise UsageError(f"{_RULE} ({'none' if not given else ', '.join('--' + k for k in given)} given)")
    return given


@click.group("subject")
def subject_cmd() -> None:
    """A person's data: find, export, erase, hold."""


subject_cmd.add_command(hold_cmd)


@subject_cmd.command("find")
@_selector_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts (it holds the personal data).")
@click.pass_context
def find_cmd(ctx: click.Context, plate, phone, name, staff, as_json: bool) -> int:
    """Every place the person appears, and which backups may still hold them."""
    selector = _selector(plate, phone, name, staff)
    target, booth = open_booth(ctx)
    database = booth.database
    report = run(lambda: booth.find_subject(**selector))
    report = report.with_backups(_backups(target, database, report.first_seen))
    if as_json:
        echo_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    for line in report.summary():
        echo(line)
    for s in report.stays:
        echo(f"  visit #{s.id}: {s.entry_at:%Y-%m-%d %H:%M} to {f'{s.exit_at:%Y-%m-%d %H:%M}' if s.exit_at else 'on site'}"
             f" UTC, spot {s.spot or '-'}, {s.status}{f', note: {s.note}' if s.note else ''}")
    for p in report.payments:
        echo(f"  payment #{p.id}: {p.amount} {p.method or '-'} {p.created_at:%Y-%m-%d %H:%M} UTC"
             f"{f' (refund of #{p.refund_of})' if p.refund_of else ''}")
    for r in report.receipts:
        echo(f"  receipt {r.path}")
    return EXIT_OK


def _check_out(out: Path) -> None:
    if out.is_dir():
        raise UsageError(f"{out} is a folder: give the export a new file name")
    if out.exists() or out.is_symlink():
        raise UsageError(f"{out} already exists: an export never overwrites a file; give a new file name")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"the folder {parent} does not exist: create it or give another path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"no write permission on the folder {parent}: give a path you can write to")


def _place(tmp: Path, out: Path) -> None:
    """Give the written temp file its final name, never over a file that appeared meanwhile."""
    try:
        os.link(tmp, out)
    except FileExistsError:
        raise UsageError(f"{out} appeared while the export was written: nothing was overwritten") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@subject_cmd.command("export")
@_selector_options
@click.option("--request", "request", required=True, metavar="REF", help="The open access request this answers.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="A new file (never overwritten), owner-only.")
@click.pass_context
def export_cmd(ctx: click.Context, plate, phone, name, staff, request: str, out: Path) -> int:
    """Write everything find lists, with the personal data, to one owner-only JSON file."""
    selector = _selector(plate, phone, name, staff)
    _check_out(out)
    target, booth = open_booth(ctx)
    database = booth.database
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        fd = owner_only.open_file(tmp, os.O_WRONLY | os.O_EXCL)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            report = run(lambda: booth.export_subject(request, **selector))
            report = report.with_backups(_backups(target, database, report.first_seen))
            json.dump(report.to_json(export=True), f, indent=2, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        _place(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    for line in report.export_summary():
        echo(line)
    others = len(report.lookalike_ids) + len(report.namesake_ids) + len(report.mentioned_in)
    if others:
        echo(f"not in the file: {others} record(s) of other people that look alike or mention them (see 'subject find')")
    echo(f"exported to {one_line(out)} (mode 0600) for request {request}")
    return EXIT_OK


@subject_cmd.command("erase")
@_selector_options
@click.option("--request", "request", required=True, metavar="REF", help="The open erasure request this answers.")
@click.option("--dry-run", is_flag=True, help="Say what would be erased and kept; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts (ids and counts only).")
@click.pass_context
def erase_cmd(ctx: click.Context, plate, phone, name, staff, request: str, dry_run: bool, as_json: bool) -> int:
    """Erase the person's data now, as expiry would; say what was kept and why."""
    selector = _selector(plate, phone, name, staff)
    target, booth = open_booth(ctx)
    database = booth.database
    report = run(lambda: booth.erase_subject(request, dry_run, **selector))
    report = report.with_backups(_backups(target, database, report.first_seen))
    if as_json:
        echo_text(json.dumps(report.to_json(), indent=2))
    else:
        for line in report.summary():
            echo(line)
        if report.backups:
            echo("restoring one of these backups brings the erased data back: erase again after any restore")
        if not dry_run and not report.refused:
            echo(f"close the request when answered: kiosk --maintenance request close {request} --done --outcome erased")
    return EXIT_WARNINGS if report.refused or report.receipts_left else EXIT_OK
