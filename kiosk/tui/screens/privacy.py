"""Privacy (F11 from Configuration, a manager in person): the proof of storage limitation, as
`kiosk --maintenance privacy` gives it (kiosk.maintenance.privacy_proof).

Read like the header's alerts: a thread worker calls maintenance on the app's target and database,
with the app's clock. Each place personal data is held is a bar of its oldest item's age against
its limit (LimitBar: green within, red past, the mark at the limit); expiry is drawn per day with a
Sparkline of the vehicles it anonymised. `r` reads it all again. Nothing here changes anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Label, Sparkline, Static

from ...booth import Permission, localtime
from ..widgets.limit_bar import LimitBar
from .base import KioskScreen

DAYS = 30  # the period of expiry runs drawn
BARRED = ("vehicles", "notes", "staff", "receipts", "backups")  # the stores with a limit, in this order
SHORT = {"vehicles": "Vehicles", "notes": "Stay notes", "staff": "Staff (disabled)", "receipts": "Receipt files",
         "backups": "Backups"}
KEYS = "[b]r[/b] read again  [b]↑↓ PgUp PgDn[/b] scroll  [b]Esc[/b] back  ·  expiry days in UTC"


def age_text(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "—"
    hours = delta / dt.timedelta(hours=1)
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def store_figures(store, now: dt.datetime) -> str:
    """'2.0 d / 24.0 h · 4 · 3 OVER · 1 held': the oldest's age against the limit, how many hold
    personal data, how many of them are past the limit, how many more a legal hold keeps."""
    if not store.count and not store.held:
        return f"none (limit {age_text(store.limit)})"
    text = f"{age_text(store.age(now))} / {age_text(store.limit)} · {store.count}"
    if store.over:
        text += f" · {store.over} OVER"
    if store.held:
        text += f" · {store.held} held"
    return text


class PrivacyScreen(KioskScreen):
    TITLE = "Privacy"
    BINDINGS = [
        Binding("escape", "back", "Back", id="privacy.back"),
        Binding("r", "refresh", "Read again", show=False, id="privacy.refresh"),  # on the keys line
    ]

    @dataclass
    class Loaded(Message):
        proof: object  # kiosk.maintenance.privacy_proof.Proof

    @dataclass
    class Unavailable(Message):
        why: str

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="privacy-body"):
            yield Static("reading…", id="privacy-retention")
            yield Label("Oldest personal data, against its limit", classes="config-section")
            for name in BARRED:
                with Horizontal(classes="privacy-store", id=f"privacy-{name}"):
                    yield Label(SHORT[name], classes="privacy-store-name")
                    yield LimitBar()
                    yield Label("", classes="privacy-store-figures")
            yield Static("", id="privacy-audit")
            yield Label(f"Expiry, last {DAYS} days", classes="config-section", id="privacy-expiry-title")
            yield Sparkline([], summary_function=max, id="privacy-expiry")
            yield Static("", id="privacy-expiry-days")
            yield Label("Retention history", classes="config-section")
            yield DataTable(id="privacy-history", show_cursor=False, zebra_stripes=True)
            yield Label("Legal holds", classes="config-section", id="privacy-holds-title")
            yield DataTable(id="privacy-holds", show_cursor=False, zebra_stripes=True)
            yield Label("Requests", classes="config-section", id="privacy-requests-title")
            yield DataTable(id="privacy-requests", show_cursor=False, zebra_stripes=True)
            yield Label("Findings", classes="config-section")
            yield Static("", id="privacy-findings")
        yield Static(KEYS, id="privacy-keys")

    def on_mount(self) -> None:
        for table_id, columns in (("#privacy-history", (("when", 18), ("setting", 20), ("change", 14), ("by", 22))),
                                  ("#privacy-holds", (("hold", 6), ("on", 18), ("reason", 16), ("review", 12), ("", 12))),
                                  ("#privacy-requests", (("reference", 16), ("kind", 13), ("received", 11),
                                                         ("due", 11), ("", 16)))):
            table = self.query_one(table_id, DataTable)
            table.can_focus = False  # the page scrolls as one
            for label, width in columns:
                table.add_column(label, width=width)
        self.query_one("#privacy-body").focus()
        self.action_refresh()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        role = self.app.session.needs(Permission.PRIVACY)
        if role is not None:  # reached some other way than Configuration's key: still a manager's only
            self.post_message(self.Unavailable(f"The privacy proof is for {role.label} signed in."))
            return
        if self.app.target is None or self.app.database is None:
            self.post_message(self.Unavailable("No database is connected: there is nothing to prove."))
            return
        self.query_one("#privacy-retention", Static).update("reading…")
        self.load()

    @work(thread=True, exit_on_error=False, exclusive=True, group="privacy-load", description="reading the privacy proof")
    def load(self) -> None:
        from ...maintenance import privacy_proof

        app = self.app
        with app.database.connection_context():
            proof = privacy_proof.collect(app.target, app.database, clock=app.clock, days=DAYS)
        self.post_message(self.Loaded(proof))

    @on(Unavailable)
    def _unavailable(self, event: Unavailable) -> None:
        self.query_one("#privacy-retention", Static).update(event.why)

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        p = event.proof
        s = p.settings
        self.query_one("#privacy-retention", Static).update(
            f"Retention: personal data [b]{s.retention_hours} h[/b] after a stay · disabled staff "
            f"[b]{s.staff_retention_days} days[/b] · backups the retention + [b]{s.backup_window_days} days[/b]")
        for name in BARRED:
            self._show_store(name, p.store(name), p.now)
        self._show_audit(p)
        self._show_expiry(p)
        self._show_history(p)
        self._show_holds(p)
        self._show_requests(p)
        findings = self.query_one("#privacy-findings", Static)
        findings.update("\n".join(f"[b]{f.level}[/b] {f.message}" for f in p.findings) or "none: nothing to act on")
        findings.set_class(any(f.level in ("error", "warning") for f in p.findings), "-findings")

    def _show_store(self, name: str, store, now: dt.datetime) -> None:
        row = self.query_one(f"#privacy-{name}", Horizontal)
        row.display = store is not None  # backups: only where this machine writes them
        if store is None:
            return
        age = store.age(now)
        row.query_one(LimitBar).show(0.0 if age is None else age.total_seconds(), store.limit.total_seconds())
        row.query_one(".privacy-store-figures", Label).update(store_figures(store, now))
        row.set_class(bool(store.over), "-over")

    def _show_audit(self, p) -> None:
        parts = []
        for name in ("audit_logs", "audit_logs_archive"):
            st = p.store(name)
            oldest = f", oldest {localtime.day_hm(st.oldest_at, self.app.zone)}" if st.oldest_at else ""
            flagged = f", [b]{len(st.flagged)} value(s) read as personal data[/b]" if st.flagged else ""
            parts.append(f"{st.label}: {st.count} rows{oldest}{flagged}")
        self.query_one("#privacy-audit", Static).update("; ".join(parts) + " — ids and codes only")

    def _show_expiry(self, p) -> None:
        days = p.expiry
        runs, rows = sum(d.runs for d in days), sum(d.rows for d in days)
        held, failed = sum(d.held for d in days), sum(d.failed for d in days)
        self.query_one("#privacy-expiry-title", Label).update(
            f"Expiry, last {p.days} days: {runs} runs · {rows} anonymised · {held} held back · {failed} failed")
        self.query_one("#privacy-expiry", Sparkline).data = [d.rows for d in days]
        first, last = days[0].day, days[-1].day
        peak = max((d.rows for d in days), default=0)
        self.query_one("#privacy-expiry-days", Static).update(
            f"{first:%d %b} … {last:%d %b} · most in a day {peak}"
            + (f" · failed on {', '.join(f'{d.day:%d %b}' for d in days if d.failed)}" if failed else ""))

    def _show_history(self, p) -> None:
        table = self.query_one("#privacy-history", DataTable)
        table.clear()
        for c in p.history:
            table.add_row(localtime.day_hm(c.at, self.app.zone), c.setting, f"{c.old} → {c.new}", c.by)
        if not p.history:
            table.add_row("—", "no change recorded", "", "")

    def _show_holds(self, p) -> None:
        past = sum(h.past_review for h in p.holds)
        self.query_one("#privacy-holds-title", Label).update(f"Legal holds: {len(p.holds)} in force, {past} past review")
        table = self.query_one("#privacy-holds", DataTable)
        table.clear()
        for h in p.holds:
            on = f"vehicle #{h.vehicle_id}" if h.vehicle_id is not None else f"staff #{h.staff_id}"
            table.add_row(f"#{h.id}", on, h.reason, h.until_on.isoformat() if h.until_on else "none",
                          "PAST REVIEW" if h.past_review else "")

    def _show_requests(self, p) -> None:
        states = [r.state for r in p.requests]
        self.query_one("#privacy-requests-title", Label).update(
            f"Requests: {len(states)} open, {states.count('due_soon')} due within a week, {states.count('overdue')} overdue")
        table = self.query_one("#privacy-requests", DataTable)
        table.clear()
        for r in p.requests:
            left = f"{-r.days_left} d OVERDUE" if r.days_left < 0 else f"{r.days_left} d left"
            table.add_row(r.reference, r.kind, r.received_on.isoformat(), r.due_on.isoformat(), left)
