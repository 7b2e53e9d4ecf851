"""The one schema comparison: the schema a version should have against the one a database has.

Used by `check`, the validation after migrate/rollback, the pre-flight history
check, `stats` alerts, and `restore` (on the backup, before anything is touched).

The expected schema of a version is built by running the migration files up to
it on an empty schema of the same backend: an in-memory SQLite database, or on
PostgreSQL a scratch schema created inside a transaction that is always rolled
back (nothing of it is ever committed). It is built once per process and version.
"""

from __future__ import annotations

import secrets

import peewee as pw

from ..schema.files import MigrationFile, Version, format_version
from ..schema.steps import dialect_of
from . import equivalence, schema_catalog
from .findings import Finding

# Extras that run no code (at worst they refuse a write): only a warning in `check`;
# `restore` still refuses them. Anything else that differs is an error.
HARMLESS_EXTRAS = {"table", "index", "constraint", "foreign"}

_cache: dict[tuple, schema_catalog.Schema] = {}


class CannotCompare(Exception):
    """The expected schema could not be built (e.g. no privilege to create a scratch schema)."""


def expected(database: pw.Database, files: list[MigrationFile], version: Version) -> schema_catalog.Schema:
    chosen = [f for f in files if f.version <= version]
    dialect = dialect_of(database)
    server_version, build = _BUILDERS[dialect]
    key = (dialect, server_version(database), tuple((f.name, f.checksum) for f in chosen))
    if key not in _cache:
        _cache[key] = build(database, chosen)
    return dict(_cache[key])


def _run(database: pw.Database, chosen: list[MigrationFile]) -> None:
    from peewee_migrate import Migrator  # only when a schema is built, not at the terminal's start

    for f in chosen:
        migrator = Migrator(database)
        f.migrate(migrator, database, fake=False)
        migrator()


def _build_sqlite(database: pw.Database, chosen: list[MigrationFile]) -> schema_catalog.Schema:
    """On an in-memory database, not on `database`."""
    scratch = pw.SqliteDatabase(":memory:")
    try:
        _run(scratch, chosen)
        return schema_catalog.describe(scratch)
    finally:
        scratch.close()


def _pg_server_version(database: pw.Database) -> str:
    return database.execute_sql("SHOW server_version_num").fetchone()[0]


class _Discard(Exception):
    pass


def _build_postgresql(database: pw.Database, chosen: list[MigrationFile]) -> schema_catalog.Schema:
    name = f"kiosk_expected_{secrets.token_hex(4)}"
    built: schema_catalog.Schema = {}
    try:
        with database.atomic():
            # A session opened read-only (status, stats) may still write what is rolled back.
            database.execute_sql("SET TRANSACTION READ WRITE")
            database.execute_sql(f'CREATE SCHEMA "{name}"')
            database.execute_sql(f'SET LOCAL search_path TO "{name}"')
            _run(database, chosen)
            built = schema_catalog.describe(database)
            raise _Discard
    except _Discard:
        return built
    except pw.DatabaseError as exc:
        text = " ".join(str(exc).split())[:200]
        raise CannotCompare(
            f"the schema could not be compared: building the expected schema in a scratch schema failed ({text}); "
            "the kiosk's role needs CREATE on the database"
        ) from None


def differences(want: schema_catalog.Schema, have: schema_catalog.Schema, label: str) -> list[Finding]:
    """One finding per object that is missing, extra, or different (spelled differently but meaning
    the same is not different: see equivalence)."""
    have = equivalence.aligned(want, have)
    out = []
    # A column missing or added shows in its table's layout (or the table is missing or extra).
    for key in sorted(k for k in set(want) - set(have) if not k.startswith("column ")):
        out.append(Finding("error", "schema_drift", f"history says {label} but {key} is missing"))
    for key in sorted(k for k in set(have) - set(want) if not k.startswith("column ")):
        if schema_catalog.kind_of(key) in HARMLESS_EXTRAS:
            out.append(Finding("warning", "schema_extra", f"{key} is not part of schema {label}"))
        else:
            out.append(Finding("error", "schema_drift", f"{key} is not part of schema {label}"))
    for key in sorted(set(want) & set(have)):
        if want[key] != have[key]:
            if key.startswith("table "):
                msg = f"history says {label} but {key} has columns ({have[key]}), expected ({want[key]})"
            else:
                msg = f"history says {label} but {key} is {have[key]}, expected {want[key]}"
            out.append(Finding("error", "schema_drift", msg))
    return out


def drift(database: pw.Database, files: list[MigrationFile], version: Version) -> list[Finding]:
    """The database's whole schema against what `version` should have."""
    try:
        want = expected(database, files, version)
    except CannotCompare as exc:
        return [Finding("warning", "schema_unchecked", str(exc))]
    return differences(want, schema_catalog.describe(database), format_version(version))


# By backend name: what else the expected schema depends on (the server's version), and how it is built.
_BUILDERS = {
    "sqlite": (lambda database: "", _build_sqlite),
    "postgresql": (_pg_server_version, _build_postgresql),
}
