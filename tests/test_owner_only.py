"""The database, its side files, backups and receipts are owner-only whatever the umask.

Run as an operator would, with umask 022 (the usual default): the first start of the
terminal and `migrate` create everything owner-only, files found open to others are
tightened when the database is opened, and `check`/`stats` say so while they are open.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from test_maint_support import no_traceback

pytestmark = pytest.mark.sqlite_only

# The terminal's first start, as `kiosk` does it, then a car in and paid (WAL, intent file,
# presence, a receipt); the modes are read while the database is still open.
FIRST_START = r"""
import json, os, stat, sys
from pathlib import Path
from kiosk.cli import build_terminal
from kiosk.db import resolve_target
from kiosk.booth import Booth
from kiosk.booth.receipts import write_receipt
from kiosk.tui.services import receipts_dir_for

target = resolve_target(sys.argv[1])
app, presence = build_terminal(target)
with presence:
    site = Booth(app.database)  # a terminal's first start: its first manager, then a shift to take money in
    booth = site.signed_in(site.create_first_manager("First Manager", "24681357"))
    booth.open_shift("0.00")
    stay = booth.register("AB12CDE", "Jane", "07400 123456", "car").stay_id
    write_receipt(receipts_dir_for(target), booth.pay(stay, "card", transaction_id="T1"))
    found = {str(p): stat.S_IMODE(os.lstat(p).st_mode) for p in Path(target.path).parent.rglob("*")}
print(json.dumps(found))
"""


@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # inherited by the kiosk subprocesses
    yield
    os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(os.lstat(p).st_mode) for p in folder.rglob("*")}


def open_to_others(found: dict[str, int]) -> dict[str, str]:
    return {p: f"{m:04o}" for p, m in found.items() if m & 0o077}


def first_start(db: Path) -> dict[str, int]:
    proc = subprocess.run([sys.executable, "-c", FIRST_START, str(db)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_first_start_creates_everything_owner_only(umask_022, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    found = first_start(site / "kiosk.db")
    names = {Path(p).name for p in found}
    assert {"kiosk.db", "kiosk.db-wal", "kiosk.db-shm", "kiosk.db.intent", "kiosk.db.presence", "receipts"} <= names
    assert any(Path(p).parent.name == "receipts" for p in found)
    assert open_to_others(found) == {}


def test_migrate_and_backup_create_everything_owner_only(umask_022, kiosk_cli, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    db = site / "kiosk.db"
    for args in (("migrate",), ("backup",), ("expire",), ("rollback", "--to", "1.7.0", "--rehearse", "--allow-data-loss")):
        r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", *args))
        assert r.code == 0, r.err
        assert open_to_others(modes(site)) == {}, args
    found = modes(site)
    assert {"kiosk.db", "kiosk.db.lock", "kiosk.db.intent", "backups"} <= set(found)
    kept = [p for p in found if p.startswith("backups/")]
    assert len([p for p in kept if p.endswith(".db")]) == 2  # migrate's is the first: the database was empty
    assert len([p for p in kept if p.endswith(".data-loss.jsonl")]) == 1  # the rollback's export, owner-only too


def test_files_left_open_by_an_older_kiosk_are_tightened_when_opened(umask_022, kiosk_cli, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    db = site / "kiosk.db"
    assert kiosk_cli("--db", str(db), "--maintenance", "backup").code != 0  # no database yet
    assert kiosk_cli("--db", str(db), "--maintenance", "migrate").code == 0
    old_backup = site / "backups" / "kiosk-20260101T000000Z-v1.7.0.db"
    (site / "backups").mkdir(mode=0o755)
    old_backup.write_bytes(db.read_bytes())
    (site / "receipts").mkdir(mode=0o755)
    (site / "receipts" / "20260101-120000_T0.txt").write_text("AB12CDE")
    for p, mode in ((db, 0o644), (site / "backups", 0o755), (old_backup, 0o644), (site / "receipts", 0o755),
                    (site / "receipts" / "20260101-120000_T0.txt", 0o644), (site / "kiosk.db.lock", 0o644)):
        p.chmod(mode)
    assert set(open_to_others(modes(site))) >= {"kiosk.db", "backups", "receipts", "kiosk.db.lock"}

    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "backup"))
    assert r.code == 0, r.err
    assert open_to_others(modes(site)) == {}


def test_first_start_tightens_an_open_database(umask_022, kiosk_cli, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    db = site / "kiosk.db"
    assert kiosk_cli("--db", str(db), "--maintenance", "migrate").code == 0
    db.chmod(0o644)
    (site / "receipts").mkdir(mode=0o755)
    (site / "receipts").chmod(0o755)
    assert open_to_others(first_start(db)) == {}


@pytest.mark.parametrize("which", ["kiosk.db", "kiosk.db.intent", "backups", "backup file", "receipt"])
def test_check_and_stats_alert_on_files_others_can_read(kiosk_cli, tmp_path, which):
    site = tmp_path / "site"
    site.mkdir()
    db = site / "kiosk.db"
    first_start(db)
    assert no_traceback(kiosk_cli("--db", str(db), "--maintenance", "backup")).code == 0
    r = kiosk_cli("--db", str(db), "--maintenance", "stats", "--json")
    assert "files_exposed" not in r.out
    path = {
        "backup file": next((site / "backups").iterdir()),
        "receipt": next((site / "receipts").iterdir()),
    }.get(which, site / which)
    path.chmod(0o755 if path.is_dir() else 0o644)

    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "stats", "--json"))
    data = json.loads(r.out)
    exposed = [a for a in data["alerts"] if a["code"] == "files_exposed"]
    assert r.code == 1 and len(exposed) == 1 and exposed[0]["level"] == "error"
    assert str(path) in exposed[0]["message"] and ("0644" in exposed[0]["message"] or "0755" in exposed[0]["message"])
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "stats"))
    assert r.code == 1 and "files_exposed" in r.out and str(path) in r.out

    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "check"))
    assert r.code == 1
    assert "files_exposed" in r.out and str(path) in r.out
