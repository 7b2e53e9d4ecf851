"""Free-text inputs: contact names, notes, labels. Trimmed, bounded, printable."""

from __future__ import annotations

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


NOTE_MAX = 200


def clean_note(raw: object) -> str | None:
    """An optional note typed with a refund or a closed stay; None when empty.

    It may name a person or a plate: it is kept only with the stay (stays.note) and
    expiry removes it with the stay's personal data, never in the audit trail.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return _clean(raw, "note", "note", 1, NOTE_MAX, f"up to {NOTE_MAX} printable characters, or leave it empty")


def clean_label(raw: object, field: str, what: str, hi: int = 40) -> str:
    return _clean(raw, field, what, 1, hi, f"1 to {hi} printable characters")
