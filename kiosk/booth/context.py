"""What every rule needs: the database, the clock, and who is writing (for the audit trail)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import peewee as pw

from ..clock import Clock, SystemClock
from ..db import db_proxy
from ..models import AuditLog, SystemConfig
from . import tx


@dataclass
class Context:
    db: pw.Database
    clock: Clock
    booth_override: str | None = None

    @classmethod
    def create(cls, database: pw.Database, clock: Clock | None = None, booth_name: str | None = None) -> "Context":
        # Models are bound through one proxy; a Booth given a database binds them to it.
        if db_proxy.obj is not database:
            db_proxy.initialize(database)
        return cls(db=database, clock=clock or SystemClock(), booth_override=booth_name)

    def now(self) -> dt.datetime:
        return self.clock.now().replace(microsecond=0)

    def write(self, fn):
        return tx.write(self.db, fn)

    def config_row(self) -> SystemConfig:
        row = SystemConfig.select().order_by(SystemConfig.id).first()
        if row is None:  # the plan inserts one; a hand-edited database may have lost it
            self.write(lambda: SystemConfig.create(retention_hours=24, updated_at=self.now()))
            row = SystemConfig.select().order_by(SystemConfig.id).first()
        return row

    def booth_name(self) -> str:
        return self.booth_override or self.config_row().booth_name

    def audit(self, action: str, entity: str, entity_id: object, **details) -> None:
        """One audit row, in the caller's transaction. Callers pass no personal data."""
        payload = {"booth": self.booth_name(), **details}
        AuditLog.insert(
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            timestamp=self.now(),
            details=json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False),
        ).execute()
