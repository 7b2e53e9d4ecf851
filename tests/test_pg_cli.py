"""The real `kiosk` command on PostgreSQL: status, concurrent migrate, connection failures, session set-up."""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys

import peewee as pw
import psycopg
import pytest

from kiosk.db import DatabaseUnavailable, application_name, connect, resolve_target
from kiosk.schema import runner
from kiosk.schema.files import load_migrations
from kiosk.backends.postgresql import ADVISORY_KEY

pytestmark = pytest.mark.postgres_only

FILES = load_migrations()
LATEST = FILES[-1].version_text


def _history_names(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM migratehistory ORDER BY id")]


def test_status_json_on_empty_then_migrated_database(target, kiosk_cli):
    res = kiosk_cli("--db", target.raw, "--maintenance", "status", "--json")
    assert res.code == 0, res.err
    st = json.loads(res.out)
    assert st["schema_version"] == "0" and st["applied"] == []
    assert [p["version"] for p in st["pending"]] == [f.version_text for f in FILES]
    with psycopg.connect(target.raw) as conn:  # status is read-only: no history table was made
        assert conn.execute("SELECT to_regclass('migratehistory')").fetchone()[0] is None

    res = kiosk_cli("--db", target.raw, "--maintenance", "migrate")
    assert res.code == 0, res.err
    assert f"schema version {LATEST}" in res.out
    st = json.loads(kiosk_cli("--db", target.raw, "--maintenance", "status", "--json").out)
    assert st["schema_version"] == LATEST and st["pending"] == [] and st["up_to_date"] is True
    assert [a["version"] for a in st["applied"]] == [f.version_text for f in FILES]
    assert "password" not in st["target"]


def test_rollback_and_dry_run_through_the_cli(database, target, kiosk_cli):
    dry = kiosk_cli("--db", target.raw, "--maintenance", "rollback", "--to", "0", "--dry-run")
    assert dry.code == 0, dry.err
    assert "DROP TABLE vehicles;" in dry.out and "nothing was changed" in dry.out
    assert len(_history_names(target.raw)) == len(FILES)
    res = kiosk_cli("--db", target.raw, "--maintenance", "rollback", "--to", FILES[0].version_text)
    assert res.code == 3 and "parking_spots 40 row(s)" in res.err  # the default layout would leave: the operator says so
    res = kiosk_cli("--db", target.raw, "--maintenance", "rollback", "--to", FILES[0].version_text, "--allow-data-loss")
    assert res.code == 0, res.err
    assert _history_names(target.raw) == [FILES[0].name]


def _first_line(proc: subprocess.Popen, timeout: float = 60) -> str:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        proc.kill()
        pytest.fail("a maintenance run printed nothing while another one held the lock")
    return proc.stdout.readline()


def test_two_concurrent_migrate_runs_apply_each_version_once(target):
    """While the lock is held both runs wait (they say so); released, one applies everything, once."""
    holder = psycopg.connect(target.raw, autocommit=True, application_name="test-lock-holder")
    try:
        assert holder.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()[0]
        cmd = [sys.executable, "-m", "kiosk", "--db", target.raw, "--maintenance", "migrate"]
        procs = [
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
            for _ in range(2)
        ]
        for p in procs:
            line = _first_line(p)
            assert line.startswith("waiting for another maintenance run") and "test-lock-holder" in line, line
    finally:
        holder.close()  # ends the session: the server releases its lock
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sorted(out.count("applying") for out, _err in outs) == [0, len(FILES)]
    assert _history_names(target.raw) == [f.name for f in FILES]


def test_lock_wait_is_bounded_and_names_the_holder(target, monkeypatch):
    from kiosk.backends import postgresql as lock

    db = connect(target)
    holder = psycopg.connect(target.raw, autocommit=True, application_name="kiosk:other-booth:1")
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_KEY,))
        with pytest.raises(lock.LockBusy, match="kiosk:other-booth:1"):
            with lock.advisory_lock(db, wait_seconds=0):
                pass
    finally:
        holder.close()
    # Free again once the holder's session has ended (its server process exits just after the
    # client closes, so allow it a moment: without the server's release this still fails).
    with lock.advisory_lock(db, wait_seconds=10):
        pass
    db.close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return port


def _server(target):
    return target.raw.rsplit("/", 1)[0]


@pytest.mark.parametrize(
    "url_of, expected",
    [
        (lambda srv: srv + "/kiosk_no_such_db", "database 'kiosk_no_such_db' does not exist"),
        (lambda srv: srv.replace("postgres@", "nobody:hunter2@") + "/postgres", "refused user 'nobody'"),
        (lambda srv: f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres", "cannot connect to the PostgreSQL server"),
        (lambda srv: "postgresql://postgres@127.0.0.1:99999/postgres", "bad port"),
        (lambda srv: srv + "/", "names no database"),
    ],
    ids=["missing-database", "unknown-user", "nothing-listening", "bad-port", "no-database-name"],
)
@pytest.mark.parametrize("command", [["status"], ["migrate"], ["status", "--json"]])
def test_unusable_server_is_one_line_without_traceback(target, kiosk_cli, url_of, expected, command):
    url = url_of(_server(target))
    res = kiosk_cli("--db", url, "--maintenance", *command)
    assert res.code in (1, 2)
    assert res.out == ""
    assert expected in res.err and "Traceback" not in res.err, res.err
    assert len(res.err.strip().splitlines()) == 1
    assert "hunter2" not in res.err


def test_session_is_utc_named_and_read_only_when_asked(target):
    db = connect(target, role="booth entry 2")
    name, tz = db.execute_sql("SELECT application_name, current_setting('TimeZone') FROM pg_stat_activity WHERE pid = pg_backend_pid()").fetchone()
    assert name == f"kiosk:booth-entry-2:{os.getpid()}" and tz == "UTC"
    db.close()
    ro = connect(target, readonly=True)
    with pytest.raises(pw.DatabaseError, match="read-only"):
        ro.execute_sql("CREATE TABLE x (id INTEGER)")
    ro.close()
    # a URL's own settings win over the defaults, the time zone stays UTC
    custom = resolve_target(target.raw + "?application_name=ops-console&connect_timeout=3&options=-c%20TimeZone%3DEurope/Paris")
    db = connect(custom)
    assert db.execute_sql("SELECT current_setting('application_name'), current_setting('TimeZone')").fetchone() == ("ops-console", "UTC")
    db.close()


def test_application_name_is_bounded_and_clean():
    name = application_name("x" * 200)
    assert len(name) <= 63 and name.startswith("kiosk:xxx") and name.endswith(f":{os.getpid()}")
    assert application_name("'; DROP TABLE--").startswith("kiosk:DROP-TABLE:")


def test_unreachable_server_raises_one_kiosk_error():
    with pytest.raises(DatabaseUnavailable) as exc:
        connect(resolve_target(f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres"))
    assert "\n" not in str(exc.value)


def test_terminal_start_creates_the_schema_on_an_empty_database(target):
    """`kiosk` with no flag on an empty PostgreSQL database brings it to the latest version."""
    from kiosk.startup import prepare_database

    db = connect(target)
    assert prepare_database(target, db) == LATEST
    assert runner.status(target, db, FILES).pending == []
    db.close()
