"""Tables added by schema 1.5.0 for the booth's rules: stays and lifecycle runs."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, UtcDateTimeField
from .plan import NOW, Vehicle


class Stay(BaseModel):
    """One visit of a vehicle: where, when, and how it ended. No personal data."""

    id = pw.AutoField()
    vehicle = pw.ForeignKeyField(Vehicle, column_name="vehicle_id", backref="stays")
    vehicle_id: int  # the key's own value, an attribute peewee adds for the field above
    spot_number = pw.TextField(null=True)
    vehicle_type = pw.TextField(null=True)
    entry_timestamp = UtcDateTimeField(constraints=NOW)
    exit_timestamp = UtcDateTimeField(null=True)
    status = pw.TextField(default="open")  # open | paid | departed
    closed_reason = pw.TextField(null=True)
    created_at = UtcDateTimeField(constraints=NOW)
    updated_at = UtcDateTimeField(constraints=NOW)
    note = pw.TextField(null=True)  # 1.8.0: free text, personal data, expires with the stay
    shift_id = pw.IntegerField(null=True)  # 1.10.0: the shift that registered it

    class Meta:
        table_name = "stays"


class LifecycleRun(BaseModel):
    """One expiry or archive run: what it did and how long it held the database."""

    id = pw.AutoField()
    kind = pw.TextField()  # expire | archive
    status = pw.TextField()  # done | stopped | failed
    started_at = UtcDateTimeField()
    finished_at = UtcDateTimeField()
    cutoff = UtcDateTimeField(null=True)
    rows_done = pw.IntegerField(default=0)
    batches = pw.IntegerField(default=0)
    batch_size = pw.IntegerField()
    duration_ms = pw.IntegerField()
    longest_tx_ms = pw.IntegerField()
    booth_name = pw.TextField(null=True)
    message = pw.TextField(null=True)
    held = pw.IntegerField(default=0)  # 1.11.0: rows an expiry run skipped for a legal hold

    class Meta:
        table_name = "lifecycle_runs"


BOOTH_MODELS = [Stay, LifecycleRun]
