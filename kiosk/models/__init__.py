"""Peewee models. Tables are created by migrations/, never by `create_table`."""

from .base import BaseModel, UtcDateTimeField
from .booth import BOOTH_MODELS, LifecycleRun, Stay
from .plan import (
    PLAN_MODELS,
    AuditLog,
    AuditLogArchive,
    ParkingRate,
    ParkingSpot,
    Payment,
    SystemConfig,
    Vehicle,
)
from .privacy import PRIVACY_MODELS, LegalHold, PrivacyRequest
from .shifts import SHIFT_MODELS, CashMovement, Debt, ReasonCode, Shift, ZReport
from .staff import STAFF_MODELS, Staff

ALL_MODELS = list(PLAN_MODELS) + list(BOOTH_MODELS) + list(STAFF_MODELS) + list(SHIFT_MODELS) + list(PRIVACY_MODELS)

__all__ = [
    "ALL_MODELS",
    "AuditLog",
    "AuditLogArchive",
    "BaseModel",
    "CashMovement",
    "Debt",
    "LegalHold",
    "LifecycleRun",
    "ParkingRate",
    "ParkingSpot",
    "Payment",
    "PrivacyRequest",
    "ReasonCode",
    "Shift",
    "Staff",
    "Stay",
    "SystemConfig",
    "UtcDateTimeField",
    "Vehicle",
    "ZReport",
]
