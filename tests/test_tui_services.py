"""The Booth-backed services the terminal runs on: spot cells, spot details, receipt files."""

from __future__ import annotations

import os
import stat

from kiosk.booth import Booth
from kiosk.booth.receipts import write_receipt
from kiosk.tui.services import booth_services, cells_from_states, receipts_dir_for
from staff_support import as_manager, on_shift

PHONE = "07400 123456"


def test_cells_come_from_the_booth_with_overstays_and_natural_order(database, clock):
    booth = on_shift(as_manager(Booth(database, clock)))
    booth.register("AB12CDE", "Jane", PHONE, "car")  # A01
    clock.advance(hours=30)  # past the default 24 h retention: an overstay
    booth.register("XY34ZZZ", "Jim", PHONE, "van")  # B01
    services = booth_services(booth)
    cells = services.get_cells()
    by_spot = {c.spot_number: c for c in cells}
    assert len(cells) == 40
    assert by_spot["A01"].state == "overstay" and by_spot["B01"].state == "occupied" and by_spot["A02"].state == "free"
    assert by_spot["A01"].group == "Zone A · car" and by_spot["M01"].group == "Zone M · motorcycle"
    assert services.booth_name == "Booth" and services.vehicle_types == ("car", "van", "motorcycle")


def test_natural_order_puts_a2_before_a10():
    from kiosk.booth import SpotState

    states = [SpotState(n, "car", "free", None, None, None) for n in ("A10", "A2", "B1", "A1")]
    assert [c.spot_number for c in cells_from_states(states)] == ["A1", "A2", "A10", "B1"]


def test_spot_details_say_plate_time_on_site_and_fee_so_far(database, clock):
    booth = on_shift(as_manager(Booth(database, clock)))
    booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=2, minutes=33)
    services = booth_services(booth)
    text = services.spot_details("A01")
    assert text == "occupied · AB12CDE · car · since 12:00 (2 h 33 min) · fee so far £7.50"
    assert services.spot_details("A02") == "free · car spot"
    assert "no such spot" in services.spot_details("Z99")


def test_services_close_the_worker_threads_connection(database, clock):
    import threading

    services = booth_services(on_shift(as_manager(Booth(database, clock))))
    seen = []

    def in_thread():
        services.call(lambda b: b.free_counts())
        seen.append(database.is_closed())

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [True]  # the worker's connection was closed, nothing leaks per thread


def test_receipt_file_is_private_and_named_by_time_stay_and_payment(database, clock, tmp_path):
    booth = on_shift(as_manager(Booth(database, clock)))
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(minutes=30)
    receipt = booth.pay(reg.stay_id, "card", transaction_id="T:1")
    folder = tmp_path / "receipts"
    path = write_receipt(folder, receipt)
    assert path.name == f"20261124-123000_stay{reg.stay_id}_payment{receipt.payment_id}.txt"  # no plate
    assert path.read_text() == receipt.text()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert write_receipt(folder, receipt) == path  # a retried transaction keeps its one file


def test_receipts_go_beside_the_database_file(target, tmp_path):
    if target.is_sqlite:
        assert receipts_dir_for(target) == target.path.resolve().parent / "receipts"
    else:
        assert receipts_dir_for(target) == tmp_path / "receipts"
