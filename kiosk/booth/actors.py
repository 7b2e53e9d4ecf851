"""Who is acting: staff roles, what each may do, and the Actor every state-changing call carries.

The matrix is data (`ROLE_PERMISSIONS`), so the terminal can ask `Booth.may(permission)` and
label a key it cannot use ("needs a supervisor") instead of hiding it; the booth enforces the
same matrix on every call (kiosk.booth.service), whatever the terminal shows.

Actors come from `Booth.sign_in`, `Booth.approve` and `Booth.create_first_manager` (a person),
or are one of the fixed ones below (the headless maintenance commands, the terminal's
background worker). The booth re-reads a person's role and state from the database on each
state-changing call, so a disabled account or a changed role takes effect at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """A staff account's role, lowest first."""

    ATTENDANT = "attendant"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"

    @property
    def label(self) -> str:
        return {"attendant": "an attendant", "supervisor": "a supervisor", "manager": "a manager"}[self.value]


class Permission(StrEnum):
    """One kind of action. Every state-changing Booth method needs exactly one (service.py)."""

    REGISTER = "register"  # entry
    PAY = "pay"  # cash and card
    SHIFT = "shift"  # open and close one's shift at the booth, cash drops and payouts, X reports
    RECEIPT = "receipt"  # write a receipt file
    VIEW_OWN_ACTIVITY = "view_own_activity"  # the audit rows one made oneself
    RUN_RETENTION = "run_retention"  # expiry and archiving now (the worker runs them every 5 minutes anyway)
    REFUND = "refund"
    CLOSE_DEPARTED = "close_departed"  # close an open stay (an overstay) without payment
    SIGN_OFF = "sign_off"  # sign off a shift's cash-up variance beyond the threshold
    FEE_OVERRIDE = "fee_override"  # charge less than the fee, or nothing (a free exit)
    VIEW_ALL_ACTIVITY = "view_all_activity"  # every person's audit rows, and the staff list
    CONFIGURE = "configure"  # settings (retention, time zone, ...) and rates
    SPOTS = "spots"  # add, retype, remove spots
    STAFF = "staff"  # add, disable, enable, rename staff, reset a PIN, change a role
    PRIVACY = "privacy"  # data-protection requests: find, export, erase a person's data; legal holds


_ATTENDANT = frozenset({Permission.REGISTER, Permission.PAY, Permission.SHIFT, Permission.RECEIPT,
                        Permission.VIEW_OWN_ACTIVITY, Permission.RUN_RETENTION})
_SUPERVISOR = _ATTENDANT | {Permission.REFUND, Permission.CLOSE_DEPARTED, Permission.FEE_OVERRIDE,
                            Permission.VIEW_ALL_ACTIVITY, Permission.SIGN_OFF}
_MANAGER = _SUPERVISOR | {Permission.CONFIGURE, Permission.SPOTS, Permission.STAFF, Permission.PRIVACY}

# What each role may do (each role may do everything the one below it may).
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ATTENDANT: _ATTENDANT,
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.MANAGER: frozenset(_MANAGER),
}
# Who may approve an action beyond the signed-in role: a supervisor or a manager.
APPROVER_ROLES = (Role.SUPERVISOR, Role.MANAGER)


def role_needed(permission: Permission) -> Role:
    """The lowest role that may do `permission` (for a label such as "needs a supervisor")."""
    for role in Role:
        if permission in ROLE_PERMISSIONS[role]:
            return role
    raise ValueError(f"no role may {permission}")  # every Permission is in the manager's set


class Origin(StrEnum):
    """How an audit row was made (audit_logs.origin)."""

    TERMINAL = "terminal"  # at a booth terminal, by the person in staff_id
    HEADLESS = "headless"  # `kiosk --maintenance ...` by the machine's operator (no PIN)
    WORKER = "worker"  # the terminal's background expiry/archive worker
    BEFORE_SIGN_IN = "before_sign_in"  # written before schema 1.9.0 (or by hand): nobody recorded


class Approval:
    """A supervisor's (or manager's) yes to one action the signed-in person's role may not do.

    Used up by the first state-changing call that needs it, whether that call then succeeds or
    is refused for its input: the override dialog asks again for the next one."""

    __slots__ = ("approver_id", "approver_role", "approver_name", "_used", "_lock")

    def __init__(self, approver_id: int, approver_role: Role, approver_name: str):
        self.approver_id, self.approver_role, self.approver_name = approver_id, approver_role, approver_name
        self._used = False
        self._lock = threading.Lock()

    @property
    def used(self) -> bool:
        return self._used

    def use(self) -> bool:
        """True the first time only."""
        with self._lock:
            if self._used:
                return False
            self._used = True
            return True

    def __repr__(self) -> str:
        return f"Approval(approver_id={self.approver_id}, role={self.approver_role}, used={self._used})"


@dataclass(frozen=True)
class Actor:
    """Who is acting. `staff_id` is None for the fixed actors (headless, worker)."""

    staff_id: int | None
    role: Role | None  # None: a fixed actor, whose permissions are its own (`permissions`)
    origin: Origin
    name: str = field(default="", compare=False)  # the display name, for the header; never audited
    approval: Approval | None = field(default=None, compare=False)
    # The fixed actors' permissions; a person's come from their role.
    fixed: frozenset[Permission] | None = field(default=None, compare=False, repr=False)

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.fixed is not None:
            return self.fixed
        return ROLE_PERMISSIONS[self.role] if self.role is not None else frozenset()

    def may(self, permission: Permission) -> bool:
        """What the actor's own role allows (an approval not counted)."""
        return permission in self.permissions

    @property
    def is_person(self) -> bool:
        return self.staff_id is not None

    def with_approval(self, approval: Approval) -> "Actor":
        return Actor(self.staff_id, self.role, self.origin, self.name, approval, self.fixed)


# The operator of the machine, running `kiosk --maintenance ...`: no PIN, every permission; its
# audit rows say `headless`.
HEADLESS = Actor(None, None, Origin.HEADLESS, "maintenance (headless)", fixed=frozenset(Permission))
# The terminal's background worker: expiry and archiving only.
WORKER = Actor(None, None, Origin.WORKER, "background worker", fixed=frozenset({Permission.RUN_RETENTION}))


# What each permission is called in a refusal ("a refund needs a supervisor").
PERMISSION_TEXT: dict[Permission, str] = {
    Permission.REGISTER: "registering a vehicle",
    Permission.PAY: "taking a payment",
    Permission.SHIFT: "opening or closing a shift, a cash drop or payout, an X report",
    Permission.RECEIPT: "writing a receipt",
    Permission.VIEW_OWN_ACTIVITY: "seeing the activity",
    Permission.RUN_RETENTION: "running expiry and archiving",
    Permission.REFUND: "a refund",
    Permission.CLOSE_DEPARTED: "closing a stay as departed",
    Permission.SIGN_OFF: "signing off a cash-up variance",
    Permission.FEE_OVERRIDE: "a fee override or free exit",
    Permission.VIEW_ALL_ACTIVITY: "seeing everyone's activity and the staff list",
    Permission.CONFIGURE: "changing the configuration",
    Permission.SPOTS: "changing the spots",
    Permission.STAFF: "managing staff accounts",
    Permission.PRIVACY: "data-protection requests, legal holds and a person's data",
}
