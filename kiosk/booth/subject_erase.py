"""Erasure on request: the person's data removed now, as expiry would remove it later.

A vehicle keeps its row (payments reference it) reduced to its id: plate '~<id>', contact name and
phone '', purged_at set; its visits' notes go, and the receipt files of its visits. Payments stay as
they are, amounts unchanged, now anonymous. Kept, and said why: a car on site now, an unpaid
debt, a legal hold in force (counted), look-alike plates (another vehicle). A staff account is
reduced to its id as staff retention does, and only once it is disabled.

One transaction per subject; the files go after the commit (files are not transactional). A kill
between leaves files whose vehicle is already purged: `stats` flags them as outliving, and running
the same erasure again deletes them (the request's earlier erasures are read back from the audit
trail), so a retry is safe and finishes the job.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import peewee as pw

from ..models import AuditLog, AuditLogArchive, Debt, Payment, Staff, Stay, Vehicle
from . import holds
from .context import Context
from .privacy_results import ErasureReport, Kept
from .results import StayStatus
from .staff import PURGED_PREFIX
from .subject_find import mentions, receipt_paths
from .subject_match import SubjectMatch


def _earlier_vehicles(request_id: int) -> set[int]:
    """Vehicles erased under this request before (their files may have outlived a kill)."""
    found: set[int] = set()
    for model in (AuditLog, AuditLogArchive):
        rows = model.select(model.details).where((model.action == "subject_erase") & (model.entity == "privacy_requests")
                                                 & (model.entity_id == str(request_id)))
        for r in rows:
            try:
                found.update(int(v) for v in json.loads(r.details or "{}").get("vehicles", []))
            except (ValueError, TypeError, AttributeError):  # a hand-edited row: nothing to learn from it
                continue
    return found


def _delete(paths: list[Path]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    gone, left = [], []
    for p in paths:
        try:
            p.unlink()
            gone.append(str(p))
        except FileNotFoundError:  # another run took it first
            gone.append(str(p))
        except OSError:
            left.append(str(p))
    return tuple(gone), tuple(left)


def _vehicles(ctx: Context, match: SubjectMatch, request, dry_run: bool) -> ErasureReport:
    kind = match.selector.kind

    def change() -> ErasureReport:
        now = ctx.now()
        query = Vehicle.select(Vehicle.id).where(Vehicle.id.in_(list(match.vehicle_ids)) & Vehicle.purged_at.is_null())
        live = sorted(r.id for r in (query if dry_run else ctx.backend.locked(query)))
        on_site = sorted({s.vehicle_id for s in Stay.select(Stay.vehicle_id).where(
            Stay.vehicle.in_(live) & (Stay.status == StayStatus.OPEN))}) if live else []
        rest = [v for v in live if v not in on_site]
        owing = sorted({d.vehicle_id for d in Debt.select(Debt.vehicle_id).where(
            Debt.vehicle.in_(rest) & Debt.settled_by.is_null())}) if rest else []
        rest = [v for v in rest if v not in owing]
        held = sorted(holds.held_vehicle_ids(ctx, rest)) if rest else []
        erase = [v for v in rest if v not in held]
        stays = Stay.select().where(Stay.vehicle.in_(erase)).count() if erase else 0
        notes = Stay.select().where(Stay.vehicle.in_(erase) & Stay.note.is_null(False)).count() if erase else 0
        paid = [p.id for p in Payment.select(Payment.id).where(Payment.vehicle.in_(erase)).order_by(Payment.id)] if erase else []
        own = {s.id for s in Stay.select(Stay.id).where(Stay.vehicle.in_(list(match.vehicle_ids)))}
        kept = [Kept(what, tuple(ids)) for what, ids in (("payments", paid), ("on_site", on_site), ("debt", owing),
                                                          ("hold", held), ("lookalike", match.lookalike_ids),
                                                          ("mentions", mentions(match, own))) if ids]
        if not dry_run:
            if erase:
                token = pw.Value("~").concat(pw.Cast(Vehicle.id, "TEXT"))
                Vehicle.update(number_plate=token, contact_name="", phone_number="", purged_at=now, updated_at=now).where(
                    Vehicle.id.in_(erase) & Vehicle.purged_at.is_null()).execute()
                Stay.update(note=None).where(Stay.vehicle.in_(erase) & Stay.note.is_null(False)).execute()
            ctx.audit("subject_erase", "privacy_requests", request.id, request=request.reference, kind=kind,
                      vehicles=erase, stays=stays, notes=notes, payments_kept=len(paid), on_site=len(on_site),
                      debts=len(owing), held=len(held), lookalikes=len(match.lookalike_ids))
        return ErasureReport(request.reference, kind, dry_run, now, vehicles=tuple(erase), stays=stays, notes=notes,
                             kept=tuple(kept))

    # Read before the change: the person's first visit says which backups may hold them.
    firsts = [s.entry_timestamp for s in Stay.select(Stay.entry_timestamp).where(Stay.vehicle.in_(list(match.vehicle_ids)))]
    report = change() if dry_run else ctx.write(change)
    files = receipt_paths(ctx, ctx.receipts_dir, sorted(set(report.vehicles) | _earlier_vehicles(request.id)))
    gone: tuple[str, ...]
    left: tuple[str, ...]
    if dry_run:
        gone, left = tuple(str(p) for p in files), ()
    else:
        gone, left = _delete(files)  # after the commit
    return replace(report, receipts=gone, receipts_left=left, first_seen=min(firsts) if firsts else None)


def _staff(ctx: Context, match: SubjectMatch, request, dry_run: bool) -> ErasureReport:
    sid = match.staff_ids[0]

    def change() -> ErasureReport:
        now = ctx.now()
        query = Staff.select().where((Staff.id == sid) & Staff.purged_at.is_null())
        row = (query if dry_run else ctx.backend.locked(query)).first()
        kept: list[Kept] = []
        erased: tuple[int, ...] = ()
        if row is not None and row.disabled_at is None:
            kept.append(Kept("active_account", (sid,)))
        elif row is not None and holds.held_staff_ids(ctx, [sid]):
            kept.append(Kept("hold", (sid,)))
        elif row is not None:
            erased = (sid,)
            if not dry_run:
                token = PURGED_PREFIX + str(sid)
                Staff.update(display_name=token, name_key=token, pin_hash=None, failed_attempts=0, lockouts=0,
                             locked_until=None, last_sign_in_at=None, purged_at=now, updated_at=now).where(
                    (Staff.id == sid) & Staff.purged_at.is_null()).execute()
        if not dry_run:
            ctx.audit("subject_erase", "privacy_requests", request.id, request=request.reference, kind="staff",
                      staff=list(erased), active=int(any(k.what == "active_account" for k in kept)),
                      held=int(any(k.what == "hold" for k in kept)))
        return ErasureReport(request.reference, "staff", dry_run, now, staff=erased, kept=tuple(kept),
                             first_seen=row.created_at if row is not None else None)

    return change() if dry_run else ctx.write(change)


def erase(ctx: Context, match: SubjectMatch, request, dry_run: bool = False) -> ErasureReport:
    """`request`: the open erasure request (RequestRow) this answers."""
    if match.staff_ids:
        return _staff(ctx, match, request, dry_run)
    return _vehicles(ctx, match, request, dry_run)
