"""The role matrix, enforced by the booth: every state-changing Booth method, for every role and
for nobody, the background worker and headless. A refused call changes nothing in the database.
A new Booth method fails here until it declares its permission and this file knows how to call it."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import pytest
from staff_support import off_shift, person, staff_row

from kiosk.booth import HEADLESS, ROLE_PERMISSIONS, WORKER, Booth, BoothError, Permission, Role
from kiosk.booth.guard import declared
from kiosk.errors import ErrorCode

PHONE = "07400 123456"


@dataclass
class World:
    stay_id: int
    payment_id: int
    receipt: object


# How to call each method that needs a permission, once the world below exists.
CALLS = {
    "register": lambda b, w: b.register("ZZ99ZZZ", "Jane", PHONE, "car"),
    "pay": lambda b, w: b.pay(w.stay_id, "card"),
    "open_shift": lambda b, w: b.open_shift("25.00"),  # the test closes the fixture's shift first
    "save_receipt": lambda b, w: b.save_receipt(w.receipt),
    "refund": lambda b, w: b.refund(w.payment_id, "wrong_amount"),
    "close_departed": lambda b, w: b.close_departed(w.stay_id, "left_without_paying"),
    "add_spots": lambda b, w: b.add_spots("Z01-Z02", "car"),
    "retype_spot": lambda b, w: b.retype_spot("A30", "van"),
    "remove_spot": lambda b, w: b.remove_spot("A29"),
    "update_config": lambda b, w: b.update_config(retention_hours=48),
    "set_rate": lambda b, w: b.set_rate("car", "3.00"),
    "expire": lambda b, w: b.expire(),
    "archive": lambda b, w: b.archive(),
    "recent_audit": lambda b, w: b.recent_audit(5),
    "staff_list": lambda b, w: b.staff_list(),
    "add_staff": lambda b, w: b.add_staff("Newbie", "attendant", "1234"),
    "disable_staff": lambda b, w: b.disable_staff("Victim"),
    "enable_staff": lambda b, w: b.enable_staff("Resting"),
    "rename_staff": lambda b, w: b.rename_staff("Victim", "Renamed"),
    "set_staff_role": lambda b, w: b.set_staff_role("Victim", "supervisor"),
    "reset_pin": lambda b, w: b.reset_pin("Victim", "86428642"),
    "set_reason_code": lambda b, w: b.set_reason_code("payout", "window_cleaner", "window cleaner"),
    # The world's shift is the fixture booth's (another run's): what a permitted call says about
    # it (left open, nothing counted, no Z yet) is past the permission check, which is what counts here.
    "cash_drop": lambda b, w: _past_the_guard(lambda: b.cash_drop("1.00", "safe_drop")),
    "payout": lambda b, w: _past_the_guard(lambda: b.payout("1.00", "supplies")),
    "x_report": lambda b, w: b.x_report(),
    "close_shift": lambda b, w: b.close_shift("0.00", card_batch="0.00"),
    "sign_off_shift": lambda b, w: _past_the_guard(lambda: b.sign_off_shift("miscount")),
    "z_report": lambda b, w: _past_the_guard(lambda: b.z_report(1)),
    "shift_list": lambda b, w: b.shift_list(),
    "pay_lost_ticket": lambda b, w: b.pay_lost_ticket("LT11AAA", "car", "card", "no_ticket"),
    "void_payment": lambda b, w: b.void_payment(w.payment_id, "keyed_in_error"),
    "free_exit": lambda b, w: b.free_exit(w.stay_id, "emergency_vehicle"),
    "override_fee": lambda b, w: b.override_fee(w.stay_id, "0.50", "card", "goodwill"),
    "find_subject": lambda b, w: b.find_subject(plate="ZZ99ZZZ"),
    "export_subject": lambda b, w: b.export_subject("DSR-OPEN-1", plate="AB12CDE"),
    # The world's request is an access request: a permitted erasure is refused for that, past the guard.
    "erase_subject": lambda b, w: _past_the_guard(lambda: b.erase_subject("DSR-OPEN-1", plate="AB12CDE")),
    "log_request": lambda b, w: b.log_request("DSR-1", "access"),
    "extend_request": lambda b, w: b.extend_request("DSR-OPEN-1", 1, "complex"),
    "close_request": lambda b, w: b.close_request("DSR-OPEN-1", "done", "answered"),
    "requests": lambda b, w: b.requests(),
    "request_for": lambda b, w: b.request_for("DSR-OPEN-1", ("access",)),
    "place_hold": lambda b, w: b.place_hold("dispute", plate="AB12CDE"),
    "release_hold": lambda b, w: _past_the_guard(lambda: b.release_hold(1)),
    "holds": lambda b, w: b.holds(include_released=True),
}


def _past_the_guard(call):
    """Run `call`; a refusal for the booth's state (not FORBIDDEN) means the permission passed."""
    try:
        call()
    except BoothError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            raise


def _public(cls=Booth):
    return {n: m for n, m in inspect.getmembers(cls) if not n.startswith("_") and callable(m)
            and not isinstance(inspect.getattr_static(cls, n), property)}


PERMISSIONED = {n: m.permission for n, m in _public().items() if getattr(m, "permission", None)}


def test_every_public_method_declares_what_it_needs_and_every_guarded_one_is_exercised_here():
    assert all(declared(m) for m in _public().values())
    assert set(PERMISSIONED) == set(CALLS), "a Booth method with a permission needs an entry in CALLS (and vice versa)"


def test_the_matrix_is_the_issues():
    assert ROLE_PERMISSIONS[Role.ATTENDANT] == {Permission.REGISTER, Permission.PAY, Permission.SHIFT, Permission.RECEIPT,
                                               Permission.VIEW_OWN_ACTIVITY, Permission.RUN_RETENTION}
    assert ROLE_PERMISSIONS[Role.SUPERVISOR] - ROLE_PERMISSIONS[Role.ATTENDANT] == {
        Permission.REFUND, Permission.CLOSE_DEPARTED, Permission.FEE_OVERRIDE, Permission.VIEW_ALL_ACTIVITY,
        Permission.SIGN_OFF}
    assert ROLE_PERMISSIONS[Role.MANAGER] - ROLE_PERMISSIONS[Role.SUPERVISOR] == {
        Permission.CONFIGURE, Permission.SPOTS, Permission.STAFF, Permission.PRIVACY}


def _world(booth) -> World:
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    other = booth.register("CD34EFG", "Jim", PHONE, "car")
    paid = booth.pay(other.stay_id, "card")
    staff_row("Victim", "attendant")
    booth.add_staff("Resting", "attendant", "1234")
    booth.disable_staff("Resting")
    booth.log_request("DSR-OPEN-1", "access")
    return World(reg.stay_id, paid.payment_id, paid)


def _everything(db) -> dict:
    tables = [t for t in db.get_tables() if t not in ("migratehistory",)]
    return {t: db.execute_sql(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in sorted(tables)}


WHO = ["nobody", "worker", "headless", *[r.value for r in Role]]


def _as(booth, front, who: str):
    if who == "nobody":
        return front
    if who == "worker":
        return front.signed_in(WORKER)
    if who == "headless":
        return front.signed_in(HEADLESS)
    return front.signed_in(person(booth, f"A {who}", who))


def _may(who: str, permission: Permission) -> bool:
    if who == "nobody":
        return False
    if who == "worker":
        return permission is Permission.RUN_RETENTION
    if who == "headless":
        return permission is not Permission.SHIFT  # a shift is a person's: the headless operator has none
    return permission in ROLE_PERMISSIONS[Role(who)]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("method", sorted(CALLS))
def test_each_state_changing_method_for_each_actor(method, who, booth, database, clock, pin_hasher, tmp_path):
    booth.receipts_dir = tmp_path / "receipts"
    world = _world(booth)
    if method == "open_shift":
        off_shift(booth)
    front = booth.signed_out()  # the terminal's own run: the shift the fixture opened is this run's
    acting = _as(booth, front, who)
    permission = PERMISSIONED[method]
    if _may(who, permission):
        CALLS[method](acting, world)  # permitted: it runs (what it does is tested elsewhere)
        return
    before = _everything(database)
    with pytest.raises(BoothError) as caught:
        CALLS[method](acting, world)
    err = caught.value
    assert err.code is ErrorCode.FORBIDDEN, err.message
    if who == "headless" and permission is Permission.SHIFT:
        assert "needs a person signed in" in err.message
    else:
        needed = min((r for r in Role if permission in ROLE_PERMISSIONS[r]), key=list(Role).index)
        assert err.needs == needed.value and needed.value in err.message
    assert _everything(database) == before  # refused before anything was read or written


def test_may_labels_keys_without_a_database_read(booth, database, clock, pin_hasher):
    front = Booth(database, clock, pin_hasher=pin_hasher)
    ann = front.signed_in(person(booth, "Ann", "attendant"))
    assert ann.may(Permission.PAY) and not ann.may(Permission.REFUND) and not front.may(Permission.PAY)
    assert booth.may(Permission.STAFF)
    assert {p: front.role_needed(p) for p in (Permission.PAY, Permission.REFUND, Permission.CONFIGURE)} == {
        Permission.PAY: Role.ATTENDANT, Permission.REFUND: Role.SUPERVISOR, Permission.CONFIGURE: Role.MANAGER}


def test_reads_need_no_sign_in_but_activity_and_the_staff_list_do(database, clock, pin_hasher):
    front = Booth(database, clock, pin_hasher=pin_hasher)
    assert front.free_counts() and front.config().retention_hours == 24 and front.spot_states()
    for read in (lambda: front.recent_audit(), lambda: front.staff_list()):
        with pytest.raises(BoothError) as caught:
            read()
        assert caught.value.code is ErrorCode.FORBIDDEN


def test_a_forged_role_counts_for_nothing_the_database_says_the_role(booth, database, clock, pin_hasher):
    from kiosk.booth import Actor, Origin

    sid = staff_row("Ann", "attendant")
    forged = Booth(database, clock, pin_hasher=pin_hasher).signed_in(Actor(sid, Role.MANAGER, Origin.TERMINAL, "Ann"))
    with pytest.raises(BoothError) as caught:
        forged.update_config(retention_hours=1)
    assert caught.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(BoothError):
        Booth(database, clock).signed_in(Actor(9999, Role.MANAGER, Origin.TERMINAL))  # no such account
    with pytest.raises(BoothError):
        Booth(database, clock).signed_in("manager")
