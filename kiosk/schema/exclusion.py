"""Expiry and schema-changing maintenance never run at the same time.

An expiry/archive run (`kiosk --maintenance expire`, the terminal's background
worker) holds a *shared* lock for its whole run; migrate, rollback and restore
need it *exclusively*. Whichever comes second is refused at once, naming the
first (which command, pid, since when): an expiry run under a rollback wrote
into tables being dropped, and one under a restore into the file being replaced.

SQLite: a flock on `<db>.expiry`. Each expiry run writes a small info file into
`<db>.expiry.d/`; the maintenance run holding the lock exclusively writes its
own description into `<db>.expiry`. PostgreSQL: a session-level advisory lock
(EXPIRY_KEY), shared or exclusive, holders named from pg_stat_activity. The
kernel (or the server) drops a dead process's lock, so a killed run never
blocks the other kind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import socket
from pathlib import Path
from typing import Iterator

import peewee as pw

from ..errors import ErrorCode, KioskError, one_line

# PostgreSQL: the key of the expiry lock (the bytes of b"kioskexp"); advisory locks are per database.
EXPIRY_KEY = 0x6B696F736B657870


class MaintenanceHoldsDatabase(KioskError):
    """An expiry run was refused: a migrate, rollback or restore holds the database."""

    exit_code = 3
    code = ErrorCode.MAINTENANCE_RUNNING


class ExpiryRunning(KioskError):
    """A migrate, rollback or restore was refused: an expiry/archive run is under way."""

    exit_code = 3
    code = ErrorCode.EXPIRY_RUNNING


def _sqlite_path(database: pw.Database) -> Path | None:
    if not isinstance(database, pw.SqliteDatabase):
        return None
    name = str(database.database)
    if name.startswith("file:"):
        name = name[5:].split("?", 1)[0]
    return None if name in ("", ":memory:") else Path(name).absolute()


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".expiry")


def info_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".expiry.d")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _busy(exc: OSError) -> bool:
    return exc.errno in (errno.EAGAIN, errno.EACCES)


def _pg_name(database: pw.Database, role: str) -> None:
    """Name the session `kiosk:<role>:<pid>`, so the other side can say who holds the lock."""
    role = re.sub(r"[^A-Za-z0-9_.-]+", "-", role).strip("-") or "kiosk"
    suffix = f":{os.getpid()}"
    database.execute_sql("SELECT set_config('application_name', %s, false)", (("kiosk:" + role)[: 63 - len(suffix)] + suffix,))


@contextlib.contextmanager
def expiry_running(database: pw.Database, who: str) -> Iterator[None]:
    """Hold the shared expiry lock for an expiry/archive run; `who` says what runs it
    ('expire' for the command, 'expiry worker of booth X'). Raises MaintenanceHoldsDatabase."""
    path = _sqlite_path(database)
    if path is None and isinstance(database, pw.SqliteDatabase):
        yield  # an in-memory database: no other process can see it
        return
    if path is None:
        _pg_name(database, "expire" if who == "expire" else "expiry")
        if not database.execute_sql("SELECT pg_try_advisory_lock_shared(%s)", (EXPIRY_KEY,)).fetchone()[0]:
            raise MaintenanceHoldsDatabase(_refusal(_pg_holders(database, exclusive=True)))
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a lost session has dropped the lock already
                database.execute_sql("SELECT pg_advisory_unlock_shared(%s)", (EXPIRY_KEY,))
        return
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    info = None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if not _busy(exc):
                raise
            raise MaintenanceHoldsDatabase(_refusal(_file_holder(path))) from None
        folder = info_dir(path)
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder / f"{socket.gethostname()}-{os.getpid()}-{id(database)}.json"
        info.write_text(json.dumps({"who": who, "pid": os.getpid(), "host": socket.gethostname(), "since": _now()}))
        yield
    finally:
        if info is not None:
            with contextlib.suppress(OSError):
                info.unlink()
        os.close(fd)  # releases the shared lock


def _refusal(holder: str) -> str:
    return (f"maintenance is changing the database ({holder}): expiry was not started and nothing was changed; "
            "it runs again once maintenance has finished")


@contextlib.contextmanager
def no_expiry(target, database: pw.Database | None, command: str) -> Iterator[None]:
    """Hold the expiry lock exclusively for a migrate/rollback/restore; raises ExpiryRunning naming the runs."""
    if not target.is_sqlite:
        assert database is not None, "a PostgreSQL lock is held by a session"
        _pg_name(database, f"maintenance-{command}")
        if not database.execute_sql("SELECT pg_try_advisory_lock(%s)", (EXPIRY_KEY,)).fetchone()[0]:
            raise ExpiryRunning(_running(_pg_holders(database, exclusive=False)))
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                database.execute_sql("SELECT pg_advisory_unlock(%s)", (EXPIRY_KEY,))
        return
    fd = os.open(lock_path(target.path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if not _busy(exc):
                raise
            raise ExpiryRunning(_running(_expiry_runs(target.path))) from None
        for stale in info_dir(target.path).glob("*.json") if info_dir(target.path).is_dir() else []:
            with contextlib.suppress(OSError):
                stale.unlink()  # no expiry run holds the lock: every info file is left over from a killed one
        os.ftruncate(fd, 0)
        os.write(fd, f"{command}, pid {os.getpid()} on {socket.gethostname()}, since {_now()} UTC\n".encode())
        yield
    finally:
        os.close(fd)


def _running(holders: str) -> str:
    return (f"an expiry/archive run is under way ({holders}): wait for it to finish (Ctrl-C stops the "
            "expire command) and try again")


def _file_holder(db_path: Path) -> str:
    try:
        return one_line(lock_path(db_path).read_text().strip()) or "unknown process"
    except OSError:
        return "unknown process"


def _expiry_runs(db_path: Path) -> str:
    folder = info_dir(db_path)
    runs = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            raw = json.loads(path.read_text())
            runs.append(one_line(f"{raw['who']}, pid {raw['pid']} on {raw['host']}, since {raw['since']} UTC"))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return "; ".join(runs) or "unknown process"


def _pg_holders(database: pw.Database, *, exclusive: bool) -> str:
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
        when = since.strftime("%Y-%m-%d %H:%M:%S") if isinstance(since, dt.datetime) else str(since)
        out.append(one_line(f"{what}, {client}server pid {pid}, connected since {when} UTC"))
    return "; ".join(out) or "unknown session"
