"""The fixed code lists of the privacy tools: why a record is held, why a request's answer is
extended, how a request ended. Shipped, not edited per site: they are what the law allows
(UK GDPR Art. 12(3) for extensions, Art. 17(3) and 18 for keeping data), so a site has no
reason to invent its own, and a code stored in a hold or a request always has its label."""

from __future__ import annotations

from .errors import BoothError, shown

HOLD_REASONS = {
    "dispute": "a dispute about this visit or payment",
    "legal_claim": "a legal claim made or expected (Art. 17(3)(e))",
    "police": "a police or authority request to keep it",
    "insurance": "an insurance claim",
    "court_order": "a court order",
    "debt": "an unpaid debt being pursued",
}
EXTENSION_REASONS = {
    "complex": "the request is complex (Art. 12(3))",
    "numerous": "the person made several requests (Art. 12(3))",
}
OUTCOMES = {
    "done": {
        "answered": "access given: the export was sent",
        "erased": "erased, except what the law requires to keep",
        "rectified": "the record was corrected",
        "nothing_held": "nothing was held about the person",
    },
    "refused": {
        "unfounded": "manifestly unfounded or excessive (Art. 12(5))",
        "identity": "the person's identity could not be confirmed",
        "exempt": "an exemption applies (e.g. a legal claim)",
        "withdrawn": "the person withdrew the request",
    },
}


def _check(codes: dict[str, str], raw: object, field: str, what: str) -> str:
    text = raw.strip().lower() if isinstance(raw, str) and len(raw) <= 40 else None
    if text in codes:
        return text
    raise BoothError(f"'{shown(raw)}' is not {what}: one of {', '.join(codes)}", field=field)


def check_hold_reason(raw: object) -> str:
    return _check(HOLD_REASONS, raw, "reason", "a hold reason")


def check_extension_reason(raw: object) -> str:
    return _check(EXTENSION_REASONS, raw, "reason", "a reason to extend a request")


def check_outcome(status: str, raw: object) -> str:
    return _check(OUTCOMES[status], raw, "outcome", f"an outcome of a request {status}")
