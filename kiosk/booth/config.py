"""Booth configuration: retention, archive age, booth name, phone region, time zone, rates per type."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from ..models import ParkingRate, Shift, SystemConfig
from .context import Context
from .errors import BoothError, shown
from .localtime import check_zone, zone_name, zone_of
from .money import from_cents, parse_money, to_cents
from .phones import check_region
from .results import Config, Rate
from .sql import Statement
from .text import clean_label
from .validate import normalise_type, parse_int

RATE_MAX = Decimal("1000.00")
CAP_MAX = Decimal("100000.00")


def _check_symbol(value: object) -> str:
    text = clean_label(value, "currency_symbol", "currency symbol", hi=3)
    if any(ch.isdigit() or ch.isspace() for ch in text):
        raise BoothError("the currency symbol is 1 to 3 characters without digits or spaces, e.g. £", field="currency_symbol")
    return text


# setting -> validator; each says what it allows in its message.
SETTINGS = {
    "retention_hours": lambda v: parse_int(v, "retention_hours", 1, 8760, "retention (hours)"),
    "archive_days": lambda v: parse_int(v, "archive_days", 1, 3650, "audit archive age (days)"),
    "booth_name": lambda v: clean_label(v, "booth_name", "booth name"),
    "phone_region": check_region,
    "currency_symbol": _check_symbol,
    "time_zone": check_zone,
    "expiry_batch_size": lambda v: parse_int(v, "expiry_batch_size", 1, 100_000, "expiry batch size"),
    "archive_batch_size": lambda v: parse_int(v, "archive_batch_size", 1, 100_000, "archive batch size"),
    "backup_window_days": lambda v: parse_int(v, "backup_window_days", 0, 365, "backup window (days)"),
    "staff_retention_days": lambda v: parse_int(v, "staff_retention_days", 1, 3650, "staff data kept after disabling (days)"),
    "lock_minutes": lambda v: parse_int(v, "lock_minutes", 1, 120, "terminal lock after (minutes without a key)"),
}


# Columns of a rate, in the order rate_of() takes them (joined into the look-up and payment queries).
RATE_COLUMNS = ("rate_per_hour", "minimum_hours", "grace_minutes", "daily_cap_cents")
_RATE = Statement(f"SELECT {', '.join(RATE_COLUMNS)} FROM parking_rates WHERE vehicle_type = ?")


def rate_of(vehicle_type: str, rate_per_hour, minimum_hours, grace_minutes, daily_cap_cents) -> Rate:
    """A Rate from a parking_rates row's columns (RATE_COLUMNS), as the database returned them."""
    # The same few rows come back on every quote: each is converted once (a fifth of a look-up's
    # Python time). Keyed by the exact values read, and the rate's type (2.5 == Decimal("2.5")).
    return _rate_of(vehicle_type, type(rate_per_hour).__name__, rate_per_hour, minimum_hours, grace_minutes, daily_cap_cents)


@lru_cache(maxsize=256)
def _rate_of(vehicle_type: str, _kind: str, rate_per_hour, minimum_hours, grace_minutes, daily_cap_cents) -> Rate:
    return Rate(
        vehicle_type=vehicle_type,
        # Through the field, as a model would convert it: a DECIMAL column holds a float on SQLite.
        rate_per_hour=(parse_money(str(ParkingRate.rate_per_hour.python_value(rate_per_hour)), "rate")
                       if rate_per_hour is not None else Decimal("0.00")),
        minimum_hours=minimum_hours if minimum_hours is not None else 1,
        grace_minutes=grace_minutes or 0,
        daily_cap=from_cents(daily_cap_cents),
    )


def _rate(row: ParkingRate) -> Rate:
    return rate_of(row.vehicle_type, row.rate_per_hour, row.minimum_hours, row.grace_minutes, row.daily_cap_cents)


def rates(ctx: Context) -> tuple[Rate, ...]:
    return tuple(_rate(r) for r in ParkingRate.select().order_by(ParkingRate.id))


def no_rate(ctx: Context, vehicle_type: str) -> BoothError:
    known = ", ".join(r.vehicle_type for r in rates(ctx)) or "none yet"
    return BoothError(
        f"there is no rate for vehicle type '{shown(vehicle_type)}': set one in Configuration (types with a rate: {known})",
        field="type",
    )


def rate_for(ctx: Context, vehicle_type: str) -> Rate:
    row = _RATE.one(ctx.db, (vehicle_type,))
    if row is None:
        raise no_rate(ctx, vehicle_type)
    return rate_of(vehicle_type, *row)


def read_config(ctx: Context) -> Config:
    row = ctx.config_row()
    return Config(
        retention_hours=row.retention_hours,
        archive_days=row.archive_days,
        booth_name=ctx.booth_override or row.booth_name,
        phone_region=row.phone_region,
        rates=rates(ctx),
        currency_symbol=row.currency_symbol,
        expiry_batch_size=row.expiry_batch_size,
        archive_batch_size=row.archive_batch_size,
        backup_window_days=row.backup_window_days,
        time_zone=row.time_zone or "",
        zone=zone_of(row.time_zone),
        zone_name=zone_name(row.time_zone),
        staff_retention_days=row.staff_retention_days,
        lock_minutes=row.lock_minutes,
    )


def update_config(ctx: Context, **fields) -> Config:
    """Validate every field first; an invalid one changes nothing."""
    if not fields:
        raise BoothError("nothing to change: name a setting (" + ", ".join(SETTINGS) + ")")
    clean = {}
    for name, value in fields.items():
        if name not in SETTINGS:
            raise BoothError(f"unknown setting '{shown(name)}': the settings are " + ", ".join(SETTINGS), field=name)
        clean[name] = SETTINGS[name](value)

    def change():
        row = ctx.config_row()
        before = {k: getattr(row, k) for k in clean}
        changes = {k: [before[k], v] for k, v in clean.items() if before[k] != v}
        if "booth_name" in changes and Shift.select().where((Shift.booth_name == before["booth_name"])
                                                             & (Shift.status == "open")).exists():
            # The shift, its Z number sequence and its payments are recorded under the booth's name.
            raise BoothError(f"booth {before['booth_name']} has a shift open: close it before renaming the booth",
                             field="booth_name")
        if changes:
            SystemConfig.update(**clean, updated_at=ctx.now()).where(SystemConfig.id == row.id).execute()
            ctx.audit("config", "system_config", row.id, changes=changes)

    ctx.write(change)
    return read_config(ctx)


# The amounts of a rate: field -> (what it is called, upper bound). A form echoes them with rate_amount.
RATE_AMOUNTS = {"rate": ("hourly rate", RATE_MAX), "daily_cap": ("daily cap", CAP_MAX)}


def rate_amount(field: str, value: object) -> Decimal:
    """The rate's amount `field` ('rate' or 'daily_cap') as set_rate reads it, or BoothError(field=field)."""
    what, maximum = RATE_AMOUNTS[field]
    return parse_money(value, field, what=what, minimum=Decimal("0.01"), maximum=maximum)


def _optional_cap(value: object) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return rate_amount("daily_cap", value)


# One check per field of a rate (as BoothError.field names it): set_rate's, and a form's as it is typed.
RATE_CHECKS = {
    "type": normalise_type,
    "rate": lambda v: rate_amount("rate", v),
    "minimum_hours": lambda v: parse_int(v, "minimum_hours", 0, 24, "minimum hours"),
    "grace_minutes": lambda v: parse_int(v, "grace_minutes", 0, 59, "grace (minutes)"),
    "daily_cap": _optional_cap,
}


def check_setting(name: str, value) -> object:
    """A setting's clean value as update_config would save it (no database); BoothError if refused."""
    if name not in SETTINGS:
        raise BoothError(f"unknown setting '{shown(name)}': the settings are " + ", ".join(SETTINGS), field=name)
    return SETTINGS[name](value)


def check_rate_field(name: str, value) -> object:
    """One field of a rate, checked as set_rate checks it (no database); BoothError if refused."""
    return RATE_CHECKS[name](value)


def is_rate_amount(name: str) -> bool:
    """Whether a rate field is an amount of money (shown back in the currency as it is typed)."""
    return name in RATE_AMOUNTS


def set_rate(ctx: Context, vehicle_type, rate_per_hour, minimum_hours=1, grace_minutes=0, daily_cap=None) -> Rate:
    vtype = normalise_type(vehicle_type)  # RATE_CHECKS["type"], typed
    rate = RATE_CHECKS["rate"](rate_per_hour)
    minimum = RATE_CHECKS["minimum_hours"](minimum_hours)
    grace = RATE_CHECKS["grace_minutes"](grace_minutes)
    cap = RATE_CHECKS["daily_cap"](daily_cap)

    def change():
        now = ctx.now()
        values = dict(rate_per_hour=rate, minimum_hours=minimum, grace_minutes=grace,
                      daily_cap_cents=None if cap is None else to_cents(cap), updated_at=now)
        row = ParkingRate.get_or_none(ParkingRate.vehicle_type == vtype)
        if row is None:
            rid = ParkingRate.insert(vehicle_type=vtype, created_at=now, **values).execute()
        else:
            rid = row.id
            ParkingRate.update(**values).where(ParkingRate.id == rid).execute()
        ctx.audit("rate", "parking_rates", rid, vehicle_type=vtype, rate=str(rate), minimum_hours=minimum,
                  grace_minutes=grace, daily_cap=None if cap is None else str(cap), created=row is None)

    ctx.write(change)
    return rate_for(ctx, vtype)
