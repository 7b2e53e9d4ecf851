"""The line beside a form field: what is allowed, then what was wrong, or what the input became."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

KINDS = ("error", "ok", "warn", "needed")


class FieldHint(Static):
    """Shows `allowed` until told otherwise; `say(text, kind)` with kind in KINDS or '' (plain).

    Text is never read as markup: messages quote what the attendant typed.
    Updates repaint without a layout pass (the hint has a fixed size in the stylesheet), except
    for a text longer than that size holds: the hint then grows to show all of it (class -tall).
    """

    _fixed_lines = 0

    def __init__(self, allowed: str = "", **kwargs) -> None:
        kwargs.setdefault("classes", "field-hint")
        super().__init__(allowed, markup=False, **kwargs)
        self.allowed = allowed
        self.kind = ""
        self.text = allowed

    def say(self, text: str, kind: str = "") -> None:
        if kind and kind not in KINDS:
            raise ValueError(f"unknown hint kind {kind!r}; one of {', '.join(KINDS)}")
        for name in KINDS:
            self.set_class(name == kind, f"-{name}")
        self.kind, self.text = kind, text
        width, height = self.content_size
        grown = self.has_class("-tall")
        if not grown:
            self._fixed_lines = height  # the stylesheet's height, learnt while not grown
        tall = bool(width and self._fixed_lines) and len(Content(text).wrap(width)) > self._fixed_lines
        self.set_class(tall, "-tall")
        self.update(text, layout=tall or grown)

    def reset(self, allowed: str | None = None) -> None:
        if allowed is not None:
            self.allowed = allowed
        self.say(self.allowed)
