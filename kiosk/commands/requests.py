"""`kiosk --maintenance request ...`: the data-protection request log, headless.

    request add --kind KIND --ref REF [--received DATE] [--json]
    request list [--open] [--json]
    request extend REF --months N --reason CODE
    request close REF (--done | --refused) --outcome CODE

Days are YYYY-MM-DD in the site's time zone. A reference is the operator's own case number and
may not be personal data (a phone number, a plate, a driver's or staff name on record). Exit
codes: 0 done, 1 refused (closed already, extended to the limit) or failed, 2 bad usage (a bad
reference, kind, day or code; a reference not in the log).
"""

from __future__ import annotations

import json

import click

from ..booth import RequestRow
from ..booth.privacy_codes import EXTENSION_REASONS, OUTCOMES
from ..booth.privacy_requests import KINDS
from ..errors import UsageError
from .headless import headless_booth, run
from .output import EXIT_OK, echo, echo_text, table

_STATE = {"open": "open", "due_soon": "DUE SOON", "overdue": "OVERDUE", "done": "done", "refused": "refused"}


def _left(r: RequestRow) -> str:
    if r.status != "open":
        return "-"
    if r.days_left < 0:
        return f"{-r.days_left} day(s) late"
    return "due today" if r.days_left == 0 else f"{r.days_left} day(s)"


def _said(r: RequestRow) -> str:
    extended = f", extended by {r.extended_months} month(s) ({r.extension_reason})" if r.extended_months else ""
    return f"request {r.reference} ({r.kind}, received {r.received_on}): due {r.due_on}{extended}"


@click.group("request")
def request_cmd() -> None:
    """The data-protection request log: add, list, extend, close."""


@request_cmd.command("add")
@click.option("--kind", required=True, metavar="KIND", help=f"One of {', '.join(KINDS)}.")
@click.option("--ref", "reference", required=True, metavar="REF",
              help="Your case reference (letters, digits, . _ / -, at least one digit; never personal data).")
@click.option("--received", metavar="DATE", help="The day it was received (YYYY-MM-DD; default today).")
@click.option("--json", "as_json", is_flag=True, help="The logged request as one JSON object.")
@click.pass_context
def add_cmd(ctx: click.Context, kind: str, reference: str, received: str | None, as_json: bool) -> int:
    """Log a request received from a person; its answer is due one calendar month later."""
    booth = headless_booth(ctx)
    row = run(lambda: booth.log_request(reference, kind, received))
    if as_json:
        echo_text(json.dumps(row.to_json(), indent=2, ensure_ascii=False))
    else:
        echo(f"logged {_said(row)}")
    return EXIT_OK


@request_cmd.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only the requests still open.")
@click.option("--json", "as_json", is_flag=True, help="One JSON list for scripts.")
@click.pass_context
def list_cmd(ctx: click.Context, open_only: bool, as_json: bool) -> int:
    """The requests: open ones soonest due first, then closed ones, latest first."""
    rows = run(lambda: headless_booth(ctx).requests(open_only=open_only))
    if as_json:
        echo_text(json.dumps([r.to_json() for r in rows], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        echo("no open requests" if open_only else
             "no requests logged yet: log one with 'kiosk --maintenance request add --kind KIND --ref REF'")
        return EXIT_OK
    out = [("reference", "kind", "received", "due", "left", "state", "extended", "outcome")]
    out += [(r.reference, r.kind, str(r.received_on), str(r.due_on), _left(r), _STATE[r.state],
             f"+{r.extended_months} ({r.extension_reason})" if r.extended_months else "-", r.outcome or "-")
            for r in rows]
    table(out, indent=0)
    return EXIT_OK


@request_cmd.command("extend")
@click.argument("reference", metavar="REF")
@click.option("--months", required=True, metavar="N", help="1 or 2: at most two months beyond the first in all.")
@click.option("--reason", required=True, metavar="CODE", help=f"One of {', '.join(EXTENSION_REASONS)}.")
@click.pass_context
def extend_cmd(ctx: click.Context, reference: str, months: str, reason: str) -> int:
    """Extend an open request's deadline (tell the person within the first month)."""
    booth = headless_booth(ctx)
    row = run(lambda: booth.extend_request(reference, months, reason))
    echo(f"extended {_said(row)}")
    return EXIT_OK


@request_cmd.command("close")
@click.argument("reference", metavar="REF")
@click.option("--done", is_flag=True, help="Answered: " + ", ".join(OUTCOMES["done"]) + ".")
@click.option("--refused", is_flag=True, help="Refused: " + ", ".join(OUTCOMES["refused"]) + ".")
@click.option("--outcome", required=True, metavar="CODE", help="How it ended (a code of --done or --refused).")
@click.pass_context
def close_cmd(ctx: click.Context, reference: str, done: bool, refused: bool, outcome: str) -> int:
    """Close an open request as done or refused, with its outcome code."""
    if done == refused:
        raise UsageError("say how the request ended: either --done or --refused (with --outcome CODE)")
    status = "done" if done else "refused"
    booth = headless_booth(ctx)
    row = run(lambda: booth.close_request(reference, status, outcome))
    late = f", {-row.days_left} day(s) after it was due" if row.days_left < 0 else ""
    echo(f"closed request {row.reference} ({row.kind}): {row.status}, {row.outcome} ({row.outcome_label}){late}")
    return EXIT_OK
