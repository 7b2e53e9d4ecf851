"""Every place a person appears: their vehicles and visits, payments, debts, notes, receipt files,
holds and the audit rows about those records; or, for staff, the account and its audit rows.

Read only (the find's own audit row is the facade's). Backups are not the booth's to know: the
command adds them (kiosk.commands.subject).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import peewee as pw

from ..models import AuditLog, AuditLogArchive, Debt, LegalHold, Payment, Staff, Stay, Vehicle
from ..receipt_files import scan, select_files
from .context import Context
from .money import from_cents
from .phones import significant_digits
from .privacy_results import (AuditEntry, DebtEntry, HoldEntry, PaymentEntry, ReceiptEntry, StaffEntry, StayEntry,
                              SubjectReport, VehicleEntry)
from .subject_match import SubjectMatch, name_form

_NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)  # receipt files of unknown stay are never the person's


def _ids(values) -> list[str]:
    return [str(v) for v in values]


def receipt_paths(ctx: Context, directory: Path | None, vehicle_ids: list[int]) -> list[Path]:
    """The receipt files on this machine of the vehicles' stays (found by their stay, as expiry does)."""
    if not vehicle_ids:
        return []
    where = f"v.id IN ({', '.join('?' * len(vehicle_ids))})"
    return select_files(ctx.db, directory, _NEVER, where, tuple(vehicle_ids))


def _receipts(ctx: Context, vehicle_ids: list[int]) -> tuple[ReceiptEntry, ...]:
    paths = set(receipt_paths(ctx, ctx.receipts_dir, vehicle_ids))
    if not paths:
        return ()
    stay_of = {}
    for f in scan(ctx.receipts_dir):
        stay_of[f.path] = f
    return tuple(ReceiptEntry(str(p), stay_of[p].stay_id, stay_of[p].paid_at) for p in sorted(paths) if p in stay_of)


def _audit(where_live, where_archive) -> tuple[AuditEntry, ...]:
    out = [AuditEntry("audit_logs", r.id, r.action, r.timestamp)
           for r in AuditLog.select(AuditLog.id, AuditLog.action, AuditLog.timestamp).where(where_live)
           .order_by(AuditLog.id)]
    out += [AuditEntry("audit_logs_archive", r.id, r.action, r.timestamp)
            for r in AuditLogArchive.select(AuditLogArchive.id, AuditLogArchive.action, AuditLogArchive.timestamp)
            .where(where_archive).order_by(AuditLogArchive.id)]
    return tuple(out)


def _about_records(model, stay_ids: list[int], payment_ids: list[int], vehicle_ids: list[int]):
    cond = pw.Value(False)
    for entity, ids in (("stays", stay_ids), ("payments", payment_ids), ("vehicles", vehicle_ids)):
        if ids:
            cond = cond | ((model.entity == entity) & model.entity_id.in_(_ids(ids)))
    return cond


def _about_staff(model, sid: int):
    return (model.staff_id == sid) | (model.approver_id == sid) | ((model.entity == "staff") & (model.entity_id == str(sid)))


def _holds(where) -> tuple[HoldEntry, ...]:
    rows = LegalHold.select().where(where & LegalHold.released_at.is_null()).order_by(LegalHold.id)
    return tuple(HoldEntry(h.id, h.vehicle_id, h.staff_id, h.reason, h.until_on, h.placed_at) for h in rows)


def mentions(match: SubjectMatch, own: set[int]) -> tuple[int, ...]:
    """Other visits whose note names the person (a plate, a phone's digits, a name typed in free
    text): flagged for the operator to judge, never acted on (the note is another person's record)."""
    kind, value = match.selector.kind, match.selector.value
    if kind == "staff":
        return ()
    if kind == "phone":  # typed any way: compare the significant digits ('07400 123457' and '+44 7400 123457')
        needle = significant_digits(value)
        form = lambda text: "".join(ch for ch in text if ch.isdigit())  # noqa: E731
    elif kind == "plate":
        needle, form = value, lambda text: "".join(text.split()).upper()  # noqa: E731
    else:
        needle, form = value, name_form
    rows = Stay.select(Stay.id, Stay.note).where(Stay.note.is_null(False)).order_by(Stay.id).tuples()
    return tuple(sid for sid, note in rows.iterator() if sid not in own and needle and needle in form(note))


def staff_entry(row: Staff) -> StaffEntry:
    return StaffEntry(row.id, row.display_name, row.role, row.created_at, row.last_sign_in_at, row.disabled_at)


def find(ctx: Context, match: SubjectMatch) -> SubjectReport:
    now = ctx.now()
    lookalikes = tuple((v.id, v.number_plate) for v in Vehicle.select(Vehicle.id, Vehicle.number_plate)
                       .where(Vehicle.id.in_(list(match.lookalike_ids))).order_by(Vehicle.id)) if match.lookalike_ids else ()
    if match.staff_ids:
        rows = list(Staff.select().where(Staff.id.in_(list(match.staff_ids)) & Staff.purged_at.is_null()).order_by(Staff.id))
        if not rows:
            return SubjectReport(match.selector.kind, now)
        sid = rows[0].id
        return SubjectReport(match.selector.kind, now, staff=tuple(staff_entry(r) for r in rows),
                             holds=_holds(LegalHold.staff == sid),
                             audit=_audit(_about_staff(AuditLog, sid), _about_staff(AuditLogArchive, sid)),
                             first_seen=min(r.created_at for r in rows))
    vids = list(match.vehicle_ids)
    if not vids:
        return SubjectReport(match.selector.kind, now, lookalike_ids=lookalikes, namesake_ids=match.staff_namesakes,
                             mentioned_in=mentions(match, set()))
    vehicles = tuple(VehicleEntry(v.id, v.number_plate, v.contact_name, v.phone_number, v.vehicle_type, v.created_at,
                                  v.purged_at is not None)
                     for v in Vehicle.select().where(Vehicle.id.in_(vids)).order_by(Vehicle.id))
    stays = tuple(StayEntry(s.id, s.vehicle_id, s.entry_timestamp, s.exit_timestamp, s.spot_number, s.vehicle_type,
                            s.status, s.closed_reason, s.note)
                  for s in Stay.select().where(Stay.vehicle.in_(vids)).order_by(Stay.entry_timestamp, Stay.id))
    payments = tuple(
        PaymentEntry(p.id, p.vehicle_id, p.stay_id,
                     from_cents(p.amount_cents) if p.amount_cents is not None else Decimal(str(p.amount)).quantize(Decimal("0.01")),
                     p.payment_method, p.payment_status, p.created_at, p.refund_of, p.exception, p.reason)
        for p in Payment.select().where(Payment.vehicle.in_(vids)).order_by(Payment.created_at, Payment.id))
    debts = tuple(DebtEntry(d.id, d.vehicle_id, d.stay_id, from_cents(d.amount_cents), d.created_at,
                            d.settled_by is not None)
                  for d in Debt.select().where(Debt.vehicle.in_(vids)).order_by(Debt.id))
    stay_ids, pay_ids = [s.id for s in stays], [p.id for p in payments]
    audit = _audit(_about_records(AuditLog, stay_ids, pay_ids, vids),
                   _about_records(AuditLogArchive, stay_ids, pay_ids, vids))
    first = min([s.entry_at for s in stays] + [v.registered_at for v in vehicles])
    return SubjectReport(match.selector.kind, now, vehicles=vehicles, stays=stays, payments=payments, debts=debts,
                         holds=_holds(LegalHold.vehicle.in_(vids)), receipts=_receipts(ctx, vids), audit=audit,
                         lookalike_ids=lookalikes, namesake_ids=match.staff_namesakes, first_seen=first,
                         mentioned_in=mentions(match, set(stay_ids)))
