"""Configuration's receipt printer: its kind and target (settings saved with the others, checked
together as typed), what the printer is doing now, and ctrl+g, which prints a test page on the printer
as typed (saved or not), so a manager sees it work before saving it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Label, Static

from ...booth import BoothError, check_printer
from ...printer import PrinterError, PrinterSpec, print_job
from ..printing import test_page
from ..widgets.field_row import FieldRow
from ..widgets.select_row import SelectRow

PRINTER_FIELDS = (
    ("printer_kind", "Printer", "how it is connected"),
    ("printer_target", "Printer target", "host:port · vid:pid · device · path"),
)
KIND_CHOICES = [("none", "none"), ("network", "network"), ("USB", "usb"), ("serial", "serial"), ("file/device", "file")]
# What the target is for each kind, beside the field once the kind is chosen.
TARGET_HINTS = {
    "none": "not used without a printer",
    "network": "host[:port], port 9100 unless given",
    "usb": "vendor:product in hex (lsusb)",
    "serial": "/dev/ttyUSB0 or /dev/ttyS0:19200",
    "file": "an absolute path, e.g. /dev/usb/lp0",
}
TEST_KEY = "ctrl+g"
TEST_TIMEOUT_S = 5.0


class PrinterSection:
    """Mixed into ConfigurationScreen (which has row(), saved and the FieldRows of PRINTER_FIELDS)."""

    @dataclass
    class TestPrinted(Message):
        printer: str
        error: str  # '' when the page printed

    def compose_printer(self) -> ComposeResult:
        yield Label(f"Receipt printer   ({TEST_KEY}: test print)", classes="config-section")
        (kind, kind_label, kind_hint), (target, target_label, target_hint) = PRINTER_FIELDS
        yield SelectRow(kind, kind_label, kind_hint, KIND_CHOICES, id=f"cfg-{kind}", classes="setting")
        yield FieldRow(target, target_label, target_hint, id=f"cfg-{target}", max_length=200, classes="setting")
        yield Static("", id="config-printer")

    def check_printer_rows(self) -> PrinterSpec | None:
        """Both fields as typed, checked together; the refusal beside the field at fault. The spec, or None."""
        kind_row, target_row = self.row("printer_kind"), self.row("printer_target")
        target_row.hint = TARGET_HINTS.get(kind_row.value, target_row.hint)
        try:
            target = check_printer(kind_row.value, target_row.value)
        except BoothError as exc:
            at_fault, other = (kind_row, target_row) if exc.field == "printer_kind" else (target_row, kind_row)
            at_fault.show_error(exc.message)
            other.clear_error()
            return None
        kind_row.clear_error()
        target_row.show_note(target_row.hint)
        return PrinterSpec(target)

    def show_printer_state(self) -> None:
        queue = self.app.services.printer
        text = ""
        if queue is not None:
            status = queue.status()
            if not queue.enabled and status.ok:
                text = "No printer: receipts are only shown and kept as files."
            elif status.ok:
                text = f"Printing to {status.printer}" + (f"; {status.kept} not printed (F12)" if status.kept else ".")
            else:
                text = f"Not printing: {status.message}"
        self.query_one("#config-printer", Static).update(text)

    def action_test_print(self) -> None:
        spec = self.check_printer_rows()
        if spec is None:
            self.notify("No test print: the printer setting is refused (see ✗ beside it).", severity="warning")
            return
        if not spec.enabled:
            self.notify("No printer is chosen: type its kind (network, usb, serial or file) and target first.",
                        severity="warning")
            return
        self.notify(f"Printing a test page on {spec.describe()}…", title="Test print")
        self._test_print(spec)

    @work(thread=True, exit_on_error=False, group="config-test-print", description="printing a test page")
    def _test_print(self, spec: PrinterSpec) -> None:
        booth_name = self.saved.booth_name if self.saved is not None else ""
        lines = test_page(booth_name, spec, self.app.clock.now(), self.app.zone)
        try:
            print_job(spec, lines, timeout=TEST_TIMEOUT_S)
        except PrinterError as exc:
            self.post_message(self.TestPrinted(spec.describe(), exc.message))
            return
        self.post_message(self.TestPrinted(spec.describe(), ""))

    def on_printer_section_test_printed(self, message: TestPrinted) -> None:
        if message.error:
            self.notify(f"Nothing printed: {message.error}.", title="Test print failed", severity="error")
        else:
            self.notify(f"Test page sent to {message.printer}: check that it is readable and cut.",
                        title="Test print")
