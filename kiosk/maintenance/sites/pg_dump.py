"""PostgreSQL backups with pg_dump, verified, and restore with pg_restore in one transaction.

Backup: this session counts every table's rows in a REPEATABLE READ snapshot and
exports it; `pg_dump --snapshot` dumps exactly that snapshot (custom format) while
the booths keep working. The file is verified by reading it back with pg_restore
(which turns it into SQL) and counting the rows of each table's COPY block: they
must equal the counts. It is written under a hidden name and renamed once
verified, owner-only (0600), and rotated like SQLite backups.

Restore: the file is checked the same way before anything is touched (and must
hold a kiosk schema history this kiosk knows, and the schema of the version that
history records: see pg_restore.py). Then every table, view and function is dropped and
the dump's SQL is loaded by psql in ONE transaction (--single-transaction), so a
failure or a kill leaves the database exactly as it was; afterwards the row
counts must equal the dump's. The current database is first dumped aside.

Backups go to `backups/` in the working directory, or $KIOSK_BACKUP_DIR.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import peewee as pw

from ... import owner_only
from ...clock import Clock, SystemClock
from ...db import Target, application_name, connect, resolve_target
from ...errors import ErrorCode, KioskError
from ...schema.files import MigrationFile, format_version, parse_version
from .. import Refused, backup
from ..retention import limit_of

BACKUP_DIR_ENV = "KIOSK_BACKUP_DIR"
SUFFIX = ".dump"
HISTORY = "migratehistory"
_COPY = re.compile(r'^COPY (?:"?[\w$]+"?\.)?"?([\w$]+)"? \((.*)\) FROM stdin;$')


class DumpFailed(KioskError):
    code = ErrorCode.BACKUP_FAILED


@dataclass
class DumpInfo:
    """What a dump file holds: rows per table and the applied schema history."""

    counts: dict[str, int]
    history: list[tuple[str, str | None]]  # (name, version) in the order applied
    script: Path | None = None  # the dump as SQL (kept for a restore; caller deletes it)


def dbname(target: Target) -> str:
    return urlsplit(target.raw).path.lstrip("/") or "kiosk"


def backups_dir(target: Target) -> Path:
    return Path(os.environ.get(BACKUP_DIR_ENV) or "backups").absolute()


def tool(name: str) -> str:
    """A PostgreSQL client program: on PATH, else Debian's versioned folders (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in re.findall(r"\d+", p)], reverse=True):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    raise KioskError(
        f"{name} not found: install the PostgreSQL client tools of the server's major version "
        "(Debian: apt-get install postgresql-client), then try again"
    )


def _conn(target: Target) -> tuple[str, dict]:
    """The URL without its password (that goes in PGPASSWORD, out of the process list)."""
    parts = urlsplit(target.raw)
    env = {**os.environ, "PGAPPNAME": application_name("maintenance"), "PGCONNECT_TIMEOUT": "10", "PGTZ": "UTC"}
    netloc = parts.netloc
    if "@" in netloc:
        creds, host = netloc.rsplit("@", 1)
        if ":" in creds:
            user, password = creds.split(":", 1)
            env["PGPASSWORD"] = unquote(password)
            netloc = f"{user}@{host}"
    scheme = "postgresql" if parts.scheme.lower() in ("postgres", "postgresql") else parts.scheme
    return urlunsplit(parts._replace(scheme=scheme, netloc=netloc)), env


def _run(args: list[str], env: dict, what: str, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        text = " ".join((proc.stderr or proc.stdout or "").split())[:300]
        raise DumpFailed(f"{what} failed: {text or f'exit {proc.returncode}'}")
    return proc


def new_name(target: Target, version: str, clock: Clock, tag: str = "") -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    base = f"{dbname(target)}-{stamp}-v{version}" + (f"-{tag}" if tag else "")
    folder = backups_dir(target)
    candidate, n = folder / f"{base}{SUFFIX}", 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{base}-{n}{SUFFIX}"
    return candidate


def list_backups(target: Target) -> list[Path]:
    """This database's dumps in the backups folder, oldest first."""
    folder = backups_dir(target)
    if not folder.is_dir():
        return []
    pattern = re.compile(rf"^{re.escape(dbname(target))}-(\d{{8}}T\d{{6}}Z)-v[0-9.]+(-[a-z-]+)?(-\d+)?{re.escape(SUFFIX)}$")
    found = [(m.group(1), p.stat().st_mtime_ns, p.name, p) for p in folder.iterdir() if (m := pattern.match(p.name)) and p.is_file()]
    return [p for *_k, p in sorted(found)]


def rotate(target: Target, keep: int, protect: Path | None = None, *, now=None, limit=None) -> list[Path]:
    """As backup.rotate: beyond the newest `keep`, and older than the retention + the backup window."""
    keepsafe = Path(protect).absolute() if protect else None
    return backup.remove([p for p in list_backups(target) if p.absolute() != keepsafe], keep, now, limit)


def take(target: Target, database: pw.Database, version: str, *, out: Path | None = None, keep: int = 10,
         clock: Clock | None = None, tag: str = "", protect: Path | None = None):
    """pg_dump of one snapshot, verified against that snapshot's row counts; returns a backup.Backup."""
    started = time.perf_counter()
    clock = clock or SystemClock()
    final = Path(out).absolute() if out is not None else new_name(target, version, clock, tag)
    if final.exists():
        raise backup.BackupFailed(f"{final} already exists: choose another --out file (a backup never overwrites)")
    folder = final.parent
    if out is None:
        owner_only.make_dir(folder, parents=True)
        for p in folder.glob(".*.partial"):
            with contextlib.suppress(OSError):
                p.unlink()
    elif not folder.is_dir():
        raise backup.BackupFailed(f"folder {folder} does not exist: create it or choose another --out file")
    tmp = folder / f".{final.name}.partial"
    url, env = _conn(target)
    try:
        owner_only.create_new(tmp)
        with database.atomic():
            database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = database.execute_sql("SELECT pg_export_snapshot()").fetchone()[0]
            counts = row_counts(database)
            limit = limit_of(database)
            _run([tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={tmp}", f"--dbname={url}"],
                 env, "pg_dump")
        found = inspect(tmp, keep_script=False)
        if found.counts != counts:
            diff = [f"{t}: {counts.get(t)} -> {found.counts.get(t)}" for t in sorted(set(counts) | set(found.counts))
                    if counts.get(t) != found.counts.get(t)]
            raise backup.BackupFailed(f"the dump's row counts differ from the database's ({'; '.join(diff)})")
        os.replace(tmp, final)
    except BaseException as exc:  # incl. Ctrl-C: never leave a half file behind
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, DumpFailed):
            raise backup.BackupFailed(str(exc)) from None
        if isinstance(exc, OSError) and not isinstance(exc, KioskError):
            raise backup.BackupFailed(f"cannot write the backup in {folder}: {exc.strerror or exc}") from None
        raise
    if out is None:
        for p in list_backups(target):  # older dumps, from before they were kept owner-only
            owner_only.tighten(p)
    removed = rotate(target, keep, protect=protect, now=clock.now(), limit=limit) if out is None else []
    return backup.Backup(final, version, counts, final.stat().st_size, time.perf_counter() - started, removed)


def row_counts(database: pw.Database) -> dict[str, int]:
    tables = database.get_tables()
    return {t: database.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}


def inspect(path: Path, keep_script: bool = True) -> DumpInfo:
    """Read a dump back through pg_restore: rows per table and the schema history in it.

    Raises DumpFailed when the file is not a readable custom-format dump.
    """
    fd, name = tempfile.mkstemp(prefix="kiosk-restore-", suffix=".sql")  # 0600: it holds personal data
    os.close(fd)
    script = Path(name)
    try:
        _run([tool("pg_restore"), "--no-owner", "--no-privileges", f"--file={script}", str(path)],
             {**os.environ}, "reading it with pg_restore")
        info = _parse_script(script)
    except BaseException:
        script.unlink(missing_ok=True)
        raise
    if keep_script:
        info.script = script
    else:
        script.unlink(missing_ok=True)
    return info


def _parse_script(script: Path) -> DumpInfo:
    counts: dict[str, int] = {}
    history: list[tuple[str, str | None]] = []
    table, columns = None, []
    with open(script, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if table is None:
                m = _COPY.match(line.rstrip("\n"))
                if m:
                    table, columns = m.group(1), [c.strip().strip('"') for c in m.group(2).split(",")]
                    counts[table] = 0
                continue
            if line.rstrip("\n") == "\\.":
                table = None
                continue
            counts[table] += 1  # COPY text format: one line per row (newlines inside values are escaped)
            if table == HISTORY:
                values = dict(zip(columns, line.rstrip("\n").split("\t")))
                version = values.get("version")
                history.append((values.get("name", ""), None if version in (None, "\\N") else version))
    if table is not None:
        raise DumpFailed(f"the data of table {table} is cut short")
    return DumpInfo(counts, history)


def history_version(info: DumpInfo, files: list[MigrationFile]) -> tuple[str, list[str]]:
    """(current version text, names of applied versions this kiosk has no file for)."""
    by_name = {f.name: f for f in files}
    versions, unknown = [], []
    for name, version in info.history:
        if name not in by_name:
            unknown.append(version or name)
        try:
            versions.append(parse_version(version) if version else by_name[name].version)
        except (KioskError, KeyError):
            continue
    return format_version(max(versions, default=())), unknown


def load(target: Target, database: pw.Database, script: Path) -> None:
    """Replace every table with the dump's, in one transaction (psql --single-transaction)."""
    tables = database.get_tables()
    seqs = [r[0] for r in database.execute_sql(
        "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()").fetchall()]
    # Views and functions do not go with the tables: the database must hold the dump's, and no others.
    views = database.execute_sql(
        "SELECT relname, relkind FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('v', 'm')").fetchall()
    functions = [r[0] for r in database.execute_sql(
        """SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
           AND p.prokind IN ('f', 'p') AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
           AND d.objid = p.oid AND d.deptype = 'e')""").fetchall()]
    fd, name = tempfile.mkstemp(prefix="kiosk-restore-", suffix=".sql")
    prelude = Path(name)
    try:
        with os.fdopen(fd, "w") as fh:
            for v, relkind in views:
                fh.write(f'DROP {"MATERIALIZED VIEW" if relkind == "m" else "VIEW"} IF EXISTS "{v}" CASCADE;\n')
            if tables:
                fh.write("DROP TABLE IF EXISTS " + ", ".join(f'"{t}"' for t in tables) + " CASCADE;\n")
            for f in functions:
                fh.write(f"DROP FUNCTION IF EXISTS {f} CASCADE;\n")
            for s in seqs:
                fh.write(f'DROP SEQUENCE IF EXISTS "{s}" CASCADE;\n')
        url, env = _conn(target)
        _run([tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", str(prelude), "-f", str(script),
              url], env, "loading the backup with psql")
    finally:
        prelude.unlink(missing_ok=True)


def schema_script(path: Path) -> Path:
    """The dump's schema only (tables, indexes, constraints, triggers, views, functions) as SQL, in a
    temporary file the caller deletes."""
    fd, name = tempfile.mkstemp(prefix="kiosk-schema-", suffix=".sql")
    os.close(fd)
    script = Path(name)
    try:
        _run([tool("pg_restore"), "--schema-only", "--no-owner", "--no-privileges", f"--file={script}", str(path)],
             {**os.environ}, "reading its schema with pg_restore")
    except BaseException:
        script.unlink(missing_ok=True)
        raise
    return script


@contextlib.contextmanager
def scratch_database(target: Target, database: pw.Database, dump: Path | None, *, kind: str = "rehearsal",
                     needed_for: str = "--rehearse on PostgreSQL", otherwise: str = "or migrate without --rehearse"):
    """A throw-away database on the same server, loaded from `dump` (empty without one):
    yields (target, database), dropped afterwards. Needs the CREATEDB privilege."""
    name = f"{dbname(target)[:40]}_{kind}_{secrets.token_hex(4)}"
    try:
        database.execute_sql(f'CREATE DATABASE "{name}"')
    except pw.DatabaseError as exc:
        text = " ".join(str(exc).split())[:200]
        raise Refused(
            f"{needed_for} needs a scratch database and the server refused to create one ({text}): "
            f"give the kiosk role CREATEDB (ALTER ROLE ... CREATEDB) {otherwise}; nothing was changed"
        ) from None
    parts = urlsplit(target.raw)
    scratch = resolve_target(urlunsplit(parts._replace(path="/" + name)))
    db = None
    try:
        db = connect(scratch, role="maintenance", bind=False)
        if dump is not None:
            info = inspect(dump)
            try:
                load(scratch, db, info.script)
            finally:
                info.script.unlink(missing_ok=True)
        yield scratch, db
    finally:
        if db is not None:
            db.close()
        with contextlib.suppress(pw.DatabaseError):
            database.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_disk_needed(database: pw.Database) -> int:
    """An upper bound for a dump of this database: its size on the server."""
    return database.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0]
