"""The receipt printer: an ESC/POS thermal printer through python-escpos (network, USB, serial or a
file/device path). Receipts, X and Z reports and test pages are printed from one background thread
(`PrintQueue`), so a printer that is off, out of paper or unreachable never holds up a payment: the
job that failed is kept for a reprint and `status()` says what is wrong.

The booth never imports this package: the terminal sends what it prints (Receipt.text(),
ShiftReport.lines()). python-escpos itself (~0.3 s to import) is loaded on the first print.
"""

from .device import PrinterError, check_ready, kick_drawer, open_printer, print_job, print_lines
from .print_queue import PrinterStatus, PrintJob, PrintQueue
from .spec import PrinterSpec

__all__ = ["PrinterError", "PrinterSpec", "PrinterStatus", "PrintJob", "PrintQueue", "check_ready", "kick_drawer",
           "open_printer", "print_job", "print_lines"]
