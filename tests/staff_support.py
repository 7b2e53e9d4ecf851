"""Staff for the tests: a cheap PIN hasher, and the manager the `booth` fixtures act as.

The manager's row is inserted directly (no audit row), as if the account existed before the test
began, so tests that count audit rows count only what they did themselves.
"""

from __future__ import annotations

from argon2 import PasswordHasher

from kiosk.booth import Actor, Origin, PinHasher, Role, Secret
from kiosk.models import Shift, Staff

TEST_MANAGER = "Test Manager"
TEST_PIN = "2468"
# Argon2id with the smallest cost: ~1 ms a hash instead of ~0.2 s (the production parameters are
# argon2-cffi's defaults; a hash made with these is re-made at the next sign-in there).
FAST_HASHER = PinHasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
_HASHES: dict[str, str] = {}


def pin_hash(pin: str) -> str:
    if pin not in _HASHES:
        _HASHES[pin] = FAST_HASHER.hash(Secret(pin))
    return _HASHES[pin]


def staff_row(name: str, role: Role | str, pin: str = TEST_PIN, now=None) -> int:
    """An account inserted directly (no audit row), in the database the models are bound to."""
    key = name.casefold()
    row = Staff.get_or_none(Staff.name_key == key)
    if row is not None:
        return row.id
    values = dict(display_name=name, name_key=key, role=str(Role(role)), pin_hash=pin_hash(pin))
    if now is not None:
        values.update(created_at=now, updated_at=now)
    return int(Staff.insert(**values).execute())


def manager_actor() -> Actor:
    return Actor(staff_row(TEST_MANAGER, Role.MANAGER), Role.MANAGER, Origin.TERMINAL, TEST_MANAGER)


def as_manager(booth):
    """`booth` acting as the test manager (created in its database if missing)."""
    return booth.signed_in(manager_actor())


def off_shift(booth):
    """`booth` with no shift open at its booth (a test that renames the booth, which an open shift forbids).
    Closed by SQL with nothing counted: no Z report is written."""
    booth.database.execute_sql(
        "UPDATE shifts SET status = 'closed', closed_at = opened_at, counted_cash_cents = 0, expected_cash_cents = 0 "
        "WHERE status = 'open'")
    return booth


def on_shift(booth, float_cents=0):
    """`booth` with its booth's shift open in its run, so it can take money. Inserted directly (no
    audit row), as the manager's account is, when none is open; Booth.open_shift is tested on its own."""
    if booth.current_shift() is None:
        ctx = booth._ctx
        Shift.insert(booth_name=ctx.booth_name(), status="open", session=ctx.session, opened_by=booth.actor.staff_id,
                     opened_at=booth.clock.now().replace(microsecond=0), float_cents=float_cents).execute()
    return booth


def staff_name(role: Role | str) -> str:
    """The name make_app(role=...) signs in as: 'Test Attendant', 'Test Supervisor', 'Test Manager'."""
    return f"Test {Role(role).value.title()}"


def person(booth, name: str, role: Role | str, pin: str = TEST_PIN) -> Actor:
    sid = staff_row(name, role, pin)
    return Actor(sid, Role(role), Origin.TERMINAL, name)
