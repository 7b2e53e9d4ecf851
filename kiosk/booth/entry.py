"""Entry: register a vehicle and give it a spot; find the vehicles that are on site."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import peewee as pw

from ..models import Stay, Vehicle
from . import debts
from .config import rate_for
from .context import Context
from .errors import BoothError, ErrorCode
from .localtime import stamp
from .phones import to_e164
from .plates import normalise_plate, read_plate
from .results import OpenStay, Registration, StayStatus
from .shifts import shift_for_entry
from .spots import assign
from .sql import Insert, Statement, ts, when, with_list
from .text import clean_name
from .validate import normalise_spot, normalise_type, parse_int

# The per-car statements (sql.py says why they are written out).
# A look-up by plate, with the retention the overstay flag needs, in one query.
_OPEN_BY_PLATE = Statement(
    "SELECT s.id, s.vehicle_type, s.spot_number, s.entry_timestamp, "
    "(SELECT retention_hours FROM system_config ORDER BY id LIMIT 1) "
    f"FROM vehicles v JOIN stays s ON s.vehicle_id = v.id AND s.status = '{StayStatus.OPEN}' WHERE v.number_plate = ?")
# Registration: the plate's vehicle row and its open stay if any. PostgreSQL: the vehicle row is
# locked, so an expiry batch purging it finishes first and the row is then no longer this plate's
# (a new vehicle row is made), never half-reused.
_PLATE_ROW = Statement(
    "SELECT v.id, s.id, s.spot_number, s.entry_timestamp "
    f"FROM vehicles v LEFT JOIN stays s ON s.vehicle_id = v.id AND s.status = '{StayStatus.OPEN}' WHERE v.number_plate = ?",
    pg=" FOR UPDATE OF v")
_NEW_VEHICLE = Insert(
    "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp, created_at, updated_at, "
    "vehicle_type, parking_spot, payment_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)")
_RETURNING_VEHICLE = Statement(
    "UPDATE vehicles SET contact_name = ?, phone_number = ?, entry_timestamp = ?, updated_at = ?, vehicle_type = ?, "
    "parking_spot = ?, payment_status = NULL WHERE id = ?")
_NEW_STAY = Insert(
    "INSERT INTO stays (vehicle_id, spot_number, vehicle_type, entry_timestamp, status, created_at, updated_at, shift_id) "
    f"VALUES (?, ?, ?, ?, '{StayStatus.OPEN}', ?, ?, ?)")
_LOOKALIKES_SQL = ("SELECT v.number_plate FROM stays s JOIN vehicles v ON v.id = s.vehicle_id "
                   f"WHERE s.status = '{StayStatus.OPEN}' AND v.number_plate IN (?*)")


def _open_query():
    return (Stay.select(Stay.id, Stay.vehicle_type, Stay.spot_number, Stay.entry_timestamp, Vehicle.number_plate)
            .join(Vehicle, on=(Vehicle.id == Stay.vehicle)).where(Stay.status == StayStatus.OPEN))


def _to_open(row: Stay, overstay_before: dt.datetime) -> OpenStay:
    return OpenStay(stay_id=row.id, plate=row.vehicle.number_plate, vehicle_type=row.vehicle_type, spot=row.spot_number,
                    entry_at=row.entry_timestamp, overstay=row.entry_timestamp < overstay_before)


def overstay_before(ctx: Context, retention_hours: int | None = None) -> dt.datetime:
    """Open stays that entered before this are overstays. `retention_hours` when the caller already read it."""
    if retention_hours is None:
        retention_hours = ctx.settings().retention_hours
    return ctx.now() - dt.timedelta(hours=retention_hours)


def open_stay_for(ctx: Context, plate) -> OpenStay | None:
    number = normalise_plate(plate)
    row = _OPEN_BY_PLATE.one(ctx.db, (number,))
    if row is None:
        return None
    stay_id, vtype, spot, entered, retention = row
    entry_at = when(entered)
    assert entry_at is not None  # entry_timestamp is NOT NULL
    # retention is NULL only when the config row is missing: overstay_before() recreates it.
    return OpenStay(stay_id=stay_id, plate=number, vehicle_type=vtype, spot=spot, entry_at=entry_at,
                    overstay=entry_at < overstay_before(ctx, retention))


def open_stays(ctx: Context, prefix="", limit=20) -> list[OpenStay]:
    """Open stays whose plate starts with `prefix` (type-ahead), by plate."""
    start = normalise_plate(prefix, partial=True)
    limit = parse_int(limit, "limit", 1, 10_000)
    query = _open_query()
    if start:
        query = query.where(ctx.backend.prefix_match(Vehicle.number_plate, start))
    cutoff = overstay_before(ctx)
    return [_to_open(r, cutoff) for r in query.order_by(Vehicle.number_plate).limit(limit)]


def overstays(ctx: Context) -> list[OpenStay]:
    cutoff = overstay_before(ctx)
    query = _open_query().where(Stay.entry_timestamp < cutoff).order_by(Stay.entry_timestamp)
    return [_to_open(r, cutoff) for r in query]


def lookalikes(ctx: Context, plate: str) -> list[str]:
    """Parked plates that differ from `plate` only by O/0 or I/1.

    The variants are spelled out and looked up on the unique plate index: scanning
    every open stay in Python cost ~7 ms per 1,000 cars on site (docs/performance.md).
    """
    options = [("O0" if ch in "O0" else "I1" if ch in "I1" else ch) for ch in plate]
    variants = sorted({"".join(p) for p in itertools.product(*options)} - {plate})
    found: list[str] = []
    for i in range(0, len(variants), 500):  # at most 2**10 variants: a few bounded IN lists
        chunk = tuple(variants[i:i + 500])
        found += [r[0] for r in with_list(_LOOKALIKES_SQL, len(chunk)).rows(ctx.db, chunk)]
    return sorted(found)


def register(ctx: Context, plate, contact_name, phone, vehicle_type, spot=None) -> Registration:
    reading = read_plate(plate)
    number = reading.plate
    name = clean_name(contact_name)
    cfg = ctx.settings()  # phone region and booth name: the config is read once per registration
    e164 = to_e164(phone, cfg.phone_region)
    vtype = normalise_type(vehicle_type)
    wanted = None if spot in (None, "") else normalise_spot(spot)
    db = ctx.db

    def change() -> Registration:
        rate_for(ctx, vtype)  # a type that cannot be charged cannot park
        now = ctx.now()
        at = ts(now)
        vehicle_id, on_site, on_spot, since = _PLATE_ROW.one(db, (number,)) or (None, None, None, None)
        if on_site is not None:
            entered = when(since)
            assert entered is not None  # entry_timestamp is NOT NULL
            raise BoothError(
                f"{number} is already parked at {on_spot or 'an unknown spot'} since "
                f"{stamp(entered, cfg.zone)} (stay {on_site}): take its payment first",
                field="plate", code=ErrorCode.ALREADY_PARKED,
            )
        spot_number = assign(ctx, vtype, wanted, now)
        returning = vehicle_id is not None
        if returning:  # a returning plate: its row now holds this stay's personal data
            _RETURNING_VEHICLE.run(db, (name, e164, at, at, vtype, spot_number, vehicle_id))
        else:
            vehicle_id = _NEW_VEHICLE.new_id(db, (number, name, e164, at, at, at, vtype, spot_number))
        stay_id = _NEW_STAY.new_id(db, (vehicle_id, spot_number, vtype, at, at, at, shift_for_entry(ctx, cfg.booth_name)))
        ctx.audit("entry", "stays", stay_id, booth=cfg.booth_name, vehicle_id=vehicle_id, spot=spot_number,
                  vehicle_type=vtype, returning=returning)
        # A returning plate's unpaid drive-offs, shown at entry (a new vehicle row has none).
        owed = debts.of_vehicle(ctx, vehicle_id) if returning else ()
        return Registration(stay_id, vehicle_id, number, spot_number, vtype, now, debts=owed)

    try:
        reg = ctx.write(change)
    except pw.IntegrityError:
        # The unique open-stay indexes are a backstop; the checks above normally answer first.
        raise BoothError(f"{number} or its spot was registered at another booth a moment ago: look it up and try again",
                         field="plate", code=ErrorCode.CONFLICT) from None
    warnings = [f"registered as {number}: {', '.join(reading.changed)}"] if reading.changed else []
    similar = lookalikes(ctx, number)
    if similar:
        warnings.append(f"{', '.join(similar)} is also parked: check the plate (O/0 and I/1 look alike)")
    return dataclasses.replace(reg, warnings=tuple(warnings)) if warnings else reg
