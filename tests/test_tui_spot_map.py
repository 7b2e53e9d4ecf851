"""The spot map widget on its own: 10,000 spots, keys, type-ahead, Enter, partial updates, reflow."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.app import App, ComposeResult

from kiosk.tui.demo import demo_cells
from kiosk.tui.widgets.spot_cells import SpotCell, SpotCounts, check_cells
from kiosk.tui.widgets.spot_map import SpotMap

N = 10_000


class MapHost(App):
    """Just the map, plus a record of what it tells the outside."""

    def __init__(self, cells):
        super().__init__()
        self.cells = cells
        self.selected: list[str] = []
        self.status: list[tuple[str | None, str]] = []

    def compose(self) -> ComposeResult:
        yield SpotMap(self.cells, status=lambda cell, typed: self.status.append((cell and cell.spot_number, typed)))

    def on_mount(self) -> None:
        self.query_one(SpotMap).focus()

    def on_spot_map_selected(self, event: SpotMap.Selected) -> None:
        self.selected.append(event.spot_number)


def spot(app) -> str:
    return app.query_one(SpotMap).highlighted.spot_number


def visible_text(spot_map: SpotMap) -> list[str]:
    return [spot_map.render_line(y).text for y in range(spot_map.scrollable_content_region.height)]


async def test_opens_10000_spots_grouped_with_headers_and_counts():
    app = MapHost(demo_cells(N))
    async with app.run_test(size=(80, 24)):
        spot_map = app.query_one(SpotMap)
        assert spot_map.counts() == SpotCounts.of(demo_cells(N))
        assert spot_map.counts().total == N
        lines = visible_text(spot_map)
        assert lines[0].startswith(" Zone A · car  ")
        assert "free ·" in lines[0] and "overstay" in lines[0]
        # 80 columns minus the scrollbar: 15 cells of "A001 " after the margin
        assert lines[1].split() == [f"A{i:03d}" for i in range(1, 16)]
        assert spot(app) == "A001"
        # one header per zone: 25 zones of 400 spots, 27 rows each
        assert spot_map.virtual_size.height == 25 * (1 + 27)


async def test_arrows_page_home_end_move_and_scroll():
    app = MapHost(demo_cells(N))
    async with app.run_test(size=(80, 24)) as pilot:
        spot_map = app.query_one(SpotMap)
        await pilot.press("right")
        assert spot(app) == "A002"
        await pilot.press("down")
        assert spot(app) == "A017"  # same column, next row of 15
        await pilot.press("left", "up")
        assert spot(app) == "A001"
        await pilot.press("up", "left")  # nothing above or before the first spot
        assert spot(app) == "A001"
        await pilot.press("pagedown")
        height = spot_map.scrollable_content_region.height
        assert spot(app) == f"A{1 + 15 * (height - 1):03d}"
        assert spot_map.scroll_offset.y > 0
        await pilot.press("end")
        assert spot(app) == demo_cells(N)[-1].spot_number
        assert spot_map.scroll_offset.y == spot_map.max_scroll_y
        assert demo_cells(N)[-1].spot_number in "".join(visible_text(spot_map))
        await pilot.press("pageup")
        assert spot_map.scroll_offset.y < spot_map.max_scroll_y
        await pilot.press("home")
        assert spot(app) == "A001"
        assert spot_map.scroll_offset.y == 0


async def test_down_from_a_zones_short_last_row_enters_the_next_zone():
    cells = demo_cells(40, zone_size=20)  # 20 per zone: rows of 15 + 5
    app = MapHost(cells)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right", "right", "down")  # A003 -> A018 (second row)
        assert spot(app) == "A018"
        await pilot.press("down")
        assert spot(app) == "B003"  # kept column 3 in the next zone, past its header
        await pilot.press("up", "up")
        assert spot(app) == "A003"


async def test_typing_a_spot_number_jumps_to_it():
    app = MapHost(demo_cells(N))
    async with app.run_test(size=(80, 24)) as pilot:
        spot_map = app.query_one(SpotMap)
        spot_map.monotonic = lambda: 1e8  # no pause between these keys, however slow the machine
        await pilot.press("A", "0", "7")
        assert spot(app) == "A007"
        spot_map.monotonic = lambda: 1e9  # a long pause: the next key starts a new number
        await pilot.press("k", "1", "2", "3")  # lower case works, and K123 is far down the map
        assert spot(app) == "K123"
        assert spot_map.scroll_offset.y > 0
        assert app.status[-1] == ("K123", "K123")  # the status line saw the typed text
        spot_map.monotonic = lambda: 2e9
        await pilot.press("b", "7")  # without the zeros
        assert spot(app) == "B007"
        spot_map.monotonic = lambda: 3e9
        await pilot.press("question_mark", "escape")
        assert spot(app) == "B007"  # '?' is no spot character: nothing happens
        await pilot.press("Z")  # no zone Z on this site (A-Y)
        assert spot(app) == "B007"
        assert spot_map.typed == ""


async def test_enter_posts_selected_and_status_follows_the_cursor():
    app = MapHost(demo_cells(N))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right", "right", "enter")
        await pilot.pause()
        assert app.selected == ["A003"]
        assert app.status[-1] == ("A003", "")


async def test_update_cells_recolours_one_cell_and_keeps_other_rows_cached():
    cells = demo_cells(N)
    app = MapHost(cells)
    async with app.run_test(size=(80, 24)) as pilot:
        spot_map = app.query_one(SpotMap)
        target = next(i for i in range(15, 30) if cells[i].state == "free")  # on line 2 (second row)
        label = cells[target].spot_number
        before = {y: spot_map.render_line(y) for y in range(10)}
        counts = spot_map.counts()

        changed = spot_map.update_cells([replace(c, state="overstay") if i == target else c for i, c in enumerate(cells)])
        await pilot.pause()

        assert changed == 1
        assert spot_map.counts() == SpotCounts(counts.free - 1, counts.occupied, counts.overstay + 1)
        after = {y: spot_map.render_line(y) for y in range(10)}
        overstay_bg = spot_map._get_styles()["overstay"].bgcolor
        segment = next(s for s in after[2] if s.text.startswith(label))
        assert segment.style.bgcolor == overstay_bg
        assert next(s for s in before[2] if s.text.startswith(label)).style.bgcolor != overstay_bg
        zone_a = SpotCounts.of(c for c in cells if c.group == "Zone A · car")
        assert f"{zone_a.free} free" in before[0].text
        assert f"{zone_a.free - 1} free" in after[0].text  # the zone header's counts changed
        assert f"{zone_a.overstay + 1} overstay" in after[0].text
        # rows without a changed spot kept their cached strip: nothing else was rebuilt
        assert all(after[y] is before[y] for y in range(10) if y not in (0, 2))


async def test_new_spot_list_keeps_cursor_on_the_same_spot():
    cells = demo_cells(100)
    app = MapHost(cells)
    async with app.run_test(size=(80, 24)) as pilot:
        spot_map = app.query_one(SpotMap)
        spot_map.highlight_spot("A050")
        spot_map.update_cells([SpotCell("A000", "Zone A · car", "free"), *cells])
        await pilot.pause()
        assert spot(app) == "A050"
        assert spot_map.counts().total == 101


async def test_map_reflows_to_the_width():
    app = MapHost(demo_cells(N))
    async with app.run_test(size=(80, 24)) as pilot:
        spot_map = app.query_one(SpotMap)
        await pilot.press("down")
        assert spot(app) == "A016"
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert visible_text(spot_map)[1].split()[-1] == "A031"  # (159 - 1) // 5 = 31 per row
        await pilot.press("home", "down")
        assert spot(app) == "A032"


def test_bad_cells_are_refused_with_what_is_allowed():
    with pytest.raises(ValueError, match="allowed: free, occupied, overstay"):
        check_cells([SpotCell("A01", "Zone A", "parked")])
    with pytest.raises(ValueError, match="listed twice"):
        check_cells([SpotCell("A01", "Zone A", "free"), SpotCell("A01", "Zone B", "free")])


async def test_empty_map_does_not_fail():
    app = MapHost([])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "end", "enter", "A")
        await pilot.pause()
        assert app.query_one(SpotMap).highlighted is None
        assert app.selected == []


async def test_apply_changes_repaints_only_the_rows_of_the_changed_spots():
    cells = demo_cells(N)
    app = MapHost(cells)
    async with app.run_test(size=(80, 24)) as pilot:
        spot_map = app.query_one(SpotMap)
        before = {y: spot_map.render_line(y) for y in range(10)}
        built = spot_map.lines_built
        target = next(c for c in cells[15:30] if c.state == "free")  # line 2
        counts = spot_map.counts()

        assert spot_map.apply_changes({target.spot_number: "occupied", cells[0].spot_number: cells[0].state}) == 1
        after = {y: spot_map.render_line(y) for y in range(10)}
        assert spot_map.lines_built == built + 2  # its row and its zone's header line
        assert all(after[y] is before[y] for y in range(10) if y not in (0, 2))
        assert spot_map.counts() == SpotCounts(counts.free - 1, counts.occupied + 1, counts.overstay)
        occupied_bg = spot_map._get_styles()["occupied"].bgcolor
        assert next(s for s in after[2] if target.spot_number in s.text).style.bgcolor == occupied_bg

        assert spot_map.apply_changes({target.spot_number: "occupied"}) == 0  # no state differs: nothing rebuilt
        spot_map.render_line(2)
        assert spot_map.lines_built == built + 2
        await pilot.pause()


async def test_apply_changes_refuses_unknown_spots_and_states_and_changes_nothing():
    cells = demo_cells(100)
    app = MapHost(cells)
    async with app.run_test(size=(80, 24)):
        spot_map = app.query_one(SpotMap)
        counts = spot_map.counts()
        with pytest.raises(ValueError, match="'Z999' is not on the map"):
            spot_map.apply_changes({"A002": "occupied", "Z999": "free"})
        with pytest.raises(ValueError, match="'parked'; allowed: free, occupied, overstay"):
            spot_map.apply_changes({"A002": "parked"})
        assert spot_map.counts() == counts
        assert spot_map.cells[1] == cells[1]


async def test_lines_come_from_the_cache_as_textual_would_draw_them_and_scrolling_back_rebuilds_nothing():
    app = MapHost(demo_cells(N))
    async with app.run_test(size=(80, 24)) as pilot:
        spot_map = app.query_one(SpotMap)
        crop = spot_map.size.region
        ours = spot_map.render_lines(crop)
        textuals = super(SpotMap, spot_map).render_lines(crop)  # Textual's own style-cache path
        assert [(s.text, list(s)) for s in ours] == [(s.text, list(s)) for s in textuals]
        assert all(a is b for a, b in zip(ours, spot_map.render_lines(crop)))  # the same Strips, every frame

        first = spot_map.lines_built
        for _ in range(30):
            await pilot.press("pagedown")
        await pilot.pause()
        built = spot_map.lines_built
        assert built - first > 30 * 20  # every page down drew a screenful of new lines
        for _ in range(30):
            await pilot.press("pageup")
        await pilot.pause()
        assert spot_map.scroll_offset.y == 0
        assert spot_map.lines_built - built <= 2 * 30  # back up: at most the cursor's old and new rows per key


async def test_a_map_with_padding_is_drawn_by_textuals_style_cache():
    class Padded(MapHost):
        CSS = "SpotMap { padding: 0 2; }"

    app = Padded(demo_cells(100))
    async with app.run_test(size=(80, 24)):
        spot_map = app.query_one(SpotMap)
        lines = spot_map.render_lines(spot_map.size.region)
        assert lines[1].text.startswith("   A001")  # two columns of padding, then the margin
