"""Legal holds: a record in dispute is kept past its retention until the hold is removed.

A hold is on one vehicle row (the driver's plate, name and phone, every stay's note and
receipt file) or one staff account; it holds ids and a reason code, never typed personal data.
Expiry skips what a hold in force covers, in the purge statement itself (`held_vehicle`,
`held_staff`, `HELD_VEHICLE_SQL`), so a hold committed while a run is under way wins over the
run's next batch; erasure skips it too (`held_vehicle_ids`). A review date (`until_on`) only
raises an alert once past: the hold stays until someone removes it. Removed holds are kept,
with who removed them and when.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import peewee as pw

from ..errors import ErrorCode
from ..models import LegalHold, PrivacyRequest, Staff, Vehicle
from . import localtime
from .context import Context
from .errors import BoothError, shown
from .privacy_codes import HOLD_REASONS, check_hold_reason
from .validate import parse_int

if TYPE_CHECKING:  # pragma: no cover
    from .subject_match import SubjectMatch

# On `vehicles AS v`: the plain-SQL form of `held_vehicle(Vehicle.id)` (expiry's SQLite fast path).
HELD_VEHICLE_SQL = "EXISTS (SELECT 1 FROM legal_holds h WHERE h.vehicle_id = v.id AND h.released_at IS NULL)"
REVIEW_YEARS = 10  # a review date further out than this is a typing error, not a plan
DATE_RULE = f"a review date is YYYY-MM-DD, after today and within {REVIEW_YEARS} years"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,31}", re.ASCII)
HEADLESS_NAME = "maintenance (headless)"


def held_vehicle(vehicle_id: pw.Field) -> pw.Function:
    """`vehicle_id` (a column of the outer query) has a hold in force."""
    return pw.fn.EXISTS(LegalHold.select(LegalHold.id).where(
        (LegalHold.vehicle == vehicle_id) & LegalHold.released_at.is_null()))


def held_vehicles() -> pw.Select:
    """The ids of the vehicles with a hold in force (served by idx_legal_holds_vehicle)."""
    return LegalHold.select(LegalHold.vehicle).where(LegalHold.vehicle.is_null(False) & LegalHold.released_at.is_null())


def held_staff_accounts() -> pw.Select:
    return LegalHold.select(LegalHold.staff).where(LegalHold.staff.is_null(False) & LegalHold.released_at.is_null())


def held_staff(staff_id: pw.Field) -> pw.Function:
    return pw.fn.EXISTS(LegalHold.select(LegalHold.id).where(
        (LegalHold.staff == staff_id) & LegalHold.released_at.is_null()))


@dataclass(frozen=True)
class HoldRow:
    id: int
    vehicle_id: int | None
    staff_id: int | None
    reason: str
    reason_label: str
    until_on: dt.date | None
    request_reference: str | None
    placed_by_name: str
    placed_at: dt.datetime
    released_at: dt.datetime | None
    released_by_name: str | None
    overdue: bool  # in force and past its review date

    @property
    def in_force(self) -> bool:
        return self.released_at is None

    def to_json(self) -> dict:
        return {"id": self.id, "vehicle_id": self.vehicle_id, "staff_id": self.staff_id, "reason": self.reason,
                "reason_label": self.reason_label, "until": f"{self.until_on:%Y-%m-%d}" if self.until_on else None,
                "request": self.request_reference, "placed_by": self.placed_by_name,
                "placed_at": f"{self.placed_at:%Y-%m-%d %H:%M:%S}", "in_force": self.in_force,
                "released_at": f"{self.released_at:%Y-%m-%d %H:%M:%S}" if self.released_at else None,
                "released_by": self.released_by_name, "overdue": self.overdue}


def _today(ctx: Context) -> dt.date:
    return localtime.today(ctx.now(), ctx.settings().zone)


def check_until(ctx: Context, raw: object) -> dt.date | None:
    """None, or a review date after today (the site's zone) and within REVIEW_YEARS."""
    if raw is None:
        return None
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        day = raw
    elif isinstance(raw, str) and _DATE.fullmatch(raw.strip()):
        try:
            day = dt.date.fromisoformat(raw.strip())
        except ValueError:
            raise BoothError(f"'{shown(raw)}' is not a date: {DATE_RULE}", field="until") from None
    else:
        raise BoothError(f"'{shown(raw)}' is not a date: {DATE_RULE}", field="until")
    today = _today(ctx)
    if day <= today:
        raise BoothError(f"{day:%Y-%m-%d} is not after today ({today:%Y-%m-%d}): {DATE_RULE}", field="until")
    if day > today + dt.timedelta(days=366 * REVIEW_YEARS):
        raise BoothError(f"{day:%Y-%m-%d} is too far ahead: {DATE_RULE}", field="until")
    return day


def _open_request(raw: object) -> PrivacyRequest | None:
    """The open request a hold is placed for (any kind), by its reference."""
    if raw is None:
        return None
    text = raw.strip() if isinstance(raw, str) else None
    if text is None or not _REFERENCE.fullmatch(text):
        raise BoothError(f"'{shown(raw)}' is not a request reference: 1 to 32 letters, digits, . _ / -",
                         field="request")
    row = PrivacyRequest.get_or_none(PrivacyRequest.reference == text)
    if row is None:
        raise BoothError(f"no request {text} in the log: log it first with 'request add'", field="request")
    if row.status != "open":
        raise BoothError(f"request {text} is {row.status}: a hold can name only an open request", field="request")
    return row


def _names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = Staff.select(Staff.id, Staff.display_name, Staff.purged_at).where(Staff.id.in_(sorted(wanted)))
    return {r.id: f"former staff #{r.id}" if r.purged_at is not None else r.display_name for r in rows}


def _rows(ctx: Context, holds: list[LegalHold]) -> list[HoldRow]:
    names = _names([h.placed_by for h in holds] + [h.released_by for h in holds])
    request_ids = sorted({h.request_id for h in holds if h.request_id is not None})
    refs = {r.id: r.reference for r in PrivacyRequest.select(PrivacyRequest.id, PrivacyRequest.reference)
            .where(PrivacyRequest.id.in_(request_ids))} if request_ids else {}
    today = _today(ctx) if holds else None

    def who(staff_id: int | None) -> str:
        return HEADLESS_NAME if staff_id is None else names.get(staff_id, f"staff #{staff_id}")

    return [HoldRow(id=h.id, vehicle_id=h.vehicle_id, staff_id=h.staff_id, reason=h.reason,
                    reason_label=HOLD_REASONS.get(h.reason, h.reason), until_on=h.until_on,
                    request_reference=refs.get(h.request_id) if h.request_id is not None else None,
                    placed_by_name=who(h.placed_by), placed_at=h.placed_at, released_at=h.released_at,
                    released_by_name=who(h.released_by) if h.released_at is not None else None,
                    overdue=h.released_at is None and h.until_on is not None and today is not None
                    and h.until_on < today)
            for h in holds]


def _in_force(column: pw.ForeignKeyField, ids: list[int]) -> dict[int, LegalHold]:
    if not ids:
        return {}
    rows = (LegalHold.select().where(column.in_(ids) & LegalHold.released_at.is_null()).order_by(LegalHold.id))
    out: dict[int, LegalHold] = {}
    for h in rows:
        out.setdefault(getattr(h, column.object_id_name), h)
    return out


def place_holds(ctx: Context, match: SubjectMatch, reason, until=None, request=None) -> list[HoldRow]:
    """A hold on each vehicle row and staff account of `match` (look-alikes and namesakes are never
    held), in one transaction; one already held is returned as it is, not held twice."""
    code = check_hold_reason(reason)
    review = check_until(ctx, until)
    if match.empty:
        raise BoothError(f"nothing on record holds personal data for that {match.selector.kind}: nothing was held",
                         field="subject", code=ErrorCode.REFUSED)
    vehicle_ids, staff_ids = sorted(match.vehicle_ids), sorted(match.staff_ids)

    def change() -> list[LegalHold]:
        req = _open_request(request)
        # The rows are locked first (PostgreSQL): an expiry batch holding them finishes before this
        # reads whether they still hold data, and two holds on one row cannot both be placed.
        ctx.backend.lock(Vehicle.select(Vehicle.id).where(Vehicle.id.in_(vehicle_ids)))
        ctx.backend.lock(Staff.select(Staff.id).where(Staff.id.in_(staff_ids)))
        gone = (Vehicle.select().where(Vehicle.id.in_(vehicle_ids) & Vehicle.purged_at.is_null(False)).count()
                + Staff.select().where(Staff.id.in_(staff_ids) & Staff.purged_at.is_null(False)).count())
        if gone:
            raise BoothError(f"{gone} of the records found expired a moment ago: nothing was held; "
                             "look the person up again", code=ErrorCode.CONFLICT)
        held = {**{("v", k): h for k, h in _in_force(LegalHold.vehicle, vehicle_ids).items()},
                **{("s", k): h for k, h in _in_force(LegalHold.staff, staff_ids).items()}}
        now, by = ctx.now(), ctx.actor.staff_id if ctx.actor is not None else None
        out = []
        for kind, ident in [("v", i) for i in vehicle_ids] + [("s", i) for i in staff_ids]:
            if (kind, ident) in held:
                out.append(held[(kind, ident)])
                continue
            h = LegalHold.create(vehicle=ident if kind == "v" else None, staff=ident if kind == "s" else None,
                                 reason=code, until_on=review, request=req, placed_by=by, placed_at=now)
            record: dict[str, Any] = {"vehicle": ident} if kind == "v" else {"staff": ident}
            ctx.audit("hold_add", "legal_holds", h.id, reason=code, until=f"{review:%Y-%m-%d}" if review else None,
                      request=req.reference if req else None, **record)
            out.append(h)
        return out

    return _rows(ctx, ctx.write(change))


def _hold_id(raw: object) -> int:
    return parse_int(raw, "hold", 1, 2**31 - 1, "a hold id")


def release_hold(ctx: Context, hold_id) -> HoldRow:
    ident = _hold_id(hold_id)

    def change() -> LegalHold:
        ctx.backend.lock(LegalHold.select(LegalHold.id).where(LegalHold.id == ident))
        h = LegalHold.get_or_none(LegalHold.id == ident)
        if h is None:
            raise BoothError(f"there is no hold {ident}: 'subject hold list --all' lists them", field="hold")
        if h.released_at is not None:
            raise BoothError(f"hold {ident} was already removed on {h.released_at:%Y-%m-%d %H:%M} UTC",
                             code=ErrorCode.REFUSED)
        now = ctx.now()
        by = ctx.actor.staff_id if ctx.actor is not None else None
        LegalHold.update(released_at=now, released_by=by).where(
            (LegalHold.id == ident) & LegalHold.released_at.is_null()).execute()
        record: dict[str, Any] = {"vehicle": h.vehicle_id} if h.vehicle_id is not None else {"staff": h.staff_id}
        ctx.audit("hold_remove", "legal_holds", ident, reason=h.reason, **record)
        return LegalHold.get_by_id(ident)

    return _rows(ctx, [ctx.write(change)])[0]


def list_holds(ctx: Context, include_released=False) -> list[HoldRow]:
    if not isinstance(include_released, bool):
        raise BoothError("include_released must be True or False", field="include_released")
    query = LegalHold.select().order_by(LegalHold.id)
    if not include_released:
        query = query.where(LegalHold.released_at.is_null())
    return _rows(ctx, list(query))


def _held(column: pw.ForeignKeyField, ids: Iterable[int]) -> set[int]:
    wanted = sorted({int(i) for i in ids})
    found: set[int] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update(getattr(h, column.object_id_name) for h in LegalHold.select(column).where(
            column.in_(chunk) & LegalHold.released_at.is_null()))
    return found


def held_vehicle_ids(ctx: Context, vehicle_ids) -> set[int]:
    """Those of `vehicle_ids` with a hold in force (erasure skips them)."""
    return _held(LegalHold.vehicle, vehicle_ids)


def held_staff_ids(ctx: Context, staff_ids) -> set[int]:
    return _held(LegalHold.staff, staff_ids)
