"""The spot just given, in type large enough to read from across the booth (3 rows high).

pyfiglet's 'future' font: box-drawing glyphs like Textual's own Digits widget, but for every
letter a spot number can hold (Digits has only 0-9 and A-F). The font is loaded on first use,
off the UI thread when called from a worker.
"""

from __future__ import annotations

from functools import lru_cache

FONT = "future"
MAX_WIDTH = 60  # wider than this (a very long spot number) reads better as plain text


@lru_cache(maxsize=1)
def _figlet():
    import pyfiglet  # 20 ms to import: only when the first car is registered

    return pyfiglet.Figlet(font=FONT, width=1000)


@lru_cache(maxsize=256)
def big(text: str) -> str:
    """`text` as 3 rows of large letters, or `text` itself when the font cannot draw it."""
    try:
        rows = _figlet().renderText(text).split("\n")
    except Exception:  # noqa: BLE001 - a font problem must never cost a registration its banner
        return text
    rows = [r.rstrip() for r in rows]
    while rows and not rows[-1]:
        rows.pop()
    drawn = "\n".join(rows)
    if not drawn.strip() or max(len(r) for r in rows) > MAX_WIDTH:
        return text
    return drawn
