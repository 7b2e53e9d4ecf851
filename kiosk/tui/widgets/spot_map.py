"""The spot map: every spot as one coloured cell, drawn by ONE Line-API widget.

Ten thousand widgets take seconds to open and ~100 ms per key;
one ScrollView that renders only the visible rows, from Strips cached until a
spot in them changes, opens in tens of milliseconds and moves in a few.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style as TextualStyle

from .spot_cells import STATES, SpotCell, SpotCounts, check_cells

MARGIN = 1  # blank column left of every line
GAP = 1  # column after each label, in the cell's colour
TYPE_AHEAD_SECONDS = 1.5  # a pause longer than this starts a new spot number

StatusCallback = Callable[[SpotCell | None, str], None]


@dataclass(slots=True)
class _Group:
    name: str
    start: int  # index of its first cell in the map's order
    end: int  # one past its last cell
    first_line: int = 0  # its header line in the current layout
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.end - self.start


def _width(text: str) -> int:
    """Terminal cells of a spot number: its length when ASCII, without filling rich's cache of
    widths with 10,000 numbers (~0.7 MB)."""
    return len(text) if text.isascii() and text.isprintable() else cell_len(text)


def _loose(spot: str) -> str:
    """'A007' and 'A7' both become 'A7', so a spot can be typed without its zeros."""
    return re.sub(r"(?<!\d)0+(?=\d)", "", spot.upper())


class SpotMap(ScrollView, can_focus=True):
    """Spots grouped by zone/type, one cell each, coloured by state.

    Data in: `update_cells(cells)` (everything), or `apply_changes({spot: state})`
    (a few spots, the usual refresh). Out: `Highlighted` as the cursor moves (and a
    status callback called synchronously first, so a status line repaints in the
    same frame as the map), `Selected` on Enter or a double click.
    """

    COMPONENT_CLASSES = {
        "spot-map--free",
        "spot-map--occupied",
        "spot-map--overstay",
        "spot-map--cursor",
        "spot-map--header",
        "spot-map--header-counts",
    }

    DEFAULT_CSS = """
    SpotMap {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        background: $surface;
        & > .spot-map--free { background: $success-muted; color: $text; }
        & > .spot-map--occupied { background: $panel-lighten-1; color: $text-muted; }
        & > .spot-map--overstay { background: $error; color: $text; text-style: bold; }
        & > .spot-map--cursor { text-style: bold reverse; }
        & > .spot-map--header { color: $accent; text-style: bold; }
        & > .spot-map--header-counts { color: $text-muted; }
    }
    """

    BINDINGS = [
        Binding("up", "move_rows(-1)", "Up", show=False),
        Binding("down", "move_rows(1)", "Down", show=False),
        Binding("left", "move(-1)", "Left", show=False),
        Binding("right", "move(1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First spot", show=False),
        Binding("end", "last", "Last spot", show=False),
        Binding("enter", "select", "Details", show=False, id="spot_map.select"),
    ]

    class Highlighted(Message):
        """The cursor is on another spot (or the spot under it changed state)."""

        def __init__(self, spot_map: SpotMap, cell: SpotCell) -> None:
            super().__init__()
            self.spot_map = spot_map
            self.cell = cell
            self.spot_number = cell.spot_number

        @property
        def control(self) -> SpotMap:
            return self.spot_map

    class Selected(Message):
        """Enter (or a double click) on a spot."""

        def __init__(self, spot_map: SpotMap, cell: SpotCell) -> None:
            super().__init__()
            self.spot_map = spot_map
            self.cell = cell
            self.spot_number = cell.spot_number

        @property
        def control(self) -> SpotMap:
            return self.spot_map

    def __init__(
        self,
        cells: Iterable[SpotCell] = (),
        *,
        status: StatusCallback | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._status = status
        self._cells: list[SpotCell] = []
        self._labels: list[str] = []
        self._label_w = 1
        self._groups: list[_Group] = []
        self._group_starts: list[int] = []
        self._group_lines: list[int] = []
        self._index: dict[str, int] = {}  # spot number -> its index in self._cells
        self._exact: dict[str, int] = {}
        self._loose: dict[str, int] = {}
        self._sorted: list[str] = []  # the numbers upper-cased, in order (prefix search)...
        self._sorted_at: list[int] = []  # ...and each one's index in self._cells
        self._counts = SpotCounts()
        self._cursor = 0
        self._want_col = 0  # column kept while moving up and down through short rows
        self._cols = 1
        self._width = 0
        self._strips: dict[int, Strip] = {}
        self._styles: dict[str, Style] | None = None
        self._plain: bool | None = None  # no border, padding, tint or opacity: lines are final as built
        self.lines_built = 0  # lines drawn from data (not from the cache) since mount; for tests
        self._typed = ""
        self._typed_at = 0.0
        self.monotonic: Callable[[], float] = time.monotonic  # replaceable in tests
        self._load(self._grouped(check_cells(cells)), keep=None)

    # ---- data -------------------------------------------------------------------
    def update_cells(self, cells: Iterable[SpotCell]) -> int:
        """Show new data; returns how many spots changed state.

        Same spots in the same groups: only rows holding a changed spot (and their
        group headers) are rebuilt and repainted. Otherwise the map is laid out
        again and the cursor stays on the same spot number if it still exists.
        """
        cells = self._grouped(check_cells(cells))
        old = self._cells
        same_layout = len(cells) == len(old) and all(
            a.spot_number == b.spot_number and a.group == b.group for a, b in zip(old, cells)
        )
        if not same_layout:
            keep = old[self._cursor].spot_number if old else None
            self._load(cells, keep=keep)
            self._relayout(force=True)
            self._notify_highlight()
            return len(cells)
        changed = [i for i, (a, b) in enumerate(zip(old, cells)) if a.state != b.state]
        if not changed:
            return 0
        self._cells = cells
        self._recoloured([(i, old[i].state) for i in changed])
        return len(changed)

    def apply_changes(self, changes: Mapping[str, str]) -> int:
        """New states for some spots (spot number -> state); returns how many changed.

        Only the rows holding them and their groups' header lines are rebuilt and repainted;
        nothing at all when no state differs. Spots added or removed need `update_cells`: a
        spot the map does not have is refused with ValueError, and nothing is changed.
        """
        moved = []
        for spot, state in changes.items():
            index = self._index.get(spot)
            if index is None:
                raise ValueError(f"spot {spot!r} is not on the map: pass every cell to update_cells when spots change")
            if state not in STATES:
                raise ValueError(f"spot {spot!r} has state {state!r}; allowed: {', '.join(STATES)}")
            if self._cells[index].state != state:
                moved.append((index, state))
        if not moved:
            return 0
        was = []
        for index, state in moved:
            cell = self._cells[index]
            was.append((index, cell.state))
            self._cells[index] = SpotCell(cell.spot_number, cell.group, state)
        self._recoloured(was)
        return len(moved)

    def _recoloured(self, was: list[tuple[int, str]]) -> None:
        """Cells at these indexes changed from the given states: recount, and repaint their rows."""
        cells = self._cells
        for i, old_state in was:
            group = self._group_of(i)
            group.counts[old_state] -= 1
            group.counts[cells[i].state] += 1
            for line in (group.first_line, self._line_of(i)):
                self._strips.pop(line, None)
                self.refresh_line(line)
        self._counts = SpotCounts(**{s: sum(g.counts[s] for g in self._groups) for s in STATES})
        if any(i == self._cursor for i, _ in was):
            self._notify_highlight()

    def counts(self) -> SpotCounts:
        """Free / occupied / overstay totals, for a legend or the header."""
        return self._counts

    @property
    def cells(self) -> list[SpotCell]:
        return self._cells

    @property
    def highlighted(self) -> SpotCell | None:
        return self._cells[self._cursor] if self._cells else None

    @property
    def typed(self) -> str:
        """The spot number typed so far (type-ahead), or ''."""
        return self._typed

    def set_status_callback(self, status: StatusCallback | None) -> None:
        """Called with (highlighted cell, typed text) before the map repaints."""
        self._status = status
        self._notify_highlight()

    def highlight_spot(self, spot_number: str) -> bool:
        index = self._exact.get(spot_number.upper())
        if index is None:
            return False
        self._move_to(index)
        return True

    def _grouped(self, cells: list[SpotCell]) -> list[SpotCell]:
        by_group: dict[str, list[SpotCell]] = {}
        for cell in cells:
            by_group.setdefault(cell.group, []).append(cell)
        if len(by_group) <= 1:
            return cells
        return [cell for members in by_group.values() for cell in members]

    def _load(self, cells: list[SpotCell], keep: str | None) -> None:
        self._cells = cells
        widths = [_width(c.spot_number) for c in cells]
        self._label_w = max(widths, default=1)
        # Each label carries its trailing gap, so a run of same-state tiles is one string.
        self._labels = [c.spot_number + " " * (self._label_w - w + GAP) for c, w in zip(cells, widths)]
        self._groups = []
        for i, cell in enumerate(cells):
            if not self._groups or self._groups[-1].name != cell.group:
                self._groups.append(_Group(cell.group, i, i, counts=dict.fromkeys(STATES, 0)))
            group = self._groups[-1]
            group.end = i + 1
            group.counts[cell.state] += 1
        self._group_starts = [g.start for g in self._groups]
        self._index = {c.spot_number: i for i, c in enumerate(cells)}
        # Per-spot tables, kept small at 10,000 spots: the number itself where upper-casing changes
        # nothing (the usual case), and then one dict for both exact look-ups.
        upper = []
        for c in cells:
            u = c.spot_number.upper()
            upper.append(c.spot_number if u == c.spot_number else u)
        same = all(u is c.spot_number for u, c in zip(upper, cells))
        self._exact = self._index if same else {u: i for i, u in enumerate(upper)}
        self._loose = {}
        for i, u in enumerate(upper):
            self._loose.setdefault(_loose(u), i)
        self._sorted_at = sorted(range(len(cells)), key=upper.__getitem__)
        self._sorted = [upper[i] for i in self._sorted_at]
        self._counts = SpotCounts(**{s: sum(g.counts[s] for g in self._groups) for s in STATES})
        index = self._exact.get(keep.upper()) if keep else None
        self._cursor = min(index if index is not None else self._cursor, max(len(cells) - 1, 0))
        self._strips.clear()

    # ---- layout -----------------------------------------------------------------
    def _content_width(self) -> int:
        return self.scrollable_content_region.width

    def _relayout(self, force: bool = False) -> None:
        width = self._content_width()
        if width <= 0:
            return
        cell_w = self._label_w + GAP
        cols = max(1, (width - MARGIN) // cell_w)
        if not force and cols == self._cols and width == self._width:
            return
        self._cols, self._width = cols, width
        line = 0
        for group in self._groups:
            group.first_line = line
            line += 1 + -(-group.size // cols)
        self._group_lines = [g.first_line for g in self._groups]
        self._strips.clear()
        self.virtual_size = Size(width, line)
        self._scroll_to_cursor()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def on_mount(self) -> None:
        self._relayout(force=True)
        self._notify_highlight()

    def _group_of(self, index: int) -> _Group:
        return self._groups[bisect_right(self._group_starts, index) - 1]

    def _line_of(self, index: int) -> int:
        group = self._group_of(index)
        return group.first_line + 1 + (index - group.start) // self._cols

    def _index_at(self, line: int, x: int) -> int | None:
        if not self._groups or line < 0:
            return None
        group = self._groups[bisect_right(self._group_lines, line) - 1]
        row = line - group.first_line - 1
        col = (x - MARGIN) // (self._label_w + GAP)
        if row < 0 or x < MARGIN or col >= self._cols:
            return None
        index = group.start + row * self._cols + col
        return index if index < group.end else None

    # ---- drawing ----------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._plain = None
        self._strips.clear()

    def _plain_box(self) -> bool:
        """True unless CSS gives the map something Textual's style cache must draw around each line."""
        if self._plain is None:
            st = self.styles
            self._plain = (
                tuple(st.gutter) == (0, 0, 0, 0)  # padding and border
                and not any(edge for edge, _ in st.outline)
                and st.tint.a == 0 and st.opacity == 1 and st.text_opacity == 1
                and not (st.has_rule("hatch") and st.hatch != "none")
                and self._border_title is None and self._border_subtitle is None
            )
        return self._plain

    def render_lines(self, crop: Region) -> list[Strip]:
        """Each visible line as the same Strip object every frame, until its spots change.

        Textual's style cache keys lines by their row on screen, so every scroll re-processed
        every visible line into new Strips, and its own per-Strip caches (line filters, the
        compositor's cuts, the terminal text) never held: a scroll cost as much as opening
        the map. The map's lines are final as built (no border, padding, tint or opacity;
        otherwise this falls back to Textual's way), so here they come from the per-line
        cache, and only lines never drawn before cost anything.
        """
        if not self._plain_box():
            return super().render_lines(crop)
        base_background, background = self.background_colors
        inner = TextualStyle(background=base_background + background).rich_style  # as Textual pads
        width = self.content_region.width
        filters = self.get_line_filters()
        strips = []
        for y in crop.line_range:
            strip = self.render_line(y).adjust_cell_length(width, inner)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)  # cached on the strip itself
            strips.append(strip)
        if crop.column_span != (0, self.size.width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def _get_styles(self) -> dict[str, Style]:
        # Looked up once: rich_style walks every ancestor, far too slow per line.
        if self._styles is None:
            base = self.rich_style
            cursor = self.get_component_rich_style("spot-map--cursor", partial=True)
            styles = {"base": base}
            for state in STATES:
                styles[state] = base + self.get_component_rich_style(f"spot-map--{state}")
                styles["cursor-" + state] = styles[state] + cursor
            styles["header"] = base + self.get_component_rich_style("spot-map--header")
            styles["header-counts"] = base + self.get_component_rich_style("spot-map--header-counts")
            self._styles = styles
        return self._styles

    def render_line(self, y: int) -> Strip:
        line = self.scroll_offset.y + y
        strip = self._strips.get(line)
        if strip is None:
            strip = self._strips[line] = self._build_line(line)
            self.lines_built += 1
        return strip

    def _build_line(self, line: int) -> Strip:
        styles = self._get_styles()
        width = self._width
        base = styles["base"]
        if not self._groups or line >= self.virtual_size.height:
            return Strip.blank(width, base)
        group = self._groups[bisect_right(self._group_lines, line) - 1]
        if line == group.first_line:
            c = group.counts
            counts = f"  {c['free']} free · {c['occupied']} occupied · {c['overstay']} overstay"
            segments = [Segment(" " * MARGIN + group.name, styles["header"]), Segment(counts, styles["header-counts"])]
            return Strip(segments).adjust_cell_length(width, base)
        start = group.start + (line - group.first_line - 1) * self._cols
        end = min(group.end, start + self._cols)
        cells, labels, cursor = self._cells, self._labels, self._cursor
        # A cell is a tile "A001 " in its state's colour, and neighbours of the same
        # state share one Segment: Textual's per-frame cost (styles, filters,
        # terminal output) grows with the number of segments, and scrolling repaints
        # every visible row. One segment per run instead of two per cell made
        # scrolling about twice as fast.
        segments = [Segment(" " * MARGIN, base)]
        run: list[str] = []
        run_style = None
        for i in range(start, end):
            state = cells[i].state
            style = styles["cursor-" + state if i == cursor else state]
            if style is not run_style and run:
                segments.append(Segment("".join(run), run_style))
                run = []
            run_style = style
            run.append(labels[i])
        if run:
            segments.append(Segment("".join(run), run_style))
        used = MARGIN + (end - start) * (self._label_w + GAP)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
            used = width
        strip = Strip(segments, used)
        return strip.crop(0, width) if used > width else strip

    # ---- moving -----------------------------------------------------------------
    def _move_to(self, index: int, *, keep_col: bool = False) -> None:
        if not self._cells:
            return
        index = max(0, min(len(self._cells) - 1, index))
        old = self._cursor
        self._cursor = index
        if not keep_col:
            self._want_col = (index - self._group_of(index).start) % self._cols
        if index != old:
            old_line, new_line = self._line_of(old), self._line_of(index)
            self._strips.pop(old_line, None)
            self._strips.pop(new_line, None)
            self._notify_highlight()  # status line first: it then paints in the same frame
            if not self._scroll_to_cursor():
                self.refresh_line(old_line)
                self.refresh_line(new_line)
        self.post_message(self.Highlighted(self, self._cells[index]))

    def _scroll_to_cursor(self) -> bool:
        """Scroll just enough to show the cursor (and its group header on a first row)."""
        if not self._cells or self._width == 0:
            return False
        line = self._line_of(self._cursor)
        group = self._group_of(self._cursor)
        top_wanted = group.first_line if line == group.first_line + 1 else line
        top, height = self.scroll_offset.y, max(1, self.scrollable_content_region.height)
        if top_wanted < top:
            new_top = top_wanted
        elif line >= top + height:
            new_top = line - height + 1
        else:
            return False
        self.scroll_to(y=new_top, animate=False)
        return True

    def _row_step(self, index: int, step: int) -> int:
        """The spot one row below (step=1) or above (-1), keeping the wanted column."""
        gi = bisect_right(self._group_starts, index) - 1
        group = self._groups[gi]
        row = (index - group.start) // self._cols
        last_row = (group.size - 1) // self._cols
        if step > 0:
            if row < last_row:
                return group.start + min((row + 1) * self._cols + self._want_col, group.size - 1)
            if gi + 1 == len(self._groups):
                return index
            nxt = self._groups[gi + 1]
            return nxt.start + min(self._want_col, nxt.size - 1)
        if row > 0:
            return group.start + (row - 1) * self._cols + self._want_col
        if gi == 0:
            return index
        prev = self._groups[gi - 1]
        prev_last_row = (prev.size - 1) // self._cols
        return prev.start + min(prev_last_row * self._cols + self._want_col, prev.size - 1)

    def action_move(self, delta: int) -> None:
        self._typed = ""
        self._move_to(self._cursor + delta)

    def action_move_rows(self, rows: int) -> None:
        self._typed = ""
        if not self._cells:
            return
        index = self._cursor
        for _ in range(abs(rows)):
            index = self._row_step(index, 1 if rows > 0 else -1)
        self._move_to(index, keep_col=True)

    def action_page(self, direction: int) -> None:
        """Move a screenful, the view with it: the cursor keeps its place on the screen."""
        if not self._cells:
            return
        on_screen = self._line_of(self._cursor) - self.scroll_offset.y
        self.action_move_rows(direction * max(1, self.scrollable_content_region.height - 1))
        top = max(0, min(self._line_of(self._cursor) - on_screen, self.max_scroll_y))
        if top != self.scroll_offset.y:
            self.scroll_to(y=top, animate=False)

    def action_first(self) -> None:
        self.action_move(-len(self._cells))

    def action_last(self) -> None:
        self.action_move(len(self._cells))

    def action_select(self) -> None:
        self._typed = ""
        if self._cells:
            self.post_message(self.Selected(self, self._cells[self._cursor]))

    # ---- typing a spot number -----------------------------------------------------
    def type_ahead(self, char: str) -> bool:
        """Add a typed character to the spot number and jump to the best match."""
        now = self.monotonic()
        fresh = now - self._typed_at > TYPE_AHEAD_SECONDS
        self._typed_at = now
        text = char.upper() if fresh else self._typed + char.upper()
        index = self._find(text)
        if index is None and len(text) > 1:
            text = char.upper()
            index = self._find(text)
        if index is None:
            self._typed = ""
            self.app.bell()
            self._notify_highlight()
            return False
        self._typed = text
        if index == self._cursor:
            self._notify_highlight()
        self._move_to(index)
        return True

    def _find(self, text: str) -> int | None:
        """Exact spot number, then the same without leading zeros, then the first prefix match."""
        if text in self._exact:
            return self._exact[text]
        if (index := self._loose.get(_loose(text))) is not None:
            return index
        at = bisect_left(self._sorted, text)
        if at < len(self._sorted) and self._sorted[at].startswith(text):
            return self._sorted_at[at]
        return None

    def on_key(self, event: events.Key) -> None:
        char = event.character
        if event.key in ("escape", "backspace") and self._typed:
            self._typed = "" if event.key == "escape" else self._typed[:-1]
            self._notify_highlight()
        elif char and len(char) == 1 and (char.isalnum() or char in "-_/."):
            self.type_ahead(char)
        else:
            return
        event.stop()
        event.prevent_default()

    def on_click(self, event: events.Click) -> None:
        index = self._index_at(event.y + self.scroll_offset.y, event.x)
        if index is None:
            return
        self.focus()
        self._move_to(index)
        if event.chain >= 2:
            self.action_select()

    def _notify_highlight(self) -> None:
        if self._status is not None:
            self._status(self.highlighted, self._typed)
