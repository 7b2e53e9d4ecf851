"""The booth's business rules, with no user interface: entry, spots, fees, payments,
configuration, audit trail, expiry and archiving. The terminal (kiosk.tui), the
maintenance commands and the tests all call `Booth`.
"""

from .errors import BoothError
from .fees import FeeBreakdown, compute_fee
from .money import format_money, parse_money
from .phones import format_phone
from .plates import PlateReading, normalise_plate, read_plate
from .reasons import DepartedReason, RefundReason, reason_label
from .results import (AuditRow, Config, Occupancy, OpenStay, PaymentRow, Rate, Receipt, Refund, Registration,
                      RunReport, SpotState, StayRow)
from .service import Booth

__all__ = [
    "AuditRow", "Booth", "BoothError", "Config", "DepartedReason", "FeeBreakdown", "Occupancy", "OpenStay", "PaymentRow", "Rate",
    "Receipt", "Refund", "RefundReason", "Registration", "RunReport", "SpotState", "StayRow", "compute_fee", "format_money", "format_phone",
    "normalise_plate", "parse_money", "reason_label", "PlateReading", "read_plate",
]
