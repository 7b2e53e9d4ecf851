"""The booth terminal application (placeholder screen until the booth screens land)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

CSS_FILE = Path(__file__).resolve().parent.parent / "kiosk.tcss"


class KioskApp(App):
    CSS_PATH = CSS_FILE
    TITLE = "Car-park booth"
    BINDINGS = [Binding("f10", "quit", "Quit", id="quit")]

    def __init__(self, target, database, schema_version: str):
        super().__init__()
        self.target = target
        self.database = database
        self.schema_version = schema_version
        self.sub_title = f"schema {schema_version}"

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True)
        yield Static(f"Kiosk ready on {self.target.describe()} (schema {self.schema_version}).", id="welcome")
        yield Footer()


def build_app(target, database, schema_version: str) -> KioskApp:
    return KioskApp(target=target, database=database, schema_version=schema_version)
