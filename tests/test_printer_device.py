"""What goes to the printer: the bytes python-escpos sends, read back (tests/escpos_support.decode) from
its Dummy printer and from a local TCP listener standing in for a network printer."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy

from escpos_support import FakePrinter, decode, refused_target
from kiosk.errors import ErrorCode
from kiosk.printer import PrinterError, PrinterSpec, kick_drawer, print_job, print_lines

PHONE = "07400 123456"


@pytest.fixture
def receipt(booth, clock):
    stay = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=2, minutes=33)
    return booth.pay(stay.stay_id, "cash", "20.00")


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


def test_the_dummy_printer_gets_every_line_of_the_receipt_then_the_cut(receipt):
    dummy = Dummy()
    print_lines(dummy, receipt.text().splitlines())
    out = decode(dummy.output)
    lines = receipt.text().splitlines()
    assert out.lines[: len(lines)] == lines  # £ comes back as £: the code page selected is the one used
    assert "TOTAL" in out.text and "£7.50" in out.text and "AB12CDE" in out.text
    assert out.cuts == 1 and out.kicks == [] and out.inits == 1
    assert dummy.output.rstrip(b"\x00\x01").endswith(b"\x1dV")  # the cut comes last


def test_letters_beyond_ascii_come_out_in_a_code_page_that_has_them():
    dummy = Dummy()
    lines = ["plate  MÜAB12  ŽU123  ÅL4", "total  €7.50  £7.50"]
    print_lines(dummy, lines)
    assert decode(dummy.output).lines[:2] == lines


def test_control_characters_in_a_line_never_become_printer_commands():
    dummy = Dummy()
    print_lines(dummy, ["name\x1bp\x00\x19\xfa", "bell\x07 and \x1dV\x00 cut"])
    out = decode(dummy.output)
    assert out.kicks == [] and out.cuts == 1  # only the job's own cut
    assert out.lines[:2] == ["name?p??ú", "bell? and ?V? cut"]


def test_no_cut_when_asked_and_the_drawer_pulse_is_esc_p_on_pin_2():
    dummy = Dummy()
    print_lines(dummy, ["one", "two"], cut=False)
    kick_drawer(dummy)
    out = decode(dummy.output)
    assert out.lines[:2] == ["one", "two"] and out.cuts == 0
    assert out.kicks == [2] and b"\x1bp\x00" in dummy.output


def test_a_cash_receipt_over_the_network_kicks_the_drawer_asks_for_paper_and_prints_every_line(receipt, printer):
    print_job(PrinterSpec.of("network", printer.target), receipt.text().splitlines(), kick=True, timeout=5)
    data = printer.wait_jobs(1)[0]
    out = decode(data)
    assert out.kicks == [2] and out.status_queries == [4] and out.cuts == 1
    assert data.index(b"\x1bp") < data.index(b"\x10\x04\x04") < data.index(b"AB12CDE")  # drawer, paper, text
    for line in receipt.text().splitlines():
        assert line in out.lines


def test_a_printer_out_of_paper_prints_nothing_but_the_drawer_still_opens(receipt, printer):
    printer.mode = "no_paper"
    with pytest.raises(PrinterError) as caught:
        print_job(PrinterSpec.of("network", printer.target), receipt.text().splitlines(), kick=True, timeout=5)
    assert "out of paper" in caught.value.message and caught.value.code is ErrorCode.PRINTER
    out = decode(printer.wait_jobs(1)[0])
    assert out.kicks == [2] and "AB12CDE" not in out.text and out.cuts == 0


def test_a_refused_connection_says_so_in_one_line():
    with pytest.raises(PrinterError) as caught:
        print_job(PrinterSpec.of("network", refused_target()), ["x"], timeout=5)
    assert "refused the connection" in caught.value.message and "\n" not in caught.value.message


def test_a_printer_that_accepts_and_never_answers_fails_at_the_timeout(printer):
    printer.mode = "stall"
    with pytest.raises(PrinterError) as caught:
        print_job(PrinterSpec.of("network", printer.target), ["x"], timeout=0.5)
    assert "did not answer within 0.5 s" in caught.value.message


def test_a_file_printer_gets_the_same_bytes_and_is_not_asked_for_status(tmp_path, receipt):
    path = tmp_path / "lp0"
    print_job(PrinterSpec.of("file", str(path)), receipt.text().splitlines(), kick=True)
    out = decode(path.read_bytes())
    assert out.kicks == [2] and out.status_queries == [] and out.cuts == 1 and "AB12CDE" in out.text


@pytest.mark.parametrize("kind,target,says", [
    ("file", "/nonexistent-folder/lp0", "is not there"),
    ("file", "/", "absolute path"),
    ("serial", "/dev/tty-no-such-port", "is not there"),
    ("none", "", "no printer is set up"),
])
def test_a_printer_that_is_not_there_is_one_printer_error(tmp_path, kind, target, says):
    with pytest.raises(PrinterError) as caught:
        print_job(PrinterSpec.of(kind, target), ["x"], timeout=1)
    assert says in caught.value.message and "\n" not in caught.value.message


def test_a_folder_as_file_printer_is_refused_when_printing(tmp_path):
    with pytest.raises(PrinterError) as caught:
        print_job(PrinterSpec.of("file", str(tmp_path)), ["x"], timeout=1)
    assert "is a folder" in caught.value.message
