"""A bar of an age against its limit: the part within the limit, the part past it, and a mark at the limit.

The scale is the larger of the two, so a bar past its limit shows by how much (the mark moves left)
and one within it shows how much room is left. Colours come from the theme (component classes).
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

LIMIT_MARK = "│"
FULL, EMPTY = "█", "░"


def cells(age: float, limit: float, width: int) -> tuple[int, int | None]:
    """(cells the age fills, the limit mark's column or None) for a bar `width` wide."""
    if width <= 0 or limit <= 0:
        return 0, None
    scale = max(age, limit)
    return round(age / scale * width), min(width - 1, round(limit / scale * width))


class LimitBar(Widget):
    COMPONENT_CLASSES = {"limit-bar--within", "limit-bar--over", "limit-bar--room", "limit-bar--mark"}
    DEFAULT_CSS = """
    LimitBar { height: 1; width: 1fr; }
    LimitBar > .limit-bar--within { color: $success; }
    LimitBar > .limit-bar--over { color: $error; }
    LimitBar > .limit-bar--room { color: $panel-lighten-2; }
    LimitBar > .limit-bar--mark { color: $warning; text-style: bold; }
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.age = 0.0
        self.limit = 0.0

    def show(self, age: float, limit: float) -> None:
        self.age, self.limit = max(0.0, age), limit
        self.refresh()

    def render(self) -> Text:
        width = self.size.width
        filled, mark = cells(self.age, self.limit, width)
        style = self.get_component_rich_style
        out = Text(no_wrap=True, overflow="crop")
        for col in range(width):
            if col == mark:
                out.append(LIMIT_MARK, style("limit-bar--mark"))
            elif col < filled:
                out.append(FULL, style("limit-bar--within" if mark is None or col < mark else "limit-bar--over"))
            else:
                out.append(EMPTY, style("limit-bar--room"))
        return out
