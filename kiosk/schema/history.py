"""peewee-migrate's `migratehistory` table, extended with version, checksum and duration.

The extra columns are nullable, so the standard `pw_migrate` commands keep
working on the same table; a row they write is given its version from the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw

from ..clock import to_utc
from .files import MigrationFile, Version, parse_version

MIGRATE_TABLE = "migratehistory"  # peewee_migrate.models.MIGRATE_TABLE (equal: tests/test_schema_paths.py)

EXTRA_COLUMNS = {
    "version": "TEXT",
    "checksum": "TEXT",
    "duration_ms": "INTEGER",
}


class SchemaHistory(pw.Model):
    id = pw.AutoField()
    name = pw.CharField()
    migrated_at = pw.DateTimeField()
    version = pw.TextField(null=True)
    checksum = pw.TextField(null=True)
    duration_ms = pw.IntegerField(null=True)

    class Meta:
        table_name = MIGRATE_TABLE


@dataclass(frozen=True)
class Applied:
    name: str
    version: Version
    applied_at: dt.datetime | None
    checksum: str | None
    duration_ms: int | None


def bind(database: pw.Database) -> type[SchemaHistory]:
    SchemaHistory._meta.set_database(database)
    return SchemaHistory


def history_exists(database: pw.Database) -> bool:
    return MIGRATE_TABLE in database.get_tables()


def ensure_history(database: pw.Database) -> type[SchemaHistory]:
    """Create the table, or add our columns to one that `pw_migrate` created (a write)."""
    model = bind(database)
    if not history_exists(database):
        model.create_table()
        return model
    have = {c.name for c in database.get_columns(MIGRATE_TABLE)}
    for column, sqltype in EXTRA_COLUMNS.items():
        if column not in have:
            database.execute_sql(f"ALTER TABLE {MIGRATE_TABLE} ADD COLUMN {column} {sqltype}")
    return model


def read_history(database: pw.Database, files: list[MigrationFile]) -> list[Applied]:
    """The applied migrations in the order they were applied. Never writes."""
    if not history_exists(database):
        return []
    have = {c.name for c in database.get_columns(MIGRATE_TABLE)}
    extra = [c for c in EXTRA_COLUMNS if c in have]
    cols = ", ".join(["name", "migrated_at", *extra])
    by_name = {f.name: f for f in files}
    applied = []
    for row in database.execute_sql(f"SELECT {cols} FROM {MIGRATE_TABLE} ORDER BY id").fetchall():
        values = dict(zip(["name", "migrated_at", *extra], row))
        name = values["name"]
        if values.get("version"):
            version = parse_version(values["version"])
        elif name in by_name:
            version = by_name[name].version
        else:
            version = _version_from_name(name)
        applied.append(
            Applied(
                name=name,
                version=version,
                applied_at=_parse_time(values["migrated_at"]),
                checksum=values.get("checksum"),
                duration_ms=values.get("duration_ms"),
            )
        )
    return applied


def _version_from_name(name: str) -> Version:
    parts = name.split("__", 1)[0].split("_v", 1)
    try:
        return tuple(int(p) for p in parts[1].split("_"))
    except (IndexError, ValueError):
        return ()


def _parse_time(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return to_utc(value)
    try:
        return to_utc(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return None
