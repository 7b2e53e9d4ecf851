"""Every step of every migration file has a class, read from its SQL and matching its declaration."""

from __future__ import annotations

import pytest

from kiosk.schema import step_classes
from kiosk.schema.files import load_migrations
from kiosk.schema.sql_ops import parse
from kiosk.schema.step_classes import ADDITIVE, DESTRUCTIVE, NEUTRAL, REBUILD, REWRITE, UNKNOWN, classify
from test_maint_support import folder_with

FILES = load_migrations()

# SHA-256 of each released file, as every site's history records it. The step classes of these files are
# declared in kiosk/schema/step_classes.py, not in the files: editing one would make every site's history
# say "edited after it was applied".
RELEASED = {
    "001_v1_0_0__initial_schema": "48e19a256c37baa226325b8295709129ff9c4ba48098d57a54edb25bcd888cc9",
    "002_v1_1_0__vehicle_tracking": "87ff09326d1fc33381d2a14cb0db9fbb3c755137a3a896cfec7599184a70f989",
    "003_v1_2_0__payments": "5baa5c3b256ce34e6f326102709c4d38eebfd969f7109496030970d920bdd846",
    "004_v1_3_0__parking_rates": "6f84e619e21e0f9fe8de5cdae85922bf2b37a79f352a2043476f82b5ea6460bd",
    "005_v1_4_0__data_lifecycle": "f1a989bc42462b7908f3ca3a69b3146ce68ee4f1b85c1940e245e358d34f14a9",
    "006_v1_5_0__booth_rules": "e989b13a358cee65e3636c41e087f2b3502587064c8ee1d33652676d652ca7f1",
    "007_v1_6_0__maintenance": "437ef693954cdb5c1e13fa1eeb1e572b1eddefccb781a1a45e605fcc8d302029",
    "008_v1_7_0__drop_duplicate_plate_index": "574def19a5800e824db4dbc954e8d1abff5479d404c3f12f3b78b3072af4c8ce",
    "009_v1_8_0__hardening": "7d098ca1a830dd9d22834ab43dcd2ee7659c51d4a130fd59bcc4fc37cced440e",
}


def test_every_step_of_every_migration_file_is_classified_as_declared_on_both_databases():
    assert step_classes.problems(FILES) == []
    for dialect in step_classes.DIALECTS:
        for name, directions in step_classes.classify_files(FILES, dialect).items():
            for direction, steps in directions.items():
                assert steps, (name, direction, dialect)
                assert all(s.klass in step_classes.CLASSES for s in steps), (name, direction, dialect)


def test_the_released_files_are_unchanged_so_sites_histories_still_match():
    by_name = {f.name: f.checksum for f in FILES}
    assert {n: by_name.get(n) for n in RELEASED} == RELEASED


def test_what_the_issue_names_reads_as_destructive():
    down = {f.version_text: step_classes.classify_files(FILES, "sqlite")[f.name]["down"] for f in FILES}
    assert any(s.klass == DESTRUCTIVE and s.what == "drops table payments" for s in down["1.2.0"])
    assert any(s.klass == DESTRUCTIVE and s.what == "drops table stays" for s in down["1.5.0"])
    assert any(s.klass == DESTRUCTIVE and s.what == "drops table parking_spots" for s in down["1.1.0"])
    # SQLite rebuilds payments to drop its 1.5.0 columns: the copy leaves the exact amounts out.
    (rebuild,) = [s for s in down["1.5.0"] if len(s.ops) > 1]
    assert rebuild.klass == DESTRUCTIVE and "amount_cents" in rebuild.left_out and "amount" not in rebuild.left_out
    assert [op.kind for op in rebuild.ops] == ["create_table", "insert_copy", "drop_table", "rename_table"]
    # 1.4.0 moves the archive back into audit_logs before dropping it: nothing leaves.
    assert {s.klass for s in down["1.4.0"]} == {NEUTRAL, REBUILD}


@pytest.mark.parametrize("sql, klass", [
    ("ALTER TABLE vehicles ADD COLUMN colour TEXT", ADDITIVE),
    ("ALTER TABLE vehicles ADD COLUMN colour TEXT NOT NULL DEFAULT 'grey'", ADDITIVE),
    ("ALTER TABLE vehicles ADD COLUMN colour TEXT NOT NULL", DESTRUCTIVE),  # fails on a table with rows
    ("alter table vehicles alter column phone_number type varchar(8)", DESTRUCTIVE),  # may narrow the type
    ("ALTER TABLE vehicles ALTER COLUMN phone_number SET NOT NULL", DESTRUCTIVE),
    ("ALTER TABLE vehicles ALTER COLUMN phone_number DROP NOT NULL", NEUTRAL),
    ("DELETE FROM audit_logs WHERE timestamp < '2020-01-01'", DESTRUCTIVE),
    ("DELETE FROM audit_logs", DESTRUCTIVE),
    ("UPDATE vehicles SET contact_name = upper(contact_name)", REWRITE),
    ("DROP INDEX IF EXISTS idx_x", NEUTRAL),
    ('DROP TABLE "Odd Name"', DESTRUCTIVE),
    ("INSERT INTO parking_rates (vehicle_type, rate_per_hour) VALUES ('car', 2.5)", ADDITIVE),
    ("CREATE TRIGGER t AFTER INSERT ON vehicles BEGIN DELETE FROM payments; END", UNKNOWN),
    ("CREATE TRIGGER t BEFORE UPDATE ON vehicles FOR EACH ROW BEGIN UPDATE payments SET amount = 0; END", UNKNOWN),
    # A guard that only refuses a change holds and changes no data.
    ("CREATE TRIGGER t BEFORE DELETE ON vehicles FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'no'); END", ADDITIVE),
    ("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no (%)', TG_TABLE_NAME; END $$",
     ADDITIVE),
    ("CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM payments; RETURN NULL; END $$",
     UNKNOWN),
    ("DROP TRIGGER IF EXISTS t", NEUTRAL),
    ("TRUNCATE vehicles", UNKNOWN),
    ("ALTER TABLE vehicles ADD CONSTRAINT c CHECK (id > 0)", UNKNOWN),
])
def test_single_statements(sql, klass):
    (step,) = classify([sql], {"vehicles": ["id", "phone_number", "contact_name"], "audit_logs": ["id", "timestamp"]})
    assert step.klass == klass, step


def test_a_rebuild_that_keeps_every_column_and_row_is_a_rebuild_and_one_that_does_not_is_destructive():
    schema = {"t": ["id", "a", "b"]}
    whole = ["CREATE TABLE t_new (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT)",
             "INSERT INTO t_new (id, a, b) SELECT id, a, b FROM t ORDER BY id", "DROP TABLE t", "ALTER TABLE t_new RENAME TO t"]
    (step,) = classify(whole, dict(schema))
    assert step.klass == REBUILD and step.what.startswith("rebuilds t") and len(step.statements) == 4
    narrower = [whole[0].replace(", b TEXT", ""), "INSERT INTO t_new (id, a) SELECT id, a FROM t", "DROP TABLE t",
                "ALTER TABLE t_new RENAME TO t"]
    (step,) = classify(narrower, dict(schema))
    assert step.klass == DESTRUCTIVE and step.left_out == ("b",)
    partial = [whole[0], "INSERT INTO t_new (id, a, b) SELECT id, a, b FROM t WHERE a IS NOT NULL", "DROP TABLE t",
               "ALTER TABLE t_new RENAME TO t"]
    (step,) = classify(partial, dict(schema))
    assert step.klass == DESTRUCTIVE and "only some rows" in step.what
    # A copy computed from expressions is new rows, not a copy: the drop then loses the table.
    derived = [whole[0], "INSERT INTO t_new (id, a, b) SELECT id, lower(a), b FROM t", "DROP TABLE t"]
    assert [s.klass for s in classify(derived, dict(schema))] == [ADDITIVE, ADDITIVE, DESTRUCTIVE]


def test_the_reader_is_not_fooled_by_keywords_in_quotes_or_comments():
    op = parse("-- DROP TABLE vehicles\nUPDATE vehicles SET note = 'DROP TABLE x; DELETE FROM y'")
    assert op.kind == "update" and op.table == "vehicles"
    op = parse("INSERT INTO a (x) SELECT x FROM b WHERE x IN (SELECT y FROM c) ORDER BY x")
    assert (op.kind, op.source, op.where) == ("insert_copy", "b", "x IN (SELECT y FROM c)")


NEW_FILE = '''
"""9.9.9 - {title} (test only)."""
from kiosk.schema.steps import apply

VERSION = "9.9.9"
{declare}
UP = {{"sqlite": [{up!r}], "postgresql": [{up!r}]}}
DOWN = {{"sqlite": [{down!r}], "postgresql": [{down!r}]}}


def migrate(migrator, database, fake=False):
    apply(migrator, database, UP)


def rollback(migrator, database, fake=False):
    apply(migrator, database, DOWN)
'''


def _with(tmp_path, **kw) -> list:
    return load_migrations(folder_with(tmp_path, {"990_v9_9_9__new.py": NEW_FILE.format(title="new", **kw)}))


def test_a_new_file_must_declare_its_classes_and_the_sql_must_agree(tmp_path):
    files = _with(tmp_path, declare="", up="ALTER TABLE vehicles ADD COLUMN colour TEXT",
                  down="ALTER TABLE vehicles DROP COLUMN colour")
    assert any("990_v9_9_9__new.py declares no step classes" in p for p in step_classes.problems(files))


def test_a_new_file_that_declares_less_than_its_sql_does_is_caught(tmp_path):
    files = _with(tmp_path, declare='STEP_CLASSES = {"up": {"additive"}, "down": {"neutral"}}',
                  up="ALTER TABLE vehicles ADD COLUMN colour TEXT", down="ALTER TABLE vehicles DROP COLUMN colour")
    found = step_classes.problems(files)
    assert len(found) == 2 and all("the SQL reads as ['destructive'], the declaration says ['neutral']" in p for p in found)


def test_a_new_file_with_a_statement_the_reader_does_not_know_is_caught(tmp_path):
    files = _with(tmp_path, declare='STEP_CLASSES = {"up": {"additive"}, "down": {"destructive"}}',
                  up="TRUNCATE vehicles", down="ALTER TABLE vehicles DROP COLUMN colour")
    assert any("cannot classify 'TRUNCATE vehicles'" in p for p in step_classes.problems(files))


def test_a_new_file_declared_in_itself_and_agreeing_passes(tmp_path):
    files = _with(tmp_path, declare='STEP_CLASSES = {"up": {"additive"}, "down": {"destructive"}}',
                  up="ALTER TABLE vehicles ADD COLUMN colour TEXT", down="ALTER TABLE vehicles DROP COLUMN colour")
    assert step_classes.problems(files) == []
