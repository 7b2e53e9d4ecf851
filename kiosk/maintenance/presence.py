"""Which kiosks are running on a database, so maintenance never runs under them.

SQLite: every running kiosk holds a *shared* flock on `<db>.presence` for as
long as it runs, and writes one small info file (booth, pid, host, since) into
`<db>.presence.d/`. Maintenance probes with a non-blocking *exclusive* lock: it
gets it only when no kiosk holds the shared one. The kernel drops a dead
process's lock, so a crashed kiosk never blocks maintenance; its info file is
left behind and cleaned up by the next probe. While maintenance holds the
exclusive lock (`exclusive()`), a kiosk that starts is refused.

PostgreSQL: the same design with the server's advisory locks. A running kiosk
holds a *shared* session-level advisory lock (PRESENCE_KEY) and names its
session `kiosk:<booth>:<pid>` (application_name); maintenance tries the
*exclusive* lock and, when it cannot have it, names the holders from
`pg_stat_activity`. The server drops a dead session and its locks, so a crashed
kiosk never blocks maintenance; while maintenance holds the exclusive lock, a
kiosk that starts is refused.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import peewee as pw

from .. import owner_only
from ..clock import SystemClock, to_sqlite_text
from ..db import Target
from ..errors import ErrorCode, KioskError


# PostgreSQL: the presence lock's key (the bytes of b"kioskliv"); advisory locks are per database.
PRESENCE_KEY = 0x6B696F736B6C6976


class MaintenanceRunning(KioskError):
    """A kiosk tried to start while maintenance holds the database."""

    code = ErrorCode.MAINTENANCE_RUNNING

@dataclass(frozen=True)
class LiveKiosk:
    booth: str
    pid: int | None
    host: str
    since: str

    def describe(self) -> str:
        pid = f" pid {self.pid}" if self.pid else ""
        return f"booth '{self.booth}' ({self.host}{pid}, since {self.since} UTC)"


def presence_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".presence")


def info_dir(db_path: Path) -> Path:
    return owner_only.info_dir(db_path)


@contextlib.contextmanager
def announce(target: Target, database: pw.Database | None, booth_name: str) -> Iterator[LiveKiosk]:
    """Make this kiosk visible to maintenance for as long as the block runs."""
    me = LiveKiosk(booth=booth_name, pid=os.getpid(), host=socket.gethostname(), since=to_sqlite_text(SystemClock().now()))
    if not target.is_sqlite:
        role = re.sub(r"[^A-Za-z0-9_.-]+", "-", booth_name).strip("-") or "booth"
        suffix = f":{os.getpid()}"
        database.execute_sql("SELECT set_config('application_name', %s, false)", (("kiosk:" + role)[: 63 - len(suffix)] + suffix,))
        if not database.execute_sql("SELECT pg_try_advisory_lock_shared(%s)", (PRESENCE_KEY,)).fetchone()[0]:
            raise MaintenanceRunning(
                f"maintenance is running on {target.describe()}: wait for it to finish, then start the kiosk again"
            )
        try:
            yield me
        finally:
            with contextlib.suppress(Exception):  # a lost session has dropped the lock already
                database.execute_sql("SELECT pg_advisory_unlock_shared(%s)", (PRESENCE_KEY,))
        return
    fd = owner_only.open_file(presence_path(target.path))
    info = None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise MaintenanceRunning(
                f"maintenance is running on {target.describe()}: wait for it to finish, then start the kiosk again"
            ) from None
        folder = info_dir(target.path)
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


def live_kiosks(target: Target, database: pw.Database | None = None) -> list[LiveKiosk]:
    """The kiosks running on this database now (empty when none)."""
    if not target.is_sqlite:
        return _pg_live(database)
    fd = _open_probe(target.path)
    if fd is None:
        return []
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            return _named_kiosks(target.path)
        _clean_stale(target.path)
        return []
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive(target: Target, database: pw.Database | None = None) -> Iterator[list[LiveKiosk]]:
    """Hold the database against kiosks for the block; yields the live ones if any.

    When the list is not empty the lock is *not* held and the caller must refuse.
    """
    if not target.is_sqlite:
        if not database.execute_sql("SELECT pg_try_advisory_lock(%s)", (PRESENCE_KEY,)).fetchone()[0]:
            yield _pg_live(database) or [LiveKiosk("unknown", None, "unknown host", "?")]
            return
        try:
            yield []
        finally:
            with contextlib.suppress(Exception):
                database.execute_sql("SELECT pg_advisory_unlock(%s)", (PRESENCE_KEY,))
        return
    fd = owner_only.open_file(presence_path(target.path))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            yield _named_kiosks(target.path) or [LiveKiosk("unknown", None, "unknown host", "?")]
            return
        _clean_stale(target.path)
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
    folder = info_dir(db_path)
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


def _pg_live(database: pw.Database | None) -> list[LiveKiosk]:
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
    return [
        LiveKiosk(
            _booth_of(name),
            _client_pid(name) or pid,
            host,
            since.strftime("%Y-%m-%d %H:%M:%S") if isinstance(since, dt.datetime) else str(since),
        )
        for name, pid, host, since in rows
    ]


def _client_pid(application_name: str | None) -> int | None:
    """The kiosk process's own pid, from 'kiosk:<booth>:<pid>'."""
    last = (application_name or "").rsplit(":", 1)[-1]
    return int(last) if last.isdigit() else None


def _booth_of(application_name: str | None) -> str:
    """'kiosk:<booth>:<pid>' -> booth; another client's name as it is."""
    parts = (application_name or "").split(":")
    return parts[1] if len(parts) >= 3 and parts[0] == "kiosk" else (application_name or "unnamed session")
