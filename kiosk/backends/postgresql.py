"""PostgreSQL: booths' transactions run side by side (READ COMMITTED).

The rows a decision rests on are locked with SELECT ... FOR UPDATE, and the
conflicts the server reports (serialization failure, deadlock, lock timeout, a
unique index hit by a concurrent insert) make a write run the whole transaction
again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import re
import sys
import time
from typing import Callable, Iterator, TypeVar

import peewee as pw

from ..errors import ErrorCode, KioskError, one_line
from .base import (
    UNKNOWN_KIOSK,
    Backend,
    Busy,
    ConnectionLost,
    ExpiryRunning,
    LiveKiosk,
    LockBusy,
    MaintenanceHoldsDatabase,
    MaintenanceRunning,
    expiry_refusal,
    expiry_running_refusal,
)

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

    def open(self, target, readonly: bool = False, role: str | None = None) -> pw.Database:
        """Opened at once: an unreachable server, a refused login or a missing database is a
        one-line DatabaseUnavailable here. `readonly` makes the session read-only."""
        return _connect_postgresql(target, readonly, role)

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

    def insert_id(self, db: pw.Database, sql: str, params: tuple) -> int:
        return db.execute_sql(sql + " RETURNING id", params).fetchone()[0]  # psycopg has no lastrowid

    def table_sizes(self, db: pw.Database) -> tuple[list[dict], list[dict], str]:
        """The server's pg_table_size / pg_relation_size."""
        tables = [
            {"name": name, "rows": db.execute_sql(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0], "bytes": size}
            for name, size in db.execute_sql(
                "SELECT c.relname, pg_table_size(c.oid) FROM pg_class c "
                "WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace ORDER BY 1"
            ).fetchall()
        ]
        indexes = [
            {"name": name, "table": table, "bytes": size}
            for name, table, size in db.execute_sql(
                "SELECT i.relname, x.indrelid::regclass::text, pg_relation_size(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relnamespace = current_schema()::regnamespace ORDER BY 1"
            ).fetchall()
        ]
        return tables, indexes, "pg_table_size/pg_relation_size"

    def plan(self, db: pw.Database, sql: str, params: tuple) -> list[str]:
        """The plan with sequential scans priced out: on a small table PostgreSQL rightly prefers
        one, but what is asked is whether an index *can* serve the query as the table grows."""
        with db.atomic() as txn:
            db.execute_sql("SET LOCAL enable_seqscan = off")
            plan = [r[0] for r in db.execute_sql("EXPLAIN " + sql, params).fetchall()]
            txn.rollback()
        return plan

    def maintenance_lock(self, target, database: pw.Database, wait_seconds: float, on_wait=None):
        return advisory_lock(database, wait_seconds=wait_seconds, on_wait=on_wait)

    def expiry_running(self, database: pw.Database, who: str):
        return expiry_shared(database, who)

    def no_expiry(self, target, database: pw.Database | None, command: str):
        return expiry_exclusive(_session(database), command)

    def announce(self, target, database: pw.Database | None, me: LiveKiosk):
        return announce(target, _session(database), me)

    def live_kiosks(self, target, database: pw.Database | None) -> list[LiveKiosk]:
        return _live(database)

    def exclusive(self, target, database: pw.Database | None):
        return exclusive(_session(database))

    def locked(self, query: pw.Select, skip_locked: bool = False) -> pw.Select:
        return query.for_update(skip_locked=skip_locked)

    def lock(self, query: pw.Select) -> None:
        list(query.for_update())

    def prefix_match(self, field: pw.Field, prefix: str):
        # Text compares by the database's locale here, so no range: a LIKE (the prefix holds no wildcards).
        return pw.Expression(field, pw.OP.LIKE, prefix + "%")

    def ordered_concat(self, entry, separator: str, order_by, model: type[pw.Model]):
        return model.select(pw.fn.string_agg(entry, separator).order_by(order_by))


# ------------------------------------------------------------------ connections
# PostgreSQL sessions: give up on an unreachable server after this many seconds.
PG_CONNECT_TIMEOUT_S = 5
# Identifies the kiosk in pg_stat_activity; PostgreSQL keeps 63 bytes of it.
APPLICATION_NAME_MAX = 63


class DatabaseUnavailable(KioskError):
    """The PostgreSQL server cannot be reached, refused the login, or lacks the database."""

    code = ErrorCode.UNAVAILABLE


def application_name(role: str | None = None) -> str:
    """`kiosk:<role>:<pid>`, how other kiosks and the operator see this session on the server.

    The role defaults to `maintenance` for `--maintenance` runs, else to $KIOSK_BOOTH
    (the booth's name), else `booth`.
    """
    if not role:
        role = "maintenance" if "--maintenance" in sys.argv else os.environ.get("KIOSK_BOOTH") or "booth"
    role = re.sub(r"[^A-Za-z0-9_.-]+", "-", role).strip("-") or "booth"
    suffix = f":{os.getpid()}"
    return ("kiosk:" + role)[: APPLICATION_NAME_MAX - len(suffix)] + suffix


def _connect_postgresql(target, readonly: bool, role: str | None) -> pw.Database:
    from playhouse.db_url import connect as url_connect  # type: ignore[import-untyped]
    from playhouse.db_url import parse as url_parse

    given = url_parse(target.raw, unquote_password=True, unquote_user=True)
    # Session time zone UTC: CURRENT_TIMESTAMP defaults and naive timestamps mean UTC,
    # as on SQLite. Ours comes last in `options`, so it wins over one in the URL.
    options = [str(given.get("options") or ""), "-c TimeZone=UTC"]
    if readonly:  # status/dry-run: the server itself refuses any write
        options.append("-c default_transaction_read_only=on")
    extra = {
        "options": " ".join(o for o in options if o),
        "prefer_psycopg3": True,
    }
    for key, value in (("connect_timeout", PG_CONNECT_TIMEOUT_S), ("application_name", application_name(role))):
        if key not in given:  # a value in the URL's query string wins
            extra[key] = value
    db = url_connect(target.raw, unquote_password=True, unquote_user=True, **extra)
    try:
        db.connect()
    except pw.ImproperlyConfigured:
        raise DatabaseUnavailable(
            "PostgreSQL needs the psycopg driver: install the kiosk with its postgres extra (pip install 'kiosk[postgres]')"
        ) from None
    except pw.DatabaseError as exc:
        raise DatabaseUnavailable(_explain_pg_failure(target, given, exc)) from None
    return db


def _explain_pg_failure(target, given: dict, exc: BaseException) -> str:
    """One line: what went wrong connecting, and what to check."""
    text = " ".join(str(exc).split())
    text = re.sub(r"^(connection failed: )?", "", text)
    where = f"{given.get('host') or 'local socket'}:{given.get('port') or 5432}"
    user = given.get("user") or "(default user)"
    dbname = given.get("database")
    if re.search(r'database "[^"]*" does not exist', text):
        return f"database '{dbname}' does not exist on the PostgreSQL server at {where}: create it (createdb {dbname}) or fix the name in {target.describe()}"
    if re.search(r'password authentication failed|no password supplied|role "[^"]*" does not exist', text):
        return f"the PostgreSQL server at {where} refused user '{user}': check the user name and password in the URL (or ~/.pgpass)"
    if "timeout" in text.lower():
        return f"no answer from the PostgreSQL server at {where} within {PG_CONNECT_TIMEOUT_S} s: check the host, the port and the network"
    return f"cannot connect to the PostgreSQL server at {where} ({text[:200]}): check that it runs and accepts connections, and the host and port in the URL"


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error, whether peewee wrapped the driver's exception or not."""
    seen = set()
    todo: list[BaseException | None] = [exc]
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


# ---------------------------------------------------------------- the maintenance lock
# PostgreSQL: one key for "a kiosk maintenance run" (the bytes of b"kioskmnt").
# Advisory locks are scoped to the current database, so sites sharing a server
# with several kiosk databases do not block each other.
ADVISORY_KEY = 0x6B696F736B6D6E74


@contextlib.contextmanager
def advisory_lock(database, wait_seconds: float = 60.0, on_wait=None):
    """Hold a session-level advisory lock on a PostgreSQL database; wait up to `wait_seconds`.

    The server releases it if the session dies, so a killed run never blocks the next.
    Polled with pg_try_advisory_lock so the wait is bounded and can name the holder.
    """
    deadline = time.monotonic() + wait_seconds
    told = False
    while not database.execute_sql("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()[0]:
        if time.monotonic() >= deadline:
            raise LockBusy(
                f"another maintenance run holds the database's maintenance lock ({_pg_holder(database)}): "
                "wait for it to finish and try again"
            )
        if on_wait and not told:
            on_wait(f"waiting for another maintenance run ({_pg_holder(database)}) ...")
            told = True
        time.sleep(0.05)
    try:
        yield
    finally:
        try:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))
        except Exception:  # a broken session has lost the lock already; keep the real error
            pass


def _pg_holder(database) -> str:
    row = database.execute_sql(
        "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s LIMIT 1",
        (ADVISORY_KEY,),
    ).fetchone()
    if not row:
        return "unknown session"
    return f"pid {row[0]}, {row[1] or 'no application name'}"



def _session(database: pw.Database | None) -> pw.Database:
    """The locks live in the server session: there is always one on PostgreSQL."""
    assert database is not None
    return database


def name_session(database: pw.Database, role: str, fallback: str) -> None:
    """Name the session `kiosk:<role>:<pid>`, so the other side can say who holds a lock."""
    role = re.sub(r"[^A-Za-z0-9_.-]+", "-", role).strip("-") or fallback
    suffix = f":{os.getpid()}"
    database.execute_sql("SELECT set_config('application_name', %s, false)", (("kiosk:" + role)[: 63 - len(suffix)] + suffix,))


def _when(since) -> str:
    return since.strftime("%Y-%m-%d %H:%M:%S") if isinstance(since, dt.datetime) else str(since)


# ------------------------------------------------------------------ the expiry lock
# A session-level advisory lock: shared by expiry runs, exclusive for migrate/rollback/restore;
# the holders named from pg_stat_activity. The key is the bytes of b"kioskexp".
EXPIRY_KEY = 0x6B696F736B657870


@contextlib.contextmanager
def expiry_shared(database: pw.Database, who: str) -> Iterator[None]:
    name_session(database, "expire" if who == "expire" else "expiry", "kiosk")
    if not database.execute_sql("SELECT pg_try_advisory_lock_shared(%s)", (EXPIRY_KEY,)).fetchone()[0]:
        raise MaintenanceHoldsDatabase(expiry_refusal(_expiry_holders(database, exclusive=True)))
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a lost session has dropped the lock already
            database.execute_sql("SELECT pg_advisory_unlock_shared(%s)", (EXPIRY_KEY,))


@contextlib.contextmanager
def expiry_exclusive(database: pw.Database, command: str) -> Iterator[None]:
    name_session(database, f"maintenance-{command}", "kiosk")
    if not database.execute_sql("SELECT pg_try_advisory_lock(%s)", (EXPIRY_KEY,)).fetchone()[0]:
        raise ExpiryRunning(expiry_running_refusal(_expiry_holders(database, exclusive=False)))
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (EXPIRY_KEY,))


def _expiry_holders(database: pw.Database, *, exclusive: bool) -> str:
    rows = database.execute_sql(
        "SELECT a.application_name, a.pid, a.backend_start AT TIME ZONE 'UTC' "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.mode = %s "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s AND a.pid <> pg_backend_pid() ORDER BY a.pid",
        ("ExclusiveLock" if exclusive else "ShareLock", EXPIRY_KEY),
    ).fetchall()
    out = []
    for name, pid, since in rows:
        parts = (name or "").split(":")
        what = parts[1].replace("maintenance-", "") if len(parts) >= 3 and parts[0] == "kiosk" else (name or "a session")
        client = f"pid {parts[-1]}, " if len(parts) >= 3 and parts[-1].isdigit() else ""
        out.append(one_line(f"{what}, {client}server pid {pid}, connected since {_when(since)} UTC"))
    return "; ".join(out) or "unknown session"


# ---------------------------------------------------------------- presence of kiosks
# A running kiosk holds a shared session-level advisory lock and names its session
# `kiosk:<booth>:<pid>`; maintenance tries the exclusive lock and, when it cannot have
# it, names the holders from pg_stat_activity. The key is the bytes of b"kioskliv".
PRESENCE_KEY = 0x6B696F736B6C6976


@contextlib.contextmanager
def announce(target, database: pw.Database, me: LiveKiosk) -> Iterator[LiveKiosk]:
    name_session(database, me.booth, "booth")
    if not database.execute_sql("SELECT pg_try_advisory_lock_shared(%s)", (PRESENCE_KEY,)).fetchone()[0]:
        raise MaintenanceRunning(
            f"maintenance is running on {target.describe()}: wait for it to finish, then start the kiosk again"
        )
    try:
        yield me
    finally:
        with contextlib.suppress(Exception):  # a lost session has dropped the lock already
            database.execute_sql("SELECT pg_advisory_unlock_shared(%s)", (PRESENCE_KEY,))


@contextlib.contextmanager
def exclusive(database: pw.Database) -> Iterator[list[LiveKiosk]]:
    if not database.execute_sql("SELECT pg_try_advisory_lock(%s)", (PRESENCE_KEY,)).fetchone()[0]:
        yield _live(database) or [UNKNOWN_KIOSK]
        return
    try:
        yield []
    finally:
        with contextlib.suppress(Exception):
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (PRESENCE_KEY,))


def _live(database: pw.Database | None) -> list[LiveKiosk]:
    """Sessions holding the presence lock, named from pg_stat_activity (booth, pid, client address)."""
    if database is None:
        return []
    rows = database.execute_sql(
        "SELECT DISTINCT a.application_name, a.pid, COALESCE(host(a.client_addr), 'local socket'), "
        "a.backend_start AT TIME ZONE 'UTC' "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ShareLock' "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = %s AND a.pid <> pg_backend_pid() "
        "ORDER BY a.pid",
        (PRESENCE_KEY,),
    ).fetchall()
    return [LiveKiosk(_booth_of(name), _client_pid(name) or pid, host, _when(since)) for name, pid, host, since in rows]


def _client_pid(application_name: str | None) -> int | None:
    """The kiosk process's own pid, from 'kiosk:<booth>:<pid>'."""
    last = (application_name or "").rsplit(":", 1)[-1]
    return int(last) if last.isdigit() else None


def _booth_of(application_name: str | None) -> str:
    """'kiosk:<booth>:<pid>' -> booth; another client's name as it is."""
    parts = (application_name or "").split(":")
    return parts[1] if len(parts) >= 3 and parts[0] == "kiosk" else (application_name or "unnamed session")
