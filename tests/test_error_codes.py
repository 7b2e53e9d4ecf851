"""Errors say what happened by their code (kiosk.errors.ErrorCode): callers branch on it, not on the text."""

import pytest

from kiosk.booth import BoothError
from kiosk.db import resolve_target
from kiosk.errors import DatabaseTargetError, DiskFull, ErrorCode, KioskError, UsageError
from kiosk.maintenance import Refused

PHONE = "07400 123456"


def test_each_error_class_has_a_code_and_a_raise_may_name_a_more_specific_one():
    assert KioskError("x").code is ErrorCode.FAILED
    assert UsageError("x").code is ErrorCode.USAGE and DatabaseTargetError("x").code is ErrorCode.BAD_TARGET
    assert DiskFull("x").code is ErrorCode.DISK_FULL and Refused("x").code is ErrorCode.PREFLIGHT_REFUSED
    assert KioskError("x", code=ErrorCode.BUSY).code is ErrorCode.BUSY
    assert str(KioskError("the message", code=ErrorCode.BUSY)) == "the message"


def test_a_booth_error_is_invalid_input_with_a_field_and_a_refusal_without():
    assert BoothError("bad plate", field="plate").code is ErrorCode.INVALID
    assert BoothError("not now").code is ErrorCode.REFUSED
    e = BoothError("taken", field="plate", code=ErrorCode.CONFLICT)
    assert (e.code, e.field, e.message) == (ErrorCode.CONFLICT, "plate", "taken")


def test_a_plate_already_on_site_is_refused_as_already_parked(booth):
    booth.register("AB12CDE", "Jane", PHONE, "car")
    with pytest.raises(BoothError) as caught:
        booth.register("AB12CDE", "Jane", PHONE, "car")
    assert caught.value.code is ErrorCode.ALREADY_PARKED and caught.value.field == "plate"
    with pytest.raises(BoothError) as caught:
        booth.register("AB12CDE!", "Jane", PHONE, "car")
    assert caught.value.code is ErrorCode.INVALID and caught.value.field == "plate"


def test_a_file_that_is_not_a_sqlite_database_is_told_apart_from_other_bad_targets(tmp_path):
    wrecked = tmp_path / "k.db"
    wrecked.write_bytes(b"not a database at all")
    with pytest.raises(DatabaseTargetError) as caught:
        resolve_target(str(wrecked))
    assert caught.value.code is ErrorCode.NOT_A_DATABASE
    with pytest.raises(DatabaseTargetError) as caught:
        resolve_target(str(tmp_path / "no-folder" / "k.db"))
    assert caught.value.code is ErrorCode.BAD_TARGET
