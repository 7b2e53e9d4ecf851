"""The terminal's side of the receipt printer (kiosk.printer): what it prints, the header alert while
the printer fails, and F12, which prints again what could not be printed.

`Printing` is mixed into KioskApp. The print queue (`services.printer`) prints in its own thread;
it reports every change of its status with a message (posting one is safe from any thread), and
the header shows the printer's alert until a job prints again. A payment never waits for it: the
payment is committed and its receipt file written before the job is even queued.

What screens call: `app.print_receipt(receipt)` (from a worker: a cash payment also kicks the
drawer), `app.print_report(title, lines)` (X and Z reports: ShiftReport.lines()),
`app.reprint_receipt(receipt, job_id)` (the receipt screen's F12), `app.printer_saved(config)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from textual.message import Message

from ..booth import localtime
from ..printer import PrinterError, PrinterSpec, PrinterStatus, PrintJob, PrintQueue

REPRINT_KEY = "F12"


@dataclass
class PrinterChanged(Message):
    status: PrinterStatus


def print_queue_for(config) -> PrintQueue:
    """The queue for the saved printer settings; a stored setting that is not valid is its alert."""
    try:
        return PrintQueue(PrinterSpec.from_config(config))
    except PrinterError as exc:
        return PrintQueue(None, problem=exc.message)


def printer_alert(status: PrinterStatus) -> str:
    """The header's line while the printer fails ('' while it works): what to do first, then why
    (an 80-column header cuts the end of a long reason, never the key)."""
    if status.ok:
        return ""
    if not status.kept:
        return f"printer: {status.reason or status.message}"
    kept = f"{status.kept} not printed, {REPRINT_KEY} prints {'it' if status.kept == 1 else 'them'}"
    return f"printer: {kept} · {status.reason or status.message}"


def receipt_job(receipt) -> PrintJob:
    """A receipt as printed; a cash payment opens the drawer (not a repeated one: it was opened then)."""
    kick = receipt.method == "cash" and not receipt.repeated
    return PrintJob.of(f"receipt {receipt.payment_id}", receipt.text(), kick=kick)


def test_page(booth_name: str, spec: PrinterSpec, now: dt.datetime, zone) -> list[str]:
    width = 40
    return [
        "PRINTER TEST".center(width).rstrip(),
        booth_name.center(width).rstrip(),
        "-" * width,
        spec.describe(),
        localtime.stamp(now, zone, seconds=True),
        "money: £ € $   letters: ÄÖÜ éè ñ",
        "0123456789" * 4,
        "-" * width,
        "If this is readable and cut below,",
        "the printer is ready.",
    ]


class Printing:
    """KioskApp's printer side; it has `services`, `clock`, `zone`, `session`, `set_alert` and `notify`."""

    _printer_ok = True

    def start_printer(self) -> None:
        queue = self.services.printer
        if queue is None:
            return
        queue.on_change = self.post_message_to_self
        self._show_printer(queue.status())

    def post_message_to_self(self, status: PrinterStatus) -> None:  # called from the printing thread
        self.post_message(PrinterChanged(status))

    def on_printer_changed(self, message: PrinterChanged) -> None:
        self._show_printer(message.status)

    def _show_printer(self, status: PrinterStatus) -> None:
        was_ok, self._printer_ok = self._printer_ok, status.ok
        self.set_alert(printer_alert(status), source="printer")
        if was_ok and not status.ok:  # once as it starts failing, in full; the header keeps it short
            kept = f" Kept: {REPRINT_KEY} prints it once the printer works." if status.kept else ""
            self.notify(f"Not printed: {status.message}.{kept}", title="Printer", severity="error")
        if status.ok and not was_ok and status.kept:
            self.notify(f"The printer works again. {status.kept} not printed: {REPRINT_KEY} prints "
                        f"{'it' if status.kept == 1 else 'them'}.", title="Printer")

    # ---- what screens call ------------------------------------------------------------
    def print_receipt(self, receipt) -> int:
        """Queue the receipt (any thread; never blocks or raises); its job id, 0 when nothing prints."""
        queue = self.services.printer
        return queue.submit(receipt_job(receipt)) if queue is not None else 0

    def print_report(self, title: str, lines: Sequence[str]) -> int:
        """Queue an X or Z report (ShiftReport.lines()) or any lines; its job id, 0 when nothing prints."""
        queue = self.services.printer
        return queue.submit(PrintJob.of(title, list(lines))) if queue is not None else 0

    def reprint_receipt(self, receipt, job_id: int) -> None:
        """The receipt on screen again: its kept job if it failed, else a copy (no drawer)."""
        queue = self.services.printer
        if not self._printer_set_up(queue):
            return
        if not queue.reprint([job_id]):
            queue.submit(PrintJob.of(f"receipt {receipt.payment_id}", receipt.text()))
        self.notify(f"Receipt {receipt.payment_id} sent to the printer again.", title="Printer")

    def action_reprint(self) -> None:
        """F12: every job kept because the printer failed, in the order they were taken."""
        if self.session.hides_screens:
            return
        queue = self.services.printer
        if not self._printer_set_up(queue):
            return
        kept = queue.kept()
        if not kept:
            self.notify("Nothing to print again: every receipt and report was printed.", title="Printer")
            return
        count = queue.reprint()
        titles = ", ".join(job.title for job in kept[:3]) + (" …" if len(kept) > 3 else "")
        self.notify(f"Printing again: {titles} ({count}).", title="Printer")

    def _printer_set_up(self, queue: PrintQueue | None) -> bool:
        if queue is not None and queue.enabled:
            return True
        self.notify("No receipt printer is set up: a manager chooses it in Configuration (F4).",
                    title="Printer", severity="warning")
        return False

    def printer_saved(self, config) -> None:
        """The printer settings were saved: the next job goes to the new printer."""
        queue = self.services.printer
        if queue is None:
            return
        try:
            queue.configure(PrinterSpec.from_config(config))
        except PrinterError as exc:
            queue.configure(None, problem=exc.message)
