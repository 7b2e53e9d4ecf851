"""What each role may do at the terminal (Pilot on a real database): keys beyond the role stay in
sight, marked; pressing one opens the supervisor-override dialog, whose approval serves one
action and is recorded with both people; Escape does nothing; Activity by person."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Input, OptionList, Select
from textual.widgets._footer import FooterKey

from kiosk.booth import BoothError
from kiosk.errors import ErrorCode
from kiosk.models import AuditLog, Payment, Stay, SystemConfig
from kiosk.tui.screens.activity import ActivityScreen
from kiosk.tui.screens.configuration import ConfigurationScreen
from kiosk.tui.screens.override import OverrideDialog
from kiosk.tui.screens.payment import PaymentScreen
from kiosk.tui.screens.refund import DepartedDialog, RefundDialog
from kiosk.tui.widgets.field_hint import FieldHint
from staff_support import TEST_PIN, person, staff_name
from tui_helpers import screen_text, settle

PHONE = "07400 123456"


@pytest.fixture
def paid(booth, clock):
    """A car in at 12:00 and paid by card at 14:33 (by the test manager)."""
    stay = booth.register("AB12CDE", "Jane", PHONE, "car")
    clock.advance(hours=2, minutes=33)
    return booth.pay(stay.stay_id, "card")


def audit(action: str) -> AuditLog:
    return AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id.desc()).get()


def footer_key(app, key: str) -> FooterKey:
    return next(k for k in app.screen.query(FooterKey) if k.key == key)


def override_hint(app, field: str) -> str:
    return app.screen.query_one(f"#override-{field}-hint", FieldHint).text


async def approve(pilot, name: str, pin: str = TEST_PIN) -> None:
    app = pilot.app
    assert isinstance(app.screen, OverrideDialog)
    await pilot.press(*name, "enter", *pin, "enter")
    await settle(app, pilot)


async def refund_first_payment(pilot) -> None:
    """In the refund dialog: the first payment, reason 1, no note."""
    await pilot.press("enter")
    await settle(pilot.app, pilot)
    await pilot.press("1", "enter")
    await settle(pilot.app, pilot)


async def test_an_attendants_refund_is_approved_by_a_supervisor_and_recorded_with_both(make_app, booth, paid):
    sup = person(booth, "Sue Parker", "supervisor")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        attendant = app.services.actor.staff_id
        assert "F8 refund: needs a supervisor" in screen_text(app)  # the key is offered, and says what it needs
        await pilot.press("f8")
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog)
        assert "A refund needs a supervisor" in screen_text(app)
        await approve(pilot, "sue")
        assert isinstance(app.screen, RefundDialog)
        await refund_first_payment(pilot)
        assert isinstance(app.screen, PaymentScreen)
        row = audit("refund")
        assert (row.staff_id, row.approver_id, row.origin) == (attendant, sup.staff_id, "terminal")
        assert Payment.select().where(Payment.refund_of == paid.payment_id).count() == 1
        await pilot.press("f8")  # the approval served that one refund: the next asks again
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog)


async def test_escape_in_the_override_dialog_does_nothing(make_app, booth, paid):
    person(booth, "Sue", "supervisor")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        await pilot.press(*"Sue", "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert Payment.select().count() == 1 and not AuditLog.select().where(AuditLog.action == "refund").exists()


async def test_an_override_is_refused_for_an_attendant_for_oneself_and_for_a_wrong_pin(make_app, booth, paid):
    person(booth, "Art", "attendant")
    person(booth, "Sue", "supervisor")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        names = [str(o.prompt) for o in app.screen.query_one("#override-name-list", OptionList).options]
        assert staff_name("attendant") not in names  # one's own name is not offered
        await approve(pilot, "Art")
        assert "Art is an attendant" in override_hint(app, "name") and isinstance(app.screen, OverrideDialog)
        app.screen.query_one("#override-name-input", Input).value = staff_name("attendant")
        await pilot.press("enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        assert "approved by someone else" in override_hint(app, "name")
        app.screen.query_one("#override-name-input", Input).value = "Sue"
        await pilot.press("enter", *"0000", "enter")
        await settle(app, pilot)
        assert "wrong PIN for Sue" in override_hint(app, "pin") and "0000" not in screen_text(app)
        assert isinstance(app.screen, OverrideDialog) and Payment.select().count() == 1


async def test_a_supervisor_refunds_without_asking_and_closes_an_overstay(make_app, booth, clock, paid):
    booth.register("OLD1", "Jo", PHONE, "car")
    clock.advance(hours=30)  # an overstay
    app = make_app(mode="payment", role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "needs a supervisor" not in screen_text(app)
        await pilot.press("f8")
        await settle(app, pilot)
        assert isinstance(app.screen, RefundDialog)
        await pilot.press("escape", *"OLD", "enter")
        await settle(app, pilot)
        await pilot.press("ctrl+d")
        await settle(app, pilot)
        assert isinstance(app.screen, DepartedDialog)
        await pilot.press("1", "enter")
        await settle(app, pilot)
        row = audit("departed")
        assert (row.staff_id, row.approver_id) == (app.services.actor.staff_id, None)


async def test_an_attendant_closes_an_overstay_once_a_supervisor_approves(make_app, booth, clock):
    stay = booth.register("OLD1", "Jo", PHONE, "car")
    clock.advance(hours=30)
    sup = person(booth, "Sue", "supervisor")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*"OLD", "enter")
        await settle(app, pilot)
        said = app.screen.query_one("#pay-message", FieldHint).text
        assert "ctrl+d: departed without paying: needs a supervisor" in said
        await pilot.press("ctrl+d")
        await settle(app, pilot)
        await approve(pilot, "Sue")
        assert isinstance(app.screen, DepartedDialog)
        await pilot.press("1", "enter")
        await settle(app, pilot)
        assert Stay.get_by_id(stay.stay_id).status == "departed"
        assert audit("departed").approver_id == sup.staff_id


@pytest.mark.parametrize("role", ["attendant", "supervisor"])
async def test_configuration_needs_a_manager_whose_approval_serves_one_change(make_app, booth, role):
    boss = person(booth, "Mia", "manager")
    person(booth, "Sue", "supervisor")
    app = make_app(role=role)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        assert footer_key(app, "f4").has_class("-needs-approval")  # shown, and marked
        assert "needs a manager" in str(footer_key(app, "f4").tooltip)
        await pilot.press("f4")
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog) and "Opening the Config screen needs a manager" in screen_text(app)
        if role == "attendant":
            await approve(pilot, "Sue")  # a supervisor may not approve this one
            assert "this needs a manager" in override_hint(app, "name")
            app.screen.query_one("#override-name-input", Input).value = ""
        await approve(pilot, "Mia")
        assert isinstance(app.screen, ConfigurationScreen)
        box = app.screen.row("retention_hours").input
        box.value = "36"
        box.focus()
        await pilot.press("enter")  # saved with the approval F4 brought
        await settle(app, pilot)
        assert SystemConfig.get().retention_hours == 36
        row = audit("config")
        assert (row.staff_id, row.approver_id) == (app.services.actor.staff_id, boss.staff_id)
        box.value = "48"
        await pilot.press("enter")  # the next change asks again
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog) and SystemConfig.get().retention_hours == 36
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigurationScreen) and SystemConfig.get().retention_hours == 36


async def test_a_manager_is_asked_for_nothing(make_app, paid):
    app = make_app(mode="payment")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not any(k.has_class("-needs-approval") for k in app.screen.query(FooterKey))
        await pilot.press("f8")
        await settle(app, pilot)
        assert isinstance(app.screen, RefundDialog)
        await pilot.press("escape", "f4")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigurationScreen)


async def test_the_staff_screen_is_a_managers_and_others_are_told_so(make_app, booth):
    person(booth, "Mia", "manager")
    app = make_app(role="supervisor")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("f4")
        await settle(app, pilot)
        await approve(pilot, "Mia")
        await pilot.press("f6")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigurationScreen)
        assert any("needs a manager signed in" in n.message for n in app._notifications)


# ---- Activity: who did it, by person ------------------------------------------------------------

async def test_an_attendant_sees_only_their_own_activity(make_app, booth, paid):
    app = make_app(mode="activity", role="attendant")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        me = app.services.actor.staff_id
        assert isinstance(app.screen, ActivityScreen)
        table = app.screen.query_one("#activity-audit", DataTable)
        assert table.row_count == 0  # the manager's entry and payment are not theirs
        person_filter = app.screen.query_one("#activity-person", Select)
        assert person_filter.disabled and "your own only" in str(app.screen.query_one("#activity-count").render())
        await pilot.press("f1", *"XY34ZZZ", "tab", *"Jim", "tab", *PHONE, "enter")
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[1] for r in rows] == ["entry"] and rows[0][2] == staff_name("attendant")
        assert AuditLog.get(AuditLog.action == "entry", AuditLog.staff_id == me)


async def test_a_supervisor_sees_everyone_and_filters_by_person_with_approvers_named(make_app, booth, paid):
    sup = person(booth, "Sue", "supervisor")
    attendant = person(booth, "Art", "attendant")
    booth.signed_in(booth.signed_in(attendant).approve("Sue", TEST_PIN, "refund")).refund(paid.payment_id, "duplicate_charge")
    app = make_app(mode="activity", role="supervisor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#activity-audit", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert {r[1] for r in rows} >= {"entry", "payment", "refund"}
        refund = next(r for r in rows if r[1] == "refund")
        assert refund[2] == "Art (Sue)"  # who acted, and who approved
        person_filter = app.screen.query_one("#activity-person", Select)
        assert not person_filter.disabled
        person_filter.value = attendant.staff_id
        await settle(app, pilot)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[1] for r in rows] == ["refund"]
        person_filter.value = sup.staff_id  # the approver's rows include what they approved
        await settle(app, pilot)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[1] for r in rows] == ["refund"]
        details = json.loads(audit("refund").details)
        assert "Sue" not in json.dumps(details) and "Art" not in json.dumps(details)  # ids only in the trail


@pytest.mark.parametrize("role", ["attendant", "supervisor", "manager"])
async def test_the_footer_shows_every_other_screen_sign_out_and_quit_in_full_at_80_columns(make_app, paid, role):
    keys_of = {"entry": "f1", "map": "f2", "payment": "f3", "config": "f4", "activity": "f5"}
    for mode in keys_of:
        app = make_app(mode=mode, role=role)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            shown = app.current_mode
            assert shown == ("entry" if mode == "config" and role != "manager" else mode)  # not opened on a screen beyond the role
            keys = {k.key: k for k in app.screen.query(FooterKey)}
            edge = keys["ctrl+p"].region.x if "ctrl+p" in keys else 80
            for key in [k for m, k in keys_of.items() if m != shown] + ["f9", "f10"]:
                assert key in keys, (role, mode, key)
                assert keys[key].region.width > 0 and keys[key].region.right <= edge, (role, mode, key)


async def test_an_approval_given_before_a_relief_does_not_serve_the_next_person(make_app, booth, paid, clock):
    person(booth, "Sue", "supervisor")
    person(booth, "Art", "attendant")
    app = make_app(mode="payment", role="attendant")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        await approve(pilot, "Sue")
        assert isinstance(app.screen, RefundDialog)
        approved = app.screen.acting
        await pilot.press("enter")  # the payment
        await settle(app, pilot)
        clock.advance(minutes=5)
        app.session.check_idle()
        await settle(app, pilot)
        await pilot.press("shift+tab", "ctrl+u", *"Art", "enter", *TEST_PIN, "enter")  # relief
        await settle(app, pilot)
        assert isinstance(app.screen, RefundDialog) and app.services.actor.name == "Art"
        await pilot.press("1", "enter")  # Art confirms: Sue approved it for someone else
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog)
        assert not AuditLog.select().where(AuditLog.action == "refund").exists()
        with pytest.raises(BoothError) as refused:  # nor can the services be made to use it
            app.services.call(lambda b: b.refund(paid.payment_id, "duplicate_charge"), acting=approved)
        assert refused.value.code == ErrorCode.FORBIDDEN and "has changed since this was approved" in refused.value.message
        assert not AuditLog.select().where(AuditLog.action == "refund").exists()
