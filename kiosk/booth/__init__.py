"""The booth's business rules, with no user interface: entry, spots, fees, payments,
configuration, audit trail, expiry and archiving. The terminal (kiosk.tui), the
maintenance commands and the tests all call `Booth`.
"""

from .actors import HEADLESS, ROLE_PERMISSIONS, WORKER, Actor, Origin, Permission, Role, role_needed
from .config import check_rate_field, check_setting, is_rate_amount
from .context import AUDIT_ACTIONS
from .errors import BoothError
from .fees import FeeBreakdown, FeeLine, compute_fee
from .holds import HoldRow
from .money import format_money, parse_money
from .localtime import day_hm, zone_name
from .phones import format_phone, is_incomplete
from .pins import PIN_RULE, PinHasher, Secret, check_new_pin
from .plates import PlateReading, normalise_plate, read_plate
from .privacy_requests import RequestRow
from .printer_setting import PrinterTarget, check_printer
from .reasons import KINDS as REASON_KINDS
from .reasons import DepartedReason, ReasonChoice, RefundReason, reason_label
from .results import (AuditRow, Config, DebtRow, LostTicketQuote, MapRow, MapStates, Occupancy, OpenStay,
                      PaymentException, PaymentRow, PaymentStatus, Rate, Receipt, Refund, Registration, RunReport, SpotState, StaffMember, StayRow, StayStatus)
from .service import Booth
from .shift_results import CloseResult, Movement, ShiftInfo, ShiftReport, ShiftRow
from .staff import clean_staff_name
from .text import clean_name
from .validate import normalise_spot

__all__ = [
    "AuditRow", "Booth", "BoothError", "Config", "DebtRow", "LostTicketQuote", "PaymentException", "DepartedReason", "FeeBreakdown", "FeeLine", "MapRow", "MapStates",
    "Occupancy", "OpenStay", "PaymentRow", "PaymentStatus", "Rate", "Receipt", "Refund", "RefundReason", "Registration",
    "RunReport", "SpotState", "StayRow", "StayStatus", "compute_fee", "format_money", "format_phone",
    "normalise_plate", "parse_money", "reason_label", "ReasonChoice", "REASON_KINDS", "PlateReading", "read_plate",
    # checks a form runs as it is typed, with no database: the same ones the Booth applies
    "AUDIT_ACTIONS", "check_rate_field", "check_setting", "clean_name", "is_incomplete", "is_rate_amount",
    "normalise_spot", "day_hm", "zone_name", "check_new_pin", "clean_staff_name", "check_printer", "PrinterTarget",
    # who is acting: roles, permissions, actors (kiosk.booth.actors), PINs (kiosk.booth.pins)
    "Actor", "HEADLESS", "Origin", "PIN_RULE", "Permission", "PinHasher", "ROLE_PERMISSIONS", "Role",
    "Secret", "StaffMember", "WORKER", "role_needed",
    # the shift (kiosk.booth.shift_facade)
    "CloseResult", "Movement", "ShiftInfo", "ShiftReport", "ShiftRow",
    # the data-protection request log (kiosk.booth.requests_facade)
    "RequestRow",
    # legal holds (kiosk.booth.holds_facade)
    "HoldRow",
]
