"""A legal hold and an expiry batch on one vehicle at once (PostgreSQL, row locks): whichever commits
first decides, and nothing is half done. A hold still being placed keeps its row out of the batch
(SKIP LOCKED); a batch that already locked the row purges it, and the hold then waits for it and
is refused, nothing written (the other order, and a hold committed between two batches of one
run, are in test_booth_holds_expiry.py, on both databases)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest

from kiosk.booth import BoothError, retention
from kiosk.booth.context import Context
from kiosk.errors import ErrorCode
from kiosk.models import LegalHold, Vehicle

pytestmark = pytest.mark.postgres_only

PHONE = "07400 123456"


def _waiting_on_lock(watch, pid, timeout=30.0) -> bool:
    """Poll (from a third session) until backend `pid` waits for a lock; the timeout only guards a hang."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        row = watch.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if row and row[0] == "Lock":
            return True
        time.sleep(0.005)
    return False


@pytest.fixture
def due(booth, clock):
    regs = [booth.register(p, "Pat Person", PHONE, "car") for p in ("AA11AAA", "BB22BBB")]
    for r in regs:
        booth.pay(r.stay_id, "card")
    clock.advance(hours=25)
    return regs


def test_a_hold_being_placed_keeps_its_row_out_of_the_batch(booth, due, target):
    held, other = due
    placing = psycopg.connect(target.raw, autocommit=False)
    try:  # a hold's insert, not yet committed: its foreign key check holds the vehicle row
        placing.execute("INSERT INTO legal_holds (vehicle_id, reason, placed_at) VALUES (%s, 'dispute', %s)",
                        (held.vehicle_id, dt.datetime(2026, 11, 25, 13, 0)))
        report = booth.expire()  # does not wait for it: the row is skipped
        assert report.rows == 1
        placing.commit()
    finally:
        placing.close()
    assert Vehicle.get_by_id(held.vehicle_id).number_plate == "AA11AAA"
    assert Vehicle.get_by_id(other.vehicle_id).purged_at is not None
    report = booth.expire()
    assert (report.rows, report.held) == (0, 1)


def test_a_hold_waiting_for_a_batch_that_purged_the_row_is_refused(booth, due, database, clock, target):
    held, _ = due
    ctx = Context.create(database, clock)
    cutoff = clock.now().replace(microsecond=0) - dt.timedelta(hours=24)
    locked, release, purged = threading.Event(), threading.Event(), []

    def batch():  # an expiry batch in another session: its rows locked until it commits
        with database.connection_context(), database.atomic():
            purged.append(retention._expire_batch(ctx, cutoff, 10))
            locked.set()
            release.wait(30)

    worker = threading.Thread(target=batch)
    worker.start()
    watch = psycopg.connect(target.raw, autocommit=True)
    pid = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    outcome: dict = {}

    def let_go():
        outcome["waited"] = _waiting_on_lock(watch, pid)
        release.set()

    try:
        assert locked.wait(30)
        helper = threading.Thread(target=let_go)
        helper.start()
        with pytest.raises(BoothError) as caught:
            booth.place_hold("dispute", plate="AA11AAA")  # matched before the batch commits, then waits
        helper.join(30)
    finally:
        release.set()
        worker.join(30)
        watch.close()
    assert outcome["waited"] and purged == [2]
    assert caught.value.code is ErrorCode.CONFLICT and "nothing was held" in caught.value.message
    assert LegalHold.select().count() == 0
    assert Vehicle.get_by_id(held.vehicle_id).number_plate == f"~{held.vehicle_id}"
