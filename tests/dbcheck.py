"""Backend-neutral helpers for tests that write SQL by hand or check a database after a crash."""

from __future__ import annotations

import peewee as pw


def is_pg(db) -> bool:
    return isinstance(db.obj if isinstance(db, pw.DatabaseProxy) else db, pw.PostgresqlDatabase)


def q(db, sql: str) -> str:
    """SQL written with '?' placeholders, in the driver's own style ('%s' on PostgreSQL)."""
    return sql.replace("?", db.param)


def fk_orphans(db) -> list[tuple]:
    """Rows whose foreign key points nowhere (PostgreSQL's answer to PRAGMA foreign_key_check)."""
    out = []
    for child, col, parent, pcol in db.execute_sql(
        """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
           WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"""
    ).fetchall():
        n = db.execute_sql(
            f'SELECT COUNT(*) FROM "{child}" x WHERE x."{col}" IS NOT NULL '
            f'AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p."{pcol}" = x."{col}")'
        ).fetchone()[0]
        if n:
            out.append((child, col, parent, n))
    return out


def assert_consistent(db) -> None:
    """SQLite: foreign_key_check and integrity_check clean. PostgreSQL: every constraint
    validated and no foreign key pointing nowhere."""
    if is_pg(db):
        assert db.execute_sql("SELECT conname FROM pg_constraint WHERE NOT convalidated").fetchall() == []
        assert fk_orphans(db) == []
    else:
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
