"""PostgreSQL: booths' transactions run side by side (READ COMMITTED).

The rows a decision rests on are locked with SELECT ... FOR UPDATE, and the
conflicts the server reports (serialization failure, deadlock, lock timeout, a
unique index hit by a concurrent insert) make a write run the whole transaction
again.
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

import peewee as pw

from ..errors import KioskError
from .base import Backend, Busy, ConnectionLost

T = TypeVar("T")
# SQLSTATEs after which the whole transaction is simply run again.
SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
LOCK_NOT_AVAILABLE = "55P03"
UNIQUE_VIOLATION = "23505"
RETRYABLE = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE, UNIQUE_VIOLATION})
# A unique index hit twice in a row is not a race any more: let the caller report it.
UNIQUE_RETRIES = 3


class PostgresqlBackend(Backend):
    name = "postgresql"
    row_locks = True

    def write(self, db: pw.Database, fn: Callable[[], T], deadline_s: float, worker: bool) -> T:
        give_up = time.monotonic() + deadline_s
        delay, unique_hits = 0.002, 0
        while True:
            try:
                with db.atomic():
                    # Wait for another booth's row locks no longer than the deadline allows.
                    left_ms = max(1, int((give_up - time.monotonic()) * 1000))
                    db.execute_sql(f"SET LOCAL lock_timeout = {left_ms}")
                    return fn()
            except KioskError:  # the rule's own refusal: nothing to retry
                raise
            except Exception as exc:
                if self.connection_lost(db, exc):
                    raise ConnectionLost() from None
                state = sqlstate(exc)
                if state not in RETRYABLE:
                    raise
                if state == UNIQUE_VIOLATION:
                    unique_hits += 1
                    if unique_hits >= UNIQUE_RETRIES:
                        raise
                if time.monotonic() >= give_up:
                    raise Busy() from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.05)

    def connection_lost(self, db: pw.Database, exc: BaseException) -> bool:
        if not is_connection_lost(exc, db):
            return False
        try:
            db.close()
        except Exception:  # noqa: BLE001 - the connection is gone either way
            pass
        return True

    def locked(self, query: pw.Select, skip_locked: bool = False) -> pw.Select:
        return query.for_update("FOR UPDATE SKIP LOCKED" if skip_locked else True)

    def lock(self, query: pw.Select) -> None:
        list(query.for_update())

    def prefix_match(self, field: pw.Field, prefix: str):
        # Text compares by the database's locale here, so no range: a LIKE (the prefix holds no wildcards).
        return pw.Expression(field, pw.OP.LIKE, prefix + "%")

    def ordered_concat(self, entry, separator: str, order_by, model: type[pw.Model]):
        return model.select(pw.fn.string_agg(entry, separator).order_by(order_by))


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
    if isinstance(db, pw.DatabaseProxy):
        db = db.obj
    conn = getattr(db, "_state", None)
    raw = getattr(conn, "conn", None)
    return bool(raw is not None and getattr(raw, "closed", False))
