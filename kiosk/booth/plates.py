"""Number plates: one canonical form, so `ab-12 cde` and `AB12CDE` are the same plate."""

from __future__ import annotations

import re
import unicodedata

from .errors import BoothError, shown

MIN_LEN, MAX_LEN = 2, 10
MAX_INPUT = 64  # longer input is refused before any work is done on it
ALLOWED = "2 to 10 letters A-Z and digits 0-9 (spaces and dashes are ignored)"
_PLATE = re.compile(r"[A-Z0-9]+", re.ASCII)
_LOOKALIKE = str.maketrans({"O": "0", "I": "1"})
# The ASCII separators _strip removes (every space and the one ASCII dash), for the common case.
_ASCII_SEPARATORS = str.maketrans({c: None for c in map(chr, range(128)) if c.isspace() or c == "-"})


def _strip(raw: str) -> str:
    if raw.isascii():  # NFKC leaves ASCII as it is: skip the Unicode work (~1.5 us of a look-up)
        return raw.upper().translate(_ASCII_SEPARATORS)
    # NFKC folds fullwidth and other compatibility forms (ＡＢ１２ -> AB12);
    # every kind of space and dash is a separator people type, not part of a plate.
    text = unicodedata.normalize("NFKC", raw).upper()
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Pd")


def normalise_plate(raw: object, *, partial: bool = False) -> str:
    """The canonical plate, or BoothError(field='plate') saying what is allowed.

    `partial` accepts a prefix being typed (0 or 1 characters too) for look-ups.
    """
    if not isinstance(raw, str):
        raise BoothError(f"the plate must be text: {ALLOWED}", field="plate")
    if len(raw) > MAX_INPUT:
        raise BoothError(f"the plate is far too long ({len(raw)} characters): {ALLOWED}", field="plate")
    plate = _strip(raw)
    if not plate and not partial:
        raise BoothError(f"enter the number plate: {ALLOWED}", field="plate")
    if not _PLATE.fullmatch(plate) and plate:
        bad = next(ch for ch in plate if not _PLATE.fullmatch(ch))
        raise BoothError(f"'{shown(bad)}' is not allowed in a plate: {ALLOWED}", field="plate")
    if len(plate) > MAX_LEN or (len(plate) < MIN_LEN and not partial):
        raise BoothError(f"'{shown(plate)}' has {len(plate)} characters: a plate has {ALLOWED}", field="plate")
    return plate


def lookalike_key(plate: str) -> str:
    """Plates that differ only by O/0 or I/1 share this key (warn, never rewrite)."""
    return plate.translate(_LOOKALIKE)
