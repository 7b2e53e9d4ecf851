"""Drive-offs: a car that left without paying owes the fee of that stay, against its vehicle.

A debt is recorded when a stay is closed as left_without_paying, in the same transaction,
and shown at the plate's next registration (Registration.debts) and look-up (`debts_for`).
A payment with collect_debts settles every open debt of the vehicle within its amount
(payments.debt_cents); the settling UPDATE only takes debts nobody settled, so a debt is
collected once even by two booths at the same moment. A void of that payment owes them again.

A debt is financial data, not personal data: expiry anonymises the vehicle (its plate becomes
'~<id>') and the debt row stays, linked to it. A returning plate is then a new vehicle row, so
the debt is no longer shown against the plate: the person's details are gone, as the
retention promises.
"""

from __future__ import annotations

import datetime as dt

from ..errors import ErrorCode
from ..models import Debt, Stay, Vehicle
from .context import Context
from .errors import BoothError
from .money import from_cents
from .plates import normalise_plate
from .results import DebtRow


def _row(debt: Debt, entry_at: dt.datetime | None = None) -> DebtRow:
    return DebtRow(debt.id, debt.stay_id, from_cents(debt.amount_cents), debt.created_at, entry_at)


def _open(vehicle_id: int):
    return Debt.select().where((Debt.vehicle == vehicle_id) & Debt.settled_by.is_null()).order_by(Debt.id)


def of_vehicle(ctx: Context, vehicle_id: int) -> tuple[DebtRow, ...]:
    """The vehicle's open debts, oldest first, with each unpaid stay's entry."""
    rows = list(_open(vehicle_id))
    if not rows:
        return ()
    entries = {s.id: s.entry_timestamp for s in Stay.select(Stay.id, Stay.entry_timestamp)
               .where(Stay.id.in_([d.stay_id for d in rows]))}
    return tuple(_row(d, entries.get(d.stay_id)) for d in rows)


def debts_for(ctx: Context, plate) -> list[DebtRow]:
    """The open debts of the plate's vehicle (none once expiry anonymised it: the plate is gone)."""
    number = normalise_plate(plate)
    vehicle = Vehicle.get_or_none(Vehicle.number_plate == number)
    return [] if vehicle is None else list(of_vehicle(ctx, vehicle.id))


def open_for(ctx: Context, vehicle_id: int) -> list[Debt]:
    """In the caller's transaction: the vehicle's open debts (PostgreSQL: locked until it ends)."""
    return list(ctx.backend.locked(_open(vehicle_id)))


def settle(ctx: Context, owed: list[Debt], payment_id: int, now: dt.datetime) -> None:
    """Mark `owed` settled by the payment `payment_id`. Only debts nobody settled are taken: if
    another booth collected one meanwhile, the whole payment is undone."""
    done = (Debt.update(settled_by=payment_id, settled_at=now)
            .where(Debt.id.in_([d.id for d in owed]) & Debt.settled_by.is_null()).execute())
    if done != len(owed):
        raise BoothError("an unpaid earlier stay of this vehicle was just collected at another booth: nothing was "
                         "charged; look the plate up again", field="stay", code=ErrorCode.CONFLICT)


def reopen_settled_by(ctx: Context, payment_id: int) -> int:
    """A voided payment's debts are owed again; how many."""
    return Debt.update(settled_by=None, settled_at=None).where(Debt.settled_by == payment_id).execute()


def record(ctx: Context, stay: Stay, cents: int, now: dt.datetime, shift_id: int | None) -> DebtRow | None:
    """In the caller's transaction: the debt of a stay closed as left without paying (None: nothing owed)."""
    if cents <= 0:
        return None
    actor = ctx.actor
    did = Debt.insert(vehicle=stay.vehicle_id, stay_id=stay.id, amount_cents=cents, created_at=now, shift_id=shift_id,
                      staff_id=actor.staff_id if actor is not None else None).execute()
    return DebtRow(int(did), stay.id, from_cents(cents), now, stay.entry_timestamp)
