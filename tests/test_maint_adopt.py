"""A database built by hand from the migration plan: recognised by status, refused by migrate, adopted.

Built as sites built them (adopt_support): the plan's SQL verbatim on SQLite, the kiosk's own
PostgreSQL DDL on PostgreSQL, without kiosk history. Through the real `kiosk` command.
"""

from __future__ import annotations

import json

import pytest
from adopt_support import (FILES, LATEST, PG_TRIGGER, SQLITE_TRIGGER, build, execute, no_traceback, one_line, plan_site,
                           rows, state)
from schema_tools import PLAN_VERSIONS, plan_statement
from kiosk.schema.files import parse_version

MIGRATABLE_AFTER = {v: [f.version_text for f in FILES if f.version > parse_version(v)] for v in PLAN_VERSIONS}


def cli(kiosk_cli, target, *args):
    return no_traceback(kiosk_cli("--db", target.raw, "--maintenance", *args))


def status(kiosk_cli, target) -> dict:
    r = cli(kiosk_cli, target, "status", "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def history(target) -> list[tuple]:
    return rows(target, "SELECT name, version, checksum FROM migratehistory ORDER BY id")


@pytest.mark.parametrize("version", PLAN_VERSIONS)
def test_status_names_the_plan_version_and_migrate_refuses_until_adopted(kiosk_cli, target, version):
    plan_site(target, version)
    untouched = state(target)
    st = status(kiosk_cli, target)
    assert st["schema_version"] == "0"
    found = st["unversioned"]
    assert found["version"] == version and found["exact"] and found["adoptable"] and found["differences"] == []
    assert found["next"] == "kiosk --maintenance adopt, then kiosk --maintenance migrate"
    assert found["pending_after_adopt"] == MIGRATABLE_AFTER[version]
    text = cli(kiosk_cli, target, "status").out
    assert f"its schema is exactly the migration plan's {version}" in text
    assert f"pending after adopting as {version}:" in text and "001_v1_0_0__initial_schema" not in text.split("pending")[1]
    assert state(target) == untouched  # status only reads
    r = no_traceback(kiosk_cli("--db", target.raw))  # nor does the terminal start on it
    assert r.code == 1 and "no kiosk schema history" in r.err and "'kiosk --maintenance adopt' takes it over" in r.err

    before = state(target)
    r = cli(kiosk_cli, target, "migrate")
    assert r.code == 3, r.out + r.err
    err = one_line(r.err)
    assert f"exactly the migration plan's {version}" in err and "adopt it first (kiosk --maintenance adopt" in err
    assert "already exists" not in r.out + r.err and "nothing was changed" in err
    assert state(target) == before


@pytest.mark.parametrize("version", PLAN_VERSIONS)
def test_adopt_records_the_history_as_if_applied_and_validates(kiosk_cli, target, version):
    plan_site(target, version)
    counts = {t: rows(target, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("vehicles", "audit_logs")}
    r = cli(kiosk_cli, target, "adopt")
    assert r.code == 0, r.out + r.err
    assert "validation   ok" in r.out and f"schema version {version} (adopted)" in r.out
    assert "pre-flight backup       ok" in r.out and "pre-adopt" in r.out
    chosen = [f for f in FILES if f.version <= parse_version(version)]
    assert history(target) == [(f.name, f.version_text, f.checksum) for f in chosen]
    st = status(kiosk_cli, target)
    assert st["schema_version"] == version and "unversioned" not in st and st["findings"] == []
    assert [p["version"] for p in st["pending"]] == MIGRATABLE_AFTER[version]
    assert cli(kiosk_cli, target, "check").code == 0  # the whole schema is exactly the version's
    assert counts["vehicles"] == rows(target, "SELECT COUNT(*) FROM vehicles")[0][0]
    # The run: beside the database below 1.6.0 (no maintenance_runs table yet), and an audit row.
    assert rows(target, "SELECT action, entity FROM audit_logs ORDER BY id DESC LIMIT 1") == [("maintenance", "maintenance_runs")]
    r = cli(kiosk_cli, target, "adopt")
    assert r.code == 3 and "already has kiosk history" in one_line(r.err)


def test_dry_run_prints_what_it_would_record_and_repair_and_changes_nothing(kiosk_cli, target):
    plan_site(target, "1.2.0")
    execute(target, "DROP INDEX idx_audit_logs_entity")
    before = state(target)
    r = cli(kiosk_cli, target, "adopt", "--dry-run")
    assert r.code == 0, r.err
    assert "repair missing-index:idx_audit_logs_entity" in " ".join(r.out.split())
    assert "CREATE INDEX idx_audit_logs_entity ON audit_logs(entity, entity_id);" in r.out
    assert "would record the history of 3 version(s)" in r.out
    for f in FILES[:3]:
        assert f"{f.name}" in r.out and f.checksum[:12] in r.out
    assert "dry run: nothing was changed" in r.out
    assert state(target) == before
    if target.is_sqlite:
        assert not (target.path.parent / "backups").exists()


def _plan_index(target):
    execute(target, plan_statement("Index Optimization", "CREATE INDEX"))


def _appended(target):
    build(target, order=["1.0.0", "1.2.0", "1.1.0", "1.3.0"])  # 1.2.0's ALTER TABLE ran before 1.1.0's


# (what the DBA did, the difference's name, what adopting does, accept needed)
VARIANTS = {
    "missing index": (lambda t: execute(t, "DROP INDEX idx_vehicles_entry_timestamp"),
                      "missing-index:idx_vehicles_entry_timestamp", "repair"),
    "plan's composite index": (_plan_index, "extra-index:idx_vehicles_status_timestamp", "repair"),
    "extra index": (lambda t: execute(t, "CREATE INDEX idx_vehicles_phone ON vehicles(phone_number)"),
                    "extra-index:idx_vehicles_phone", "accept"),
    "missing config row": (lambda t: execute(t, "DELETE FROM system_config"), "missing-row:system_config", "accept"),
    "appended column": (None, "column-order:vehicles", "accept"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_variant_is_listed_then_repaired_or_accepted_by_name_and_migrates_to_latest(kiosk_cli, target, variant):
    change, name, action = VARIANTS[variant]
    if change is None:
        _appended(target)
    else:
        build(target, "1.3.0")
        change(target)
    st = status(kiosk_cli, target)["unversioned"]
    assert st["version"] == "1.3.0" and st["adoptable"] and not st["exact"]
    assert [(d["name"], d["action"]) for d in st["differences"]] == [(name, action)]
    assert name in st["next"] or action == "repair"
    if action == "accept":
        before = state(target)
        r = cli(kiosk_cli, target, "adopt")
        assert r.code == 3
        assert f"needs your word on 1 difference(s): {name}" in one_line(r.err) and f"--accept {name}" in r.err
        assert state(target) == before
    r = cli(kiosk_cli, target, "adopt", *(["--accept", name] if action == "accept" else []))
    assert r.code == 0, r.out + r.err
    assert cli(kiosk_cli, target, "check").code == 0
    r = cli(kiosk_cli, target, "migrate")
    assert r.code in (0, 4) and f"schema version {LATEST}" in r.out, r.out + r.err
    assert cli(kiosk_cli, target, "check").code == 0
    if variant == "missing config row":
        assert rows(target, "SELECT retention_hours FROM system_config") == [(24,)]  # 1.5.0's default row


@pytest.mark.sqlite_only  # PostgreSQL refuses DEFAULT 0 for a BOOLEAN column
def test_default_0_for_false_is_equivalent_and_needs_no_word(kiosk_cli, target):
    build(target, "1.3.0", edit=lambda sql: sql.replace("DEFAULT FALSE", "DEFAULT 0"))
    st = status(kiosk_cli, target)["unversioned"]
    assert st["adoptable"] and [(d["name"], d["action"]) for d in st["differences"]] == [
        ("equivalent:parking_spots.is_occupied", "equivalent")]
    assert "BOOLEAN DEFAULT 0 (the kiosk writes BOOLEAN DEFAULT FALSE)" in st["differences"][0]["message"]
    assert cli(kiosk_cli, target, "adopt").code == 0
    assert cli(kiosk_cli, target, "check").code == 0
    assert cli(kiosk_cli, target, "migrate").code == 0
    assert cli(kiosk_cli, target, "check").code == 0


def _trigger(target):
    execute(target, *(SQLITE_TRIGGER if target.is_sqlite else PG_TRIGGER))


HOSTILE = {
    "trigger": (_trigger, ["extra-trigger:wipe"]),
    "view": (lambda t: execute(t, "CREATE VIEW phone_book AS SELECT number_plate, phone_number FROM vehicles"),
             ["extra-view:phone_book"]),
    "extra table": (lambda t: execute(t, "CREATE TABLE notes (id INTEGER)"), ["extra-table:notes"]),
    "wrong columns": (lambda t: execute(t, "DROP TABLE audit_logs", "CREATE TABLE audit_logs (id INTEGER PRIMARY KEY, message TEXT)"),
                      ["extra-column:audit_logs.message", "missing-column:audit_logs.action"]),
    "other type": (lambda t: execute(t, "DROP TABLE parking_rates", "CREATE TABLE parking_rates (id INTEGER PRIMARY KEY, "
                                        "vehicle_type TEXT NOT NULL, rate_per_hour TEXT NOT NULL, minimum_hours INTEGER DEFAULT 1, "
                                        "created_at TEXT, updated_at TEXT)"),
                   ["column:parking_rates.rate_per_hour"]),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_schema_matching_no_version_is_described_and_never_adopted_or_migrated(kiosk_cli, target, kind):
    change, names = HOSTILE[kind]
    plan_site(target, "1.3.0")
    change(target)
    st = status(kiosk_cli, target)["unversioned"]
    assert st["adoptable"] is False and st["next"] is None and st["version"] == "1.3.0"
    listed = {d["name"]: d["action"] for d in st["differences"]}
    assert all(listed.get(n) == "refuse" for n in names), listed
    text = cli(kiosk_cli, target, "status").out
    assert "matches no version the kiosk can adopt" in text and "nothing: the kiosk cannot adopt or migrate" in text
    assert "pending:        none can be applied to this schema" in text
    before = state(target)
    for args in (["adopt"], ["adopt", "--as", "1.3.0"], ["adopt", "--accept", names[0]], ["adopt", "--dry-run"], ["migrate"]):
        r = cli(kiosk_cli, target, *args)
        assert r.code == 3, (args, r.out, r.err)
        err = one_line(r.err)
        assert "matches no version the kiosk can adopt" in err and names[0].split(":", 1)[1].split(".")[0] in err, err
    assert state(target) == before


def test_as_names_the_version_and_refuses_one_the_schema_is_not(kiosk_cli, target):
    plan_site(target, "1.3.0")
    r = cli(kiosk_cli, target, "adopt", "--as", "1.2.0")
    err = one_line(r.err)
    assert r.code == 3 and "cannot adopt the database as 1.2.0: table parking_rates is not part of schema 1.2.0" in err
    assert "(its schema is 1.3.0: adopt it without --as)" in err
    for bad, said in (("9.9.9", "unknown schema version 9.9.9"), ("0", "--as 0"), ("one", "is not a schema version")):
        r = cli(kiosk_cli, target, "adopt", "--as", bad)
        assert r.code == 2 and said in one_line(r.err)
    r = cli(kiosk_cli, target, "adopt", "--accept", "missing-index:nothing")
    assert r.code == 2 and "--accept missing-index:nothing: no difference has that name" in one_line(r.err)
    assert cli(kiosk_cli, target, "adopt", "--as", "1.3.0").code == 0
    assert history(target)[-1][1] == "1.3.0"


def test_nothing_to_adopt_in_an_empty_or_foreign_database(kiosk_cli, target, tmp_path):
    if target.is_sqlite:
        target.path.touch()
    r = cli(kiosk_cli, target, "adopt")
    assert r.code in (1, 3) and ("no database" in r.err or "holds no tables" in r.err), r.err
    execute(target, "CREATE TABLE things (id INTEGER)")
    assert status(kiosk_cli, target)["unversioned"]["version"] is None
    r = cli(kiosk_cli, target, "adopt")
    assert r.code == 3 and "none of its tables (things) is the kiosk's" in one_line(r.err)
    r = cli(kiosk_cli, target, "migrate")
    assert r.code == 3 and "point --db at a kiosk database" in one_line(r.err)


@pytest.mark.sqlite_only  # a plan-era SQLite database never enforced foreign keys (sqlite3's default)
def test_a_payment_of_a_vehicle_that_does_not_exist_is_refused(kiosk_cli, target):
    plan_site(target, "1.2.0")
    execute(target, "INSERT INTO payments (vehicle_id, amount, payment_status) VALUES (77, 1.00, 'paid')")
    before = state(target)
    r = cli(kiosk_cli, target, "adopt")
    assert r.code == 3 and "payment 3: its vehicle does not exist" in one_line(r.err)
    assert state(target) == before
