"""Which database the kiosk talks to, and opening it through its backend (kiosk.backends).

`--db TARGET` or `KIOSK_DB` names it: a file path (embedded SQLite, the default
`kiosk.db` in the current directory) or a `postgresql://` URL (multi-booth sites).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import peewee as pw

from .backends import backend_for
from .backends.postgresql import APPLICATION_NAME_MAX, PG_CONNECT_TIMEOUT_S, DatabaseUnavailable, application_name
from .backends.sqlite import (
    BUSY_TIMEOUT_MS,
    SQLITE_PRAGMAS,
    OwnerOnlySqliteDatabase,
    sqlite_database,
    sqlite_uri,
)
from .errors import DatabaseTargetError, ErrorCode

DEFAULT_TARGET = "kiosk.db"
SQLITE_MAGIC = b"SQLite format 3\x00"
db_proxy = pw.DatabaseProxy()


@dataclass(frozen=True)
class Target:
    """A validated database target."""

    raw: str
    kind: str  # "sqlite" or "postgresql"
    path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.kind == "sqlite"

    def describe(self) -> str:
        if self.is_sqlite:
            return f"sqlite:{self.path}"
        return _redact(self.raw)

    @property
    def file(self) -> Path:
        """The SQLite file: resolve_target() gives every SQLite target one."""
        assert self.path is not None, f"{self.kind} target has no file"
        return self.path

    def exists(self) -> bool:
        """True when there is something to open (a PostgreSQL server is assumed to)."""
        if not self.is_sqlite:
            return True
        return self.file.exists() and self.file.stat().st_size > 0


def resolve_target(explicit: str | None = None) -> Target:
    """Pick the target (argument, then KIOSK_DB, then the default) and validate it."""
    raw = explicit if explicit not in (None, "") else os.environ.get("KIOSK_DB") or DEFAULT_TARGET
    raw = raw.strip()
    if not raw:
        raise DatabaseTargetError("the database target is empty: give a file path or a postgresql:// URL")
    if "://" in raw:
        scheme = raw.split("://", 1)[0].lower()
        if scheme in ("postgres", "postgresql"):
            _check_pg_url(raw)
            return Target(raw=raw, kind="postgresql")
        raise DatabaseTargetError(
            f"unsupported database URL scheme '{scheme}': use a file path (SQLite) or postgresql://user@host:port/dbname"
        )
    return Target(raw=raw, kind="sqlite", path=_check_sqlite_path(Path(raw).expanduser()))


def wrecked_file_target(explicit: str | None = None) -> Target:
    """The target of a file that is not a database any more, as `resolve_target` would pick it: the
    emergency procedure restores over exactly such a file (NOT_A_DATABASE)."""
    raw = explicit or ""
    path = Path(explicit or os.environ.get("KIOSK_DB") or DEFAULT_TARGET).expanduser().absolute()
    return Target(raw=raw, kind="sqlite", path=path)


def _check_sqlite_path(path: Path) -> Path:
    path = path.absolute()
    if path.is_dir():
        raise DatabaseTargetError(f"{path} is a directory: give the path of a database file, e.g. {path / DEFAULT_TARGET}")
    if not path.parent.is_dir():
        raise DatabaseTargetError(f"folder {path.parent} does not exist: create it first or choose another path")
    if path.exists():
        if not os.access(path, os.R_OK):
            raise DatabaseTargetError(f"cannot read {path}: check its owner and permissions")
        if path.stat().st_size > 0:
            with path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
            if head != SQLITE_MAGIC:
                raise DatabaseTargetError(f"{path} is not a SQLite database: point --db at a kiosk database file",
                                          code=ErrorCode.NOT_A_DATABASE)
    return path


def _check_pg_url(raw: str) -> None:
    """Refuse a PostgreSQL URL that cannot name a database, before any connection."""
    allowed = "write it as postgresql://user@host:port/dbname"
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
    except ValueError:
        raise DatabaseTargetError(f"bad port in {_redact(raw)}: {allowed} (port 1-65535)") from None
    dbname = parts.path.lstrip("/")
    if not dbname or "/" in dbname:
        raise DatabaseTargetError(f"{_redact(raw)} names no database: {allowed}")


def connect(target: Target, readonly: bool = False, role: str | None = None, bind: bool = True) -> pw.Database:
    """Open the database for a target and bind the models to it.

    `readonly` opens an existing SQLite file without any write, not even the
    WAL switch, for commands such as `status` that must not touch a file that
    may not be a kiosk database; on PostgreSQL it makes the session read-only.
    A PostgreSQL session is opened at once, so an unreachable server, a refused
    login or a missing database is a one-line `DatabaseUnavailable` here;
    `role` names the session (see `application_name`). SQLite opens lazily.
    `bind=False` leaves the models bound where they are (a scratch database).
    """
    db = backend_for(target).open(target, readonly=readonly, role=role)
    if bind and not readonly:  # a read-only look never rebinds the models away from the working database
        db_proxy.initialize(db)
    return db


def open_database(explicit: str | None = None) -> tuple[Target, pw.Database]:
    target = resolve_target(explicit)
    return target, connect(target)


__all__ = [
    "APPLICATION_NAME_MAX",
    "BUSY_TIMEOUT_MS",
    "DEFAULT_TARGET",
    "PG_CONNECT_TIMEOUT_S",
    "SQLITE_MAGIC",
    "SQLITE_PRAGMAS",
    "DatabaseUnavailable",
    "OwnerOnlySqliteDatabase",
    "Target",
    "application_name",
    "connect",
    "db_proxy",
    "open_database",
    "resolve_target",
    "sqlite_database",
    "sqlite_uri",
    "wrecked_file_target",
]


def _redact(url: str) -> str:
    """Hide a password in a URL before it is printed or logged."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}" if ":" in creds else url
