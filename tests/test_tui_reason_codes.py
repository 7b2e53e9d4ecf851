"""Reason codes in the terminal (F4, then F8): per kind, add, relabel, retire and restore, each
field checked as typed; the booth's refusals beside the field; a manager's approval for anyone
else, used once; the dialogs offer what the list holds; snapshot at 80x24."""

from __future__ import annotations

import json

from textual.widgets import Checkbox, DataTable, Input, OptionList

from kiosk.models import AuditLog, ReasonCode
from kiosk.tui.screens.override import OverrideDialog
from kiosk.tui.screens.reason_codes import ReasonCodesScreen
from kiosk.tui.widgets.field_row import FieldRow
from staff_support import TEST_MANAGER, TEST_PIN, person
from tui_helpers import screen_text, settle


async def open_reasons(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press("f8")
    await settle(app, pilot)
    assert isinstance(app.screen, ReasonCodesScreen)


def table_rows(app) -> list[list[str]]:
    table = app.screen.query_one("#reasons-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def row(app, field: str) -> FieldRow:
    return app.screen.query_one(f"#reasons-{field}", FieldRow)


async def pick_kind(app, pilot, kind: str) -> None:
    kinds = app.screen.query_one("#reasons-kinds", OptionList)
    kinds.highlighted = [o.id for o in kinds.options].index(kind)
    await settle(app, pilot)
    app.screen.query_one(DataTable).focus()
    await pilot.pause()


def choose(app, code: str) -> None:
    table = app.screen.query_one("#reasons-table", DataTable)
    table.move_cursor(row=[r[0] for r in table_rows(app)].index(code))
    table.focus()


async def test_a_manager_adds_a_lost_ticket_code_which_the_booth_then_offers(make_app, booth):
    app = make_app(mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reasons(app, pilot)
        assert [r[0] for r in table_rows(app)][:2] == ["wrong_vehicle", "wrong_amount"]  # refund first
        await pick_kind(app, pilot, "lost_ticket")
        assert [r[0] for r in table_rows(app)] == ["no_ticket", "ticket_damaged", "unknown_entry"]
        await pilot.press("ctrl+n", *"Ticket_Eaten", "tab", *"ticket eaten by the machine", "enter")
        await settle(app, pilot)
        saved = ReasonCode.get(ReasonCode.code == "ticket_eaten")
        assert (saved.kind, saved.label, saved.note_allowed, saved.active) == (
            "lost_ticket", "ticket eaten by the machine", False, True)
        assert table_rows(app)[-1] == ["ticket_eaten", "ticket eaten by the machine", "", "active"]
        assert "ticket_eaten added to the lost ticket reasons" in screen_text(app)
        audit = AuditLog.get(AuditLog.action == "reason_code")
        assert json.loads(audit.details)["code"] == "ticket_eaten" and audit.staff_id == app.services.actor.staff_id
        assert row(app, "code").value == "" and app.focused is app.screen.query_one(DataTable)
    assert "ticket_eaten" in [c.code for c in booth.reason_codes("lost_ticket")]


async def test_relabel_with_a_note_then_retire_and_restore_a_shipped_code(make_app, booth):
    app = make_app(mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reasons(app, pilot)
        choose(app, "wrong_amount")
        await pilot.press("r")
        assert row(app, "code").value == "wrong_amount" and app.focused is row(app, "label").input
        row(app, "label").value = ""
        app.screen.query_one("#reasons-note", Checkbox).value = True
        await pilot.press(*"charged the wrong amount", "enter")
        await settle(app, pilot)
        choice = next(c for c in booth.reason_codes("refund") if c.code == "wrong_amount")
        assert (choice.label, choice.note_allowed) == ("charged the wrong amount", True)
        assert ["wrong_amount", "charged the wrong amount", "✎", "active"] in table_rows(app)

        choose(app, "goodwill")
        await pilot.press("x")
        await settle(app, pilot)
        assert "goodwill" not in [c.code for c in booth.reason_codes("refund")]
        assert ["goodwill", "goodwill gesture", "✎", "retired"] in table_rows(app)
        assert "goodwill retired: no longer offered" in screen_text(app)
        await pilot.press("x")  # the cursor stays on it: x restores
        await settle(app, pilot)
        assert "goodwill" in [c.code for c in booth.reason_codes("refund")]
        assert ReasonCode.select().where(ReasonCode.code == "goodwill").count() == 1  # one row, changed twice


async def test_bad_codes_and_labels_are_refused_beside_the_field_and_nothing_is_saved(make_app):
    app = make_app(mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reasons(app, pilot)
        await pilot.press("ctrl+n", *"no spaces!")
        assert row(app, "code").error and "a-z, 0-9 and _" in row(app, "code").error
        await pilot.press("tab", *"fine label", "enter")
        await settle(app, pilot)
        assert app.focused is row(app, "code").input and not ReasonCode.select().exists()
        code = app.screen.query_one("#reasons-code-input", Input)
        code.value = "x" * 33
        await pilot.pause()
        assert row(app, "code").error
        code.value = "ok_code"
        row(app, "label").value = ""
        await pilot.press("tab", "enter")  # an empty label: said, not saved
        await settle(app, pilot)
        assert "type the label" in row(app, "label").error and not ReasonCode.select().exists()
        row(app, "label").value = "bell\x07here"  # a control character
        await pilot.pause()
        assert row(app, "label").error
        assert not ReasonCode.select().exists() and not AuditLog.select().where(AuditLog.action == "reason_code").exists()


async def test_the_last_active_code_of_a_kind_cannot_be_retired(make_app):
    app = make_app(mode="config")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reasons(app, pilot)
        await pick_kind(app, pilot, "drop")
        choose(app, "safe_drop")
        await pilot.press("x")
        await settle(app, pilot)
        choose(app, "over_limit")
        await pilot.press("x")
        await settle(app, pilot)
        assert "last active drop reason" in screen_text(app)
        assert ["over_limit", "drawer over its limit", "", "active"] in table_rows(app)


async def test_a_supervisor_needs_a_manager_for_each_change(make_app, booth):
    manager = person(booth, TEST_MANAGER, "manager")
    app = make_app(mode="entry", role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f4")  # Configuration asks a manager first
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog)
        await pilot.press(*TEST_MANAGER, "enter", *TEST_PIN, "enter")
        await settle(app, pilot)
        await open_reasons(app, pilot)
        choose(app, "goodwill")
        await pilot.press("x")  # F4's approval serves this first change
        await settle(app, pilot)
        audit = AuditLog.get(AuditLog.action == "reason_code")
        assert (audit.staff_id, audit.approver_id) == (app.services.actor.staff_id, manager.staff_id)
        await pilot.press("x")  # the next change asks again
        await settle(app, pilot)
        assert isinstance(app.screen, OverrideDialog)
        await pilot.press("escape")
        await settle(app, pilot)
        assert ReasonCode.get(ReasonCode.code == "goodwill").active is False  # unchanged: nothing was done


def test_snapshot_reason_codes_80x24(snap_compare, make_app):
    async def opened(pilot):
        await open_reasons(pilot.app, pilot)
        for input_ in pilot.app.screen.query(Input):
            input_.cursor_blink = False
        choose(pilot.app, "other")
        await pilot.press("x", "r")
        await settle(pilot.app, pilot)

    assert snap_compare(make_app(mode="config"), terminal_size=(80, 24), run_before=opened)


async def test_the_refund_dialog_offers_the_sites_codes_and_a_tenth_by_arrows(make_app, booth, clock):
    booth.set_reason_code("refund", "goodwill", "goodwill gesture", True, active=False)
    for n in range(4):
        booth.set_reason_code("refund", f"site_{n}", f"site reason {n}", note_allowed=n == 3)
    stay = booth.register("AB12CDE", "Jane", "07400 123456", "car")
    clock.advance(hours=1)
    paid = booth.pay(stay.stay_id, "card")
    app = make_app(mode="payment")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f8")
        await settle(app, pilot)
        offered = [str(o.prompt) for o in app.screen.query_one("#refund-reasons", OptionList).options]
        assert "goodwill gesture" not in " ".join(offered)  # retired: not offered
        # The site's own after the shipped ones; a tenth has no number key
        assert offered[-4:] == ["7 site reason 0", "8 site reason 1", "9 site reason 2", "  site reason 3"]
        await pilot.press("enter")  # the payment
        await settle(app, pilot)
        reasons = app.screen.query_one("#refund-reasons", OptionList)
        assert app.focused is reasons
        await pilot.press("end", "enter", *"see ticket 12", "enter")  # the tenth, by the arrows' End
        await settle(app, pilot)
    audit = AuditLog.get(AuditLog.action == "refund")
    assert json.loads(audit.details)["reason"] == "site_3" and json.loads(audit.details)["refund_of"] == paid.payment_id
