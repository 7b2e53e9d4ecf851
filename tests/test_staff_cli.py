"""`kiosk --maintenance staff ...` in real subprocesses: the PIN from standard input only, hostile
names and PINs refused in one line, headless audit rows, and the PIN in clear nowhere: not in the
database file, its WAL, a backup, the audit rows, nor any output."""

from __future__ import annotations

import json

import pytest

from kiosk.db import connect

PIN = "73915824"
PASSPHRASE = "Zebra-Quartz-8812"


@pytest.fixture
def site(kiosk_cli, target):
    r = kiosk_cli("--db", target.raw, "--maintenance", "migrate")
    assert r.code == 0, r.err
    return target


def staff(kiosk_cli, site, *args, input=None):
    return kiosk_cli("--db", site.raw, "--maintenance", "staff", *args, input=input)


def one_error_line(r) -> str:
    assert "Traceback" not in r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    return lines[0]


def test_add_list_disable_enable_rename_role_reset(kiosk_cli, site):
    r = staff(kiosk_cli, site, "add", "--name", "Ann Lee", "--role", "manager", input=PIN + "\n")
    assert r.code == 0 and "added Ann Lee (manager), staff id 1" in r.out, r.err
    r = staff(kiosk_cli, site, "add", "--name", "Bob", "--role", "attendant", input=PASSPHRASE + "\r\nignored\n")
    assert r.code == 0, r.err
    listed = json.loads(staff(kiosk_cli, site, "list", "--json").out)
    assert [(m["name"], m["role"], m["active"]) for m in listed] == [("Ann Lee", "manager", True), ("Bob", "attendant", True)]
    assert staff(kiosk_cli, site, "disable", "BOB").code == 0
    text = staff(kiosk_cli, site, "list").out
    assert "Bob" in text and "disabled" in text and "Ann Lee" in text
    assert staff(kiosk_cli, site, "enable", "bob").code == 0
    assert staff(kiosk_cli, site, "rename", "bob", "Robert").code == 0
    assert staff(kiosk_cli, site, "role", "robert", "supervisor").out.strip() == "Robert is now supervisor (staff id 2)"
    assert staff(kiosk_cli, site, "reset-pin", "Robert", input="1357\n").code == 0
    db = connect(site)
    try:
        rows = [r for r in db.execute_sql("SELECT action, staff_id, approver_id, origin FROM audit_logs ORDER BY id")
                if r[0].startswith("staff_")]
        assert [r[0] for r in rows] == ["staff_add", "staff_add", "staff_disable", "staff_enable", "staff_rename",
                                        "staff_role", "staff_pin_reset"]
        assert {r[1:] for r in rows} == {(None, None, "headless")}
        from staff_support import FAST_HASHER  # the hash made in the subprocess: production parameters
        from kiosk.booth import Secret

        (stored,) = db.execute_sql("SELECT pin_hash FROM staff WHERE id = 2").fetchone()
        assert "m=65536" in stored and FAST_HASHER.verify(stored, Secret("1357"))
    finally:
        db.close()
    r = staff(kiosk_cli, site, "disable", "Ann Lee")
    assert r.code == 1 and "last active manager" in one_error_line(r)


@pytest.mark.parametrize("name, said", [
    ("", "enter the staff name"),
    ("x" * 41, "too long"),
    ("Ann\x07Lee", "control characters"),
    ("Ann\nLee", "control characters"),
    ("ann lee", "already exists"),
    ("12345", "not a staff name"),
])
def test_hostile_names_are_one_line_usage_errors(kiosk_cli, site, name, said):
    assert staff(kiosk_cli, site, "add", "--name", "Ann Lee", "--role", "manager", input=PIN + "\n").code == 0
    r = staff(kiosk_cli, site, "add", "--name", name, "--role", "attendant", input="1234\n")
    assert r.code == 2 and said in one_error_line(r)
    assert "\x07" not in r.err
    assert len(json.loads(staff(kiosk_cli, site, "list", "--json").out)) == 1


@pytest.mark.parametrize("pin, said", [
    ("abcd", "4 characters"), ("123", "3 digits"), ("123456789", "9 digits"), ("", "enter a PIN"),
    (None, "no PIN on standard input"),
])
def test_hostile_pins_are_refused_and_never_echoed(kiosk_cli, site, pin, said):
    r = staff(kiosk_cli, site, "add", "--name", "Ann", "--role", "manager", input=None if pin is None else pin + "\n")
    assert r.code == 2 and said in one_error_line(r)
    if pin:
        assert pin not in r.err and pin not in r.out
    assert json.loads(staff(kiosk_cli, site, "list", "--json").out) == []


@pytest.mark.parametrize("args", [("--pin", PIN), (f"--pin={PIN}",)])
def test_a_pin_on_the_command_line_is_refused(kiosk_cli, site, args):
    r = staff(kiosk_cli, site, "add", "--name", "Ann", "--role", "manager", *args, input=PIN + "\n")
    assert r.code == 2 and "never given on the command line" in one_error_line(r) and PIN not in r.err
    r = staff(kiosk_cli, site, "reset-pin", "Ann", *args)
    assert r.code == 2 and PIN not in r.err
    assert json.loads(staff(kiosk_cli, site, "list", "--json").out) == []


def test_unknown_names_and_an_older_schema(kiosk_cli, site, tmp_path):
    for args in (("disable", "Nobody"), ("enable", "Nobody"), ("rename", "Nobody", "Someone"), ("reset-pin", "Nobody")):
        r = staff(kiosk_cli, site, *args)
        assert r.code == 2 and "no staff member named 'Nobody'" in one_error_line(r), r.err
    r = staff(kiosk_cli, site, "add", "--name", "Ann", "--role", "boss", input=PIN + "\n")
    assert r.code == 2 and "boss" in one_error_line(r)
    assert kiosk_cli("--db", site.raw, "--maintenance", "rollback", "--to", "1.8.0").code == 0
    r = staff(kiosk_cli, site, "list")
    assert r.code == 1 and "run 'kiosk --maintenance migrate' first" in one_error_line(r)


@pytest.mark.sqlite_only
def test_the_pin_in_clear_is_nowhere_in_the_file_its_wal_a_backup_or_the_output(kiosk_cli, site, tmp_path, database):
    outputs = []
    for name, secret in (("Ann", PIN), ("Bob", PASSPHRASE)):
        r = staff(kiosk_cli, site, "add", "--name", name, "--role", "manager", input=secret + "\n")
        assert r.code == 0, r.err
        outputs += [r.out, r.err]
    r = staff(kiosk_cli, site, "reset-pin", "Ann", input="86420000\n")
    outputs += [r.out, r.err]
    database.execute_sql("SELECT 1")  # the test's own connection keeps a WAL
    backup = kiosk_cli("--db", site.raw, "--maintenance", "backup", "--out", str(tmp_path / "b.db"))
    assert backup.code == 0, backup.err
    outputs += [backup.out, backup.err]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert (tmp_path / "b.db") in files and site.path in files
    assert any(p.name.endswith("-wal") for p in files)  # the test holds a connection: the WAL is there
    for secret in (PIN, PASSPHRASE, "86420000"):
        for path in files:
            data = path.read_bytes()
            for encoding in ("utf-8", "utf-16-le"):
                assert secret.encode(encoding) not in data, (secret, path)
        assert all(secret not in text for text in outputs)
    details = " ".join(r[0] or "" for r in database.execute_sql("SELECT details FROM audit_logs"))
    assert PIN not in details and "Ann" not in details


@pytest.mark.postgres_only
def test_the_pin_in_clear_is_nowhere_in_the_database_or_a_backup_on_postgresql(kiosk_cli, site, tmp_path, database):
    r = staff(kiosk_cli, site, "add", "--name", "Ann", "--role", "manager", input=PASSPHRASE + "\n")
    assert r.code == 0, r.err
    db = connect(site)
    try:
        for table in db.get_tables():
            text = " ".join(str(row) for row in db.execute_sql(f'SELECT * FROM "{table}"').fetchall())
            assert PASSPHRASE not in text, table
    finally:
        db.close()
    backup = kiosk_cli("--db", site.raw, "--maintenance", "backup")
    assert backup.code == 0, backup.err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PASSPHRASE.encode() not in path.read_bytes(), path


def test_a_maintenance_runs_audit_row_says_headless(kiosk_cli, site):
    assert kiosk_cli("--db", site.raw, "--maintenance", "check").code in (0, 4)
    db = connect(site)
    try:
        rows = db.execute_sql("SELECT action, staff_id, origin FROM audit_logs ORDER BY id").fetchall()
    finally:
        db.close()
    assert rows and {(a, o) for a, _s, o in rows if a == "maintenance"} == {("maintenance", "headless")}
    assert all(s is None for _a, s, _o in rows)
