"""Decide whether the terminal may start on a database, creating the schema on a fresh one."""

from __future__ import annotations

import peewee as pw

from .db import Target
from .errors import ErrorCode, KioskError
from .schema import runner
from .schema.files import EMPTY, format_version, load_migrations


class SchemaNotReady(KioskError):
    exit_code = 1
    code = ErrorCode.SCHEMA_NOT_READY


def prepare_database(target: Target, database: pw.Database) -> str:
    """Bring a fresh database to the latest schema; refuse one that is behind or ahead.

    Returns the schema version the kiosk runs on.
    """
    files = load_migrations()
    st = runner.status(target, database, files)
    if st.schema_version == EMPTY and not _user_tables(database):
        runner.migrate(target, database, None, files=files)
        return format_version(st.latest)
    return require_latest(target, database, st, files)


def _user_tables(database: pw.Database) -> list[str]:
    return [t for t in database.get_tables() if t not in ("migratehistory", "sqlite_sequence")]


def require_latest(target: Target, database: pw.Database, st=None, files=None) -> str:
    """Refuse a database that is not at the latest schema this kiosk knows (the booth's code is written
    for exactly that schema); returns the version. Used by the terminal and by `expire`."""
    files = files if files is not None else load_migrations()
    st = st if st is not None else runner.status(target, database, files)
    latest = format_version(st.latest)
    if st.schema_version == EMPTY:
        user_tables = _user_tables(database)
        if user_tables:
            raise SchemaNotReady(
                f"{target.describe()} holds tables ({', '.join(sorted(user_tables)[:5])}) but no kiosk schema history: "
                "point --db at a kiosk database or an empty file (one built by hand from the migration plan: "
                "'kiosk --maintenance status' says which version it is, 'kiosk --maintenance adopt' takes it over)"
            )
        raise SchemaNotReady(f"{target.describe()} holds no kiosk schema yet: start the kiosk once or run "
                             "'kiosk --maintenance migrate'")
    known = {f.name for f in files}
    unknown = [a for a in st.applied if a.name not in known]
    if unknown:
        raise SchemaNotReady(
            f"the database has schema version {format_version(unknown[-1].version)}, newer than this kiosk knows "
            f"(latest {latest}): install the matching kiosk release"
        )
    if st.pending:
        raise SchemaNotReady(
            f"the database is at schema version {format_version(st.schema_version)}, the kiosk needs {latest}: "
            "run 'kiosk --maintenance migrate' first"
        )
    return latest
