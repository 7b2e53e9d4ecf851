"""`kiosk --maintenance expire`: remove expired personal data, then archive old audit rows.

Runs the same batched code as the terminal's background worker: batches sized by
time (about 20 ms each), handing the write lock to a booth the moment one waits.
Ctrl-C or SIGTERM stops cleanly between batches (every finished batch stays committed).
Refused (exit 3, nothing changed) while a migrate, rollback or restore holds the database.
Exit codes: 0 done, 3 refused, 4 done but overstays need attention, 130 stopped early.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

import click

from ..booth import HEADLESS, Booth
from ..booth.receipts import receipts_dir_for
from ..db import connect
from ..errors import KioskError
from ..schema import exclusion
from ..startup import require_latest
from .output import EXIT_OK, EXIT_STOPPED, EXIT_WARNINGS, echo, echo_text, table


def _progress(enabled: bool):
    """A rich progress bar on an interactive stderr; nothing for scripts."""
    if not enabled:
        return None, lambda label: None

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    state = {}

    def start(label):
        state["task"] = bar.add_task(label, total=None)
        return lambda done, total: bar.update(state["task"], completed=done, total=total)

    return bar, start


def _run(target, database, as_json: bool, batch_size: int | None) -> list:
    require_latest(target, database)
    booth = Booth(database, receipts_dir=receipts_dir_for(target), actor=HEADLESS)  # the receipts this machine wrote
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    bar, start = _progress(not as_json and sys.stderr.isatty())
    reports = []
    try:
        if bar is not None:
            bar.start()
        reports.append(booth.expire(batch_size, start("expiring personal data"), stop.is_set))
        if reports[-1].status == "done":
            reports.append(booth.archive(batch_size, start("archiving audit rows"), stop.is_set))
    finally:
        if bar is not None:
            bar.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return reports


@click.command("expire")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts and monitoring.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), metavar="N",
              help="Exactly N rows per transaction (default: sized by time, starting from the configured "
                   "expiry/archive batch sizes).")
@click.pass_context
def expire_cmd(ctx: click.Context, as_json: bool, batch_size: int | None) -> int:
    """Expire personal data past the retention, then archive old audit rows."""
    target = ctx.obj["target"]
    if not target.exists():
        raise KioskError(f"no database at {target.describe()}: nothing to expire")
    database = connect(target)
    # Held from before the version is read to the end: a rollback or restore cannot start under the run.
    with exclusion.expiry_running(database, "expire"):
        reports = _run(target, database, as_json, batch_size)
    if as_json:
        echo_text(json.dumps({r.kind: r.to_json() for r in reports}, indent=2))
    else:
        rows: list[tuple[object, ...]] = []
        for r in reports:
            what = "vehicles' personal data removed" if r.kind == "expire" else "audit rows archived"
            rows.append((r.kind, r.status, f"{r.rows} {what} in {r.batches} batch(es) of up to {r.batch_size}; "
                                           f"{r.duration_ms} ms, longest transaction {r.longest_tx_ms} ms"))
            if r.kind == "expire" and (r.notes or r.receipts):
                rows.append((r.kind, "", f"{r.notes} stay note(s) removed, {r.receipts} receipt file(s) deleted"))
            if r.kind == "expire" and r.staff:
                rows.append((r.kind, "", f"{r.staff} disabled staff account(s) reduced to their id"))
            if r.kind == "expire" and r.held:
                rows.append((r.kind, "", f"{r.held} record(s) kept under a legal hold ('subject hold list')"))
            if r.remaining:
                rows.append((r.kind, "", f"{r.remaining} row(s) left for the next run"))
        table(rows, indent=0)
        if reports[0].overstays:
            echo(f"warning: {reports[0].overstays} open stay(s) are older than the retention (overstays): "
                 "resolve them at the booth (take payment, or close as departed)")
    if any(r.status == "stopped" for r in reports):
        return EXIT_STOPPED
    return EXIT_WARNINGS if reports[0].overstays else EXIT_OK
