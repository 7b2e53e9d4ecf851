"""The few places where the booth's SQL differs between SQLite and PostgreSQL.

SQLite serialises writers (BEGIN IMMEDIATE takes the one write lock up front), so
a read-then-write inside a booth transaction cannot be overtaken. PostgreSQL runs
booths' transactions side by side (READ COMMITTED): there the rows a decision
rests on are locked with SELECT ... FOR UPDATE, and the conflicts the server
reports (serialization failure, deadlock, lock timeout, a unique index hit by a
concurrent insert) make tx.write retry the whole transaction.
"""

from __future__ import annotations

import peewee as pw

# SQLSTATEs after which the whole transaction is simply run again.
SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
LOCK_NOT_AVAILABLE = "55P03"
UNIQUE_VIOLATION = "23505"
RETRYABLE = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE, UNIQUE_VIOLATION})


def _unwrap(db):
    return db.obj if isinstance(db, pw.DatabaseProxy) else db


def is_sqlite(db: pw.Database) -> bool:
    return isinstance(_unwrap(db), pw.SqliteDatabase)


def is_postgresql(db: pw.Database) -> bool:
    return isinstance(_unwrap(db), pw.PostgresqlDatabase)


def locked(query: pw.Select, skip_locked: bool = False) -> pw.Select:
    """`query` FOR UPDATE [SKIP LOCKED] on PostgreSQL; unchanged on SQLite (the write lock is already held)."""
    if not is_postgresql(query.model._meta.database):
        return query
    return query.for_update("FOR UPDATE SKIP LOCKED" if skip_locked else True)


def lock(query: pw.Select) -> None:
    """PostgreSQL: lock the rows `query` selects until the transaction ends. SQLite: nothing to do."""
    if is_postgresql(query.model._meta.database):
        list(query.for_update())


def prefix_match(field: pw.Field, prefix: str):
    """`field` starts with `prefix` (plate characters only: kiosk.booth.plates.ALPHABET).

    SQLite: a range on the column's index (U+10FFFF sorts after every character in its
    binary collation of UTF-8, Ä and Ž included). PostgreSQL compares text by the database's
    locale, so there it is a LIKE (the prefix holds no wildcards).
    """
    if is_postgresql(field.model._meta.database):
        return pw.Expression(field, pw.OP.LIKE, prefix + "%")
    return (field >= prefix) & (field < prefix + "\U0010ffff")


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error, whether peewee wrapped the driver's exception or not."""
    seen = set()
    todo = [exc]
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        state = getattr(err, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
        todo.extend(a for a in getattr(err, "args", ()) if isinstance(a, BaseException))
        todo.extend((err.__cause__, err.__context__))
    return None


def is_retryable(exc: BaseException) -> bool:
    return sqlstate(exc) in RETRYABLE


def is_connection_lost(exc: BaseException, db: pw.Database) -> bool:
    """The server went away (restart, network): the session is unusable, not the request."""
    state = sqlstate(exc)
    if state is not None and state.startswith(("08", "57P")):
        return True
    conn = getattr(_unwrap(db), "_state", None)
    raw = getattr(conn, "conn", None)
    return bool(raw is not None and getattr(raw, "closed", False))
