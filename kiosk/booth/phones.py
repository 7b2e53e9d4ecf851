"""Phone numbers: parsed and validated with `phonenumbers`, stored as E.164."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .errors import BoothError, shown


@lru_cache(maxsize=1)
def _pn():
    """phonenumbers, imported on first use: 30 ms of start-up the terminal does not spend before its
    first screen (kiosk.tui warms it up in the background right after)."""
    import phonenumbers

    return phonenumbers


def warm_up() -> None:
    """Import phonenumbers and build the default region's example now (call it off the UI thread)."""
    example("GB")

MAX_INPUT = 40
# Vanity letters and extensions are refused: an attendant types digits.
_CHARS = re.compile(r"[0-9 +()./-]+", re.ASCII)


def check_region(raw: object) -> str:
    region = raw.strip().upper() if isinstance(raw, str) else ""
    if region not in _pn().SUPPORTED_REGIONS:
        raise BoothError(
            f"'{shown(raw)}' is not a phone region: use a two-letter country code such as GB, IE, FR or US",
            field="phone_region",
        )
    return region


@lru_cache(maxsize=None)
def example(region: str) -> str:
    # Building the example costs more than parsing a number (~25 us): once per region.
    pn = _pn()
    number = pn.example_number_for_type(region, pn.PhoneNumberType.MOBILE)
    if number is None:
        return "+44 7700 900123"
    return pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)


def _allowed(region: str) -> str:
    return f"a {region} number such as {example(region)}, or an international one starting with +"


def _parse(raw: object, region: str):
    """The valid number `raw` names, or BoothError(field='phone') saying what is allowed."""
    if not isinstance(raw, str):
        raise BoothError(f"the phone number must be text: {_allowed(region)}", field="phone")
    if len(raw) > MAX_INPUT:
        raise BoothError(f"the phone number is too long ({len(raw)} characters): {_allowed(region)}", field="phone")
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise BoothError(f"enter a phone number: {_allowed(region)}", field="phone")
    if not _CHARS.fullmatch(text):
        bad = next(ch for ch in text if not _CHARS.fullmatch(ch))
        raise BoothError(f"'{shown(bad)}' is not allowed in a phone number: digits, spaces, + - ( ) only; "
                         f"{_allowed(region)}", field="phone")
    pn = _pn()
    try:
        number = pn.parse(text, region)
    except pn.NumberParseException:
        raise BoothError(f"'{shown(text)}' is not a phone number: {_allowed(region)}", field="phone") from None
    if not pn.is_valid_number(number):
        raise BoothError(f"'{shown(text)}' is not a valid phone number: {_allowed(region)}", field="phone")
    return number


def to_e164(raw: object, region: str = "GB") -> str:
    """The number as stored (E.164), or BoothError(field='phone'); what registering needs."""
    pn = _pn()
    return pn.format_number(_parse(raw, check_region(region)), pn.PhoneNumberFormat.E164)


def format_phone(raw: object, region: str = "GB") -> tuple[str, str]:
    """(E.164, national display form) or BoothError(field='phone')."""
    region = check_region(region)
    number = _parse(raw, region)
    pn = _pn()
    e164 = pn.format_number(number, pn.PhoneNumberFormat.E164)
    if pn.region_code_for_number(number) == region:
        shown_as = pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)
    else:
        shown_as = pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL)
    return e164, shown_as



def is_incomplete(raw: object, region: str = "GB") -> bool:
    """True while `raw` is not a valid number but has fewer digits than a number of its country
    can have (more are probably coming); False for a valid number, and for an invalid one that is
    as long as a number there can be, or longer: that one is wrong, not unfinished."""
    if not isinstance(raw, str) or not raw.strip():
        return True
    pn = _pn()
    text = unicodedata.normalize("NFKC", raw).strip()
    if not _CHARS.fullmatch(text):
        return False
    try:
        number = pn.parse(text, check_region(region))
    except pn.NumberParseException:
        return len(text) < MAX_INPUT // 2  # e.g. a lone '+': digits are still to come
    if pn.is_valid_number(number):
        return False
    meta = pn.PhoneMetadata.metadata_for_region(pn.region_code_for_country_code(number.country_code))
    lengths = meta.general_desc.possible_length if meta is not None else ()
    if not lengths:
        return pn.is_possible_number_with_reason(number) == pn.ValidationResult.TOO_SHORT
    return len(pn.national_significant_number(number)) < max(lengths)


def significant_digits(e164: str) -> str:
    """The national significant number of a stored (E.164) number: the digits every way of typing it
    contains ('07400 123457', '+44 7400 123457'); '' when it does not parse."""
    pn = _pn()
    try:
        return pn.national_significant_number(pn.parse(e164, None))
    except pn.NumberParseException:
        return ""
