"""The Booth's methods about people: who is acting, signing in, approvals, staff accounts.

A mixin of `kiosk.booth.service.Booth` (same object, same checks): kept apart so each module
stays small. docs/architecture.md ("Staff and permissions") lists what the terminal calls.
"""

from __future__ import annotations

import copy

from . import signin, staff
from .actors import Actor, Origin, Permission, Role, role_needed
from .context import Context
from .errors import BoothError
from .guard import anyone, needs, permission_of, person, require_person
from .results import StaffMember


class PeopleFacade:
    _ctx: Context

    @classmethod
    def _view(cls, ctx: Context):
        view = object.__new__(cls)
        view._ctx = ctx
        return view

    # --- who is acting (docs/architecture.md, "Staff and permissions") ----------
    @property
    def actor(self) -> Actor | None:
        """Who this Booth acts for; None: nobody signed in."""
        return self._ctx.actor

    def _checked_actor(self, actor: object) -> Actor:
        if not isinstance(actor, Actor):
            raise BoothError("an actor comes from sign_in, approve or create_first_manager", field="actor")
        if actor.is_person:
            require_person(self._with(actor)._ctx)  # the account exists and is active
        return actor

    def _with(self, actor: Actor | None):
        ctx = copy.copy(self._ctx)
        ctx.actor, ctx.approver_id = actor, None
        return self._view(ctx)

    @anyone
    def signed_in(self, actor: Actor):
        """This booth acting for `actor` (same database, clock and settings); this Booth is unchanged."""
        return self._with(self._checked_actor(actor))

    @anyone
    def signed_out(self):
        """This booth acting for nobody (same database, clock and settings): reads only until
        `signed_in`. The terminal returns to it when a person signs out. This Booth is unchanged."""
        return self._with(None)

    @anyone
    def may(self, permission: Permission) -> bool:
        """Whether the signed-in role allows `permission` (no database read, no approval counted):
        for the terminal to label a key "needs a supervisor" before it is pressed."""
        wanted = permission_of(permission)
        return self._ctx.actor is not None and self._ctx.actor.may(wanted)

    @anyone
    def role_needed(self, permission: Permission) -> Role:
        """The lowest role that may do `permission`."""
        return role_needed(permission_of(permission))

    @anyone
    def needs_first_manager(self) -> bool:
        """True on a site with no staff account yet: the terminal's first screen creates a manager."""
        return staff.needs_first_manager(self._ctx)

    @anyone
    def create_first_manager(self, name, pin) -> Actor:
        """The site's first account, a manager, signed in. Refused once any account exists."""
        row = staff.create_first_manager(self._ctx, name, pin)
        return Actor(row.id, Role.MANAGER, self._origin(), row.display_name)

    @anyone
    def sign_in_names(self) -> list[str]:
        """The names of the accounts that may sign in, for the sign-in screen's list."""
        return staff.sign_in_names(self._ctx)

    @anyone
    def sign_in(self, name, pin) -> Actor:
        """The account `name` as an Actor when `pin` is its PIN (then `signed_in(actor)`). BoothError:
        WRONG_PIN, LOCKED_OUT (`seconds`), ACCOUNT_DISABLED, or INVALID for an unknown name."""
        return signin.sign_in(self._ctx, name, pin)

    @person
    def approve(self, name, pin, permission: Permission | None = None) -> Actor:
        """The signed-in actor plus a supervisor's (or manager's) approval, valid for one action their
        own role may not do: `booth.signed_in(booth.approve(name, pin)).refund(...)`. `permission`:
        the action it is for (the approver's role must allow it)."""
        actor = self._ctx.actor
        assert actor is not None  # @person
        return signin.approve(self._ctx, actor, name, pin, None if permission is None else permission_of(permission))

    @person
    def sign_out(self) -> None:
        """Record that the signed-in person left the terminal (the terminal then forgets the actor)."""
        self._ctx.write(lambda: self._ctx.audit("sign_out", "staff", self._ctx.actor.staff_id))  # type: ignore[union-attr]

    def _origin(self) -> Origin:
        return self._ctx.actor.origin if self._ctx.actor is not None else Origin.TERMINAL

    # --- staff accounts --------------------------------------------------------
    @needs(Permission.VIEW_ALL_ACTIVITY)
    def staff_list(self, include_disabled: bool = True) -> list[StaffMember]:
        return staff.listing(self._ctx, include_disabled)

    @needs(Permission.STAFF)
    def add_staff(self, name, role, pin) -> StaffMember:
        return staff.create(self._ctx, name, role, pin)

    @needs(Permission.STAFF)
    def disable_staff(self, who) -> StaffMember:
        """`who`: a name (any case) or a staff id."""
        return staff.disable(self._ctx, who)

    @needs(Permission.STAFF)
    def enable_staff(self, who) -> StaffMember:
        return staff.enable(self._ctx, who)

    @needs(Permission.STAFF)
    def rename_staff(self, who, new_name) -> StaffMember:
        return staff.rename(self._ctx, who, new_name)

    @needs(Permission.STAFF)
    def set_staff_role(self, who, role) -> StaffMember:
        return staff.set_role(self._ctx, who, role)

    @needs(Permission.STAFF)
    def reset_pin(self, who, pin) -> StaffMember:
        """A new PIN for `who`; also clears a lock."""
        return staff.reset_pin(self._ctx, who, pin)
