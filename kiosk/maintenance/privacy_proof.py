"""The proof of storage limitation: `kiosk --maintenance privacy` and the manager's Privacy screen.

One read-only pass over the database, the receipt files and the backups of this machine. It says
what the retention is and how it was set over time (who, when, from what to what), how old the
oldest personal data is in each place it can be, against the limit that applies there, what
expiry did per day over the period, and which legal holds and data-protection requests are
outstanding. Each place past its limit, each hold past its review date and each request near or
past its due date is a finding (kiosk.maintenance.privacy_alerts gives the same to `stats`, cron
and the terminal's header).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import peewee as pw

from ..clock import Clock, SystemClock, to_sqlite_text
from ..db import Target
from ..receipt_files import receipts_dir_for, scan, select_files
from . import privacy_facts as facts
from .findings import Finding
from .privacy_alerts import live_findings
from .retention import Limit, outliving, taken_at
from .site_backup import backup_tool_for

DEFAULT_DAYS = 30
MAX_DAYS = 366
_WARNINGS = ("error", "warning")


@dataclass(frozen=True)
class Proof:
    now: dt.datetime
    today: dt.date  # the site's date (requests and holds are dated in it)
    days: int
    settings: facts.Settings
    history: list[facts.RetentionChange]
    stores: list[facts.Store]
    expiry: list[facts.ExpiryDay]
    last_expiry: dict | None
    holds: list[facts.Hold]
    requests: list[facts.Request]
    findings: list[Finding] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0: nothing to act on; 4: findings (the proof itself was read)."""
        return 4 if any(f.level in _WARNINGS for f in self.findings) else 0

    def store(self, name: str) -> facts.Store | None:
        return next((s for s in self.stores if s.store == name), None)

    def to_json(self) -> dict:
        s = self.settings
        return {
            "generated_at": to_sqlite_text(self.now), "today": self.today.isoformat(), "days": self.days,
            "retention": {"retention_hours": s.retention_hours, "staff_retention_days": s.staff_retention_days,
                          "backup_window_days": s.backup_window_days,
                          "grace_hours": facts.GRACE / dt.timedelta(hours=1)},
            "retention_history": [c.to_json() for c in self.history],
            "stores": [st.to_json(self.now) for st in self.stores],
            "expiry": {"per_day": [d.to_json() for d in self.expiry],
                       "runs": sum(d.runs for d in self.expiry), "rows": sum(d.rows for d in self.expiry),
                       "held": sum(d.held for d in self.expiry), "failed": sum(d.failed for d in self.expiry),
                       "last_run": self.last_expiry},
            "holds": {"in_force": len(self.holds), "past_review": sum(h.past_review for h in self.holds),
                      "rows": [h.to_json() for h in self.holds]},
            "requests": {"open": len(self.requests),
                         "due_soon": sum(r.state == "due_soon" for r in self.requests),
                         "overdue": sum(r.state == "overdue" for r in self.requests),
                         "rows": [r.to_json() for r in self.requests]},
            "findings": [f.to_json() for f in self.findings],
            "exit_code": self.exit_code,
        }

    def lines(self) -> list[str]:
        """The proof as text, for the command (times in UTC, as every maintenance command prints them)."""
        s = self.settings
        out = [f"retention       personal data {s.retention_hours} h after a stay; disabled staff accounts "
               f"{s.staff_retention_days} days; backups the retention + {s.backup_window_days} days",
               "retention history (audit trail and archive, UTC)"]
        out += [f"  {to_sqlite_text(c.at)}  {c.setting} {c.old} -> {c.new}  by {c.by}" for c in self.history] or [
            "  no change recorded: the settings are as the kiosk was set up"]
        out.append("oldest personal data, against its limit")
        for st in self.stores:
            out.append("  " + store_line(st, self.now))
            out += [f"    {t} row {i}: '{k}' reads as a {what}" for t, i, k, what in st.flagged[:5]]
        runs, rows = sum(d.runs for d in self.expiry), sum(d.rows for d in self.expiry)
        out.append(f"expiry, last {self.days} days (UTC)  {runs} run(s), {rows} vehicle(s) anonymised, "
                   f"{sum(d.held for d in self.expiry)} held row(s) skipped, {sum(d.failed for d in self.expiry)} failed")
        out += [f"  {d.day}  {d.runs} run(s)  {d.rows} anonymised  {d.held} held  {d.failed} failed"
                for d in self.expiry if d.runs]
        out.append(f"legal holds     {len(self.holds)} in force, {sum(h.past_review for h in self.holds)} past review")
        out += [f"  hold #{h.id} on {hold_subject(h)}: {h.reason}, review "
                f"{h.until_on.isoformat() if h.until_on else 'none'}{'  PAST REVIEW' if h.past_review else ''}"
                for h in self.holds]
        out.append(f"requests        {len(self.requests)} open")
        out += [f"  {r.reference}  {r.kind}, received {r.received_on}, due {r.due_on} ({days_left_text(r.days_left)})"
                for r in self.requests]
        out.append("findings        " + ("none" if not self.findings else str(len(self.findings))))
        out += [f"  {f.level} {f.code}: {f.message}" for f in self.findings]
        return out


def hold_subject(h: facts.Hold) -> str:
    return f"vehicle #{h.vehicle_id}" if h.vehicle_id is not None else f"staff account #{h.staff_id}"


def days_left_text(n: int) -> str:
    if n < 0:
        return f"{-n} day(s) overdue"
    return "due today" if n == 0 else f"{n} day(s) left"


def age_text(age: dt.timedelta | None) -> str:
    if age is None:
        return "none"
    hours = age / dt.timedelta(hours=1)
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def store_line(st: facts.Store, now: dt.datetime) -> str:
    limit = "no limit: " + st.note if st.limit is None else f"limit {age_text(st.limit)}"
    state = ""
    if st.limit is not None:
        state = f"; {st.over} OVER the limit" if st.over else "; within the limit"
        state += f"; {st.held} kept by a legal hold" if st.held else ""
    return f"{st.label}: {st.count}, oldest {age_text(st.age(now))} ({limit}){state}"


def _receipts(database: pw.Database, target: Target, now: dt.datetime, s: facts.Settings) -> facts.Store:
    """Receipt files on this machine: due as their stay's data is (closed, entered before the cutoff)."""
    folder = receipts_dir_for(target)
    files = scan(folder)
    cutoff = now - dt.timedelta(hours=s.retention_hours) - facts.GRACE
    base = "s.status <> 'open' AND s.entry_timestamp < ?"
    c = (to_sqlite_text(cutoff),)
    over = select_files(database, folder, cutoff, f"{base} AND NOT {facts.HELD_VEHICLE.format(v='v.id')}", c)
    held = select_files(database, folder, cutoff, f"{base} AND {facts.HELD_VEHICLE.format(v='v.id')}", c)
    oldest = min((f.paid_at for f in files), default=None)
    return facts.Store("receipts", f"receipt files in {folder}", len(files), oldest,
                       dt.timedelta(hours=s.retention_hours), len(over), len(held), note="age from payment")


def _backups(target: Target, now: dt.datetime, s: facts.Settings) -> facts.Store | None:
    site = backup_tool_for(target)
    try:
        found = site.backups()
    except OSError:
        return None
    limit = Limit(s.retention_hours, s.backup_window_days)
    times = [t for p in found if (t := taken_at(p)) is not None]
    return facts.Store("backups", f"backups in {site.backups_dir()}", len(found), min(times, default=None),
                       limit.max_age, len(outliving(found, now, limit)),
                       note="a backup holds what the database held when taken; rotation deletes it")


def collect(target: Target, database: pw.Database, *, clock: Clock | None = None, days: int = DEFAULT_DAYS) -> Proof:
    """The proof now (read-only). `days`: the period of expiry runs shown, 1..MAX_DAYS."""
    now = (clock or SystemClock()).now()
    s = facts.settings(database)
    today = now.astimezone(s.zone).date()
    stores = facts.live_stores(database, now, s)
    stores.append(_receipts(database, target, now, s))
    backups = _backups(target, now, s)
    if backups is not None:
        stores.append(backups)
    plates = facts.plates_on_record(database)
    stores += [facts.audit_store(database, t, s.phone_region, plates) for t in ("audit_logs", "audit_logs_archive")]
    proof = Proof(now, today, days, s, facts.retention_history(database), stores,
                  facts.expiry_days(database, now, days), facts.last_expiry(database),
                  facts.holds_in_force(database, today), facts.open_requests(database, today))
    return replace(proof, findings=findings(proof))


def findings(p: Proof) -> list[Finding]:
    """The live database's findings (as the alerts say them), then the files' and the audit's."""
    live = [st for st in p.stores if st.store in facts.LIVE_STORES]
    out = [Finding(*f) for f in live_findings(live, p.holds, p.requests, p.last_expiry)]
    for st in p.stores:
        if st.over and st.store == "receipts":
            out.append(Finding("warning", "receipt_outlives_retention",
                               f"{st.over} receipt file(s) belong to stays past the retention: run "
                               "'kiosk --maintenance expire', which deletes them"))
        if st.over and st.store == "backups":
            out.append(Finding("warning", "backup_outlives_retention",
                               f"{st.over} backup(s) older than the retention + the backup window: take a backup "
                               "(its rotation deletes them) or delete them"))
        if st.flagged:
            out.append(Finding("warning", "audit_personal_data",
                               f"{len(st.flagged)} {st.label} row(s) hold a value that reads as personal data "
                               f"(e.g. row {st.flagged[0][1]}, '{st.flagged[0][2]}'): find out what wrote it"))
    order = ("error", "warning", "info")
    return sorted(out, key=lambda f: order.index(f.level))
