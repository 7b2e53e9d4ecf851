"""Number plates: one canonical form, so `ab-12 cde` and `AB12CDE` are the same plate.

The plate alphabet (README.md, "Number plates"): A-Z, 0-9, and the Latin letters with
diacritics that European plates carry (DIACRITICS). Every other character is refused,
naming it and, for a letter, its script: Cyrillic А and Greek Α look like A but are other
letters, and a plate registered with one would never be found by the A typed at exit.

Spaces, dashes and case are not part of a plate and go without a word (`mü-ab 12` is
MÜAB12). A character that becomes a *different* single character (dotless ı → I,
full-width Ａ → A) is accepted, and the change is returned as a notice for the screen to
show before the car is registered. A character that would become several (ß → SS, the
ligature ﬁ → FI) is refused: that changes the plate's length, and no plate carries one.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from .errors import BoothError, shown

MIN_LEN, MAX_LEN = 2, 10
MAX_INPUT = 64  # longer input is refused before any work is done on it
# Germany: Ä Ö Ü in district codes (MÜ, LÖ, TÜ, SÄK...); Nordic: Å Æ Ø (Åland's ÅL, Danish and
# Norwegian personalised plates); Croatia and Serbia: Č Ć Đ Š Ž (ČK, ŠI, KŽ, ŽU; BĆ, BČ...).
DIACRITICS = "ÄÖÜÅÆØČĆĐŠŽ"
ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + DIACRITICS)
ALLOWED = f"2 to 10 letters A-Z and digits 0-9, or {' '.join(DIACRITICS)} (spaces and dashes are ignored)"
_LOOKALIKE = str.maketrans({"O": "0", "I": "1"})
# The ASCII separators _strip removes (every space and the one ASCII dash), for the common case.
_ASCII_SEPARATORS = str.maketrans({c: None for c in map(chr, range(128)) if c.isspace() or c == "-"})


class PlateReading(NamedTuple):
    plate: str
    changed: tuple[str, ...] = ()  # e.g. ('ı → I',): letters read as other letters, to show before registering


def _separator(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Pd"


def _refused(ch: str) -> BoothError:
    name = unicodedata.name(ch, "")
    code = f"U+{ord(ch):04X}"
    if ch.isalpha() and name:
        script = name.split()[0]
        script = script.title() if len(script) > 3 else script  # CYRILLIC -> Cyrillic; CJK stays
        if script == "Latin":
            return BoothError(f"'{ch}' ({code} {name}) is not a letter used on number plates: a plate has {ALLOWED}",
                              field="plate")
        return BoothError(f"'{ch}' is a {script} letter ({code} {name}), not a Latin one: a plate has {ALLOWED}",
                          field="plate")
    said = f"'{shown(ch)}'" if ch.isascii() else f"'{shown(ch)}' ({code})"
    return BoothError(f"{said} is not allowed in a plate: {ALLOWED}", field="plate")


def _read(raw: str) -> PlateReading:
    if raw.isascii():  # the common case: no Unicode work (~1.5 us of a look-up)
        plate = raw.upper().translate(_ASCII_SEPARATORS)
        bad = next((ch for ch in plate if ch not in ALPHABET), None)
        if bad is not None:
            raise _refused(bad)
        return PlateReading(plate)
    out: list[str] = []
    changed: dict[str, None] = {}
    # NFC: a letter typed as A + combining diaeresis is the same Ä, not a change.
    for ch in unicodedata.normalize("NFC", raw):
        if _separator(ch):
            continue
        upper = ch.upper()
        if upper in ALPHABET and (upper == ch or upper.lower() == ch):  # case only: nothing to say
            out.append(upper)
            continue
        # NFKC folds compatibility forms (full-width Ａ, superscript ²); upper case after it, and again
        # NFKC (an upper-case form may decompose too).
        folded = "".join(c for c in unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", ch).upper())
                         if not _separator(c))
        if folded and all(c in ALPHABET for c in folded):
            if len(folded) > 1:
                raise BoothError(f"'{ch}' would become '{folded}', which changes the plate: type the characters "
                                 f"as the plate shows them; a plate has {ALLOWED}", field="plate")
            out.append(folded)
            changed[f"{ch} → {folded}"] = None
            continue
        raise _refused(ch)
    return PlateReading("".join(out), tuple(changed))


def read_plate(raw: object, *, partial: bool = False) -> PlateReading:
    """The canonical plate and the letters that were read as other letters, or BoothError(field='plate').

    `partial` accepts a prefix being typed (0 or 1 characters too) for look-ups.
    """
    if not isinstance(raw, str):
        raise BoothError(f"the plate must be text: {ALLOWED}", field="plate")
    if len(raw) > MAX_INPUT:
        raise BoothError(f"the plate is far too long ({len(raw)} characters): {ALLOWED}", field="plate")
    reading = _read(raw)
    plate = reading.plate
    if not plate and not partial:
        raise BoothError(f"enter the number plate: {ALLOWED}", field="plate")
    if len(plate) > MAX_LEN or (len(plate) < MIN_LEN and not partial):
        raise BoothError(f"'{shown(plate)}' has {len(plate)} characters: a plate has {ALLOWED}", field="plate")
    return reading


def normalise_plate(raw: object, *, partial: bool = False) -> str:
    """The canonical plate, or BoothError(field='plate') saying what is allowed."""
    return read_plate(raw, partial=partial).plate


def lookalike_key(plate: str) -> str:
    """Plates that differ only by O/0 or I/1 share this key (warn, never rewrite)."""
    return plate.translate(_LOOKALIKE)
