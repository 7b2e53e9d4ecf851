"""Entry: register a vehicle and give it a spot; find the vehicles that are on site."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import peewee as pw

from ..models import Stay, Vehicle
from . import dialect
from .config import rate_for
from .context import Context
from .errors import BoothError
from .phones import format_phone
from .plates import normalise_plate
from .results import OpenStay, Registration
from .spots import assign
from .text import clean_name
from .validate import normalise_spot, normalise_type, parse_int


def _open_query():
    return (Stay.select(Stay.id, Stay.vehicle_type, Stay.spot_number, Stay.entry_timestamp, Vehicle.number_plate)
            .join(Vehicle, on=(Vehicle.id == Stay.vehicle)).where(Stay.status == "open"))


def _to_open(row: Stay, overstay_before: dt.datetime) -> OpenStay:
    return OpenStay(stay_id=row.id, plate=row.vehicle.number_plate, vehicle_type=row.vehicle_type, spot=row.spot_number,
                    entry_at=row.entry_timestamp, overstay=row.entry_timestamp < overstay_before)


def overstay_before(ctx: Context) -> dt.datetime:
    # The config row alone: read_config() would also read every rate (one query more per look-up).
    return ctx.now() - dt.timedelta(hours=ctx.config_row().retention_hours)


def open_stay_for(ctx: Context, plate) -> OpenStay | None:
    number = normalise_plate(plate)
    row = _open_query().where(Vehicle.number_plate == number).first()
    return _to_open(row, overstay_before(ctx)) if row else None


def open_stays(ctx: Context, prefix="", limit=20) -> list[OpenStay]:
    """Open stays whose plate starts with `prefix` (type-ahead), by plate."""
    start = normalise_plate(prefix, partial=True)
    limit = parse_int(limit, "limit", 1, 10_000)
    query = _open_query()
    if start:
        query = query.where(dialect.prefix_match(Vehicle.number_plate, start))
    cutoff = overstay_before(ctx)
    return [_to_open(r, cutoff) for r in query.order_by(Vehicle.number_plate).limit(limit)]


def overstays(ctx: Context) -> list[OpenStay]:
    cutoff = overstay_before(ctx)
    query = _open_query().where(Stay.entry_timestamp < cutoff).order_by(Stay.entry_timestamp)
    return [_to_open(r, cutoff) for r in query]


def lookalikes(ctx: Context, plate: str) -> list[str]:
    """Parked plates that differ from `plate` only by O/0 or I/1.

    The variants are spelled out and looked up on the unique plate index: scanning
    every open stay in Python cost ~7 ms per 1,000 cars on site (bench/, issue 8).
    """
    options = [("O0" if ch in "O0" else "I1" if ch in "I1" else ch) for ch in plate]
    variants = sorted({"".join(p) for p in itertools.product(*options)} - {plate})
    found: list[str] = []
    for i in range(0, len(variants), 500):  # at most 2**10 variants: a few bounded IN lists
        rows = _open_query().where(Vehicle.number_plate.in_(variants[i:i + 500]))
        found += [r.vehicle.number_plate for r in rows]
    return sorted(found)


def register(ctx: Context, plate, contact_name, phone, vehicle_type, spot=None) -> Registration:
    number = normalise_plate(plate)
    name = clean_name(contact_name)
    e164, _national = format_phone(phone, ctx.config_row().phone_region)
    vtype = normalise_type(vehicle_type)
    wanted = None if spot in (None, "") else normalise_spot(spot)

    def change() -> Registration:
        rate_for(ctx, vtype)  # a type that cannot be charged cannot park
        now = ctx.now()
        on_site = _open_query().where(Vehicle.number_plate == number).first()
        if on_site:
            raise BoothError(
                f"{number} is already parked at {on_site.spot_number or 'an unknown spot'} since "
                f"{on_site.entry_timestamp:%Y-%m-%d %H:%M} UTC (stay {on_site.id}): take its payment first",
                field="plate",
            )
        spot_number = assign(ctx, vtype, wanted, now)
        person = dict(contact_name=name, phone_number=e164, entry_timestamp=now, updated_at=now, vehicle_type=vtype,
                      parking_spot=spot_number, payment_status=None)
        # PostgreSQL: locked, so an expiry batch purging this row finishes first and the row is
        # then no longer this plate's (a new vehicle row is made), never half-reused.
        vehicle = dialect.locked(Vehicle.select().where(Vehicle.number_plate == number)).first()
        if vehicle is None:
            vehicle_id = Vehicle.insert(number_plate=number, created_at=now, **person).execute()
        else:  # a returning plate: its row now holds this stay's personal data
            vehicle_id = vehicle.id
            Vehicle.update(**person).where(Vehicle.id == vehicle_id).execute()
        stay_id = Stay.insert(vehicle=vehicle_id, spot_number=spot_number, vehicle_type=vtype, entry_timestamp=now,
                              status="open", created_at=now, updated_at=now).execute()
        ctx.audit("entry", "stays", stay_id, vehicle_id=vehicle_id, spot=spot_number, vehicle_type=vtype,
                  returning=vehicle is not None)
        return Registration(stay_id, vehicle_id, number, spot_number, vtype, now)

    try:
        reg = ctx.write(change)
    except pw.IntegrityError:
        # The unique open-stay indexes are a backstop; the checks above normally answer first.
        raise BoothError(f"{number} or its spot was registered at another booth a moment ago: look it up and try again",
                         field="plate") from None
    similar = lookalikes(ctx, number)
    if similar:
        reg = dataclasses.replace(reg, warnings=(
            f"{', '.join(similar)} is also parked: check the plate (O/0 and I/1 look alike)",))
    return reg
