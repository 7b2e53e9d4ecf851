"""Model base and the field types shared by every table."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from ..clock import SQLITE_FORMAT, to_utc
from ..db import db_proxy


class UtcDateTimeField(pw.DateTimeField):
    """A UTC timestamp stored as `YYYY-MM-DD HH:MM:SS`, the text CURRENT_TIMESTAMP writes.

    Storing that exact form keeps the plan's `datetime('now', ...)` comparisons
    correct on our rows; Python sees timezone-aware UTC datetimes.
    """

    def db_value(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            return to_utc(value).strftime(SQLITE_FORMAT)
        return value

    def python_value(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            return to_utc(value)
        return value


class BaseModel(pw.Model):
    class Meta:
        database = db_proxy
        legacy_table_names = False
