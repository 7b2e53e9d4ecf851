"""Reason codes: the shipped list overlaid by the site's edits (reason_codes), checked on every
refund and departed stay; a note only with a code that allows one."""

from __future__ import annotations

import json

import pytest
from staff_support import person

from kiosk.booth import REASON_KINDS, BoothError, reason_label
from kiosk.booth.reasons import DEFAULTS
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, Payment, ReasonCode, Stay

PHONE = "07400 123456"


def codes(booth, kind, **kw):
    return [c.code for c in booth.reason_codes(kind, **kw)]


def test_every_kind_ships_its_defaults_in_order(booth):
    assert set(REASON_KINDS) == set(DEFAULTS)
    for kind in REASON_KINDS:
        assert booth.reason_codes(kind) == list(DEFAULTS[kind]) and DEFAULTS[kind]
    assert codes(booth, "refund")[:3] == ["wrong_vehicle", "wrong_amount", "duplicate_charge"]
    other = booth.reason_codes("refund")[-1]
    assert (other.code, other.note_allowed, other.active) == ("other", True, True)
    assert ReasonCode.select().count() == 0  # nothing written until a manager edits the list


def test_a_manager_adds_relabels_and_retires_codes_and_each_is_audited(booth):
    added = booth.set_reason_code("payout", "window_cleaner", "window cleaner", note_allowed=True)
    assert (added.kind, added.code, added.label, added.note_allowed, added.active) == (
        "payout", "window_cleaner", "window cleaner", True, True)
    assert codes(booth, "payout") == ["petty_cash", "supplies", "other", "window_cleaner"]
    booth.set_reason_code("payout", "supplies", "office supplies")
    assert [c.label for c in booth.reason_codes("payout")][1] == "office supplies"
    booth.set_reason_code("payout", "petty_cash", "petty cash", active=False)
    assert codes(booth, "payout") == ["supplies", "other", "window_cleaner"]
    assert codes(booth, "payout", include_retired=True) == ["petty_cash", "supplies", "other", "window_cleaner"]
    assert ReasonCode.select().count() == 3  # never deleted: a retired code is a row with active false
    rows = [json.loads(a.details) for a in AuditLog.select().where(AuditLog.action == "reason_code").order_by(AuditLog.id)]
    assert [(r["kind"], r["code"], r["active"]) for r in rows] == [
        ("payout", "window_cleaner", True), ("payout", "supplies", True), ("payout", "petty_cash", False)]
    assert all("label" not in r for r in rows)
    # retired, it still labels old rows
    assert reason_label(booth._ctx, "petty_cash", "payout") == "petty cash"


def test_a_retired_refund_code_is_refused_listing_the_active_ones(booth):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    paid = booth.pay(reg.stay_id, "card")
    booth.set_reason_code("refund", "goodwill", "goodwill gesture", note_allowed=True, active=False)
    with pytest.raises(BoothError) as err:
        booth.refund(paid.payment_id, "goodwill")
    assert err.value.field == "reason" and "retired" in err.value.message
    assert "wrong_vehicle" in err.value.message and "goodwill" not in err.value.message.split(":", 1)[1]
    assert Payment.select().count() == 1
    booth.set_reason_code("refund", "parking_fine", "fine paid elsewhere")
    assert booth.refund(paid.payment_id, "Parking_Fine ").reason == "parking_fine"


def test_the_last_active_code_of_a_kind_cannot_be_retired(booth):
    booth.set_reason_code("drop", "safe_drop", "drop to the safe", active=False)
    with pytest.raises(BoothError) as err:
        booth.set_reason_code("drop", "over_limit", "drawer over its limit", active=False)
    assert err.value.field == "active"
    assert codes(booth, "drop") == ["over_limit"]


def test_a_note_only_with_a_code_that_allows_one(booth):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    paid = booth.pay(reg.stay_id, "card")
    with pytest.raises(BoothError) as err:
        booth.refund(paid.payment_id, "wrong_vehicle", "Zoe Li")
    assert err.value.field == "note" and "takes no note" in err.value.message
    assert Payment.select().count() == 1 and Stay.get_by_id(reg.stay_id).note is None
    gone = booth.register("GO11NEE", "Ann", PHONE, "car")
    with pytest.raises(BoothError) as err:
        booth.close_departed(gone.stay_id, "registered_in_error", "typo")
    assert err.value.field == "note"
    assert Stay.get_by_id(gone.stay_id).status == "open"
    booth.set_reason_code("departed", "registered_in_error", "registered in error", note_allowed=True)
    booth.close_departed(gone.stay_id, "registered_in_error", "typo")
    assert Stay.get_by_id(gone.stay_id).note == "typo"


@pytest.mark.parametrize("kind, code, label, extra, field", [
    ("refunds", "x", "y", {}, "kind"),
    (None, "x", "y", {}, "kind"),
    ("refund", "", "y", {}, "code"),
    ("refund", "Has Space", "y", {}, "code"),
    ("refund", "a" * 33, "y", {}, "code"),
    ("refund", "dash-code", "y", {}, "code"),
    ("refund", "é", "y", {}, "code"),
    ("refund", 7, "y", {}, "code"),
    ("refund", "ok", "", {}, "label"),
    ("refund", "ok", "x" * 61, {}, "label"),
    ("refund", "ok", "bell\x07", {}, "label"),
    ("refund", "ok", 5, {}, "label"),
    ("refund", "ok", "fine", {"note_allowed": "yes"}, "note_allowed"),
    ("refund", "ok", "fine", {"active": 0}, "active"),
])
def test_hostile_edits_are_refused_with_the_field(booth, kind, code, label, extra, field):
    with pytest.raises(BoothError) as err:
        booth.set_reason_code(kind, code, label, **extra)
    assert err.value.field == field and err.value.code == ErrorCode.INVALID
    assert ReasonCode.select().count() == 0


def test_unknown_kind_in_a_read_is_refused(booth):
    with pytest.raises(BoothError) as err:
        booth.reason_codes("refunds")
    assert err.value.field == "kind" and "lost_ticket" in err.value.message
    with pytest.raises(BoothError):
        booth.reason_codes("refund", include_retired="no")


@pytest.mark.parametrize("role, allowed", [("attendant", False), ("supervisor", False), ("manager", True)])
def test_only_a_manager_edits_the_list(booth, role, allowed):
    acting = booth.signed_in(person(booth, f"R {role}", role))
    assert acting.reason_codes("void")  # everyone reads it
    if allowed:
        acting.set_reason_code("void", "test_code", "a test")
    else:
        with pytest.raises(BoothError) as err:
            acting.set_reason_code("void", "test_code", "a test")
        assert err.value.code == ErrorCode.FORBIDDEN
    assert ReasonCode.select().count() == int(allowed)


def test_labels_of_old_rows_and_unknown_text():
    assert reason_label(None, "wrong_vehicle") == "charged the wrong vehicle"
    assert reason_label(None, "wrong_vehicle", "void") == "wrong vehicle"
    assert reason_label(None, "a label written before 1.8.0") == "a label written before 1.8.0"
    assert reason_label(None, None) == ""
