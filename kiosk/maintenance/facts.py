"""Small read-only facts about a SQLite database file: tables, row counts, sizes, free disk."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from ..db import sqlite_uri

MIB = 1024 * 1024
# Headroom on top of 2 x the database: SQLite's temp files, the journal, the run record.
DISK_MARGIN_BYTES = 16 * MIB


def user_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in user_tables(conn)}


def integrity_problems(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    """`PRAGMA integrity_check` findings; empty when the file is sound."""
    rows = [r[0] for r in conn.execute(f"PRAGMA integrity_check({limit})").fetchall()]
    return [] if rows == ["ok"] else rows


class Unsound(Exception):
    """A file that fails its checks; str() says why, to follow the file's name in a message."""


def checked_counts(path: Path) -> dict[str, int]:
    """PRAGMA integrity_check, then every table's row count, read-only; Unsound if either fails."""
    conn = open_ro(path)
    try:
        problems = integrity_problems(conn)
        if problems:
            raise Unsound(f"fails PRAGMA integrity_check ({problems[0]})")
        return row_counts(conn)
    except sqlite3.DatabaseError as exc:
        raise Unsound(f"is damaged or truncated ({exc})") from None
    finally:
        conn.close()


def db_bytes(db_path: Path) -> int:
    """The database file plus its WAL (what a copy of it needs)."""
    total = 0
    for p in (db_path, db_path.with_name(db_path.name + "-wal")):
        try:
            total += p.stat().st_size
        except FileNotFoundError:
            pass
    return total


def free_bytes(folder: Path) -> int:
    """Free bytes for this user at `folder`."""
    return shutil.disk_usage(folder).free


def needed_bytes(db_path: Path) -> int:
    """A backup plus a migration's worth of rewritten pages, plus headroom."""
    return 2 * db_bytes(db_path) + DISK_MARGIN_BYTES


def human(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def open_ro(path: Path) -> sqlite3.Connection:
    """Open a SQLite file read-only, no writes at all (not even a WAL switch).

    Checks that SQLite opened exactly that file: counts read from any other would
    "verify" a backup of the wrong (or an empty) database.
    """
    conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, isolation_level=None, timeout=5)
    try:
        opened = opened_file(conn)
        if opened is None or not os.path.samefile(opened, path):
            raise sqlite3.OperationalError(f"SQLite opened {opened!r} instead of {str(path)!r}")
    except BaseException:
        conn.close()
        raise
    return conn


def opened_file(conn: sqlite3.Connection) -> str | None:
    """The file a connection's main database is, as SQLite names it (any bytes the file system allows)."""
    conn.text_factory = os.fsdecode
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
    finally:
        conn.text_factory = str
    return row[2] if row and row[2] else None
