"""The many-booths benchmark (bench/booths.py) on the PostgreSQL test server: its bare psycopg side
sends the kiosk's statements, in the kiosk's order, and changes the same rows; N booth processes
run both sides without an error. No timing is asserted."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.booth_child import plate  # noqa: E402
from bench.booths import booths_at  # noqa: E402
from bench.pg_sides import BareBooth, KioskBooth  # noqa: E402
from bench.pg_site import MANAGER, PIN, load_site  # noqa: E402

pytestmark = pytest.mark.postgres_only
TABLES = ("vehicles", "stays", "payments", "audit_logs", "shifts")


@pytest.fixture
def site(pg_databases):
    url = pg_databases.create()
    load_site(url, 0.001)
    with psycopg.connect(url) as con:
        staff_id = con.execute("SELECT id FROM staff WHERE name_key = %s", (MANAGER.casefold(),)).fetchone()[0]
    return url, staff_id


def _counts(url: str) -> dict:
    with psycopg.connect(url) as con:
        out = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        out["occupied"] = con.execute("SELECT count(*) FROM parking_spots WHERE is_occupied").fetchone()[0]
        out["open"] = con.execute("SELECT count(*) FROM stays WHERE status = 'open'").fetchone()[0]
        out["actions"] = sorted(r[0] for r in con.execute(
            "SELECT action FROM audit_logs WHERE action IN ('entry', 'payment') ORDER BY id DESC LIMIT 2"))
    return out


class _Statements(logging.Handler):
    """peewee's query log: the statements the kiosk sent."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql: list[str] = []

    def emit(self, record):
        msg = record.msg
        self.sql.append(msg[0] if isinstance(msg, tuple) else str(msg))


def _norm(sql: str) -> str:
    """One statement's text, with the kiosk's lock timeout (what is left of its deadline) as a constant."""
    return re.sub(r"lock_timeout = \d+", "lock_timeout = N", " ".join(sql.split()))


def _cycle(side, car: str) -> None:
    sid = side.register(car)
    fee = side.lookup(car)
    assert fee.total > 0
    side.pay(sid)


def test_the_bare_side_sends_the_kiosks_statements_and_changes_the_same_rows(site):
    url, staff_id = site
    kiosk = KioskBooth(url, "tk", MANAGER, PIN)
    trace: list[str] = []
    bare = BareBooth(url, "tb", staff_id, trace=trace)
    log = logging.getLogger("peewee")
    handler, level = _Statements(), log.level
    try:
        _cycle(kiosk, plate(0, 0))  # plans and the first-use rendering out of the way
        _cycle(bare, plate(1, 0))
        before = _counts(url)
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
        _cycle(kiosk, plate(0, 1))
        log.removeHandler(handler)
        after_kiosk = _counts(url)
        trace.clear()
        _cycle(bare, plate(1, 1))
        after_bare = _counts(url)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        kiosk.close()
        bare.close()
    # peewee logs every statement but BEGIN and COMMIT (its transaction calls)
    assert [_norm(s) for s in trace if s not in ("BEGIN", "COMMIT")] == [_norm(s) for s in handler.sql]
    assert trace.count("BEGIN") == trace.count("COMMIT") == 2  # register and payment: one transaction each
    grew_kiosk = {k: after_kiosk[k] - before[k] for k in TABLES}
    grew_bare = {k: after_bare[k] - after_kiosk[k] for k in TABLES}
    assert grew_kiosk == grew_bare == {"vehicles": 1, "stays": 1, "payments": 1, "audit_logs": 2, "shifts": 0}
    assert before["occupied"] == after_kiosk["occupied"] == after_bare["occupied"]  # each car left: its spot is free
    assert before["open"] == after_kiosk["open"] == after_bare["open"]
    assert after_kiosk["actions"] == after_bare["actions"] == ["entry", "payment"]


def test_booth_processes_run_both_sides_without_errors(site):
    url, staff_id = site
    out = booths_at(None, url, 2, ("kiosk", "baseline"), 10, warmup=0.2, duration=1.0, staff_id=staff_id)
    for side in ("kiosk", "baseline"):
        r = out[side]
        assert r["errors"] == {}, (side, r["errors"])
        assert r["cycles"] >= 1 and len(r["per_booth_cycles"]) == 2
        assert r["ops"]["payment"]["n"] == r["cycles"]
        assert r["server"]["samples"] >= 1 and r["server"]["connections_max"] <= 2
    with psycopg.connect(url) as con:  # every cycle's car paid and gone; each booth's own shift
        assert con.execute("SELECT count(*) FROM stays WHERE status = 'open'").fetchone()[0] == \
            con.execute("SELECT count(*) FROM parking_spots WHERE is_occupied").fetchone()[0]
        booths = {r[0] for r in con.execute("SELECT booth_name FROM shifts WHERE status = 'open'")}
        assert {"n2p0k", "n2p1k", "n2p0b", "n2p1b"} <= booths
