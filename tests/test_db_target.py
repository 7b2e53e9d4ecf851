"""Database targets are validated, and every SQLite connection is set up for safety."""

from __future__ import annotations

import pytest

from kiosk.db import connect, resolve_target
from kiosk.errors import DatabaseTargetError


@pytest.mark.sqlite_only
def test_connections_use_wal_foreign_keys_busy_timeout_full_sync(database):
    pragma = lambda name: database.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") == 5000
    assert pragma("synchronous") == 2  # FULL


def test_default_target_is_kiosk_db_in_current_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_DB", raising=False)
    t = resolve_target(None)
    assert t.is_sqlite and t.path == tmp_path / "kiosk.db"


def test_environment_then_argument(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_DB", str(tmp_path / "env.db"))
    assert resolve_target(None).path == tmp_path / "env.db"
    assert resolve_target(str(tmp_path / "arg.db")).path == tmp_path / "arg.db"


@pytest.mark.parametrize("raw", ["   ", "ftp://x/y", "sqlite://relative"])
def test_rejected_targets(raw):
    with pytest.raises(DatabaseTargetError):
        resolve_target(raw)


def test_postgres_url_password_is_redacted():
    t = resolve_target("postgresql://booth:s3cret@db.example:5432/park")
    assert t.kind == "postgresql"
    assert "s3cret" not in t.describe()


@pytest.mark.sqlite_only
def test_readonly_connection_cannot_write(database, target):
    import peewee as pw

    ro = connect(target, readonly=True)
    with pytest.raises(pw.OperationalError, match="readonly"):
        ro.execute_sql("CREATE TABLE nope (id INTEGER)")
    ro.close()
