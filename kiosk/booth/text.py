"""Free-text inputs: contact names, reasons, labels. Trimmed, bounded, printable."""

from __future__ import annotations

import re
import unicodedata

from .errors import BoothError, shown

NAME_MAX = 80


def _clean(raw: object, field: str, what: str, lo: int, hi: int, allowed: str) -> str:
    if not isinstance(raw, str):
        raise BoothError(f"the {what} must be text: {allowed}", field=field)
    if len(raw) > hi * 4:
        raise BoothError(f"the {what} is too long ({len(raw)} characters): {allowed}", field=field)
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise BoothError(f"the {what} contains control characters: {allowed}", field=field)
    if len(text) < lo:
        raise BoothError(f"enter the {what}: {allowed}" if not text else f"the {what} is too short: {allowed}", field=field)
    if len(text) > hi:
        raise BoothError(f"the {what} is too long ({len(text)} characters): {allowed}", field=field)
    return text


def clean_name(raw: object) -> str:
    allowed = f"1 to {NAME_MAX} characters, with at least one letter"
    name = _clean(raw, "name", "contact name", 1, NAME_MAX, allowed)
    if not any(ch.isalpha() for ch in name):
        raise BoothError(f"'{shown(name)}' has no letter: a contact name has {allowed}", field="name")
    return name


def clean_reason(raw: object, *, forbidden: tuple[str, ...] = ()) -> str:
    """A reason kept in the audit trail: it must not carry the plate or phone it concerns."""
    allowed = "3 to 200 characters saying why, without plate, name or phone number"
    reason = _clean(raw, "reason", "reason", 3, 200, allowed)
    squashed = re.sub(r"[\s-]", "", reason).upper()
    for secret in forbidden:
        if secret and re.sub(r"[\s-]", "", secret).upper() in squashed:
            raise BoothError(f"the reason must not contain personal data (plate, name or phone): {allowed}", field="reason")
    return reason


def clean_label(raw: object, field: str, what: str, hi: int = 40) -> str:
    return _clean(raw, field, what, 1, hi, f"1 to {hi} printable characters")
