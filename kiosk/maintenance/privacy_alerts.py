"""Privacy alerts, for `stats`, cron and the terminal's header (kiosk.maintenance.alerts).

Cheap: indexed counts over the live database only (receipt files and backups have alerts of
their own in alerts.py). Nothing below schema 1.11.0, which has no holds or requests yet.
Each alert is (level, code, message); what to do about each is in docs/operations.md,
"Proof of storage limitation".
"""

from __future__ import annotations

import peewee as pw

from ..clock import Clock
from . import privacy_facts as facts
from .runs import has_table

Raised = tuple[str, str, str]  # level, code, message


def collect(database: pw.Database, clock: Clock) -> list[Raised]:
    if not has_table(database, "legal_holds"):
        return []
    now = clock.now()
    with database.atomic():  # one snapshot; on PostgreSQL a failure here does not spoil the caller's
        s = facts.settings(database)
        today = now.astimezone(s.zone).date()
        return live_findings(facts.live_stores(database, now, s), facts.holds_in_force(database, today),
                             facts.open_requests(database, today), facts.last_expiry(database))


def live_findings(stores: list[facts.Store], holds: list[facts.Hold], requests: list[facts.Request],
                  last_expiry: dict | None) -> list[Raised]:
    out: list[Raised] = []
    overdue = [r for r in requests if r.state == "overdue"]
    if overdue:
        r = overdue[0]
        out.append(("error", "request_overdue",
                    f"{len(overdue)} data-protection request(s) past their due date ({r.reference}, due {r.due_on}): "
                    "answer and close them ('kiosk --maintenance request close')"))
    soon = [r for r in requests if r.state == "due_soon"]
    if soon:
        r = soon[0]
        out.append(("warning", "request_due_soon",
                    f"{len(soon)} data-protection request(s) due within {facts.DUE_SOON_DAYS} days "
                    f"({r.reference}, due {r.due_on}): answer them, or extend them with a reason while that is allowed"))
    review = [h for h in holds if h.past_review]
    if review:
        h = review[0]
        out.append(("warning", "hold_review_due",
                    f"{len(review)} legal hold(s) past their review date (hold #{h.id}, {h.until_on}): review them, "
                    "and remove those no longer needed ('kiosk --maintenance subject hold remove ID')"))
    over = [st for st in stores if st.limit is not None and st.over]
    if over:
        total = sum(st.over for st in over)
        parts = ", ".join(f"{st.over} {st.store}" for st in over)
        out.append(("warning", "personal_data_over_retention",
                    f"{total} record(s) hold personal data past the retention ({parts}): run "
                    "'kiosk --maintenance expire' and check its result"))
    if last_expiry and last_expiry["held"]:
        out.append(("info", "expiry_held",
                    f"the last expiry skipped {last_expiry['held']} row(s) under a legal hold"))
    return out
