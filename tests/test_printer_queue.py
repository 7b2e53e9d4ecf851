"""The print queue: submit never waits nor raises; a failed job is kept, the status says why, and a
reprint prints it once the printer works again. Waits are bounded by events, never by sleeping."""

from __future__ import annotations

import threading

import pytest

from escpos_support import FakePrinter, decode
from kiosk.printer import PrinterSpec, PrintJob, PrintQueue

WAIT = 20.0  # an upper bound for a background job to finish; the tests never wait for it to pass


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


def queue_for(target: str, **options) -> PrintQueue:
    return PrintQueue(PrinterSpec.of("network", target), **options)


def test_submit_returns_while_the_printer_is_still_busy_with_the_job():
    started, release = threading.Event(), threading.Event()

    def slow_printer(spec, lines, **_):
        started.set()
        release.wait(WAIT)

    queue = queue_for("127.0.0.1:9100", printer=slow_printer)
    first = queue.submit(PrintJob.of("receipt 1", "a\nb"))
    second = queue.submit(PrintJob.of("receipt 2", ["c"]))  # returned although the first still prints
    assert (first, second) == (1, 2)
    assert started.wait(WAIT)
    assert queue.status().pending == 2
    release.set()
    assert queue.wait_idle(WAIT) and queue.status().pending == 0 and queue.status().ok


def test_a_printer_fault_of_any_kind_never_reaches_the_caller_and_the_thread_goes_on():
    calls = []

    def broken(spec, lines, **_):
        calls.append(lines)
        if len(calls) == 1:
            raise RuntimeError("driver bug")

    queue = queue_for("127.0.0.1:9100", printer=broken)
    queue.submit(PrintJob.of("receipt 1", ["x"]))
    queue.submit(PrintJob.of("receipt 2", ["y"]))
    assert queue.wait_idle(WAIT)
    assert calls == [("x",), ("y",)] and [j.title for j in queue.kept()] == ["receipt 1"]
    assert queue.status().ok  # the last job printed: the printer works


def test_no_printer_means_nothing_queued_and_no_alert():
    queue = PrintQueue(PrinterSpec.of("none"))
    assert queue.submit(PrintJob.of("receipt 1", ["x"])) == 0
    status = queue.status()
    assert status.ok and status.pending == 0 and status.kept == 0 and status.printer == "no printer"


def test_refused_then_back_the_kept_receipt_is_reprinted_once_without_opening_the_drawer(printer):
    seen = []
    queue = queue_for(printer.target, timeout=5, on_change=seen.append)
    printer.off()
    queue.submit(PrintJob.of("receipt 7", ["PARKING RECEIPT", "TOTAL   £7.50"], kick=True))
    assert queue.wait_idle(WAIT)
    status = queue.status()
    assert not status.ok and "refused the connection" in status.message and status.kept == 1
    assert any(not s.ok for s in seen)  # the terminal was told (its header alert)
    printer.on()
    assert queue.reprint() == 1 and queue.wait_idle(WAIT)
    assert queue.status().ok and queue.status().kept == 0 and seen[-1].ok
    out = decode(printer.wait_jobs(1)[0])
    assert out.lines[:2] == ["PARKING RECEIPT", "TOTAL   £7.50"] and out.kicks == []
    assert queue.reprint() == 0 and len(printer.jobs) == 1  # printed once: nothing is kept any more


def test_a_stalled_printer_fails_at_the_timeout_and_the_job_is_kept(printer):
    printer.mode = "stall"
    queue = queue_for(printer.target, timeout=0.3)
    job_id = queue.submit(PrintJob.of("receipt 8", ["x"], kick=True))
    assert queue.wait_idle(WAIT)
    assert "did not answer within 0.3 s" in queue.status().message
    assert [(j.id, j.kick) for j in queue.kept()] == [(job_id, False)]
    printer.mode = "ok"
    assert queue.reprint([job_id]) == 1 and queue.wait_idle(WAIT)
    assert "x" in decode(printer.wait_jobs(1)[0]).lines


def test_reprint_while_still_failing_keeps_the_job_once(printer):
    printer.off()
    queue = queue_for(printer.target)
    queue.submit(PrintJob.of("receipt 9", ["x"]))
    assert queue.wait_idle(WAIT)
    assert queue.reprint() == 1 and queue.wait_idle(WAIT)
    assert [j.title for j in queue.kept()] == ["receipt 9"]


def test_only_the_last_failed_jobs_are_kept(printer):
    printer.off()
    queue = queue_for(printer.target, keep=3)
    for n in range(5):
        queue.submit(PrintJob.of(f"receipt {n}", ["x"]))
    assert queue.wait_idle(WAIT)
    assert [j.title for j in queue.kept()] == ["receipt 2", "receipt 3", "receipt 4"]


def test_a_new_printer_takes_the_next_job_and_the_kept_ones_stay(printer):
    queue = PrintQueue(PrinterSpec.of("network", "127.0.0.1:1"), timeout=2)
    queue.submit(PrintJob.of("receipt 1", ["first"]))
    assert queue.wait_idle(WAIT) and not queue.status().ok
    queue.configure(PrinterSpec.of("network", printer.target))
    assert queue.status().ok and queue.status().kept == 1
    queue.submit(PrintJob.of("receipt 2", ["second"]))
    assert queue.wait_idle(WAIT)
    assert "second" in decode(printer.wait_jobs(1)[0]).lines and [j.title for j in queue.kept()] == ["receipt 1"]


def test_a_callback_that_fails_does_not_stop_the_printing(printer):
    def bad_callback(status):
        raise RuntimeError("the terminal has gone")

    queue = queue_for(printer.target, on_change=bad_callback)
    assert queue.submit(PrintJob.of("receipt 1", ["x"])) == 1
    assert queue.wait_idle(WAIT) and queue.status().ok and len(printer.wait_jobs(1)) == 1


def test_after_close_nothing_more_is_queued(printer):
    queue = queue_for(printer.target)
    queue.close()
    assert queue.submit(PrintJob.of("receipt 1", ["x"])) == 0
