"""Expiry and legal holds: a held vehicle keeps its plate, name, phone, notes and receipt files while
the rest expires, the run counts what a hold kept (RunReport.held, lifecycle_runs.held); released, it
expires with the next run; a held staff account is not reduced; a hold placed by another process
while a run is under way wins over the run's next batch. Runs on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.models import LifecycleRun, Payment, Staff, Stay, Vehicle
from staff_support import person

PHONE = "07400 123456"


def money(database) -> tuple:
    return database.execute_sql("SELECT COUNT(*), SUM(amount_cents) FROM payments").fetchone()


def paid_with_note(booth, plate: str, name: str, note: str):
    reg = booth.register(plate, name, PHONE, "car")
    receipt = booth.pay(reg.stay_id, "card")
    path = booth.save_receipt(receipt)
    booth.refund(receipt.payment_id, "other", note)
    return reg, path


def details(vehicle_id: int) -> tuple:
    v = Vehicle.get_by_id(vehicle_id)
    return v.number_plate, v.contact_name, v.phone_number, v.purged_at


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_held_vehicle_keeps_everything_while_the_rest_expires(database, clock, tmp_path, make_booth, batch_size):
    booth = make_booth(database, clock, receipts_dir=tmp_path / "receipts")
    held, held_file = paid_with_note(booth, "HE11DDD", "Hana Held", "Hana disputes the fee")
    free, free_file = paid_with_note(booth, "FR22EEE", "Fred Free", "Fred was overcharged")
    other = booth.register("OT33HER", "Olga Other", PHONE, "van")
    booth.close_departed(other.stay_id, "left_without_paying")
    before = money(database)
    clock.advance(hours=25)
    (hold,) = booth.place_hold("dispute", plate="HE11DDD")

    report = booth.expire(batch_size=batch_size)
    assert (report.status, report.rows, report.notes, report.receipts, report.held) == ("done", 2, 1, 1, 1)
    assert details(held.vehicle_id) == ("HE11DDD", "Hana Held", "+447400123456", None)
    assert Stay.get_by_id(held.stay_id).note == "Hana disputes the fee" and held_file.exists()
    assert details(free.vehicle_id)[:3] == (f"~{free.vehicle_id}", "", "")
    assert Stay.get_by_id(free.stay_id).note is None and not free_file.exists()
    assert details(other.vehicle_id)[:3] == (f"~{other.vehicle_id}", "", "")
    run = LifecycleRun.select().where(LifecycleRun.kind == "expire").order_by(LifecycleRun.id.desc()).get()
    assert (run.held, run.rows_done) == (1, 2)
    assert booth.last_runs(2)[-1].held == 1 and report.to_json()["held"] == 1
    assert money(database) == before

    again = booth.expire(batch_size=batch_size)  # still held: kept, counted again
    assert (again.rows, again.notes, again.receipts, again.held) == (0, 0, 0, 1)
    assert booth.expiry_preview(24) == 0

    booth.release_hold(hold.id)
    assert booth.expiry_preview(24) == 1
    after = booth.expire(batch_size=batch_size)
    assert (after.rows, after.notes, after.receipts, after.held) == (1, 1, 1, 0)
    assert details(held.vehicle_id)[:3] == (f"~{held.vehicle_id}", "", "")
    assert Stay.get_by_id(held.stay_id).note is None and not held_file.exists()
    assert money(database) == before
    assert Payment.select().where(Payment.stay_id == held.stay_id).count() == 2  # the payment and its refund


def test_the_old_stays_of_a_held_plate_that_came_back_keep_their_notes(database, clock, tmp_path, make_booth):
    booth = make_booth(database, clock, receipts_dir=tmp_path / "receipts")
    first, first_file = paid_with_note(booth, "BA22CKK", "Bo Back", "Bo says the barrier hit the car")
    clock.advance(hours=30)
    back = booth.register("BA22CKK", "Bo Back", PHONE, "car")  # on site again: the vehicle is not due
    booth.place_hold("legal_claim", plate="BA22CKK")
    report = booth.expire()
    assert (report.rows, report.notes, report.receipts, report.held) == (0, 0, 0, 1)
    assert Stay.get_by_id(first.stay_id).note == "Bo says the barrier hit the car" and first_file.exists()
    assert back.vehicle_id == first.vehicle_id
    booth.release_hold(booth.holds()[0].id)
    report = booth.expire()
    assert (report.rows, report.notes, report.receipts, report.held) == (0, 1, 1, 0)
    assert not first_file.exists() and details(back.vehicle_id)[0] == "BA22CKK"  # still on site


def test_a_hold_on_a_car_on_site_counts_nothing_until_it_is_due(booth, clock):
    booth.register("ON11SSS", "Sid Site", PHONE, "car")
    booth.place_hold("police", plate="ON11SSS")
    clock.advance(hours=30)
    report = booth.expire()
    assert (report.rows, report.held, report.overstays) == (0, 0, 1)


def test_staff_retention_skips_a_held_account(booth, database, clock, pin_hasher):
    ann = person(booth, "Ann Lee", "attendant")
    booth.update_config(staff_retention_days=30)
    booth.disable_staff("Ann Lee")
    (hold,) = booth.place_hold("dispute", staff="Ann Lee")
    clock.advance(days=31)
    report = booth.expire()
    assert (report.staff, report.held) == (0, 1)
    assert Staff.get_by_id(ann.staff_id).display_name == "Ann Lee"
    assert LifecycleRun.select().order_by(LifecycleRun.id.desc()).get().held == 1
    booth.release_hold(hold.id)
    report = booth.expire()
    assert (report.staff, report.held) == (1, 0)
    assert Staff.get_by_id(ann.staff_id).display_name == f"~{ann.staff_id}"


def test_a_hold_placed_by_another_process_during_a_run_wins(database, clock, make_booth, kiosk_cli, target, tmp_path):
    """The candidates are read before the first batch (SQLite: once per run); the hold is checked in
    each purge statement, so one committed between two batches keeps its vehicle."""
    booth = make_booth(database, clock, receipts_dir=tmp_path / "receipts")
    plates = ["AA11AAA", "BB22BBB", "CC33CCC", "DD44DDD", "EE55EEE"]
    regs = [booth.register(p, "Pat Person", PHONE, "car") for p in plates]
    for r in regs:
        booth.pay(r.stay_id, "card")
    clock.advance(hours=25)
    placed = []

    def progress(done, total):
        if not placed:  # after the first batch is committed, before the second
            r = kiosk_cli("--db", target.raw, "--maintenance", "subject", "hold", "add", "--plate", plates[-1],
                          "--reason", "police", "--json")
            assert r.code == 0, r.err
            placed.append(r.out)

    report = booth.expire(batch_size=1, progress=progress)
    assert placed and report.status == "done"
    assert (report.rows, report.held) == (4, 1)
    assert details(regs[-1].vehicle_id)[:3] == ("EE55EEE", "Pat Person", "+447400123456")
    assert all(details(r.vehicle_id)[0] == f"~{r.vehicle_id}" for r in regs[:-1])
    (hold,) = booth.holds()
    assert hold.vehicle_id == regs[-1].vehicle_id and hold.placed_by_name == "maintenance (headless)"


def test_the_cutoff_of_a_held_vehicle_is_the_same_rule(booth, clock):
    """A held vehicle entered exactly at the cutoff is neither due nor counted."""
    reg = booth.register("ED44GEE", "Ed", PHONE, "car")
    booth.pay(reg.stay_id, "card")
    booth.place_hold("dispute", plate="ED44GEE")
    clock.advance(hours=24)
    assert booth.expire().held == 0
    clock.advance(seconds=1)
    assert booth.expire().held == 1
    assert booth.last_runs(1)[0].cutoff == clock.now().replace(microsecond=0) - dt.timedelta(hours=24)


def test_the_terminal_says_what_a_hold_kept(booth, clock):
    from kiosk.tui.lifecycle_worker import summary
    from kiosk.tui.screens.activity import run_line

    reg = booth.register("HE11DDD", "Hana Held", PHONE, "car")
    booth.pay(reg.stay_id, "card")
    booth.place_hold("dispute", plate="HE11DDD")
    clock.advance(hours=25)
    report = booth.expire()
    assert summary([report]) == "removed personal data of 0 closed stays (1 kept under a legal hold)"
    assert run_line("expiry", booth.last_runs(1)[0]).endswith(" · 1 held")
    booth.release_hold(booth.holds()[0].id)
    after = booth.expire()
    assert summary([after]) == "removed personal data of 1 closed stays"
    assert "held" not in run_line("expiry", booth.last_runs(1)[0])
