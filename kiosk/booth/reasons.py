"""Why money moved or a stay closed: a code from a list, never free text.

The kiosk ships a default list per kind (`DEFAULTS`); the site's own edits are rows of
reason_codes (a row adds a code, relabels one or retires it with active = false; rows are
never deleted, so an old payment's code keeps its label). The audit trail and
stays.closed_reason keep only the code, so nothing an attendant types can put a name, a
plate or a phone number there. Free text goes in the stay's note (text.clean_note), only
with a code that allows one, and expiry removes it with the stay's personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import peewee as pw

from ..models import ReasonCode
from .context import Context
from .errors import BoothError, shown
from .text import clean_label
from .validate import check_flag

KINDS = ("refund", "departed", "void", "override", "payout", "drop", "variance", "lost_ticket")
CODE_RULE = "a reason code is 1 to 32 of a-z, 0-9 and _ (e.g. wrong_vehicle)"
_CODE = re.compile(r"[a-z0-9_]{1,32}", re.ASCII)
LABEL_MAX = 60

# (kind, code, label, a note may be typed with it). 1.8.0's codes first, as that version wrote them.
_SEED = [
    ("refund", "wrong_vehicle", "charged the wrong vehicle", False),
    ("refund", "wrong_amount", "wrong amount charged", False),
    ("refund", "duplicate_charge", "charged twice", False),
    ("refund", "customer_complaint", "customer complaint", True),
    ("refund", "equipment_fault", "equipment fault", False),
    ("refund", "goodwill", "goodwill gesture", True),
    ("refund", "other", "other (say why in the note)", True),
    ("departed", "left_without_paying", "left without paying (a debt on the plate)", True),
    ("departed", "registered_in_error", "registered in error", False),
    ("departed", "vehicle_removed", "vehicle removed (towed)", False),
    ("departed", "paid_elsewhere", "paid elsewhere", False),
    ("departed", "other", "other (say why in the note)", True),
    ("void", "keyed_in_error", "keyed in error", False),
    ("void", "wrong_method", "wrong payment method", False),
    ("void", "wrong_vehicle", "wrong vehicle", False),
    ("void", "other", "other (say why in the note)", True),
    ("override", "emergency_vehicle", "emergency vehicle", False),
    ("override", "staff_vehicle", "staff vehicle", False),
    ("override", "equipment_fault", "equipment fault", False),
    ("override", "goodwill", "goodwill gesture", True),
    ("override", "complaint", "customer complaint", True),
    ("override", "other", "other (say why in the note)", True),
    ("payout", "petty_cash", "petty cash", False),
    ("payout", "supplies", "supplies", False),
    ("payout", "other", "other", False),
    ("drop", "safe_drop", "drop to the safe", False),
    ("drop", "over_limit", "drawer over its limit", False),
    ("variance", "miscount", "miscount", False),
    ("variance", "wrong_change", "wrong change given", False),
    ("variance", "counterfeit", "counterfeit note found", False),
    ("variance", "unexplained", "unexplained", False),
    ("lost_ticket", "no_ticket", "no ticket", False),
    ("lost_ticket", "ticket_damaged", "ticket damaged", False),
    ("lost_ticket", "unknown_entry", "entry time unknown", False),
]


@dataclass(frozen=True)
class ReasonChoice:
    kind: str
    code: str
    label: str
    note_allowed: bool
    active: bool = True


DEFAULTS: dict[str, tuple[ReasonChoice, ...]] = {
    kind: tuple(ReasonChoice(k, code, label, note) for k, code, label, note in _SEED if k == kind) for kind in KINDS}


class RefundReason(StrEnum):
    """The shipped refund codes (a site may add its own: `Booth.reason_codes('refund')`)."""

    WRONG_VEHICLE = "wrong_vehicle"
    WRONG_AMOUNT = "wrong_amount"
    DUPLICATE_CHARGE = "duplicate_charge"
    CUSTOMER_COMPLAINT = "customer_complaint"
    EQUIPMENT_FAULT = "equipment_fault"
    GOODWILL = "goodwill"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _default("refund", self.value).label


class DepartedReason(StrEnum):
    """The shipped codes for closing a stay without payment."""

    LEFT_WITHOUT_PAYING = "left_without_paying"
    REGISTERED_IN_ERROR = "registered_in_error"
    VEHICLE_REMOVED = "vehicle_removed"
    PAID_ELSEWHERE = "paid_elsewhere"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _default("departed", self.value).label


def _default(kind: str, code: str) -> ReasonChoice:
    return next(c for c in DEFAULTS[kind] if c.code == code)


def check_kind(raw: object) -> str:
    if isinstance(raw, str) and raw.strip().lower() in KINDS:
        return raw.strip().lower()
    raise BoothError(f"'{shown(raw)}' is not a kind of reason: one of {', '.join(KINDS)}", field="kind")


def check_code(raw: object) -> str:
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text is None or not _CODE.fullmatch(text):
        raise BoothError(f"'{shown(raw)}' is not accepted: {CODE_RULE}", field="code")
    return text


def choices(ctx: Context | None, kind: str, include_retired: bool = False) -> list[ReasonChoice]:
    """The kind's codes: the shipped ones in their order (relabelled or retired by the site's
    rows), then the site's own in the order they were added."""
    kind = check_kind(kind)
    merged = {c.code: c for c in DEFAULTS[kind]}
    if ctx is not None:
        rows = (ReasonCode.select().where(ReasonCode.kind == kind)
                .order_by(ReasonCode.position, ReasonCode.id))
        for row in rows:
            merged[row.code] = ReasonChoice(kind, row.code, row.label, bool(row.note_allowed), bool(row.active))
    return [c for c in merged.values() if include_retired or c.active]


def check(ctx: Context | None, kind: str, raw: object) -> ReasonChoice:
    """The active code `raw` names; BoothError(field='reason') listing the active codes otherwise."""
    listed = choices(ctx, kind, include_retired=True)
    text = raw.strip().lower() if isinstance(raw, str) else None
    found = next((c for c in listed if c.code == text), None)
    if found is not None and found.active:
        return found
    allowed = ", ".join(c.code for c in listed if c.active)
    why = "was retired" if found is not None else "is not a reason code"
    raise BoothError(f"'{shown(raw)}' {why}: choose one of {allowed}", field="reason")


def note_for(choice: ReasonChoice, text: str | None) -> str | None:
    """A note goes only with a code that asks for one (e.g. 'other'): refused otherwise."""
    if text is not None and not choice.note_allowed:
        raise BoothError(f"the reason '{choice.code}' takes no note: leave the note empty, or pick a reason "
                         "that allows one (e.g. other)", field="note")
    return text


def note_for_code(ctx: Context, kind: str, raw: object, text: str | None) -> str:
    """The code `raw` names, checked with the note typed beside it."""
    choice = check(ctx, kind, raw)
    note_for(choice, text)
    return choice.code


def set_reason_code(ctx: Context, kind, code, label, note_allowed=False, active=True) -> ReasonChoice:
    """Add a code, relabel one or retire it (active=False). The last active code of a kind stays."""
    kind = check_kind(kind)
    code = check_code(code)
    label = clean_label(label, "label", "reason label", LABEL_MAX)
    note_allowed = check_flag(note_allowed, "note_allowed", "a note allowed")
    active = check_flag(active, "active", "active")

    def change() -> ReasonChoice:
        listed = choices(ctx, kind, include_retired=True)
        if not active and not any(c.active and c.code != code for c in listed):
            raise BoothError(f"'{code}' is the last active {kind} reason: add another before retiring it",
                             field="active")
        row = ReasonCode.get_or_none((ReasonCode.kind == kind) & (ReasonCode.code == code))
        if row is None:
            last = ReasonCode.select(pw.fn.MAX(ReasonCode.position)).scalar() or 0
            rid = ReasonCode.insert(kind=kind, code=code, label=label, note_allowed=note_allowed, active=active,
                                    position=last + 1).execute()
        else:
            rid = row.id
            ReasonCode.update(label=label, note_allowed=note_allowed, active=active).where(ReasonCode.id == rid).execute()
        ctx.audit("reason_code", "reason_codes", rid, kind=kind, code=code, note_allowed=note_allowed, active=active)
        return ReasonChoice(kind, code, label, note_allowed, active)

    return ctx.write(change)


def reason_label(ctx: Context | None, code: object, kind: str | None = None) -> str:
    """A code's label (the site's edits too when `ctx` is given), retired codes included; with no
    kind, the first kind that has the code. Anything else (a pre-1.8.0 row) as it is."""
    if not isinstance(code, str):
        return "" if code is None else str(code)
    for k in (kind,) if kind in KINDS else KINDS:
        for choice in choices(ctx, k, include_retired=True):
            if choice.code == code:
                return choice.label
    return code
