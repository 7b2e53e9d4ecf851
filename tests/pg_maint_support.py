"""Helpers shared by the tests/test_pg_maint*.py files (no tests here)."""

from __future__ import annotations

import subprocess
import sys

import psycopg
from pg_introspect import pg_snapshot, without_history
from test_maint_support import FILES, wait_for

from kiosk.db import connect, resolve_target
from kiosk.schema import runner
from kiosk.schema.files import parse_version


def make_pg(target, to: str | None = None, vehicles: int = 3, files=None):
    """The test's PostgreSQL database at `to` (default latest) with a few vehicles and audit rows."""
    db = connect(target, bind=False)
    runner.migrate(target, db, parse_version(to) if to else None, files=files or FILES)
    if vehicles:
        db.execute_sql(
            "INSERT INTO vehicles (number_plate, contact_name, phone_number) "
            f"SELECT 'PL' || i, 'Name ' || i, '+4420' || i FROM generate_series(1, {int(vehicles)}) AS n(i)"
        )
        db.execute_sql("INSERT INTO audit_logs (action, entity, entity_id) SELECT 'entry', 'vehicle', id FROM vehicles")
    db.close()
    return target.raw


def q(url, sql, params=()):
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else None


def state(url):
    """(schema version, rows per table, schema snapshot without the history table)."""
    db = connect(resolve_target(url), bind=False)
    try:
        tables = db.get_tables()
        counts = {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        versions = [r[0] for r in db.execute_sql("SELECT version FROM migratehistory ORDER BY id")] if "migratehistory" in tables else []
        return (versions[-1] if versions else "0"), counts, without_history(pg_snapshot(db))
    finally:
        db.close()


def runs(url):
    with psycopg.connect(url) as conn:
        cur = conn.execute("SELECT * FROM maintenance_runs ORDER BY id")
        names = [d.name for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def dumps(tmp_path):
    return sorted((tmp_path / "backups").glob("*.dump"))


KIOSK = """
import sys, time
from kiosk.db import connect, resolve_target
from kiosk.maintenance.presence import announce
target = resolve_target(sys.argv[1])
with announce(target, connect(target), sys.argv[2]):
    open(sys.argv[3], "w").close()
    time.sleep(600)
"""


def start_kiosk(url, booth, tmp_path):
    ready = tmp_path / f"ready-{booth}"
    proc = subprocess.Popen([sys.executable, "-c", KIOSK, url, booth, str(ready)], stdin=subprocess.DEVNULL)
    wait_for(ready, proc)
    return proc
