"""Spots: the layout (add, retype, remove), free counts, the map, and atomic assignment."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from ..models import ParkingRate, ParkingSpot, Stay, Vehicle
from .config import rate_for
from .context import Context
from .errors import BoothError
from .results import MapStates, SpotState, StayStatus
from .sql import Statement, ts, tuples
from .validate import normalise_spot, normalise_type, parse_spot_range

FREE = ParkingSpot.is_occupied == False  # noqa: E712  (peewee expression)

# The per-car statements (sql.py says why they are written out). is_occupied is always a parameter:
# a boolean on PostgreSQL, 0/1 on SQLite.
_TYPE_OF_SPOT = Statement("SELECT vehicle_type FROM parking_spots WHERE spot_number = ?")
_FIRST_FREE_SQL = ("SELECT spot_number FROM parking_spots WHERE vehicle_type = ? AND is_occupied = ? "
                   "ORDER BY spot_number LIMIT 1")
_FIRST_FREE = Statement(_FIRST_FREE_SQL)
# PostgreSQL: skip spots other booths are taking right now instead of queueing behind them; only
# when every free one is being taken, wait for them (one may be given back).
_FIRST_FREE_SKIP_LOCKED = Statement(_FIRST_FREE_SQL, pg=" FOR UPDATE SKIP LOCKED")
_FIRST_FREE_LOCKED = Statement(_FIRST_FREE_SQL, pg=" FOR UPDATE")
_TAKE = Statement("UPDATE parking_spots SET is_occupied = ?, updated_at = ? WHERE spot_number = ? AND is_occupied = ?")
_RELEASE = Statement("UPDATE parking_spots SET is_occupied = ?, updated_at = ? WHERE spot_number = ?")


def vehicle_types(ctx: Context) -> list[str]:
    """Types a car can be registered as: those with a rate, in the order they were set up."""
    return [r.vehicle_type for r in ParkingRate.select(ParkingRate.vehicle_type).order_by(ParkingRate.id)]


def _no_spot(number: str) -> BoothError:
    return BoothError(f"there is no spot {number}: pick one from the spot map", field="spot")


def _spot(number: str) -> ParkingSpot:
    row = ParkingSpot.get_or_none(ParkingSpot.spot_number == number)
    if row is None:
        raise _no_spot(number)
    return row


def suggest_spot(ctx: Context, vehicle_type) -> str | None:
    vtype = normalise_type(vehicle_type)
    row = _FIRST_FREE.one(ctx.db, (vtype, False))
    return row[0] if row else None


def free_counts(ctx: Context) -> dict[str, tuple[int, int]]:
    """type -> (free, total), in one grouped query."""
    free = pw.fn.SUM(pw.Case(None, [(FREE, 1)], 0))
    query = (ParkingSpot.select(ParkingSpot.vehicle_type, free.alias("free"), pw.fn.COUNT(ParkingSpot.id).alias("total"))
             .group_by(ParkingSpot.vehicle_type).order_by(ParkingSpot.vehicle_type))
    return {vtype: (int(free or 0), int(total)) for vtype, free, total in tuples(query) if vtype is not None}


def assign(ctx: Context, vtype: str, wanted: str | None, now: dt.datetime) -> str:
    """Take a spot inside the caller's write transaction; the conditional UPDATE is the guard."""
    db = ctx.db
    if wanted is not None:
        spot = _TYPE_OF_SPOT.one(db, (wanted,))
        if spot is None:
            raise _no_spot(wanted)
        if spot[0] != vtype:
            raise BoothError(f"spot {wanted} is for {spot[0] or 'no type'}, not {vtype}: choose a {vtype} spot", field="spot")
        if not _take(db, wanted, now):
            raise BoothError(f"spot {wanted} is occupied: choose a free {vtype} spot, or leave the spot empty", field="spot")
        return wanted
    while True:  # on PostgreSQL another booth may win a candidate: try the next one
        row = _FIRST_FREE_SKIP_LOCKED.one(db, (vtype, False))
        if row is None and ctx.backend.row_locks:  # every candidate was skipped as locked: wait for one
            row = _FIRST_FREE_LOCKED.one(db, (vtype, False))
        if row is None:
            total = ParkingSpot.select().where(ParkingSpot.vehicle_type == vtype).count()
            if total == 0:
                raise BoothError(f"there are no {vtype} spots: add some in Configuration", field="type")
            raise BoothError(f"the car park is full for {vtype}: all {total} {vtype} spots are taken", field="type")
        if _take(db, row[0], now):
            return row[0]


def _take(db: pw.Database, number: str, now: dt.datetime) -> bool:
    return _TAKE.changed(db, (True, ts(now), number, False)) == 1


def release(ctx: Context, number: str | None, now: dt.datetime) -> None:
    if number:
        _RELEASE.run(ctx.db, (False, ts(now), number))


def add_spots(ctx: Context, range_text, vehicle_type) -> list[str]:
    numbers = parse_spot_range(range_text)
    vtype = normalise_type(vehicle_type)

    def change():
        rate_for(ctx, vtype)  # spots only for a type that can be charged
        taken = [r.spot_number for r in ParkingSpot.select(ParkingSpot.spot_number)
                 .where(ParkingSpot.spot_number.in_(numbers)).order_by(ParkingSpot.spot_number)]
        if taken:
            sample = ", ".join(taken[:5]) + (" …" if len(taken) > 5 else "")
            raise BoothError(f"{len(taken)} of these spots already exist ({sample}): add a range of new spots only", field="spots")
        now = ctx.now()
        rows = [{"spot_number": n, "vehicle_type": vtype, "is_occupied": False, "created_at": now, "updated_at": now}
                for n in numbers]
        for i in range(0, len(rows), 200):
            ParkingSpot.insert_many(rows[i:i + 200]).execute()
        ctx.audit("spots_add", "parking_spots", f"{numbers[0]}-{numbers[-1]}", vehicle_type=vtype, count=len(numbers))

    ctx.write(change)
    return numbers


def retype_spot(ctx: Context, spot, vehicle_type) -> None:
    number, vtype = normalise_spot(spot), normalise_type(vehicle_type)

    def change():
        row = _spot(number)
        rate_for(ctx, vtype)
        done = (ParkingSpot.update(vehicle_type=vtype, updated_at=ctx.now())
                .where((ParkingSpot.spot_number == number) & FREE).execute())
        if not done:
            raise BoothError(f"spot {number} is occupied: it can be retyped once it is free", field="spot")
        ctx.audit("spot_retype", "parking_spots", row.id, spot=number, old_type=row.vehicle_type, new_type=vtype)

    ctx.write(change)


def remove_spot(ctx: Context, spot) -> None:
    number = normalise_spot(spot)

    def change():
        row = _spot(number)
        if not ParkingSpot.delete().where((ParkingSpot.spot_number == number) & FREE).execute():
            raise BoothError(f"spot {number} is occupied: only a free spot can be removed", field="spot")
        ctx.audit("spot_remove", "parking_spots", row.id, spot=number, vehicle_type=row.vehicle_type)

    ctx.write(change)


def spot_states(ctx: Context, overstay_before: dt.datetime, spot: str | None = None) -> list[SpotState]:
    """Every spot (or only `spot`) with its open stay, in one query (a LEFT JOIN on the open-stay index)."""
    query = (ParkingSpot.select(ParkingSpot.spot_number, ParkingSpot.vehicle_type, ParkingSpot.is_occupied,
                                Stay.id, Stay.entry_timestamp, Vehicle.number_plate)
             .join(Stay, pw.JOIN.LEFT_OUTER, on=((Stay.spot_number == ParkingSpot.spot_number) & (Stay.status == StayStatus.OPEN)))
             .join(Vehicle, pw.JOIN.LEFT_OUTER, on=(Vehicle.id == Stay.vehicle))
             .order_by(ParkingSpot.spot_number))
    if spot is not None:
        query = query.where(ParkingSpot.spot_number == spot)
    # Plain rows from the cursor: peewee's per-row conversion cost more than the query (10,000 spots).
    as_time = Stay.entry_timestamp.python_value
    out = []
    for number, vtype, taken, stay_id, entry, plate in ctx.db.execute(query).fetchall():
        if stay_id is None:
            out.append(SpotState(number, vtype, "occupied" if taken else "free", None, None, None))
        else:
            entry = as_time(entry)
            out.append(SpotState(number, vtype, "overstay" if entry < overstay_before else "occupied", stay_id, plate, entry))
    return out


def map_states(ctx: Context, overstay_before: dt.datetime) -> MapStates:
    """Every spot's number, type and state, by spot number, packed by the database (MapStates).

    The same states as `spot_states`, worked out by the database from two indexes on the open
    stays (which spots hold one; which began before `overstay_before`) without reading a stay
    or vehicle row, and packed by it into one string. Booths poll this every few seconds: two
    reads compare as one string, and no Python object per spot is made. (Fetched row by row,
    10,000 spots made the reading thread take the interpreter lock back 10,000 times, and the
    terminal's key presses waited for it.)
    """
    overstayed = Stay.select(Stay.spot_number).where((Stay.status == StayStatus.OPEN) & (Stay.entry_timestamp < overstay_before))
    holds_stay = Stay.select(pw.SQL("1")).where((Stay.spot_number == ParkingSpot.spot_number) & (Stay.status == StayStatus.OPEN))
    state = pw.Case(None, [(ParkingSpot.spot_number.in_(overstayed), "overstay"),
                           ((ParkingSpot.is_occupied == True) | pw.fn.EXISTS(holds_stay), "occupied")],  # noqa: E712
                    "free")
    sep = MapStates.FIELD_SEP
    entry = (ParkingSpot.spot_number.concat(sep).concat(pw.fn.COALESCE(ParkingSpot.vehicle_type, "")).concat(sep)
             .concat(state))
    query = ctx.backend.ordered_concat(entry, MapStates.ROW_SEP, ParkingSpot.spot_number, ParkingSpot)
    return MapStates(query.scalar() or "")
