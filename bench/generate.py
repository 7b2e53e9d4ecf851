"""Build a realistic large site for the benchmarks, fast, at the kiosk's latest schema.

    python -m bench.generate [--scale 1.0] [--out bench/data/site-s1.db] [--force]
    python -m bench.generate --scale 0.01 --postgres postgresql://user@host/db

At scale 1: 10,000 spots, 50,000 vehicles (6,000 on site of which 300 overstay,
4,000 left today, 40,000 left earlier and still hold personal data, i.e. due
for expiry), 10 paid stays per vehicle (500,000 payments), 5 million audit rows
over the last 120 days (2 million of them older than 90 days, due for
archiving) and 20 million archived audit rows before that.

The schema comes from the kiosk's own migrations (so it is always the latest);
the rows are written in bulk (executemany / recursive CTEs on SQLite, COPY and
generate_series on PostgreSQL), in the shapes the Booth API writes them: stays
with payments carrying amount_cents and the fee breakdown, every open stay's
spot occupied, audit details without personal data. Times are UTC text
relative to `anchor` (the generation time), kept in the cache's metadata.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DAY = 86400
HOUR = 3600
TYPES = (("car", 0.85, 250, "C"), ("van", 0.10, 400, "V"), ("motorcycle", 0.05, 120, "M"))  # type, share, cents/h, zone letter
ZONE = 500  # spots per zone: CA001..CA500, CB001..
STAYS_PER_VEHICLE = 10  # closed (paid) stays per vehicle: 500,000 payments at scale 1
LETTERS = "ABCDEFGHJKLMNPRSTUVWXY"  # no I, O, Q, Z: like real plates
FIRST = ("Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Kim", "Lee", "Morgan", "Jamie")
LAST = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker")


@dataclass
class Counts:
    spots: int
    vehicles: int
    open_stays: int
    overstays: int
    recent_closed: int
    expirable: int
    payments: int
    audit: int
    audit_due: int  # older than 90 days at generation time
    archive: int

    @classmethod
    def at(cls, scale: float) -> "Counts":
        def n(x):
            return max(1, round(x * scale))

        open_stays, recent, expirable = n(6000), n(4000), n(40000)
        vehicles = open_stays + recent + expirable
        return cls(spots=max(n(10000), open_stays + 3 * len(TYPES)), vehicles=vehicles, open_stays=open_stays,
                   overstays=max(1, round(open_stays * 0.05)), recent_closed=recent, expirable=expirable,
                   payments=vehicles * STAYS_PER_VEHICLE, audit=n(5_000_000), audit_due=n(2_000_000),
                   archive=n(20_000_000))


def ts(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def plate_of(i: int) -> str:
    """A unique UK-style plate (AB12CDE) for every i < 22**5 * 100."""
    digits, rest = i % 100, i // 100
    ls = []
    for _ in range(5):
        rest, k = divmod(rest, len(LETTERS))
        ls.append(LETTERS[k])
    return f"{ls[0]}{ls[1]}{digits:02d}{ls[2]}{ls[3]}{ls[4]}"


def fee_cents(minutes: int, rate_cents: int) -> tuple[int, int, int]:
    """(hours_started, hours_charged, cents) by the booth's rule: every started hour, minimum 1, no grace/cap."""
    started = -(-minutes // 60)
    charged = max(1, started)
    return started, charged, charged * rate_cents


# --------------------------------------------------------------------------- rows
def build_rows(c: Counts, anchor: int, seed: int = 8) -> dict[str, list[tuple]]:
    """Spots, vehicles, stays and payments, consistent with each other and with the Booth's rules."""
    rnd = random.Random(seed)
    spots, by_type = [], {}
    for vtype, share, _rate, letter in TYPES:
        count = max(3, round(c.spots * share))
        for k in range(count):
            zone, num = divmod(k, ZONE)
            number = f"{letter}{LETTERS[zone]}{num + 1:03d}"
            by_type.setdefault(vtype, []).append(number)
            spots.append([len(spots) + 1, number, vtype, 0, ts(anchor - 200 * DAY), ts(anchor - 200 * DAY)])
    spot_row = {s[1]: s for s in spots}
    free = {t: rnd.sample(nums, len(nums)) for t, nums in by_type.items()}  # open stays scattered over the map
    rate = {t: r for t, _s, r, _l in TYPES}
    types = [t for t, _s, _r, _l in TYPES]
    weights = [s for _t, s, _r, _l in TYPES]

    vehicles, stays, payments = [], [], []
    for i in range(c.vehicles):
        vid = i + 1
        vtype = rnd.choices(types, weights)[0]
        if i < c.open_stays and not free[vtype]:
            vtype = "car"
        if i < c.open_stays:  # on site: most since today, some overstaying for days
            over = i < c.overstays
            latest = anchor - (rnd.randint(26 * HOUR, 10 * DAY) if over else rnd.randint(60, 20 * HOUR))
        elif i < c.open_stays + c.recent_closed:  # left today
            latest = anchor - rnd.randint(2 * HOUR, 20 * HOUR)
        else:  # left earlier: due for expiry
            latest = anchor - rnd.randint(36 * HOUR, 118 * DAY)
        first = anchor - 120 * DAY + rnd.randint(0, DAY)
        closed = STAYS_PER_VEHICLE
        entries = [first + (latest - first) * k // closed for k in range(closed)]  # >= 11 days apart
        if i >= c.open_stays:
            entries = entries[1:] + [latest]
        last_exit = None
        for k, entry in enumerate(entries):
            minutes = rnd.randint(10, 9 * 60)
            exit_ = entry + minutes * 60
            spot = rnd.choice(by_type[vtype])
            sid = len(stays) + 1
            stays.append((sid, vid, spot, vtype, ts(entry), ts(exit_), "paid", None, ts(entry), ts(exit_)))
            started, charged, cents = fee_cents(minutes, rate[vtype])
            cash = rnd.random() < 0.3
            tendered = -(-cents // 500) * 500 if cash else None
            payments.append((
                len(payments) + 1, vid, cents / 100, "paid", "cash" if cash else "card", f"{rnd.getrandbits(80):020x}",
                ts(exit_), sid, cents, None, tendered, None if tendered is None else tendered - cents, rate[vtype], 1,
                minutes, started, charged, 0, None, "Booth",
            ))
            last_exit, last_spot = exit_, spot
        name = f"{FIRST[i % 10]} {LAST[(i // 10) % 10]}"
        phone = f"+4474{i % 100_000_000:08d}"
        if i < c.open_stays:
            spot = free[vtype].pop()
            spot_row[spot][3], spot_row[spot][5] = 1, ts(latest)
            stays.append((len(stays) + 1, vid, spot, vtype, ts(latest), None, "open", None, ts(latest), ts(latest)))
            vehicles.append((vid, plate_of(i * 7 + 3), name, phone, ts(latest), ts(first), ts(latest), vtype, spot,
                             None, None))
        else:
            vehicles.append((vid, plate_of(i * 7 + 3), name, phone, ts(latest), ts(first), ts(last_exit), vtype,
                             last_spot, "paid", None))
    return {"parking_spots": [tuple(s) for s in spots], "vehicles": vehicles, "stays": stays, "payments": payments}


COLUMNS = {
    "parking_spots": ("id", "spot_number", "vehicle_type", "is_occupied", "created_at", "updated_at"),
    "vehicles": ("id", "number_plate", "contact_name", "phone_number", "entry_timestamp", "created_at", "updated_at",
                 "vehicle_type", "parking_spot", "payment_status", "purged_at"),
    "stays": ("id", "vehicle_id", "spot_number", "vehicle_type", "entry_timestamp", "exit_timestamp", "status",
              "closed_reason", "created_at", "updated_at"),
    "payments": ("id", "vehicle_id", "amount", "payment_status", "payment_method", "transaction_id", "created_at",
                 "stay_id", "amount_cents", "refund_of", "tendered_cents", "change_cents", "rate_cents", "minimum_hours",
                 "minutes", "hours_started", "hours_charged", "grace_minutes", "daily_cap_cents", "booth_name"),
}


# --------------------------------------------------------------------------- audit SQL
def audit_select(first_id: int, count: int, start: int, span: int, *, postgres: bool = False) -> str:
    """Audit rows with ids first_id.. and times spread evenly over [start, start+span): entries, payments,
    expiry/archive runs and configuration changes, details as the Booth writes them (no personal data)."""
    if postgres:
        n = "n"
        src = f"generate_series(0, {count - 1}) AS g(n)"
        when = f"to_timestamp({start} + (n::bigint * {span}) / {count}) AT TIME ZONE 'UTC'"
        text = "::text"
        cat = "||"
        pad = "lpad(((n % 500) + 1)::text, 3, '0')"
    else:
        n = "n"
        src = f"(WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < {count - 1}) SELECT n FROM c)"
        when = f"datetime({start} + ({n} * {span}) / {count}, 'unixepoch')"
        text = ""
        cat = "||"
        pad = "printf('%03d', (n % 500) + 1)"
    sid = f"(({first_id} + n) / 2){text}"
    return f"""SELECT {first_id} + n AS id,
  CASE n % 20 WHEN 19 THEN 'config' WHEN 18 THEN 'expire' ELSE CASE n % 2 WHEN 0 THEN 'entry' ELSE 'payment' END END,
  CASE n % 20 WHEN 19 THEN 'system_config' WHEN 18 THEN 'vehicles' ELSE CASE n % 2 WHEN 0 THEN 'stays' ELSE 'payments' END END,
  CASE n % 20 WHEN 19 THEN '1' WHEN 18 THEN ({first_id} + n){text} {cat} '-' {cat} ({first_id} + n + 499){text} ELSE {sid} END,
  {when},
  CASE n % 20
    WHEN 19 THEN '{{"booth": "Booth", "changes": {{"retention_hours": [24, 48]}}}}'
    WHEN 18 THEN '{{"booth": "Booth", "count": 500, "cutoff": "2026-01-01 00:00:00"}}'
    ELSE CASE n % 2
      WHEN 0 THEN '{{"booth": "Booth", "returning": true, "spot": "CA' {cat} {pad} {cat} '", "vehicle_id": ' {cat} ((n % 50000) + 1){text} {cat} ', "vehicle_type": "car"}}'
      ELSE '{{"amount": "5.00", "booth": "Booth", "hours_charged": 2, "method": "card", "rate": "2.50", "stay_id": ' {cat} {sid} {cat} '}}'
    END
  END
FROM {src}"""


def audit_plan(c: Counts, anchor: int) -> list[tuple[str, int, int, int, int]]:
    """(table, first id, count, start epoch, span seconds): archive before audit, ids in time order."""
    return [
        ("audit_logs_archive", 1, c.archive, anchor - 600 * DAY, 480 * DAY),
        ("audit_logs", c.archive + 1, c.audit_due, anchor - 120 * DAY, 29 * DAY),
        ("audit_logs", c.archive + 1 + c.audit_due, c.audit - c.audit_due, anchor - 90 * DAY + HOUR, 90 * DAY - 2 * HOUR),
    ]


# --------------------------------------------------------------------------- SQLite
def _create_schema_sqlite(path: Path) -> str:
    from kiosk.db import connect, resolve_target
    from kiosk.startup import prepare_database

    target = resolve_target(str(path))
    database = connect(target)
    version = prepare_database(target, database)
    database.close()
    return version


def generate_sqlite(path: Path, scale: float, *, log=print) -> dict:
    t0 = time.perf_counter()
    path = Path(path)
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    version = _create_schema_sqlite(path)
    counts = Counts.at(scale)
    anchor = int(time.time())
    rows = build_rows(counts, anchor)
    log(f"  rows built in Python ({sum(map(len, rows.values())):,}) in {time.perf_counter() - t0:.1f} s")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")  # a throw-away build: no journal, no fsync; WAL is set at the end
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    con.execute("PRAGMA foreign_keys=OFF")
    bulk = ("audit_logs", "audit_logs_archive", "stays", "payments", "vehicles")
    indexes = con.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN ({','.join('?' * len(bulk))})",
        bulk).fetchall()
    con.execute("BEGIN")
    for name, _sql in indexes:  # load first, index after: sorting once is far faster than random inserts
        con.execute(f"DROP INDEX {name}")
    con.execute("DELETE FROM parking_spots")  # the fresh schema's default layout is replaced by the site's
    for table, data in rows.items():
        cols = COLUMNS[table]
        con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", data)
    con.execute("COMMIT")
    log(f"  spots, vehicles, stays, payments written in {time.perf_counter() - t0:.1f} s")
    chunk = 2_000_000
    for table, first, count, start, span in audit_plan(counts, anchor):
        for off in range(0, count, chunk):
            k = min(chunk, count - off)
            part_start = start + (span * off) // count
            con.execute("BEGIN")
            con.execute(f"INSERT INTO {table} (id, action, entity, entity_id, timestamp, details) "
                        + audit_select(first + off, k, part_start, (span * k) // count))
            con.execute("COMMIT")
        log(f"  {table}: {count:,} rows by {time.perf_counter() - t0:.1f} s")
    con.execute("BEGIN")
    for name, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    log(f"  indexes rebuilt by {time.perf_counter() - t0:.1f} s")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    meta = {"scale": scale, "anchor": anchor, "anchor_text": ts(anchor), "schema_version": version,
            "counts": asdict(counts), "seconds": round(time.perf_counter() - t0, 1),
            "size_bytes": path.stat().st_size, "generator": generator_hash()}
    return meta


def generate_v100_sqlite(path: Path, scale: float, *, log=print) -> dict:
    """The same site as a 1.0.0 database (vehicles, system_config, audit_logs): the start of the
    migrate-and-roll-back figure. 1.0.0 has no spots, stays, payments or archive."""
    from kiosk.db import connect, resolve_target
    from kiosk.schema import runner

    t0 = time.perf_counter()
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    target = resolve_target(str(path))
    database = connect(target)
    runner.migrate(target, database, (1, 0, 0))
    database.close()
    counts = Counts.at(scale)
    anchor = int(time.time())
    rnd = random.Random(5)
    vehicles = []
    for i in range(counts.vehicles):
        entry = anchor - rnd.randint(60, 118 * DAY)
        vehicles.append((i + 1, plate_of(i * 7 + 3), f"{FIRST[i % 10]} {LAST[(i // 10) % 10]}", f"+4474{i:08d}",
                         ts(entry), ts(entry), ts(entry)))
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                          "AND tbl_name = 'audit_logs'").fetchall()
    con.execute("BEGIN")
    for name, _sql in indexes:
        con.execute(f"DROP INDEX {name}")
    con.executemany("INSERT INTO vehicles (id, number_plate, contact_name, phone_number, entry_timestamp, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", vehicles)
    for table, first, count, start, span in audit_plan(counts, anchor)[1:]:
        con.execute(f"INSERT INTO {table} (id, action, entity, entity_id, timestamp, details) "
                    + audit_select(first - counts.archive, count, start, span))
    for _name, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return {"scale": scale, "anchor": anchor, "schema_version": "1.0.0", "counts": asdict(counts),
            "seconds": round(time.perf_counter() - t0, 1), "size_bytes": path.stat().st_size,
            "generator": generator_hash()}


def generator_hash() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def latest_schema_version() -> str:
    from kiosk.schema.files import load_migrations

    return load_migrations()[-1].version_text


def migrations_fingerprint() -> str:
    """The migration files' checksums: a site built with other files fails the kiosk's pre-flight
    history check (an applied file was edited), so it is rebuilt."""
    from kiosk.schema.files import load_migrations

    return hashlib.sha256("".join(f.checksum for f in load_migrations()).encode()).hexdigest()[:12]


def cached_site(scale: float, *, v100: bool = False, max_age_days: float = 3.0, log=print) -> tuple[Path, dict]:
    """The cached database for this scale, regenerated when missing, stale, or built by other code/schema.

    `v100`: the 1.0.0 form of the site (for the migrate figure)."""
    path = DATA / (f"site-s{scale:g}-v100.db" if v100 else f"site-s{scale:g}.db")
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and path.exists() else None
    reason = None
    if meta is None:
        reason = "no cached database"
    elif meta.get("generator") != generator_hash():
        reason = "the generator changed"
    elif meta.get("schema_version") != ("1.0.0" if v100 else latest_schema_version()):
        reason = f"the schema is now {latest_schema_version()}"
    elif meta.get("migrations") != migrations_fingerprint():
        reason = "the migration files changed"
    elif time.time() - meta["anchor"] > max_age_days * DAY:
        reason = f"older than {max_age_days:g} days (times are relative to generation)"
    if reason:
        log(f"generating the site at scale {scale:g} ({reason}) -> {path}")
        meta = (generate_v100_sqlite if v100 else generate_sqlite)(path, scale, log=log)
        meta["migrations"] = migrations_fingerprint()
        meta_path.write_text(json.dumps(meta, indent=2))
        log(f"  done in {meta['seconds']} s, {meta['size_bytes'] / 1e9:.2f} GB")
        meta["generated_now"] = True
    else:
        meta["generated_now"] = False
    return path, meta


# --------------------------------------------------------------------------- PostgreSQL
def generate_postgres(url: str, scale: float, *, log=print) -> dict:
    """Fill an EMPTY PostgreSQL database (schema made by the kiosk's migrations) with the same site."""
    import psycopg

    from kiosk.db import connect, resolve_target
    from kiosk.startup import prepare_database

    t0 = time.perf_counter()
    target = resolve_target(url)
    database = connect(target)
    version = prepare_database(target, database)  # refuses a database that holds other tables
    database.close()
    counts = Counts.at(scale)
    anchor = int(time.time())
    rows = build_rows(counts, anchor)
    bulk = ("audit_logs", "audit_logs_archive", "stays", "payments", "vehicles")
    with psycopg.connect(url, autocommit=False) as con:
        con.execute("SET session_replication_role = replica")  # no FK triggers during the load (needs superuser)
        indexes = con.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)", (list(bulk),)).fetchall()
        for name, _sql in indexes:
            con.execute(f"DROP INDEX {name}")
        con.execute("DELETE FROM parking_spots")
        for table, data in rows.items():
            cols = COLUMNS[table]
            with con.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row([bool(v) if (table, i) == ("parking_spots", 3) else v for i, v in enumerate(row)])
        log(f"  spots, vehicles, stays, payments copied in {time.perf_counter() - t0:.1f} s")
        for table, first, count, start, span in audit_plan(counts, anchor):
            con.execute(f"INSERT INTO {table} (id, action, entity, entity_id, timestamp, details) "
                        + audit_select(first, count, start, span, postgres=True))
            log(f"  {table}: {count:,} rows by {time.perf_counter() - t0:.1f} s")
        for name, sql in indexes:
            con.execute(sql)
        for table in ("parking_spots", "vehicles", "stays", "payments", "audit_logs"):
            con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        con.execute("SET session_replication_role = origin")
        con.commit()
        con.autocommit = True
        con.execute("ANALYZE")
    return {"scale": scale, "anchor": anchor, "schema_version": version, "counts": asdict(counts),
            "seconds": round(time.perf_counter() - t0, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full site (default 1.0; 0.1 = 1/10)")
    parser.add_argument("--out", type=Path, help="SQLite file to write (default: the cache, bench/data/site-s<scale>.db)")
    parser.add_argument("--postgres", metavar="URL", help="fill this (empty) PostgreSQL database instead")
    parser.add_argument("--force", action="store_true", help="regenerate the cached database even if it is current")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 2:
        parser.error("--scale must be above 0 and at most 2")
    if args.postgres:
        meta = generate_postgres(args.postgres, args.scale)
    elif args.out:
        meta = generate_sqlite(args.out, args.scale)
    else:
        if args.force:
            (DATA / f"site-s{args.scale:g}.json").unlink(missing_ok=True)
        _path, meta = cached_site(args.scale)
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
