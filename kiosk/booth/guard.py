"""The booth's side of permissions: each state-changing Booth method declares what it needs
(`needs`), and `authorise` checks the acting person against the database before the method
does anything. A method that declares nothing does not load (`check_declared`)."""

from __future__ import annotations

import copy
from typing import Callable, TypeVar

from ..errors import ErrorCode
from .actors import PERMISSION_TEXT, ROLE_PERMISSIONS, Actor, Permission, Role, role_needed
from .context import Context
from .errors import BoothError
from .sql import Statement

F = TypeVar("F", bound=Callable)
_STATE = Statement("SELECT role, disabled_at, purged_at, display_name FROM staff WHERE id = ?")


def needs(permission: Permission) -> Callable[[F], F]:
    """Declare (and, through Booth's wrapper, enforce) the permission a method needs."""

    def mark(method: F) -> F:
        method.permission = permission  # type: ignore[attr-defined]
        return method

    return mark


def anyone(method: F) -> F:
    """Declare a method open to any caller, signed in or not: it changes nothing a role guards
    (a read, a check of typed input, signing in)."""
    method.anyone = True  # type: ignore[attr-defined]
    return method


def person(method: F) -> F:
    """Declare a method that needs a signed-in person (any role): approving, signing out."""
    method.person = True  # type: ignore[attr-defined]
    return method


def permission_of(value: object) -> Permission:
    """A Permission argument (the enum or its value); BoothError for anything else."""
    try:
        if not isinstance(value, str):
            raise ValueError
        return Permission(value)
    except ValueError:
        raise BoothError(f"'{str(value)[:40]}' is not a permission: one of " + ", ".join(p.value for p in Permission),
                         field="permission") from None


def declared(method: Callable) -> bool:
    return bool(getattr(method, "permission", None) or getattr(method, "anyone", False) or getattr(method, "person", False))


def _refused(message: str, needed: Role | None = None, code: ErrorCode = ErrorCode.FORBIDDEN) -> BoothError:
    return BoothError(message, code=code, needs=str(needed) if needed is not None else None)


def current_role(ctx: Context, actor: Actor) -> Role:
    """A person's role as the database has it now; refused if the account is gone or disabled."""
    assert actor.staff_id is not None
    row = _STATE.one(ctx.db, (actor.staff_id,))
    if row is None or row[2] is not None:
        raise _refused("this staff account no longer exists: sign in again")
    if row[1] is not None:
        raise _refused(f"{row[3]}'s account was disabled: sign in as someone else", code=ErrorCode.ACCOUNT_DISABLED)
    return Role(row[0])


def require_person(ctx: Context) -> Actor:
    actor = ctx.actor
    if actor is None or not actor.is_person:
        raise _refused("this needs a person signed in with their name and PIN")
    current_role(ctx, actor)
    return actor


def allows(ctx: Context, permission: Permission) -> bool:
    """Whether the acting caller's own role (as stored now) allows `permission`; no approval used."""
    actor = ctx.actor
    if actor is None:
        return False
    if not actor.is_person:
        return actor.may(permission)
    return permission in ROLE_PERMISSIONS[current_role(ctx, actor)]


def authorise(ctx: Context, permission: Permission) -> Context | None:
    """Check `permission` for the acting caller before anything else happens. Returns None when the
    caller's own role allows it, or a copy of `ctx` recording the approver whose one-time approval
    this call uses; raises BoothError(code=FORBIDDEN, needs=<lowest role>) otherwise."""
    actor = ctx.actor
    needed = role_needed(permission)
    what = PERMISSION_TEXT[permission]
    if actor is None:
        raise _refused(f"nobody is signed in: {what} needs {needed.label} signed in with their name and PIN", needed)
    if not actor.is_person:
        if actor.may(permission):
            return None
        raise _refused(f"{what} needs {needed.label}, not the {actor.name}", needed)
    role = current_role(ctx, actor)
    if permission in ROLE_PERMISSIONS[role]:
        return None
    approval = actor.approval
    if approval is None or approval.used:
        raise _refused(f"{what} needs {needed.label} ({actor.name or 'you'}: {role.label}): "
                       f"{needed.label} can approve it with their name and PIN", needed)
    approver = Actor(approval.approver_id, approval.approver_role, actor.origin)
    try:
        approver_role = current_role(ctx, approver)
    except BoothError:
        raise _refused(f"{what} needs {needed.label}: the approving account is no longer active", needed) from None
    if permission not in ROLE_PERMISSIONS[approver_role]:
        raise _refused(f"{what} needs {needed.label}: {approval.approver_name} is {approver_role.label}", needed)
    if not approval.use():
        raise _refused(f"{what} needs {needed.label}: that approval was already used", needed)
    acting = copy.copy(ctx)
    acting.approver_id = approval.approver_id
    return acting
