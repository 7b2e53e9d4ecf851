"""Bad usage is caught before any pre-flight check (exit 2), and every one-line message stays one
line whatever a path or value holds."""

from __future__ import annotations

import pytest

from test_maint_support import FILES, LATEST, db_state, make_db, no_traceback, one_line

pytestmark = pytest.mark.sqlite_only

PREVIOUS = FILES[-2].version_text
FULL = 0  # free bytes: the disk check would refuse (exit 3) if it ran


def test_rollback_to_a_version_above_the_current_is_usage_before_any_check(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db", to=PREVIOUS)
    before = db_state(db)
    for args in (("rollback", "--to", LATEST), ("rollback", "--to", LATEST, "--dry-run")):
        r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", *args, free_bytes=FULL))
        assert r.code == 2, r.err
        line = one_line(r.err)
        assert f"the database is at {PREVIOUS}" in line and f"migrate --to {LATEST}" in line
        assert "pre-flight" not in r.out
    assert db_state(db) == before
    assert not (tmp_path / "backups").exists()


def test_migrate_to_a_version_below_the_current_is_usage_before_any_check(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "migrate", "--to", PREVIOUS, free_bytes=FULL))
    assert r.code == 2, r.err
    assert f"rollback --to {PREVIOUS}" in one_line(r.err) and "pre-flight" not in r.out
    assert not (tmp_path / "backups").exists()


def test_unknown_version_and_missing_database_are_usage(kiosk_cli, tmp_path):
    r = no_traceback(kiosk_cli("--db", str(tmp_path / "none.db"), "--maintenance", "rollback", "--to", PREVIOUS))
    assert r.code == 2 and "nothing to roll back" in one_line(r.err)
    db = make_db(tmp_path / "k.db")
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "rollback", "--to", "7.7.7", free_bytes=FULL))
    assert r.code == 2 and "7.7.7" in one_line(r.err) and "pre-flight" not in r.out


def test_a_newline_in_a_path_never_splits_a_one_line_message(kiosk_cli, tmp_path):
    db = make_db(tmp_path / "k.db")
    odd = tmp_path / "two\nlines.db"
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "restore", str(odd)))
    assert r.code == 1 and "two\\nlines.db" in one_line(r.err)
    r = no_traceback(kiosk_cli("--db", str(tmp_path / "no\nfolder" / "k.db"), "--maintenance", "status"))
    assert r.code == 2 and "no\\nfolder" in one_line(r.err)
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "backup", "--out", str(odd)))
    assert r.code == 0, r.err
    (line,) = [x for x in r.out.splitlines() if x.startswith("backup ")]
    assert "two\\nlines.db (" in line and "verified" in line and odd.exists()
    r = no_traceback(kiosk_cli("--db", str(db), "--maintenance", "rollback", "--to", "1\x1b[2J.0"))
    assert r.code == 2 and "\\x1b[2J" in one_line(r.err) and "\x1b" not in r.err


def test_expire_refuses_a_database_behind_the_latest_schema(kiosk_cli, target):
    """Expiry runs the booth's code, written for the latest schema: on an older one it says to migrate
    (it once ran and died on a column the older schema lacks), and changes nothing."""
    assert kiosk_cli("--db", target.raw, "--maintenance", "migrate", "--to", "1.7.0").code == 0
    result = kiosk_cli("--db", target.raw, "--maintenance", "expire")
    assert result.code == 1, result
    assert "is at schema version 1.7.0" in result.err and "run 'kiosk --maintenance migrate' first" in result.err
    assert "Traceback" not in result.err and "no such column" not in result.err
    status = kiosk_cli("--db", target.raw, "--maintenance", "status", "--json")
    assert '"1.7.0"' in status.out
