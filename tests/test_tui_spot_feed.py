"""The spot feed: what a poll of every spot hands the map (nothing, a few changed spots, or all),
on plain cells and on the booth's packed map_states, on both backends."""

from __future__ import annotations

import pytest

from kiosk.booth import Booth
from kiosk.tui.services import booth_services
from kiosk.tui.spot_feed import SpotFeed
from kiosk.tui.widgets.spot_cells import SpotCell, SpotCounts
from staff_support import as_manager

PHONE = "07400 123456"


def cells(*states: str) -> list[SpotCell]:
    return [SpotCell(f"A{i + 1:02d}", "Zone A · car", state) for i, state in enumerate(states)]


class Source:
    def __init__(self, data):
        self.data = list(data)

    def __call__(self):
        return list(self.data)


def test_first_read_is_everything_then_nothing_until_a_state_changes():
    source = Source(cells("free", "occupied", "free"))
    feed = SpotFeed.of_cells(source)

    first = feed.read()
    assert first.changed is None and first.serial == 1
    assert [c.spot_number for c in first.cells] == ["A01", "A02", "A03"]
    assert first.counts == SpotCounts(free=2, occupied=1)

    assert feed.read() is None  # nothing new: the UI is handed nothing at all

    source.data[2] = SpotCell("A03", "Zone A · car", "overstay")
    second = feed.read()
    assert second.changed == {"A03": "overstay"}  # only the spot that changed
    assert second.serial == 2
    assert [c.state for c in second.cells] == ["free", "occupied", "overstay"]
    assert [c.state for c in first.cells] == ["free", "occupied", "free"]  # an update is never changed afterwards
    assert second.counts == SpotCounts(free=1, occupied=1, overstay=1)
    assert feed.read() is None


def test_spots_added_or_regrouped_hand_over_the_whole_map():
    source = Source(cells("free", "free"))
    feed = SpotFeed.of_cells(source)
    feed.read()
    source.data.append(SpotCell("A03", "Zone A · car", "free"))
    grown = feed.read()
    assert grown.changed is None and len(grown.cells) == 3
    source.data[0] = SpotCell("A01", "Zone A · van", "free")  # retyped: another group
    assert feed.read().changed is None


def test_a_bad_state_is_refused_and_the_next_read_compares_with_the_last_good_one():
    source = Source(cells("free", "free"))
    feed = SpotFeed.of_cells(source)
    feed.read()
    source.data[1] = SpotCell("A02", "Zone A · car", "parked")
    with pytest.raises(ValueError, match="A02.*parked.*free, occupied, overstay"):
        feed.read()
    source.data[1] = SpotCell("A02", "Zone A · car", "occupied")
    assert feed.read().changed == {"A02": "occupied"}


def test_map_states_agree_with_spot_states(database, clock):
    booth = as_manager(Booth(database, clock))
    booth.register("AB12CDE", "Jane", PHONE, "car")  # A01, an overstay once the clock moves on
    clock.advance(hours=30)  # past the default 24 h retention
    booth.register("XY34ZZZ", "Jim", PHONE, "van")
    rows = booth.map_states().rows()
    assert rows == [(s.spot_number, s.vehicle_type, s.state) for s in booth.spot_states()]
    assert {r[2] for r in rows} == {"free", "occupied", "overstay"}


def test_the_booth_feed_reports_another_booths_car_and_the_overstay_it_becomes(database, clock):
    here = as_manager(Booth(database, clock))
    feed = booth_services(here).spot_feed()
    first = feed.read()
    assert first.counts.total == 40 and first.counts.free == 40
    assert feed.read() is None

    as_manager(Booth(database, clock, booth_name="Booth B")).register("AB12CDE", "Jane", PHONE, "car")  # another booth
    taken = feed.read()
    assert taken.changed == {"A01": "occupied"}
    assert next(c for c in taken.cells if c.spot_number == "A01").group == "Zone A · car"
    assert feed.read() is None

    clock.advance(hours=25)  # nothing written: the state changes with the time alone
    assert feed.read().changed == {"A01": "overstay"}

    here.add_spots("A41-A42", "car")
    added = feed.read()
    assert added.changed is None and added.counts.total == 42


def test_map_states_read_back_the_rows_they_were_made_of_and_refuse_a_bad_entry():
    from kiosk.booth import MapStates

    rows = [("A01", "car", "free"), ("A02", None, "occupied")]
    states = MapStates.of_rows(rows)
    assert states.rows() == rows and states == MapStates.of_rows(rows)
    assert [MapStates.row(e).spot_number for e in states.entries()] == ["A01", "A02"]
    assert MapStates().rows() == []
    with pytest.raises(ValueError, match="not number, type and state"):
        MapStates.row("A01")


def test_rows_read_from_map_states_share_one_string_per_type_and_state():
    """10,000 spots hold one "free" and one "car", not 10,000 copies of each (the map's memory)."""
    from kiosk.booth import MapStates

    states = MapStates.of_rows((f"A{i:03d}", "car", ("free", "occupied")[i % 2]) for i in range(100))
    rows = states.rows()
    assert len({id(r.state) for r in rows}) == 2
    assert len({id(r.vehicle_type) for r in rows}) == 1
    feed = SpotFeed(lambda: states, lambda rows: [SpotCell(n, vtype or "any", state) for n, vtype, state in rows])
    cells = feed.read().cells
    assert len({id(c.state) for c in cells}) == 2 and {c.state for c in cells} == {"free", "occupied"}
