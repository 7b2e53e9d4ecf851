"""`kiosk --maintenance shifts` and `z-report`: the shifts and their Z reports, headless.

    shifts [--json] [--booth NAME] [--from DATE] [--to DATE] [--csv FILE]
    z-report NUMBER [--booth NAME] [--json]

Dates are days (YYYY-MM-DD) in the site's time zone; a shift is listed when it was open at some
time in them. `--csv` writes one row per closed shift (Z number and totals) for the accountant,
owner-only. A Z report printed here is marked REPRINT. Exit codes: 0 done, 1 failed, 2 bad usage
(a bad date, an unknown booth, a Z number that does not exist).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from decimal import Decimal
from pathlib import Path

import click

from ..booth import ShiftReport, ShiftRow
from ..booth.localtime import day_start
from ..errors import ErrorCode, KioskError, UsageError, one_line
from ..owner_only import open_file
from .headless import headless_booth, run
from .output import EXIT_OK, echo, echo_text, table

ALL = 100_000  # the most shift_list gives at once
CSV_FIELDS = ("booth", "z_number", "shift_id", "opened_at", "closed_at", "opened_by", "closed_by", "people",
              "payments", "float", "cash", "card", "refunds", "voids", "drops", "payouts", "expected_cash",
              "counted_cash", "variance", "expected_card", "card_batch", "card_variance", "signed_off_by",
              "signoff_code")


_USAGE = (ErrorCode.INVALID, ErrorCode.REFUSED)  # bad input, or something named that does not exist


def _run(fn):
    return run(fn, _USAGE, named_only=True)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _iso(moment: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat()


def row_json(r: ShiftRow, zone: dt.tzinfo) -> dict:
    return {
        "booth": r.booth_name, "shift_id": r.shift_id, "status": r.status, "z_number": r.z_number,
        "opened_at": _iso(r.opened_at, zone), "closed_at": _iso(r.closed_at, zone), "opened_by": r.opened_by_name,
        "closed_by": r.closed_by_name, "people": list(r.people), "payments": r.payments_count,
        "float": _money(r.float_amount), "cash": _money(r.cash), "card": _money(r.card), "refunds": _money(r.refunds),
        "voids": _money(r.voids), "drops": _money(r.drops), "payouts": _money(r.payouts),
        "expected_cash": _money(r.expected_cash), "counted_cash": _money(r.counted_cash),
        "variance": _money(r.variance), "expected_card": _money(r.expected_card), "card_batch": _money(r.card_batch),
        "card_variance": _money(r.card_variance), "signed_off_by": r.signed_off_by_name,
        "signoff_code": r.signoff_code,
    }


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option} '{one_line(value)[:20]}' is not a day: give it as YYYY-MM-DD, e.g. 2026-03-01") from None


def _safe_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (=, +, -, @ first) is quoted with a '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(path: Path, rows: list[ShiftRow], zone: dt.tzinfo) -> int:
    """The closed shifts, oldest first per booth; written beside the file and renamed over it, 0600."""
    closed = sorted((r for r in rows if r.status == "closed"), key=lambda r: (r.booth_name, r.z_number or 0))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for r in closed:
        data = row_json(r, zone)
        data["people"] = "; ".join(r.people)
        writer.writerow([_safe_cell(data[k]) for k in CSV_FIELDS])
    partial = path.with_name(f".{path.name}.partial")
    try:
        fd = open_file(partial, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(buffer.getvalue())
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise KioskError(f"the CSV file {one_line(str(path))} could not be written ({exc.strerror or exc}): "
                         "give a path in a folder you may write to") from None
    return len(closed)


@click.command("shifts")
@click.option("--json", "as_json", is_flag=True, help="One JSON list for scripts.")
@click.option("--booth", "booth_name", metavar="NAME", help="Only this booth's shifts.")
@click.option("--from", "day_from", metavar="DATE", help="From this day (YYYY-MM-DD, the site's time zone).")
@click.option("--to", "day_to", metavar="DATE", help="To this day, included.")
@click.option("--csv", "csv_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the closed shifts as CSV for the accountant (owner-only file).")
@click.pass_context
def shifts_cmd(ctx: click.Context, as_json: bool, booth_name: str | None, day_from: str | None, day_to: str | None,
               csv_path: Path | None) -> int:
    """List shifts: booth, people, opened, closed, Z number, totals, variance (newest first)."""
    start, end = _day(day_from, "--from"), _day(day_to, "--to")
    if start and end and start > end:
        raise UsageError(f"--from {start} is after --to {end}: give the earlier day first")
    booth = headless_booth(ctx)
    zone = booth.config().zone
    since = None if start is None else day_start(start, zone)
    until = None if end is None else day_start(end + dt.timedelta(days=1), zone)
    rows = _run(lambda: booth.shift_list(booth=booth_name, since=since, until=until, limit=ALL))
    if booth_name is not None and not rows and not _run(lambda: booth.shift_list(booth=booth_name, limit=1)):
        raise UsageError(f"no shift has ever been recorded at booth '{one_line(booth_name)[:40]}': check its name "
                         "(as in 'kiosk --maintenance shifts')")
    written = write_csv(csv_path, rows, zone) if csv_path is not None else None
    if as_json:
        echo_text(json.dumps([row_json(r, zone) for r in rows], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        echo("no shifts in that period" if (start or end) else "no shifts recorded yet")
    else:
        echo(f"times in {booth.config().zone_name}")
        out = [("booth", "shift", "Z", "opened", "closed", "people", "payments", "cash", "card", "refunds", "drops",
                "payouts", "expected", "counted", "variance", "status")]
        stamp = lambda m: "-" if m is None else f"{m.astimezone(zone):%Y-%m-%d %H:%M}"  # noqa: E731
        out += [(r.booth_name, str(r.shift_id), str(r.z_number or "-"), stamp(r.opened_at), stamp(r.closed_at),
                 ", ".join(r.people), str(r.payments_count), _money(r.cash), _money(r.card), _money(r.refunds),
                 _money(r.drops), _money(r.payouts), _money(r.expected_cash), _money(r.counted_cash) or "-",
                 _money(r.variance) or "-", r.status) for r in rows]
        table(out, right=(1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14), indent=0)
    if written is not None:
        echo(f"wrote {written} closed shift(s) to {csv_path}")
    return EXIT_OK


def report_json(z: ShiftReport) -> dict:
    return {
        "number": z.number, "booth": z.booth_name, "shift_id": z.shift_id, "reprint": z.reprint,
        "period_start": _iso(z.period_start, z.zone), "period_end": _iso(z.period_end, z.zone),
        "opened_by": z.opened_by_name, "closed_by": z.closed_by_name, "signed_off_by": z.signed_off_by_name,
        "signoff_code": z.signoff_code, "people": list(z.people), "payments": z.payments_count,
        "cash": _money(z.cash), "card": _money(z.card), "refunds": _money(z.refunds), "voids": _money(z.voids),
        "waived": _money(z.waived), "debts_collected": _money(z.debts_collected), "drops": _money(z.drops),
        "payouts": _money(z.payouts), "float": _money(z.float_amount), "expected_cash": _money(z.expected_cash),
        "counted_cash": _money(z.counted_cash), "variance": _money(z.variance), "expected_card": _money(z.expected_card),
        "card_batch": _money(z.card_batch), "card_variance": _money(z.card_variance),
        "exceptions": [{"kind": k, "code": c, "label": label, "count": n, "amount": _money(a)}
                       for k, c, label, n, a in z.exceptions],
        "cars_in": z.cars_in, "cars_out": z.cars_out, "currency": z.currency,
    }


@click.command("z-report")
@click.argument("number")
@click.option("--booth", "booth_name", metavar="NAME", help="The booth (default: this database's configured one).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
@click.pass_context
def z_report_cmd(ctx: click.Context, number: str, booth_name: str | None, as_json: bool) -> int:
    """Print Z report NUMBER of a booth again (marked REPRINT)."""
    booth = headless_booth(ctx)
    z = _run(lambda: booth.z_report(number, booth=booth_name))
    if as_json:
        echo_text(json.dumps(report_json(z), indent=2, ensure_ascii=False))
    else:
        for line in z.lines():
            echo(line)
    return EXIT_OK
