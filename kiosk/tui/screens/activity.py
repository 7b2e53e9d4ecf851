"""Activity (F5): the audit trail (newest first, filterable by action and by person, each row
naming who acted and who approved it), the background worker's last expiry and archive runs,
open alerts, and two charts: vehicles on site through today and takings per day. ctrl+r runs
expiry + archive now.

Who sees what is the booth's rule (Booth.recent_audit): a supervisor or manager sees everyone's
rows and can pick a person; an attendant sees only their own, and the person filter says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, ProgressBar, Select, Static

from ...booth import AUDIT_ACTIONS, AuditRow, Permission, RunReport, localtime, reason_label
from ...clock import parse_utc
from ..lifecycle_worker import LifecycleStatus, _every
from ..widgets.charts import OccupancyChart, RevenueChart
from .audit_row import AuditRowDialog
from .base import KioskScreen

AUDIT_LIMIT = 200
REVENUE_DAYS = 14
WIDE = 120  # from this width the charts sit in a column beside the audit trail


@dataclass
class ActivityData:
    audit: list[AuditRow]
    runs: list[RunReport]
    occupancy: list[tuple[int, int]]
    revenue: list[tuple[dt.date, str, Decimal]]
    overstays: int
    today: dt.date
    symbol: str = "£"
    zone: dt.tzinfo = localtime.UTC
    action: str = ""
    actions_seen: list[str] = field(default_factory=list)
    staff_id: int | None = None  # the person filtered on; None: everyone the reader may see
    people: list[tuple[str, int]] = field(default_factory=list)  # (name, id) for the filter
    own_only: bool = False  # the reader sees only their own rows (an attendant)


# Who made a row that no person made, by its origin (kiosk.booth.actors.Origin).
ORIGIN_WHO = {"headless": "maintenance", "worker": "worker", "before_sign_in": "—", "terminal": "—"}


def who_text(row: AuditRow) -> str:
    """'Ann', or 'Ann (Bob)' when Bob approved it; the origin for rows no person made."""
    who = row.staff_name or ORIGIN_WHO.get(row.origin, row.origin)
    return f"{who} ({row.approver_name})" if row.approver_name else who


# The kind of reason code each audited action takes: the same code may read differently per kind
# (wrong_vehicle: "charged the wrong vehicle" for a refund, "wrong vehicle" for a void).
REASON_KINDS = {"refund": "refund", "departed": "departed", "void": "void", "fee_override": "override",
                "free_exit": "override", "lost_ticket": "lost_ticket", "shift_signoff": "variance"}


def details_text(row: AuditRow, zone: dt.tzinfo = localtime.UTC) -> str:
    """'count=6, cutoff=…' (the cutoff, stored as UTC text, in local time); a config change reads
    'retention_hours 24→36'; a reason code its label."""
    return ", ".join(detail_parts(row, zone))


def detail_parts(row: AuditRow, zone: dt.tzinfo = localtime.UTC) -> list[str]:
    """The details one by one, as details_text joins them (the row's detail view lists them)."""
    parts = []
    if row.approver_name:
        parts.append(f"approved by {row.approver_name}")
    for key, value in sorted(row.details.items()):
        if key == "booth":
            continue  # it has its own column
        if key == "reason":  # a code: shown as its label
            kind = REASON_KINDS.get(row.action) or row.details.get("kind")  # a cash movement: drop or payout
            parts.append(f"reason: {reason_label(None, value, kind)}")
        elif key == "changes" and isinstance(value, dict):
            parts += [f"{k} {v[0]}→{v[1]}" if isinstance(v, list) and len(v) == 2 else f"{k}={v}"
                      for k, v in sorted(value.items())]
        elif key == "cutoff" and isinstance(value, str):
            parts.append(f"cutoff={_local_stamp(value, zone)}")
        else:
            parts.append(f"{key}={value}")
    return parts


def _local_stamp(text: str, zone: dt.tzinfo) -> str:
    try:
        return localtime.stamp(parse_utc(text), zone, seconds=True)
    except ValueError:
        return text  # not a time (a hand-written row): as it was written


def audit_when(moment: dt.datetime, zone: dt.tzinfo) -> str:
    """'11-24 13:32:05' local; the zone added on the night the clocks go back ('10-25 01:30:00 GMT')."""
    wall = localtime.local(moment, zone)
    return f"{wall:%m-%d} {localtime.hm(wall, zone, seconds=True)}"


def run_line(label: str, run: RunReport | None, today: dt.date | None = None, zone: dt.tzinfo = localtime.UTC) -> str:
    if run is None:
        return f"{label:<13} no run yet"
    wall = localtime.local(run.finished_at, zone)
    when = localtime.hm(wall, zone) if today == wall.date() else f"{wall:%m-%d} {localtime.hm(wall, zone)}"
    batches = f"{run.batches} batch" + ("" if run.batches == 1 else "es")
    text = f"{label:<13} {when} {run.status} · {run.rows:,} rows in {batches} · {run.duration_ms:,} ms"
    if run.longest_tx_ms:
        text += f" (lock ≤{run.longest_tx_ms:,} ms)"
    if run.held:
        text += f" · {run.held:,} held"
    if run.message and run.status != "done":
        text += f"\n{'':<13} {run.message}"
    return text


class ActivityScreen(KioskScreen):
    TITLE = "Activity"

    BINDINGS = [
        Binding("ctrl+r", "run_expiry", "Expire now", id="activity.run"),
        Binding("ctrl+f", "filter", "Filter", show=False, id="activity.filter"),
        Binding("ctrl+l", "reload", "Refresh", show=False, id="activity.reload"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="activity.clear"),
    ]

    @dataclass
    class Loaded(Message):
        data: ActivityData

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.data: ActivityData | None = None
        self._runs_seen = -1
        self._people: list[tuple[str, int]] | None = None  # the person filter's options as last set

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="activity-bar"):
            yield Label("Action", classes="bar-label")
            options = [(a, a) for a in AUDIT_ACTIONS]
            yield Select(options, prompt="all actions", id="activity-filter", compact=True)
            yield Label("Person", classes="bar-label")
            yield Select([], prompt="everyone", id="activity-person", compact=True)
            yield Static("", id="activity-count")
        with Horizontal(id="activity-main"):
            with Vertical(id="activity-left"):
                yield DataTable(id="activity-audit", cursor_type="row", zebra_stripes=True)
                with Vertical(id="activity-runs"):
                    yield Static("", id="activity-runs-text")
                    yield ProgressBar(id="activity-progress", show_eta=False)
                    yield Static("", id="activity-alerts-text")
            with Vertical(id="activity-charts"):
                yield OccupancyChart(id="activity-occupancy")
                yield RevenueChart(id="activity-revenue")

    def on_mount(self) -> None:
        table = self.query_one("#activity-audit", DataTable)
        # Fixed widths: the layout does not jump as rows arrive (auto widths settle only on idle).
        for label, width in (("when", 18), ("action", 11), ("who (approver)", 16), ("booth", 10), ("what", 14),
                             ("details (Enter: all)", 80)):
            table.add_column(label, width=width)
        self.watch(self.app, "header_info", lambda _info: self._show_status(), init=False)
        if hasattr(self.app, "lifecycle"):
            self.app.lifecycle.changed.subscribe(self, self._lifecycle_changed)
        self._show_status()
        table.focus()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def on_resize(self, event) -> None:
        self.query_one("#activity-main").set_class(event.size.width >= WIDE, "-wide")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run_expiry":  # kept enabled during a run: pressing it then says a run is under way
            return True if self.app.services.connected else None
        return True

    # ---- reading --------------------------------------------------------------------------
    def action_reload(self) -> None:
        if not self.app.services.connected:
            self.query_one("#activity-count", Static).update("no database connected")
            return
        select = self.query_one("#activity-filter", Select)
        person = self.query_one("#activity-person", Select)
        self.load("" if select.is_blank() else str(select.value), None if person.is_blank() else int(person.value))

    @work(thread=True, exit_on_error=False, exclusive=True, group="activity-load", description="reading the activity")
    def load(self, action: str, staff_id: int | None = None) -> None:
        def read(booth) -> ActivityData:
            config = booth.config()
            today = localtime.today(booth.clock.now(), config.zone)
            everyone = booth.may(Permission.VIEW_ALL_ACTIVITY)
            people = [(m.name, m.staff_id) for m in booth.staff_list()] if everyone else []
            return ActivityData(
                audit=booth.recent_audit(AUDIT_LIMIT, action or None, staff_id if everyone else None),
                runs=booth.last_runs(10),
                occupancy=booth.occupancy_through_day(today),
                revenue=booth.revenue_per_day(REVENUE_DAYS),
                overstays=len(booth.overstays()),
                today=today,
                symbol=config.currency_symbol,
                zone=config.zone,
                action=action,
                staff_id=staff_id if everyone else None,
                people=people,
                own_only=not everyone,
            )

        data = self.app.services.call(read)
        self.post_message(self.Loaded(data))

    def on_activity_screen_loaded(self, message: Loaded) -> None:
        data = self.data = message.data
        table = self.query_one("#activity-audit", DataTable)
        table.clear()
        for row in data.audit:
            table.add_row(audit_when(row.timestamp, data.zone), row.action, Text(who_text(row)),
                          str(row.details.get("booth", "")), f"{row.entity} {row.entity_id}",
                          details_text(row, data.zone), key=str(row.id))
        self._show_people(data)
        shown = f"{len(data.audit):,} entr{'y' if len(data.audit) == 1 else 'ies'}"
        limit = f" (newest {AUDIT_LIMIT})" if len(data.audit) == AUDIT_LIMIT else ""
        what = f"action {data.action}" if data.action else "all actions"
        whose = ", your own only" if data.own_only else ""
        self.query_one("#activity-count", Static).update(f"{shown}{limit}, {what}{whose}, newest first")

    def _show_people(self, data: ActivityData) -> None:
        """The person filter: everyone's names for a supervisor or manager; an attendant's is fixed."""
        person = self.query_one("#activity-person", Select)
        if data.own_only:
            me = self.app.services.actor
            person.set_options([(me.name, me.staff_id)] if me is not None and me.staff_id is not None else [])
            person.prompt = "your own"
            person.disabled = True
            return
        person.disabled = False
        person.prompt = "everyone"
        if data.people != self._people:
            self._people = list(data.people)
            chosen = data.staff_id
            with person.prevent(Select.Changed):
                person.set_options(data.people)
                if chosen is not None and any(i == chosen for _, i in data.people):
                    person.value = chosen
        self.query_one(OccupancyChart).show(data.occupancy, data.today)
        self.query_one(RevenueChart).show(data.revenue, data.today, REVENUE_DAYS, data.symbol)
        self._show_status()

    # ---- the worker's runs and the alerts ---------------------------------------------------
    def _lifecycle_changed(self, status: LifecycleStatus) -> None:
        if not status.running and status.runs != self._runs_seen and self._runs_seen >= 0:
            self.action_reload()  # a run just finished: its rows, runs and the audit trail changed
        self._runs_seen = status.runs
        self._show_status()
        self.refresh_bindings()

    def _show_status(self) -> None:
        status: LifecycleStatus | None = getattr(getattr(self.app, "lifecycle", None), "status", None)
        if self._runs_seen < 0 and status is not None:
            self._runs_seen = status.runs
        runs = self.data.runs if self.data else []
        last = {kind: next((r for r in runs if r.kind == kind), None) for kind in ("expire", "archive")}
        today, zone = (self.data.today, self.data.zone) if self.data else (None, self.app.zone)
        lines = [run_line("Last expiry", last["expire"], today, zone), run_line("Last archive", last["archive"], today, zone)]
        if status is not None:
            if status.running:
                lines.append(f"{'Worker':<13} {status.progress_text()}")
            elif status.interval is None:
                lines.append(f"{'Worker':<13} on demand only · ctrl+r runs expiry + archive now")
            else:
                due = f" · next {localtime.hm(status.next_at, zone)}" if status.next_at else ""
                lines.append(f"{'Worker':<13} every {_every(status.interval)}{due} · ctrl+r runs it now")
        self.query_one("#activity-runs-text", Static).update("\n".join(lines))
        bar = self.query_one("#activity-progress", ProgressBar)
        bar.display = bool(status and status.running)
        if status and status.running:
            bar.update(total=max(status.total, 1), progress=status.done)
        self.query_one("#activity-alerts-text", Static).update(self._alerts_text(status))

    def _alerts_text(self, status: LifecycleStatus | None) -> str:
        alerts = []
        header = getattr(getattr(self.app, "header_info", None), "alert", "")
        if header:
            alerts.append(header)
        if status is not None and status.error and status.error not in header:
            alerts.append(f"last run: {status.error}")
        if self.data and self.data.overstays:
            n = self.data.overstays
            alerts.append(f"{n} vehicle{'s' if n > 1 else ''} on site past the overstay limit (F2 shows where)")
        return "Alerts        " + ("\n              ".join(f"! {a}" for a in alerts) if alerts else "none")

    # ---- keys -------------------------------------------------------------------------------
    def action_run_expiry(self) -> None:
        if not self.app.services.connected:
            self.notify("No database is connected: nothing to expire.", severity="warning")
            return
        if not self.app.lifecycle.run_now("on demand"):
            self.notify("A run is already under way: its progress is shown here.", severity="warning")

    def action_filter(self) -> None:
        self.query_one("#activity-filter", Select).focus()

    def action_clear_filter(self) -> None:
        for select in self.query("#activity-bar Select").results(Select):
            if not select.is_blank() and not select.disabled:
                select.clear()
        self.query_one("#activity-audit", DataTable).focus()

    @on(DataTable.RowSelected, "#activity-audit")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """The whole row, whatever the width: the table cuts long details at its edge."""
        event.stop()
        row = next((r for r in (self.data.audit if self.data else []) if str(r.id) == event.row_key.value), None)
        if row is None:
            return
        table = event.data_table
        labels = [str(column.label) for column in table.columns.values()][:-1]
        cells = [str(cell) for cell in table.get_row(event.row_key)][:-1]
        self.app.push_screen(AuditRowDialog(list(zip(labels, cells)), detail_parts(row, self.data.zone)))

    @on(Select.Changed, "#activity-filter")
    def _filter_changed(self, event: Select.Changed) -> None:
        wanted = "" if event.select.is_blank() else str(event.value)
        if self.data is None or wanted != self.data.action:  # not the Changed a mounting Select posts
            self.action_reload()

    @on(Select.Changed, "#activity-person")
    def _person_changed(self, event: Select.Changed) -> None:
        wanted = None if event.select.is_blank() else int(event.value)
        if self.data is not None and not self.data.own_only and wanted != self.data.staff_id:
            self.action_reload()
