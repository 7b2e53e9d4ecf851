"""Opening the printer and sending it one job, through python-escpos; every failure becomes a
PrinterError saying in one line why nothing (or not all) was printed."""

from __future__ import annotations

import contextlib
import errno
import socket
import unicodedata
from collections.abc import Iterable, Iterator

from .errors import PrinterError
from .spec import PrinterSpec

DRAWER_PIN = 2  # the kick pulse on connector pin 2, where nearly every cash drawer is wired
# Kinds that can be asked for their paper status (DLE EOT 4) before a job: a printer that does not
# answer within the timeout counts as stalled. A file or device path cannot answer.
ASKS_STATUS = ("network", "usb", "serial")


def open_printer(spec: PrinterSpec, timeout: float):
    """An open python-escpos printer for `spec`; PrinterError when it cannot be reached.
    `timeout` (seconds) bounds every wait on it: connecting, sending, its status answer."""
    if not spec.enabled:
        raise PrinterError("no printer is set up: choose its kind and target in Configuration (F4)")
    target = spec.target
    with device_errors(spec, timeout):
        from escpos import printer as drivers  # ~0.3 s: only once something is printed

        if target.kind == "network":
            printer = drivers.Network(target.host, target.port, timeout=timeout)
        elif target.kind == "usb":
            printer = drivers.Usb(target.vendor, target.product, timeout=max(1, int(timeout * 1000)))
        elif target.kind == "serial":
            printer = drivers.Serial(target.device, baudrate=target.baud, timeout=timeout)
        else:
            printer = drivers.File(target.device)
        printer.open()
    return printer


def check_ready(printer, spec: PrinterSpec, timeout: float = 5.0) -> None:
    """Ask the printer for its paper status where its kind can answer: PrinterError when it is out
    of paper, or says nothing within the timeout (off, stalled, paper jam holding it)."""
    if spec.kind not in ASKS_STATUS:
        return
    with device_errors(spec, timeout):
        paper = printer.paper_status()
    if paper == 0:
        raise PrinterError(f"the printer ({spec.describe()}) is out of paper", "out of paper")


def print_lines(printer, lines: Iterable[str], cut: bool = True) -> None:
    """Each line as text (the library picks the code page for characters such as £ or €), then a cut.
    A control character in a line is printed as '?': text never becomes a printer command (a cut,
    a drawer kick)."""
    printer.hw("INIT")  # a known state: whatever a previous job or the printer's panel left set
    for line in lines:
        printer.textln(_printable(line.rstrip("\n")))
    if cut:
        printer.cut()


def _printable(line: str) -> str:
    return "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in line)


def kick_drawer(printer) -> None:
    """The cash drawer's kick pulse (ESC p), through the printer it hangs off."""
    printer.cashdraw(DRAWER_PIN)


def print_job(spec: PrinterSpec, lines: Iterable[str], *, kick: bool = False, cut: bool = True,
              timeout: float = 5.0) -> None:
    """Open, kick the drawer (first: a cash drawer opens even when the paper has run out), check the
    paper, print, cut, close. PrinterError when any of it fails."""
    printer = open_printer(spec, timeout)
    try:
        with device_errors(spec, timeout):
            if kick:
                kick_drawer(printer)
        check_ready(printer, spec, timeout)
        with device_errors(spec, timeout):
            print_lines(printer, lines, cut=cut)
    finally:
        with contextlib.suppress(Exception):
            printer.close()


@contextlib.contextmanager
def device_errors(spec: PrinterSpec, timeout: float) -> Iterator[None]:
    """Any failure of the library or the connection as one PrinterError naming the printer."""
    try:
        yield
    except PrinterError:
        raise
    except Exception as exc:  # noqa: BLE001 - a printer must never take the terminal down with it
        why = _why(exc, timeout)
        raise PrinterError(f"the printer ({spec.describe()}) {why}", why) from exc


_BY_ERRNO = {
    errno.ECONNREFUSED: "refused the connection (is it on, and is the port right?)",
    errno.ECONNRESET: "dropped the connection while printing",
    errno.EPIPE: "dropped the connection while printing",
    errno.ENOENT: "is not there: no such device or folder",
    errno.ENODEV: "is not there: no such device",
    errno.EACCES: "cannot be written to: permission denied",
    errno.EPERM: "cannot be written to: permission denied",
    errno.EISDIR: "is a folder, not a file or device",
    errno.EBUSY: "is in use by another program",
    errno.EHOSTUNREACH: "cannot be reached: no route to its host",
    errno.ENETUNREACH: "cannot be reached: the network is down",
}


def _why(exc: BaseException, timeout: float) -> str:
    cause = _os_cause(exc)
    if isinstance(cause, (socket.timeout, TimeoutError)) or "timed out" in str(exc).lower():
        return f"did not answer within {timeout:g} s (off, stalled or jammed?)"
    if isinstance(cause, socket.gaierror):
        return "has a host name that cannot be found"
    if isinstance(cause, OSError) and cause.errno in _BY_ERRNO:
        return _BY_ERRNO[cause.errno]
    if isinstance(cause, OSError) and cause.strerror:
        return f"cannot be reached: {cause.strerror}"
    name = type(exc).__name__
    if name == "NoBackendError" or "no backend available" in str(exc).lower():
        return "cannot be used: USB printing needs libusb installed (apt-get install libusb-1.0-0)"
    if name in ("USBNotFoundError", "DeviceNotFoundError"):
        return "is not connected or not found"
    text = " ".join(str(exc).split()) or name
    return f"failed: {text[:120]}"


def _os_cause(exc: BaseException) -> BaseException:
    """The OSError behind a library error (python-escpos wraps them without `from`)."""
    seen = exc
    for _ in range(4):
        if isinstance(seen, OSError):
            return seen
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            return exc
        seen = nxt
    return exc
