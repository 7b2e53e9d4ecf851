"""A person with a history at the car park, for the data-protection tests: several visits of one
plate on different spots, cash and card payments, a refund with a note naming them, receipt files,
a drive-off debt collected at the next visit; beside them a look-alike plate (another person) and
a bystander. Plus the scan that says where any of the person's values is still stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from dbcheck import is_pg
from kiosk.models import LegalHold, PrivacyRequest

PLATE = "AB10CDE"
LOOKALIKE = "AB1OCDE"  # O for 0: another person's car, flagged, never touched
NAME = "Jane Quintessa Doe"
PHONE = "07400 123457"
E164 = "+447400123457"
NOTE = "Jane Quintessa Doe rang from 07400 123457 about the barrier"
OTHER_NAME, OTHER_PHONE = "John Roe", "07400 123458"
BYSTANDER = ("ZZ99ZZZ", "Ann Bystander", "07400 123459")
# Every value that identifies the person, as stored and as typed: none may be left after erasure.
VALUES = (PLATE, NAME, E164, PHONE, "400123457", "Quintessa", NOTE)


@dataclass
class World:
    vehicle_id: int
    stay_ids: list[int] = field(default_factory=list)
    payment_ids: list[int] = field(default_factory=list)
    receipts: list[Path] = field(default_factory=list)
    lookalike_id: int = 0
    debt_stay: int = 0


def build(booth, clock) -> World:
    """The history, through the booth as the window would make it (receipts saved as the terminal does)."""
    first = booth.register(PLATE, NAME, PHONE, "car", "A01")
    w = World(first.vehicle_id, [first.stay_id])
    clock.advance(hours=2)
    paid = booth.pay(first.stay_id, "cash", tendered="20.00")
    w.payment_ids.append(paid.payment_id)
    w.receipts.append(booth.save_receipt(paid))
    clock.advance(hours=5)
    second = booth.register(PLATE, NAME, PHONE, "car", "A07")
    w.stay_ids.append(second.stay_id)
    clock.advance(hours=1, minutes=30)
    card = booth.pay(second.stay_id, "card")
    w.payment_ids.append(card.payment_id)
    w.receipts.append(booth.save_receipt(card))
    refund = booth.refund(card.payment_id, "customer_complaint", NOTE)
    w.payment_ids.append(refund.refund_id)
    clock.advance(hours=4)
    third = booth.register(PLATE, NAME, PHONE, "car", "A12")
    w.stay_ids.append(third.stay_id)
    w.debt_stay = third.stay_id
    clock.advance(hours=3)
    booth.close_departed(third.stay_id, "left_without_paying")  # a drive-off: a debt
    clock.advance(hours=6)
    fourth = booth.register(PLATE, NAME, PHONE, "car", "A20")
    w.stay_ids.append(fourth.stay_id)
    clock.advance(hours=1)
    settled = booth.pay(fourth.stay_id, "card", collect_debts=True)  # the debt collected
    w.payment_ids.append(settled.payment_id)
    w.receipts.append(booth.save_receipt(settled))
    other = booth.register(LOOKALIKE, OTHER_NAME, OTHER_PHONE, "car", "A02")
    w.lookalike_id = other.vehicle_id
    booth.save_receipt(booth.pay(other.stay_id, "card"))
    bystander = booth.register(*BYSTANDER, "car", "A03")
    booth.pay(bystander.stay_id, "cash", tendered="50.00")
    clock.advance(hours=1)
    return w


def log(ref: str, kind: str, status: str = "open", clock=None) -> int:
    """A request in the log, as the request commands leave it (the log's own rules are tested with it)."""
    day = dt.date(2026, 1, 10)
    return int(PrivacyRequest.insert(reference=ref, kind=kind, received_on=day, due_on=dt.date(2026, 2, 10),
                                     status=status, outcome=None if status == "open" else "erased",
                                     closed_at=None if status == "open" else dt.datetime(2026, 1, 11, tzinfo=dt.timezone.utc),
                                     created_at=dt.datetime(2026, 1, 10, tzinfo=dt.timezone.utc),
                                     updated_at=dt.datetime(2026, 1, 10, tzinfo=dt.timezone.utc)).execute())


def hold(clock, *, vehicle_id=None, staff_id=None) -> int:
    return int(LegalHold.insert(vehicle=vehicle_id, staff=staff_id, reason="dispute", placed_at=clock.now()).execute())


def text_columns(db) -> list[tuple[str, str]]:
    """(table, column) of every text column of every table of the kiosk's database."""
    if is_pg(db):
        rows = db.execute_sql(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb') ORDER BY 1, 2").fetchall()
        return [(t, c) for t, c in rows]
    out = []
    for (table,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        for col in db.execute_sql(f'PRAGMA table_info("{table}")').fetchall():
            if (col[2] or "").upper() in ("TEXT", "VARCHAR", "") or "CHAR" in (col[2] or "").upper():
                out.append((table, col[1]))
    return out


def traces(db, values=VALUES) -> list[tuple[str, str, str]]:
    """(table, column, value) wherever any of `values` is stored, in any text column of any table (any case)."""
    found = []
    columns = text_columns(db)
    assert ("audit_logs", "details") in columns and ("privacy_requests", "reference") in columns
    for table, col in columns:
        for value in values:
            sql = f'SELECT COUNT(*) FROM "{table}" WHERE LOWER(CAST("{col}" AS TEXT)) LIKE {db.param}'
            if db.execute_sql(sql, (f"%{value.lower()}%",)).fetchone()[0]:
                found.append((table, col, value))
    return found


def payment_amounts(db) -> dict[int, tuple[int, str]]:
    """Every payments row's id -> (amount_cents, amount as text): what erasure must not change."""
    return {r[0]: (r[1], str(Decimal(str(r[2])).quantize(Decimal("0.01"))))
            for r in db.execute_sql("SELECT id, amount_cents, amount FROM payments ORDER BY id")}
