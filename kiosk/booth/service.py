"""`Booth`: the one object the terminal, the maintenance commands and the tests call.

Each method validates its input, types included (a flag is a bool, a time carries its
zone), and raises only BoothError for bad input or a refused action, a database
constraint the rules did not foresee included; every change is one transaction with its audit row. A lost
PostgreSQL connection (server restarted, network cut) is a BoothError too, and
the next call opens a fresh connection.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import peewee as pw

from ..clock import Clock
from ..errors import ErrorCode
from . import config as _config
from . import audit_archive, entry, payments, reasons, receipts, reports, retention, spots, tx
from .actors import Actor, Permission, Role
from .context import AUDIT_ACTIONS, Context
from .errors import BoothError
from .guard import allows, anyone, authorise, declared, needs, require_person
from .exceptions_facade import ExceptionsFacade
from .holds_facade import HoldsFacade
from .people import PeopleFacade
from .requests_facade import RequestsFacade
from .shift_facade import ShiftFacade
from .subject_facade import SubjectFacade
from .pins import PinHasher
from .fees import FeeBreakdown
from .phones import format_phone as _format_phone
from .plates import PlateReading
from .plates import normalise_plate as _normalise_plate
from .plates import read_plate as _read_plate
from .reasons import ReasonChoice
from .validate import check_flag
from .results import (AuditRow, Config, DebtRow, MapStates, Occupancy, OpenStay, PaymentRow, Rate, Receipt, Refund,
                      Registration, RunReport, SpotState, StayRow)


CONFLICT = ("another record already holds one of these values (a booth may have just made it): nothing was changed; "
            "look the vehicle or payment up and try again")


def _guarded(method):
    permission = getattr(method, "permission", None)
    needs_person = getattr(method, "person", False)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            if permission is not None:  # before anything else: a refused caller learns nothing from the input
                acting = authorise(self._ctx, permission)
                if acting is not None:  # this call uses a supervisor's approval: its audit rows name them
                    self = self._view(acting)
            elif needs_person:
                require_person(self._ctx)
            return method(self, *args, **kwargs)
        except BoothError:
            raise
        except pw.IntegrityError:
            # A unique or foreign key the rules did not foresee: the transaction was rolled back whole.
            raise BoothError(CONFLICT, code=ErrorCode.CONFLICT) from None
        except Exception as exc:
            if tx.connection_lost(self._ctx.db, exc):
                raise BoothError(tx.LOST, code=ErrorCode.CONNECTION_LOST) from None
            raise

    return call


class Booth(PeopleFacade, ShiftFacade, ExceptionsFacade, RequestsFacade, HoldsFacade, SubjectFacade):
    def __init__(self, database: pw.Database, clock: Clock | None = None, booth_name: str | None = None,
                 receipts_dir: Path | None = None, auto_size: bool = True, *, actor: Actor | None = None,
                 pin_hasher: PinHasher | None = None):
        """`receipts_dir`: where receipt files go and expire (default: `receipts/` beside a SQLite file).
        `auto_size=False`: every expiry/archive batch is exactly the configured size, whatever the
        machine's speed (deterministic batch counts).
        `actor`: who acts (default nobody: every state-changing call is refused until `signed_in`);
        the headless commands pass `HEADLESS`. `pin_hasher`: how PINs are hashed (tests: cheaper)."""
        self._ctx = Context.create(database, clock, booth_name, receipts_dir, auto_size, pin_hasher)
        if actor is not None:
            self._ctx.actor = self._checked_actor(actor)


    @property
    def database(self) -> pw.Database:
        return self._ctx.db

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    @property
    def receipts_dir(self) -> Path | None:
        return self._ctx.receipts_dir

    @receipts_dir.setter
    def receipts_dir(self, folder: Path | None) -> None:
        self._ctx.receipts_dir = None if folder is None else Path(folder)

    # --- entry ---------------------------------------------------------------
    @needs(Permission.REGISTER)
    def register(self, plate, contact_name, phone, vehicle_type, spot=None) -> Registration:
        return entry.register(self._ctx, plate, contact_name, phone, vehicle_type, spot)

    @anyone
    def normalise_plate(self, raw) -> str:
        return _normalise_plate(raw)

    @anyone
    def read_plate(self, raw) -> PlateReading:
        """The plate and any letter read as another (e.g. 'ı → I'), to show before registering."""
        return _read_plate(raw)

    @anyone
    def format_phone(self, raw) -> tuple[str, str]:
        return _format_phone(raw, self._ctx.settings().phone_region)

    @anyone
    def vehicle_types(self) -> list[str]:
        return spots.vehicle_types(self._ctx)

    @anyone
    def suggest_spot(self, vehicle_type) -> str | None:
        return spots.suggest_spot(self._ctx, vehicle_type)

    @anyone
    def default_vehicle_type(self) -> str | None:
        """The type a fresh entry form starts on: the last car registered at any booth, if its type
        still exists, else the first type; None when there are no types."""
        types = self.vehicle_types()
        last = reports.recent_audit(self._ctx, 1, action="entry")  # any booth, any person
        chosen = last[0].details.get("vehicle_type") if last else None
        return chosen if chosen in types else (types[0] if types else None)

    @anyone
    def free_counts(self) -> dict[str, tuple[int, int]]:
        return spots.free_counts(self._ctx)

    @anyone
    def open_stay_for(self, plate) -> OpenStay | None:
        return entry.open_stay_for(self._ctx, plate)

    @anyone
    def open_stays(self, prefix="", limit=20) -> list[OpenStay]:
        return entry.open_stays(self._ctx, prefix, limit)

    @anyone
    def lookalikes(self, plate) -> list[str]:
        return entry.lookalikes(self._ctx, _normalise_plate(plate))

    # --- fees and payments ---------------------------------------------------
    @anyone
    def quote(self, stay_id, at: dt.datetime | None = None) -> FeeBreakdown:
        return payments.quote(self._ctx, stay_id, at)

    @anyone
    def new_transaction_id(self) -> str:
        """An id to pay with: minted when a stay is picked, so a retried payment is recorded once."""
        return payments.new_transaction_id()

    @needs(Permission.PAY)
    def pay(self, stay_id, method, tendered=None, transaction_id=None, collect_debts=False) -> Receipt:
        """`collect_debts`: the vehicle's unpaid drive-offs (Registration.debts, debts_for) are added to
        the amount and settled by this payment."""
        return payments.pay(self._ctx, stay_id, method, tendered, transaction_id, collect_debts)

    @needs(Permission.REFUND)
    def refund(self, payment_id, reason, note=None, reopen: bool = False) -> Refund:
        """`reason`: a 'refund' reason code (reason_codes('refund')); `note`: optional free text, only with a
        code that allows one, kept with the stay (expires with it)."""
        return payments.refund(self._ctx, payment_id, reason, note, reopen)

    @needs(Permission.RECEIPT)
    def save_receipt(self, receipt: Receipt) -> Path | None:
        """Write the receipt's file into receipts_dir (None: no folder configured)."""
        if not isinstance(receipt, Receipt):
            raise BoothError("a receipt is written from the Receipt a payment returned", field="receipt")
        if self._ctx.receipts_dir is None:
            return None
        try:
            return receipts.write_receipt(self._ctx.receipts_dir, receipt)
        except OSError as exc:
            raise BoothError(f"the receipt file could not be written in {self._ctx.receipts_dir} "
                             f"({exc.strerror or exc}); the payment itself is recorded", field="receipt") from exc

    @anyone
    def recent_payments(self, limit=20) -> list[PaymentRow]:
        return payments.recent_payments(self._ctx, limit)

    @needs(Permission.CLOSE_DEPARTED)
    def close_departed(self, stay_id, reason, note=None) -> DebtRow | None:
        """`reason`: a 'departed' reason code; `note`: optional free text, only with a code that allows one,
        kept with the stay (expires with it). left_without_paying: the fee is recorded as a debt of the
        vehicle, returned (other reasons: None)."""
        return payments.close_departed(self._ctx, stay_id, reason, note)

    # --- reason codes ----------------------------------------------------------
    @anyone
    def reason_codes(self, kind, include_retired=False) -> list[ReasonChoice]:
        """The codes an attendant picks for `kind` (refund, departed, void, override, payout, drop,
        variance, lost_ticket): the shipped list with the site's edits, in order."""
        flag = check_flag(include_retired, "include_retired", "include_retired")
        return reasons.choices(self._ctx, kind, flag)

    @needs(Permission.CONFIGURE)
    def set_reason_code(self, kind, code, label, note_allowed=False, active=True) -> ReasonChoice:
        """Add a code, relabel one, or retire it (active=False); codes are never deleted."""
        return reasons.set_reason_code(self._ctx, kind, code, label, note_allowed, active)

    # --- spots ---------------------------------------------------------------
    @anyone
    def spot_states(self) -> list[SpotState]:
        return spots.spot_states(self._ctx, entry.overstay_before(self._ctx))

    @anyone
    def spot_state(self, spot) -> SpotState | None:
        """One spot's state as spot_states gives it; None when there is no such spot."""
        if not isinstance(spot, str):
            raise BoothError("a spot is named by its number, e.g. A07", field="spot")
        found = spots.spot_states(self._ctx, entry.overstay_before(self._ctx), spot)
        return found[0] if found else None

    @anyone
    def map_states(self) -> MapStates:
        """Every spot's number, type and state, for polling: two reads compare whole (spots.map_states)."""
        return spots.map_states(self._ctx, entry.overstay_before(self._ctx))

    @needs(Permission.SPOTS)
    def add_spots(self, range_text, vehicle_type) -> list[str]:
        return spots.add_spots(self._ctx, range_text, vehicle_type)

    @needs(Permission.SPOTS)
    def retype_spot(self, spot, vehicle_type) -> None:
        spots.retype_spot(self._ctx, spot, vehicle_type)

    @needs(Permission.SPOTS)
    def remove_spot(self, spot) -> None:
        spots.remove_spot(self._ctx, spot)

    # --- configuration -------------------------------------------------------
    @anyone
    def config(self) -> Config:
        return _config.read_config(self._ctx)

    @needs(Permission.CONFIGURE)
    def update_config(self, **fields) -> Config:
        return _config.update_config(self._ctx, **fields)

    @needs(Permission.CONFIGURE)
    def set_rate(self, vehicle_type, rate_per_hour, minimum_hours=1, grace_minutes=0, daily_cap=None,
                 lost_ticket=None) -> Rate:
        """`lost_ticket`: the flat fee when a plate with a lost ticket is not on record (None: a day at
        the rate, capped by the daily cap)."""
        return _config.set_rate(self._ctx, vehicle_type, rate_per_hour, minimum_hours, grace_minutes, daily_cap,
                                lost_ticket)

    # --- retention -----------------------------------------------------------
    @anyone
    def expiry_preview(self, retention_hours) -> int:
        return retention.expiry_preview(self._ctx, retention_hours)

    @needs(Permission.RUN_RETENTION)
    def expire(self, batch_size=None, progress=None, should_stop=None) -> RunReport:
        return retention.expire(self._ctx, batch_size, progress, should_stop)

    @needs(Permission.RUN_RETENTION)
    def archive(self, batch_size=None, progress=None, should_stop=None) -> RunReport:
        return audit_archive.archive(self._ctx, batch_size, progress, should_stop)

    @anyone
    def last_runs(self, limit=10) -> list[RunReport]:
        return retention.last_runs(self._ctx, limit)

    # --- reports -------------------------------------------------------------
    @anyone
    def occupancy_by_type(self) -> list[Occupancy]:
        return reports.occupancy_by_type(self._ctx)

    @anyone
    def occupancy_through_day(self, day) -> list[tuple[int, int]]:
        return reports.occupancy_through_day(self._ctx, day)

    @anyone
    def revenue_per_day(self, days=14):
        return reports.revenue_per_day(self._ctx, days)

    @anyone
    def overstays(self) -> list[OpenStay]:
        return entry.overstays(self._ctx)

    @anyone
    def recent_stays(self, limit=12) -> list[StayRow]:
        return reports.recent_stays(self._ctx, limit)

    @needs(Permission.VIEW_OWN_ACTIVITY)
    def recent_audit(self, limit=50, action=None, staff_id=None) -> list[AuditRow]:
        """The newest audit rows with who acted and who approved. `staff_id`: one person's rows (made
        or approved). Someone who may not see everyone's activity (an attendant) sees their own."""
        actor = self._ctx.actor
        if not allows(self._ctx, Permission.VIEW_ALL_ACTIVITY):
            assert actor is not None and actor.staff_id is not None  # VIEW_OWN_ACTIVITY: a person
            if staff_id is not None and staff_id != actor.staff_id:
                raise BoothError(f"{actor.name or 'you'} may see only their own activity: everyone's needs a supervisor",
                                 field="staff", code=ErrorCode.FORBIDDEN, needs=str(Role.SUPERVISOR))
            staff_id = actor.staff_id
        return reports.recent_audit(self._ctx, limit, action, staff_id)

    @anyone
    def audit_actions(self) -> tuple[str, ...]:
        """Every action an audit row can name, for a filter."""
        return AUDIT_ACTIONS


# Every public method: its permission checked first (guard.py), and a lost server connection reaches
# the caller as a BoothError. A public method that declares no permission (nor `anyone` / `person`)
# stops the kiosk from loading: a new action cannot skip the role matrix by being forgotten. Every
# mixin in Booth's bases counts, so a new one is guarded by being listed there, nowhere else.
for _cls in (*Booth.__bases__, Booth):
    for _name, _member in list(vars(_cls).items()):
        if callable(_member) and not _name.startswith("_") and not isinstance(_member, (property, classmethod)):
            if not declared(_member):
                raise TypeError(f"Booth.{_name} declares no permission: mark it @needs(Permission.X), @person or @anyone")
            setattr(_cls, _name, _guarded(_member))
del _cls, _name, _member
