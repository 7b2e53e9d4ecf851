"""The Booth's methods for legal holds (a manager's, through Permission.PRIVACY).

A mixin of `kiosk.booth.service.Booth` (same object, same checks), kept apart so each module
stays small. The rules are in holds.py; who the person is, in subject_match.py.
"""

from __future__ import annotations

from . import holds
from .actors import Permission
from .context import Context
from .guard import needs
from .holds import HoldRow
from .subject_match import match, read_selector


class HoldsFacade:
    _ctx: Context

    @needs(Permission.PRIVACY)
    def place_hold(self, reason, until=None, request=None, *, plate=None, phone=None, name=None,
                   staff=None) -> list[HoldRow]:
        """Hold every record of the person named by exactly one of plate, phone, name or staff (a
        staff name or id) against expiry and erasure: `reason` a hold reason code, `until` a review
        date 'YYYY-MM-DD' after today or None, `request` an open request's reference or None."""
        selector = read_selector(self._ctx, plate=plate, phone=phone, name=name, staff=staff)
        return holds.place_holds(self._ctx, match(self._ctx, selector), reason, until, request)

    @needs(Permission.PRIVACY)
    def release_hold(self, hold_id) -> HoldRow:
        """Remove a hold in force: the record expires with the next run if its retention has passed."""
        return holds.release_hold(self._ctx, hold_id)

    @needs(Permission.PRIVACY)
    def holds(self, include_released=False) -> list[HoldRow]:
        """The holds in force (with `include_released`, the removed ones too), oldest first."""
        return holds.list_holds(self._ctx, include_released)
