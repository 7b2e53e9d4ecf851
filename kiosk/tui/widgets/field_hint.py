"""The line beside a form field: what is allowed, then what was wrong, or what the input became."""

from __future__ import annotations

from textual.widgets import Static

KINDS = ("error", "ok", "warn", "needed")


class FieldHint(Static):
    """Shows `allowed` until told otherwise; `say(text, kind)` with kind in KINDS or '' (plain).

    Text is never read as markup: messages quote what the attendant typed.
    Updates repaint without a layout pass (the hint has a fixed size in the stylesheet).
    """

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
        self.update(text, layout=False)

    def reset(self, allowed: str | None = None) -> None:
        if allowed is not None:
            self.allowed = allowed
        self.say(self.allowed)
