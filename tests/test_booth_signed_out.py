"""`Booth.signed_out`: the booth acting for nobody, which a terminal returns to at sign-out."""

from __future__ import annotations

import pytest

from kiosk.booth import BoothError, Role
from kiosk.errors import ErrorCode
from kiosk.models import Stay
from staff_support import TEST_PIN, person

PHONE = "07400 123456"


def test_a_signed_out_booth_reads_but_refuses_every_change(booth):
    nobody = booth.signed_out()
    assert nobody.actor is None and booth.actor is not None  # the signed-in booth is unchanged
    assert nobody.vehicle_types() and nobody.config().lock_minutes == 5
    with pytest.raises(BoothError) as refused:
        nobody.register("AB12CDE", "Jane", PHONE, "car")
    assert refused.value.code == ErrorCode.FORBIDDEN and "nobody is signed in" in refused.value.message
    assert Stay.select().count() == 0


def test_signing_in_again_from_a_signed_out_booth_acts_for_that_person(booth):
    person(booth, "Ann", Role.ATTENDANT)
    nobody = booth.signed_out()
    ann = nobody.signed_in(nobody.sign_in("Ann", TEST_PIN))
    assert ann.actor.name == "Ann" and ann.actor.role == Role.ATTENDANT
    ann.register("AB12CDE", "Jane", PHONE, "car")
    assert Stay.select().count() == 1
    assert nobody.actor is None
