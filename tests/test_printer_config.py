"""The printer settings: kind and target checked together, saved, audited; a refused one changes nothing."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from kiosk.booth import BoothError, check_printer, check_setting
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog
from kiosk.printer import PrinterError, PrinterSpec


@pytest.mark.parametrize("kind,target,described", [
    ("network", "192.168.1.50", "network 192.168.1.50:9100"),
    ("Network", " Printer.Local:9101 ", "network printer.local:9101"),
    ("network", "[fe80::1]:9100", "network [fe80::1]:9100"),
    ("usb", "04b8:0202", "usb 04b8:0202"),
    ("usb", "0x04B8:0x0E15", "usb 04b8:0e15"),
    ("serial", "/dev/ttyUSB0", "serial /dev/ttyUSB0 at 9600 baud"),
    ("serial", "/dev/ttyS0:19200", "serial /dev/ttyS0 at 19200 baud"),
    ("file", "/dev/usb/lp0", "file /dev/usb/lp0"),
    ("none", "", "no printer"),
    ("none", "whatever was typed before", "no printer"),
])
def test_each_kind_reads_its_target(kind, target, described):
    assert check_printer(kind, target).describe() == described
    assert PrinterSpec.of(kind, target).describe() == described


@pytest.mark.parametrize("kind,target,field,says", [
    ("laser", "x", "printer_kind", "none, network, usb, serial, file"),
    ("", "", "printer_kind", "one of none"),
    (None, "", "printer_kind", "one of none"),
    ("network", "", "printer_target", "enter where the network printer is"),
    ("network", "   ", "printer_target", "enter where"),
    ("network", "a b", "printer_target", "host[:port]"),
    ("network", "host:0", "printer_target", "1-65535"),
    ("network", "host:65536", "printer_target", "1-65535"),
    ("network", "host:-1", "printer_target", "1-65535"),
    ("network", "host:", "printer_target", "1-65535"),
    ("network", "host:９１００", "printer_target", "1-65535"),  # full-width digits are not a port
    ("network", "fe80::1", "printer_target", "in brackets"),
    ("network", "999.1.1.1", "printer_target", "not a host name"),
    ("network", "-bad.example", "printer_target", "not a host name"),
    ("network", "bad_host", "printer_target", "not a host name"),
    ("network", "[::1", "printer_target", "brackets"),
    ("network", "[nope]:9100", "printer_target", "not an IPv6"),
    ("network", "host\x1b[2J", "printer_target", "control characters"),
    ("network", "h" * 201, "printer_target", "at most 200"),
    ("usb", "04b8", "printer_target", "vendor:product"),
    ("usb", "zz:0202", "printer_target", "vendor:product"),
    ("usb", "12345:1", "printer_target", "vendor:product"),
    ("usb", "0:0", "printer_target", "not 0"),
    ("serial", "ttyUSB0", "printer_target", "absolute path"),
    ("serial", "/dev/ttyS0:12345", "printer_target", "standard rate"),
    ("file", "receipts.bin", "printer_target", "absolute path"),
    ("file", "/tmp/", "printer_target", "absolute path"),
    ("file", 42, "printer_target", "must be text"),
])
def test_hostile_settings_are_refused_saying_what_is_allowed(kind, target, field, says):
    with pytest.raises(BoothError) as caught:
        check_printer(kind, target)
    assert caught.value.field == field and caught.value.code is ErrorCode.INVALID
    assert says in caught.value.message and "\n" not in caught.value.message
    assert "\x1b" not in caught.value.message


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["network", "usb", "serial", "file", "none"]), target=st.text(max_size=60))
def test_any_text_is_read_or_refused_with_a_booth_error_never_anything_else(kind, target):
    try:
        parsed = check_printer(kind, target)
    except BoothError as exc:
        assert exc.field == "printer_target" and exc.message.isprintable()
    else:
        assert parsed.kind == kind and parsed.describe().isprintable()


def test_each_setting_alone_is_checked_as_typed():
    assert check_setting("printer_kind", " USB ") == "usb"
    assert check_setting("printer_target", " 04b8:0202 ") == "04b8:0202"
    with pytest.raises(BoothError):
        check_setting("printer_kind", "cups")


def test_saved_together_audited_and_read_back(booth):
    assert (booth.config().printer_kind, booth.config().printer_target) == ("none", "")
    cfg = booth.update_config(printer_kind="network", printer_target="192.168.1.50:9100")
    assert (cfg.printer_kind, cfg.printer_target) == ("network", "192.168.1.50:9100")
    assert PrinterSpec.from_config(cfg).describe() == "network 192.168.1.50:9100"
    changes = json.loads(AuditLog.select().where(AuditLog.action == "config").order_by(AuditLog.id.desc()).get().details)
    assert changes["changes"]["printer_kind"] == ["none", "network"]


def test_a_target_is_checked_against_the_saved_kind_and_a_kind_against_the_saved_target(booth):
    booth.update_config(printer_kind="usb", printer_target="04b8:0202")
    before, audits = booth.config(), AuditLog.select().count()
    with pytest.raises(BoothError) as caught:
        booth.update_config(printer_target="192.168.1.50")  # not vendor:product: the kind saved is usb
    assert caught.value.field == "printer_target" and "vendor:product" in caught.value.message
    with pytest.raises(BoothError) as caught:
        booth.update_config(printer_kind="file")  # 04b8:0202 is no absolute path
    assert caught.value.field == "printer_target"
    with pytest.raises(BoothError):
        booth.update_config(retention_hours=48, printer_kind="serial")  # one refused field: nothing saved
    assert booth.config() == before and AuditLog.select().count() == audits
    assert booth.update_config(printer_kind="none").printer_target == "04b8:0202"  # kept for later


def test_a_stored_setting_that_is_not_valid_is_a_printer_error_not_a_crash(booth):
    from kiosk.models import SystemConfig

    SystemConfig.update(printer_kind="network", printer_target="not a host").execute()
    with pytest.raises(PrinterError) as caught:
        PrinterSpec.from_config(booth.config())
    assert caught.value.code is ErrorCode.PRINTER and "not valid" in caught.value.message
