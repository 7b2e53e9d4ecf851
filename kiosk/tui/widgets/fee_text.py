"""A stay and its fee as lines of text for the payment screen (no Textual: plain strings)."""

from __future__ import annotations

from ...booth import FeeBreakdown, OpenStay
from .formats import span_text, when_text


def stay_line(stay: OpenStay, now, zone) -> str:
    minutes = int((now.replace(tzinfo=None) - stay.entry_at.replace(tzinfo=None)).total_seconds() // 60)
    flag = "  OVERSTAY" if stay.overstay else ""
    return (f"{stay.plate:<10} {stay.spot or '?':<5} {stay.vehicle_type or '?':<10} "
            f"in {when_text(stay.entry_at, zone, now)}  {span_text(minutes)}{flag}")


def breakdown_rows(fee: FeeBreakdown, currency: str, now, zone) -> list[tuple[str, str]]:
    """The fee as label/value rows: every input of the rule, so the customer can check it (local times)."""
    rows = [("entry time", when_text(fee.entry_at, zone, now)), ("exit (now)", when_text(fee.exit_at, zone, now))]
    lines = fee.named_lines(currency)
    for name, (label, value) in lines.items():
        rows.append(("time on site" if name == "time" else label, value))
        # An input of the rule that this rate does not use is still shown, as none.
        if name == "minimum" and "grace" not in lines:
            rows.append(("grace", "none"))
        if name == "rate" and "daily_cap" not in lines:
            rows.append(("daily cap", "none"))
    return rows
