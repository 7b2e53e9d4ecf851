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
    """Every line of the screen as drawn, joined by newlines: what the attendant can read."""
    from rich.console import Console

    console = Console(width=app.size.width, record=True, file=open("/dev/null", "w"), legacy_windows=False)
    for strip in app.screen._compositor.render_strips():
        console.print(strip.text if hasattr(strip, "text") else "".join(s.text for s in strip), soft_wrap=True)
    return console.export_text()
