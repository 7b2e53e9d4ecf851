"""The one schema comparison: the schema a version should have against the one a database has.

Used by `check`, the validation after migrate/rollback, the pre-flight history
check, `stats` alerts, and `restore` (on the backup, before anything is touched).

The expected schema of a version is built by running the migration files up to
it on an empty schema of the same backend: an in-memory SQLite database, or on
PostgreSQL a scratch schema created inside a transaction that is always rolled
back (nothing of it is ever committed). It is built once per process and version.
"""

from __future__ import annotations

import peewee as pw

from ..schema.files import MigrationFile, Version, format_version
from . import equivalence, schema_catalog
from .findings import Finding
from .sites import CannotCompare, site_for

# Extras that run no code (at worst they refuse a write): only a warning in `check`;
# `restore` still refuses them. Anything else that differs is an error.
HARMLESS_EXTRAS = {"table", "index", "constraint", "foreign"}

_cache: dict[tuple, schema_catalog.Schema] = {}


def expected(database: pw.Database, files: list[MigrationFile], version: Version) -> schema_catalog.Schema:
    """The schema `version` should have, built on an empty schema of the database's own kind
    (its site's scratch schema); raises CannotCompare when none can be had."""
    chosen = [f for f in files if f.version <= version]
    site = site_for(database)
    key = (type(site), site.server_version(database), tuple((f.name, f.checksum) for f in chosen))
    if key not in _cache:
        with site.scratch_schema(database) as scratch:
            _run(scratch, chosen)
            built = schema_catalog.describe(scratch)
        _cache[key] = built
    return dict(_cache[key])


def _run(database: pw.Database, chosen: list[MigrationFile]) -> None:
    from peewee_migrate import Migrator  # only when a schema is built, not at the terminal's start

    for f in chosen:
        migrator = Migrator(database)
        f.migrate(migrator, database, fake=False)
        migrator()


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


__all__ = ["HARMLESS_EXTRAS", "CannotCompare", "differences", "drift", "expected"]
