"""`kiosk --maintenance request ...` in real subprocesses: add, list, extend, close; the JSON of
`request list --json`; one-line errors with their exit codes (2 bad input, 1 refused); nothing
written by a refused command; audit rows made headless, holding codes and the reference only."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kiosk.db import connect

PHONE = "07400 123456"
KEYS = ["id", "reference", "kind", "received_on", "due_on", "extended_months", "extension_reason", "status",
        "outcome", "closed_at", "days_left", "state"]


@pytest.fixture
def site(kiosk_cli, target):
    r = kiosk_cli("--db", target.raw, "--maintenance", "migrate")
    assert r.code == 0, r.err
    return target


def request(kiosk_cli, site, *args):
    return kiosk_cli("--db", site.raw, "--maintenance", "request", *args)


def one_error_line(r) -> str:
    assert "Traceback" not in r.err and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    return lines[0]


def rows(site, sql: str) -> list:
    db = connect(site)
    try:
        return db.execute_sql(sql).fetchall()
    finally:
        db.close()


def test_add_list_extend_close(kiosk_cli, site):
    today = dt.datetime.now(dt.timezone.utc).date()  # the subprocess runs on the real clock, zone UTC
    received = today - dt.timedelta(days=3)
    r = request(kiosk_cli, site, "add", "--kind", "erasure", "--ref", "DSR-2026-014", "--received", str(received))
    assert r.code == 0, r.err
    assert r.out.startswith(f"logged request DSR-2026-014 (erasure, received {received}): due ")
    r = request(kiosk_cli, site, "add", "--kind", "access", "--ref", "ACC/7", "--json")
    assert r.code == 0, r.err
    added = json.loads(r.out)
    assert list(added) == KEYS
    assert (added["reference"], added["kind"], added["received_on"], added["status"], added["state"]) == (
        "ACC/7", "access", str(today), "open", "open")
    assert added["days_left"] >= 28 and added["closed_at"] is None and added["extended_months"] == 0
    r = request(kiosk_cli, site, "extend", "dsr-2026-014", "--months", "2", "--reason", "complex")
    assert r.code == 0, r.err
    assert "extended by 2 month(s) (complex)" in r.out
    r = request(kiosk_cli, site, "close", "ACC/7", "--done", "--outcome", "answered")
    assert r.code == 0, r.err
    assert r.out.strip() == "closed request ACC/7 (access): done, answered (access given: the export was sent)"
    listed = json.loads(request(kiosk_cli, site, "list", "--json").out)
    assert [(x["reference"], x["state"], x["extended_months"], x["outcome"]) for x in listed] == [
        ("DSR-2026-014", "open", 2, None), ("ACC/7", "done", 0, "answered")]
    assert listed[1]["closed_at"].endswith("+00:00")
    assert [x["reference"] for x in json.loads(request(kiosk_cli, site, "list", "--open", "--json").out)] == [
        "DSR-2026-014"]
    text = request(kiosk_cli, site, "list").out.splitlines()
    assert text[0].split() == ["reference", "kind", "received", "due", "left", "state", "extended", "outcome"]
    assert text[1].split()[:2] == ["DSR-2026-014", "erasure"] and "+2 (complex)" in text[1]
    assert text[2].split()[:2] == ["ACC/7", "access"] and text[2].split()[-1] == "answered"
    audit = rows(site, "SELECT action, staff_id, origin, details FROM audit_logs WHERE action IN ('request_add', 'request_extend', 'request_close') "
                       "ORDER BY id")
    assert [a[0] for a in audit] == ["request_add", "request_add", "request_extend", "request_close"]
    assert {a[1:3] for a in audit} == {(None, "headless")}
    assert {json.loads(a[3])["reference"] for a in audit} == {"DSR-2026-014", "ACC/7"}


def test_empty_lists(kiosk_cli, site):
    assert "no requests logged yet" in request(kiosk_cli, site, "list").out
    assert request(kiosk_cli, site, "list", "--open").out.strip() == "no open requests"
    assert json.loads(request(kiosk_cli, site, "list", "--json").out) == []


@pytest.mark.parametrize("args, code, words", [
    (["add", "--kind", "access", "--ref", "DSR 1"], 2, "has a space"),
    (["add", "--kind", "access", "--ref", "DSR\x1b[31m1"], 2, "control characters"),
    (["add", "--kind", "access", "--ref", "R" * 40 + "1"], 2, "too long (41"),
    (["add", "--kind", "access", "--ref", "07400-123456"], 2, "reads as a phone number"),
    (["add", "--kind", "complaint", "--ref", "R-1"], 2, "not a kind of request"),
    (["add", "--kind", "access", "--ref", "R-1", "--received", "2999-01-01"], 2, "in the future"),
    (["add", "--kind", "access", "--ref", "R-1", "--received", "yesterday"], 2, "YYYY-MM-DD"),
    (["add", "--ref", "R-1"], 2, "--kind"),
    (["extend", "NOPE-1", "--months", "1", "--reason", "complex"], 2, "no request 'NOPE-1'"),
    (["close", "NOPE-1", "--done", "--outcome", "answered"], 2, "no request 'NOPE-1'"),
])
def test_bad_input_is_one_line_and_nothing_is_written(kiosk_cli, site, args, code, words):
    r = request(kiosk_cli, site, *args)
    assert r.code == code
    line = one_error_line(r)
    assert line.startswith("kiosk: ") and words in line and "\x1b" not in line
    assert rows(site, "SELECT COUNT(*) FROM privacy_requests") == [(0,)]
    assert rows(site, "SELECT COUNT(*) FROM audit_logs WHERE action IN ('request_add', 'request_extend', 'request_close')") == [(0,)]


def test_refusals_for_the_requests_state(kiosk_cli, site):
    assert request(kiosk_cli, site, "add", "--kind", "access", "--ref", "A-1").code == 0
    r = request(kiosk_cli, site, "add", "--kind", "erasure", "--ref", "a-1")
    assert r.code == 2 and "already in the log" in one_error_line(r)
    for args, words in [(["extend", "A-1", "--months", "3", "--reason", "complex"], "from 1 to 2"),
                        (["extend", "A-1", "--months", "1", "--reason", "busy"], "complex, numerous"),
                        (["close", "A-1", "--done", "--refused", "--outcome", "answered"], "either --done or --refused"),
                        (["close", "A-1", "--outcome", "answered"], "either --done or --refused"),
                        (["close", "A-1", "--refused", "--outcome", "answered"], "unfounded, identity"),
                        (["close", "A-1", "--done", "--outcome", "erased"], "an access request")]:
        r = request(kiosk_cli, site, *args)
        assert r.code == 2 and words in one_error_line(r), (args, r.err)
    assert request(kiosk_cli, site, "extend", "A-1", "--months", "2", "--reason", "numerous").code == 0
    r = request(kiosk_cli, site, "extend", "A-1", "--months", "1", "--reason", "numerous")
    assert r.code == 1 and "at most 2 in total" in one_error_line(r)
    assert request(kiosk_cli, site, "close", "A-1", "--refused", "--outcome", "withdrawn").code == 0
    before = rows(site, "SELECT * FROM privacy_requests")
    r = request(kiosk_cli, site, "close", "A-1", "--done", "--outcome", "answered")
    assert r.code == 1 and "already closed" in one_error_line(r) and "(refused: withdrawn)" in r.err
    assert rows(site, "SELECT * FROM privacy_requests") == before


def test_a_plate_on_record_is_not_a_reference(kiosk_cli, site, make_booth, clock):
    from kiosk.booth import Booth

    db = connect(site)
    try:
        booth = make_booth(db, clock)
        assert isinstance(booth, Booth)
        booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    finally:
        db.close()
    r = request(kiosk_cli, site, "add", "--kind", "erasure", "--ref", "AB12-CDE")
    assert r.code == 2 and "reads as a number plate on record" in one_error_line(r)


def test_without_a_database(kiosk_cli, tmp_path):
    r = kiosk_cli("--db", str(tmp_path / "none.db"), "--maintenance", "request", "list")
    assert r.code == 1 and "no database" in one_error_line(r)
