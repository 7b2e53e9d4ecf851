"""Legal holds through the Booth: placed on exactly the person's records, once, audited by ids and
codes only, released once; hostile input refused with nothing written. Runs on both databases."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kiosk.booth import Booth, BoothError
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, LegalHold, PrivacyRequest, Vehicle
from staff_support import person

PHONE = "07400 123456"
OTHER_PHONE = "07400 654321"
PERSONAL = ("AB12COE", "AB12C0E", "JD22CAR", "Jane", "Doe", "Jim", "123456", "654321")


def log_request(clock, reference="CASE-2026/001", kind="erasure", status="open") -> PrivacyRequest:
    today = clock.now().date()
    closed = {} if status == "open" else {"closed_at": clock.now(), "outcome": "erased"}
    return PrivacyRequest.create(reference=reference, kind=kind, received_on=today, due_on=today + dt.timedelta(days=30),
                                 status=status, created_at=clock.now(), updated_at=clock.now(), **closed)


def hold_audit() -> list[tuple[str, str, str, dict]]:
    return [(r.action, r.entity, r.entity_id, json.loads(r.details)) for r in
            AuditLog.select().where(AuditLog.action.in_(["hold_add", "hold_remove"])).order_by(AuditLog.id)]


def nothing_personal_in_the_trail() -> None:
    trail = " ".join(r.details or "" for r in AuditLog.select())
    for word in PERSONAL:
        assert word not in trail, word


@pytest.fixture
def people(booth):
    """Jane Doe with two cars, a look-alike plate (O/0) of someone else, Jim on another phone."""
    jane = booth.register("AB12COE", "Jane Doe", PHONE, "car")
    alike = booth.register("AB12C0E", "Jim Smith", OTHER_PHONE, "car")
    second = booth.register("JD22CAR", "jane  DOE", PHONE, "van")
    return jane, alike, second


def test_a_hold_on_a_plate_takes_that_vehicle_only_and_is_audited_by_ids_and_codes(booth, clock, people):
    jane, alike, _ = people
    request = log_request(clock)
    review = (clock.now() + dt.timedelta(days=30)).date()
    rows = booth.place_hold("Dispute", f"{review:%Y-%m-%d}", "CASE-2026/001", plate="ab12 coe")
    assert len(rows) == 1
    h = rows[0]
    assert (h.vehicle_id, h.staff_id, h.reason, h.until_on, h.request_reference) == (
        jane.vehicle_id, None, "dispute", review, "CASE-2026/001")
    assert h.reason_label.startswith("a dispute") and h.in_force and not h.overdue
    assert h.placed_by_name == "Test Manager" and h.placed_at == clock.now().replace(microsecond=0)
    stored = LegalHold.get_by_id(h.id)
    assert (stored.vehicle_id, stored.request_id, stored.released_at) == (jane.vehicle_id, request.id, None)
    # the look-alike plate is someone else's: never held
    assert LegalHold.select().where(LegalHold.vehicle == alike.vehicle_id).count() == 0
    assert hold_audit() == [("hold_add", "legal_holds", str(h.id), {
        "booth": booth.config().booth_name, "reason": "dispute", "vehicle": jane.vehicle_id,
        "until": f"{review:%Y-%m-%d}", "request": "CASE-2026/001"})]
    again = booth.place_hold("police", plate="AB12COE")  # already held: returned as it is, not held twice
    assert [(r.id, r.reason) for r in again] == [(h.id, "dispute")]
    assert LegalHold.select().count() == 1 and len(hold_audit()) == 1
    assert [r.id for r in booth.holds()] == [h.id]
    nothing_personal_in_the_trail()


def test_a_hold_by_name_or_phone_takes_every_vehicle_of_the_person(booth, clock, people):
    jane, alike, second = people
    by_name = booth.place_hold("legal_claim", name="JANE doe")
    assert sorted(r.vehicle_id for r in by_name) == sorted([jane.vehicle_id, second.vehicle_id])
    by_phone = booth.place_hold("insurance", phone="+447400123456")
    assert {r.id for r in by_phone} == {r.id for r in by_name}  # the same records: held once
    jim = booth.place_hold("court_order", phone=OTHER_PHONE)
    assert [r.vehicle_id for r in jim] == [alike.vehicle_id]
    assert LegalHold.select().count() == 3
    nothing_personal_in_the_trail()


def test_release_is_once_and_kept_with_who_and_when(booth, clock, people):
    jane, _, _ = people
    (h,) = booth.place_hold("dispute", plate="AB12COE")
    clock.advance(hours=2)
    gone = booth.release_hold(str(h.id))
    assert gone.id == h.id and not gone.in_force and gone.released_at == clock.now().replace(microsecond=0)
    assert gone.released_by_name == "Test Manager"
    assert booth.holds() == [] and [r.id for r in booth.holds(include_released=True)] == [h.id]
    with pytest.raises(BoothError) as caught:
        booth.release_hold(h.id)
    assert caught.value.code is ErrorCode.REFUSED and "already removed" in caught.value.message
    assert [a[0] for a in hold_audit()] == ["hold_add", "hold_remove"]
    assert hold_audit()[1][3] == {"booth": booth.config().booth_name, "reason": "dispute", "vehicle": jane.vehicle_id}
    (again,) = booth.place_hold("police", plate="AB12COE")  # a new hold after the release
    assert again.id != h.id and again.reason == "police"


def test_a_hold_past_its_review_date_is_overdue_but_stays(booth, clock, people):
    tomorrow = (clock.now() + dt.timedelta(days=1)).date()
    (h,) = booth.place_hold("dispute", tomorrow, plate="AB12COE")
    clock.advance(days=1)
    assert not booth.holds()[0].overdue  # on the review date itself
    clock.advance(days=1)
    (still,) = booth.holds()
    assert still.id == h.id and still.overdue and still.in_force
    assert still.to_json()["overdue"] is True and still.to_json()["until"] == f"{tomorrow:%Y-%m-%d}"


def test_a_staff_account_is_held_by_name_or_id(booth, clock, pin_hasher, database):
    ann = person(booth, "Ann Lee", "attendant")
    (h,) = booth.place_hold("dispute", staff="ann lee")
    assert (h.vehicle_id, h.staff_id) == (None, ann.staff_id)
    assert [r.id for r in booth.place_hold("dispute", staff=ann.staff_id)] == [h.id]
    assert hold_audit()[0][3]["staff"] == ann.staff_id and "Ann" not in json.dumps(hold_audit())


def test_a_person_without_privacy_permission_cannot_hold(booth, database, clock, pin_hasher, people):
    front = Booth(database, clock, pin_hasher=pin_hasher)
    supervisor = front.signed_in(person(booth, "Sue", "supervisor"))
    with pytest.raises(BoothError) as caught:
        supervisor.place_hold("dispute", plate="AB12COE")
    assert caught.value.code is ErrorCode.FORBIDDEN and caught.value.needs == "manager"
    assert LegalHold.select().count() == 0


BAD_INPUT = [
    ({"reason": "spite"}, "reason", ErrorCode.INVALID),
    ({"reason": ""}, "reason", ErrorCode.INVALID),
    ({"reason": None}, "reason", ErrorCode.INVALID),
    ({"reason": 7}, "reason", ErrorCode.INVALID),
    ({"reason": "dispute" * 10}, "reason", ErrorCode.INVALID),
    ({"until": "2026-11-24"}, "until", ErrorCode.INVALID),  # today (the fixture clock's day)
    ({"until": "2026-11-01"}, "until", ErrorCode.INVALID),  # past
    ({"until": "2026-02-30"}, "until", ErrorCode.INVALID),  # no such day
    ({"until": "24/12/2026"}, "until", ErrorCode.INVALID),
    ({"until": "tomorrow"}, "until", ErrorCode.INVALID),
    ({"until": "2026-12-24 junk"}, "until", ErrorCode.INVALID),
    ({"until": dt.datetime(2026, 12, 24, tzinfo=dt.timezone.utc)}, "until", ErrorCode.INVALID),
    ({"until": "2099-01-01"}, "until", ErrorCode.INVALID),  # further out than a review date can be
    ({"until": 20261224}, "until", ErrorCode.INVALID),
    ({"request": "NOPE-1"}, "request", ErrorCode.INVALID),  # not in the log
    ({"request": "CLOSED-1"}, "request", ErrorCode.INVALID),  # in the log, closed
    ({"request": "x;DROP TABLE"}, "request", ErrorCode.INVALID),
    ({"request": "A" * 33}, "request", ErrorCode.INVALID),
    ({"plate": "AB12COE", "name": "Jane Doe"}, "subject", ErrorCode.INVALID),  # two selectors
    ({"plate": None}, "subject", ErrorCode.INVALID),  # none
    ({"plate": "ZZ99ZZZ"}, "subject", ErrorCode.REFUSED),  # matches nobody
    ({"phone": "not a phone"}, "phone", ErrorCode.INVALID),
    ({"staff": "Nobody Here"}, "staff", ErrorCode.INVALID),
]


@pytest.mark.parametrize("bad,field,code", BAD_INPUT, ids=[f"{f}-{i}" for i, (_, f, _c) in enumerate(BAD_INPUT)])
def test_hostile_input_is_refused_with_nothing_written(booth, clock, people, bad, field, code):
    log_request(clock, "CLOSED-1", status="done")
    named = any(k in bad for k in ("plate", "phone", "name", "staff"))
    args = {"reason": "dispute", "until": None, "request": None, **({} if named else {"plate": "AB12COE"}), **bad}
    selectors = {k: args.pop(k) for k in ("plate", "phone", "name", "staff") if k in args}
    before = AuditLog.select().count()
    with pytest.raises(BoothError) as caught:
        booth.place_hold(args["reason"], args["until"], args["request"], **selectors)
    assert (caught.value.field, caught.value.code) == (field, code), caught.value.message
    assert "\n" not in caught.value.message
    assert LegalHold.select().count() == 0 and AuditLog.select().count() == before


@pytest.mark.parametrize("bad", [0, -1, "abc", "", None, 1.0, True, 2**40, "1; DROP TABLE legal_holds", 999])
def test_an_unknown_or_malformed_hold_id_is_refused(booth, people, bad):
    booth.place_hold("dispute", plate="AB12COE")
    with pytest.raises(BoothError) as caught:
        booth.release_hold(bad)
    assert caught.value.field == "hold" and caught.value.code is ErrorCode.INVALID
    assert LegalHold.select().where(LegalHold.released_at.is_null(False)).count() == 0


def test_a_purged_record_matches_nobody(booth, clock, people):
    jane, _, _ = people
    booth.pay(jane.stay_id, "card")
    clock.advance(hours=25)
    booth.expire()
    assert Vehicle.get_by_id(jane.vehicle_id).purged_at is not None
    with pytest.raises(BoothError) as caught:
        booth.place_hold("dispute", plate="AB12COE")
    assert caught.value.code is ErrorCode.REFUSED and caught.value.field == "subject"


def test_include_released_must_be_a_flag(booth):
    with pytest.raises(BoothError) as caught:
        booth.holds(include_released="yes")
    assert caught.value.field == "include_released"


def test_a_record_that_expired_after_it_was_matched_is_not_held(booth, clock, database, people):
    """The person was looked up, then an expiry run purged the record before the hold was written."""
    from kiosk.booth import holds
    from kiosk.booth.context import Context
    from kiosk.booth.subject_match import match, read_selector

    jane, _, _ = people
    booth.pay(jane.stay_id, "card")
    clock.advance(hours=25)
    ctx = Context.create(database, clock)
    found = match(ctx, read_selector(ctx, plate="AB12COE"))
    assert found.vehicle_ids == (jane.vehicle_id,)
    booth.expire()
    with pytest.raises(BoothError) as caught:
        holds.place_holds(ctx, found, "dispute")
    assert caught.value.code is ErrorCode.CONFLICT and "nothing was held" in caught.value.message
    assert LegalHold.select().count() == 0
