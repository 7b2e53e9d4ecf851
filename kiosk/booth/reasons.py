"""Why a payment was refunded or a stay closed: a code from a fixed list, never free text.

The audit trail and stays.closed_reason keep only the code, so nothing an attendant
types can put a name, a plate or a phone number there. Free text goes in the stay's
note (kiosk.booth.text.clean_note), which expiry removes with the stay's personal data.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import BoothError, shown


class RefundReason(StrEnum):
    WRONG_VEHICLE = "wrong_vehicle"
    WRONG_AMOUNT = "wrong_amount"
    DUPLICATE_CHARGE = "duplicate_charge"
    CUSTOMER_COMPLAINT = "customer_complaint"
    EQUIPMENT_FAULT = "equipment_fault"
    GOODWILL = "goodwill"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _LABELS[self]


class DepartedReason(StrEnum):
    LEFT_WITHOUT_PAYING = "left_without_paying"
    REGISTERED_IN_ERROR = "registered_in_error"
    VEHICLE_REMOVED = "vehicle_removed"
    PAID_ELSEWHERE = "paid_elsewhere"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    RefundReason.WRONG_VEHICLE: "charged the wrong vehicle",
    RefundReason.WRONG_AMOUNT: "wrong amount charged",
    RefundReason.DUPLICATE_CHARGE: "charged twice",
    RefundReason.CUSTOMER_COMPLAINT: "customer complaint",
    RefundReason.EQUIPMENT_FAULT: "equipment fault",
    RefundReason.GOODWILL: "goodwill gesture",
    RefundReason.OTHER: "other (say why in the note)",
    DepartedReason.LEFT_WITHOUT_PAYING: "left without paying",
    DepartedReason.REGISTERED_IN_ERROR: "registered in error",
    DepartedReason.VEHICLE_REMOVED: "vehicle removed (towed)",
    DepartedReason.PAID_ELSEWHERE: "paid elsewhere",
    DepartedReason.OTHER: "other (say why in the note)",
}


def _parse(kind: type[StrEnum], raw: object) -> StrEnum:
    allowed = ", ".join(kind)
    if isinstance(raw, kind):
        return raw
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in kind._value2member_map_:
            return kind(text)
    raise BoothError(f"'{shown(raw)}' is not a reason code: choose one of {allowed}", field="reason")


def refund_reason(raw: object) -> RefundReason:
    return _parse(RefundReason, raw)  # type: ignore[return-value]


def departed_reason(raw: object) -> DepartedReason:
    return _parse(DepartedReason, raw)  # type: ignore[return-value]


def reason_label(code: object) -> str:
    """The label of a refund or departed code; anything else (a pre-1.8.0 row) as it is."""
    for kind in (RefundReason, DepartedReason):
        if isinstance(code, str) and code in kind._value2member_map_:
            return kind(code).label
    return "" if code is None else str(code)
