"""Which printer to open: the printer_kind and printer_target settings, checked by the booth's own grammar."""

from __future__ import annotations

from dataclasses import dataclass

from ..booth.errors import BoothError
from ..booth.printer_setting import PrinterTarget, check_printer
from .errors import PrinterError


@dataclass(frozen=True)
class PrinterSpec:
    target: PrinterTarget

    @classmethod
    def from_config(cls, cfg) -> PrinterSpec:
        """From anything with printer_kind and printer_target (kiosk.booth.Config); PrinterError when
        the stored settings are not valid (edited outside the kiosk)."""
        try:
            return cls(check_printer(cfg.printer_kind, cfg.printer_target))
        except BoothError as exc:
            raise PrinterError(f"the printer setting is not valid: {exc.message}") from None

    @classmethod
    def of(cls, kind: str, target: str = "") -> PrinterSpec:
        """From the two settings' text; PrinterError when they are not valid."""
        return cls.from_config(_Settings(kind, target))

    @property
    def kind(self) -> str:
        return self.target.kind

    @property
    def enabled(self) -> bool:
        return self.target.kind != "none"

    def describe(self) -> str:
        return self.target.describe()


@dataclass(frozen=True)
class _Settings:
    printer_kind: str
    printer_target: str
