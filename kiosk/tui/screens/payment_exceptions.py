"""Payment's exceptions, mixed into PaymentScreen: a refund (F8) and an overstay closed as departed
(ctrl+d), both a supervisor's; a lost ticket (ctrl+l), a void (ctrl+z), a fee override or free exit
(ctrl+o, a supervisor), and a plate's unpaid drive-offs added to this payment (D).

A lost ticket and an override come back from their dialogs as a plan (`LostTicket`,
`Override`) that Payment shows in its fee box and then takes by cash or card like any other
payment, so the tendered amount and its change are checked the same way. A void and a free exit
are done in their dialogs; Payment says what happened.
"""

from __future__ import annotations

from decimal import Decimal

from ...booth import Permission, Refund, day_hm, format_money, reason_label
from .fee_override import FeeOverrideDialog, FreeExit, Override
from .lost_ticket import LostTicket, LostTicketDialog
from .receipt import ReceiptScreen
from .refund import DepartedDialog, RefundDialog
from .void import VoidDialog


def debts_total(debts) -> Decimal:
    return sum((d.amount for d in debts), Decimal(0))


def exception_rows(plan, debts, collect: bool, due, currency: str, zone) -> list[tuple[str, str]]:
    """The fee box's last rows for what is being taken: the flat fee of a lost ticket not on
    record, an override's waived amount, the unpaid drive-offs (added or not), then the total."""
    money = lambda d: format_money(d, currency)  # noqa: E731
    rows: list[tuple[str, str]] = []
    if isinstance(plan, LostTicket):
        quote = plan.quote
        if not quote.on_record:
            rows += [("entry time", "not on record"),
                     (f"flat fee ({getattr(quote, 'vehicle_type', '') or plan.vehicle_type or '?'})", money(quote.amount))]
    elif isinstance(plan, Override):
        rows += [("fee", money(plan.amount + plan.waived)), ("waived", f"-{money(plan.waived)} ({plan.reason_label})")]
    if debts and plan is None:
        when = day_hm(debts[0].created_at, zone)[:6] if len(debts) == 1 else f"{len(debts)} stays"  # '01 Dec'
        rows.append((f"debt ({when})", money(debts_total(debts)) + ("" if collect else "  not added: D adds it")))
    rows.append(("TOTAL", "…" if due is None else money(due)))
    return rows


class PaymentExceptions:
    """The exception keys' actions; PaymentScreen holds the state they change."""

    # ---- refund, departed (a supervisor) ---------------------------------------------------------
    def action_refund(self) -> None:
        if not self.app.services.connected:
            self.not_connected("Refunding a payment")
            return
        # Beyond an attendant's role: a supervisor approves first, and the refund then uses that approval.
        self.app.session.gated(Permission.REFUND, lambda acting: self.app.push_screen(RefundDialog(acting), self._refunded))

    def _refunded(self, refund: Refund | None) -> None:
        if refund is None:
            return
        back = "; the car is back on site" if refund.reopened else ""
        self._say(f"refunded {format_money(-refund.amount, self._currency)} of payment {refund.payment_id}: "
                  f"{reason_label(None, refund.reason, 'refund')}{back}", "ok")
        self.app.refresh_spots_now()
        self.refresh_recent()

    def action_departed(self) -> None:
        stay = self._stay
        if stay is not None and stay.overstay:
            self.app.session.gated(Permission.CLOSE_DEPARTED,
                                   lambda acting: self.app.push_screen(DepartedDialog(stay, acting), self._departed))

    def _departed(self, closed) -> None:
        if closed:
            stay = self._stay
            self._reset()
            debt = getattr(closed, "debt", None)
            owed = (f"; a debt of {format_money(debt.amount, self._currency)} is recorded against the plate, "
                    "collected at its next payment") if debt is not None else ""
            self._say(f"{stay.plate} closed as departed: spot {stay.spot or '?'} is free{owed}", "ok")
            self.app.refresh_spots_now()

    # ---- lost ticket ------------------------------------------------------------------------
    def action_lost_ticket(self) -> None:
        if not self.app.services.connected:
            self.not_connected("A lost ticket")
            return
        stay = self._stay
        types = tuple(self.app.services.vehicle_types)
        plate = stay.plate if stay is not None else ""
        vtype = stay.vehicle_type if stay is not None else None
        self.app.push_screen(LostTicketDialog(types, vtype, plate), self._lost_ticket_chosen)

    def _lost_ticket_chosen(self, plan: LostTicket | None) -> None:
        if plan is None:
            return
        # Not _reset(): an emptied plate field would arrive (Input.Changed) after the plan and drop it.
        self._stay, self._fee, self._matches, self._prefix, self._debts, self._collect = None, None, [], "", (), False
        self._plan, self._txn = plan, self.app.services.new_transaction_id()
        self.query_one("#pay-plate").value = plan.plate  # its Changed leaves the plan (payment.py)
        self._set_method(None)
        self._show_stay()
        self._say(f"lost ticket {plan.plate}: {format_money(plan.quote.amount, self._currency)}; "
                  "C cash or K card, then Enter", "warn")
        self._focus_methods()
        self.refresh_bindings()

    def _focus_methods(self) -> None:
        self.focus_now(self.query_one("#pay-methods"))

    # ---- void -----------------------------------------------------------------------------------
    def action_void(self) -> None:
        if not self.app.services.connected:
            self.not_connected("Voiding a payment")
            return
        self.app.push_screen(VoidDialog(), self._voided)

    def _voided(self, void) -> None:
        if void is None:
            return
        self._reset()
        back = "; the car is back on its spot" if void.reopened else ""
        owed = f"; {void.debts_reopened} debt(s) owed again" if getattr(void, "debts_reopened", 0) else ""
        self._say(f"voided {format_money(-void.amount, self._currency)} of payment {void.payment_id}: "
                  f"{void.reason_label or void.reason}{back}{owed}", "ok")
        self.app.refresh_spots_now()
        self.refresh_recent()
        self.app.print_report(f"void {void.payment_id}", void.text().splitlines())  # the slip for the drawer
        self.app.push_screen(ReceiptScreen(void.text(), None, None, title="Voided"), self._receipt_closed)

    # ---- fee override / free exit ----------------------------------------------------------------
    def action_override(self) -> None:
        if not self.app.services.connected:
            self.not_connected("A fee override")
            return
        stay, fee = self._stay, self._fee
        if stay is None or fee is None or self._plan is not None:
            self._say("pick the car first: its fee is what is overridden", "needed")
            return
        currency = self._currency
        self.app.session.gated(Permission.FEE_OVERRIDE, lambda acting: self.app.push_screen(
            FeeOverrideDialog(stay, fee.total, currency, acting), self._overridden))

    def _overridden(self, result) -> None:
        if result is None:
            return
        if isinstance(result, FreeExit):
            r = result.receipt
            plate, spot = r.plate, r.spot
            self._reset()
            self._say(f"free exit for {plate}: {format_money(r.waived or 0, r.currency)} waived"
                      f"{f'; spot {spot} is free' if spot else ''}", "ok")
            self.app.refresh_spots_now()
            self.refresh_recent()
            # On file and queued for the printer as any receipt (a free exit takes no cash: no drawer).
            path, error = self.app.services.save_receipt(r)
            job = self.app.print_receipt(r)
            self.app.push_screen(ReceiptScreen(r.text(), path, error, title="Free exit", receipt=r, print_job=job),
                                 self._receipt_closed)
            return
        self._plan, self._collect = result, False
        self._show_stay()
        self._show_change()
        self._say(f"override: charge {format_money(result.amount, self._currency)}, "
                  f"{format_money(result.waived, self._currency)} waived; C cash or K card, then Enter", "warn")
        self._focus_methods()
        self.refresh_bindings()

    # ---- debts ---------------------------------------------------------------------------------
    def _say_debts(self) -> None:
        total = format_money(debts_total(self._debts), self._currency)
        n = len(self._debts)
        what = "an unpaid stay" if n == 1 else f"{n} unpaid stays"
        self._say(f"{self._stay.plate} owes {total} for {what} (left without paying): D adds it to this payment; "
                  "C cash or K card", "warn")

    def action_collect_debts(self) -> None:
        if not self._debts or self._plan is not None:
            return
        self._collect = not self._collect
        self._show_stay()
        self._show_change()
        total = format_money(debts_total(self._debts), self._currency)
        self._say(f"the debt of {total} is added: total {format_money(self._due(), self._currency)}; C cash or K card"
                  if self._collect else f"the debt of {total} is not added (D adds it)", "ok" if self._collect else "")

    # ---- taking a plan --------------------------------------------------------------------------
    def take_exception(self, plan, method: str, tendered: str | None) -> None:
        txn = self._txn
        if isinstance(plan, LostTicket):
            self._run_payment(lambda b: b.pay_lost_ticket(plan.plate, plan.vehicle_type, method, plan.reason,
                                                          tendered, transaction_id=txn, note=plan.note or None))
            return

        def go(acting) -> None:
            self._plan = Override(plan.stay_id, plan.amount, plan.waived, plan.reason, plan.reason_label, plan.note, acting)
            self._run_payment(lambda b: b.override_fee(plan.stay_id, str(plan.amount), method, plan.reason, tendered,
                                                       note=plan.note or None), acting)

        # The approval the dialog used is spent once the booth call is made: a refused one asks again.
        self.app.session.gated(Permission.FEE_OVERRIDE, go, approval=plan.acting)

    def refresh_recent(self) -> None:
        from ..widgets.recent_panel import RecentPanel

        self.query_one(RecentPanel).reload()
