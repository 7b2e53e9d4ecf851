"""The receipt printer from the terminal (Pilot, real migrated database, a local TCP printer): a payment
commits and shows its receipt whatever the printer does; a cash payment kicks the drawer; the header
alert while the printer fails; F12 prints the kept receipt once; Configuration's printer fields and ctrl+g (test print)."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Select

from escpos_support import FakePrinter, decode, refused_target
from kiosk.models import Payment, SystemConfig
from kiosk.printer import PrinterSpec, PrintQueue
from kiosk.tui.app import build_app
from kiosk.tui.screens.receipt import ReceiptScreen
from kiosk.tui.services import booth_services
from kiosk.tui.widgets.booth_header import BoothHeader
from tui_helpers import settle

PHONE = "07400 123456"
WAIT = 20.0  # upper bound for the printing thread; never waited out when things work


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


@pytest.fixture
def parked(booth, clock):
    stay = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=2, minutes=33)
    return stay


def make_app(booth, target, database, clock, tmp_path, mode="payment", timeout=None):
    services = booth_services(booth, receipts_dir=tmp_path / "receipts", refresh_seconds=3600.0)
    if timeout is not None:  # the same printer, with the test's timeout
        services.printer = PrintQueue(services.printer.spec, timeout=timeout)
    return build_app(target, database, "1.10.0", services=services, clock=clock, mode=mode, freeze_gc=False,
                     lifecycle_interval=None, typing_delay=0, idle_check_seconds=None)


async def printed(app, pilot) -> None:
    """Until the print queue has tried every job (in its thread; the app's loop keeps turning), and
    the app has shown what it said."""
    assert await asyncio.to_thread(app.services.printer.wait_idle, WAIT)
    await settle(app, pilot)


def header(app) -> str:
    """The header as shown: of the screen on top, or under a dialog (the receipt), of the screen beneath it."""
    screen = next(s for s in reversed(app.screen_stack) if s.query(BoothHeader))
    return " ".join(str(screen.query_one(BoothHeader).render()).split())


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def pay_cash(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press(*"AB12", "enter", "c", *"20", "enter")
    await settle(app, pilot)


async def test_a_cash_payment_prints_its_receipt_and_opens_the_drawer(booth, parked, printer, target, database, clock,
                                                                      tmp_path):
    booth.update_config(printer_kind="network", printer_target=printer.target)
    app = make_app(booth, target, database, clock, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pay_cash(app, pilot)
        assert isinstance(app.screen, ReceiptScreen) and Payment.select().count() == 1
        await printed(app, pilot)
        out = decode(printer.wait_jobs(1)[0])
        for line in app.screen.text.splitlines():
            assert line in out.lines, line
        assert out.kicks == [2] and out.cuts == 1
        assert "printer:" not in header(app)
        receipt_file = next((tmp_path / "receipts").iterdir())
        assert receipt_file.read_text(encoding="utf-8") == app.screen.text  # the file as before


async def test_a_card_payment_prints_without_opening_the_drawer(booth, parked, printer, target, database, clock, tmp_path):
    booth.update_config(printer_kind="network", printer_target=printer.target)
    app = make_app(booth, target, database, clock, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"AB12", "enter", "k", "enter")
        await printed(app, pilot)
        out = decode(printer.wait_jobs(1)[0])
        assert out.kicks == [] and "AB12CDE" in out.text and "card" in out.text


async def test_a_refused_printer_never_holds_the_payment_the_alert_shows_and_f12_prints_it_once(
        booth, parked, printer, target, database, clock, tmp_path):
    booth.update_config(printer_kind="network", printer_target=printer.target)
    printer.off()  # the printer is switched off
    app = make_app(booth, target, database, clock, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pay_cash(app, pilot)
        assert isinstance(app.screen, ReceiptScreen) and Payment.select().count() == 1  # committed, shown
        await printed(app, pilot)
        said = header(app)
        assert "printer:" in said and "refused the connection" in said and "F12 prints it" in said
        assert [j.title for j in app.services.printer.kept()] == [f"receipt {Payment.get().id}"]

        printer.on()
        await pilot.press("f12")  # on the receipt: this receipt again (its kept job)
        await printed(app, pilot)
        out = decode(printer.wait_jobs(1)[0])
        assert "AB12CDE" in out.text and out.kicks == []  # the drawer is not opened again on a reprint
        assert "printer:" not in header(app) and app.services.printer.kept() == []
        assert any("sent to the printer again" in n for n in notices(app))
        await pilot.press("f12")
        await printed(app, pilot)
        assert len(printer.wait_jobs(2)) == 2  # asked again on purpose: a copy, once


async def test_a_stalled_printer_keeps_the_receipt_while_the_terminal_goes_on(booth, parked, printer, target, database,
                                                                             clock, tmp_path):
    booth.update_config(printer_kind="network", printer_target=printer.target)
    printer.mode = "stall"  # accepts the connection and never answers
    app = make_app(booth, target, database, clock, tmp_path, timeout=WAIT)
    async with app.run_test(size=(80, 24)) as pilot:
        await pay_cash(app, pilot)
        # The payment's worker has finished and its receipt is up while the printer still has the job.
        assert isinstance(app.screen, ReceiptScreen) and Payment.select().count() == 1
        assert app.services.printer.status().pending == 1
        await pilot.press("a")  # the next car's plate closes the receipt as before
        await settle(app, pilot)
        assert not isinstance(app.screen, ReceiptScreen)
        printer.close()  # the stalled connection drops: the job fails and is kept
        await printed(app, pilot)
        assert "printer:" in header(app) and len(app.services.printer.kept()) == 1

        printer.mode = "ok"
        printer.on()
        await pilot.press("f12")  # anywhere: the kept jobs
        await printed(app, pilot)
        assert "AB12CDE" in decode(printer.wait_jobs(1)[-1]).text
        assert "printer:" not in header(app) and app.services.printer.kept() == []


async def test_f12_with_nothing_kept_or_no_printer_says_so(booth, printer, target, database, clock, tmp_path):
    app = make_app(booth, target, database, clock, tmp_path, mode="entry")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f12")
        assert any("No receipt printer is set up" in n for n in notices(app))
        app.services.printer.configure(PrinterSpec.of("network", printer.target))
        await pilot.press("f12")
        assert any("Nothing to print again" in n for n in notices(app))


async def test_a_stored_printer_setting_that_is_not_valid_shows_as_the_alert(booth, target, database, clock, tmp_path):
    SystemConfig.update(printer_kind="network", printer_target="no such host!").execute()
    app = make_app(booth, target, database, clock, tmp_path, mode="entry")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "printer: the printer setting is not valid" in header(app)


async def test_configuration_f7_prints_a_test_page_on_the_printer_as_typed_then_saves_it(
        booth, printer, target, database, clock, tmp_path):
    app = make_app(booth, target, database, clock, tmp_path, mode="config")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        kind, where = screen.row("printer_kind"), screen.row("printer_target")
        assert kind.value == "none" and isinstance(kind.input, Select)
        kind.value = "network"
        await settle(app, pilot)
        assert "host[:port]" in where.shown_text  # the hint follows the kind

        where.input.focus()
        await pilot.press(*"127.0.0.1:0")
        await settle(app, pilot)
        assert where.error and "1-65535" in where.shown_text
        await pilot.press("ctrl+g")  # refused as typed: nothing is printed
        await settle(app, pilot)
        assert any("No test print" in n for n in notices(app)) and printer.jobs == []

        where.value = printer.target
        await settle(app, pilot)
        assert not where.error
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        out = decode(printer.wait_jobs(1)[0])
        assert "PRINTER TEST" in out.text and f"network {printer.target}" in out.text and out.cuts == 1
        assert any("Test page sent" in n for n in notices(app))
        assert booth.config().printer_kind == "none"  # tested, not saved

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        saved = booth.config()
        assert (saved.printer_kind, saved.printer_target) == ("network", printer.target)
        assert app.services.printer.enabled and app.services.printer.spec.describe() == f"network {printer.target}"
        assert f"Printing to network {printer.target}" in str(screen.query_one("#config-printer").render())


async def test_configuration_f7_on_an_unreachable_printer_says_why(booth, target, database, clock, tmp_path):
    app = make_app(booth, target, database, clock, tmp_path, mode="config")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        screen.row("printer_kind").value = "network"
        screen.row("printer_target").value = refused_target()
        await settle(app, pilot)
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert any("Nothing printed" in n and "refused the connection" in n for n in notices(app))
