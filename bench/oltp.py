"""A car through the booth: register, look up + fee, pay — the kiosk vs the bare sqlite3 module.

Each side runs on its own copy of the site. The baseline does the same
database work a booth must do, with nothing else: one transaction per car for
register (on-site check, first free spot, take it, vehicle, stay, audit row) and
for payment (close the stay, payment row, vehicle, free the spot, audit row), and
one indexed SELECT for the look-up (its fee computed by the same pure function).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from decimal import Decimal
from pathlib import Path

from .common import Copy, Sample, bare_connect, log
from .generate import plate_of

UTC = dt.timezone.utc
WARMUP = 10
FREE_SPOT_SQL = ("SELECT spot_number FROM parking_spots WHERE vehicle_type = ? AND is_occupied = 0 "
                 "ORDER BY spot_number LIMIT 1")
ON_SITE_SQL = ("SELECT s.id FROM vehicles v JOIN stays s ON s.vehicle_id = v.id AND s.status = 'open' "
               "WHERE v.number_plate = ?")
LOOKUP_SQL = ("SELECT s.id, s.entry_timestamp, s.vehicle_type, r.rate_per_hour, r.minimum_hours, r.grace_minutes, "
              "r.daily_cap_cents FROM vehicles v JOIN stays s ON s.vehicle_id = v.id AND s.status = 'open' "
              "JOIN parking_rates r ON r.vehicle_type = s.vehicle_type WHERE v.number_plate = ?")
STAY_SQL = ("SELECT s.vehicle_id, s.spot_number, s.entry_timestamp, r.rate_per_hour, r.minimum_hours FROM stays s "
            "JOIN parking_rates r ON r.vehicle_type = s.vehicle_type WHERE s.id = ? AND s.status = 'open'")
HOT_SQL = {"free spot": FREE_SPOT_SQL, "on-site check": ON_SITE_SQL, "open stay by plate": LOOKUP_SQL,
           "stay to pay": STAY_SQL}


def now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def new_cars(n: int, offset: int = 0) -> list[tuple[str, str, str, str]]:
    """(plate, name, phone, type) of cars not on the site (plates of another residue than the generator's)."""
    return [(plate_of((offset + i) * 7 + 5), "Dana Visitor", f"07400 {100000 + (offset + i) % 900000}", "car")
            for i in range(n)]


def open_sample(path: Path, n: int, seed: int = 3) -> list[tuple[int, str]]:
    con = bare_connect(path)
    rows = con.execute("SELECT s.id, v.number_plate FROM stays s JOIN vehicles v ON v.id = s.vehicle_id "
                       "WHERE s.status = 'open' ORDER BY s.id").fetchall()
    con.close()
    return random.Random(seed).sample(rows, min(n, len(rows)))


def capacity(path: Path) -> int:
    """Free car spots: how many cars one run can register."""
    con = bare_connect(path)
    try:
        return con.execute("SELECT COUNT(*) FROM parking_spots WHERE vehicle_type = 'car' AND is_occupied = 0").fetchone()[0]
    finally:
        con.close()


# --------------------------------------------------------------------------- baseline
class Bare:
    def __init__(self, path: Path):
        self.con = bare_connect(path)

    def register(self, plate, name, phone, vtype) -> int:
        c = self.con
        now = now_text()
        c.execute("BEGIN IMMEDIATE")
        try:
            if c.execute(ON_SITE_SQL, (plate,)).fetchone():
                raise RuntimeError("on site")
            spot = c.execute(FREE_SPOT_SQL, (vtype,)).fetchone()[0]
            c.execute("UPDATE parking_spots SET is_occupied = 1, updated_at = ? WHERE spot_number = ? AND is_occupied = 0",
                      (now, spot))
            vid = c.execute("INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, created_at, "
                            "updated_at, vehicle_type, parking_spot) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (plate, name, "+44" + phone.replace(" ", "")[1:], now, now, now, vtype, spot)).lastrowid
            sid = c.execute("INSERT INTO stays (vehicle_id, spot_number, vehicle_type, entry_timestamp, status, created_at, "
                            "updated_at) VALUES (?, ?, ?, ?, 'open', ?, ?)", (vid, spot, vtype, now, now, now)).lastrowid
            c.execute("INSERT INTO audit_logs (action, entity, entity_id, timestamp, details) VALUES ('entry', 'stays', ?, ?, ?)",
                      (str(sid), now, json.dumps({"booth": "Booth", "spot": spot, "vehicle_id": vid, "vehicle_type": vtype})))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return sid

    def lookup(self, plate):
        from kiosk.booth.fees import compute_fee

        row = self.con.execute(LOOKUP_SQL, (plate,)).fetchone()
        entry = dt.datetime.strptime(row[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        cap = None if row[6] is None else Decimal(row[6]) / 100
        return compute_fee(entry, dt.datetime.now(UTC).replace(microsecond=0), Decimal(str(row[3])).quantize(Decimal("0.01")),
                           row[4], row[5], cap, vehicle_type=row[2])

    def pay(self, stay_id) -> int:
        c = self.con
        now = now_text()
        c.execute("BEGIN IMMEDIATE")
        try:
            vid, spot, entry, rate, minimum = c.execute(STAY_SQL, (stay_id,)).fetchone()
            minutes = max(0, (int(time.time()) - int(dt.datetime.strptime(entry, "%Y-%m-%d %H:%M:%S")
                                                      .replace(tzinfo=UTC).timestamp())) // 60)
            hours = max(minimum or 0, -(-minutes // 60))
            cents = hours * round(rate * 100)
            c.execute("UPDATE stays SET status = 'paid', exit_timestamp = ?, updated_at = ? WHERE id = ? AND status = 'open'",
                      (now, now, stay_id))
            pid = c.execute("INSERT INTO payments (vehicle_id, stay_id, amount, amount_cents, payment_status, payment_method, "
                            "transaction_id, created_at, rate_cents, minutes, hours_charged, booth_name) "
                            "VALUES (?, ?, ?, ?, 'paid', 'card', ?, ?, ?, ?, ?, 'Booth')",
                            (vid, stay_id, cents / 100, cents, f"bare-{stay_id}", now, round(rate * 100), minutes,
                             hours)).lastrowid
            c.execute("UPDATE vehicles SET payment_status = 'paid', updated_at = ? WHERE id = ?", (now, vid))
            c.execute("UPDATE parking_spots SET is_occupied = 0, updated_at = ? WHERE spot_number = ?", (now, spot))
            c.execute("INSERT INTO audit_logs (action, entity, entity_id, timestamp, details) VALUES ('payment', 'payments', ?, ?, ?)",
                      (str(pid), now, json.dumps({"booth": "Booth", "stay_id": stay_id, "method": "card",
                                                  "amount": f"{cents / 100:.2f}"})))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return pid


# --------------------------------------------------------------------------- subject
BENCH_MANAGER, BENCH_PIN = "Bench Manager", "24681357"


class Kiosk:
    def __init__(self, path: Path):
        from kiosk.booth import Booth
        from kiosk.db import connect, resolve_target

        self.database = connect(resolve_target(str(path)))
        # As the terminal acts: for a person signed in with their name and PIN (each change reads
        # their account once, to check it is still active and what its role is).
        site = Booth(self.database)
        if site.needs_first_manager():
            actor = site.create_first_manager(BENCH_MANAGER, BENCH_PIN)
        else:
            actor = site.sign_in(BENCH_MANAGER, BENCH_PIN)
        self.booth = site.signed_in(actor)
        if self.booth.current_shift() is None:  # money is taken within a shift, as at a real booth
            self.booth.open_shift("100.00")

    def register(self, plate, name, phone, vtype):
        return self.booth.register(plate, name, phone, vtype).stay_id

    def lookup(self, plate):
        stay = self.booth.open_stay_for(plate)
        return self.booth.quote(stay.stay_id)

    def pay(self, stay_id):
        return self.booth.pay(stay_id, "card").payment_id


def run_sides(sides: dict, cars, lookups, payments) -> dict[str, dict[str, Sample]]:
    """Each operation on every side in turn (baseline, then kiosk), so both meet the same disk weather:
    fsync times on this kind of machine drift by 10x within a minute."""
    out = {name: {k: Sample() for k in ("register", "lookup", "payment")} for name in sides}
    for key, items, call in (("register", cars, lambda s, x: s.register(*x)), ("lookup", lookups, lambda s, x: s.lookup(x[1])),
                             ("payment", payments, lambda s, x: s.pay(x[0]))):
        for i, item in enumerate(items):
            for name, side in sides.items():
                t0 = time.perf_counter()
                call(side, item)
                if i >= WARMUP:
                    out[name][key].add(time.perf_counter() - t0)
    return out


def measure(site: Path, n: int) -> dict[str, dict[str, Sample]]:
    """Register n cars, look up n open stays and pay n of them, on each side's own copy."""
    n = min(n, capacity(site) - WARMUP - 2)
    sample = open_sample(site, 2 * (n + WARMUP))
    n = min(n, len(sample) // 2 - WARMUP)
    lookups, payments = sample[: n + WARMUP], sample[n + WARMUP:]
    cars = new_cars(n + WARMUP)
    with Copy(site, "oltp-baseline") as base_path, Copy(site, "oltp-kiosk") as kiosk_path:
        log("  car through the booth: baseline and kiosk, interleaved")
        bare, kiosk = Bare(base_path), Kiosk(kiosk_path)
        try:
            return run_sides({"baseline": bare, "kiosk": kiosk}, cars, lookups, payments)
        finally:
            # Close before the copies are deleted: a connection left to the garbage collector
            # kept the deleted 5 GB file open, and freeing it stalled the NEXT figure's first
            # commit by 0.6-6.7 s (found with gc.callbacks).
            bare.con.close()
            kiosk.database.close()
