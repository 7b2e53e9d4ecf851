"""Expiry (the command and the terminal's worker) and migrate/rollback/restore exclude each other:
the second is refused (exit 3), naming the first, and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kiosk.db import connect
from kiosk.models import LifecycleRun
from kiosk.schema import exclusion
from test_maint_support import FILES, db_state, folder_with, kill, make_db, no_traceback, one_line, wait_for
from test_tui_worker import make_app, personal_data_left, wait_until
from tui_helpers import settle
from tui_seed import seed

PREVIOUS = FILES[-2].version_text

# The real `kiosk --maintenance expire`, made slow: it stops before its first batch until released.
SLOW_EXPIRE = """
import sys, time, pathlib
import kiosk.booth.retention as lc
ready, release = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
prepare = lc._SqliteExpiry.prepare
def slow(self):
    ready.touch()
    while not release.exists():
        time.sleep(0.02)
    return prepare(self)
lc._SqliteExpiry.prepare = slow
from kiosk.cli import main
main(["--db", sys.argv[1], "--maintenance", "expire"])
"""

# A test-only version after the real ones that waits, inside its transaction, until released.
SLOW_VERSION = '''
"""99.0.0 - wait inside the version's transaction (test only)."""
import os
import pathlib
import time

VERSION = "99.0.0"


def wait():
    pathlib.Path(os.environ["READY"]).touch()
    while not pathlib.Path(os.environ["RELEASE"]).exists():
        time.sleep(0.02)


def migrate(migrator, database, fake=False):
    migrator.sql("UPDATE vehicles SET vehicle_type = vehicle_type")
    migrator.run(wait)


def rollback(migrator, database, fake=False):
    pass
'''


def _old_closed_vehicles(db, n=5):
    """Vehicles whose personal data is past any retention (no open stay)."""
    conn = __import__("sqlite3").connect(db)
    conn.execute(
        "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp) "
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) "
        "SELECT 'OLD' || i, 'Old ' || i, '+44207946000' || i, '2000-01-01 00:00:00' FROM n"
    )
    conn.commit()
    conn.close()


@pytest.mark.sqlite_only
def test_running_expire_refuses_rollback_and_restore_naming_it(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    _old_closed_vehicles(db)
    assert kiosk_cli("--db", str(db), "--maintenance", "backup").code == 0
    (taken,) = (tmp_path / "backups").glob("k-*.db")
    ready, release = tmp_path / "expire-ready", tmp_path / "expire-release"
    expire = subprocess.Popen([sys.executable, "-c", SLOW_EXPIRE, str(db), str(ready), str(release)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ready, expire)
        before = db_state(db)
        for args in (("rollback", "--to", PREVIOUS), ("restore", str(taken)), ("migrate",)):
            r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", *args))
            assert r.code == 3, (args, r.err)
            line = one_line(r.err)
            assert "expiry/archive run is under way (expire, pid %d" % expire.pid in line, line
            assert "nothing was changed" in line
            assert "pre-flight expiry       failed" in r.out
        assert db_state(db) == before and len(list((tmp_path / "backups").glob("k-*.db"))) == 1
        release.touch()
        out, err = expire.communicate(timeout=60)
    finally:
        kill(expire)
    assert expire.returncode == 0, err
    assert "5 vehicles' personal data removed" in out
    # Once the run is over, maintenance goes ahead.
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "rollback", "--to", PREVIOUS, "--allow-data-loss"))
    assert r.code == 0, r.err and "pre-flight expiry       ok" in r.out


@pytest.mark.sqlite_only
def test_running_migrate_refuses_expire_naming_it(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    _old_closed_vehicles(db)
    folder = folder_with(tmp_path, {"900_v99_0_0__wait.py": SLOW_VERSION})
    ready, release = tmp_path / "migrate-ready", tmp_path / "migrate-release"
    env = {**os.environ, "KIOSK_MIGRATIONS_DIR": str(folder), "READY": str(ready), "RELEASE": str(release)}
    migrate = subprocess.Popen([sys.executable, "-m", "kiosk", "--db", str(db), "--maintenance", "migrate"], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ready, migrate)
        r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "expire"))
        assert r.code == 3, r.err
        line = one_line(r.err)
        assert f"maintenance is changing the database (migrate, pid {migrate.pid} on " in line, line
        assert "nothing was changed" in line
        release.touch()
        _out, err = migrate.communicate(timeout=60)
    finally:
        kill(migrate)
    assert migrate.returncode == 0, err
    assert db_state(db)[0] == "99.0.0"
    conn = __import__("sqlite3").connect(db)
    assert conn.execute("SELECT COUNT(*) FROM vehicles WHERE contact_name LIKE 'Old %'").fetchone()[0] == 5
    assert conn.execute("SELECT COUNT(*) FROM lifecycle_runs").fetchone()[0] == 0
    conn.close()


def test_expiry_and_maintenance_locks_exclude_each_other(target, database):
    """The same on both backends, with two sessions of this process."""
    other = connect(target, bind=False)
    try:
        with exclusion.expiry_running(other, "expire"):
            with pytest.raises(exclusion.ExpiryRunning, match=r"expiry/archive run is under way \(expire, pid %d" % os.getpid()):
                with exclusion.no_expiry(target, database, "rollback"):
                    pass
            with exclusion.expiry_running(database, "expiry worker of booth 'North'"):
                pass  # two expiry runs may share it (they take turns batch by batch)
        with exclusion.no_expiry(target, database, "restore"):
            with pytest.raises(exclusion.MaintenanceHoldsDatabase, match=r"maintenance is changing the database \(restore, "):
                with exclusion.expiry_running(other, "expire"):
                    pass
        with exclusion.expiry_running(other, "expire"):  # released: expiry runs again
            pass
    finally:
        other.close()


async def test_terminal_worker_skips_its_run_while_maintenance_holds_the_database(target, database, booth, clock):
    seed(booth, clock)
    clock.advance(hours=72)
    due = booth.expiry_preview(24)
    assert due > 0
    left = personal_data_left()
    app = make_app(target, database, booth, clock)
    maintenance = connect(target, bind=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            with exclusion.no_expiry(target, maintenance, "rollback"):
                await pilot.press("ctrl+r")
                await wait_until(pilot, lambda: app.lifecycle.status.runs == 1)
            assert personal_data_left() == left and LifecycleRun.select().count() == 0
            (note,) = [n for n in app._notifications if n.title == "Expiry/archive run skipped"]
            assert "maintenance is changing the database (rollback, " in note.message
            assert "skipped at 12:00: maintenance holds the database" in app.header_info.alert
            # Maintenance over: the next run does its work and clears the alert.
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.lifecycle.status.runs == 2)
            await settle(app, pilot)
            assert booth.expiry_preview(24) == 0 and not app.header_info.alert
    finally:
        maintenance.close()
