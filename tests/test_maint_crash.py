"""Crash safety: `kiosk --maintenance migrate` killed with SIGKILL mid-migration on a big database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from test_maint_support import LATEST, db_state, folder_with, kill, make_db, wait_for

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]

ROWS = 200_000

# Two test-only versions after the real ones. Each rewrites every vehicle inside
# its transaction, then (if it is the one to kill) signals and waits to be killed.
STEP = '''
"""{version} - rewrite every vehicle (test only)."""
import os
import time

VERSION = "{version}"


def wait_to_be_killed():
    open(os.environ["KILL_MARKER"], "w").close()
    time.sleep(600)


def migrate(migrator, database, fake=False):
    # Queued, like every real migration: they run inside the version's transaction.
    migrator.sql("UPDATE vehicles SET vehicle_type = '{tag}', parking_spot = 'S' || id")
    migrator.sql("INSERT INTO audit_logs (action, entity, entity_id) SELECT 'rewritten', 'vehicle', id FROM vehicles")
    if os.environ.get("KILL_IN") == "{version}":
        migrator.run(wait_to_be_killed)


def rollback(migrator, database, fake=False):
    pass
'''


@pytest.mark.parametrize("kill_in, expected", [("99.0.0", LATEST), ("99.1.0", "99.0.0")])
def test_sigkill_mid_migration_leaves_previous_or_new_version_intact(kiosk_cli, tmp_path, kill_in, expected):
    db = make_db(tmp_path / "big.db", vehicles=ROWS, audit=False)
    _version, before, _ok = db_state(db)
    assert before["vehicles"] == ROWS and before["audit_logs"] == 0
    folder = folder_with(
        tmp_path,
        {
            "900_v99_0_0__rewrite_a.py": STEP.format(version="99.0.0", tag="A"),
            "901_v99_1_0__rewrite_b.py": STEP.format(version="99.1.0", tag="B"),
        },
    )
    marker = tmp_path / "killed-here"
    env = {**__import__("os").environ, "KIOSK_MIGRATIONS_DIR": str(folder), "KILL_IN": kill_in, "KILL_MARKER": str(marker)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--db", str(db), "--maintenance", "migrate"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        wait_for(marker, proc, limit=120)
    finally:
        kill(proc)  # SIGKILL, mid-transaction
    assert proc.returncode == -9

    version, after, integrity = db_state(db)
    assert integrity == ["ok"]
    assert version == expected
    assert after["vehicles"] == ROWS
    conn = sqlite3.connect(db)
    types = dict(conn.execute("SELECT vehicle_type, COUNT(*) FROM vehicles GROUP BY vehicle_type").fetchall())
    rewritten = conn.execute("SELECT COUNT(*) FROM audit_logs WHERE action = 'rewritten'").fetchone()[0]
    if kill_in == "99.0.0":  # the killed version left nothing behind
        assert types == {None: ROWS} and rewritten == 0
    else:  # 99.0.0 committed in full, 99.1.0 not at all
        assert types == {"A": ROWS} and rewritten == ROWS
    assert after["audit_logs"] == rewritten  # and no maintenance row: the run never finished
    # The database opens and validates through the kiosk itself, and the lock is free again.
    r = kiosk_cli("--db", str(db), "--maintenance", "check", "--json", env={"KIOSK_MIGRATIONS_DIR": str(folder)})
    assert r.code == 0, r.out + r.err
    assert json.loads(r.out)["ok"] is True
    # The verified backup taken before the run is complete and sound.
    (backup,) = (tmp_path / "backups").glob("big-*.db")
    assert db_state(backup)[1]["vehicles"] == ROWS and db_state(backup)[2] == ["ok"]
