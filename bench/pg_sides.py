"""One booth on PostgreSQL, two ways: the kiosk's business layer, and bare psycopg doing the same work.

`KioskBooth` is a booth as the terminal runs it: its own connection named after the booth, its
own Booth (booth name), a real sign-in (Argon2 PIN check) and its own open shift.

`BareBooth` sends the statements the kiosk sends for each operation on PostgreSQL, in the same
transactions and round trips (read from peewee's query log and the server's log_statement;
tests/test_bench_booths.py compares the two statement by statement):

- register: the guard's re-read of the person's account and the config read (autocommit), then
  BEGIN, SET LOCAL lock_timeout, the type's rate, the plate's vehicle row FOR UPDATE, the first free
  spot FOR UPDATE SKIP LOCKED, the conditional UPDATE that takes it, the vehicle and stay INSERTs
  (RETURNING id), the booth's open shift, the audit row, COMMIT; then the O/0 I/1 look-alike check.
- look up + fee: the open stay by plate, the stay with its rate; the fee by the kiosk's own pure
  function (kiosk.booth.fees.compute_fee), as oltp.py's SQLite baseline does.
- payment: the account re-read, BEGIN, SET LOCAL lock_timeout, the stay FOR UPDATE OF s, the
  transaction-id check, the config, the shift FOR SHARE, close the stay, the payments row, the
  vehicle, free the spot, the audit row, COMMIT.

What the bare side leaves out is the kiosk's own Python: input validation, peewee, result objects.
A conflict the server reports (serialization failure, deadlock, lock timeout, unique index) is
counted by the caller and the operation run again, as the kiosk's write loop does.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from decimal import Decimal

# Imported with the module, not at the first look-up: 64 processes importing the booth package
# inside the measured window cost more CPU than the window's work (seen: 1.6 cycles/s).
from kiosk.booth.fees import compute_fee

LOCK_TIMEOUT_MS = 9999
STAFF = "SELECT role, disabled_at, purged_at, display_name FROM staff WHERE id = %s"
SETTINGS = ("SELECT retention_hours, booth_name, phone_region, currency_symbol, time_zone "
            "FROM system_config ORDER BY id LIMIT 1")
RATE = ("SELECT rate_per_hour, minimum_hours, grace_minutes, daily_cap_cents, lost_ticket_cents "
        "FROM parking_rates WHERE vehicle_type = %s")
PLATE_ROW = ("SELECT v.id, s.id, s.spot_number, s.entry_timestamp FROM vehicles v LEFT JOIN stays s ON s.vehicle_id = v.id "
             "AND s.status = 'open' WHERE v.number_plate = %s FOR UPDATE OF v")
FIRST_FREE = ("SELECT spot_number FROM parking_spots WHERE vehicle_type = %s AND is_occupied = %s "
              "ORDER BY spot_number LIMIT 1")
TAKE = "UPDATE parking_spots SET is_occupied = %s, updated_at = %s WHERE spot_number = %s AND is_occupied = %s"
NEW_VEHICLE = ("INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, created_at, updated_at, "
               "vehicle_type, parking_spot, payment_status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL) RETURNING id")
OPEN_SHIFT = "SELECT id, session, opened_by, opened_at FROM shifts WHERE booth_name = %s AND status = 'open'"
NEW_STAY = ("INSERT INTO stays (vehicle_id, spot_number, vehicle_type, entry_timestamp, status, created_at, updated_at, "
            "shift_id) VALUES (%s, %s, %s, %s, 'open', %s, %s, %s) RETURNING id")
AUDIT = ('INSERT INTO "audit_logs" ("action", "entity", "entity_id", "timestamp", "details", "staff_id", "approver_id", '
         '"origin") VALUES (%s, %s, %s, %s, %s, %s, %s, %s)')
LOOKALIKES = ("SELECT v.number_plate FROM stays s JOIN vehicles v ON v.id = s.vehicle_id WHERE s.status = 'open' "
              "AND v.number_plate IN ({})")
OPEN_BY_PLATE = ("SELECT s.id, s.vehicle_type, s.spot_number, s.entry_timestamp, "
                 "(SELECT retention_hours FROM system_config ORDER BY id LIMIT 1) FROM vehicles v JOIN stays s "
                 "ON s.vehicle_id = v.id AND s.status = 'open' WHERE v.number_plate = %s")
STAY_TO_QUOTE = ("SELECT s.id, s.status, s.exit_timestamp, s.entry_timestamp, s.vehicle_type, r.id, r.rate_per_hour, "
                 "r.minimum_hours, r.grace_minutes, r.daily_cap_cents FROM stays s LEFT JOIN parking_rates r "
                 "ON r.vehicle_type = s.vehicle_type WHERE s.id = %s")
STAY_TO_PAY = ("SELECT s.id, s.status, s.exit_timestamp, s.entry_timestamp, s.vehicle_type, r.id, r.rate_per_hour, "
               "r.minimum_hours, r.grace_minutes, r.daily_cap_cents, s.vehicle_id, s.spot_number, v.number_plate "
               "FROM stays s JOIN vehicles v ON v.id = s.vehicle_id LEFT JOIN parking_rates r "
               "ON r.vehicle_type = s.vehicle_type WHERE s.id = %s FOR UPDATE OF s")
BY_TRANSACTION = "SELECT id, stay_id, payment_method, refund_of FROM payments WHERE transaction_id = %s"
SHIFT_FOR_MONEY = ("SELECT id, session, opened_by, opened_at, counted_cash_cents FROM shifts WHERE booth_name = %s "
                   "AND status = 'open' FOR SHARE")
CLOSE = "UPDATE stays SET status = 'paid', exit_timestamp = %s, updated_at = %s WHERE id = %s AND status = 'open'"
NEW_PAYMENT = ("INSERT INTO payments (vehicle_id, stay_id, amount, amount_cents, payment_status, payment_method, "
               "transaction_id, created_at, tendered_cents, change_cents, rate_cents, minimum_hours, minutes, "
               "hours_started, hours_charged, grace_minutes, daily_cap_cents, booth_name, shift_id, exception, reason, "
               "waived_cents, debt_cents) VALUES (%s, %s, %s, %s, 'paid', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
               "%s, %s, %s, %s, %s, %s, %s) RETURNING id")
VEHICLE_PAID = "UPDATE vehicles SET payment_status = 'paid', updated_at = %s WHERE id = %s"
RELEASE = "UPDATE parking_spots SET is_occupied = %s, updated_at = %s WHERE spot_number = %s"

UTC = dt.timezone.utc
NAME, PHONE, PHONE_E164 = "Dana Visitor", "07400 123456", "+447400123456"


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


def lookalike_variants(plate: str) -> list[str]:
    options = [("O0" if ch in "O0" else "I1" if ch in "I1" else ch) for ch in plate]
    return sorted({"".join(p) for p in itertools.product(*options)} - {plate})


class BareBooth:
    """Bare psycopg (autocommit, explicit BEGIN/COMMIT as peewee sends them)."""

    def __init__(self, url: str, booth_name: str, staff_id: int, shift_session: str | None = None,
                 trace: list[str] | None = None):
        import psycopg

        self.con = psycopg.connect(url, autocommit=True, options="-c TimeZone=UTC",
                                   application_name=f"bare:{booth_name}")
        self.booth, self.staff_id, self.trace = booth_name, staff_id, trace
        # The booth's own shift, opened as the kiosk opens one (the money needs it).
        self.session = shift_session or uuid.uuid4().hex
        if shift_session is None:
            self.con.execute("INSERT INTO shifts (booth_name, status, session, opened_by, opened_at, float_cents) "
                             "VALUES (%s, 'open', %s, %s, %s, 10000)", (booth_name, self.session, staff_id, _ts(_now())))

    def _q(self, sql: str, params=None):
        if self.trace is not None:
            self.trace.append(sql)
        return self.con.execute(sql, params)

    def _tx(self, fn):
        self._q("BEGIN")
        try:
            self._q(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
            out = fn()
            self._q("COMMIT")
            return out
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def register(self, plate: str, name: str = NAME, phone: str = PHONE, vtype: str = "car") -> int:
        q = self._q
        q(STAFF, (self.staff_id,)).fetchone()
        q(SETTINGS).fetchone()

        def change() -> int:
            q(RATE, (vtype,)).fetchone()
            now = _ts(_now())
            if q(PLATE_ROW, (plate,)).fetchone() is not None:
                raise RuntimeError(f"{plate} is already known")
            while True:
                row = q(FIRST_FREE + " FOR UPDATE SKIP LOCKED", (vtype, False)).fetchone()
                if row is None:
                    row = q(FIRST_FREE + " FOR UPDATE", (vtype, False)).fetchone()
                if row is None:
                    raise RuntimeError("the car park is full")
                if q(TAKE, (True, now, row[0], False)).rowcount == 1:
                    break
            spot = row[0]
            vid = q(NEW_VEHICLE, (plate, name, PHONE_E164, now, now, now, vtype, spot)).fetchone()[0]
            shift = q(OPEN_SHIFT, (self.booth,)).fetchone()
            sid = q(NEW_STAY, (vid, spot, vtype, now, now, now, shift[0] if shift else None)).fetchone()[0]
            q(AUDIT, ("entry", "stays", str(sid), now, json.dumps(
                {"booth": self.booth, "returning": False, "spot": spot, "vehicle_id": vid, "vehicle_type": vtype},
                sort_keys=True), self.staff_id, None, "terminal"))
            return sid

        sid = self._tx(change)
        variants = lookalike_variants(plate)
        if variants:
            q(LOOKALIKES.format(", ".join(["%s"] * len(variants))), variants).fetchall()
        return sid

    def lookup(self, plate: str):
        sid = self._q(OPEN_BY_PLATE, (plate,)).fetchone()[0]
        row = self._q(STAY_TO_QUOTE, (sid,)).fetchone()
        cap = None if row[9] is None else Decimal(row[9]) / 100
        return compute_fee(row[3].replace(tzinfo=UTC), _now(), Decimal(row[6]).quantize(Decimal("0.01")), row[7], row[8],
                           cap, vehicle_type=row[4])

    def pay(self, stay_id: int) -> int:
        q = self._q
        q(STAFF, (self.staff_id,)).fetchone()
        txn = uuid.uuid4().hex[:20]

        def change() -> int:
            row = q(STAY_TO_PAY, (stay_id,)).fetchone()
            if row is None or row[1] != "open":
                raise RuntimeError(f"stay {stay_id} is not open")
            q(BY_TRANSACTION, (txn,)).fetchone()
            q(SETTINGS).fetchone()
            shift = q(SHIFT_FOR_MONEY, (self.booth,)).fetchone()
            now = _now()
            at = _ts(now)
            minutes = max(0, int((now - row[3].replace(tzinfo=UTC)).total_seconds()) // 60)
            started = -(-minutes // 60)
            hours = max(row[7] or 0, started)
            rate_cents = int(Decimal(row[6]) * 100)
            cents = hours * rate_cents
            q(CLOSE, (at, at, stay_id))
            pid = q(NEW_PAYMENT, (row[10], stay_id, Decimal(cents) / 100, cents, "card", txn, at, None, None, rate_cents,
                                  row[7], minutes, started, hours, row[8], row[9], self.booth, shift[0], None, None,
                                  None, None)).fetchone()[0]
            q(VEHICLE_PAID, (at, row[10]))
            q(RELEASE, (False, at, row[11]))
            q(AUDIT, ("payment", "payments", str(pid), at, json.dumps(
                {"amount": f"{Decimal(cents) / 100:.2f}", "booth": self.booth, "hours_charged": hours, "method": "card",
                 "rate": f"{Decimal(rate_cents) / 100:.2f}", "stay_id": stay_id}, sort_keys=True),
                self.staff_id, None, "terminal"))
            return pid

        return self._tx(change)

    def close(self) -> None:
        self.con.close()


class KioskBooth:
    """The kiosk's Booth on its own connection, signed in, with its shift open."""

    def __init__(self, url: str, booth_name: str, manager: str, pin: str):
        from kiosk.booth import Booth
        from kiosk.db import connect, resolve_target

        self.database = connect(resolve_target(url), role=booth_name)
        site = Booth(self.database, booth_name=booth_name)
        self.booth = site.signed_in(site.sign_in(manager, pin))
        self.booth.open_shift("100.00")

    def register(self, plate: str, name: str = NAME, phone: str = PHONE, vtype: str = "car") -> int:
        return self.booth.register(plate, name, phone, vtype).stay_id

    def lookup(self, plate: str):
        stay = self.booth.open_stay_for(plate)
        return self.booth.quote(stay.stay_id)

    def pay(self, stay_id: int) -> int:
        return self.booth.pay(stay_id, "card").payment_id

    def close(self) -> None:
        self.database.close()


def retryable(exc: BaseException) -> bool:
    """A conflict the server reports that a booth runs again (the kiosk's backend retries the same)."""
    return getattr(exc, "sqlstate", None) in ("40001", "40P01", "55P03", "23505")
