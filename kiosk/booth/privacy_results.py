"""What subject find, export and erase return: plain frozen dataclasses, each with its JSON form.

A `SubjectReport` holds the person's data itself (plates, names, phones, notes): it is for the
operator's screen and the export file only, never for the audit trail. Rows that only look like
the person's (look-alike plates, staff namesakes) are listed by id so the operator can judge;
their own data is not in the export, which goes to the person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal


def _t(moment: dt.datetime | dt.date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return f"{moment.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
    return moment.isoformat()


def _day(moment: dt.datetime | None) -> str:
    return "-" if moment is None else f"{moment.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class VehicleEntry:
    id: int
    plate: str
    contact_name: str
    phone: str
    vehicle_type: str | None
    registered_at: dt.datetime
    purged: bool

    def to_json(self) -> dict:
        return {"id": self.id, "plate": self.plate, "contact_name": self.contact_name, "phone": self.phone,
                "vehicle_type": self.vehicle_type, "registered_at": _t(self.registered_at), "purged": self.purged}


@dataclass(frozen=True)
class StayEntry:
    id: int
    vehicle_id: int
    entry_at: dt.datetime
    exit_at: dt.datetime | None
    spot: str | None
    vehicle_type: str | None
    status: str
    closed_reason: str | None
    note: str | None

    def to_json(self) -> dict:
        return {"id": self.id, "vehicle_id": self.vehicle_id, "entry_at": _t(self.entry_at), "exit_at": _t(self.exit_at),
                "spot": self.spot, "vehicle_type": self.vehicle_type, "status": self.status,
                "closed_reason": self.closed_reason, "note": self.note}


@dataclass(frozen=True)
class PaymentEntry:
    id: int
    vehicle_id: int
    stay_id: int | None
    amount: Decimal
    method: str | None
    status: str
    created_at: dt.datetime
    refund_of: int | None
    exception: str | None
    reason: str | None

    def to_json(self) -> dict:
        return {"id": self.id, "vehicle_id": self.vehicle_id, "stay_id": self.stay_id, "amount": str(self.amount),
                "method": self.method, "status": self.status, "created_at": _t(self.created_at),
                "refund_of": self.refund_of, "exception": self.exception, "reason": self.reason}


@dataclass(frozen=True)
class DebtEntry:
    id: int
    vehicle_id: int
    stay_id: int
    amount: Decimal
    created_at: dt.datetime
    settled: bool

    def to_json(self) -> dict:
        return {"id": self.id, "vehicle_id": self.vehicle_id, "stay_id": self.stay_id, "amount": str(self.amount),
                "created_at": _t(self.created_at), "settled": self.settled}


@dataclass(frozen=True)
class HoldEntry:
    id: int
    vehicle_id: int | None
    staff_id: int | None
    reason: str
    until_on: dt.date | None
    placed_at: dt.datetime

    def to_json(self) -> dict:
        return {"id": self.id, "vehicle_id": self.vehicle_id, "staff_id": self.staff_id, "reason": self.reason,
                "until_on": _t(self.until_on), "placed_at": _t(self.placed_at)}


@dataclass(frozen=True)
class ReceiptEntry:
    path: str
    stay_id: int | None
    paid_at: dt.datetime

    def to_json(self) -> dict:
        return {"path": self.path, "stay_id": self.stay_id, "paid_at": _t(self.paid_at)}


@dataclass(frozen=True)
class AuditEntry:
    """Audit rows about the person's rows (ids only in them): live and archived."""

    table: str  # audit_logs | audit_logs_archive
    id: int
    action: str
    timestamp: dt.datetime

    def to_json(self) -> dict:
        return {"table": self.table, "id": self.id, "action": self.action, "timestamp": _t(self.timestamp)}


@dataclass(frozen=True)
class StaffEntry:
    id: int
    name: str
    role: str
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None
    disabled_at: dt.datetime | None

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, "created_at": _t(self.created_at),
                "last_sign_in_at": _t(self.last_sign_in_at), "disabled_at": _t(self.disabled_at)}


@dataclass(frozen=True)
class BackupEntry:
    """A backup that may hold the person (taken after their first recorded entry), until rotation deletes it."""

    path: str
    taken_at: dt.datetime
    rotated_by: dt.datetime  # taken + retention + backup window

    def to_json(self) -> dict:
        return {"path": self.path, "taken_at": _t(self.taken_at), "rotated_by": _t(self.rotated_by)}


def _about_others(line: str) -> bool:
    """A summary line about other people's rows (left out of the export, which goes to the person)."""
    return "look-alike" in line or "with this name" in line or "of other visits" in line


def _by_action(audit: tuple[AuditEntry, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in audit:
        out[a.action] = out.get(a.action, 0) + 1
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class SubjectReport:
    """Every place the person appears (find), and what an export file holds."""

    kind: str  # the selector's kind: plate | phone | name | staff
    at: dt.datetime
    vehicles: tuple[VehicleEntry, ...] = ()
    stays: tuple[StayEntry, ...] = ()
    payments: tuple[PaymentEntry, ...] = ()
    debts: tuple[DebtEntry, ...] = ()
    holds: tuple[HoldEntry, ...] = ()
    receipts: tuple[ReceiptEntry, ...] = ()
    audit: tuple[AuditEntry, ...] = ()
    staff: tuple[StaffEntry, ...] = ()
    lookalike_ids: tuple[tuple[int, str], ...] = ()  # (vehicle id, plate): another person's, flagged only
    namesake_ids: tuple[int, ...] = ()  # staff accounts with the contact name searched for
    mentioned_in: tuple[int, ...] = ()  # other visits whose note names them: another person's record, flagged
    first_seen: dt.datetime | None = None  # the person's first recorded entry (or account creation)
    backups: tuple[BackupEntry, ...] = ()  # filled by the command (it knows where backups are)
    request: str | None = None  # the request an export answers

    @property
    def empty(self) -> bool:
        return not (self.vehicles or self.staff)

    def with_backups(self, backups: tuple[BackupEntry, ...]) -> SubjectReport:
        return replace(self, backups=backups)

    def summary(self) -> list[str]:
        if self.empty:
            lines = [f"nothing held: no row with this {self.kind} still holds personal data"]
        else:
            lines = []
            for v in self.vehicles:
                lines.append(f"vehicle #{v.id}: plate {v.plate}, contact {v.contact_name}, phone {v.phone}, "
                             f"type {v.vehicle_type or '-'}, first registered {_day(v.registered_at)}")
            for s in self.staff:
                state = f"disabled {_day(s.disabled_at)}" if s.disabled_at else "active"
                lines.append(f"staff account #{s.id}: {s.name}, {s.role}, created {_day(s.created_at)}, "
                             f"last sign-in {_day(s.last_sign_in_at)}, {state}")
            if self.vehicles:
                notes = sum(1 for s in self.stays if s.note)
                lines.append(f"{len(self.stays)} visit(s) from {_day(min(s.entry_at for s in self.stays))}"
                             f" to {_day(max(s.entry_at for s in self.stays))}, {notes} with a note"
                             if self.stays else "no visits recorded")
                total = sum((p.amount for p in self.payments), Decimal("0.00"))
                refunds = sum(1 for p in self.payments if p.refund_of is not None)
                lines.append(f"{len(self.payments)} payment row(s) ({refunds} refund(s)), net {total}")
                unpaid = [d for d in self.debts if not d.settled]
                lines.append(f"{len(self.debts)} drive-off debt(s), {len(unpaid)} unpaid")
                lines.append(f"{len(self.receipts)} receipt file(s) on this machine")
            held = [h for h in self.holds]
            lines.append(f"{len(held)} legal hold(s) in force" + (": " + ", ".join(h.reason for h in held) if held else ""))
            by_action = _by_action(self.audit)
            lines.append(f"{len(self.audit)} audit row(s) about these records (ids only)"
                         + (": " + ", ".join(f"{a} {n}" for a, n in by_action.items()) if by_action else ""))
        if self.lookalike_ids:
            lines.append(f"{len(self.lookalike_ids)} look-alike plate(s) (O/0, I/1) not included: "
                         + ", ".join(f"#{i} {p}" for i, p in self.lookalike_ids))
        if self.namesake_ids:
            lines.append(f"{len(self.namesake_ids)} staff account(s) with this name not included: "
                         + ", ".join(f"#{i}" for i in self.namesake_ids))
        if self.mentioned_in:
            lines.append(f"{len(self.mentioned_in)} note(s) of other visits mention them (visits "
                         + ", ".join(f"#{i}" for i in self.mentioned_in) + "): another person's record, not included")
        if self.backups:
            lines.append(f"{len(self.backups)} backup(s) may still hold them, each deleted by rotation: "
                         + "; ".join(f"{b.path} (rotated by {_day(b.rotated_by)})" for b in self.backups))
        elif not self.empty:
            lines.append("no backup taken since their first visit")
        return lines

    def export_summary(self) -> list[str]:
        """The summary without the lines about other people's rows."""
        return [line for line in self.summary() if not _about_others(line)]

    def to_json(self, *, export: bool = False) -> dict:
        """`export`: the file for the person, so other people's rows (look-alikes, namesakes) are counted only."""
        out: dict[str, object] = {
            "summary": self.export_summary() if export else self.summary(),
            "kind": self.kind, "at": _t(self.at), "request": self.request,
            "found": not self.empty, "first_seen": _t(self.first_seen),
            "vehicles": [v.to_json() for v in self.vehicles],
            "stays": [s.to_json() for s in self.stays],
            "payments": [p.to_json() for p in self.payments],
            "debts": [d.to_json() for d in self.debts],
            "holds": [h.to_json() for h in self.holds],
            "receipts": [r.to_json() for r in self.receipts],
            "staff": [s.to_json() for s in self.staff],
            "audit": {"count": len(self.audit), "by_action": _by_action(self.audit),
                      "rows": [a.to_json() for a in self.audit]},
            "backups": [b.to_json() for b in self.backups],
        }
        if export:
            out["others_not_included"] = {"lookalike_plates": len(self.lookalike_ids),
                                          "staff_namesakes": len(self.namesake_ids),
                                          "notes_of_other_visits": len(self.mentioned_in)}
        else:
            out["lookalikes"] = [{"vehicle_id": i, "plate": p} for i, p in self.lookalike_ids]
            out["staff_namesakes"] = list(self.namesake_ids)
            out["mentioned_in_notes"] = list(self.mentioned_in)
        return out


# Why something was not erased: the code in the JSON, the reason shown.
KEPT_REASONS = {
    "payments": "a financial record: amounts unchanged, now anonymous (linked to an erased vehicle)",
    "on_site": "a car on site now (an open stay): refused for this vehicle; erase again after it leaves",
    "debt": "an unpaid drive-off debt: a reason to keep the plate (Art. 17(3)(e)); erase again once it is settled",
    "hold": "a legal hold in force: skipped; erase again once the hold is removed",
    "active_account": "an active staff account: disable it first ('kiosk --maintenance staff disable NAME')",
    "lookalike": "a plate that only looks alike (O/0, I/1): another vehicle, never touched",
    "mentions": "a note of another visit mentions them: another person's record, not changed; review it",
}


@dataclass(frozen=True)
class Kept:
    what: str  # a KEPT_REASONS code
    ids: tuple[int, ...]  # vehicle, payment or staff ids

    @property
    def reason(self) -> str:
        return KEPT_REASONS[self.what]

    def to_json(self) -> dict:
        return {"what": self.what, "ids": list(self.ids), "reason": self.reason}


@dataclass(frozen=True)
class ErasureReport:
    request: str
    kind: str
    dry_run: bool
    at: dt.datetime
    vehicles: tuple[int, ...] = ()  # erased (or, dry run, to be)
    stays: int = 0  # visits of those vehicles (kept, they hold no personal data once the note is gone)
    notes: int = 0
    receipts: tuple[str, ...] = ()  # files deleted (dry run: to delete)
    receipts_left: tuple[str, ...] = ()  # files that could not be deleted (said, and flagged by `stats`)
    staff: tuple[int, ...] = ()
    kept: tuple[Kept, ...] = ()
    first_seen: dt.datetime | None = None
    backups: tuple[BackupEntry, ...] = field(default=())

    @property
    def refused(self) -> int:
        """Rows of the person left holding data (not counting payments, which never hold any)."""
        return sum(len(k.ids) for k in self.kept if k.what not in ("payments", "lookalike", "mentions"))

    @property
    def held(self) -> int:
        return sum(len(k.ids) for k in self.kept if k.what == "hold")

    def with_backups(self, backups: tuple[BackupEntry, ...]) -> ErasureReport:
        return replace(self, backups=backups)

    def summary(self) -> list[str]:
        verb = "would erase" if self.dry_run else "erased"
        lines = []
        if not (self.vehicles or self.staff or self.refused):
            lines.append("nothing held: no row of this person still holds personal data (already erased or expired)")
        if self.vehicles:
            lines.append(f"{verb} vehicle(s) {', '.join(f'#{i}' for i in self.vehicles)}: plate, contact name and "
                         f"phone removed; {self.stays} visit(s) kept without them, {self.notes} note(s) removed")
        if self.receipts or self.vehicles:
            lines.append(f"{verb} {len(self.receipts)} receipt file(s)")
        if self.receipts_left:
            lines.append(f"could not delete {len(self.receipts_left)} receipt file(s): " + ", ".join(self.receipts_left))
        if self.staff:
            lines.append(f"{verb} staff account(s) {', '.join(f'#{i}' for i in self.staff)}: reduced to the id")
        for k in self.kept:
            lines.append(f"kept {len(k.ids)} {k.what.replace('_', ' ')} ({', '.join(f'#{i}' for i in k.ids)}): {k.reason}")
        for b in self.backups:
            lines.append(f"backup {b.path} (taken {_day(b.taken_at)}) may still hold them: backups are not "
                         f"rewritten; rotation deletes it by {_day(b.rotated_by)}")
        return lines

    def to_json(self) -> dict:
        return {"summary": self.summary(), "request": self.request, "kind": self.kind, "dry_run": self.dry_run,
                "at": _t(self.at), "erased": {"vehicles": list(self.vehicles), "stays": self.stays, "notes": self.notes,
                                              "receipts": list(self.receipts), "staff": list(self.staff)},
                "receipts_left": list(self.receipts_left), "kept": [k.to_json() for k in self.kept],
                "held": self.held, "refused": self.refused, "first_seen": _t(self.first_seen),
                "backups": [b.to_json() for b in self.backups]}
