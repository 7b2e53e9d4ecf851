"""Every exception at the window in one shift, as the shift's report adds it up: what was taken by
method, voided, waived, collected as debts, the exceptions by reason, the cars in and out."""

from decimal import Decimal

PHONE = "07400 123456"


def test_a_shift_with_every_exception_adds_up(booth, clock):
    plates = ["AA11AAA", "BB22BBB", "CC33CCC", "DD44DDD", "FF66FFF"]
    reg = {p: booth.register(p, "Jane", PHONE, "car") for p in plates}
    clock.advance(hours=2, minutes=33)  # 7.50 each
    booth.pay(reg["AA11AAA"].stay_id, "cash", "10")
    booth.override_fee(reg["BB22BBB"].stay_id, "3.00", "cash", "goodwill", tendered="3")
    booth.free_exit(reg["CC33CCC"].stay_id, "emergency_vehicle")
    voided = booth.pay(reg["DD44DDD"].stay_id, "card")
    booth.void_payment(voided.payment_id, "keyed_in_error")
    booth.pay_lost_ticket("EE55EEE", "car", "card", "no_ticket")  # not on record: a day at 2.50
    booth.close_departed(reg["FF66FFF"].stay_id, "left_without_paying")
    back = booth.register("FF66FFF", "Jane", PHONE, "car")
    clock.advance(minutes=30)
    booth.pay(back.stay_id, "cash", "10", collect_debts=True)

    x = booth.x_report()
    assert (x.cash, x.card, x.voids, x.refunds) == (Decimal("20.50"), Decimal("67.50"), Decimal("7.50"), Decimal("0.00"))
    assert (x.waived, x.debts_collected) == (Decimal("12.00"), Decimal("7.50"))
    assert (x.expected_cash, x.expected_card) == (Decimal("20.50"), Decimal("60.00"))
    assert x.payments_count == 6
    assert {(kind, code, n, amount) for kind, code, _label, n, amount in x.exceptions} == {
        ("override", "goodwill", 1, Decimal("4.50")), ("override", "emergency_vehicle", 1, Decimal("7.50")),
        ("void", "keyed_in_error", 1, Decimal("7.50")), ("lost_ticket", "no_ticket", 1, Decimal("60.00")),
        ("departed", "left_without_paying", 1, Decimal("7.50"))}
    # In: the six registrations (the lost ticket's car was never registered). Out: five paid (the
    # voided car is back on site) and the drive-off.
    assert (x.cars_in, x.cars_out) == (6, 6)
