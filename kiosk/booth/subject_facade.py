"""The Booth's methods for a person's data-protection request: find, export, erase.

A mixin of `kiosk.booth.service.Booth` (same object, same checks), manager only
(`Permission.PRIVACY`). The person is named by exactly one of plate, phone, name or staff
(kiosk.booth.subject_match); the rules are in subject_find.py and subject_erase.py. Audit rows
hold the selector's kind, ids and counts: never the plate, phone or name searched for.
"""

from __future__ import annotations

from dataclasses import replace

from . import privacy_requests, subject_erase, subject_find, subject_match
from .actors import Permission
from .context import Context
from .guard import needs
from .privacy_results import ErasureReport, SubjectReport
from .validate import check_flag

# The kinds of request each answers: an access request is answered with an export (a rectification
# starts from one); an erasure only with an erasure request.
EXPORT_KINDS = ("access", "rectification")
ERASE_KINDS = ("erasure",)


class SubjectFacade:
    _ctx: Context

    def _match(self, plate, phone, name, staff) -> subject_match.SubjectMatch:
        selector = subject_match.read_selector(self._ctx, plate=plate, phone=phone, name=name, staff=staff)
        return subject_match.match(self._ctx, selector)

    @staticmethod
    def _counts(report: SubjectReport) -> dict:
        """What a look-up's audit row says: the selector's kind and counts, never its value."""
        return dict(kind=report.kind, vehicles=len(report.vehicles), stays=len(report.stays),
                    payments=len(report.payments), receipts=len(report.receipts), staff=len(report.staff),
                    lookalikes=len(report.lookalike_ids), namesakes=len(report.namesake_ids))

    @needs(Permission.PRIVACY)
    def find_subject(self, *, plate=None, phone=None, name=None, staff=None) -> SubjectReport:
        """Every place the person appears (the command adds the backups). Audited by kind and counts."""
        ctx = self._ctx
        report = subject_find.find(ctx, self._match(plate, phone, name, staff))
        entity, eid = ("staff", str(report.staff[0].id)) if report.staff else (
            "vehicles", ",".join(str(v.id) for v in report.vehicles) or "-")
        ctx.write(lambda: ctx.audit("subject_find", entity, eid, **self._counts(report)))
        return report

    @needs(Permission.PRIVACY)
    def export_subject(self, request, *, plate=None, phone=None, name=None, staff=None) -> SubjectReport:
        """What `find` lists, for the file answering `request` (an open access or rectification
        request: kiosk.booth.privacy_requests). The command writes the file."""
        row = privacy_requests.request_for(self._ctx, request, EXPORT_KINDS)
        match = self._match(plate, phone, name, staff)
        report = subject_find.find(self._ctx, match)
        self._ctx.write(lambda: self._ctx.audit("subject_export", "privacy_requests", row.id, request=row.reference,
                                                **self._counts(report)))
        return replace(report, request=row.reference)

    @needs(Permission.PRIVACY)
    def erase_subject(self, request, dry_run=False, *, plate=None, phone=None, name=None, staff=None) -> ErasureReport:
        """Erase the person's data now, as expiry would (see subject_erase.py), answering `request`
        (an open erasure request). `dry_run`: the same report, nothing changed, nothing audited."""
        dry = check_flag(dry_run, "dry_run", "a dry run")
        row = privacy_requests.request_for(self._ctx, request, ERASE_KINDS)
        return subject_erase.erase(self._ctx, self._match(plate, phone, name, staff), row, dry)
