"""The Booth's methods for the data-protection request log: log, extend, close, list, and the
open request that an export or an erasure acts under.

A mixin of `kiosk.booth.service.Booth` (same object, same checks), kept apart so each module
stays small. The rules are in privacy_requests.py.
"""

from __future__ import annotations

from . import privacy_requests
from .actors import Permission
from .context import Context
from .guard import needs
from .privacy_requests import RequestRow


class RequestsFacade:
    _ctx: Context

    @needs(Permission.PRIVACY)
    def log_request(self, reference, kind, received=None) -> RequestRow:
        """Log a request (`kind`: access | erasure | rectification) under the operator's `reference`,
        received on `received` ('YYYY-MM-DD', default today in the site's zone); due a month later."""
        return privacy_requests.log_request(self._ctx, reference, kind, received)

    @needs(Permission.PRIVACY)
    def extend_request(self, reference, months, reason) -> RequestRow:
        """Extend an open request's deadline by `months` (at most 2 in all; `reason`: an extension code)."""
        return privacy_requests.extend_request(self._ctx, reference, months, reason)

    @needs(Permission.PRIVACY)
    def close_request(self, reference, status, outcome) -> RequestRow:
        """Close an open request as done or refused, with an outcome code of that status."""
        return privacy_requests.close_request(self._ctx, reference, status, outcome)

    @needs(Permission.PRIVACY)
    def requests(self, open_only=False) -> list[RequestRow]:
        """The log: open requests soonest due first, then closed ones, latest first."""
        return privacy_requests.list_requests(self._ctx, open_only)

    @needs(Permission.PRIVACY)
    def request_for(self, reference, kinds: tuple[str, ...]) -> RequestRow:
        """The open request `reference` of one of `kinds`; else a BoothError saying what the log holds."""
        return privacy_requests.request_for(self._ctx, reference, kinds)
