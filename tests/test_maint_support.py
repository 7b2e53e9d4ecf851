"""Helpers shared by the tests/test_maint_*.py files (no tests here)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from kiosk.db import connect, resolve_target
from kiosk.schema import runner
from kiosk.schema.files import load_migrations, migrations_dir

FILES = load_migrations()
LATEST = FILES[-1].version_text
MAINT_VERSION = "1.6.0"
# The version just below 1.6.0, whatever exists (1.5.0 is written in parallel).
BELOW_MAINT = [f.version_text for f in FILES if f.version < (1, 6, 0)][-1]


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def db_state(path: Path) -> tuple[str, dict[str, int], list[str]]:
    """(schema version, rows per table, integrity_check) read with plain sqlite3."""
    conn = sqlite3.connect(path)
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        versions = [r[0] for r in conn.execute("SELECT version FROM migratehistory ORDER BY id")] if "migratehistory" in tables else []
    finally:
        conn.close()
    return (versions[-1] if versions else "0"), counts, integrity


def maintenance_runs(db: Path) -> list[dict]:
    """The run records, oldest first, read with plain sqlite3."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM maintenance_runs ORDER BY id")]
    finally:
        conn.close()


def make_db(path: Path, to: str | None = None, vehicles: int = 3, files=None, audit: bool = True) -> Path:
    """A kiosk database at `to` (default latest) with a few vehicles and audit rows."""
    target = resolve_target(str(path))
    db = connect(target)
    from kiosk.schema.files import parse_version

    runner.migrate(target, db, parse_version(to) if to else None, files=files or FILES)
    if vehicles:
        db.execute_sql(
            "INSERT INTO vehicles (number_plate, contact_name, phone_number) "
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {vehicles}) "
            "SELECT 'PL' || i, 'Name ' || i, '+4420' || i FROM n"
        )
        if audit:
            db.execute_sql("INSERT INTO audit_logs (action, entity, entity_id) SELECT 'entry', 'vehicle', id FROM vehicles")
    db.close()
    return path


def folder_with(tmp_path: Path, extra: dict[str, str] | None = None, drop: tuple[str, ...] = (), name: str = "migs") -> Path:
    """A copy of the real migrations folder, plus/minus some files (for KIOSK_MIGRATIONS_DIR)."""
    folder = tmp_path / name
    folder.mkdir()
    for p in migrations_dir().glob("[0-9]*.py"):
        if not any(p.name.startswith(d) for d in drop):
            shutil.copy(p, folder / p.name)
    for fname, source in (extra or {}).items():
        (folder / fname).write_text(source)
    return folder


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    """The real CLI entry point in-process (for monkeypatched faults)."""
    from kiosk.cli import main

    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


KIOSK_SCRIPT = """
import sys, time
from kiosk.db import connect, resolve_target
from kiosk.maintenance.presence import announce
target = resolve_target(sys.argv[1])
with announce(target, connect(target), sys.argv[2]):
    open(sys.argv[3], "w").close()
    time.sleep(600)
"""


def start_kiosk(db: Path, booth: str, tmp_path: Path) -> subprocess.Popen:
    """A real process that announces itself as a running kiosk, until killed."""
    ready = tmp_path / f"ready-{booth.replace(' ', '_')}"
    proc = subprocess.Popen([sys.executable, "-c", KIOSK_SCRIPT, str(db), booth, str(ready)], stdin=subprocess.DEVNULL)
    wait_for(ready, proc)
    return proc


def wait_for(path: Path, proc: subprocess.Popen, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        assert proc.poll() is None, f"process exited early with {proc.returncode}"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def no_traceback(result):
    assert "Traceback" not in result.err + result.out, result.err
    return result


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def env_with(**values) -> dict:
    return {k: str(v) for k, v in values.items()}


__all__ = [name for name in dir() if not name.startswith("_")] + ["os"]
