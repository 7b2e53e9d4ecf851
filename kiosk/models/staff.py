"""1.9.0: staff accounts. Personal data (the name, the PIN's hash) until retention reduces the row to its id."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, UtcDateTimeField
from .plan import NOW


class Staff(BaseModel):
    id = pw.AutoField()
    display_name = pw.TextField()  # as typed; '~<id>' once purged
    name_key = pw.TextField(unique=True)  # case-folded display_name: names are unique whatever their case
    role = pw.TextField()  # attendant | supervisor | manager
    pin_hash = pw.TextField(null=True)  # an Argon2id encoded string; None once purged
    failed_attempts = pw.IntegerField(default=0)  # wrong PINs since the last lock or sign-in
    lockouts = pw.IntegerField(default=0)  # locks in a row: each lasts twice the one before
    locked_until = UtcDateTimeField(null=True)
    disabled_at = UtcDateTimeField(null=True)  # set: the account is disabled
    last_sign_in_at = UtcDateTimeField(null=True)
    purged_at = UtcDateTimeField(null=True)  # set: reduced to its id by retention
    created_at = UtcDateTimeField(constraints=NOW)
    updated_at = UtcDateTimeField(constraints=NOW)

    class Meta:
        table_name = "staff"


STAFF_MODELS = [Staff]
