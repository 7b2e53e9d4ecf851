"""Which database the kiosk talks to, and how connections are opened.

`--db TARGET` or `KIOSK_DB` names it: a file path (embedded SQLite, the default
`kiosk.db` in the current directory) or a `postgresql://` URL (multi-booth sites).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import peewee as pw

from . import owner_only
from .errors import DatabaseTargetError, ErrorCode, KioskError

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

# PostgreSQL sessions: give up on an unreachable server after this many seconds.
PG_CONNECT_TIMEOUT_S = 5
# Identifies the kiosk in pg_stat_activity; PostgreSQL keeps 63 bytes of it.
APPLICATION_NAME_MAX = 63

db_proxy = pw.DatabaseProxy()


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


class DatabaseUnavailable(KioskError):
    """The PostgreSQL server cannot be reached, refused the login, or lacks the database."""

    code = ErrorCode.UNAVAILABLE

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


def _connect_postgresql(target: Target, readonly: bool, role: str | None) -> pw.Database:
    from playhouse.db_url import connect as url_connect
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


def _explain_pg_failure(target: Target, given: dict, exc: BaseException) -> str:
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
    if target.is_sqlite and readonly:
        db: pw.Database = pw.SqliteDatabase(
            sqlite_uri(target.file, mode="ro"), uri=True, pragmas={"busy_timeout": BUSY_TIMEOUT_MS}
        )
    elif target.is_sqlite:
        owner_only.tighten_all(target.file)
        db = sqlite_database(target.file)
    else:
        db = _connect_postgresql(target, readonly, role)
    if bind and not readonly:  # a read-only look never rebinds the models away from the working database
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
