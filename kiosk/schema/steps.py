"""What a migration file calls: queue one dialect's SQL statements on the migrator.

Migration files hold their SQL as data ({"sqlite": [...], "postgresql": [...]}),
so `--dry-run` can print exactly what would run and the plan's SQL stays verbatim.
"""

from __future__ import annotations

import peewee as pw


def dialect_of(database) -> str:
    if isinstance(database, pw.DatabaseProxy):
        database = database.obj
    if isinstance(database, pw.PostgresqlDatabase):
        return "postgresql"
    if isinstance(database, pw.SqliteDatabase):
        return "sqlite"
    raise RuntimeError(f"unsupported database {type(database).__name__}: the kiosk runs on SQLite or PostgreSQL")


def apply(migrator, database, statements: dict[str, list[str]]) -> None:
    """Queue each statement for this database's dialect (one statement per call)."""
    dialect = dialect_of(database)
    if dialect not in statements:
        raise RuntimeError(f"this migration has no SQL for {dialect}")
    for sql in statements[dialect]:
        migrator.sql(sql)
