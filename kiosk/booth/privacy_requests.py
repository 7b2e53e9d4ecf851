"""The data-protection request log: a person's request to see, erase or correct what is held
about them, and the answer's deadline.

The deadline is one calendar month from the day the request was received (UK GDPR Art. 12(3)):
the same day number in the next month, or that month's last day when it has no such day (31
January -> 28 or 29 February). It may be extended by two further months at most, with a reason
code, and only while the first month runs, since the person must be told of an extension within
it. The months always count from the day received, so a due date never drifts by a clamp.

The log holds no personal data: a request is known by a reference the operator chooses (their
case number), refused when it reads as a phone number or equals a plate, a driver's name or a
staff name on record. Dates are days in the site's time zone.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import peewee as pw

from ..errors import ErrorCode
from ..models import PrivacyRequest, SystemConfig, Vehicle
from .context import Context
from .errors import BoothError, shown
from .localtime import today as local_today
from .phones import to_e164
from .plates import normalise_plate
from .privacy_codes import EXTENSION_REASONS, OUTCOMES, check_extension_reason, check_outcome
from .subject_match import Selector, match, name_form
from .validate import check_flag, parse_int

KINDS = ("access", "erasure", "rectification")
STATUSES = tuple(OUTCOMES)  # how a request ends: done | refused
FIRST_MONTHS = 1
MAX_EXTENSION = 2  # months beyond the first (Art. 12(3))
DUE_SOON_DAYS = 7
REF_MAX = 32
REF_RULE = (f"a reference is 1 to {REF_MAX} characters: letters A-Z, digits, and . _ / - after the first, "
            "with at least one digit (e.g. DSR-2026-014); it must not be a phone number, a plate or a name")
_REF = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._/-]{{0,{REF_MAX - 1}}}", re.ASCII)
# An outcome of a request done fits one kind of request; nothing_held, and every refusal, fits any.
_DONE_FOR = {"answered": "access", "erased": "erasure", "rectified": "rectification"}


@dataclass(frozen=True)
class RequestRow:
    id: int
    reference: str
    kind: str  # access | erasure | rectification
    received_on: dt.date
    due_on: dt.date
    extended_months: int
    extension_reason: str | None
    status: str  # open | done | refused
    outcome: str | None
    closed_at: dt.datetime | None  # UTC
    days_left: int  # due_on - today (site zone); negative: overdue
    state: str  # open | due_soon (<= 7 days left) | overdue | done | refused

    @property
    def extension_label(self) -> str | None:
        return EXTENSION_REASONS.get(self.extension_reason or "")

    @property
    def outcome_label(self) -> str | None:
        return OUTCOMES.get(self.status, {}).get(self.outcome or "")

    def to_json(self) -> dict:
        return {"id": self.id, "reference": self.reference, "kind": self.kind,
                "received_on": self.received_on.isoformat(), "due_on": self.due_on.isoformat(),
                "extended_months": self.extended_months, "extension_reason": self.extension_reason,
                "status": self.status, "outcome": self.outcome,
                "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
                "days_left": self.days_left, "state": self.state}


# ---- dates ----------------------------------------------------------------------------------

def add_months(day: dt.date, months: int) -> dt.date:
    """The same day number `months` calendar months later (or earlier), else that month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def due_date(received: dt.date, months: int) -> dt.date:
    """When the answer is due: `months` calendar months after the day received (1: the first month)."""
    return add_months(received, months)


def _today(ctx: Context) -> dt.date:
    return local_today(ctx.now(), ctx.settings().zone)


def read_received(ctx: Context, raw: object) -> dt.date:
    """The day a request was received: 'YYYY-MM-DD' (or a date), by default today; not in the
    future, not more than a year ago (the site's time zone)."""
    today = _today(ctx)
    if raw is None:
        return today
    allowed = f"give the day it was received as YYYY-MM-DD, from {add_months(today, -12)} to today ({today})"
    if isinstance(raw, dt.datetime) or not isinstance(raw, (str, dt.date)):
        raise BoothError(f"'{shown(raw)}' is not a day: {allowed}", field="received")
    if isinstance(raw, str):
        try:
            day = dt.date.fromisoformat(raw.strip()) if len(raw) <= 20 else None
        except ValueError:
            day = None
        if day is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip(), re.ASCII):
            raise BoothError(f"'{shown(raw)}' is not a day: {allowed}", field="received")
    else:
        day = raw
    if day > today:
        raise BoothError(f"{day} is in the future: {allowed}", field="received")
    if day < add_months(today, -12):
        raise BoothError(f"{day} is more than a year ago: {allowed}", field="received")
    return day


# ---- references -------------------------------------------------------------------------------

def _reads_as_phone(text: str, region: str) -> bool:
    candidates = [text] + ([f"+{text}"] if text.isdigit() else [])
    for candidate in candidates:
        try:
            to_e164(candidate, region)
            return True
        except BoothError:
            continue
    return False


def _reads_as(ctx: Context, ref: str) -> str | None:
    """What personal data the reference would be, or None."""
    if _reads_as_phone(ref, ctx.settings().phone_region):
        return "a phone number"
    try:
        plate = normalise_plate(re.sub(r"[._/]", "", ref))
    except BoothError:
        plate = None
    if plate and Vehicle.select(Vehicle.id).where(
            (Vehicle.number_plate == plate) & Vehicle.purged_at.is_null()).exists():
        return "a number plate on record"
    found = match(ctx, Selector("name", name_form(ref)))
    if found.vehicle_ids:
        return "a driver's name on record"
    if found.staff_namesakes:
        return "a staff member's name"
    return None


def check_reference(raw: object) -> str:
    """The reference's form (no database): the rule above, or BoothError(field='reference')."""
    if not isinstance(raw, str):
        raise BoothError(f"the reference must be text: {REF_RULE}", field="reference")
    if len(raw) > REF_MAX * 4:
        raise BoothError(f"the reference is too long ({len(raw)} characters): {REF_RULE}", field="reference")
    if any(unicodedata.category(ch).startswith("C") for ch in raw):
        raise BoothError(f"the reference contains control characters: {REF_RULE}", field="reference")
    text = raw.strip(" ")
    if not text:
        raise BoothError(f"enter a reference: {REF_RULE}", field="reference")
    if len(text) > REF_MAX:
        raise BoothError(f"the reference is too long ({len(text)} characters): {REF_RULE}", field="reference")
    if " " in text:
        raise BoothError(f"'{shown(text, 40)}' has a space: {REF_RULE}", field="reference")
    if not _REF.fullmatch(text):
        bad = next((ch for ch in text if not (ch.isascii() and (ch.isalnum() or ch in "._/-"))), text[0])
        raise BoothError(f"'{shown(bad)}' is not allowed in a reference: {REF_RULE}", field="reference")
    if not any(ch.isdigit() for ch in text):
        raise BoothError(f"'{shown(text, 40)}' has no digit: {REF_RULE}", field="reference")
    return text


def _named(raw: object) -> str:
    """A reference as typed to look one up: text, bounded, printable (any form: older rules may differ)."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > REF_MAX * 4 or any(
            unicodedata.category(ch).startswith("C") for ch in raw):
        raise BoothError(f"'{shown(raw)}' is not a request reference: {REF_RULE}", field="request")
    return raw.strip()


def _find(ref: str) -> PrivacyRequest | None:
    """By reference, compared without case (references are ASCII: LOWER folds them the same everywhere)."""
    exact = PrivacyRequest.get_or_none(PrivacyRequest.reference == ref)
    return exact or PrivacyRequest.select().where(
        pw.fn.LOWER(PrivacyRequest.reference) == ref.lower()).order_by(PrivacyRequest.id).first()


def _locked(ctx: Context, rid: int) -> PrivacyRequest:
    """In the caller's transaction: the request as it is now (PostgreSQL: locked until it ends, so
    booths changing it at once take turns and each sees the other's change)."""
    return ctx.backend.locked(PrivacyRequest.select().where(PrivacyRequest.id == rid)).get()


def _get(raw: object) -> PrivacyRequest:
    ref = _named(raw)
    row = _find(ref)
    if row is None:
        raise BoothError(f"there is no request '{shown(ref, 40)}' in the log: see 'kiosk --maintenance request list'",
                         field="request")
    return row


# ---- rows --------------------------------------------------------------------------------------

def _as_date(value: object) -> dt.date:
    # SQLite hands a DATE back as text when read through a raw query; the model gives a date.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def row_of(r: PrivacyRequest, today: dt.date) -> RequestRow:
    due = _as_date(r.due_on)
    left = (due - today).days
    if r.status != "open":
        state = r.status
    else:
        state = "overdue" if left < 0 else "due_soon" if left <= DUE_SOON_DAYS else "open"
    return RequestRow(r.id, r.reference, r.kind, _as_date(r.received_on), due, r.extended_months,
                      r.extension_reason, r.status, r.outcome, r.closed_at, left, state)


def _closed(row: PrivacyRequest) -> BoothError:
    when = f" on {row.closed_at:%Y-%m-%d}" if row.closed_at else ""
    return BoothError(f"request '{row.reference}' was already closed{when} ({row.status}: {row.outcome}): "
                      "a closed request does not change; log a new one if the person asks again",
                      field="request", code=ErrorCode.REFUSED)


# ---- the rules ---------------------------------------------------------------------------------

def _kind(raw: object) -> str:
    text = raw.strip().lower() if isinstance(raw, str) and len(raw) <= 40 else None
    if text not in KINDS:
        raise BoothError(f"'{shown(raw)}' is not a kind of request: one of {', '.join(KINDS)}", field="kind")
    return text


def log_request(ctx: Context, reference: object, kind: object, received: object = None) -> RequestRow:
    ref = check_reference(reference)
    what = _kind(kind)
    day = read_received(ctx, received)
    today = _today(ctx)

    def taken(row: PrivacyRequest) -> BoothError:
        return BoothError(f"request '{row.reference}' is already in the log (references are compared without "
                          f"case; {_a(row.kind)} request, {row.status}): choose another reference", field="reference")

    def add() -> int:
        cfg = ctx.config_row()  # PostgreSQL: one log at a time, so references differing by case cannot race
        ctx.backend.lock(SystemConfig.select(SystemConfig.id).where(SystemConfig.id == cfg.id))
        existing = _find(ref)
        if existing is not None:
            raise taken(existing)
        reads_as = _reads_as(ctx, ref)
        if reads_as is not None:
            raise BoothError(f"'{shown(ref, 40)}' reads as {reads_as}: the log holds no personal data; "
                             f"{REF_RULE}", field="reference")
        now = ctx.now()
        actor = ctx.actor
        rid = int(PrivacyRequest.insert(
            reference=ref, kind=what, received_on=day, due_on=due_date(day, FIRST_MONTHS), extended_months=0,
            status="open", staff_id=actor.staff_id if actor is not None else None, created_at=now,
            updated_at=now).execute())
        ctx.audit("request_add", "privacy_requests", rid, reference=ref, kind=what, received_on=day.isoformat(),
                  due_on=due_date(day, FIRST_MONTHS).isoformat())
        return rid

    try:
        rid = ctx.write(add)
    except pw.IntegrityError:  # the same reference logged by another booth a moment ago
        existing = _find(ref)
        if existing is None:
            raise
        raise taken(existing) from None
    return row_of(PrivacyRequest.get_by_id(rid), today)


def extend_request(ctx: Context, reference: object, months: object, reason: object) -> RequestRow:
    more = parse_int(months, "months", 1, MAX_EXTENSION, "the months to extend by")
    why = check_extension_reason(reason)
    row = _get(reference)
    today = _today(ctx)

    def extend() -> None:
        current = _locked(ctx, row.id)
        if current.status != "open":
            raise _closed(current)
        total = current.extended_months + more
        if total > MAX_EXTENSION:
            raise BoothError(f"request '{current.reference}' is already extended by {current.extended_months} "
                             f"month(s): at most {MAX_EXTENSION} in total beyond the first month "
                             f"({MAX_EXTENSION - current.extended_months} left)", field="months",
                             code=ErrorCode.REFUSED)
        received = _as_date(current.received_on)
        first_due = due_date(received, FIRST_MONTHS)
        if today > first_due:
            raise BoothError(f"too late to extend request '{current.reference}': the person must be told of an "
                             f"extension within the first month (by {first_due}); answer it now",
                             field="request", code=ErrorCode.REFUSED)
        due = due_date(received, FIRST_MONTHS + total)
        done = PrivacyRequest.update(extended_months=total, extension_reason=why, due_on=due,
                                     updated_at=ctx.now()).where(
            (PrivacyRequest.id == current.id) & (PrivacyRequest.status == "open")
            & (PrivacyRequest.extended_months == current.extended_months)).execute()
        if done != 1:  # changed by another booth since it was read: say what it is now
            raise BoothError(f"request '{current.reference}' was changed at another booth a moment ago: nothing "
                             "was changed; list it and try again", field="request", code=ErrorCode.CONFLICT)
        ctx.audit("request_extend", "privacy_requests", current.id, reference=current.reference, months=more,
                  extended_months=total, reason=why, due_on=due.isoformat())

    ctx.write(extend)
    return row_of(PrivacyRequest.get_by_id(row.id), today)


def close_request(ctx: Context, reference: object, status: object, outcome: object) -> RequestRow:
    text = status.strip().lower() if isinstance(status, str) and len(status) <= 40 else None
    if text not in STATUSES:
        raise BoothError(f"'{shown(status)}' is not how a request ends: one of {', '.join(STATUSES)}",
                         field="status")
    code = check_outcome(text, outcome)
    row = _get(reference)
    fits = _DONE_FOR.get(code) if text == "done" else None
    if fits is not None and fits != row.kind:
        raise BoothError(f"'{code}' is not how {_a(row.kind)} request is done: one of "
                         f"{', '.join(c for c in OUTCOMES['done'] if _DONE_FOR.get(c) in (None, row.kind))}",
                         field="outcome")
    today = _today(ctx)

    def close() -> None:
        current = _locked(ctx, row.id)
        if current.status != "open":
            raise _closed(current)
        now = ctx.now()
        done = PrivacyRequest.update(status=text, outcome=code, closed_at=now, updated_at=now).where(
            (PrivacyRequest.id == current.id) & (PrivacyRequest.status == "open")).execute()
        if done != 1:
            raise _closed(PrivacyRequest.get_by_id(row.id))
        late = (today - _as_date(current.due_on)).days
        ctx.audit("request_close", "privacy_requests", current.id, reference=current.reference, status=text,
                  outcome=code, days_late=max(late, 0))

    ctx.write(close)
    return row_of(PrivacyRequest.get_by_id(row.id), today)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def list_requests(ctx: Context, open_only: object = False) -> list[RequestRow]:
    """Open requests first, soonest due first; then closed ones, latest closed first."""
    only = check_flag(open_only, "open_only", "open_only")
    today = _today(ctx)
    query = PrivacyRequest.select()
    if only:
        query = query.where(PrivacyRequest.status == "open")
    rows = [row_of(r, today) for r in query.order_by(PrivacyRequest.id)]
    open_rows = sorted((r for r in rows if r.status == "open"), key=lambda r: (r.due_on, r.id))
    closed = sorted((r for r in rows if r.status != "open"), key=lambda r: (r.closed_at, r.id), reverse=True)
    return open_rows + closed


def request_for(ctx: Context, reference: object, kinds: tuple[str, ...]) -> RequestRow:
    """The OPEN request `reference` if it is of one of `kinds`; else BoothError(field='request')
    saying what the log holds under that reference (its kind and state), or which requests of
    those kinds are open."""
    wanted = tuple(_kind(k) for k in kinds) if isinstance(kinds, tuple) and kinds else None
    if wanted is None:
        raise BoothError(f"kinds must be a tuple of one or more of {', '.join(KINDS)}", field="kind")
    needed = " or ".join(wanted)
    ref = _named(reference)
    row = _find(ref)
    today = _today(ctx)
    if row is None:
        open_refs = [r.reference for r in PrivacyRequest.select(PrivacyRequest.reference).where(
            (PrivacyRequest.status == "open") & PrivacyRequest.kind.in_(wanted)).order_by(PrivacyRequest.due_on)
            .limit(5)]
        which = (f"open {needed} requests: {', '.join(open_refs)}" if open_refs
                 else f"no {needed} request is open")
        raise BoothError(f"there is no request '{shown(ref, 40)}' in the log ({which}): log it first with "
                         "'kiosk --maintenance request add'", field="request")
    found = row_of(row, today)
    if found.status != "open":
        raise BoothError(f"request '{found.reference}' is {_a(found.kind)} request closed on "
                         f"{found.closed_at:%Y-%m-%d} ({found.status}: {found.outcome}): it needs an open "
                         f"{needed} request; log a new one", field="request", code=ErrorCode.REFUSED)
    if found.kind not in wanted:
        raise BoothError(f"request '{found.reference}' is {_a(found.kind)} request ({found.state.replace('_', ' ')}, "
                         f"due {found.due_on}): this needs {_a(wanted[0])} request"
                         + (f" ({needed})" if len(wanted) > 1 else ""), field="request", code=ErrorCode.REFUSED)
    return found
