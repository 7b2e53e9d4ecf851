"""`kiosk --maintenance privacy`: a real subprocess on the test database (SQLite or PostgreSQL).

The command reads the system clock, so the rows here are dated days before it: far from any edge."""

from __future__ import annotations

import datetime as dt
import json

from dbcheck import q

from kiosk.clock import to_sqlite_text


def _ago(**delta) -> str:
    return to_sqlite_text(dt.datetime.now(dt.timezone.utc) - dt.timedelta(**delta))


def _today(days: int = 0) -> str:
    return (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=days)).isoformat()


def privacy(kiosk_cli, target, *args):
    return kiosk_cli("--db", target.raw, "--maintenance", "privacy", *args)


def test_nothing_to_act_on_exit_0_and_the_json_shape(kiosk_cli, target, database):
    r = privacy(kiosk_cli, target, "--json", "--days", "7")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert set(d) == {"generated_at", "today", "days", "retention", "retention_history", "stores", "expiry", "holds",
                      "requests", "findings", "exit_code"}
    assert d["days"] == 7 and len(d["expiry"]["per_day"]) == 7 and d["exit_code"] == 0 and d["findings"] == []
    assert [s["store"] for s in d["stores"]] == ["vehicles", "notes", "staff", "receipts", "backups", "audit_logs",
                                               "audit_logs_archive"]
    assert set(d["stores"][0]) == {"store", "label", "count", "oldest_at", "age_hours", "limit_hours", "over", "held",
                                   "flagged", "note"}
    assert set(d["expiry"]) == {"per_day", "runs", "rows", "held", "failed", "last_run"}
    assert set(d["holds"]) == {"in_force", "past_review", "rows"} and set(d["requests"]) == {"open", "due_soon",
                                                                                             "overdue", "rows"}
    text = privacy(kiosk_cli, target)
    assert text.code == 0 and "retention       personal data 24 h" in text.out and "findings        none" in text.out


def test_findings_exit_4_and_name_no_one(kiosk_cli, target, database):
    database.execute_sql(q(database, "INSERT INTO vehicles (number_plate, contact_name, phone_number, entry_timestamp) "
                                     "VALUES ('AB12CDE', 'Jane Doe', '+447400123456', ?)"), (_ago(days=3),))
    database.execute_sql(q(database, "INSERT INTO privacy_requests (reference, kind, received_on, due_on) "
                                     "VALUES ('CASE-7', 'access', ?, ?)"), (_today(-40), _today(-9)))
    r = privacy(kiosk_cli, target, "--json")
    assert r.code == 4, r.err
    d = json.loads(r.out)
    assert d["exit_code"] == 4
    assert [(f["level"], f["code"]) for f in d["findings"]] == [("error", "request_overdue"),
                                                                ("warning", "personal_data_over_retention")]
    assert d["stores"][0]["over"] == 1 and d["requests"]["rows"][0] == {
        "reference": "CASE-7", "kind": "access", "received_on": _today(-40), "due_on": _today(-9), "extended_months": 0,
        "days_left": -9, "state": "overdue"}
    text = privacy(kiosk_cli, target)
    assert text.code == 4
    assert "1 OVER the limit" in text.out and "CASE-7  access" in text.out and "9 day(s) overdue" in text.out
    for personal in ("AB12CDE", "Jane", "7400"):
        assert personal not in r.out + text.out


def test_bad_days_is_bad_usage_in_one_line(kiosk_cli, target, database):
    for bad in ("0", "367", "x", "-1"):
        r = privacy(kiosk_cli, target, "--days", bad)
        assert r.code == 2 and "Traceback" not in r.err and "--days" in r.err, (bad, r.err)
        assert r.out == ""


def test_no_database_fails_in_one_line(kiosk_cli, tmp_path):
    r = kiosk_cli("--db", str(tmp_path / "none.db"), "--maintenance", "privacy")
    assert r.code == 1 and r.err.count("\n") == 1 and "no database at" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "none.db").exists()


def test_a_database_below_the_latest_schema_is_refused_in_one_line(kiosk_cli, target, database):
    from kiosk.schema import runner
    from kiosk.schema.files import parse_version

    runner.rollback(target, database, parse_version("1.10.0"))
    r = privacy(kiosk_cli, target, "--json")
    assert r.code == 1 and r.out == "" and r.err.count("\n") == 1 and "migrate" in r.err, (r.code, r.err)
