"""The benchmark generator builds a consistent site (so it cannot silently rot). No timing here."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import Counts, generate_sqlite, generate_v100_sqlite  # noqa: E402

from kiosk.schema.files import load_migrations  # noqa: E402
from staff_support import as_manager, on_shift  # noqa: E402

SCALE = 0.002


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "site.db"
    meta = generate_sqlite(path, SCALE, log=lambda _m: None)
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=ON")
    yield con, meta
    con.close()


def count(con, sql, *args) -> int:
    return con.execute(sql, args).fetchone()[0]


def test_the_site_is_at_the_latest_schema_and_whole(site):
    con, meta = site
    assert meta["schema_version"] == load_migrations()[-1].version_text
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_row_counts_follow_the_scale(site):
    con, _meta = site
    c = Counts.at(SCALE)
    assert count(con, "SELECT COUNT(*) FROM vehicles") == c.vehicles
    assert count(con, "SELECT COUNT(*) FROM payments") == c.payments == 10 * c.vehicles
    assert count(con, "SELECT COUNT(*) FROM audit_logs") == c.audit
    assert count(con, "SELECT COUNT(*) FROM audit_logs_archive") == c.archive
    assert c.archive == 4 * c.audit  # 20 million to 5 million at full size
    assert count(con, "SELECT COUNT(*) FROM parking_spots") >= c.spots - 3
    assert count(con, "SELECT COUNT(*) FROM stays WHERE status = 'open'") == c.open_stays
    # ids of the archive come before the live audit rows, and follow time in both
    assert count(con, "SELECT MAX(id) FROM audit_logs_archive") < count(con, "SELECT MIN(id) FROM audit_logs")
    assert count(con, "SELECT COUNT(*) FROM audit_logs a JOIN audit_logs b ON b.id = a.id + 1 "
                      "WHERE b.timestamp < a.timestamp") == 0


def test_every_open_stay_holds_its_spot_and_nothing_else_is_occupied(site):
    con, _meta = site
    assert count(con, "SELECT COUNT(*) FROM stays s JOIN parking_spots p ON p.spot_number = s.spot_number "
                      "WHERE s.status = 'open' AND p.is_occupied = 1 AND p.vehicle_type = s.vehicle_type") \
        == count(con, "SELECT COUNT(*) FROM stays WHERE status = 'open'")
    assert count(con, "SELECT COUNT(*) FROM parking_spots WHERE is_occupied = 1") \
        == count(con, "SELECT COUNT(*) FROM stays WHERE status = 'open'")


def test_payments_are_exact_cents_of_the_fee_rule_and_stays_are_consistent(site):
    con, _meta = site
    # one payment per closed stay, for that stay's vehicle, amount = rate x max(1, hours started)
    assert count(con, "SELECT COUNT(*) FROM stays WHERE status = 'paid'") == count(con, "SELECT COUNT(*) FROM payments")
    assert count(con, "SELECT COUNT(*) FROM payments p JOIN stays s ON s.id = p.stay_id "
                      "WHERE s.vehicle_id <> p.vehicle_id OR p.created_at <> s.exit_timestamp") == 0
    assert count(con, "SELECT COUNT(*) FROM payments WHERE amount_cents IS NULL OR amount_cents "
                      "<> rate_cents * MAX(1, (minutes + 59) / 60) OR ROUND(amount * 100) <> amount_cents") == 0
    # a vehicle's row holds its latest stay; an open stay means no payment status yet
    assert count(con, "SELECT COUNT(*) FROM vehicles v WHERE v.entry_timestamp <> "
                      "(SELECT MAX(entry_timestamp) FROM stays s WHERE s.vehicle_id = v.id)") == 0
    assert count(con, "SELECT COUNT(*) FROM vehicles v JOIN stays s ON s.vehicle_id = v.id AND s.status = 'open' "
                      "WHERE v.payment_status IS NOT NULL") == 0
    assert count(con, "SELECT COUNT(*) FROM stays WHERE exit_timestamp < entry_timestamp") == 0


def test_audit_details_hold_no_personal_data(site):
    con, _meta = site
    plates = [r[0] for r in con.execute("SELECT number_plate FROM vehicles LIMIT 50")]
    for table in ("audit_logs", "audit_logs_archive"):
        for plate in plates:
            assert count(con, f"SELECT COUNT(*) FROM {table} WHERE details LIKE ?", f"%{plate}%") == 0
        assert count(con, f"SELECT COUNT(*) FROM {table} WHERE details LIKE '%+44%' OR json_valid(details) = 0") == 0


def test_the_site_works_with_the_booth(site, tmp_path):
    """The kiosk's own layer accepts the generated data: expiry finds the due stays, a car registers."""
    import shutil

    from kiosk.booth import Booth
    from kiosk.db import connect, resolve_target

    _con, meta = site
    copy = tmp_path / "copy.db"
    shutil.copyfile(Path(_con.execute("PRAGMA database_list").fetchone()[2]), copy)
    database = connect(resolve_target(str(copy)))
    booth = on_shift(as_manager(Booth(database)))
    c = Counts.at(SCALE)
    assert booth.expiry_preview(24) == c.expirable
    assert len(booth.overstays()) == c.overstays
    reg = booth.register("ZZ99ZZZ", "Test Driver", "07400 123456", "car")
    assert booth.open_stay_for("ZZ99ZZZ").spot == reg.spot
    database.close()


def test_the_one_zero_zero_form_migrates_to_the_latest(tmp_path):
    from kiosk.db import connect, resolve_target
    from kiosk.schema import runner

    path = tmp_path / "v100.db"
    meta = generate_v100_sqlite(path, SCALE, log=lambda _m: None)
    target = resolve_target(str(path))
    database = connect(target)
    assert runner.status(target, database).schema_version == (1, 0, 0)
    runner.migrate(target, database, None)
    assert database.execute_sql("SELECT COUNT(*) FROM stays").fetchone()[0] == meta["counts"]["vehicles"]
    assert database.execute_sql("SELECT COUNT(*) FROM audit_logs").fetchone()[0] == meta["counts"]["audit"]
    database.close()


def test_the_explain_table_sees_the_booths_own_statements(site, tmp_path, monkeypatch):
    """The per-car paths run hand-written SQL (kiosk/booth/sql.py), not peewee's query builder:
    bench/plans.py must still capture, explain and judge them (and each must use an index)."""
    from bench import common, plans

    monkeypatch.setattr(common, "WORK", tmp_path / "work")  # its copies stay out of the repository
    con, _meta = site
    path = Path(con.execute("PRAGMA database_list").fetchone()[2])
    explained = plans.explain_all(path)
    assert [e for e in explained if not e["ok"]] == []
    by_op: dict[str, list[str]] = {}
    for e in explained:
        by_op.setdefault(e["operation"], []).append(e["sql"])
    assert any(s.startswith("SELECT v.id, s.id") for s in by_op["register"])  # the plate's row and open stay
    assert any(s.startswith("SELECT spot_number FROM parking_spots") for s in by_op["register"])
    assert any(s.startswith("UPDATE parking_spots") for s in by_op["register"])
    assert len(by_op["look up + fee"]) == 2  # one query per call
    assert any(s.startswith("UPDATE stays SET status = 'paid'") for s in by_op["payment"])


@pytest.mark.sqlite_only
def test_ui_child_memory_reports_every_stage_signed_in_on_the_map(tmp_path):
    """The memory figure's child (bench/ui_memory.py) on a small site: every stage in start order, the map
    really open (a person signed in: the site has no staff), the PIN hash's buffer kept apart from the peak."""
    import json
    import subprocess

    from bench.run import _memory_row

    path = tmp_path / "site.db"
    generate_sqlite(path, SCALE, log=lambda _m: None)
    proc = subprocess.run([sys.executable, "-m", "bench.ui_child", "memory", str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    stages = [s["stage"] for s in out["stages"]]
    assert stages[:2] == ["interpreter", "Textual (the minimal app's imports)"]
    assert stages.index("database opened, schema checked") < stages.index("app built, first spot read")
    assert stages.index("first usable screen: the spot map") < stages.index("Entry screen opened too")
    assert all(s["rss_mb"] > 0 for s in out["stages"])
    assert out["argon2_mb"] > 32  # Argon2id's 64 MiB, not in the terminal's own peak
    assert out["peak_mb"] < out["argon2_hwm_mb"]
    assert out["peak_mb"] >= max(s["rss_mb"] for s in out["stages"])
    assert out["pragmas"]["mmap_size"] == 0  # no database page counts in RSS by being mapped
    assert out["mappings_mb"]["database file (mmap)"] == 0
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM staff").fetchone()[0] == 1  # the bench's manager, on this copy only
    con.close()
    row = _memory_row({"memory": out, "minimal_rss_mb": 30.0})
    assert row["id"] == "tui_memory" and row["budget"] == "≤ 1.5×"
    assert row["ok"] == (out["peak_mb"] / 30.0 <= 1.5)
    assert "Argon2id" in row["detail"] and "the spot map +" in row["detail"]
