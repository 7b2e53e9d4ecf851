"""Input rules: plates, phones, names, money, whole numbers, types, spots — and hostile input."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.booth import BoothError, format_phone, normalise_plate, parse_money
from kiosk.booth.money import format_money, from_cents, to_cents
from kiosk.booth.plates import ALPHABET, lookalike_key, read_plate
from kiosk.booth.text import clean_name, clean_note
from kiosk.booth.validate import normalise_spot, normalise_type, parse_int, parse_spot_range
from kiosk.errors import KioskError

HOSTILE = ["", " ", "\x00", "A" * 10_000, "'; DROP TABLE vehicles; --", "1 OR 1=1", "\u202eABC123", "🚗🚗", None, 12, 1.5, b"AB12"]


@pytest.mark.parametrize("raw", ["ab-12 cde", "AB12CDE", " ab 12-cde ", "ＡＢ１２ＣＤＥ", "ab\u201312\u00a0cde"])
def test_plates_with_spaces_dashes_case_and_fullwidth_are_one_plate(raw):
    assert normalise_plate(raw) == "AB12CDE"


@pytest.mark.parametrize("raw", HOSTILE + ["А B12CDE", "AB12CDE!", "A", "ABCDEFGHIJK", "AB_12"])
def test_bad_plates_are_refused_with_the_rule(raw):
    # "А" above is Cyrillic: a look-alike that NFKC does not fold, so it is refused
    with pytest.raises(BoothError) as err:
        normalise_plate(raw)
    assert err.value.field == "plate"
    assert "letters A-Z and digits" in str(err.value)


def test_partial_plate_allows_a_prefix():
    assert normalise_plate("ab", partial=True) == "AB"
    assert normalise_plate("", partial=True) == ""
    assert normalise_plate("a", partial=True) == "A"


def test_lookalike_key_folds_o_and_i():
    assert lookalike_key("OI10") == lookalike_key("0110")
    assert lookalike_key("AB12CDE") != lookalike_key("AB12CDF")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_a_canonical_plate_or_a_booth_error(raw):
    try:
        plate = normalise_plate(raw)
    except BoothError as exc:
        assert exc.field == "plate"
        return
    assert set(plate) <= ALPHABET and plate == plate.upper()
    assert 2 <= len(plate) <= 10
    assert normalise_plate(plate) == plate  # idempotent


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=2, max_size=10), st.data())
def test_spacing_dashes_and_case_never_change_a_plate(plate, data):
    seps = data.draw(st.lists(st.sampled_from(["", " ", "-", "  ", " - "]), min_size=len(plate), max_size=len(plate)))
    typed = "".join(sep + (ch.lower() if i % 2 else ch) for i, (sep, ch) in enumerate(zip(seps, plate)))
    assert normalise_plate(typed) == plate


@pytest.mark.parametrize("raw,e164", [("07400 123456", "+447400123456"), ("+44 7400 123456", "+447400123456"),
                                      ("０７４００ １２３４５６", "+447400123456"), ("+33 6 12 34 56 78", "+33612345678")])
def test_phones_are_stored_as_e164(raw, e164):
    assert format_phone(raw, "GB")[0] == e164


def test_phone_national_form_for_the_home_region():
    assert format_phone("07400123456", "GB")[1] == "07400 123456"
    assert format_phone("+33612345678", "GB")[1].startswith("+33")


@pytest.mark.parametrize("raw", HOSTILE + ["12345", "0800 FLOWERS", "07400 123456; DROP TABLE x", "+999 123"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(BoothError) as err:
        format_phone(raw, "GB")
    assert err.value.field == "phone"


def test_phone_region_is_checked():
    with pytest.raises(BoothError) as err:
        format_phone("07400123456", "XX")
    assert err.value.field == "phone_region"
    assert format_phone("087 123 4567", "IE")[0] == "+353871234567"


def test_names_are_trimmed_required_and_bounded():
    assert clean_name("  Jane   Doe ") == "Jane Doe"
    assert clean_name("Zoë Ångström") == "Zoë Ångström"
    for bad in ["", "   ", "x" * 81, "123", "Jane\x07Doe", None, 5]:
        with pytest.raises(BoothError) as err:
            clean_name(bad)
        assert err.value.field == "name"


def test_notes_are_optional_bounded_printable_text():
    assert clean_note(None) is None and clean_note("   ") is None
    assert clean_note("  meant  XY99ZZZ ") == "meant XY99ZZZ"
    for bad in ("x" * 201, "bell\x07", 5):
        with pytest.raises(BoothError) as err:
            clean_note(bad)
        assert err.value.field == "note"


@pytest.mark.parametrize("raw,value", [("10", "10.00"), ("£12.5", "12.50"), (" 0.01 ", "0.01"), (Decimal("3.10"), "3.10"),
                                       (7, "7.00"), (".5", "0.50"),
                                       ("1,50", "1.50"), ("2,75", "2.75"), ("1,5", "1.50"), ("€ 3,20", "3.20"),
                                       ("4.10 €", "4.10")])
def test_money_is_parsed_exactly(raw, value):
    assert parse_money(raw) == Decimal(value)


@pytest.mark.parametrize("raw", [-1, "-5", "1.234", "abc", "1e3", "NaN", "Infinity", 1.5, True, None, "", "9" * 50,
                                 Decimal("NaN"), Decimal("-0.01"), "100000.01", "1 OR 1=1", "1,000.00", "12.",
                                 "££5"])
def test_bad_amounts_are_refused(raw):
    with pytest.raises(BoothError) as err:
        parse_money(raw, "tendered")
    assert err.value.field == "tendered"


@pytest.mark.parametrize("raw,why", [
    ("1,500", "thousands separator"), ("1,000", "thousands separator"), ("1.500,00", "mixes '.' and ','"),
    ("1,000.00", "mixes '.' and ','"), ("1,5,0", "more than one ','"), ("1.5.0", "more than one '.'"),
    ("1,505", "thousands separator"), ("1 500", "not an amount"), ("1.505", "more than 2 decimal places"),
])
def test_a_comma_is_a_decimal_comma_or_refused_never_deleted(raw, why):
    # '1,50' used to become 150.00: a comma was deleted and the amount re-scaled a hundredfold.
    with pytest.raises(BoothError) as err:
        parse_money(raw, "tendered", what="cash tendered")
    assert err.value.field == "tendered"
    assert why in err.value.message
    assert "12,50 is read as 12.50; no thousands separators" in err.value.message


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 99_999), st.integers(0, 99), st.sampled_from([".", ","]), st.sampled_from(["", "£", "€"]))
def test_a_decimal_point_or_comma_never_rescales_the_amount(units, cents, sep, symbol):
    typed = f"{symbol}{units}{sep}{cents:02d}"
    assert parse_money(typed) == Decimal(units) + Decimal(cents) / 100


def test_cents_round_trip_and_format():
    assert to_cents(Decimal("12.34")) == 1234
    assert from_cents(-750) == Decimal("-7.50")
    assert format_money(Decimal("-7.5"), "£") == "-£7.50"
    assert format_money(Decimal("1234.5")) == "£1,234.50"


@pytest.mark.parametrize("raw", ["0", "8761", "-3", "2.5", "abc", 2.0, True, None, "", "1e3", "9" * 40])
def test_whole_numbers_in_range(raw):
    with pytest.raises(BoothError) as err:
        parse_int(raw, "retention_hours", 1, 8760)
    assert err.value.field == "retention_hours"
    assert "1 to 8760" in str(err.value)


def test_whole_numbers_accept_text_and_int():
    assert parse_int(" 48 ", "x", 1, 100) == 48
    assert parse_int(Decimal("3"), "x", 1, 100) == 3


def test_types_spots_and_ranges():
    assert normalise_type(" Car ") == "car"
    assert normalise_spot(" a07 ") == "A07"
    assert parse_spot_range("A01-A03") == ["A01", "A02", "A03"]
    assert parse_spot_range("b8 - b10") == ["B8", "B9", "B10"]
    assert parse_spot_range("C5") == ["C5"]
    for bad in ["", "A01-B03", "A10-A01", "A1-A99999", "A01-A6000", "A01-A02-A03", "'; --", None]:
        with pytest.raises(BoothError):
            parse_spot_range(bad)
    for bad in ["", "car; drop", "Ｃar!", "1car", "x" * 50, None]:
        with pytest.raises(BoothError) as err:
            normalise_type(bad)
        assert err.value.field == "type"
    for bad in ["", "A", "7", "A07B", "AAAA1", None]:
        with pytest.raises(BoothError) as err:
            normalise_spot(bad)
        assert err.value.field == "spot"


def test_booth_error_is_a_kiosk_error():
    assert issubclass(BoothError, KioskError)


@pytest.mark.parametrize("raw,plate", [
    ("mü-ab 12", "MÜAB12"), ("TÜ AB 1", "TÜAB1"), ("säk x 9", "SÄKX9"), ("LÖ-A 7", "LÖA7"),  # German district codes
    ("ÅL 1234", "ÅL1234"), ("løk 12", "LØK12"), ("Æble 1", "ÆBLE1"),  # Åland; Danish/Norwegian personalised
    ("čk 123-ab", "ČK123AB"), ("ŠI 12 AB", "ŠI12AB"), ("kž 1 ćđ", "KŽ1ĆĐ"),  # Croatian and Serbian codes
    ("A\u0308B12", "ÄB12"),  # Ä typed as A + combining diaeresis: the same letter
])
def test_latin_letters_with_the_diacritics_plates_carry_are_accepted_silently(raw, plate):
    # Ä Ö Ü, Å Æ Ø were refused though real European plates carry them.
    assert read_plate(raw) == (plate, ())
    assert normalise_plate(plate) == plate


@pytest.mark.parametrize("raw,said", [
    ("АB12CDE", "'А' is a Cyrillic letter (U+0410 CYRILLIC CAPITAL LETTER A), not a Latin one"),
    ("ΑB12CDE", "'Α' is a Greek letter (U+0391 GREEK CAPITAL LETTER ALPHA), not a Latin one"),
    ("ab12сde", "'с' is a Cyrillic letter"),
    ("ÑA 12", "'Ñ' (U+00D1 LATIN CAPITAL LETTER N WITH TILDE) is not a letter used on number plates"),
    ("ÇA 12", "is not a letter used on number plates"),
    ("straße 1", "'ß' would become 'SS', which changes the plate"),
    ("ﬁ 12", "'ﬁ' would become 'FI'"),
])
def test_other_scripts_and_unused_letters_are_refused_naming_the_character(raw, said):
    with pytest.raises(BoothError) as err:
        normalise_plate(raw)
    assert err.value.field == "plate" and said in err.value.message
    assert "Ä Ö Ü Å Æ Ø Č Ć Đ Š Ž" in err.value.message


@pytest.mark.parametrize("raw,plate,changed", [
    ("ıab 12", "IAB12", ("ı → I",)),  # dotless ı (Turkish keyboard) was folded to I without a word
    ("ＡＢ12", "AB12", ("Ａ → A", "Ｂ → B")),
    ("ab 1ı ıı", "AB1III", ("ı → I",)),
])
def test_a_letter_read_as_another_letter_is_reported_not_folded_silently(raw, plate, changed):
    assert read_plate(raw) == (plate, changed)
    assert read_plate("ab12 cde").changed == () and read_plate("äb12").changed == ()  # case and separators: silent
