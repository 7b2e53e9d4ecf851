"""1.10.0: shifts, cash movements, Z reports, debts and reason codes (no personal data in any of them)."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, UtcDateTimeField
from .plan import Vehicle


class Shift(BaseModel):
    id = pw.AutoField()
    booth_name = pw.TextField()
    status = pw.TextField(default="open")  # open | closed
    session = pw.TextField()  # the terminal run that opened it: another run finds it left open
    opened_by = pw.IntegerField()  # staff id
    opened_at = UtcDateTimeField()
    float_cents = pw.IntegerField()
    float_counts = pw.TextField(null=True)  # JSON {denomination cents: count}; None: counted as a total
    closed_by = pw.IntegerField(null=True)
    closed_at = UtcDateTimeField(null=True)
    counted_cash_cents = pw.IntegerField(null=True)
    counted_counts = pw.TextField(null=True)
    card_batch_cents = pw.IntegerField(null=True)
    expected_cash_cents = pw.IntegerField(null=True)
    expected_card_cents = pw.IntegerField(null=True)
    variance_cents = pw.IntegerField(null=True)  # counted - expected cash
    card_variance_cents = pw.IntegerField(null=True)  # terminal batch - expected card
    signed_off_by = pw.IntegerField(null=True)  # the supervisor who signed off a variance over the threshold
    signoff_code = pw.TextField(null=True)  # a `variance` reason code

    class Meta:
        table_name = "shifts"


class CashMovement(BaseModel):
    id = pw.AutoField()
    shift = pw.ForeignKeyField(Shift, column_name="shift_id", backref="movements")
    shift_id: int
    kind = pw.TextField()  # drop | payout
    amount_cents = pw.IntegerField()
    reason = pw.TextField()
    staff_id = pw.IntegerField(null=True)
    approver_id = pw.IntegerField(null=True)
    created_at = UtcDateTimeField()

    class Meta:
        table_name = "cash_movements"


class ZReport(BaseModel):
    id = pw.AutoField()
    booth_name = pw.TextField()
    number = pw.IntegerField()  # 1, 2, 3 ... per booth, no gap
    shift = pw.ForeignKeyField(Shift, column_name="shift_id", unique=True)
    shift_id: int
    created_at = UtcDateTimeField()
    period_start = UtcDateTimeField()
    period_end = UtcDateTimeField()
    payments_count = pw.IntegerField()
    net_cents = pw.IntegerField()  # the sum of every payments row of the shift (refunds, voids negative)
    cash_cents = pw.IntegerField()
    card_cents = pw.IntegerField()
    refunds_cents = pw.IntegerField()
    voids_cents = pw.IntegerField()
    waived_cents = pw.IntegerField()
    drops_cents = pw.IntegerField()
    payouts_cents = pw.IntegerField()
    float_cents = pw.IntegerField()
    expected_cash_cents = pw.IntegerField()
    counted_cash_cents = pw.IntegerField()
    variance_cents = pw.IntegerField()
    expected_card_cents = pw.IntegerField()
    card_batch_cents = pw.IntegerField()
    cars_in = pw.IntegerField()
    cars_out = pw.IntegerField()
    body = pw.TextField()  # the whole report as JSON

    class Meta:
        table_name = "z_reports"
        indexes = ((("booth_name", "number"), True),)


class Debt(BaseModel):
    id = pw.AutoField()
    vehicle = pw.ForeignKeyField(Vehicle, column_name="vehicle_id", backref="debts")
    vehicle_id: int
    stay_id = pw.IntegerField(unique=True)
    amount_cents = pw.IntegerField()
    created_at = UtcDateTimeField()
    shift_id = pw.IntegerField(null=True)
    staff_id = pw.IntegerField(null=True)
    settled_by = pw.IntegerField(null=True)  # the payment that collected it
    settled_at = UtcDateTimeField(null=True)

    class Meta:
        table_name = "debts"


class ReasonCode(BaseModel):
    id = pw.AutoField()
    kind = pw.TextField()  # refund | departed | void | override | payout | drop | variance | lost_ticket
    code = pw.TextField()
    label = pw.TextField()
    note_allowed = pw.BooleanField(default=False)
    active = pw.BooleanField(default=True)
    position = pw.IntegerField(default=0)

    class Meta:
        table_name = "reason_codes"


SHIFT_MODELS = [Shift, CashMovement, ZReport, Debt, ReasonCode]
