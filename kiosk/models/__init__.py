"""Peewee models. Tables are created by migrations/, never by `create_table`."""

from .base import BaseModel, UtcDateTimeField
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

ALL_MODELS = list(PLAN_MODELS)

__all__ = [
    "ALL_MODELS",
    "AuditLog",
    "AuditLogArchive",
    "BaseModel",
    "ParkingRate",
    "ParkingSpot",
    "Payment",
    "SystemConfig",
    "UtcDateTimeField",
    "Vehicle",
]
