"""Spot map (F2): the car park at a glance, every spot one cell."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from ..widgets.spot_cells import SpotCell
from ..widgets.spot_legend import SWATCH, SpotLegend
from ..widgets.spot_map import SpotMap
from .base import KioskScreen

HINT = "[dim]type a spot number to jump · Enter details · F3 pay a parked car · ctrl+r refresh now[/]"


def has_car(cell: SpotCell | None) -> bool:
    return cell is not None and cell.state != "free"


class SpotMapScreen(KioskScreen):
    TITLE = "Spot map"

    BINDINGS = [
        # Offered only on a spot with a car; on a free one F3 is the app's: the Payment screen.
        Binding("f3", "pay", "Pay", key_display="F3", id="map.pay"),
        Binding("ctrl+r", "refresh_now", "Refresh now", show=False, id="map.refresh"),
        Binding("escape", "clear_details", "Clear details", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="map-bar"):
            yield SpotLegend(id="map-legend")
            yield Static("", id="map-updated")
        yield SpotMap(self.app.spot_cells, status=self.show_status, id="map")
        yield Static("", id="map-status")
        yield Static(Content.from_markup(HINT), id="map-detail")


    def on_mount(self) -> None:
        spot_map = self.query_one(SpotMap)
        self.query_one(SpotLegend).show(spot_map.counts())
        spot_map.focus()
        self._drawn = self.app.spots_version  # the feed's version the map shows
        # Data goes down: the app reads the spots on a timer; this screen redraws what changed.
        self.watch(self.app, "spots_version", self._spots_changed, init=False)
        self.watch(self.app, "spots_checked", self._spots_checked, init=False)

    def _spots_changed(self, version: int) -> None:
        spot_map = self.query_one(SpotMap)
        changes = self.app.spot_changes
        if changes is not None and version == self._drawn + 1:
            spot_map.apply_changes(changes)  # only the rows of the spots that changed repaint
        else:
            spot_map.update_cells(self.app.spot_cells)
        self._drawn = version
        self.query_one(SpotLegend).show(spot_map.counts())

    def _spots_checked(self, _checks: int) -> None:
        self.query_one("#map-updated", Static).update(f"updated {self.app.spots_read_at}", layout=False)

    def show_status(self, cell: SpotCell | None, typed: str) -> None:
        """Called by the map before it repaints, so both change in the same frame."""
        if cell is None:
            text = Content.from_markup("[dim]No spots yet: add them on the Configuration screen (F4).[/]")
        else:
            text = Content.from_markup(
                f" [b]$spot[/b]  {SWATCH[cell.state]} {cell.state} [/]  [dim]$group[/]",
                spot=cell.spot_number,
                group=cell.group,
            )
            if typed:
                text += Content.from_markup("   [b $accent]go to: $typed▏[/]", typed=typed)
        self.query_one("#map-status", Static).update(text, layout=False)

    @on(SpotMap.Selected)
    def show_details(self, event: SpotMap.Selected) -> None:
        detail = self.query_one("#map-detail", Static)
        if self.app.services.spot_details is None:
            detail.update(
                Content.from_markup(" [b]$spot[/b] $state — no database connected: no details",
                                    spot=event.spot_number, state=event.cell.state),
                layout=False,
            )
            return
        detail.update(Content.from_markup(" [b]$spot[/b] [dim]reading…[/]", spot=event.spot_number), layout=False)
        self._load_details(event.spot_number)

    @work(thread=True, exit_on_error=False, exclusive=True, group="spot-details", description="reading the spot's details")
    def _load_details(self, spot_number: str) -> None:
        text = self.app.services.spot_details(spot_number)
        self.app.call_from_thread(self._show_details, spot_number, text)

    def _show_details(self, spot_number: str, text: str) -> None:
        cell = self.query_one(SpotMap).highlighted
        pay = "   [dim]F3 pay[/]" if has_car(cell) and cell.spot_number == spot_number else ""
        self.query_one("#map-detail", Static).update(
            Content.from_markup(f" [b]$spot[/b]  $text{pay}", spot=spot_number, text=text), layout=False
        )

    def action_clear_details(self) -> None:
        self.query_one("#map-detail", Static).update(Content.from_markup(HINT), layout=False)

    def action_pay(self) -> None:
        """The highlighted car's payment; on a free spot, the Payment screen as F3 opens it anywhere.
        One key whatever the spot: re-drawing the footer as the cursor crosses free and taken
        spots cost a frame (~80 ms) on those moves."""
        cell = self.query_one(SpotMap).highlighted
        self.app.open_payment(cell.spot_number if has_car(cell) else None)

    def action_refresh_now(self) -> None:
        self.app.refresh_spots_now()
