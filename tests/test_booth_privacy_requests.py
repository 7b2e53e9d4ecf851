"""The data-protection request log: due dates by calendar month in the site's zone, states that move
with the clock, extensions and closing, the reference rule (no personal data in the log), what HC's
export and erasure are told by `request_for`, and audit rows that hold codes and ids only."""

from __future__ import annotations

import calendar
import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from staff_support import staff_row

from kiosk.booth import BoothError
from kiosk.booth.privacy_requests import REF_MAX, add_months, check_reference, due_date
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, PrivacyRequest

PHONE = "07400 123456"
D = dt.date


def request_rows(database) -> list:
    return database.execute_sql("SELECT * FROM privacy_requests ORDER BY id").fetchall()


def audit_rows(action_prefix: str = "request_") -> list[AuditLog]:
    return list(AuditLog.select().where(AuditLog.action.startswith(action_prefix)).order_by(AuditLog.id))


def refused(call, field: str, *words: str, code: ErrorCode | None = None) -> BoothError:
    with pytest.raises(BoothError) as caught:
        call()
    err = caught.value
    assert err.field == field, err.message
    for word in words:
        assert word in err.message, err.message
    if code is not None:
        assert err.code is code, err.message
    assert "\n" not in err.message
    return err


# ---- due dates -----------------------------------------------------------------------------

def test_due_date_is_the_same_day_next_month_or_that_months_last_day():
    assert due_date(D(2026, 3, 3), 1) == D(2026, 4, 3)
    assert due_date(D(2027, 1, 31), 1) == D(2027, 2, 28)
    assert due_date(D(2028, 1, 31), 1) == D(2028, 2, 29)  # leap year
    assert due_date(D(2026, 12, 15), 1) == D(2027, 1, 15)  # over the year's end
    assert due_date(D(2027, 1, 31), 3) == D(2027, 4, 30)  # counted from the day received, not from Feb 28
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)


@settings(max_examples=300, deadline=None)
@given(received=st.dates(min_value=D(1990, 1, 1), max_value=D(2200, 12, 31)), months=st.integers(1, 3))
def test_due_date_property(received, months):
    due = due_date(received, months)
    assert due > received
    assert (due.year * 12 + due.month) - (received.year * 12 + received.month) == months  # whole calendar months
    assert due.day == min(received.day, calendar.monthrange(due.year, due.month)[1])  # same day, else the last
    assert (due - received).days <= 92  # never more than three months in all
    if months > 1:  # an extension adds whole months on top of the first
        assert due_date(received, months) > due_date(received, months - 1)
        assert due_date(received, months) == add_months(received, months)


# ---- log, states with the clock --------------------------------------------------------------

def test_log_then_due_soon_then_overdue_as_the_clock_moves(booth, clock, database):
    row = booth.log_request("DSR-2026-014", "access")
    assert (row.reference, row.kind, row.received_on, row.due_on) == ("DSR-2026-014", "access", D(2026, 11, 24),
                                                                      D(2026, 12, 24))
    assert (row.status, row.state, row.days_left, row.extended_months, row.outcome) == ("open", "open", 30, 0, None)
    stored = PrivacyRequest.get_by_id(row.id)
    assert stored.staff_id == booth.actor.staff_id and stored.closed_at is None
    clock.advance(days=22)
    assert [(r.state, r.days_left) for r in booth.requests()] == [("open", 8)]
    clock.advance(days=1)
    assert [(r.state, r.days_left) for r in booth.requests()] == [("due_soon", 7)]
    clock.advance(days=7)
    assert [(r.state, r.days_left) for r in booth.requests()] == [("due_soon", 0)]  # due today: not yet late
    clock.advance(days=1)
    assert [(r.state, r.days_left) for r in booth.requests(open_only=True)] == [("overdue", -1)]


def test_received_defaults_to_today_in_the_sites_zone(booth, clock):
    booth.update_config(time_zone="Pacific/Auckland")  # 12:00 UTC on the 24th is 01:00 on the 25th there
    row = booth.log_request("NZ-1", "erasure")
    assert (row.received_on, row.due_on, row.days_left) == (D(2026, 11, 25), D(2026, 12, 25), 30)
    clock.set("2026-12-24 11:30:00")  # the 25th, 00:30 in Auckland: due today
    assert booth.requests()[0].state == "due_soon" and booth.requests()[0].days_left == 0
    clock.set("2026-12-25 11:30:00")
    assert booth.requests()[0].state == "overdue"


def test_received_day_is_checked(booth, database):
    assert booth.log_request("R-1", "access", received="2025-11-24").due_on == D(2025, 12, 24)  # a year ago: the limit
    assert booth.log_request("R-2", "access", received=D(2026, 11, 24)).due_on == D(2026, 12, 24)
    before = request_rows(database)
    for bad, word in [("2025-11-23", "more than a year ago"), ("2026-11-25", "in the future"),
                      ("2026-02-30", "not a day"), ("24/11/2026", "not a day"), ("", "not a day"),
                      ("2026-11-24T10:00", "not a day"), (20261124, "not a day"),
                      (dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc), "not a day"), ("x" * 5000, "not a day")]:
        refused(lambda bad=bad: booth.log_request("R-3", "access", received=bad), "received", word, "YYYY-MM-DD")
    assert request_rows(database) == before


def test_kind_is_checked(booth, database):
    for bad in ["complaint", "", None, 3, "access "  * 10]:
        refused(lambda bad=bad: booth.log_request("K-1", bad), "kind", "access, erasure, rectification")
    assert booth.log_request("K-1", " Rectification ").kind == "rectification"
    assert len(request_rows(database)) == 1


def test_list_puts_open_first_by_due_date_then_closed_latest_first(booth, clock):
    booth.log_request("A-1", "access", received="2026-11-20")
    booth.log_request("B-2", "erasure", received="2026-11-01")
    booth.log_request("C-3", "access", received="2026-11-10")
    booth.close_request("A-1", "done", "answered")
    clock.advance(hours=1)
    booth.close_request("C-3", "refused", "withdrawn")
    assert [r.reference for r in booth.requests()] == ["B-2", "C-3", "A-1"]
    assert [r.reference for r in booth.requests(open_only=True)] == ["B-2"]
    refused(lambda: booth.requests(open_only="no"), "open_only")


# ---- extension -------------------------------------------------------------------------------

def test_extend_by_one_then_one_a_third_is_refused(booth, clock, database):
    clock.set("2027-02-10 12:00:00")
    booth.log_request("JAN-31", "access", received="2027-01-31")
    assert booth.requests()[0].due_on == D(2027, 2, 28)
    row = booth.extend_request("jan-31", 1, "complex")  # looked up without case
    assert (row.due_on, row.extended_months, row.extension_reason) == (D(2027, 3, 31), 1, "complex")
    row = booth.extend_request("JAN-31", "1", "numerous")
    assert (row.due_on, row.extended_months, row.extension_reason) == (D(2027, 4, 30), 2, "numerous")
    before = request_rows(database)
    refused(lambda: booth.extend_request("JAN-31", 1, "complex"), "months", "at most 2", "0 left",
            code=ErrorCode.REFUSED)
    assert request_rows(database) == before


def test_extend_by_two_at_once_and_the_bad_inputs(booth, database):
    booth.log_request("E-1", "erasure")
    before = request_rows(database)
    for months in [0, 3, "1.5", True, None, "two", -1]:
        refused(lambda months=months: booth.extend_request("E-1", months, "complex"), "months", "1 to 2")
    for reason in ["busy", "", None, "Jane Doe is slow"]:
        refused(lambda reason=reason: booth.extend_request("E-1", 1, reason), "reason", "complex, numerous")
    refused(lambda: booth.extend_request("NOPE-9", 1, "complex"), "request", "no request 'NOPE-9'")
    assert request_rows(database) == before
    row = booth.extend_request("E-1", 2, "numerous")
    assert (row.due_on, row.extended_months) == (D(2027, 2, 24), 2)
    refused(lambda: booth.extend_request("E-1", 1, "numerous"), "months", "already extended by 2")


def test_an_extension_after_the_first_month_is_refused(booth, clock, database):
    booth.log_request("LATE-1", "access")
    clock.set("2026-12-24 23:00:00")  # the first month's last day: still in time
    booth.extend_request("LATE-1", 1, "complex")
    booth.log_request("LATE-2", "access", received="2026-11-23")
    before = request_rows(database)
    refused(lambda: booth.extend_request("LATE-2", 1, "complex"), "request", "too late", "2026-12-23",
            code=ErrorCode.REFUSED)
    assert request_rows(database) == before


def test_a_closed_request_is_not_extended_nor_closed_again(booth, database):
    booth.log_request("C-1", "access")
    row = booth.close_request("C-1", "done", "answered")
    assert (row.status, row.outcome, row.state, row.closed_at) == ("done", "answered", "done", booth.clock.now())
    assert row.outcome_label == "access given: the export was sent"
    before = request_rows(database)
    audits = len(audit_rows())
    refused(lambda: booth.extend_request("C-1", 1, "complex"), "request", "already closed", "done: answered",
            code=ErrorCode.REFUSED)
    refused(lambda: booth.close_request("C-1", "refused", "withdrawn"), "request", "already closed",
            code=ErrorCode.REFUSED)
    assert request_rows(database) == before and len(audit_rows()) == audits


# ---- closing -----------------------------------------------------------------------------------

def test_outcomes_must_fit_the_status_and_the_kind(booth, database):
    booth.log_request("A-1", "access")
    booth.log_request("E-2", "erasure")
    before = request_rows(database)
    refused(lambda: booth.close_request("A-1", "done", "withdrawn"), "outcome", "an outcome of a request done")
    refused(lambda: booth.close_request("A-1", "refused", "answered"), "outcome", "unfounded, identity")
    refused(lambda: booth.close_request("A-1", "done", "erased"), "outcome", "an access request",
            "answered, nothing_held")
    refused(lambda: booth.close_request("E-2", "done", "rectified"), "outcome", "erased, nothing_held")
    refused(lambda: booth.close_request("A-1", "finished", "answered"), "status", "done, refused")
    refused(lambda: booth.close_request("A-1", None, "answered"), "status")
    assert request_rows(database) == before
    assert booth.close_request("E-2", "done", "nothing_held").outcome == "nothing_held"
    assert booth.close_request("A-1", "REFUSED", " Identity ").outcome == "identity"


def test_closing_after_the_due_date_says_how_late_in_the_audit(booth, clock):
    booth.log_request("L-1", "erasure")
    clock.advance(days=33)
    row = booth.close_request("L-1", "done", "erased")
    assert row.state == "done" and row.days_left == -3
    (closed,) = [a for a in audit_rows() if a.action == "request_close"]
    assert json.loads(closed.details)["days_late"] == 3


# ---- the reference rule ------------------------------------------------------------------------

@pytest.mark.parametrize("ref, word", [
    ("", "enter a reference"), ("   ", "enter a reference"), ("DSR 14", "has a space"),
    ("DSR\t14", "control characters"), ("DSR-14\n", "control characters"), ("DSR\x0014", "control characters"),
    ("A1" * 17, "too long (34"), ("9" * 5000, "too long"), ("DSR-ABC", "no digit"), ("-DSR14", "'-' is not allowed"),
    ("DSR-１4", "'１' is not allowed"), ("DSR+14", "'+' is not allowed"), ("Zoë-14", "'ë' is not allowed"),
    (14, "must be text"), (None, "must be text"),
])
def test_a_reference_not_of_the_rule_is_refused(booth, database, ref, word):
    refused(lambda: booth.log_request(ref, "access"), "reference", word, "at least one digit")
    assert request_rows(database) == [] and audit_rows() == []


@settings(max_examples=400, deadline=None)
@given(raw=st.one_of(st.text(max_size=60), st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._/ -]{0,40}", fullmatch=True)))
def test_any_text_is_a_reference_of_the_rule_or_refused_in_one_line(raw):
    try:
        ref = check_reference(raw)
    except BoothError as err:
        assert err.field == "reference" and "\n" not in err.message and err.code is ErrorCode.INVALID
        return
    assert ref == raw.strip(" ") and 1 <= len(ref) <= REF_MAX
    assert ref.isascii() and ref[0].isalnum() and any(ch.isdigit() for ch in ref)
    assert all(ch.isalnum() or ch in "._/-" for ch in ref)


def test_a_reference_that_is_personal_data_is_refused_and_nothing_is_written(booth, database):
    booth.register("AB12CDE", "Jo3 Smith", PHONE, "car")
    booth.register("XY99ZZZ", "Jo3", PHONE, "car")
    staff_row("Agent47", "attendant")
    for ref, what in [("AB12CDE", "a number plate on record"), ("ab12-cde", "a number plate on record"),
                      ("AB.12.CDE", "a number plate on record"), ("07400123456", "a phone number"),
                      ("07400-123-456", "a phone number"), ("447400123456", "a phone number"),
                      ("02071838750", "a phone number"), ("jo3", "a driver's name on record"),
                      ("AGENT47", "a staff member's name")]:
        refused(lambda ref=ref: booth.log_request(ref, "access"), "reference", f"reads as {what}", "no personal data")
    assert request_rows(database) == [] and audit_rows() == []
    # Near misses are references: another plate's shape, a number no phone has, a name not on record.
    for ref in ["AB12CDF", "2026-0001", "Jo4", "Agent48"]:
        booth.log_request(ref, "access")
    assert [r[1] for r in request_rows(database)] == ["AB12CDF", "2026-0001", "Jo4", "Agent48"]


def test_an_expired_plate_is_no_longer_on_record(booth, clock):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.pay(reg.stay_id, "card")
    clock.advance(hours=25)
    booth.expire()
    assert booth.log_request("AB12CDE", "access").reference == "AB12CDE"


def test_a_duplicate_reference_is_refused_whatever_its_case(booth, database):
    booth.log_request("DSR-7", "access")
    before = request_rows(database)
    for ref in ["DSR-7", "dsr-7", " DSR-7 "]:
        refused(lambda ref=ref: booth.log_request(ref, "erasure"), "reference", "already in the log", "an access request, open")
    assert request_rows(database) == before and len(audit_rows()) == 1


# ---- request_for (export and erasure act under a request) ---------------------------------------

def test_request_for_gives_the_open_request_of_a_kind_or_says_what_exists(booth, clock):
    booth.log_request("ERA-1", "erasure")
    booth.log_request("ACC-2", "access")
    booth.log_request("ERA-3", "erasure")
    assert booth.request_for("era-1", ("erasure",)).reference == "ERA-1"
    assert booth.request_for("ACC-2", ("access", "erasure")).kind == "access"
    err = refused(lambda: booth.request_for("ACC-2", ("erasure",)), "request", "'ACC-2' is an access request",
                  "due 2026-12-24", "needs an erasure request", code=ErrorCode.REFUSED)
    assert "open" in err.message
    booth.close_request("ERA-1", "done", "erased")
    refused(lambda: booth.request_for("ERA-1", ("erasure",)), "request", "'ERA-1' is an erasure request closed on "
            "2026-11-24", "done: erased", "log a new one", code=ErrorCode.REFUSED)
    refused(lambda: booth.request_for("ERA-9", ("erasure",)), "request", "no request 'ERA-9'",
            "open erasure requests: ERA-3")
    refused(lambda: booth.request_for("ERA-9", ("rectification",)), "request", "no rectification request is open")
    for bad in [None, "", "X\n1", "x" * 1000]:
        refused(lambda bad=bad: booth.request_for(bad, ("erasure",)), "request")
    for kinds in [(), ("deletion",), "erasure", None]:
        with pytest.raises(BoothError) as caught:
            booth.request_for("ERA-3", kinds)
        assert caught.value.field == "kind"


# ---- the audit trail --------------------------------------------------------------------------

def test_audit_rows_hold_codes_and_ids_never_personal_data(booth, clock):
    booth.register("AB12CDE", "Jane Doe", PHONE, "car")
    added = booth.log_request("CASE-88", "erasure", received="2026-11-20")
    booth.extend_request("CASE-88", 2, "complex")
    booth.close_request("CASE-88", "refused", "exempt")
    rows = audit_rows()
    assert [(r.action, r.entity, r.entity_id) for r in rows] == [
        ("request_add", "privacy_requests", str(added.id)), ("request_extend", "privacy_requests", str(added.id)),
        ("request_close", "privacy_requests", str(added.id))]
    details = [json.loads(r.details) for r in rows]
    assert {k: v for k, v in details[0].items() if k != "booth"} == {
        "reference": "CASE-88", "kind": "erasure", "received_on": "2026-11-20", "due_on": "2026-12-20"}
    assert {k: v for k, v in details[1].items() if k != "booth"} == {
        "reference": "CASE-88", "months": 2, "extended_months": 2, "reason": "complex", "due_on": "2027-02-20"}
    assert {k: v for k, v in details[2].items() if k != "booth"} == {
        "reference": "CASE-88", "status": "refused", "outcome": "exempt", "days_late": 0}
    assert {r.staff_id for r in rows} == {booth.actor.staff_id}
    trail = " ".join(r.details for r in rows)
    for personal in ["AB12CDE", "Jane", "Doe", "+447400123456", "07400"]:
        assert personal not in trail
    text = " ".join(str(v) for row in request_rows(booth.database) for v in row)
    for personal in ["AB12CDE", "Jane", "+447400123456"]:
        assert personal not in text
