"""The Booth's methods for the exceptions at the window: lost tickets, voids, fee overrides and
free exits, drive-off debts.

A mixin of `kiosk.booth.service.Booth` (same object, same checks), kept apart so each module
stays small. The rules are in lost_ticket.py, exceptions.py and debts.py.
"""

from __future__ import annotations

from . import debts, exceptions, lost_ticket
from .actors import Permission
from .context import Context
from .guard import anyone, needs
from .results import DebtRow, LostTicketQuote, Receipt, Refund


class ExceptionsFacade:
    _ctx: Context

    @anyone
    def lost_ticket_quote(self, plate, vehicle_type=None) -> LostTicketQuote:
        """What a lost ticket costs: from the recorded entry when the plate has a car on site, else the
        flat lost-ticket fee of `vehicle_type` (needed then)."""
        return lost_ticket.lost_ticket_quote(self._ctx, plate, vehicle_type)

    @needs(Permission.PAY)
    def pay_lost_ticket(self, plate, vehicle_type, method, reason, tendered=None, transaction_id=None,
                        note=None) -> Receipt:
        """Take a lost ticket's fee (`reason`: a 'lost_ticket' code; a retried transaction id charges once)."""
        return lost_ticket.pay_lost_ticket(self._ctx, plate, vehicle_type, method, reason, tendered, transaction_id,
                                           note)

    @needs(Permission.PAY)
    def void_payment(self, payment_id, reason, note=None) -> Refund:
        """Cancel a payment of this run's open shift whose car can be put back on its spot (`reason`: a
        'void' code); otherwise refused: a refund, by a supervisor, is the way."""
        return exceptions.void_payment(self._ctx, payment_id, reason, note)

    @needs(Permission.FEE_OVERRIDE)
    def free_exit(self, stay_id, reason, note=None) -> Receipt:
        """Let the car out charging nothing; the fee is on record as waived (`reason`: an 'override' code)."""
        return exceptions.free_exit(self._ctx, stay_id, reason, note)

    @needs(Permission.FEE_OVERRIDE)
    def override_fee(self, stay_id, amount, method, reason, tendered=None, note=None) -> Receipt:
        """Charge `amount` (above 0.00, below the fee) instead of the fee; the rest is on record as waived."""
        return exceptions.override_fee(self._ctx, stay_id, amount, method, reason, tendered, note)

    @anyone
    def debts_for(self, plate) -> list[DebtRow]:
        """The plate's unpaid drive-offs, oldest first (collected with `pay(..., collect_debts=True)`)."""
        return debts.debts_for(self._ctx, plate)
