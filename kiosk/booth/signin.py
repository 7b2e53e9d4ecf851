"""Signing in, and a supervisor's approval of one action: a name, a PIN, and the lockout.

Five wrong PINs for a name lock it: 30 s the first time, then twice as long each time
(60 s, 120 s, ... at most an hour) until a right PIN, an enable or a PIN reset clears it.
Every wrong PIN and every lock is audited under the account's id (never the PIN). A disabled
account cannot sign in. While a name is locked its PIN is not even checked.

The hash is checked outside any transaction (~0.2 s that no other booth waits for); the
counting is one short transaction that re-reads the account under a row lock (PostgreSQL),
so two booths typing wrong PINs for one name at once count every try exactly once.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ..errors import ErrorCode
from ..models import Staff
from .actors import APPROVER_ROLES, Actor, Approval, Origin, Permission, Role, role_needed
from .context import Context
from .errors import BoothError, shown
from .pins import typed
from .staff import find

MAX_TRIES = 5
FIRST_LOCK_S = 30
LONGEST_LOCK_S = 3600


def lock_seconds(lockouts: int) -> int:
    """How long the `lockouts`-th lock in a row lasts: 30 s, 60 s, 120 s, ... at most an hour."""
    return min(FIRST_LOCK_S * 2 ** min(max(lockouts, 1) - 1, 20), LONGEST_LOCK_S)


def wait_text(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


@dataclass
class _Outcome:
    ok: bool = False
    error: BoothError | None = None


def _locked_error(row: Staff, seconds: int) -> BoothError:
    return BoothError(f"too many wrong PINs for {row.display_name}: try again in {wait_text(seconds)}", field="pin",
                      code=ErrorCode.LOCKED_OUT, seconds=seconds)


def _disabled_error(row: Staff) -> BoothError:
    return BoothError(f"{row.display_name}'s account is disabled: a manager can enable it", field="name",
                      code=ErrorCode.ACCOUNT_DISABLED)


def _remaining(ctx: Context, row: Staff) -> int:
    """Whole seconds the name stays locked (0: not locked)."""
    if row.locked_until is None:
        return 0
    return max(0, math.ceil((row.locked_until - ctx.now()).total_seconds()))


def verify(ctx: Context, name, pin, *, purpose: str) -> Staff:
    """The account `name` if `pin` is its PIN, counted and audited; BoothError otherwise.

    `purpose`: 'sign_in' (a successful one is audited) or 'approve' (the approved action's own
    audit row records the approver)."""
    secret = typed(pin)
    try:
        row = find(name)
    except BoothError:
        ctx.pins.verify(None, secret)  # as long as a known name takes
        raise
    if row.disabled_at is not None:
        raise _disabled_error(row)
    if seconds := _remaining(ctx, row):
        raise _locked_error(row, seconds)
    checked_hash = row.pin_hash
    ok = ctx.pins.verify(checked_hash, secret)
    new_hash = ctx.pins.hash(secret) if ok and checked_hash and ctx.pins.needs_rehash(checked_hash) else None

    def change() -> _Outcome:
        current = ctx.backend.locked(Staff.select().where(Staff.id == row.id)).get()
        if current.purged_at is not None:
            return _Outcome(error=BoothError(f"there is no staff member named '{shown(name)}'", field="name"))
        if current.disabled_at is not None:
            return _Outcome(error=_disabled_error(current))
        if seconds := _remaining(ctx, current):  # locked by another booth's tries meanwhile: not counted
            return _Outcome(error=_locked_error(current, seconds))
        now = ctx.now()
        if ok and current.pin_hash == checked_hash:
            values: dict[str, object] = dict(failed_attempts=0, lockouts=0, locked_until=None, updated_at=now)
            if purpose == "sign_in":
                values["last_sign_in_at"] = now
            if new_hash is not None:  # made with other parameters: re-made with today's
                values["pin_hash"] = new_hash
            Staff.update(**values).where(Staff.id == row.id).execute()
            if purpose == "sign_in":
                ctx.audit("sign_in", "staff", row.id, as_staff=row.id)
            return _Outcome(ok=True)
        if ok:  # the PIN was reset between the check and now: the new one was not what was typed
            return _Outcome(error=BoothError(f"{current.display_name}'s PIN was just changed: type the new PIN",
                                             field="pin", code=ErrorCode.WRONG_PIN))
        tries = current.failed_attempts + 1
        if tries >= MAX_TRIES:
            lockouts = current.lockouts + 1
            seconds = lock_seconds(lockouts)
            Staff.update(failed_attempts=0, lockouts=lockouts, locked_until=now + dt.timedelta(seconds=seconds),
                         updated_at=now).where(Staff.id == row.id).execute()
            ctx.audit("sign_in_failed", "staff", row.id, as_staff=row.id, purpose=purpose, tries=tries)
            ctx.audit("sign_in_locked", "staff", row.id, as_staff=row.id, seconds=seconds, lockouts=lockouts)
            return _Outcome(error=_locked_error(current, seconds))
        Staff.update(failed_attempts=tries, updated_at=now).where(Staff.id == row.id).execute()
        ctx.audit("sign_in_failed", "staff", row.id, as_staff=row.id, purpose=purpose, tries=tries)
        left = MAX_TRIES - tries
        lock = wait_text(lock_seconds(current.lockouts + 1))
        return _Outcome(error=BoothError(
            f"wrong PIN for {current.display_name}: {left} {'try' if left == 1 else 'tries'} left before a {lock} lock",
            field="pin", code=ErrorCode.WRONG_PIN))

    outcome = ctx.write(change)  # committed first: a wrong PIN counts even though the call then fails
    if outcome.error is not None:
        raise outcome.error
    return Staff.get_by_id(row.id)


def sign_in(ctx: Context, name, pin) -> Actor:
    row = verify(ctx, name, pin, purpose="sign_in")
    return Actor(row.id, Role(row.role), Origin.TERMINAL, row.display_name)


def approve(ctx: Context, actor: Actor, name, pin, permission: Permission | None) -> Actor:
    """`actor` with a supervisor's approval for one action (`permission`: the action it is for, if
    known: the approver's role must allow it)."""
    row = verify(ctx, name, pin, purpose="approve")
    role = Role(row.role)
    if row.id == actor.staff_id:
        raise BoothError("an override is approved by someone else: a supervisor or manager types their own name and PIN",
                         field="name", code=ErrorCode.FORBIDDEN)
    if role not in APPROVER_ROLES:
        raise BoothError(f"{row.display_name} is {role.label}: an override is approved by a supervisor or a manager",
                         field="name", code=ErrorCode.FORBIDDEN, needs=str(Role.SUPERVISOR))
    if permission is not None and not Actor(row.id, role, Origin.TERMINAL).may(permission):
        needed = role_needed(permission)
        raise BoothError(f"{row.display_name} is {role.label}: this needs {needed.label}", field="name",
                         code=ErrorCode.FORBIDDEN, needs=str(needed))
    return actor.with_approval(Approval(row.id, role, row.display_name))
