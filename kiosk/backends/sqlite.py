"""SQLite: one writer at a time, a file on this machine.

A write transaction starts with BEGIN IMMEDIATE: the lock is taken before anything
is read, so a check-then-write (a free spot, an open stay) cannot be overtaken by
another booth, and no row needs locking.

Waiting for the lock is done here, not by SQLite's busy handler: that one sleeps
in growing steps up to 100 ms and keeps missing the short gaps between a
maintenance run's batches. So BEGIN IMMEDIATE is tried with busy_timeout 0 and
retried every few ms until a deadline; a busy error inside a transaction retries
the whole transaction.

While a booth waits for the lock and until its transaction ends it holds the
shared intent lock (kiosk.backends.intent), so the expiry/archive worker sees it
and hands the lock over between two statements instead of after a whole batch.
The worker's own batches (`worker=True`) announce themselves only while they
wait, so two workers still take turns, and a worker never sees itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import random
import socket
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar
from urllib.parse import quote, urlencode

import peewee as pw

from .. import owner_only
from ..errors import one_line
from . import intent
from .base import (
    UNKNOWN_KIOSK,
    Backend,
    Busy,
    ExpiryRunning,
    LiveKiosk,
    LockBusy,
    MaintenanceHoldsDatabase,
    MaintenanceRunning,
    expiry_refusal,
    expiry_running_refusal,
)

T = TypeVar("T")
POLL_FIRST_S, POLL_MAX_S = 0.0002, 0.001  # BEGIN IMMEDIATE retried after this long, growing


# ------------------------------------------------------------------ connections
BUSY_TIMEOUT_MS = 5000

# Every connection: WAL so booths read while one writes; FULL sync so a power cut
# loses no committed payment; foreign keys on (SQLite's default is off).
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
    "synchronous": "full",
}

def sqlite_uri(path: Path | str, **params: str) -> str:
    """A SQLite URI (`file:` + parameters) naming exactly the file at `path`.

    SQLite percent-decodes the path and ends it at '?' or '#': every byte but
    letters, digits, '-._~' and '/' is percent-encoded, so a name with spaces, '#',
    '?', '%', a newline or non-ASCII (any bytes the file system allows) stays that file.
    """
    encoded = quote(os.fsencode(Path(path).absolute()), safe="/")
    query = urlencode(params, quote_via=quote)
    return f"file://{encoded}" + (f"?{query}" if query else "")


class OwnerOnlySqliteDatabase(pw.SqliteDatabase):
    """A SQLite file opened read-write: created owner-only, or tightened, before each connection
    (see kiosk.owner_only)."""

    def _connect(self):
        owner_only.prepare_sqlite(Path(self.database))
        return super()._connect()


def sqlite_database(path: Path, **pragmas) -> pw.SqliteDatabase:
    """The kiosk's read-write connection settings on a SQLite file (PRAGMAs overridable)."""
    return OwnerOnlySqliteDatabase(str(path), pragmas={**SQLITE_PRAGMAS, **pragmas}, timeout=BUSY_TIMEOUT_MS / 1000)


def is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


class SqliteBackend(Backend):
    name = "sqlite"
    single_writer = True

    def open(self, target, readonly: bool = False, role: str | None = None) -> pw.Database:
        """`readonly`: without any write, not even the WAL switch. Opens lazily."""
        if readonly:
            return pw.SqliteDatabase(sqlite_uri(target.path, mode="ro"), uri=True, pragmas={"busy_timeout": BUSY_TIMEOUT_MS})
        owner_only.tighten_all(target.path)
        return sqlite_database(target.path)

    def write(self, db: pw.Database, fn: Callable[[], T], deadline_s: float, worker: bool) -> T:
        give_up = time.monotonic() + deadline_s
        if worker:
            return _write(db, fn, give_up, announce_while_waiting=True)
        with intent.wanting(db):  # from now until the transaction has ended
            return _write(db, fn, give_up, announce_while_waiting=False)

    def db_file(self, db: pw.Database) -> Path | None:
        return intent.db_file(db)

    def full_where(self, db: pw.Database) -> str:
        name = str(getattr(db, "database", "") or "")
        if name and name != ":memory:":
            return f"the disk holding {Path(name.removeprefix('file:').split('?', 1)[0]).absolute().parent}"
        return super().full_where(db)

    def maintenance_lock(self, target, database: pw.Database, wait_seconds: float, on_wait=None):
        return file_lock(target.path, wait_seconds=wait_seconds, on_wait=on_wait)

    def foreign_keys_off(self, db: pw.Database) -> None:
        # Outside any transaction: inside one, SQLite ignores the PRAGMA.
        db.execute_sql("PRAGMA foreign_keys=OFF")

    def check_foreign_keys(self, db: pw.Database) -> None:
        rows = db.execute_sql("PRAGMA foreign_key_check").fetchall()
        if rows:
            tables = sorted({r[0] for r in rows})
            raise RuntimeError(f"{len(rows)} row(s) would break foreign keys in {', '.join(tables)}")

    def foreign_keys_on(self, db: pw.Database) -> None:
        db.execute_sql("PRAGMA foreign_keys=ON")

    def expiry_running(self, database: pw.Database, who: str):
        return expiry_shared(database, who)

    def no_expiry(self, target, database: pw.Database | None, command: str):
        return expiry_exclusive(target.path, command)

    def announce(self, target, database: pw.Database | None, me: LiveKiosk):
        return announce(target, me)

    def live_kiosks(self, target, database: pw.Database | None) -> list[LiveKiosk]:
        return live_kiosks(target.path)

    def exclusive(self, target, database: pw.Database | None):
        return exclusive(target.path)

    def table_sizes(self, db: pw.Database) -> tuple[list[dict], list[dict], str]:
        """dbstat where compiled in, else page counts (only the whole file is known)."""
        names = db.execute_sql(
            "SELECT name, type, tbl_name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        if not names:
            return [], [], "n/a"
        try:
            sizes = dict(db.execute_sql("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
            source = "dbstat"
        except pw.OperationalError:
            # No dbstat: only the whole file is known; per-object bytes stay null.
            sizes, source = {}, "page_count (dbstat not available)"
        tables, indexes = [], []
        for name, kind, table in sorted(names):
            if kind == "table":
                rows = db.execute_sql(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
                tables.append({"name": name, "rows": rows, "bytes": sizes.get(name)})
            else:
                indexes.append({"name": name, "table": table, "bytes": sizes.get(name)})
        if source != "dbstat":
            page_size = db.execute_sql("PRAGMA page_size").fetchone()[0]
            pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
            source += f", whole file {page_size * pages} bytes"
        return tables, indexes, source

    def plan(self, db: pw.Database, sql: str, params: tuple) -> list[str]:
        return [r[-1] for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


def _write(db: pw.Database, fn: Callable[[], T], give_up: float, announce_while_waiting: bool) -> T:
    # Short polls: the expiry/archive worker hands the lock over within a fraction of a ms
    # (kiosk.booth.worker_session) and a booth's transaction takes 1-2 ms; a try costs ~0.03 ms.
    delay = POLL_FIRST_S
    with contextlib.ExitStack() as waiting:  # holds the worker's intent lock from its first refusal to BEGIN
        while True:
            try:
                with _immediate(db, on_begin=waiting.close):
                    return fn()
            except pw.OperationalError as exc:
                if not is_busy(exc):
                    raise
                if time.monotonic() >= give_up:
                    raise Busy() from None
                if announce_while_waiting:
                    waiting.close()
                    waiting.enter_context(intent.wanting(db))
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 1.5, POLL_MAX_S)


class _immediate:
    """BEGIN IMMEDIATE without SQLite's own busy wait; the connection's timeout is restored at once.
    `on_begin` runs once the write lock is held."""

    def __init__(self, db: pw.Database, on_begin: Callable[[], object] = lambda: None):
        self.db = db
        self.atomic = db.atomic("IMMEDIATE")
        self.on_begin = on_begin

    def __enter__(self):
        timeout = self.db.execute_sql("PRAGMA busy_timeout").fetchone()[0]
        self.db.execute_sql("PRAGMA busy_timeout = 0")
        try:
            entered = self.atomic.__enter__()
        finally:
            self.db.execute_sql(f"PRAGMA busy_timeout = {int(timeout)}")
        self.on_begin()
        return entered

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


# ---------------------------------------------------------------- the maintenance lock
def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextlib.contextmanager
def file_lock(db_path: Path, wait_seconds: float = 60.0, on_wait=None):
    """Hold an exclusive flock beside the database; wait up to `wait_seconds`."""
    path = lock_path(db_path)
    fd = owner_only.open_file(path)
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"another maintenance run holds {path} ({_holder(path)}): wait for it to finish and try again"
                    ) from None
                if on_wait and not told:
                    on_wait(f"waiting for another maintenance run ({_holder(path)}) ...")
                    told = True
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}\n".encode())
        yield path
    finally:
        os.close(fd)  # closing releases the flock


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown process"
    except OSError:
        return "unknown process"


def _flock_busy(exc: OSError) -> bool:
    return exc.errno in (errno.EAGAIN, errno.EACCES)


# ------------------------------------------------------------------ the expiry lock
# A flock on `<db>.expiry`: each expiry run holds it shared and writes a small info file
# into `<db>.expiry.d/`; a migrate/rollback/restore holds it exclusively and writes its
# own description into `<db>.expiry`.
def expiry_lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".expiry")


def expiry_info_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".expiry.d")


def _sqlite_path(database: pw.Database) -> Path | None:
    name = str(database.database)
    if name.startswith("file:"):
        name = name[5:].split("?", 1)[0]
    return None if name in ("", ":memory:") else Path(name).absolute()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@contextlib.contextmanager
def expiry_shared(database: pw.Database, who: str) -> Iterator[None]:
    path = _sqlite_path(database)
    if path is None:
        yield  # an in-memory database: no other process can see it
        return
    fd = os.open(expiry_lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    info = None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if not _flock_busy(exc):
                raise
            raise MaintenanceHoldsDatabase(expiry_refusal(_expiry_file_holder(path))) from None
        folder = expiry_info_dir(path)
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder / f"{socket.gethostname()}-{os.getpid()}-{id(database)}.json"
        info.write_text(json.dumps({"who": who, "pid": os.getpid(), "host": socket.gethostname(), "since": _now()}))
        yield
    finally:
        if info is not None:
            with contextlib.suppress(OSError):
                info.unlink()
        os.close(fd)  # releases the shared lock


@contextlib.contextmanager
def expiry_exclusive(db_path: Path, command: str) -> Iterator[None]:
    fd = os.open(expiry_lock_path(db_path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if not _flock_busy(exc):
                raise
            raise ExpiryRunning(expiry_running_refusal(_expiry_runs(db_path))) from None
        folder = expiry_info_dir(db_path)
        for stale in folder.glob("*.json") if folder.is_dir() else []:
            with contextlib.suppress(OSError):
                stale.unlink()  # no expiry run holds the lock: every info file is left over from a killed one
        os.ftruncate(fd, 0)
        os.write(fd, f"{command}, pid {os.getpid()} on {socket.gethostname()}, since {_now()} UTC\n".encode())
        yield
    finally:
        os.close(fd)


def _expiry_file_holder(db_path: Path) -> str:
    try:
        return one_line(expiry_lock_path(db_path).read_text().strip()) or "unknown process"
    except OSError:
        return "unknown process"


def _expiry_runs(db_path: Path) -> str:
    folder = expiry_info_dir(db_path)
    runs = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            raw = json.loads(path.read_text())
            runs.append(one_line(f"{raw['who']}, pid {raw['pid']} on {raw['host']}, since {raw['since']} UTC"))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return "; ".join(runs) or "unknown process"


# ---------------------------------------------------------------- presence of kiosks
# Every running kiosk holds a shared flock on `<db>.presence` and writes one info file
# (booth, pid, host, since) into `<db>.presence.d/`; maintenance probes with a
# non-blocking exclusive lock. A crashed kiosk's info file is cleaned up by the next probe.
def presence_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".presence")


@contextlib.contextmanager
def announce(target, me: LiveKiosk) -> Iterator[LiveKiosk]:
    fd = owner_only.open_file(presence_path(target.path))
    info = None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if not _flock_busy(exc):
                raise
            raise MaintenanceRunning(
                f"maintenance is running on {target.describe()}: wait for it to finish, then start the kiosk again"
            ) from None
        folder = owner_only.info_dir(target.path)
        owner_only.make_dir(folder)
        info = folder / f"{me.host}-{me.pid}.json"
        with os.fdopen(owner_only.open_file(info, os.O_WRONLY | os.O_TRUNC), "w") as fh:
            fh.write(json.dumps(me.__dict__))
        yield me
    finally:
        if info is not None:
            with contextlib.suppress(OSError):
                info.unlink()
        os.close(fd)  # releases the shared lock


def live_kiosks(db_path: Path) -> list[LiveKiosk]:
    fd = _open_probe(db_path)
    if fd is None:
        return []
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if not _flock_busy(exc):
                raise
            return _named_kiosks(db_path)
        _clean_stale(db_path)
        return []
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive(db_path: Path) -> Iterator[list[LiveKiosk]]:
    fd = owner_only.open_file(presence_path(db_path))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if not _flock_busy(exc):
                raise
            yield _named_kiosks(db_path) or [UNKNOWN_KIOSK]
            return
        _clean_stale(db_path)
        yield []
    finally:
        os.close(fd)


def _open_probe(db_path: Path) -> int | None:
    path = presence_path(db_path)
    try:
        return os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None  # no kiosk has ever announced itself here


def _read_infos(db_path: Path) -> list[tuple[Path, LiveKiosk]]:
    folder = owner_only.info_dir(db_path)
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            raw = json.loads(path.read_text())
            out.append((path, LiveKiosk(str(raw["booth"]), raw.get("pid"), str(raw["host"]), str(raw["since"]))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return out


def _named_kiosks(db_path: Path) -> list[LiveKiosk]:
    """Info of kiosks holding the lock; entries of dead local processes are skipped."""
    here = socket.gethostname()
    live = []
    for _path, k in _read_infos(db_path):
        if k.host == here and k.pid and not _pid_alive(k.pid):
            continue
        live.append(k)
    return live


def _clean_stale(db_path: Path) -> None:
    """Called while holding the exclusive lock: no kiosk runs, every info file is stale."""
    for path, _k in _read_infos(db_path):
        with contextlib.suppress(OSError):
            path.unlink()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
