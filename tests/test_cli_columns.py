"""The headless commands print their multi-row results as aligned columns (rich tables): a
longer kind ('archive') or an empty status never shifts the text after it."""

from __future__ import annotations

import re

import pytest

from kiosk.booth import Booth
from staff_support import as_manager, on_shift

PHONE = "07400 123456"


def column_of(line: str, pattern: str) -> int:
    m = re.search(pattern, line)
    assert m, (pattern, line)
    return m.start()


@pytest.mark.sqlite_only  # the stays are moved back with SQLite's datetime(): the CLI runs on the real clock
def test_expire_and_stats_print_their_runs_in_columns(database, clock, kiosk_cli, target):
    booth = on_shift(as_manager(Booth(database, clock)))
    booth.pay(booth.register("AB12CDE", "Jane Doe", PHONE, "car").stay_id, "card")
    booth.close_departed(booth.register("GO11NEE", "Ann", PHONE, "car").stay_id, "other", "left a note")
    for table in ("vehicles", "stays"):
        database.execute_sql(f"UPDATE {table} SET entry_timestamp = datetime('now', '-2 days')")
    database.close()

    out = kiosk_cli("--db", str(target.path), "--maintenance", "expire")
    assert out.code == 0, out.err
    lines = out.out.splitlines()
    removed = next(x for x in lines if "personal data removed" in x)
    note = next(x for x in lines if "stay note(s) removed" in x)
    archived = next(x for x in lines if "audit rows archived" in x)
    assert removed.split()[:3] == ["expire", "done", "2"] and archived.split()[:2] == ["archive", "done"]
    assert note.split()[:3] == ["expire", "1", "stay"]  # no status on the follow-up row
    text = column_of(removed, r"2 vehicles")
    assert column_of(note, r"1 stay note") == text and column_of(archived, r"\d+ audit rows") == text

    stats = kiosk_cli("--db", str(target.path), "--maintenance", "stats")
    assert "Traceback" not in stats.err
    runs = [x for x in stats.out.splitlines() if x.startswith(("last expire", "last archive"))]
    assert len(runs) == 2, stats.out
    assert column_of(runs[0], r" at ") == column_of(runs[1], r" at ")
    assert all(re.search(r"in \d+ ms +\d+ rows$", x) for x in runs), runs
