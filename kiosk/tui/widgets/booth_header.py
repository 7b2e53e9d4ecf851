"""The header line of every screen: booth, clock, who is signed in, free spots, schema, alert."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widget import Widget


@dataclass(frozen=True)
class HeaderInfo:
    """Everything the header shows; the app replaces it as a whole (one reactive)."""

    booth_name: str = "Booth"
    clock_text: str = "--:--"  # local time with its zone, e.g. "13:32 BST"
    free: int | None = None  # None: not known yet
    total: int | None = None
    schema_version: str = ""
    alert: str = ""
    staff: str = ""  # who is signed in and their role, e.g. "Ann (attendant)"; '' when nobody is


class BoothHeader(Widget):
    """Reads the app's `header_info` reactive; repaints itself, re-layouts only when the alert line comes or goes."""

    DEFAULT_CSS = """
    BoothHeader {
        height: 1;
        background: $primary-muted;
        color: $text;
        &.-alert { height: 2; }
    }
    """

    def __init__(self, screen_title: str = "", info: HeaderInfo | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.screen_title = screen_title
        self.info = info or HeaderInfo()

    def on_mount(self) -> None:
        if hasattr(self.app, "header_info"):
            self.watch(self.app, "header_info", self.show, init=True)

    def show(self, info: HeaderInfo) -> None:
        alert_changed = bool(info.alert) != bool(self.info.alert)
        self.info = info
        self.set_class(bool(info.alert), "-alert")
        self.refresh(layout=alert_changed)

    def render(self) -> Content:
        info = self.info
        width = self.size.width or 80
        left = f" {info.booth_name}"
        if self.screen_title:
            left += f" · {self.screen_title}"
        clock = info.clock_text
        spots = "—/— free" if info.free is None else f"{info.free:,}/{info.total:,} free"
        right = f"{spots} · v{info.schema_version} " if info.schema_version else f"{spots} "
        if info.staff:
            # Who is signed in comes first; the schema version gives way when the line is full.
            full = f"{info.staff} · {right}"
            right = full if len(left) + len(clock) + len(full) + 4 <= width else f"{info.staff} · {spots} "
        # Clock in the middle when there is room, else right after the name.
        pad_l = (width - len(clock)) // 2 - len(left)
        pad_r = width - len(left) - pad_l - len(clock) - len(right)
        if pad_l >= 2 and pad_r >= 2:
            line = Content.assemble((left, "bold"), " " * pad_l, clock, " " * pad_r, right)
        else:
            line = Content.assemble((left, "bold"), "  ", clock, "  ", right).truncate(width)
        if info.alert:
            alert = Content.from_markup("[bold $text on $error] ! [/] $alert", alert=info.alert)
            return Content("\n").join([line, alert.truncate(width)])
        return line
