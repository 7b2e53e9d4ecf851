"""The tables of the migration plan (versions 1.0.0-1.4.0), column for column, plus 1.5.0 columns.

Migrations create the tables; these models only read and write them. Columns
the plan adds in later versions are nullable here, as they are in the schema.
"""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, UtcDateTimeField

# Server-side default, so rows written by the sqlite3 shell get one too.
NOW = [pw.SQL("DEFAULT CURRENT_TIMESTAMP")]


class Vehicle(BaseModel):
    id = pw.AutoField()
    number_plate = pw.TextField(unique=True)
    contact_name = pw.TextField()
    phone_number = pw.TextField()
    entry_timestamp = UtcDateTimeField(constraints=NOW)
    created_at = UtcDateTimeField(constraints=NOW)
    updated_at = UtcDateTimeField(constraints=NOW)
    vehicle_type = pw.TextField(null=True)  # 1.1.0
    parking_spot = pw.TextField(null=True)  # 1.1.0
    payment_status = pw.TextField(null=True)  # 1.2.0
    purged_at = UtcDateTimeField(null=True)  # 1.5.0: personal data removed by expiry

    class Meta:
        table_name = "vehicles"


class SystemConfig(BaseModel):
    id = pw.AutoField()
    retention_hours = pw.IntegerField(constraints=[pw.SQL("DEFAULT 24")])
    updated_at = UtcDateTimeField(constraints=NOW)
    # 1.5.0
    archive_days = pw.IntegerField(default=90)
    booth_name = pw.TextField(default="Booth")
    phone_region = pw.TextField(default="GB")
    currency_symbol = pw.TextField(default="£")
    expiry_batch_size = pw.IntegerField(default=500)
    archive_batch_size = pw.IntegerField(default=1000)
    time_zone = pw.TextField(default="")  # 1.8.0: '' is the machine's zone
    backup_window_days = pw.IntegerField(default=7)  # 1.8.0
    staff_retention_days = pw.IntegerField(default=365)  # 1.9.0: a disabled account's data is kept this long
    lock_minutes = pw.IntegerField(default=5)  # 1.9.0: the terminal locks after this many idle minutes
    variance_threshold_cents = pw.IntegerField(default=500)  # 1.10.0: a bigger cash-up variance needs a supervisor
    denominations = pw.TextField(default="5000,2000,1000,500,200,100,50,20,10,5,2,1")  # 1.10.0: cents, largest first
    printer_kind = pw.TextField(default="none")  # 1.10.0: none | network | usb | serial | file
    printer_target = pw.TextField(default="")  # 1.10.0: host:port, vendor:product, device or file path

    class Meta:
        table_name = "system_config"


class AuditLog(BaseModel):
    id = pw.AutoField()
    action = pw.TextField()
    entity = pw.TextField()
    entity_id = pw.TextField()
    timestamp = UtcDateTimeField(constraints=NOW)
    details = pw.TextField(null=True)
    # 1.9.0: who acted (a staff id, never a name), who approved an override, how the row was made
    staff_id = pw.IntegerField(null=True)
    approver_id = pw.IntegerField(null=True)
    origin = pw.TextField(default="before_sign_in")

    class Meta:
        table_name = "audit_logs"


class AuditLogArchive(BaseModel):
    """1.4.0: same columns, same order as audit_logs, so `INSERT ... SELECT *` works."""

    id = pw.IntegerField(primary_key=True)
    action = pw.TextField()
    entity = pw.TextField()
    entity_id = pw.TextField()
    timestamp = UtcDateTimeField()
    details = pw.TextField(null=True)
    staff_id = pw.IntegerField(null=True)  # 1.9.0, as audit_logs
    approver_id = pw.IntegerField(null=True)
    origin = pw.TextField(default="before_sign_in")

    class Meta:
        table_name = "audit_logs_archive"


class ParkingSpot(BaseModel):
    id = pw.AutoField()
    spot_number = pw.TextField(unique=True)
    vehicle_type = pw.TextField(null=True)
    is_occupied = pw.BooleanField(null=True, default=False)
    created_at = UtcDateTimeField(constraints=NOW)
    updated_at = UtcDateTimeField(constraints=NOW)

    class Meta:
        table_name = "parking_spots"


class Payment(BaseModel):
    id = pw.AutoField()
    vehicle = pw.ForeignKeyField(Vehicle, column_name="vehicle_id", backref="payments")
    vehicle_id: int  # the key's own value, an attribute peewee adds for the field above
    amount = pw.DecimalField(max_digits=10, decimal_places=2)
    payment_status = pw.TextField()
    payment_method = pw.TextField(null=True)
    transaction_id = pw.TextField(unique=True, null=True)
    created_at = UtcDateTimeField(constraints=NOW)
    # 1.5.0: the stay paid for, exact cents (amount is a float on SQLite), the
    # rate and breakdown applied (so later rate changes never rewrite history).
    stay_id = pw.IntegerField(null=True)
    amount_cents = pw.IntegerField(null=True)
    refund_of = pw.IntegerField(null=True)
    tendered_cents = pw.IntegerField(null=True)
    change_cents = pw.IntegerField(null=True)
    rate_cents = pw.IntegerField(null=True)
    minimum_hours = pw.IntegerField(null=True)
    minutes = pw.IntegerField(null=True)
    hours_started = pw.IntegerField(null=True)
    hours_charged = pw.IntegerField(null=True)
    grace_minutes = pw.IntegerField(null=True)
    daily_cap_cents = pw.IntegerField(null=True)
    booth_name = pw.TextField(null=True)
    # 1.10.0
    shift_id = pw.IntegerField(null=True)  # the shift that took it
    exception = pw.TextField(null=True)  # lost_ticket | override | void
    reason = pw.TextField(null=True)  # the exception's reason code
    waived_cents = pw.IntegerField(null=True)  # an override: the fee not charged
    debt_cents = pw.IntegerField(null=True)  # debts collected within this payment's amount

    class Meta:
        table_name = "payments"


class ParkingRate(BaseModel):
    id = pw.AutoField()
    vehicle_type = pw.TextField()
    rate_per_hour = pw.DecimalField(max_digits=10, decimal_places=2)
    minimum_hours = pw.IntegerField(null=True, default=1)
    created_at = UtcDateTimeField(constraints=NOW)
    updated_at = UtcDateTimeField(constraints=NOW)
    grace_minutes = pw.IntegerField(default=0)  # 1.5.0
    daily_cap_cents = pw.IntegerField(null=True)  # 1.5.0
    lost_ticket_cents = pw.IntegerField(null=True)  # 1.10.0: None = a day's fee at the rate

    class Meta:
        table_name = "parking_rates"


PLAN_MODELS = [Vehicle, SystemConfig, AuditLog, AuditLogArchive, ParkingSpot, Payment, ParkingRate]
