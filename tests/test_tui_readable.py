"""What the screens show at 80x24: every piece readable, and nothing written during development."""

from __future__ import annotations

import re

import pytest

from kiosk.tui.app import build_app
from kiosk.tui.services import booth_services
from test_tui_shell import make_app as make_shell_app
from tui_helpers import screen_text, settle

HOUR = 3600.0
PHONE = "07400 123456"
# Words of a build still being written, which an attendant must never read.
DEVELOPMENT = re.compile(r"pending|next step|todo|not yet|arrives in|placeholder|stub|booth layer|wip\b|fixme",
                         re.IGNORECASE)


@pytest.fixture
def make_app(booth, target, database, clock, tmp_path):
    def make(mode="entry"):
        services = booth_services(booth, receipts_dir=tmp_path / "receipts", refresh_seconds=HOUR)
        return build_app(target, database, "1.5.0", services=services, clock=clock, mode=mode, freeze_gc=False)

    return make


def said(app) -> str:
    """The screen and every notification shown so far."""
    return screen_text(app) + "\n" + "\n".join(f"{n.title} {n.message}" for n in app._notifications)


def assert_no_development_text(text: str) -> None:
    found = [line for line in text.splitlines() if DEVELOPMENT.search(line)]
    assert not found, found


async def test_no_development_text_on_any_screen_with_or_without_a_database(make_app, booth):
    booth.register("CD3456", "Jane", PHONE, "car")
    for app in (make_app(), make_shell_app()):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            seen = [said(app)]
            await pilot.press(*"AB12CDE", "enter")  # the shell alone says it has no database
            await settle(app, pilot)
            seen.append(said(app))
            for keys in (["f2", "enter"], ["a", "0", "1", "enter"], ["f3"], ["enter"], ["f8"], ["escape", "f4"],
                         ["f5"], ["enter"], ["escape", "f10"]):
                await pilot.press(*keys)
                await settle(app, pilot)
                seen.append(said(app))
            for text in seen:
                assert_no_development_text(text)
