"""The two peewee-migrate traps: foreign keys inside the transaction, and no lock."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import peewee as pw
import pytest
from peewee_migrate import Router

from kiosk.db import connect, resolve_target
from kiosk.errors import KioskError
from kiosk.schema import runner
from kiosk.schema.files import load_migrations, migrations_dir

pytestmark = pytest.mark.sqlite_only

# A later version that rebuilds `vehicles` the way SQLite requires for most
# constraint changes: create a copy, move the rows, drop the original, rename.
REBUILD = '''
"""99.0.0 - Rebuild vehicles (test only)."""
VERSION = "99.0.0"


def _rebuild(database):
    import re
    sql = database.execute_sql("SELECT sql FROM sqlite_master WHERE name='vehicles'").fetchone()[0]
    indexes = [r[0] for r in database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name='vehicles' AND sql IS NOT NULL")]
    database.execute_sql(re.sub(r'CREATE TABLE "?vehicles"?', "CREATE TABLE vehicles_new", sql, count=1))
    database.execute_sql("INSERT INTO vehicles_new SELECT * FROM vehicles")
    database.execute_sql("DROP TABLE vehicles")
    database.execute_sql("ALTER TABLE vehicles_new RENAME TO vehicles")
    for index in indexes:
        database.execute_sql(index)


def migrate(migrator, database, fake=False):
    migrator.run(_rebuild, database)


def rollback(migrator, database, fake=False):
    migrator.run(_rebuild, database)
'''

FAILING = '''
"""99.0.0 - Fails half-way (test only)."""
VERSION = "99.0.0"


def migrate(migrator, database, fake=False):
    migrator.sql("CREATE TABLE half_done (id INTEGER)")
    migrator.sql("INSERT INTO no_such_table VALUES (1)")


def rollback(migrator, database, fake=False):
    migrator.sql("DROP TABLE half_done")
'''


def folder_with(tmp_path: Path, extra_name: str, extra_source: str) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / extra_name).write_text(extra_source)
    return folder


def seed_payments(path: Path, n: int = 25) -> None:
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO vehicles (number_plate, contact_name, phone_number) VALUES (?, 'x', '+447700900000')",
        [(f"P{i:03d}",) for i in range(n)],
    )
    conn.execute("INSERT INTO payments (vehicle_id, amount, payment_status) SELECT id, 2.5, 'paid' FROM vehicles")
    conn.commit()
    conn.close()


def test_rebuilding_a_referenced_table_keeps_every_payment(tmp_path):
    files = load_migrations(folder_with(tmp_path, "900_v99_0_0__rebuild_vehicles.py", REBUILD))
    target = resolve_target(str(tmp_path / "k.db"))
    db = connect(target)
    runner.migrate(target, db, files[-2].version, files=files)
    seed_payments(target.path)
    runner.migrate(target, db, None, files=files)
    conn = sqlite3.connect(target.path)
    assert conn.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 25
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("SELECT version FROM migratehistory ORDER BY id DESC LIMIT 1").fetchone()[0] == "99.0.0"
    # enforcement is back on for the connection afterwards
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    runner.rollback(target, db, files[-2].version, files=files)
    assert sqlite3.connect(target.path).execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 25


def test_plain_peewee_migrate_router_hits_the_trap(tmp_path):
    """Documents why KioskRouter exists: the stock runner fails on the same migration."""
    folder = folder_with(tmp_path, "900_v99_0_0__rebuild_vehicles.py", REBUILD)
    files = load_migrations(folder)
    target = resolve_target(str(tmp_path / "k.db"))
    db = connect(target)
    runner.migrate(target, db, files[-2].version, files=files)
    seed_payments(target.path)
    stock = Router(db, migrate_dir=folder)
    with pytest.raises(pw.IntegrityError, match="FOREIGN KEY"):
        stock.run_one("900_v99_0_0__rebuild_vehicles", stock.migrator, fake=False)
    assert sqlite3.connect(target.path).execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 25


def test_failing_version_leaves_previous_version_unchanged(tmp_path):
    files = load_migrations(folder_with(tmp_path, "900_v99_0_0__fails.py", FAILING))
    target = resolve_target(str(tmp_path / "k.db"))
    db = connect(target)
    runner.migrate(target, db, files[-2].version, files=files)
    with pytest.raises(KioskError, match=r"99\.0\.0.*no such table"):
        runner.migrate(target, db, None, files=files)
    conn = sqlite3.connect(target.path)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='half_done'").fetchone() is None
    assert conn.execute("SELECT version FROM migratehistory ORDER BY id DESC LIMIT 1").fetchone()[0] == files[-2].version_text
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# A data-only version slow enough (~0.5 s) that processes started together overlap:
# without a lock each would insert the rows again.
SLOW_DATA = '''
"""99.0.0 - Slow data step (test only)."""
VERSION = "99.0.0"


def migrate(migrator, database, fake=False):
    migrator.sql(
        "INSERT INTO audit_logs (action, entity, entity_id) "
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) "
        "SELECT 'load', 'test', i FROM n"
    )


def rollback(migrator, database, fake=False):
    migrator.sql("DELETE FROM audit_logs WHERE action = 'load'")
'''


def test_migrate_processes_started_together_apply_each_version_once(tmp_path):
    folder = folder_with(tmp_path, "900_v99_0_0__slow_data.py", SLOW_DATA)
    db_file = tmp_path / "race.db"
    go = tmp_path / "go"
    # Each process imports everything, then waits for the same starting signal.
    script = (
        "import os, sys, time\n"
        "from kiosk.cli import main\n"
        f"open(os.path.join({str(tmp_path)!r}, 'ready-%d' % os.getpid()), 'w').close()\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.005)\n"
        f"main(['--db', {str(db_file)!r}, '--maintenance', 'migrate'])\n"
    )
    env = {**os.environ, "KIOSK_MIGRATIONS_DIR": str(folder)}
    procs = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    conn = sqlite3.connect(db_file)
    names = [r[0] for r in conn.execute("SELECT name FROM migratehistory")]
    assert sorted(names) == [f.name for f in load_migrations(folder)]
    assert conn.execute("SELECT COUNT(*) FROM audit_logs WHERE action = 'load'").fetchone()[0] == 300000
    assert conn.execute("SELECT COUNT(*) FROM system_config").fetchone()[0] == 1
