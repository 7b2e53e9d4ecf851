"""What the terminal tests share: waiting for the app to settle, and reading the header."""

from __future__ import annotations

from kiosk.tui.widgets.booth_header import BoothHeader


async def settle(app, pilot, rounds: int = 3) -> None:
    """Let workers finish and their results land. A result may start the next read (free counts
    after a registration, the next spot read), so a few rounds."""
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()


def header(app) -> str:
    """The header as one line of text, runs of spaces squeezed."""
    return " ".join(str(app.screen.query_one(BoothHeader).render()).split())
