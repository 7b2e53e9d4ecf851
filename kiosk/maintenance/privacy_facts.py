"""What the proof of storage limitation reads from the database: plain SQL, read-only, both dialects.

Each reader states one fact the operator must be able to show (GDPR Art. 5(2)): how old the
oldest personal data still held is, against the retention that applies to it; how the retention
was set over time; what expiry did; which holds and requests are outstanding. The rule for what
holds personal data is the expiry rule (kiosk.booth.retention), restated here because booth and
maintenance do not import each other; tests/test_maint_privacy_proof.py pins the two together.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass

import peewee as pw

from ..clock import to_sqlite_text

# Settings whose history the proof shows: how long personal data is kept, where, and for whom.
RETENTION_SETTINGS = ("retention_hours", "staff_retention_days", "backup_window_days")
DUE_SOON_DAYS = 7
# Expiry runs every few minutes while a terminal runs (or from cron): data this far past its
# retention means expiry is not running, or failing.
GRACE = dt.timedelta(hours=1)
LIVE_STORES = ("vehicles", "notes", "staff")

HELD_VEHICLE = "EXISTS (SELECT 1 FROM legal_holds h WHERE h.vehicle_id = {v} AND h.released_at IS NULL)"
HELD_STAFF = "EXISTS (SELECT 1 FROM legal_holds h WHERE h.staff_id = {s} AND h.released_at IS NULL)"
_OPEN_STAY = "EXISTS (SELECT 1 FROM stays o WHERE o.vehicle_id = v.id AND o.status = 'open')"


def utc(value) -> dt.datetime | None:
    """A stored time (naive UTC text from SQLite, a naive datetime from PostgreSQL) as aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("T", " ")[:26])
        except ValueError:  # text that is no time (a database edited by hand): unknown, not a crash
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def day(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _rows(database: pw.Database, sql: str, params: tuple = ()) -> list[tuple]:
    return list(database.execute_sql(sql.replace("?", database.param), params).fetchall())


def _one(database: pw.Database, sql: str, params: tuple = ()) -> tuple:
    return database.execute_sql(sql.replace("?", database.param), params).fetchone()


@dataclass(frozen=True)
class Settings:
    retention_hours: int
    staff_retention_days: int
    backup_window_days: int
    phone_region: str
    zone: dt.tzinfo


def _zone(setting: str | None) -> dt.tzinfo:
    """The site's zone as the booth reads it: a named zone, else this machine's."""
    if setting:
        try:
            return zoneinfo.ZoneInfo(setting)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    import tzlocal

    try:
        return tzlocal.get_localzone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return dt.timezone.utc


def settings(database: pw.Database) -> Settings:
    row = _one(database, "SELECT retention_hours, staff_retention_days, backup_window_days, phone_region, time_zone "
                         "FROM system_config ORDER BY id LIMIT 1")
    if row is None:
        return Settings(24, 365, 7, "GB", _zone(""))
    return Settings(int(row[0]), int(row[1]), int(row[2]), str(row[3] or "GB"), _zone(row[4]))


@dataclass(frozen=True)
class Store:
    """One place personal data is held, against the limit that applies to it."""

    store: str  # vehicles | notes | staff | receipts | backups | audit_logs | audit_logs_archive
    label: str
    count: int  # items holding personal data (for the audit tables: rows, which hold ids only)
    oldest_at: dt.datetime | None
    limit: dt.timedelta | None  # None: no personal data there, so no limit applies
    over: int = 0  # items past the limit (held ones not counted): a finding
    held: int = 0  # items past the limit kept by a legal hold in force
    flagged: tuple[tuple[str, int, str, str], ...] = ()  # audit rows: (table, id, key, what it reads as)
    note: str = ""

    def age(self, now: dt.datetime) -> dt.timedelta | None:
        return None if self.oldest_at is None else now - self.oldest_at

    def to_json(self, now: dt.datetime) -> dict:
        age = self.age(now)
        return {"store": self.store, "label": self.label, "count": self.count,
                "oldest_at": to_sqlite_text(self.oldest_at) if self.oldest_at else None,
                "age_hours": None if age is None else round(age / dt.timedelta(hours=1), 1),
                "limit_hours": None if self.limit is None else round(self.limit / dt.timedelta(hours=1), 1),
                "over": self.over, "held": self.held,
                "flagged": [{"table": t, "id": i, "key": k, "reads_as": r} for t, i, k, r in self.flagged],
                "note": self.note}


def _store(database, store, label, sql, held_sql, cutoff: dt.datetime, limit: dt.timedelta, note: str) -> Store:
    """`sql`: COUNT, MIN(time), over-count of the rows not held; `held_sql`: the held rows past the cutoff."""
    c = (to_sqlite_text(cutoff),)
    count, oldest, over = _one(database, sql, c)
    held = _one(database, held_sql, c)[0]
    return Store(store, label, int(count or 0), utc(oldest), limit, int(over or 0), int(held or 0), note=note)


def live_stores(database: pw.Database, now: dt.datetime, s: Settings) -> list[Store]:
    """Vehicles (plate, name, phone) of cars gone, stays' notes, disabled staff accounts: each held
    only until its retention (cars on site are not due: the booth still needs them)."""
    hours = dt.timedelta(hours=s.retention_hours)
    cutoff = now - hours - GRACE
    vehicles = "FROM vehicles v WHERE v.purged_at IS NULL AND NOT " + _OPEN_STAY
    held_v = HELD_VEHICLE.format(v="v.id")
    notes = "FROM stays n WHERE n.note IS NOT NULL AND n.status <> 'open'"
    held_n = HELD_VEHICLE.format(v="n.vehicle_id")
    staff = "FROM staff a WHERE a.disabled_at IS NOT NULL AND a.purged_at IS NULL"
    held_a = HELD_STAFF.format(s="a.id")
    staff_limit = dt.timedelta(days=s.staff_retention_days)

    def counts(frm: str, held: str, col: str) -> tuple[str, str]:
        return (f"SELECT COUNT(*), MIN({col}), SUM(CASE WHEN {col} < ? THEN 1 ELSE 0 END) {frm} AND NOT {held}",
                f"SELECT COUNT(*) {frm} AND {held} AND {col} < ?")

    return [
        _store(database, "vehicles", "vehicles of cars gone (plate, name, phone)", *counts(vehicles, held_v, "v.entry_timestamp"),
               cutoff, hours, "age from the vehicle's last entry"),
        _store(database, "notes", "notes on closed stays", *counts(notes, held_n, "n.entry_timestamp"),
               cutoff, hours, "age from the stay's entry"),
        _store(database, "staff", "disabled staff accounts (name)", *counts(staff, held_a, "a.disabled_at"),
               now - staff_limit - GRACE, staff_limit, "age from when the account was disabled; active accounts are in use"),
    ]


def audit_store(database: pw.Database, table: str, phone_region: str, plates: set[str]) -> Store:
    """An audit table holds ids and codes only: its age has no limit; any details value that reads as
    a plate or a phone number is flagged (it should not be there)."""
    count, oldest = _one(database, f'SELECT COUNT(*), MIN("timestamp") FROM {table}')
    flagged = tuple(_flag_details(database, table, phone_region, plates))
    label = "audit trail" if table == "audit_logs" else "audit archive"
    return Store(table, label, int(count or 0), utc(oldest), None, flagged=flagged,
                 note="ids and codes only, no personal data" + (f"; {len(flagged)} value(s) read as personal data"
                                                                 if flagged else ""))


PERSONAL_KEYS = {"plate", "number_plate", "phone", "phone_number", "name", "contact_name"}


def plates_on_record(database: pw.Database) -> set[str]:
    """Plates still held (normalised as at entry: upper case, no spaces or dashes)."""
    return {_plate_key(r[0]) for r in _rows(database, "SELECT number_plate FROM vehicles WHERE purged_at IS NULL")
            if r[0]}


def _plate_key(text: str) -> str:
    return "".join(ch for ch in str(text).upper() if not ch.isspace() and ch != "-")


def _reads_as(key: str, value, region: str, plates: set[str]) -> str:
    if not isinstance(value, str) or not value or value.startswith("~"):
        return ""
    if key in PERSONAL_KEYS:
        return key
    if _plate_key(value) in plates:
        return "plate"
    if sum(ch.isdigit() for ch in value) >= 7 and set(value) <= set("+0123456789 ()-"):
        import phonenumbers

        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(value, region)):
                return "phone"
        except phonenumbers.NumberParseException:
            pass
    return ""


def _walk(details, key: str = ""):
    if isinstance(details, dict):
        for k, v in details.items():
            yield from _walk(v, str(k))
    elif isinstance(details, list):
        for v in details:
            yield from _walk(v, key)
    else:
        yield key, details


def _flag_details(database, table: str, region: str, plates: set[str], limit: int = 100):
    found = 0
    cursor = database.execute_sql(f"SELECT id, details FROM {table} WHERE details IS NOT NULL ORDER BY id")
    for row_id, text in cursor:
        try:
            details = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            details = text
        for key, value in _walk(details):
            what = _reads_as(key, value, region, plates)
            if what:
                yield table, int(row_id), key, what
                found += 1
                if found >= limit:  # enough to act on; the rest are like it
                    return
                break


@dataclass(frozen=True)
class RetentionChange:
    at: dt.datetime
    setting: str
    old: object
    new: object
    staff_id: int | None
    by: str  # the person's name now, 'former staff #id', or how it was made (a maintenance command)
    source: str  # audit_logs | audit_logs_archive

    def to_json(self) -> dict:
        return {"at": to_sqlite_text(self.at), "setting": self.setting, "from": self.old, "to": self.new,
                "staff_id": self.staff_id, "by": self.by, "source": self.source}


def retention_history(database: pw.Database) -> list[RetentionChange]:
    """Every change of a retention setting, oldest first, from the audit trail and its archive."""
    raw = []
    for table in ("audit_logs_archive", "audit_logs"):
        for _id, at, details, staff_id, origin in _rows(
                database, f'SELECT id, "timestamp", details, staff_id, origin FROM {table} WHERE action = \'config\''):
            try:
                changes = (json.loads(details) if isinstance(details, str) else details or {}).get("changes") or {}
            except (ValueError, AttributeError):
                continue
            for setting in RETENTION_SETTINGS:
                pair = changes.get(setting)
                if isinstance(pair, list) and len(pair) == 2:
                    raw.append((utc(at), _id, setting, pair, staff_id, origin, table))
    names = staff_names(database, {r[4] for r in raw if r[4] is not None})
    out = []
    for at, _id, setting, (old, new), staff_id, origin, table in sorted(raw, key=lambda r: (r[0], r[1])):
        by = names.get(staff_id, f"staff #{staff_id}") if staff_id is not None else (
            "a maintenance command" if origin == "headless" else str(origin or "unknown"))
        out.append(RetentionChange(at, setting, old, new, staff_id, by, table))
    return out


def staff_names(database: pw.Database, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    p = ", ".join("?" * len(ids))
    rows = _rows(database, f"SELECT id, display_name, purged_at FROM staff WHERE id IN ({p})", tuple(sorted(ids)))
    return {int(i): (f"former staff #{i}" if purged is not None else str(name)) for i, name, purged in rows}


@dataclass(frozen=True)
class ExpiryDay:
    day: dt.date
    runs: int = 0
    rows: int = 0  # vehicles anonymised
    held: int = 0  # rows skipped for a legal hold
    failed: int = 0

    def to_json(self) -> dict:
        return {"day": self.day.isoformat(), "runs": self.runs, "rows": self.rows, "held": self.held,
                "failed": self.failed}


def expiry_days(database: pw.Database, now: dt.datetime, days: int) -> list[ExpiryDay]:
    """One entry per UTC day of the period, oldest first, days without a run included (zeros)."""
    first = now.date() - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), dt.timezone.utc)
    per: dict[dt.date, list[int]] = {first + dt.timedelta(days=i): [0, 0, 0, 0] for i in range(days)}
    for started, status, rows, held in _rows(
            database, "SELECT started_at, status, rows_done, held FROM lifecycle_runs WHERE kind = 'expire' "
                      "AND started_at >= ?", (to_sqlite_text(since),)):
        at = utc(started)
        if at is None or at.date() not in per:
            continue
        totals = per[at.date()]
        totals[0] += 1
        totals[1] += int(rows or 0)
        totals[2] += int(held or 0)
        totals[3] += status == "failed"
    return [ExpiryDay(d, *v) for d, v in per.items()]


def last_expiry(database: pw.Database) -> dict | None:
    row = _one(database, "SELECT started_at, status, rows_done, held, message FROM lifecycle_runs "
                         "WHERE kind = 'expire' ORDER BY started_at DESC, id DESC LIMIT 1")
    if row is None:
        return None
    return {"started_at": to_sqlite_text(utc(row[0])), "status": row[1], "rows": int(row[2] or 0),
            "held": int(row[3] or 0), "message": row[4] or ""}


@dataclass(frozen=True)
class Hold:
    id: int
    vehicle_id: int | None
    staff_id: int | None
    reason: str
    until_on: dt.date | None
    placed_at: dt.datetime | None
    past_review: bool

    def to_json(self) -> dict:
        return {"id": self.id, "vehicle_id": self.vehicle_id, "staff_id": self.staff_id, "reason": self.reason,
                "until_on": self.until_on.isoformat() if self.until_on else None,
                "placed_at": to_sqlite_text(self.placed_at) if self.placed_at else None,
                "past_review": self.past_review}


def holds_in_force(database: pw.Database, today: dt.date) -> list[Hold]:
    out = []
    for i, v, s, reason, until, placed in _rows(
            database, "SELECT id, vehicle_id, staff_id, reason, until_on, placed_at FROM legal_holds "
                      "WHERE released_at IS NULL ORDER BY id"):
        until_on = day(until)
        out.append(Hold(int(i), v, s, str(reason), until_on, utc(placed), until_on is not None and until_on < today))
    return out


@dataclass(frozen=True)
class Request:
    reference: str  # the operator's own case reference (no personal data: checked when logged)
    kind: str
    received_on: dt.date
    due_on: dt.date
    extended_months: int
    days_left: int

    @property
    def state(self) -> str:
        return "overdue" if self.days_left < 0 else "due_soon" if self.days_left <= DUE_SOON_DAYS else "open"

    def to_json(self) -> dict:
        return {"reference": self.reference, "kind": self.kind, "received_on": self.received_on.isoformat(),
                "due_on": self.due_on.isoformat(), "extended_months": self.extended_months,
                "days_left": self.days_left, "state": self.state}


def open_requests(database: pw.Database, today: dt.date) -> list[Request]:
    out = []
    for ref, kind, received, due, ext in _rows(
            database, "SELECT reference, kind, received_on, due_on, extended_months FROM privacy_requests "
                      "WHERE status = 'open' ORDER BY due_on, id"):
        due_on, received_on = day(due), day(received)
        if due_on is None or received_on is None:  # not a date (edited by hand): the log's own check says so
            continue
        out.append(Request(str(ref), str(kind), received_on, due_on, int(ext or 0), (due_on - today).days))
    return out
