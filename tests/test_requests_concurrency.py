"""The request log from several processes at once (SQLite's write lock, PostgreSQL's lock on the
configuration row and conditional updates): a reference is logged once whatever its case, a request
is closed once and extended within the limit, and every refusal says why in the booth's terms."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import FIXTURE_CLOCK
from kiosk.models import AuditLog, PrivacyRequest

CHILD = textwrap.dedent("""
    import json, os, sys, time
    from kiosk.booth import HEADLESS, Booth, BoothError
    from kiosk.clock import FixedClock
    from kiosk.db import connect, resolve_target
    url, action, ref, go = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    booth = Booth(connect(resolve_target(url)), FixedClock(%r), actor=HEADLESS)
    booth.requests()  # connected and warm before saying so
    open(go + "." + str(os.getpid()), "w").close()
    while not os.path.exists(go):
        time.sleep(0.0005)
    try:
        if action == "add":
            booth.log_request(ref, "erasure")
        elif action == "close":
            booth.close_request(ref, "done", "erased")
        else:
            booth.extend_request(ref, 1, "complex")
        out = ["ok", ""]
    except BoothError as exc:
        out = [str(exc.code), exc.message]
    print(json.dumps(out), flush=True)
""" % FIXTURE_CLOCK)


def _race(target, tmp_path, runs: list[tuple[str, str]]) -> list[list]:
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, target.raw, action, ref, str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for action, ref in runs]
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("go.*"))) < len(procs):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [p.stderr.read() for p in procs]
            time.sleep(0.01)
        go.touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


@pytest.mark.slow
def test_one_reference_logged_at_four_booths_at_once_is_logged_once(database, target, tmp_path):
    results = _race(target, tmp_path, [("add", "RACE-1"), ("add", "race-1"), ("add", "Race-1"), ("add", "RACE-1")])
    assert sorted(code for code, _ in results) == ["invalid", "invalid", "invalid", "ok"]
    assert all("already in the log" in msg for code, msg in results if code != "ok")
    assert PrivacyRequest.select().count() == 1
    assert AuditLog.select().where(AuditLog.action == "request_add").count() == 1


@pytest.mark.slow
def test_a_request_closed_and_extended_at_once_changes_once_each(booth, database, target, tmp_path):
    booth.log_request("RACE-2", "erasure")
    booth.log_request("RACE-3", "erasure")
    results = _race(target, tmp_path, [("close", "RACE-2"), ("close", "RACE-2"), ("close", "race-2"),
                                       ("extend", "RACE-3"), ("extend", "RACE-3"), ("extend", "RACE-3")])
    closes, extends = results[:3], results[3:]
    assert sorted(code for code, _ in closes) == ["ok", "refused", "refused"]
    assert all("already closed" in msg for code, msg in closes if code != "ok")
    # Two extensions of one month fit, whichever booths made them; the third is refused.
    assert sorted(code for code, _ in extends) == ["ok", "ok", "refused"]
    assert all("at most 2 in total" in msg for code, msg in extends if code != "ok")
    row = PrivacyRequest.get(PrivacyRequest.reference == "RACE-3")
    assert (row.extended_months, str(row.due_on)) == (2, "2027-02-24")
    assert AuditLog.select().where(AuditLog.action == "request_close").count() == 1
    assert AuditLog.select().where(AuditLog.action == "request_extend").count() == 2
