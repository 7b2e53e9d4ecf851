"""`kiosk` with no flag: a fresh database gets the latest schema; others are checked first."""

from __future__ import annotations

import pytest

from kiosk.db import connect
from kiosk.schema import runner
from kiosk.schema.files import load_migrations
from kiosk.startup import SchemaNotReady, prepare_database

LATEST = load_migrations()[-1]


def test_fresh_database_is_created_at_latest(target):
    db = connect(target)
    assert prepare_database(target, db) == LATEST.version_text
    st = runner.status(target, db)
    assert st.schema_version == LATEST.version and not st.pending


def test_up_to_date_database_starts_without_changes(target, database):
    before = [a.name for a in runner.status(target, database).applied]
    assert prepare_database(target, database) == LATEST.version_text
    assert [a.name for a in runner.status(target, database).applied] == before


def test_database_behind_is_refused_with_the_command_to_run(target):
    db = connect(target)
    runner.migrate(target, db, (1, 1, 0))
    with pytest.raises(SchemaNotReady, match=r"1\.1\.0.*kiosk --maintenance migrate"):
        prepare_database(target, db)


def test_database_ahead_of_this_kiosk_is_refused(target, database):
    database.execute_sql(
        "INSERT INTO migratehistory (name, migrated_at, version) VALUES ('999_v9_9_9__future', '2030-01-01 00:00:00', '9.9.9')"
    )
    with pytest.raises(SchemaNotReady, match=r"9\.9\.9.*newer than this kiosk"):
        prepare_database(target, database)
