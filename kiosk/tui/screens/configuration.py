"""Configuration (F4): booth name, retention (with what the next expiry would remove), archive age,
phone region, time zone, backup window, terminal lock, staff data kept, the receipt printer (ctrl+g: a test
print), rates per vehicle type, the spots, (F6) the staff accounts, (F8) the reason codes and (F11) the privacy proof. kiosk.booth decides what is valid; this screen shows why a value is refused,
beside the field, and saves nothing while one is. Changing anything needs a manager, or a
manager's approval for that one change (kiosk.tui.screens.config_spots, which also holds the spots).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, Select, Static

from ...booth import Actor, BoothError, Config, Permission, Rate, check_setting as booth_check_setting, format_money, zone_name
from ..widgets.field_row import FieldRow
from ..widgets.spot_ranges import TypeSpots, by_type
from .config_printer import PRINTER_FIELDS, TEST_KEY, PrinterSection
from .config_spots import SpotsSection
from .rate_dialog import RateDialog

# setting (as Booth.update_config names it), label, what is allowed
SETTING_FIELDS = (
    ("booth_name", "Booth name", "1-40 characters, shown in the header"),
    ("retention_hours", "Retention (hours)", "1-8760: personal data kept after a stay"),
    ("archive_days", "Archive age (days)", "1-3650: then audit rows are archived"),
    ("phone_region", "Phone region", "2 letters (GB, IE…) for local numbers"),
    ("backup_window_days", "Backup window (days)", "0-365: backups kept past the retention"),
    ("time_zone", "Time zone", "e.g. Europe/London; empty: this machine's zone"),
    ("lock_minutes", "Lock after (min)", "1-120 minutes without a key, then the lock screen"),
    ("staff_retention_days", "Staff kept (days)", "1-3650: a disabled account's name, then only its id"),
    *PRINTER_FIELDS,  # shown in a section of their own (config_printer.py), saved with the others
)
PRINTER_NAMES = {field for field, _, _ in PRINTER_FIELDS}
WIDE = 120  # from this width the settings and the rates/spots sit side by side


def check_setting(field: str, value: str) -> tuple[object, str]:
    """(clean value, '') or (None, why it is refused) — the booth's own validators, no DB."""
    try:
        return booth_check_setting(field, value), ""
    except BoothError as exc:
        return None, exc.message


def _said(config: Config, field: str) -> object:
    """A setting as the saved-notice says it: the time zone by what it means ('' is the machine's)."""
    return config.zone_name if field == "time_zone" else getattr(config, field)


def stays(n: int) -> str:
    return f"{n:,} closed stay" + ("" if n == 1 else "s")


class ConfigurationScreen(PrinterSection, SpotsSection):
    TITLE = "Configuration"
    GATED = {"save": Permission.CONFIGURE, "edit_rate": Permission.CONFIGURE, "new_rate": Permission.CONFIGURE,
             "retype_spot": Permission.SPOTS, "remove_spot": Permission.SPOTS, "staff": Permission.STAFF,
             "privacy": Permission.PRIVACY}

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="config.save"),
        Binding("escape", "revert", "Revert", show=False, id="config.revert"),
        # Priority: the dialog opens as the key is read, so what is typed next goes into it.
        Binding("ctrl+r", "edit_rate", "Edit rate", show=False, priority=True, id="config.edit_rate"),
        Binding("ctrl+n", "new_rate", "New type", show=False, priority=True, id="config.new_rate"),
        Binding("ctrl+t", "retype_spot", "Retype spot", show=False, id="config.retype"),
        Binding("ctrl+b", "remove_spot", "Remove spot", show=False, id="config.remove"),
        Binding("f6", "staff", "Staff", key_display="F6", show=False, id="config.staff"),  # said in its section title
        Binding(TEST_KEY.lower(), "test_print", "Test print", key_display=TEST_KEY, show=False, id="config.test_print"),
        Binding("f8", "reasons", "Reasons", key_display="F8", show=False, id="config.reasons"),  # likewise (F7 is Shift)
        Binding("f11", "privacy", "Privacy", key_display="F11", show=False, id="config.privacy"),  # as F6, F8: no room at 80 columns
    ]

    @dataclass
    class Loaded(Message):
        config: Config
        spots: list[TypeSpots]
        preview: int

    @dataclass
    class Previewed(Message):
        hours: int
        count: int

    @dataclass
    class Saved(Message):
        config: Config
        changes: dict

    @dataclass
    class Refused(Message):
        field: str | None
        message: str

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._preview_timer: Timer | None = None

    # ---- layout -------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="config-body"):
            with Horizontal(id="config-columns"):
                with Vertical(id="config-left"):
                    yield Label("Settings", classes="config-section", id="config-first")
                    for field, label, hint in SETTING_FIELDS:
                        if field in PRINTER_NAMES:
                            continue
                        if field == "time_zone":  # which zone empty means here
                            hint = f"e.g. Europe/London; empty: {zone_name('')}"
                        yield FieldRow(field, label, hint, id=f"cfg-{field}", max_length=60, classes="setting")
                    yield Static("", id="config-preview")
                    yield from self.compose_printer()
                    yield Static("", id="config-status")
                with Vertical(id="config-right"):
                    yield Label("Rates per vehicle type   (Enter edit · ctrl+n new type)", classes="config-section")
                    yield DataTable(id="config-rates", cursor_type="row", show_cursor=True)
                    yield from self.compose_spots()
                    yield Label("Staff accounts   (F6: add, disable, rename, new PIN)", classes="config-section")
                    yield Label("Reason codes   (F8: add, relabel, retire)", classes="config-section")
                    yield Label("Privacy proof   (F11: retention, oldest data, expiry, holds, requests)",
                                classes="config-section")

    def on_mount(self) -> None:
        self.query_one("#config-rates", DataTable).add_columns("type", "rate / h", "min h", "grace", "daily cap", "lost ticket")
        if not self.app.services.connected:
            self._status("No database is connected: the configuration cannot be read or saved.")
            return
        self.row("booth_name").input.focus()
        self.load()

    def on_resize(self, event) -> None:
        self.query_one("#config-columns").set_class(event.size.width >= WIDE, "-wide")

    def row(self, field: str) -> FieldRow:
        return self.query_one(f"#cfg-{field}", FieldRow)

    def _status(self, text: str) -> None:
        status = self.query_one("#config-status", Static)
        status.update(text)
        status.display = bool(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "revert", "edit_rate", "new_rate", "retype_spot", "remove_spot"):
            return True if self.saved is not None else None  # greyed until the configuration is read
        return True

    # ---- reading ------------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, exclusive=True, group="config-load", description="reading the configuration")
    def load(self) -> None:
        def read(booth):
            config = booth.config()
            spots = by_type(booth.spot_states(), [r.vehicle_type for r in config.rates])
            return config, spots, booth.expiry_preview(config.retention_hours)

        config, spots, preview = self.app.services.call(read)
        self.post_message(self.Loaded(config, spots, preview))

    def on_configuration_screen_loaded(self, message: Loaded) -> None:
        self._show_config(message.config)
        self._show_spots(message.spots)
        self._show_preview(message.config.retention_hours, message.preview)

    def _show_config(self, config: Config) -> None:
        self.saved = config
        for field, _, _ in SETTING_FIELDS:
            row = self.row(field)
            row.value = str(getattr(config, field))
            row.clear_error()
        table = self.query_one("#config-rates", DataTable)
        keep = table.cursor_row
        table.clear()
        for r in config.rates:
            cap = "none" if r.daily_cap is None else format_money(r.daily_cap, config.currency_symbol)
            # No flat fee: a lost ticket of a plate not on record costs a day at the rate, capped.
            lost = "a day" if r.lost_ticket is None else format_money(r.lost_ticket, config.currency_symbol)
            table.add_row(r.vehicle_type, format_money(r.rate_per_hour, config.currency_symbol), str(r.minimum_hours),
                          f"{r.grace_minutes} min", cap, lost, key=r.vehicle_type)
        if config.rates:
            table.move_cursor(row=min(keep, len(config.rates) - 1))
        self._show_spot_types([r.vehicle_type for r in config.rates])
        self.check_printer_rows()  # the target's hint for the kind saved
        self.show_printer_state()
        self._status("")
        self.refresh_bindings()

    # ---- settings: checked as typed, retention previewed, saved together ---------------
    @on(Input.Changed, "FieldRow.setting Input")
    @on(Select.Changed, "SelectRow.setting Select")
    def _setting_changed(self, event: Input.Changed | Select.Changed) -> None:
        row = event.control.parent
        assert isinstance(row, FieldRow)
        if self.saved is None:  # not read yet (a Select says its first value as it mounts): nothing to check
            return
        value, error = check_setting(row.field, row.value)
        row.show_error(error) if error else row.clear_error()
        if row.field == "retention_hours":
            self._schedule_preview(value)
        if row.field in PRINTER_NAMES and not error:  # the target is read as the kind says
            self.check_printer_rows()
        self._show_pending()

    @on(Input.Submitted, "FieldRow.setting Input")
    def _setting_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def _changes(self) -> dict[str, object]:
        """Settings whose (cleaned) value differs from the saved one; refused ones are left out."""
        if self.saved is None:
            return {}
        out = {}
        for field, _, _ in SETTING_FIELDS:
            value, error = check_setting(field, self.row(field).value)
            if not error and value != getattr(self.saved, field):
                out[field] = value
        return out

    def _show_pending(self) -> None:
        refused = [r.label for r in self.query(FieldRow).filter(".setting") if r.error]
        pending = len(self._changes())
        if refused:
            self._status(f"Not saved: {', '.join(refused)} refused — fix it or press Esc to revert.")
        elif pending:
            self._status(f"{pending} unsaved change{'s' if pending > 1 else ''}: Enter or ctrl+s saves, Esc reverts.")
        else:
            self._status("")

    def _schedule_preview(self, hours: object) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        if hours is None:
            self.query_one("#config-preview", Static).update("Retention refused: no expiry preview.")
            return
        delay = self.app.typing_delay
        if delay <= 0:
            self.preview(hours)
            return
        self._preview_timer = self.set_timer(delay, partial(self.preview, hours))

    @work(thread=True, exit_on_error=False, exclusive=True, group="config-preview", description="counting what expiry would remove")
    def preview(self, hours: int) -> None:
        count = self.app.services.call(lambda booth: booth.expiry_preview(hours))
        self.post_message(self.Previewed(hours, count))

    def on_configuration_screen_previewed(self, message: Previewed) -> None:
        value, error = check_setting("retention_hours", self.row("retention_hours").value)
        if not error and value == message.hours:  # an answer for a value since changed is dropped
            self._show_preview(message.hours, message.count)

    def _show_preview(self, hours: int, count: int) -> None:
        saved = self.saved.retention_hours if self.saved else hours
        change = f"Retention {hours} h" if hours == saved else f"Retention {saved} h → {hours} h (not saved yet)"
        text = f"{change}. The next expiry run will remove personal data of {stays(count)}."
        self.query_one("#config-preview", Static).update(text)

    def action_save(self) -> None:
        if self.saved is None:
            return
        refused = [r for r in self.query(FieldRow).filter(".setting") if r.error]
        if refused:
            refused[0].input.focus()
            self.notify("Nothing was saved: a field is refused (see ✗ beside it).", severity="warning")
            return
        changes = self._changes()
        if not changes:
            self.notify("Nothing to save: no setting differs from the saved one.")
            return
        self._gated(Permission.CONFIGURE, lambda acting: self._save(changes, acting))

    @work(thread=True, exit_on_error=False, exclusive=True, group="config-save", description="saving the configuration")
    def _save(self, changes: dict, acting: Actor | None = None) -> None:
        def save(booth):
            config = booth.update_config(**changes)
            return config, booth.expiry_preview(config.retention_hours)

        try:
            config, preview = self.app.services.call(save, acting=acting)
        except BoothError as exc:
            self.post_message(self.Refused(exc.field, exc.message))
            return
        self.post_message(self.Saved(config, changes))
        self.post_message(self.Previewed(config.retention_hours, preview))

    def on_configuration_screen_saved(self, message: Saved) -> None:
        before = self.saved
        self._show_config(message.config)
        said = ", ".join(f"{label.lower()} {_said(before, f)} → {_said(message.config, f)}"
                         for f, label, _ in SETTING_FIELDS if f in message.changes)
        self.notify(f"Saved: {said}.", title="Configuration saved")
        if "booth_name" in message.changes and hasattr(self.app, "header_info"):
            from dataclasses import replace

            self.app.header_info = replace(self.app.header_info, booth_name=message.config.booth_name)
        if "time_zone" in message.changes and hasattr(self.app, "set_zone"):
            self.app.set_zone(message.config.zone)
        if "lock_minutes" in message.changes:  # this terminal's idle lock follows at once
            self.app.services.lock_minutes = message.config.lock_minutes
        if PRINTER_NAMES & set(message.changes) and hasattr(self.app, "printer_saved"):
            self.app.printer_saved(message.config)  # the next receipt goes to the new printer
            self.show_printer_state()

    def on_configuration_screen_refused(self, message: Refused) -> None:
        fields = {f for f, _, _ in SETTING_FIELDS}
        if message.field in fields:
            self.row(message.field).show_error(message.message)
            self.row(message.field).input.focus()
        self._status(f"Not saved: {message.message}")

    def action_revert(self) -> None:
        if self.saved is None:
            return
        dirty = bool(self._changes()) or any(r.error for r in self.query(FieldRow))
        self._show_config(self.saved)
        self._clear_spot_form()
        self._schedule_preview(self.saved.retention_hours)
        if dirty:
            self.notify("Reverted to the saved settings; nothing was changed.")

    # ---- rates ----------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#config-rates")
    def _rate_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_rate()

    def action_edit_rate(self) -> None:
        table = self.query_one("#config-rates", DataTable)
        if self.saved is None or not table.row_count:
            return
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        self._open_rate(self.saved.rate_for(key))

    def action_new_rate(self) -> None:
        if self.saved is not None:
            self._open_rate(None)

    def _open_rate(self, rate: Rate | None) -> None:
        symbol = self.saved.currency_symbol if self.saved else "£"
        self._gated(Permission.CONFIGURE, lambda acting: self.app.push_screen(
            RateDialog(self.app.services, rate, symbol, acting), self._rate_saved))

    def _rate_saved(self, rate: Rate | None) -> None:
        self.query_one("#config-rates", DataTable).focus()
        if rate is None:
            return
        symbol = self.saved.currency_symbol if self.saved else "£"
        self.notify(f"Rate for {rate.vehicle_type} saved: {format_money(rate.rate_per_hour, symbol)} per hour.",
                    title="Rate saved")
        self.load()

    # ---- staff (a screen of its own) --------------------------------------------------------
    def action_staff(self) -> None:
        if not self.app.services.connected:
            self.not_connected("Managing staff")
            return
        role = self.app.session.needs(Permission.STAFF)
        if role is not None:  # staff accounts are managed by a manager in person, not by approval
            self.notify(f"Managing staff accounts needs {role.label} signed in: F9 signs you out, then a manager "
                        "signs in.", title=f"Needs {role.label}", severity="warning")
            return
        from .staff import StaffScreen

        self.app.push_screen(StaffScreen())

    # ---- reason codes (a screen of its own; each change needs a manager) ----------------------
    def action_reasons(self) -> None:
        if not self.app.services.connected:
            self.not_connected("Editing the reason codes")
            return
        from .reason_codes import ReasonCodesScreen

        self.app.push_screen(ReasonCodesScreen(approval=self.approval))

    # ---- the proof of storage limitation (a screen of its own; a manager in person) -------------
    def action_privacy(self) -> None:
        role = self.app.session.needs(Permission.PRIVACY)
        if role is not None:  # what it shows is for a manager signed in, not by approval
            self.notify(f"The privacy proof needs {role.label} signed in: F9 signs you out, then a manager signs in.",
                        title=f"Needs {role.label}", severity="warning")
            return
        from .privacy import PrivacyScreen

        self.app.push_screen(PrivacyScreen())
