"""`kiosk --maintenance staff ...`: staff accounts, headless (the machine's operator; no PIN).

    staff add --name NAME --role ROLE     a new account; its PIN is read as below
    staff list [--json]                   every account that still has its data
    staff disable NAME | staff enable NAME
    staff reset-pin NAME                  a new PIN (clears a lock)
    staff rename OLD NEW | staff role NAME ROLE

A PIN is never taken from the command line (other users of the machine can read it in `ps`):
on a terminal it is asked twice, hidden; otherwise the first line of standard input is the PIN.
Every change is audited as `headless`. Exit codes: 0 done, 1 refused or failed, 2 bad usage
(an invalid name, role or PIN).
"""

from __future__ import annotations

import json
import sys

import click

from ..booth import PIN_RULE, Secret, StaffMember, clean_staff_name
from ..booth.staff import name_key
from ..errors import UsageError, one_line
from .headless import headless_booth, run
from .output import EXIT_OK, echo, echo_text, table


def _refuse_pin_on_argv(ctx: click.Context, param: click.Parameter, value: object) -> None:
    if value is not None:
        raise click.UsageError("a PIN is never given on the command line (other users can read it in ps): "
                               "type it when asked, or give it as the first line of standard input")


_NO_PIN_OPTION = click.option("--pin", hidden=True, expose_value=False, callback=_refuse_pin_on_argv,
                              help="Refused: see the command's help.")


def _read_pin() -> Secret:
    """Asked twice, hidden, on a terminal; else the first line of standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        return Secret(click.prompt(f"PIN ({PIN_RULE})", hide_input=True, confirmation_prompt="PIN again",
                                   err=True))
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise UsageError(f"no PIN on standard input: give it as the first line ({PIN_RULE})")
    return Secret(line.removesuffix("\n").removesuffix("\r"))


def _state(m: StaffMember) -> str:
    if not m.active:
        return f"disabled {m.disabled_at:%Y-%m-%d %H:%M} UTC" if m.disabled_at else "disabled"
    return f"locked until {m.locked_until:%H:%M:%S} UTC" if m.locked_until else "active"


@click.group("staff")
def staff_cmd() -> None:
    """Staff accounts: add, list, disable, enable, reset-pin, rename, role."""


@staff_cmd.command("add")
@click.option("--name", required=True, help="The name shown at sign-in (unique whatever its case).")
@click.option("--role", required=True, type=click.Choice(["attendant", "supervisor", "manager"]), help="What they may do.")
@_NO_PIN_OPTION
@click.pass_context
def add_cmd(ctx: click.Context, name: str, role: str) -> int:
    """Add an account; its PIN is asked (twice) or read from standard input, never from the command line."""
    booth = headless_booth(ctx)
    run(lambda: clean_staff_name(name))  # a bad name is said before the PIN is asked for
    made = run(lambda: booth.add_staff(name, role, _read_pin()))
    echo(f"added {made.name} ({made.role}), staff id {made.staff_id}")
    return EXIT_OK


@staff_cmd.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON list for scripts.")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> int:
    """Every account that still holds its name (times in UTC)."""
    members = headless_booth(ctx).staff_list()
    if as_json:
        echo_text(json.dumps([m.to_json() for m in members], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not members:
        echo("no staff accounts yet: add one with 'kiosk --maintenance staff add --name NAME --role manager'")
        return EXIT_OK
    rows = [("id", "name", "role", "state", "last sign-in (UTC)")]
    rows += [(str(m.staff_id), m.name, str(m.role), _state(m),
              f"{m.last_sign_in_at:%Y-%m-%d %H:%M}" if m.last_sign_in_at else "never") for m in members]
    table(rows, right=(0,), indent=0)
    return EXIT_OK


@staff_cmd.command("disable")
@click.argument("name")
@click.pass_context
def disable_cmd(ctx: click.Context, name: str) -> int:
    """Disable an account: it can no longer sign in (its data is kept for staff_retention_days)."""
    booth = headless_booth(ctx)
    m = run(lambda: booth.disable_staff(name))
    echo(f"disabled {m.name} (staff id {m.staff_id})")
    return EXIT_OK


@staff_cmd.command("enable")
@click.argument("name")
@click.pass_context
def enable_cmd(ctx: click.Context, name: str) -> int:
    """Enable a disabled account again (also clears a lock)."""
    booth = headless_booth(ctx)
    m = run(lambda: booth.enable_staff(name))
    echo(f"enabled {m.name} (staff id {m.staff_id})")
    return EXIT_OK


@staff_cmd.command("reset-pin")
@click.argument("name")
@_NO_PIN_OPTION
@click.pass_context
def reset_pin_cmd(ctx: click.Context, name: str) -> int:
    """Give an account a new PIN (asked twice, or read from standard input); clears a lock."""
    booth = headless_booth(ctx)
    if not any(name_key(name) == name_key(m.name) for m in booth.staff_list()):  # before the PIN is asked for
        raise UsageError(f"there is no staff member named '{one_line(name)}': see 'kiosk --maintenance staff list'")
    m = run(lambda: booth.reset_pin(name, _read_pin()))
    echo(f"new PIN set for {m.name} (staff id {m.staff_id})")
    return EXIT_OK


@staff_cmd.command("rename")
@click.argument("old")
@click.argument("new")
@click.pass_context
def rename_cmd(ctx: click.Context, old: str, new: str) -> int:
    """Rename an account (the audit trail records ids, so its history follows it)."""
    booth = headless_booth(ctx)
    m = run(lambda: booth.rename_staff(old, new))
    echo(f"renamed staff id {m.staff_id} to {m.name}")
    return EXIT_OK


@staff_cmd.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["attendant", "supervisor", "manager"]))
@click.pass_context
def role_cmd(ctx: click.Context, name: str, role: str) -> int:
    """Change an account's role (the last active manager stays a manager)."""
    booth = headless_booth(ctx)
    m = run(lambda: booth.set_staff_role(name, role))
    echo(f"{m.name} is now {m.role} (staff id {m.staff_id})")
    return EXIT_OK
