"""After adopting, migrate takes a plan-era site to the latest version with every row kept and meaningful.

Plan-era vehicles 'pending' become open stays (on site), 'paid' ones closed stays with their
payments attached; spots stay occupied or free as the data says; amounts become exact cents, and
one that is not a whole number of cents is reported (migrate's output and run record), not
rounded silently. Rows that 1.5.0 would delete or misread are refused before anything changes.
"""

from __future__ import annotations

import json

import pytest
from adopt_support import LATEST, build, execute, no_traceback, one_line, plan_site, rows, state

from kiosk.db import connect
from kiosk.maintenance import adopt as adopting
from kiosk.maintenance import equivalence
from kiosk.schema import history
from kiosk.schema.files import load_migrations, parse_version

ROUNDED = "payment 1: amount 12.345 is not a whole number of cents; schema 1.5.0 stores 1235 cents (12.35)"


def cli(kiosk_cli, target, *args):
    return no_traceback(kiosk_cli("--db", target.raw, "--maintenance", *args))


def counts(target, tables=("vehicles", "payments", "parking_spots", "parking_rates", "system_config")) -> dict:
    present = {t for t in tables if rows(target, f"SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '{t}'"
                                          if not target.is_sqlite else
                                          f"SELECT COUNT(*) FROM sqlite_master WHERE name = '{t}'")[0][0]}
    return {t: rows(target, f"SELECT COUNT(*) FROM {t}")[0][0] for t in sorted(present)}


# Per plan version: each vehicle's stay (plate -> spot, status), the car spot a new car gets.
EXPECTED = {
    "1.0.0": ({"AB12CDE": (None, "open"), "XY34ZZZ": (None, "open")}, "A01"),
    "1.1.0": ({"AB12CDE": ("A01", "open"), "XY34ZZZ": ("A02", "open"), "VN55VAN": ("B01", "open")}, "A03"),
    "1.2.0": ({"AB12CDE": ("A01", "open"), "XY34ZZZ": ("A02", "paid"), "VN55VAN": ("B01", "open")}, "A02"),
    "1.3.0": ({"AB12CDE": ("A01", "open"), "XY34ZZZ": ("A02", "paid"), "VN55VAN": ("B01", "open")}, "A02"),
}


@pytest.mark.parametrize("version", sorted(EXPECTED))
def test_adopt_then_migrate_keeps_every_row_and_its_meaning(kiosk_cli, target, clock, make_booth, version):
    plan_site(target, version)
    before = counts(target)
    assert cli(kiosk_cli, target, "adopt").code == 0
    r = cli(kiosk_cli, target, "migrate")
    rounded = target.is_sqlite and version >= "1.2.0"  # PostgreSQL's NUMERIC(10,2) rounded 12.345 when it was typed
    untyped = version == "1.0.0"  # the plan records vehicle types from 1.1.0
    assert r.code == (4 if rounded or untyped else 0), r.out + r.err
    assert ("vehicles 1, 2: not paid, and no vehicle type" in " ".join(r.out.split())) == untyped
    assert f"schema version {LATEST}" in r.out and "validation   ok" in r.out
    assert (ROUNDED in r.out) == rounded
    after = counts(target)
    assert all(after[t] == n for t, n in before.items() if t != "system_config"), (before, after)

    stays, new_spot = EXPECTED[version]
    got = rows(target, "SELECT v.number_plate, s.spot_number, s.status FROM stays s JOIN vehicles v ON v.id = s.vehicle_id ORDER BY v.id")
    assert {plate: (spot, status) for plate, spot, status in got} == stays
    if version >= "1.2.0":
        paid = rows(target, "SELECT s.id, s.exit_timestamp FROM stays s JOIN vehicles v ON v.id = s.vehicle_id "
                            "WHERE v.number_plate = 'XY34ZZZ'")[0]
        assert str(paid[1]).startswith("2026-11-24 10:05:00")  # left when it last paid
        assert rows(target, "SELECT id, stay_id, amount_cents FROM payments ORDER BY id") == [(1, paid[0], 1235), (2, paid[0], 30)]

    db = connect(target)
    try:
        booth = make_booth(db, clock)
        states = {s.spot_number: "occupied" if s.state == "overstay" else s.state for s in booth.spot_states()}
        for plate, (spot, status) in stays.items():
            on_site = booth.open_stay_for(plate)
            assert (on_site is not None) == (status == "open")
            if spot is not None:
                assert states[spot] == ("occupied" if status == "open" else "free")
        jane = booth.open_stay_for("AB12CDE")
        if untyped:  # as reported: set its type, and it is charged like any other
            execute(target, "UPDATE stays SET vehicle_type = 'car'")
        assert booth.quote(jane.stay_id).total > 0
        assert booth.register("NE11CAR", "New Driver", "07400 123456", "car").spot == new_spot  # the first free one
        booth.pay(jane.stay_id, "card")
        assert booth.open_stay_for("AB12CDE") is None
        if stays["AB12CDE"][0] is not None:  # paid: its spot is free again
            assert {s.spot_number: s.state for s in booth.spot_states()}["A01"] == "free"
    finally:
        db.close()
    if rounded:  # the run record keeps what was reported
        found = json.loads(rows(target, "SELECT findings FROM maintenance_runs WHERE command = 'migrate' ORDER BY id DESC")[0][0])
        assert {"level": "warning", "code": "amount_not_cents", "message": ROUNDED} in found


def test_rates_typed_in_the_plan_are_kept(kiosk_cli, target):
    plan_site(target, "1.3.0")
    assert cli(kiosk_cli, target, "adopt").code == 0 and cli(kiosk_cli, target, "migrate").code in (0, 4)
    got = rows(target, "SELECT vehicle_type, rate_per_hour, minimum_hours FROM parking_rates ORDER BY id")
    assert [(t, float(r), m) for t, r, m in got] == [("car", 2.5, 1), ("van", 4.0, 2)]


def test_migrate_refuses_rows_that_1_5_0_would_delete_or_misread_until_resolved(kiosk_cli, target):
    plan_site(target, "1.3.0")
    execute(target, "INSERT INTO parking_rates (vehicle_type, rate_per_hour) VALUES ('car', 3.00)",
            "UPDATE parking_spots SET is_occupied = FALSE WHERE spot_number = 'B01'")
    assert cli(kiosk_cli, target, "adopt").code == 0
    dry = cli(kiosk_cli, target, "adopt", "--dry-run")
    assert dry.code == 3 and "already has kiosk history" in dry.err
    before = state(target)
    r = cli(kiosk_cli, target, "migrate")
    assert r.code == 3, r.out + r.err
    err = one_line(r.err)
    assert "pre-flight check(s) failed (data)" in err and "nothing was changed" in err
    assert "parking_rates" not in err  # the second rate is the data-loss check's (below), not refused here
    assert "spot 'B01': marked free" in err and "UPDATE parking_spots SET is_occupied = TRUE WHERE spot_number IN ('B01')" in err
    assert "VN55VAN" not in r.out + r.err  # ids and spots only: a plate in the run record would outlive the retention
    assert state(target) == before
    execute(target, "UPDATE parking_spots SET is_occupied = TRUE WHERE spot_number IN ('B01')")
    before = state(target)
    # 1.5.0 keeps the newest rate for a type and deletes the older one: only with the operator's word.
    r = cli(kiosk_cli, target, "migrate")
    assert r.code == 3 and "parking_rates 1 row(s)" in one_line(r.err) and "--allow-data-loss" in one_line(r.err)
    assert state(target) == before
    r = cli(kiosk_cli, target, "migrate", "--allow-data-loss")
    assert r.code in (0, 4) and f"schema version {LATEST}" in r.out, r.out + r.err
    assert rows(target, "SELECT vehicle_type FROM parking_rates ORDER BY id") == [("van",), ("car",)]
    assert "schema 1.5.0 keeps one rate per vehicle type, the newest (id 3)" in " ".join(r.out.split())


def test_rows_1_5_0_reads_its_own_way_are_reported(kiosk_cli, target):
    plan_site(target, "1.3.0")
    execute(
        target,
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, vehicle_type, parking_spot, payment_status) VALUES "
        "('OLD1', 'A', '+447700900001', 'car', 'A01', 'pending'), ('ODD2', 'B', '+447700900002', 'car', 'Z99', 'Paid')",
        "INSERT INTO parking_spots (spot_number, vehicle_type, is_occupied) VALUES ('C01', 'car', TRUE)",
    )
    assert cli(kiosk_cli, target, "adopt").code == 0
    r = cli(kiosk_cli, target, "migrate")
    assert r.code == 4, r.out + r.err
    out = " ".join(r.out.split())
    assert "vehicle 5: payment_status 'Paid' is neither 'paid' nor 'pending'" in out
    assert "vehicle 1: not paid, and a newer unpaid car holds the same spot" in out  # AB12CDE, superseded by OLD1
    assert "vehicle 5: the stay stays open on a spot that is not in parking_spots" in out
    assert "spot 'C01': marked occupied with no unpaid car there" in out
    assert rows(target, "SELECT status, closed_reason FROM stays WHERE vehicle_id = 1") == [("departed", "other")]


@pytest.mark.sqlite_only  # PostgreSQL's NUMERIC(10,2) cannot hold them
def test_amounts_and_rates_that_are_not_whole_cents_are_reported_not_rounded_silently(kiosk_cli, target):
    plan_site(target, "1.3.0")
    execute(target, "INSERT INTO payments (vehicle_id, amount, payment_status) VALUES (2, 1.005, 'paid'), (2, 'ten', 'paid')",
            "UPDATE parking_rates SET rate_per_hour = 2.555 WHERE vehicle_type = 'van'")
    assert cli(kiosk_cli, target, "adopt").code == 0
    r = cli(kiosk_cli, target, "migrate")
    assert r.code == 4
    out = " ".join(r.out.split())
    assert ROUNDED in out
    assert "payment 3: amount 1.005 is not a whole number of cents; schema 1.5.0 stores 100 cents (1.00)" in out
    assert "payment 4: amount 'ten' is not a number; schema 1.5.0 stores 0 cents" in out
    assert "rate 2 for 'van' is 2.555 per hour, not an amount in whole cents" in out
    assert rows(target, "SELECT amount_cents FROM payments ORDER BY id") == [(1235,), (30,), (100,), (0,)]
    run = rows(target, "SELECT outcome, findings FROM maintenance_runs WHERE command = 'migrate'")[-1]
    assert run[0] == "warnings" and "payment 4: amount 'ten'" in run[1]


def test_adopting_is_one_transaction(target, clock, monkeypatch):
    build(target, "1.3.0")
    execute(target, "DROP INDEX idx_audit_logs_entity")
    before = state(target)
    real = history.ensure_history

    def then_fail(database):
        real(database)
        raise RuntimeError("killed here")

    monkeypatch.setattr(history, "ensure_history", then_fail)
    db = connect(target)
    try:
        with pytest.raises(RuntimeError, match="killed here"):
            adopting.adopt(target, db, load_migrations(), clock=clock, skip={"backup"})
    finally:
        db.close()
    assert state(target) == before  # the index the repair made is gone again, and no history was left


def test_a_later_backup_of_an_adopted_site_with_its_own_column_order_restores(kiosk_cli, target):
    build(target, order=["1.0.0", "1.2.0", "1.1.0", "1.3.0"])
    assert cli(kiosk_cli, target, "adopt", "--accept", "column-order:vehicles").code == 0
    assert cli(kiosk_cli, target, "migrate").code == 0
    r = cli(kiosk_cli, target, "backup", "--json")
    assert r.code == 0, r.err
    r = cli(kiosk_cli, target, "restore", json.loads(r.out)["path"])
    assert r.code == 0, r.out + r.err
    assert cli(kiosk_cli, target, "check").code == 0


def test_what_the_comparison_treats_as_the_same():
    same = equivalence.canonical
    assert same("is_occupied boolean default false") == same("IS_OCCUPIED BOOLEAN DEFAULT 0")
    assert same("DECIMAL(10, 2) NOT NULL") == same("decimal(10,2) not null")
    assert same("TEXT DEFAULT 'Booth'") != same("TEXT DEFAULT 'BOOTH'")  # a literal keeps its case
    assert same("INTEGER DEFAULT 1") != same("INTEGER DEFAULT 0")
    want = {"table vehicles": "id, plate, spot, status", "table audit_logs": "id, action, entity",
            "column vehicles.id": "INTEGER PRIMARY KEY"}
    have = {"table vehicles": "id, plate, status, spot", "table audit_logs": "id, entity, action",
            "column vehicles.id": "integer primary key"}
    aligned = equivalence.aligned(want, have)
    assert aligned["table vehicles"] == want["table vehicles"] and aligned["column vehicles.id"] == want["column vehicles.id"]
    assert aligned["table audit_logs"] == have["table audit_logs"]  # archived by position: the order matters
    assert equivalence.aligned(want, {**have, "table vehicles": "id, plate, spot"})["table vehicles"] == "id, plate, spot"


def test_plan_version_constant_matches_the_plan():
    from schema_tools import PLAN_VERSIONS

    from kiosk.maintenance.recognise import PLAN_LATEST

    assert PLAN_LATEST == parse_version(PLAN_VERSIONS[-1])


@pytest.mark.parametrize("version", ["1.1.0", "1.2.0"])
def test_a_site_with_no_spot_layout_gets_the_default_one_with_its_cars_spots_occupied(kiosk_cli, target, clock,
                                                                                       make_booth, version):
    plan_site(target, version)
    execute(target, "DELETE FROM parking_spots")  # the cars name their spots; the layout was never typed in
    assert cli(kiosk_cli, target, "adopt").code == 0
    r = cli(kiosk_cli, target, "migrate")
    assert r.code in (0, 4) and f"schema version {LATEST}" in r.out, r.out + r.err
    said = " ".join(r.out.split())
    assert "schema 1.5.0 lays out the default 40 spots" in said and "not in parking_spots" not in said
    on_site = {spot for _plate, (spot, status) in EXPECTED[version][0].items() if status == "open"}
    occupied = {s for (s,) in rows(target, "SELECT spot_number FROM parking_spots WHERE is_occupied = TRUE")}
    assert occupied == on_site and rows(target, "SELECT COUNT(*) FROM parking_spots")[0][0] == 40
    db = connect(target)
    try:
        booth = make_booth(db, clock)
        given = booth.register("NE11CAR", "New Driver", "07400 123456", "car").spot
        assert given not in on_site and given == EXPECTED[version][1]
    finally:
        db.close()
