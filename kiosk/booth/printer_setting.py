"""The receipt printer's settings: which kind of connection (printer_kind) and where (printer_target).

The grammar lives here, with no database and no printer library, because the booth validates the
settings (Configuration, `update_config`) and kiosk.printer, which the booth never imports, reads
them back to open the printer.

- none: no printer (the target is kept but not used)
- network: host[:port], the port 9100 unless given (an IPv6 address in brackets: [fe80::1]:9100)
- usb: vendor:product, each 1-4 hex digits (04b8:0202, 0x04b8:0x0202)
- serial: device[:baud], an absolute device path (/dev/ttyUSB0:19200; 9600 unless given)
- file: an absolute path the receipts are written to (a device node such as /dev/usb/lp0)
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

from .errors import BoothError, shown

KINDS = ("none", "network", "usb", "serial", "file")
DEFAULT_PORT = 9100
DEFAULT_BAUD = 9600
BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
TARGET_MAX = 200

ALLOWED = {
    "network": "host[:port], e.g. 192.168.1.50 or printer.local:9100 (port 1-65535, 9100 unless given)",
    "usb": "vendor:product in hex, e.g. 04b8:0202 (as lsusb shows it)",
    "serial": f"device[:baud], e.g. /dev/ttyUSB0 or /dev/ttyS0:19200 (baud one of {', '.join(map(str, BAUDS))})",
    "file": "an absolute path, e.g. /dev/usb/lp0",
    "none": "anything: no printer is used",
}

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
_HEX = re.compile(r"(0x)?([0-9a-f]{1,4})", re.IGNORECASE)


@dataclass(frozen=True)
class PrinterTarget:
    """A checked printer setting. Only the fields of its kind are set."""

    kind: str  # one of KINDS
    host: str = ""
    port: int = DEFAULT_PORT
    vendor: int = 0
    product: int = 0
    device: str = ""  # serial device or file path
    baud: int = DEFAULT_BAUD

    def describe(self) -> str:
        """How the Configuration and the alerts name it: 'network 192.168.1.50:9100'."""
        if self.kind == "network":
            host = f"[{self.host}]" if ":" in self.host else self.host
            return f"network {host}:{self.port}"
        if self.kind == "usb":
            return f"usb {self.vendor:04x}:{self.product:04x}"
        if self.kind == "serial":
            return f"serial {self.device} at {self.baud} baud"
        if self.kind == "file":
            return f"file {self.device}"
        return "no printer"


def check_kind(raw: object) -> str:
    """The printer_kind setting: one of KINDS, any case."""
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text not in KINDS:
        raise BoothError(f"the printer kind '{shown(raw)}' is not known: it is one of {', '.join(KINDS)}",
                         field="printer_kind")
    return text


def check_target_text(raw: object) -> str:
    """The printer_target setting on its own: printable text of at most TARGET_MAX characters
    (what it must look like depends on the kind: check_printer)."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise BoothError("the printer target must be text: host[:port], vendor:product, device[:baud] or a path",
                         field="printer_target")
    text = unicodedata.normalize("NFC", raw).strip()
    if len(text) > TARGET_MAX:
        raise BoothError(f"the printer target is too long ({len(text)} characters): at most {TARGET_MAX}",
                         field="printer_target")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise BoothError("the printer target contains control characters: host[:port], vendor:product, "
                         "device[:baud] or a path", field="printer_target")
    return text


def check_printer(kind: object, target: object) -> PrinterTarget:
    """Both settings together: the target as its kind allows it, or BoothError(field='printer_target')."""
    kind = check_kind(kind)
    text = check_target_text(target)
    if kind == "none":
        return PrinterTarget("none")
    if not text:
        raise BoothError(f"enter where the {kind} printer is: {ALLOWED[kind]}", field="printer_target")
    try:
        return _PARSERS[kind](text)
    except ValueError as exc:
        raise BoothError(f"'{shown(text, 40)}' is not a {kind} printer target ({exc}): {ALLOWED[kind]}",
                         field="printer_target") from None


def _network(text: str) -> PrinterTarget:
    port: str | None = None
    if text.startswith("["):  # [IPv6]:port
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError("an IPv6 address goes in brackets, then :port")
        port = rest[1:] if rest else None
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError("not an IPv6 address") from None
    else:
        if text.count(":") > 1:
            raise ValueError("an IPv6 address goes in brackets: [fe80::1]:9100")
        host, sep, rest = text.partition(":")
        port = rest if sep else None
        if not (_is_ipv4(host) or _is_hostname(host)):
            raise ValueError("not a host name or IPv4 address")
    number = DEFAULT_PORT
    if port is not None:
        if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError(f"port '{shown(port, 8)}' is not 1-65535")
        number = int(port)
    return PrinterTarget("network", host=host.lower(), port=number)


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        return False


def _is_hostname(host: str) -> bool:
    if not host or len(host) > 253 or not host.isascii():
        return False
    labels = host.rstrip(".").split(".")
    # All digits and dots is an IPv4 address or nothing (999.1.1.1 is not a host name).
    return all(_LABEL.fullmatch(label) for label in labels) and not all(label.isdigit() for label in labels)


def _usb(text: str) -> PrinterTarget:
    vendor, sep, product = text.partition(":")
    ids = [_HEX.fullmatch(part) for part in (vendor, product)]
    if not sep or not all(ids):
        raise ValueError("two hex numbers separated by ':'")
    v, p = (int(m[2], 16) for m in ids if m)
    if not v or not p:
        raise ValueError("vendor and product are not 0")
    return PrinterTarget("usb", vendor=v, product=p)


def _serial(text: str) -> PrinterTarget:
    device, baud = text, DEFAULT_BAUD
    head, sep, tail = text.rpartition(":")
    if sep and tail.isascii() and tail.isdigit():
        device, baud = head, int(tail)
        if baud not in BAUDS:
            raise ValueError(f"baud {baud} is not a standard rate")
    if not device.startswith("/") or device.endswith("/"):
        raise ValueError("the device is an absolute path such as /dev/ttyUSB0")
    return PrinterTarget("serial", device=device, baud=baud)


def _file(text: str) -> PrinterTarget:
    if not text.startswith("/") or text.endswith("/"):
        raise ValueError("not an absolute path to a file")
    return PrinterTarget("file", device=text)


_PARSERS = {"network": _network, "usb": _usb, "serial": _serial, "file": _file}
