"""The one exception the booth's rules raise for bad input or a refused action."""

from __future__ import annotations

from ..errors import ErrorCode, KioskError


class BoothError(KioskError):
    """What was wrong and what is allowed, plus the input at fault.

    `field` names the input ('plate', 'name', 'phone', 'type', 'spot', 'amount',
    'tendered', 'retention_hours', ...) so a form can show the message next to it;
    None when no single input is at fault (e.g. the database is busy).
    `code` says what kind of refusal it is: INVALID when an input is named, REFUSED
    otherwise, unless the raise names a more specific one (BUSY, CONFLICT, FORBIDDEN, ...).
    """

    def __init__(self, message: str, field: str | None = None, *, code: ErrorCode | None = None,
                 seconds: int | None = None, needs: str | None = None):
        super().__init__(message, code=code or (ErrorCode.INVALID if field else ErrorCode.REFUSED))
        self.field = field
        self.message = message
        self.seconds = seconds  # LOCKED_OUT: whole seconds until the name may try again
        self.needs = needs  # FORBIDDEN: the lowest role (a kiosk.booth.actors.Role value) that may do it


def shown(value: object, limit: int = 24) -> str:
    """A user's input quoted back safely: printable, short."""
    try:
        text = value if isinstance(value, str) else repr(value)
    except Exception:  # noqa: BLE001 - e.g. an int too long to print: say what it is instead
        text = f"a {type(value).__name__} that cannot be shown"
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
