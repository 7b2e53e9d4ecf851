"""A plain (non-editable) install ships everything, and migrations/ stays a peewee-migrate folder."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.sqlite_only
def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "kiosk").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


@pytest.mark.slow
@pytest.mark.sqlite_only  # backend-independent: once is enough
def test_wheel_ships_migrations_and_stylesheet(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("kiosk-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for migration in sorted((REPO / "migrations").glob("[0-9][0-9][0-9]_*.py")):
        assert f"kiosk_migrations/{migration.name}" in names
    assert "kiosk/kiosk.tcss" in names
    assert "kiosk/tui/app.py" in names


@pytest.mark.sqlite_only
def test_stock_pw_migrate_drives_the_folder_and_kiosk_reads_its_history(kiosk_cli, tmp_path):
    db = tmp_path / "k.db"
    pw_migrate = [sys.executable, "-m", "peewee_migrate", "--help"]
    assert subprocess.run(pw_migrate, capture_output=True).returncode == 0
    base = [sys.executable, "-m", "peewee_migrate"]
    common = ["--database", f"sqlite:///{db}", "--directory", str(REPO / "migrations")]
    listed = subprocess.run([*base, "list", *common], capture_output=True, text=True, check=True)
    assert "001_v1_0_0__initial_schema" in listed.stdout + listed.stderr
    subprocess.run([*base, "migrate", *common], capture_output=True, text=True, check=True)
    data = json.loads(kiosk_cli("--db", str(db), "--maintenance", "status", "--json").out)
    files = sorted(p.stem for p in (REPO / "migrations").glob("[0-9][0-9][0-9]_*.py"))
    assert [a["name"] for a in data["applied"]] == files and data["pending"] == []
    assert data["schema_version"] == data["latest"]
    subprocess.run([*base, "rollback", "--count", "1", *common], capture_output=True, text=True, check=True)
    data = json.loads(kiosk_cli("--db", str(db), "--maintenance", "status", "--json").out)
    assert [p["name"] for p in data["pending"]] == files[-1:]
    # our runner takes over the table pw_migrate created, adding version/checksum columns
    assert kiosk_cli("--db", str(db), "--maintenance", "migrate").code == 0
    row = sqlite3.connect(db).execute("SELECT version, checksum FROM migratehistory ORDER BY id DESC LIMIT 1").fetchone()
    assert row[0] == data["latest"] and len(row[1]) == 64
