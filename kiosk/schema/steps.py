"""What a migration file calls: queue one dialect's SQL statements on the migrator.

Migration files hold their SQL as data ({"sqlite": [...], "postgresql": [...]}),
so `--dry-run` can print exactly what would run and the plan's SQL stays verbatim.
"""

from __future__ import annotations

import peewee as pw

from ..backends import GENERIC, backend_for


# The dialects a migration file holds SQL for (one per backend in kiosk/backends/).
DIALECTS = ("sqlite", "postgresql")


def dialect_of(database) -> str:
    """The key of this database's SQL in a migration file: its backend's name."""
    backend = backend_for(database)
    if backend is GENERIC:
        if isinstance(database, pw.DatabaseProxy):
            database = database.obj
        raise RuntimeError(f"unsupported database {type(database).__name__}: the kiosk runs on SQLite or PostgreSQL")
    return backend.name


def apply(migrator, database, statements: dict[str, list[str]]) -> None:
    """Queue each statement for this database's dialect (one statement per call)."""
    dialect = dialect_of(database)
    if dialect not in statements:
        raise RuntimeError(f"this migration has no SQL for {dialect}")
    for sql in statements[dialect]:
        migrator.sql(sql)
