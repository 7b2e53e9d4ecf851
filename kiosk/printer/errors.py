"""The one error a print raises: a printer that cannot print now, said in one line."""

from __future__ import annotations

from ..errors import ErrorCode, KioskError


class PrinterError(KioskError):
    """Why nothing (or not everything) was printed: unreachable, not answering, out of paper, ..."""

    def __init__(self, message: str, reason: str = ""):
        """`reason`: the message without naming the printer ('out of paper'), for a short line."""
        super().__init__(message, code=ErrorCode.PRINTER)
        self.message = message
        self.reason = reason or message
