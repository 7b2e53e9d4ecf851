"""Signing in: PIN rule and hashing, the lockout schedule on the test clock, disabled accounts,
supervisor approval of one action (both ids audited), the first manager."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from argon2 import PasswordHasher
from staff_support import FAST_HASHER, TEST_PIN, person, staff_row

from kiosk.booth import Booth, BoothError, Permission, PinHasher, Role, Secret, check_new_pin
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, Staff

PHONE = "07400 123456"


@pytest.fixture
def front(database, clock, pin_hasher):
    """A booth nobody has signed in to (the sign-in screen's)."""
    return Booth(database, clock, pin_hasher=pin_hasher)


def audit(action=None):
    query = AuditLog.select().order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    return list(query)


# ----------------------------------------------------------------- the PIN rule and the hash
@pytest.mark.parametrize("pin", ["1234", "12345678", "correct horse", "Zebra-Quartz-8812", "pässwort!"])
def test_pins_and_passphrases_the_rule_allows(pin):
    assert check_new_pin(pin).reveal() == pin


@pytest.mark.parametrize("pin, said", [
    ("", "enter a PIN"), ("123", "3 digits"), ("123456789", "9 digits"), ("abcd", "4 characters"),
    ("12a4", "4 characters"), ("١٢٣٤", "other than 0-9"), ("abc\x00defgh", "control characters"),
    ("x" * 129, "129 characters"), ("1" * 10_000, "too long"), (1234, "must be text"), (None, "must be text"),
])
def test_hostile_pins_are_refused_without_repeating_them(pin, said):
    with pytest.raises(BoothError) as caught:
        check_new_pin(pin)
    err = caught.value
    assert err.code is ErrorCode.INVALID and err.field == "pin" and said in err.message
    assert "4 to 8 digits" in err.message
    if isinstance(pin, str) and len(pin) >= 3:
        assert pin not in str(err) and pin not in repr(err)


def test_a_secret_never_shows_itself():
    s = Secret("73915824")
    assert "73915824" not in f"{s} {s!r} {s:>20} {[s]} {dict(pin=s)}"
    with pytest.raises(TypeError):
        __import__("pickle").dumps(s)


def test_only_an_argon2id_hash_is_stored_and_it_verifies_in_constant_time_terms(booth, clock):
    member = booth.add_staff("Ann", "attendant", "73915824")
    stored = Staff.get_by_id(member.staff_id).pin_hash
    assert stored.startswith("$argon2id$") and "73915824" not in stored
    assert FAST_HASHER.verify(stored, Secret("73915824"))
    assert not FAST_HASHER.verify(stored, Secret("73915825"))
    assert not FAST_HASHER.verify(None, Secret(""))  # a decoy: an unknown name takes as long
    assert not FAST_HASHER.verify("not a hash", Secret("73915824"))


def test_a_hash_made_with_other_parameters_is_remade_at_the_next_sign_in(database, clock, front):
    strong = PinHasher(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    Booth(database, clock, pin_hasher=strong, actor=None)  # binds the models
    sid = staff_row("Ann", "attendant")
    Staff.update(pin_hash=strong.hash(Secret("8642"))).where(Staff.id == sid).execute()
    before = Staff.get_by_id(sid).pin_hash
    assert "t=2" in before
    front.sign_in("ann", "8642")  # the front booth hashes with the cheap test parameters
    after = Staff.get_by_id(sid).pin_hash
    assert after != before and "t=1" in after and not FAST_HASHER.needs_rehash(after)
    assert front.sign_in("ANN", "8642").staff_id == sid  # and the new hash still takes the same PIN


# ----------------------------------------------------------------------------- signing in
def test_sign_in_gives_an_actor_that_the_booth_acts_for(front, clock):
    sid = staff_row("Ann Lee", "attendant")
    assert front.sign_in_names() == ["Ann Lee"]
    actor = front.sign_in("  ann   LEE ", TEST_PIN)  # any case, spacing as typed
    assert (actor.staff_id, actor.role, actor.name) == (sid, Role.ATTENDANT, "Ann Lee")
    ann = front.signed_in(actor)
    reg = ann.register("AB12CDE", "Jane", PHONE, "car")
    row = AuditLog.select().where(AuditLog.action == "entry").get()
    assert (row.staff_id, row.approver_id, row.origin) == (sid, None, "terminal") and reg.stay_id
    signed = audit("sign_in")[-1]
    assert (signed.staff_id, signed.origin) == (sid, "terminal")
    assert Staff.get_by_id(sid).last_sign_in_at == clock.now()
    ann.sign_out()
    assert audit("sign_out")[-1].staff_id == sid
    with pytest.raises(BoothError) as caught:  # signed_in() made a new view: the front is still nobody's
        front.register("CD34EFG", "Jim", PHONE, "car")
    assert caught.value.code is ErrorCode.FORBIDDEN


def test_five_wrong_pins_lock_the_name_for_a_growing_delay_audited_without_the_pin(front, clock):
    sid = staff_row("Ann", "attendant")
    wrong = "97531864"

    def five_wrong():
        for n in range(1, 5):
            with pytest.raises(BoothError) as caught:
                front.sign_in("Ann", wrong)
            assert caught.value.code is ErrorCode.WRONG_PIN and f"{5 - n} tr" in caught.value.message
            assert wrong not in f"{caught.value} {caught.value!r} {caught.value.args}"
        with pytest.raises(BoothError) as caught:
            front.sign_in("Ann", wrong)
        return caught.value

    for lock in (30, 60, 120, 240):
        err = five_wrong()
        assert err.code is ErrorCode.LOCKED_OUT and err.seconds == lock and err.field == "pin"
        assert ("seconds" if lock < 120 else "minutes") in err.message
        with pytest.raises(BoothError) as caught:  # locked: even the right PIN is not checked
            front.sign_in("Ann", TEST_PIN)
        assert caught.value.code is ErrorCode.LOCKED_OUT and caught.value.seconds == lock
        clock.advance(seconds=lock - 1)
        with pytest.raises(BoothError) as caught:
            front.sign_in("Ann", TEST_PIN)
        assert caught.value.seconds == 1
        clock.advance(seconds=1)
    failed, locks = audit("sign_in_failed"), audit("sign_in_locked")
    assert len(failed) == 20 and [json.loads(r.details)["seconds"] for r in locks] == [30, 60, 120, 240]
    assert {r.staff_id for r in failed + locks} == {sid}
    for r in AuditLog.select():
        assert wrong not in (r.details or "") and TEST_PIN not in (r.details or "")
    front.sign_in("Ann", TEST_PIN)  # the right PIN after the lock: in, and the schedule starts over
    assert Staff.get_by_id(sid).lockouts == 0
    err = five_wrong()
    assert err.seconds == 30


def test_the_lock_never_grows_past_an_hour():
    from kiosk.booth.signin import lock_seconds

    assert [lock_seconds(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert lock_seconds(10_000) == 3600


def test_a_reset_pin_or_enable_clears_the_lock(front, booth, clock):
    staff_row("Ann", "attendant")
    for _ in range(5):
        with pytest.raises(BoothError):
            front.sign_in("Ann", "0000")
    booth.reset_pin("ann", "11223344")
    assert front.sign_in("Ann", "11223344").name == "Ann"


def test_a_disabled_account_cannot_sign_in_nor_keep_acting(front, booth, clock):
    actor = person(booth, "Ann", "attendant")
    ann = front.signed_in(actor)
    booth.disable_staff("Ann")
    with pytest.raises(BoothError) as caught:
        front.sign_in("Ann", TEST_PIN)
    assert caught.value.code is ErrorCode.ACCOUNT_DISABLED and "a manager can enable it" in caught.value.message
    with pytest.raises(BoothError) as caught:  # already signed in: refused at the next action
        ann.register("AB12CDE", "Jane", PHONE, "car")
    assert caught.value.code is ErrorCode.ACCOUNT_DISABLED
    with pytest.raises(BoothError):
        front.signed_in(actor)
    assert "Ann" not in front.sign_in_names()
    booth.enable_staff("ann")
    assert front.sign_in("Ann", TEST_PIN).staff_id == actor.staff_id


def test_unknown_names_and_empty_pins(front):
    with pytest.raises(BoothError) as caught:
        front.sign_in("Nobody", TEST_PIN)
    assert caught.value.field == "name" and "no staff member named 'Nobody'" in caught.value.message
    staff_row("Ann", "attendant")
    with pytest.raises(BoothError) as caught:
        front.sign_in("Ann", "")
    assert caught.value.field == "pin" and caught.value.code is ErrorCode.INVALID
    assert Staff.get(Staff.name_key == "ann").failed_attempts == 0  # an empty PIN is not a try


# ----------------------------------------------------------------------------- approvals
def test_an_attendant_refund_needs_a_supervisor_who_approves_it_once_and_both_ids_are_audited(booth, clock):
    front = booth.signed_out()  # the terminal's run: the shift the fixture opened takes the refund
    ann = front.signed_in(person(booth, "Ann", "attendant"))
    sup_id = staff_row("Sam", "supervisor", "55667788")
    reg = ann.register("AB12CDE", "Jane", PHONE, "car")
    paid = ann.pay(reg.stay_id, "card")
    with pytest.raises(BoothError) as caught:
        ann.refund(paid.payment_id, "wrong_amount")
    err = caught.value
    assert err.code is ErrorCode.FORBIDDEN and err.needs == "supervisor" and "a refund needs a supervisor" in err.message
    assert not ann.may(Permission.REFUND) and ann.role_needed(Permission.REFUND) is Role.SUPERVISOR
    approved = ann.approve("sam", "55667788", Permission.REFUND)
    refund = ann.signed_in(approved).refund(paid.payment_id, "wrong_amount")
    row = AuditLog.select().where(AuditLog.action == "refund").get()
    assert (row.staff_id, row.approver_id, row.origin) == (ann.actor.staff_id, sup_id, "terminal")
    assert refund.payment_id == paid.payment_id
    again = ann.signed_in(approved)  # the approval was for one action
    reg2 = again.register("CD34EFG", "Jim", PHONE, "car")  # her own actions still work, without an approver
    assert AuditLog.select().where(AuditLog.action == "entry").order_by(AuditLog.id.desc()).get().approver_id is None
    with pytest.raises(BoothError) as caught:
        again.close_departed(reg2.stay_id, "left_without_paying")
    assert caught.value.code is ErrorCode.FORBIDDEN


def test_an_approval_needs_a_supervisor_with_the_right_pin(front, booth):
    ann = front.signed_in(person(booth, "Ann", "attendant"))
    staff_row("Bob", "attendant", "13572468")
    staff_row("Sam", "supervisor", "55667788")
    with pytest.raises(BoothError) as caught:
        ann.approve("Bob", "13572468")
    assert caught.value.code is ErrorCode.FORBIDDEN and "supervisor or a manager" in caught.value.message
    with pytest.raises(BoothError) as caught:
        ann.approve("Sam", "00000000")
    assert caught.value.code is ErrorCode.WRONG_PIN
    assert audit("sign_in_failed")[-1].staff_id == Staff.get(Staff.name_key == "sam").id
    with pytest.raises(BoothError) as caught:
        ann.approve("Sam", "55667788", Permission.CONFIGURE)  # a supervisor may not approve configuration
    assert caught.value.code is ErrorCode.FORBIDDEN and caught.value.needs == "manager"
    with pytest.raises(BoothError) as caught:
        ann.approve("Ann", TEST_PIN)
    assert caught.value.code is ErrorCode.FORBIDDEN and "someone else" in caught.value.message
    with pytest.raises(BoothError) as caught:
        front.approve("Sam", "55667788")  # nobody signed in: nothing to approve
    assert caught.value.code is ErrorCode.FORBIDDEN


def test_an_approval_whose_approver_was_disabled_meanwhile_is_refused(front, booth):
    ann = front.signed_in(person(booth, "Ann", "attendant"))
    staff_row("Sam", "supervisor", "55667788")
    approved = ann.approve("Sam", "55667788")
    booth.disable_staff("Sam")
    reg = ann.register("AB12CDE", "Jane", PHONE, "car")
    with pytest.raises(BoothError) as caught:
        ann.signed_in(approved).close_departed(reg.stay_id, "left_without_paying")
    assert caught.value.code is ErrorCode.FORBIDDEN and "no longer active" in caught.value.message


# -------------------------------------------------------------------------- first manager
def test_a_fresh_site_creates_its_first_manager_once(database, clock, front):
    assert front.needs_first_manager()
    actor = front.create_first_manager("Mia", "24681357")
    assert actor.role is Role.MANAGER and not front.needs_first_manager()
    row = audit("staff_add")[-1]
    assert (row.staff_id, json.loads(row.details)["role"]) == (actor.staff_id, "manager")
    assert front.signed_in(actor).update_config(retention_hours=48).retention_hours == 48
    with pytest.raises(BoothError) as caught:
        front.create_first_manager("Max", "24681357")
    assert caught.value.code is ErrorCode.REFUSED
    assert [m.name for m in front.signed_in(actor).staff_list()] == ["Mia"]


def test_the_last_active_manager_stays_one(booth):
    """The test manager is the only manager: it cannot be disabled or demoted until another exists."""
    for act in (lambda: booth.disable_staff("Test Manager"), lambda: booth.set_staff_role("test manager", "supervisor")):
        with pytest.raises(BoothError) as caught:
            act()
        assert caught.value.code is ErrorCode.REFUSED and "last active manager" in caught.value.message
    booth.add_staff("Mia", "manager", "24681357")
    assert booth.set_staff_role("Test Manager", "supervisor").role == "supervisor"
    with pytest.raises(BoothError):  # the demoted manager's own booth can no longer manage staff
        booth.add_staff("Max", "attendant", "1357")


def test_staff_names_are_unique_whatever_their_case_and_validated(booth):
    booth.add_staff("Ann", "attendant", "1234")
    for name, said in [("ANN", "already exists"), ("ａnn", "already exists"), ("", "enter the staff name"),
                       ("x" * 41, "too long"), ("a\x1bb", "control characters"), ("1234", "not a staff name"),
                       ("~3", "not a staff name"), (42, "must be text")]:
        with pytest.raises(BoothError) as caught:
            booth.add_staff(name, "attendant", "1234")
        assert caught.value.field == "name" and said in caught.value.message, (name, caught.value.message)
    with pytest.raises(BoothError) as caught:
        booth.add_staff("Bob", "boss", "1234")
    assert caught.value.field == "role"
    with pytest.raises(BoothError) as caught:
        booth.rename_staff("Test Manager", "ann")
    assert "already exists" in caught.value.message
    assert booth.rename_staff("ann", "Anne").name == "Anne"
    assert json.loads(audit("staff_rename")[-1].details) == {"booth": "Booth"}  # no names in the trail


def test_activity_names_people_and_an_attendant_sees_only_their_own(front, booth, clock):
    ann = front.signed_in(person(booth, "Ann", "attendant"))
    bob = front.signed_in(person(booth, "Bob", "attendant"))
    ann.register("AB12CDE", "Jane", PHONE, "car")
    bob.register("CD34EFG", "Jim", PHONE, "car")
    everyone = booth.recent_audit(10, action="entry")
    assert [(r.staff_name, r.origin) for r in everyone] == [("Bob", "terminal"), ("Ann", "terminal")]
    assert [r.staff_name for r in ann.recent_audit(10)] == ["Ann"]
    with pytest.raises(BoothError) as caught:
        ann.recent_audit(10, staff_id=bob.actor.staff_id)
    assert caught.value.code is ErrorCode.FORBIDDEN
    assert [r.staff_name for r in booth.recent_audit(10, staff_id=bob.actor.staff_id)] == ["Bob"]
    with pytest.raises(BoothError):
        front.recent_audit(10)  # nobody signed in
    booth.rename_staff("Bob", "Robert")  # the trail holds ids: the name shown follows the account
    assert booth.recent_audit(1, action="entry")[0].staff_name == "Robert"


def test_headless_rows_say_so(database, clock, pin_hasher):
    from kiosk.booth import HEADLESS

    Booth(database, clock, pin_hasher=pin_hasher, actor=HEADLESS).update_config(retention_hours=12)
    row = audit("config")[-1]
    assert (row.staff_id, row.approver_id, row.origin) == (None, None, "headless")


def test_rows_from_before_staff_accounts_say_so(database):
    database.execute_sql("INSERT INTO audit_logs (action, entity, entity_id, details) VALUES ('x', 'y', '1', '{}')")
    assert audit("x")[0].origin == "before_sign_in"


def test_the_lock_wait_is_in_whole_seconds_of_the_booth_clock(front, clock):
    staff_row("Ann", "attendant")
    for _ in range(5):
        with pytest.raises(BoothError):
            front.sign_in("Ann", "0000")
    assert Staff.get(Staff.name_key == "ann").locked_until == clock.now() + dt.timedelta(seconds=30)


def test_the_terminals_background_worker_acts_as_the_worker(booth, database, clock, tmp_path):
    from kiosk.tui.services import booth_services

    services = booth_services(booth, receipts_dir=tmp_path / "receipts")
    assert services.booth.actor == booth.actor  # a signed-in booth is kept as it is
    booth.update_config(retention_hours=30)  # an audit row, then old enough to archive
    clock.advance(days=400)
    assert services.worker_booth.archive().rows == 1
    row = audit("archive")[-1]
    assert (row.staff_id, row.origin) == (None, "worker")
    with pytest.raises(BoothError) as caught:
        services.worker_booth.update_config(retention_hours=1)
    assert caught.value.code is ErrorCode.FORBIDDEN


def test_a_terminal_nobody_signed_in_to_acts_for_nobody_until_someone_signs_in(database, clock, tmp_path):
    from kiosk.tui.services import booth_services

    services = booth_services(Booth(database, clock), receipts_dir=tmp_path / "receipts")
    assert services.actor is None and not services.signed_in and services.first_start  # no account yet
    with pytest.raises(BoothError) as caught:
        services.booth.update_config(retention_hours=12)
    assert caught.value.code is ErrorCode.FORBIDDEN
    services.use(services.create_first_manager("Ann", TEST_PIN))
    services.booth.update_config(retention_hours=12)
    row = audit("config")[-1]
    assert (row.staff_id, row.origin) == (services.actor.staff_id, "terminal")
    services.use(None)  # signed out: nobody again
    assert services.actor is None


def test_wrong_types_are_booth_errors(front, booth):
    ann = front.signed_in(person(booth, "Ann", "attendant"))
    for call in (lambda: front.sign_in(None, TEST_PIN), lambda: front.sign_in("Ann", None),
                 lambda: front.sign_in("Ann", 1234), lambda: ann.approve("Ann", TEST_PIN, "everything"),
                 lambda: front.role_needed("bogus"), lambda: front.may(None), lambda: booth.disable_staff(True),
                 lambda: booth.set_staff_role("Ann", None), lambda: front.signed_in(None)):
        with pytest.raises(BoothError):
            call()
