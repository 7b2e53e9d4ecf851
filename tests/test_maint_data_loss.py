"""Rollbacks (and migrations) that would remove rows say so first, refuse without the operator's word, and
export what leaves before it leaves. Through the real `kiosk` command, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from decimal import Decimal

import pytest

from kiosk.db import connect
from kiosk.maintenance.site_backup import backup_tool_for
from kiosk.schema import runner
from kiosk.schema.files import parse_version
from test_maint_support import LATEST, kill, no_traceback, one_line, wait_for

NOTE = "left the keys with the attendant"
# The audit rows that say who made them (1.9.0): their staff columns leave in a rollback below it.
AUDIT_WITH_STAFF = "SELECT COUNT(*) FROM audit_logs WHERE staff_id IS NOT NULL OR approver_id IS NOT NULL OR origin <> 'before_sign_in'"



def q(target, sql: str, params: tuple = ()) -> list[tuple]:
    db = connect(target)
    try:
        return [tuple(r) for r in db.execute_sql(sql.replace("?", db.param), params).fetchall()]
    finally:
        db.close()


def one(target, sql: str, params: tuple = ()):
    return q(target, sql, params)[0][0]


def tables(target) -> set[str]:
    db = connect(target)
    try:
        return set(db.get_tables())
    finally:
        db.close()


def columns(target, table: str) -> list[str]:
    db = connect(target)
    try:
        return [c.name for c in db.get_columns(table)]
    finally:
        db.close()


def state(target) -> tuple:
    """The schema version and the rows of every table: what 'nothing was changed' compares."""
    db = connect(target)
    try:
        version = runner.status(target, db).schema_version
        counts = {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in sorted(db.get_tables())}
        return version, counts
    finally:
        db.close()


@pytest.fixture
def site(database, clock, make_booth, target):
    """A site at the latest version with cars, payments, a departed stay with a note and its own time zone."""
    booth = make_booth(database, clock)
    booth.register("AB12CDE", "Ann Smith", "07400 123451", "car")
    booth.register("XY99ZZZ", "Bob Jones", "07400 123452", "car")
    booth.register("CD34EFG", "Cat Brown", "07400 123453", "van")
    for plate in ("AB12CDE", "CD34EFG"):
        booth.pay(booth.open_stay_for(plate).stay_id, "card")
    booth.close_departed(booth.open_stay_for("XY99ZZZ").stay_id, "left_without_paying", NOTE)
    booth.update_config(time_zone="Europe/London")
    return target


def cli(kiosk_cli, target, *args, env=None):
    return no_traceback(kiosk_cli("--db", target.raw, "--maintenance", *args, env=env))


def exports(tmp_path) -> list:
    folder = tmp_path / "backups"
    return sorted(folder.glob("*.data-loss.jsonl")) if folder.is_dir() else []


def read_export(path) -> tuple[dict, list[dict]]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines[0], lines[1:]


def per_table(rows: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r["table"]] = out.get(r["table"], 0) + 1
    return out


def dry_run(kiosk_cli, target, to: str) -> dict:
    r = cli(kiosk_cli, target, "rollback", "--to", to, "--dry-run", "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_dry_runs_to_1_4_0_1_1_0_and_1_0_0_count_what_each_would_remove(site, kiosk_cli, tmp_path):
    target = site
    before = state(target)
    payments, stays = one(target, "SELECT COUNT(*) FROM payments"), one(target, "SELECT COUNT(*) FROM stays")
    rates, spots = one(target, "SELECT COUNT(*) FROM parking_rates"), one(target, "SELECT COUNT(*) FROM parking_spots")
    paid = one(target, "SELECT COUNT(*) FROM vehicles WHERE payment_status IS NOT NULL")
    typed = one(target, "SELECT COUNT(*) FROM vehicles WHERE vehicle_type IS NOT NULL")
    assert (payments, stays) == (2, 3) and paid and rates and spots

    plan = dry_run(kiosk_cli, target, "1.4.0")
    assert plan["needs_allow_data_loss"] is True and plan["to_version"] == "1.4.0"
    t = plan["tables"]
    # 1.9.0's rollback takes the staff accounts and who made each audit row (the fixture acts as a manager),
    # 1.10.0's the shift the fixture opened.
    assert set(t) == {"stays", "payments", "system_config", "staff", "audit_logs", "shifts"}
    assert t["staff"]["rows"] == 1 and t["audit_logs"]["rows"] == 0 and t["shifts"]["rows"] == 1
    assert t["audit_logs"]["rows_exported"] == one(target, AUDIT_WITH_STAFF) > 0
    assert t["stays"]["rows"] == stays and t["stays"]["rows_exported"] == stays  # the note leaves with its stay
    assert t["payments"]["rows"] == 0 and t["payments"]["rows_exported"] == payments  # the rows stay, the cents go
    assert t["payments"]["values"]["amount_cents"] == payments
    assert t["system_config"]["values"] == {"time_zone": 1, "backup_window_days": 0, "archive_batch_size": 0,
                                            "expiry_batch_size": 0, "currency_symbol": 0, "phone_region": 0,
                                            "booth_name": 0, "archive_days": 0, "lock_minutes": 0,
                                            "staff_retention_days": 0, "variance_threshold_cents": 0,
                                            "denominations": 0, "printer_kind": 0, "printer_target": 0}  # only the value that is not the default
    steps = plan["steps"]
    assert {s["class"] for s in steps} <= {"additive", "neutral", "rewrite", "rebuild", "destructive"}
    (drop_stays,) = [s for s in steps if s["what"] == "drops table stays"]
    assert drop_stays["class"] == "destructive" and drop_stays["rows"] == {"stays": stays}
    (drop_note,) = [s for s in steps if s["what"] == "drops column stays.note"]
    assert drop_note["values"] == {"stays": {"note": 1}}
    assert all(s["class"] != "destructive" for s in steps if s["what"].startswith("drops an index"))

    t = dry_run(kiosk_cli, target, "1.1.0")["tables"]
    assert set(t) == {"stays", "payments", "system_config", "parking_rates", "vehicles", "staff", "audit_logs", "shifts"}
    assert t["payments"]["rows"] == payments and t["parking_rates"]["rows"] == rates
    assert t["vehicles"]["rows"] == 0 and t["vehicles"]["values"]["payment_status"] == paid

    t = dry_run(kiosk_cli, target, "1.0.0")["tables"]
    assert t["parking_spots"]["rows"] == spots
    assert t["vehicles"]["values"]["vehicle_type"] == typed and t["vehicles"]["rows_exported"] == 3
    assert state(target) == before and exports(tmp_path) == []

    r = cli(kiosk_cli, target, "rollback", "--to", "1.1.0", "--dry-run")
    assert r.code == 0
    assert f"-- [destructive] drops table stays: removes {stays} row(s) of stays" in r.out
    assert f"-- [destructive] drops table payments: removes {payments} row(s) of payments" in r.out
    assert "-- [neutral] drops an index (it holds no data of its own)" in r.out
    assert "-- [rebuild] copies every row of audit_logs_archive into audit_logs, then drops audit_logs_archive" in r.out
    assert "DROP TABLE payments;" in r.out  # the SQL is still printed, as it runs
    assert "this rollback needs --allow-data-loss" in r.out and "nothing was changed" in r.out
    summary = r.out[r.out.index("data that would leave the database"):]
    assert f"payments      {payments} row(s)" in summary and f"vehicles      values in {paid} row(s) (payment_status)" in summary
    assert state(target) == before


def test_a_rollback_that_would_remove_rows_is_refused_naming_them_and_nothing_changes(site, kiosk_cli, tmp_path):
    target = site
    before = state(target)
    r = cli(kiosk_cli, target, "rollback", "--to", "1.4.0")
    assert r.code == 3, r.out + r.err
    line = one_line(r.err)
    assert "rollback to 1.4.0 would remove data" in line and "stays 3 row(s)" in line
    assert "payments values in 2 row(s) (amount_cents" in line and "--allow-data-loss" in line
    assert "nothing was changed" in line
    assert "pre-flight data-loss    failed" in r.out and "pre-flight backup" not in r.out  # refused before the backup
    assert state(target) == before
    assert not (tmp_path / "backups").is_dir() or not [p for p in (tmp_path / "backups").iterdir()
                                                         if not p.name.endswith(".maintenance.jsonl")]
    record = json.loads(backup_tool_for(target).fallback_log().read_text().splitlines()[-1])
    assert record["outcome"] == "refused" and "--allow-data-loss" in record["error"] and record["data_export"] is None


def test_with_the_flag_the_rows_are_exported_owner_only_verified_recorded_and_then_removed(site, kiosk_cli, tmp_path):
    target = site
    stays = q(target, "SELECT id, note FROM stays ORDER BY id")
    cents = dict(q(target, "SELECT id, amount_cents FROM payments"))
    audited = one(target, AUDIT_WITH_STAFF)
    r = cli(kiosk_cli, target, "rollback", "--to", "1.4.0", "--allow-data-loss")
    assert r.code == 0, r.out + r.err
    (path,) = exports(tmp_path)
    (backup,) = [p for p in (tmp_path / "backups").iterdir() if p != path and not p.name.endswith(".jsonl")]
    assert path.name == backup.name.rsplit(".", 1)[0] + ".data-loss.jsonl"  # beside the backup, named after it
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"exported     {path}" in r.out and "read back and verified" in r.out
    header, rows = read_export(path)
    assert header["command"] == "rollback" and header["from_version"] == LATEST and header["to_version"] == "1.4.0"
    assert header["tables"] == per_table(rows) == {"stays": 3, "payments": 2, "system_config": 1,
                                                     "staff": 1, "audit_logs": audited, "shifts": 1}
    exported_stays = {row["row"]["id"]: row for row in rows if row["table"] == "stays"}
    assert {i: (s["leaves"], s["row"]["note"]) for i, s in exported_stays.items()} == {i: ("row", n) for i, n in stays}
    assert NOTE in [n for _i, n in stays]
    exported_cents = {row["row"]["id"]: row["row"]["amount_cents"] for row in rows if row["table"] == "payments"}
    assert exported_cents == cents and all("amount_cents" in row["leaves"] for row in rows if row["table"] == "payments")
    (config,) = [row for row in rows if row["table"] == "system_config"]
    assert config["row"]["time_zone"] == "Europe/London"
    # The rollback happened, and its record (in the file: 1.4.0 has no maintenance_runs table) names the export.
    assert state(target)[0] == parse_version("1.4.0") and "stays" not in tables(target)
    assert one(target, "SELECT COUNT(*) FROM payments") == 2
    record = json.loads(backup_tool_for(target).fallback_log().read_text().splitlines()[-1])
    assert record["outcome"] == "ok" and record["data_export"]["path"] == str(path)
    assert record["data_export"]["rows"] == header["tables"]
    assert any(f["code"] == "data_exported" and f["path"] == str(path) for f in record["findings"])


def test_the_run_record_in_the_table_and_the_audit_trail_name_the_export(site, kiosk_cli, tmp_path):
    target = site
    r = cli(kiosk_cli, target, "rollback", "--to", "1.7.0")
    line = one_line(r.err)
    assert r.code == 3 and "stays values in 3 row(s) (note, shift_id); system_config values in 1 row(s) (time_zone)" in line
    assert "shifts 1 row(s)" in line and "payments values in 2 row(s) (shift_id)" in line  # 1.10.0's, the same run
    r = cli(kiosk_cli, target, "rollback", "--to", "1.7.0", "--allow-data-loss")
    assert r.code == 0, r.out + r.err
    (path,) = exports(tmp_path)
    _header, rows = read_export(path)
    # 1.8.0's columns (1.9.0's: above); every stay's shift_id (1.10.0) leaves in the same run, the note with it.
    assert [row["leaves"] for row in rows if row["table"] == "stays"] == [["note", "shift_id"]] * 3
    rows = [row for row in rows if row["table"] == "system_config" or (row["table"] == "stays" and row["row"]["note"])]
    assert [(row["table"], row["leaves"]) for row in rows] == [
        ("stays", ["note", "shift_id"]),
        ("system_config", ["backup_window_days", "denominations", "lock_minutes", "printer_kind", "printer_target",
                           "staff_retention_days", "time_zone", "variance_threshold_cents"])]
    assert rows[0]["row"]["note"] == NOTE and rows[1]["row"]["time_zone"] == "Europe/London"
    (findings,) = q(target, "SELECT findings FROM maintenance_runs WHERE command = 'rollback' ORDER BY id DESC LIMIT 1")[0]
    assert any(f["code"] == "data_exported" and f["path"] == str(path) for f in json.loads(findings))
    details = one(target, "SELECT details FROM audit_logs WHERE action = 'maintenance' ORDER BY id DESC LIMIT 1")
    assert json.loads(details)["data_export"] == str(path)
    assert "time_zone" not in columns(target, "system_config") and state(target)[0] == parse_version("1.7.0")


def test_a_rollback_with_nothing_to_lose_needs_no_flag(database, target, kiosk_cli, tmp_path):
    r = cli(kiosk_cli, target, "rollback", "--to", "1.7.0")
    assert r.code == 0, r.out + r.err
    assert "pre-flight data-loss    ok       no row or value leaves the database" in r.out
    assert exports(tmp_path) == [] and state(target)[0] == parse_version("1.7.0")


def _at(target, version: str, clock):
    db = connect(target)
    runner.migrate(target, db, parse_version(version), clock=clock)
    return db


def test_an_additive_upgrade_needs_no_flag(target, clock, kiosk_cli, tmp_path):
    db = _at(target, "1.1.0", clock)
    db.execute_sql("INSERT INTO vehicles (number_plate, contact_name, phone_number, vehicle_type) VALUES ('PL1', 'A', '1', 'car')")
    db.close()
    r = cli(kiosk_cli, target, "migrate")
    assert r.code == 0, r.out + r.err
    assert "no row or value leaves the database" in r.out and exports(tmp_path) == []
    assert state(target)[0] == parse_version(LATEST) and one(target, "SELECT COUNT(*) FROM stays") == 1


def test_an_upgrade_that_deletes_duplicate_rates_needs_the_flag_and_exports_them(target, clock, kiosk_cli, tmp_path):
    db = _at(target, "1.4.0", clock)
    for rate in ("2.00", "2.50", "3.00"):  # three car rates typed in by hand: 1.5.0 keeps the newest
        db.execute_sql(f"INSERT INTO parking_rates (vehicle_type, rate_per_hour) VALUES ('car', {rate})")
    db.close()
    plan = json.loads(cli(kiosk_cli, target, "migrate", "--dry-run", "--json").out)
    assert plan["tables"] == {"parking_rates": {"rows": 2, "values": {}, "rows_exported": 2, "exact": True}}
    (dedupe,) = [s for s in plan["steps"] if s["what"] == "deletes rows of parking_rates"]
    assert dedupe["class"] == "destructive" and dedupe["version"] == "1.5.0" and dedupe["rows"] == {"parking_rates": 2}
    r = cli(kiosk_cli, target, "migrate")
    assert r.code == 3 and "parking_rates 2 row(s)" in one_line(r.err)
    assert state(target)[0] == parse_version("1.4.0")
    r = cli(kiosk_cli, target, "migrate", "--allow-data-loss", "--rehearse")
    assert r.code == 0, r.out + r.err
    (path,) = exports(tmp_path)
    _header, rows = read_export(path)
    # SQLite's DECIMAL holds a float (2, 2.5), PostgreSQL's NUMERIC is written exactly ("2.00"): the same amounts.
    assert sorted(Decimal(str(row["row"]["rate_per_hour"])) for row in rows) == [Decimal("2"), Decimal("2.5")]
    assert all(row["leaves"] == "row" for row in rows)
    assert q(target, "SELECT rate_per_hour FROM parking_rates WHERE vehicle_type = 'car'") in ([(3,)], [(3.0,)], [(Decimal("3.00"),)])


def test_a_rollback_with_rehearsal_and_the_flag_validates_on_the_copy_and_then_live(site, kiosk_cli, tmp_path):
    r = cli(kiosk_cli, site, "rollback", "--to", "1.1.0", "--rehearse", "--allow-data-loss")
    assert r.code == 0, r.out + r.err
    assert "rehearsal    ok" in r.out and state(site)[0] == parse_version("1.1.0")
    (path,) = exports(tmp_path)
    header, rows = read_export(path)
    assert per_table(rows) == header["tables"] and header["tables"]["payments"] == 2


def test_json_goes_with_dry_run_only(site, kiosk_cli):
    r = cli(kiosk_cli, site, "rollback", "--to", "1.4.0", "--json")
    assert r.code == 2 and "--json goes with --dry-run" in one_line(r.err)


KILL_DURING_EXPORT = """
import os, sys, time
from kiosk.maintenance import export
real = export.write_rows

def write_rows(fh, database, table, pieces, leaving):
    n = real(fh, database, table, pieces, leaving)
    fh.flush()
    open(os.environ["KILL_MARKER"], "w").close()  # some rows are in the file: now kill me
    time.sleep(600)
    return n

export.write_rows = write_rows
from kiosk.cli import main
main(sys.argv[1:])
"""


def test_kill_9_while_exporting_leaves_the_database_untouched_and_no_export(site, kiosk_cli, tmp_path):
    target = site
    before = state(target)
    marker = tmp_path / "exporting"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_DURING_EXPORT, "--db", target.raw, "--maintenance", "rollback", "--to", "1.0.0",
         "--allow-data-loss"],
        env={**os.environ, "KILL_MARKER": str(marker)}, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(marker, proc, limit=120)
        partial = [p for p in (tmp_path / "backups").iterdir() if p.name.endswith(".data-loss.jsonl.partial")]
        assert len(partial) == 1 and partial[0].stat().st_size > 0 and stat.S_IMODE(partial[0].stat().st_mode) == 0o600
    finally:
        kill(proc)
    assert proc.returncode == -9
    assert state(target) == before and exports(tmp_path) == []
    # The next run goes ahead: the lock was the kernel's (or the server's), the half file is replaced.
    r = cli(kiosk_cli, target, "rollback", "--to", "1.0.0", "--allow-data-loss")
    assert r.code == 0, r.out + r.err
    (path,) = exports(tmp_path)
    assert not [p for p in (tmp_path / "backups").iterdir() if p.name.endswith(".partial")]
    header, rows = read_export(path)
    assert per_table(rows) == header["tables"] and header["tables"]["parking_spots"] == before[1]["parking_spots"]


def test_an_export_that_does_not_read_back_as_counted_stops_the_run_before_any_change(site, monkeypatch, capsys, tmp_path):
    from kiosk.maintenance import export
    from test_maint_support import run_main

    target = site
    before = state(target)
    real = export.write_rows

    def short(fh, database, table, pieces, leaving):  # a row goes missing on its way to the file
        import io

        buf = io.StringIO()
        n = real(buf, database, table, pieces, leaving)
        fh.write("".join(buf.getvalue().splitlines(keepends=True)[1:]))
        return n

    monkeypatch.setattr(export, "write_rows", short)
    code, out, err = run_main(["--db", target.raw, "--maintenance", "rollback", "--to", "1.4.0", "--allow-data-loss"], capsys)
    assert code == 1, out + err
    assert "do not match" in one_line(err) and "nothing was changed" in err
    assert state(target) == before and exports(tmp_path) == []
    assert not [p for p in (tmp_path / "backups").iterdir() if p.name.endswith(".partial")]
