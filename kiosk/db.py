"""Which database the kiosk talks to, and how connections are opened.

`--db TARGET` or `KIOSK_DB` names it: a file path (embedded SQLite, the default
`kiosk.db` in the current directory) or a `postgresql://` URL (multi-booth sites).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from .errors import DatabaseTargetError

DEFAULT_TARGET = "kiosk.db"
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000

# Every connection: WAL so booths read while one writes; FULL sync so a power cut
# loses no committed payment; foreign keys on (SQLite's default is off).
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
    "synchronous": "full",
}

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

    def exists(self) -> bool:
        """True when there is something to open (a PostgreSQL server is assumed to)."""
        if not self.is_sqlite:
            return True
        return self.path.exists() and self.path.stat().st_size > 0


def resolve_target(explicit: str | None = None) -> Target:
    """Pick the target (argument, then KIOSK_DB, then the default) and validate it."""
    raw = explicit if explicit not in (None, "") else os.environ.get("KIOSK_DB") or DEFAULT_TARGET
    raw = raw.strip()
    if not raw:
        raise DatabaseTargetError("the database target is empty: give a file path or a postgresql:// URL")
    if "://" in raw:
        scheme = raw.split("://", 1)[0].lower()
        if scheme in ("postgres", "postgresql"):
            return Target(raw=raw, kind="postgresql")
        raise DatabaseTargetError(
            f"unsupported database URL scheme '{scheme}': use a file path (SQLite) or postgresql://user@host:port/dbname"
        )
    return Target(raw=raw, kind="sqlite", path=_check_sqlite_path(Path(raw).expanduser()))


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
                raise DatabaseTargetError(f"{path} is not a SQLite database: point --db at a kiosk database file")
    return path


def connect(target: Target, readonly: bool = False) -> pw.Database:
    """Open (lazily) the database for a target and bind the models to it.

    `readonly` opens an existing SQLite file without any write, not even the
    WAL switch, for commands such as `status` that must not touch a file that
    may not be a kiosk database.
    """
    if target.is_sqlite and readonly:
        db: pw.Database = pw.SqliteDatabase(
            f"file:{target.path}?mode=ro", uri=True, pragmas={"busy_timeout": BUSY_TIMEOUT_MS}
        )
    elif target.is_sqlite:
        db = pw.SqliteDatabase(str(target.path), pragmas=dict(SQLITE_PRAGMAS), timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        from playhouse.db_url import connect as url_connect

        db = url_connect(target.raw)
    if not readonly:  # a read-only look never rebinds the models away from the working database
        db_proxy.initialize(db)
    return db


def open_database(explicit: str | None = None) -> tuple[Target, pw.Database]:
    target = resolve_target(explicit)
    return target, connect(target)


def _redact(url: str) -> str:
    """Hide a password in a URL before it is printed or logged."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}" if ":" in creds else url
