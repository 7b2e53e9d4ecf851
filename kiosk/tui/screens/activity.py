"""Activity (F5): the audit trail, the background worker's runs, open alerts. Layout and keys for now."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Static

from .base import KioskScreen


class ActivityScreen(KioskScreen):
    TITLE = "Activity"

    BINDINGS = [
        Binding("ctrl+f", "filter", "Filter", id="activity.filter"),
        Binding("ctrl+e", "run_expiry", "Run expiry", id="activity.run"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="activity-bar"):
            yield Label("Action", classes="field-label")
            yield Input(placeholder="all actions", id="activity-filter")
        yield DataTable(id="activity-audit", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="activity-lower"):
            with Vertical(id="activity-runs"):
                yield Label("Worker runs", classes="section-title")
                yield Static("no runs yet", id="activity-runs-text")
            with Vertical(id="activity-alerts"):
                yield Label("Alerts", classes="section-title")
                yield Static("", id="activity-alerts-text")

    def on_mount(self) -> None:
        self.query_one("#activity-audit", DataTable).add_columns("when (UTC)", "action", "entity", "id", "details")
        self.watch(self.app, "header_info", self._show_alert)
        self.query_one("#activity-audit", DataTable).focus()

    def _show_alert(self, info) -> None:
        self.query_one("#activity-alerts-text", Static).update(info.alert or "none")

    def action_filter(self) -> None:
        self.query_one("#activity-filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#activity-filter", Input).value = ""
        self.query_one("#activity-audit", DataTable).focus()

    def action_run_expiry(self) -> None:
        self.not_connected("The expiry and archive run")
