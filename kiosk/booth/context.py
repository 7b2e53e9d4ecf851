"""What every rule needs: the database, the clock, and who is writing (for the audit trail)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import peewee as pw

from ..backends import Backend, backend_for
from ..clock import Clock, SystemClock
from ..db import db_proxy
from ..models import SystemConfig
from . import tx
from .actors import Actor, Origin
from .localtime import zone_of
from .pins import PinHasher
from .sql import Statement, ts

_SETTINGS = Statement("SELECT retention_hours, booth_name, phone_region, currency_symbol, time_zone "
                      "FROM system_config ORDER BY id LIMIT 1")
# Quoted as peewee quotes it: tools that watch the statements (the crash tests) look for this text.
_AUDIT = Statement('INSERT INTO "audit_logs" ("action", "entity", "entity_id", "timestamp", "details", "staff_id", '
                   '"approver_id", "origin") VALUES (?, ?, ?, ?, ?, ?, ?, ?)')


# Every action an audit row can name, in the order a filter lists them (a test pins it to the callers).
AUDIT_ACTIONS = ("entry", "payment", "refund", "departed", "config", "rate", "spots_add", "spot_retype",
                 "spot_remove", "expire", "archive", "sign_in", "sign_in_failed", "sign_in_locked", "sign_out",
                 "staff_add", "staff_disable", "staff_enable", "staff_rename", "staff_role", "staff_pin_reset",
                 "shift_open", "reason_code", "cash_movement", "shift_count", "shift_signoff", "shift_close",
                 "lost_ticket", "void", "fee_override", "free_exit",
                 "request_add", "request_extend", "request_close", "hold_add", "hold_remove",
                 "subject_find", "subject_export", "subject_erase")

class Settings(NamedTuple):
    """The configuration a per-car call needs, read once per call (`Context.settings`)."""

    retention_hours: int
    booth_name: str  # the Booth's own name when it was given one, else the configured one
    phone_region: str
    currency_symbol: str
    time_zone: str  # '' = this machine's zone; `zone` resolves it

    @property
    def zone(self) -> dt.tzinfo:
        return zone_of(self.time_zone)


@dataclass
class Context:
    db: pw.Database
    clock: Clock
    booth_override: str | None = None
    receipts_dir: Path | None = None  # where receipt files are written and expired; None: none
    auto_size: bool = True  # expiry/archive batches sized by time; False: exactly the configured size
    pins: PinHasher = field(default_factory=PinHasher)  # staff PIN hashes
    actor: Actor | None = None  # who is acting (Booth.signed_in); None: nobody, state changes are refused
    approver_id: int | None = None  # set for one call: the supervisor whose approval it uses
    # This Booth's run (kept by signed_in / signed_out copies): a shift opened by another run was left open.
    session: str = field(default_factory=lambda: uuid.uuid4().hex)
    backend: Backend = field(init=False)  # what differs by database, resolved once

    def __post_init__(self) -> None:
        self.backend = backend_for(self.db)

    @classmethod
    def create(cls, database: pw.Database, clock: Clock | None = None, booth_name: str | None = None,
               receipts_dir: Path | None = None, auto_size: bool = True, pins: PinHasher | None = None) -> "Context":
        from .receipts import default_dir

        # Models are bound through one proxy; a Booth given a database binds them to it.
        if db_proxy.obj is not database:
            db_proxy.initialize(database)
        return cls(db=database, clock=clock or SystemClock(), booth_override=booth_name,
                   receipts_dir=Path(receipts_dir) if receipts_dir is not None else default_dir(database),
                   auto_size=auto_size, pins=pins or PinHasher())

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

    def settings(self) -> Settings:
        """The config row's per-car values in one small query (config_row() builds a model: slower)."""
        row = _SETTINGS.one(self.db)
        if row is None:
            cfg = self.config_row()  # creates the missing row
            row = (cfg.retention_hours, cfg.booth_name, cfg.phone_region, cfg.currency_symbol, cfg.time_zone)
        return Settings(row[0], self.booth_override or row[1], row[2], row[3], row[4] or "")

    def booth_name(self) -> str:
        return self.booth_override or self.config_row().booth_name

    def audit(self, action: str, entity: str, entity_id: object, *, booth: str | None = None,
              as_staff: int | None = None, **details) -> None:
        """One audit row, in the caller's transaction, recording who acted (`actor`'s staff id, the
        approver of an override, the origin). Callers pass no personal data: ids, never names.

        `booth`: the booth name when the caller has already read it (saves reading the config again).
        `as_staff`: the account a sign-in row is about (the booth is not signed in yet).
        """
        payload = {"booth": booth or self.booth_name(), **details}
        actor = self.actor
        staff_id = as_staff if as_staff is not None else actor.staff_id if actor is not None else None
        origin = actor.origin if actor is not None else Origin.TERMINAL  # unbound: a terminal signing in
        _AUDIT.run(self.db, (action, entity, str(entity_id), ts(self.now()),
                             json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False),
                             staff_id, self.approver_id, str(origin)))
