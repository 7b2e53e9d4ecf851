"""The whole schema (tables, columns, indexes, triggers, views, functions) against its recorded version,
on PostgreSQL: restore refuses a dump that differs before touching the live database; check, stats and
the pre-flight report a database that differs. The SQLite versions are in tests/test_maint_schema_compare.py."""

from __future__ import annotations

import json
import subprocess

import pytest
from pg_maint_support import dumps, make_pg, q, state
from test_maint_support import BELOW_MAINT, LATEST, no_traceback, one_line

from kiosk.db import resolve_target
from kiosk.maintenance.sites import pg_dump

pytestmark = pytest.mark.postgres_only

WIPE_FUNCTION = "CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM payments; RETURN NULL; END $$"
KILL_PAYMENTS = [WIPE_FUNCTION, "CREATE TRIGGER wipe AFTER INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION wipe()"]
ON_VEHICLES = [WIPE_FUNCTION, "CREATE TRIGGER sneaky AFTER INSERT ON vehicles FOR EACH ROW EXECUTE FUNCTION wipe()"]
A_VIEW = ["CREATE VIEW phone_book AS SELECT number_plate, contact_name, phone_number FROM vehicles"]
OTHER_LAYOUT = ["DROP INDEX idx_vehicles_unpurged_entry", "ALTER TABLE vehicles DROP COLUMN purged_at"]
OTHER_COLUMN = ["ALTER TABLE system_config ALTER COLUMN archive_batch_size DROP NOT NULL"]


def with_payments(target):
    url = make_pg(target)
    q(url, "INSERT INTO payments (vehicle_id, amount, amount_cents, payment_status) SELECT id, 2.50, 250, 'paid' FROM vehicles")
    return url


def payments(url):
    return q(url, "SELECT COUNT(*) FROM payments")[0][0]


def plain_dump(url, out):
    """pg_dump as a database administrator would take it (no kiosk run recorded in the source)."""
    conn, env = pg_dump._conn(resolve_target(url))
    subprocess.run([pg_dump.tool("pg_dump"), "--format=custom", f"--file={out}", conn], env=env, check=True)
    return out


@pytest.mark.parametrize(
    "kind, statements, named",
    [
        ("trigger_on_audit_logs", KILL_PAYMENTS, "trigger wipe is not part of schema"),
        ("trigger_on_vehicles", ON_VEHICLES, "trigger sneaky is not part of schema"),
        ("view", A_VIEW, "view phone_book is not part of schema"),
        ("rule", ["CREATE RULE wipe AS ON INSERT TO audit_logs DO ALSO DELETE FROM payments"], "rule wipe is not part of schema"),
        ("other_layout", OTHER_LAYOUT, "table vehicles has columns"),
        ("other_column", OTHER_COLUMN, "column system_config.archive_batch_size is integer DEFAULT 1000, expected integer NOT NULL"),
    ],
)
def test_restore_refuses_a_dump_whose_schema_differs_and_touches_nothing(target, pg_databases, kiosk_cli, tmp_path, kind, statements, named):
    url = with_payments(target)
    other = with_payments(resolve_target(pg_databases.create()))
    for sql in statements:
        q(other, sql)
    bad = plain_dump(other, tmp_path / f"{kind}.dump")
    before = state(url)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "restore", str(bad)))
    assert r.code == 3, r.out + r.err
    line = one_line(r.err)
    assert f"does not have the schema {LATEST} its history records" in line and named in line and "nothing was changed" in line
    assert state(url) == before and payments(url) == 3
    assert dumps(tmp_path) == []  # not even a safety dump
    # This test's own scratch database: another test running beside it may hold one of its own.
    mine = f"{pg_dump.dbname(resolve_target(url))[:40]}_restorecheck_%"
    leftovers = q(url, "SELECT datname FROM pg_database WHERE datname LIKE %s", (mine,))
    assert leftovers == []  # the scratch database is gone
    good = plain_dump(url, tmp_path / "good.dump")
    assert kiosk_cli("--db", url, "--maintenance", "restore", str(good)).code == 0
    assert payments(url) == 3 and state(url)[2] == before[2]


def test_restore_drops_a_stray_function_and_view_of_the_live_database(target, kiosk_cli, tmp_path):
    url = with_payments(target)
    good = plain_dump(url, tmp_path / "good.dump")
    for sql in [WIPE_FUNCTION, "CREATE VIEW opening_hours AS SELECT 8 AS opens, 20 AS closes"]:  # on no table
        q(url, sql)
    assert kiosk_cli("--db", url, "--maintenance", "check").code == 1
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "restore", str(good)))
    assert r.code == 0, r.err
    assert q(url, "SELECT COUNT(*) FROM pg_proc WHERE proname = 'wipe'") == [(0,)]
    assert q(url, "SELECT COUNT(*) FROM pg_class WHERE relname = 'opening_hours'") == [(0,)]
    assert no_traceback(kiosk_cli("--db", url, "--maintenance", "check")).code == 0


@pytest.mark.parametrize("statements, finding", [
    (KILL_PAYMENTS, "trigger wipe is not part of schema"),
    (A_VIEW, "view phone_book is not part of schema"),
    (OTHER_COLUMN, "column system_config.archive_batch_size is integer DEFAULT 1000, expected integer NOT NULL DEFAULT 1000"),
])
def test_check_stats_and_preflight_find_an_injected_trigger_view_or_column(target, kiosk_cli, statements, finding):
    url = with_payments(target)
    assert kiosk_cli("--db", url, "--maintenance", "check").code == 0
    for sql in statements:
        q(url, sql)
    r = no_traceback(kiosk_cli("--db", url, "--maintenance", "check", "--json"))
    assert r.code == 1, r.out
    errors = [f for f in json.loads(r.out)["findings"] if f["level"] == "error"]
    assert any(finding in f["message"] for f in errors), errors
    assert payments(url) == 3  # the check's record went beside the database, where no trigger fires
    s = no_traceback(kiosk_cli("--db", url, "--maintenance", "stats"))
    assert s.code == 1 and "alerts          none" not in s.out
    assert any(line.startswith("error") and "schema_drift" in line and finding in line for line in s.out.splitlines()), s.out
    before = state(url)
    m = no_traceback(kiosk_cli("--db", url, "--maintenance", "rollback", "--to", BELOW_MAINT))
    assert m.code == 3 and finding in one_line(m.err) and "inconsistent" in one_line(m.err)
    assert state(url) == before and payments(url) == 3
    assert q(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", ("kiosk_expected%",)) == []
