"""1.11.0: the data-protection request log and legal holds (ids and codes only, no personal data)."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, UtcDateTimeField
from .plan import Vehicle
from .staff import Staff


class PrivacyRequest(BaseModel):
    id = pw.AutoField()
    reference = pw.TextField(unique=True)  # the operator's own case reference, never personal data
    kind = pw.TextField()  # access | erasure | rectification
    received_on = pw.DateField()
    due_on = pw.DateField()  # received + one calendar month (+ extended_months)
    extended_months = pw.IntegerField(default=0)  # 0..2
    extension_reason = pw.TextField(null=True)  # an extension reason code; set when extended
    status = pw.TextField(default="open")  # open | done | refused
    outcome = pw.TextField(null=True)  # a code saying how it ended
    closed_at = UtcDateTimeField(null=True)
    staff_id = pw.IntegerField(null=True)  # who logged it
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()

    class Meta:
        table_name = "privacy_requests"


class LegalHold(BaseModel):
    id = pw.AutoField()
    vehicle = pw.ForeignKeyField(Vehicle, column_name="vehicle_id", null=True)
    vehicle_id: int | None
    staff = pw.ForeignKeyField(Staff, column_name="staff_id", null=True)
    staff_id: int | None
    reason = pw.TextField()  # a hold reason code
    until_on = pw.DateField(null=True)  # review date: past it, an alert (the hold stays until removed)
    request = pw.ForeignKeyField(PrivacyRequest, column_name="request_id", null=True)
    request_id: int | None
    placed_by = pw.IntegerField(null=True)  # staff id
    placed_at = UtcDateTimeField()
    released_by = pw.IntegerField(null=True)
    released_at = UtcDateTimeField(null=True)  # None: in force

    class Meta:
        table_name = "legal_holds"


PRIVACY_MODELS = [PrivacyRequest, LegalHold]
