"""`kiosk --maintenance subject hold ...`: legal holds, headless (the machine's operator).

    subject hold add (--plate P | --phone N | --name NAME | --staff WHO) --reason CODE
                     [--until YYYY-MM-DD] [--request REF] [--json]
    subject hold remove HOLD_ID [--json]
    subject hold list [--all] [--json]

A hold keeps a person's records (the vehicle rows matching exactly, never look-alike plates or
namesakes; or a staff account) from expiry and erasure until it is removed. Output names records
by id only. Exit codes: 0 done, 1 refused (nothing matches, the hold was already removed),
2 bad usage (a reason, date, request or hold id that is not one, two selectors or none).
"""

from __future__ import annotations

import json

import click

from ..booth import HoldRow
from ..booth.privacy_codes import HOLD_REASONS
from .headless import headless_booth, run
from .output import EXIT_OK, echo, echo_text, table


def _record(h: HoldRow) -> str:
    return f"vehicle #{h.vehicle_id}" if h.vehicle_id is not None else f"staff account #{h.staff_id}"


def _line(h: HoldRow) -> str:
    review = f", review {h.until_on:%Y-%m-%d}" + (" (past)" if h.overdue else "") if h.until_on else ""
    request = f", request {h.request_reference}" if h.request_reference else ""
    return f"hold {h.id} on {_record(h)}: {h.reason}{review}{request}"


def _dump(rows: list[HoldRow]) -> None:
    echo_text(json.dumps([h.to_json() for h in rows], indent=2, ensure_ascii=False))


@click.group("hold")
def hold_cmd() -> None:
    """Legal holds: keep a person's records from expiry and erasure (add, remove, list)."""


@hold_cmd.command("add")
@click.option("--plate", help="The vehicle's plate (as typed at entry).")
@click.option("--phone", help="The contact phone number.")
@click.option("--name", help="The contact name.")
@click.option("--staff", help="A staff account's name or id.")
@click.option("--reason", required=True, help="Why: " + ", ".join(HOLD_REASONS) + ".")
@click.option("--until", help="A review date, YYYY-MM-DD after today: past it, an alert (the hold stays).")
@click.option("--request", help="The reference of the open request this hold belongs to.")
@click.option("--json", "as_json", is_flag=True, help="The holds as one JSON list.")
@click.pass_context
def add_cmd(ctx: click.Context, plate, phone, name, staff, reason, until, request, as_json: bool) -> int:
    """Hold every record of one person: name them by exactly one of --plate, --phone, --name, --staff."""
    booth = headless_booth(ctx)
    before = {h.id for h in booth.holds()}
    if staff is not None and staff.strip().isdecimal() and staff.strip().isascii():
        staff = int(staff)  # an id: a staff name always has a letter
    rows = run(lambda: booth.place_hold(reason, until, request, plate=plate, phone=phone, name=name, staff=staff))
    if as_json:
        _dump(rows)
        return EXIT_OK
    for h in rows:
        echo(("already held: " if h.id in before else "held: ") + _line(h))
    return EXIT_OK


@hold_cmd.command("remove")
@click.argument("hold_id")
@click.option("--json", "as_json", is_flag=True, help="The removed hold as JSON.")
@click.pass_context
def remove_cmd(ctx: click.Context, hold_id: str, as_json: bool) -> int:
    """Remove a hold: the record expires with the next run once its retention has passed."""
    h = run(lambda: headless_booth(ctx).release_hold(hold_id))
    if as_json:
        echo_text(json.dumps(h.to_json(), indent=2, ensure_ascii=False))
    else:
        echo(f"removed: {_line(h)}")
    return EXIT_OK


@hold_cmd.command("list")
@click.option("--all", "show_all", is_flag=True, help="Removed holds too.")
@click.option("--json", "as_json", is_flag=True, help="One JSON list for scripts.")
@click.pass_context
def list_cmd(ctx: click.Context, show_all: bool, as_json: bool) -> int:
    """The holds in force (with --all, the removed ones too), oldest first; times in UTC."""
    rows = headless_booth(ctx).holds(include_released=show_all)
    if as_json:
        _dump(rows)
        return EXIT_OK
    if not rows:
        echo("no holds" + ("" if show_all else " in force"))
        return EXIT_OK
    table([("id", "record", "reason", "review", "request", "placed (UTC)", "by", "state")]
          + [(str(h.id), _record(h), h.reason, f"{h.until_on:%Y-%m-%d}" if h.until_on else "-",
              h.request_reference or "-", f"{h.placed_at:%Y-%m-%d %H:%M}", h.placed_by_name,
              "in force" + (", past review" if h.overdue else "") if h.in_force
              else f"removed {h.released_at:%Y-%m-%d %H:%M} by {h.released_by_name}") for h in rows],
          right=(0,), indent=0)
    return EXIT_OK
