def test_fresh_database_reaches_latest(database):
    from kiosk.schema.files import load_migrations

    latest = load_migrations()[-1].version_text
    row = database.execute_sql("SELECT version FROM migratehistory ORDER BY id DESC LIMIT 1").fetchone()
    assert row[0] == latest
