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


def burst(app, *keys: str) -> None:
    """Keys posted all at once, as a plate scanner, a paste or `tmux send-keys` deliver them: none
    waits for the one before it to be handled (pilot.press waits after each key)."""
    from textual import events

    chars = {"tab": "\t", "shift+tab": None, "space": " ", "enter": "\r"}
    for key in keys:
        char = chars.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, char))


def screen_text(app) -> str:
    """The screen as drawn (the top screen over any below it), one line per row: what the
    attendant can read. Nothing cut off by a widget's edge is in it."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())
