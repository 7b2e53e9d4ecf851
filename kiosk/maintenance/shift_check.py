"""`check` on the shifts' books: Z numbers per booth run 1..n with no gap and no repeat, every
closed shift has its Z report, and each report's stored totals still equal the sums of its
shift's payments and cash movements (kiosk.shift_sums, the rule the close wrote them with).

A difference means rows were written or changed after the close, or a report went missing:
an error finding, so `check` exits 1.
"""

from __future__ import annotations

from collections import Counter

import peewee as pw

from ..shift_sums import Z_COLUMNS, shift_sums
from .findings import Finding

_Z = ("SELECT z.id, z.booth_name, z.number, z.shift_id, z.float_cents, z.expected_cash_cents, z.counted_cash_cents, "
      "z.variance_cents, z.expected_card_cents, z.card_batch_cents, s.float_cents, s.status, "
      + ", ".join(f"z.{c}" for c in Z_COLUMNS) +
      " FROM z_reports z LEFT JOIN shifts s ON s.id = z.shift_id ORDER BY z.booth_name, z.number")
_UNREPORTED = ("SELECT s.booth_name, s.id FROM shifts s WHERE s.status = 'closed' "
               "AND NOT EXISTS (SELECT 1 FROM z_reports z WHERE z.shift_id = s.id) ORDER BY s.id")
MAX_LISTED = 5


def _cents(value: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


def _listed(items: list) -> str:
    shown = ", ".join(str(i) for i in items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def z_findings(database: pw.Database) -> list[Finding]:
    """Empty when the books agree."""
    if "z_reports" not in database.get_tables():
        return []
    rows = database.execute_sql(_Z).fetchall()
    out: list[Finding] = []
    by_booth: dict[str, list[int]] = {}
    for row in rows:
        by_booth.setdefault(row[1], []).append(int(row[2]))
    for booth, numbers in sorted(by_booth.items()):
        repeated = sorted(n for n, c in Counter(numbers).items() if c > 1)
        if repeated:
            out.append(Finding("error", "z_repeat", f"booth {booth}: Z report number(s) {_listed(repeated)} "
                                                    "appear more than once"))
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if missing:
            out.append(Finding("error", "z_gap", f"booth {booth}: Z report number(s) {_listed(missing)} are missing "
                                                 f"(its reports run to {max(numbers)})"))
    for row in rows:
        out += _totals(database, row)
    unreported = database.execute_sql(_UNREPORTED).fetchall()
    if unreported:
        out.append(Finding("error", "z_missing", f"{len(unreported)} closed shift(s) have no Z report: "
                                                 + _listed([f"{b} shift {sid}" for b, sid in unreported])))
    return out


def _totals(database: pw.Database, row: tuple) -> list[Finding]:
    (_zid, booth, number, shift_id, z_float, expected, counted, variance, expected_card, batch, shift_float,
     status) = row[:12]
    stored = dict(zip(Z_COLUMNS, row[12:]))
    name = f"booth {booth} Z report {number}"
    if status is None:
        return [Finding("error", "z_totals", f"{name}: its shift {shift_id} is not in the database")]
    if status != "closed":
        return [Finding("error", "z_totals", f"{name}: its shift {shift_id} is still {status}")]
    sums = shift_sums(database, shift_id)
    now = {**sums._asdict(), "float_cents": shift_float, "expected_cash_cents": sums.expected_cash(shift_float),
           "variance_cents": counted - sums.expected_cash(shift_float), "expected_card_cents": sums.expected_card}
    held = {**stored, "float_cents": z_float, "expected_cash_cents": expected, "variance_cents": variance,
            "expected_card_cents": expected_card}
    differ = [k for k in held if int(held[k]) != int(now[k])]
    if not differ:
        return []
    counts = {"payments_count", "cars_in", "cars_out"}
    said = [f"{k.removesuffix('_cents')} stored {held[k] if k in counts else _cents(int(held[k]))}, "
            f"now {now[k] if k in counts else _cents(int(now[k]))}" for k in differ]
    return [Finding("error", "z_totals", f"{name} (shift {shift_id}) no longer matches its shift's rows: "
                                         + "; ".join(said))]
