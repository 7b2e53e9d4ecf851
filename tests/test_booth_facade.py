"""What the screens ask the Booth instead of working out themselves: one spot's state, the type a
fresh entry form starts on, a transaction id, the receipt file, the audit actions, the form checks."""

import re
from pathlib import Path

import pytest

import kiosk.booth as booth_pkg
from kiosk.booth import (AUDIT_ACTIONS, Booth, BoothError, check_rate_field, check_setting, is_rate_amount)
from staff_support import as_manager, on_shift

PHONE = "07400 123456"


@pytest.fixture
def booth(database, clock, tmp_path):
    return on_shift(as_manager(Booth(database, clock, booth_name="North", receipts_dir=tmp_path / "receipts")))


def test_spot_state_is_the_one_spot_states_gives(booth):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    state = booth.spot_state(reg.spot)
    assert state == next(s for s in booth.spot_states() if s.spot_number == reg.spot)
    assert (state.state, state.plate, state.stay_id) == ("occupied", "AB12CDE", reg.stay_id)
    assert booth.spot_state("A02").state == "free"
    assert booth.spot_state("Z99") is None
    with pytest.raises(BoothError):
        booth.spot_state(7)


def test_default_vehicle_type_is_the_last_one_registered(booth):
    assert booth.default_vehicle_type() == "car"  # nothing registered yet: the first type
    booth.register("AB12CDE", "Jane", PHONE, "van")
    assert booth.default_vehicle_type() == "van"


def test_transaction_ids_are_fresh_and_accepted_by_pay(booth):
    first, second = booth.new_transaction_id(), booth.new_transaction_id()
    assert first != second and re.fullmatch(r"[0-9a-f]{20}", first)
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    assert booth.pay(reg.stay_id, "card", transaction_id=first).transaction_id == first


def test_save_receipt_writes_the_file_into_receipts_dir(booth, tmp_path):
    reg = booth.register("AB12CDE", "Jane", PHONE, "car")
    path = booth.save_receipt(booth.pay(reg.stay_id, "card"))
    assert Path(path).parent == tmp_path / "receipts" and "AB12CDE" in Path(path).read_text()


def test_audit_actions_name_every_action_the_booth_writes(booth):
    """The filter's list and the rows written are one set: a new audit action must be listed."""
    folder = Path(booth_pkg.__file__).parent
    written = set()
    for source in folder.glob("*.py"):
        written |= set(re.findall(r'\.audit\(\s*"([a-z_]+)"', source.read_text()))
    assert written == set(AUDIT_ACTIONS)
    assert booth.audit_actions() == AUDIT_ACTIONS


def test_form_checks_are_the_ones_the_booth_applies():
    assert check_setting("retention_hours", " 48 ") == 48
    with pytest.raises(BoothError) as refused:
        check_setting("retention_hours", "0")
    assert refused.value.field == "retention_hours"
    with pytest.raises(BoothError):
        check_setting("no_such_setting", "1")
    assert str(check_rate_field("rate", "2.5")) == "2.50"
    assert check_rate_field("daily_cap", " ") is None
    assert is_rate_amount("rate") and is_rate_amount("daily_cap") and not is_rate_amount("grace_minutes")
