"""An erasure killed (SIGKILL, a real subprocess) inside its transaction changes nothing; killed
after the commit, before the receipt files, it leaves only files, which the retry deletes."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from dbcheck import assert_consistent
from kiosk.models import Stay, Vehicle
from subject_support import NAME, NOTE, PLATE, build, log, traces

CHILD = textwrap.dedent("""
    import os, pathlib, signal, sys
    from kiosk.booth import HEADLESS, Booth
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    target, receipts, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    db = connect(resolve_target(target))
    if mode == "tx":  # inside the transaction: the rows are changed, the audit row is next, then the commit
        original = db.execute_sql
        def execute_sql(sql, *args, **kwargs):
            if sql.startswith('INSERT INTO "audit_logs"'):
                os.kill(os.getpid(), signal.SIGKILL)
            return original(sql, *args, **kwargs)
        db.execute_sql = execute_sql
    elif mode == "files":  # committed; killed at the first receipt file
        def unlink(self, *args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        pathlib.Path.unlink = unlink
    booth = Booth(db, FixedClock("2026-11-26 12:00:00"), receipts_dir=pathlib.Path(receipts), actor=HEADLESS)
    report = booth.erase_subject("ERA-K", plate=sys.argv[4])
    print("erased", len(report.vehicles), len(report.receipts), flush=True)
""")


def child(target, receipts, mode):
    return subprocess.run([sys.executable, "-c", CHILD, target.raw, str(receipts), mode, PLATE],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def world(booth, clock, tmp_path):
    booth.receipts_dir = tmp_path / "receipts"
    made = build(booth, clock)
    log("ERA-K", "erasure")
    return made


def test_killed_inside_the_transaction_changes_nothing(world, target, database, tmp_path):
    before = traces(database)
    proc = child(target, tmp_path / "receipts", "tx")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert traces(database) == before and Vehicle.get_by_id(world.vehicle_id).contact_name == NAME
    assert [s.note for s in Stay.select().where(Stay.note.is_null(False))] == [NOTE]
    assert all(p.exists() for p in world.receipts)
    assert_consistent(database)
    done = child(target, tmp_path / "receipts", "none")
    assert done.returncode == 0 and done.stdout.split() == ["erased", "1", "3"], done.stderr
    assert traces(database) == [] and not any(p.exists() for p in world.receipts)


def test_killed_between_the_commit_and_the_files_the_retry_deletes_them(world, target, database, tmp_path):
    proc = child(target, tmp_path / "receipts", "files")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert traces(database) == []  # committed whole
    assert all(p.exists() for p in world.receipts)  # the files outlive it, until the retry
    again = child(target, tmp_path / "receipts", "none")
    assert again.returncode == 0 and again.stdout.split() == ["erased", "0", "3"], again.stderr
    assert not any(p.exists() for p in world.receipts)
    assert_consistent(database)
