"""Read the migration plan's SQL verbatim and describe a SQLite schema for comparison."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

PLAN = Path(__file__).parent / "data" / "migration-plan.md"
PLAN_VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
IGNORED_TABLES = {"sqlite_sequence", "migratehistory", "sqlite_stat1", "sqlite_stat4"}


def plan_blocks() -> dict[str, list[str]]:
    """The ```sql blocks of the plan, keyed by the version heading they stand under."""
    blocks: dict[str, list[str]] = {}
    heading = None
    text = PLAN.read_text()
    for match in re.finditer(r"^(#+ [^\n]*)$|```sql\n(.*?)```", text, re.M | re.S):
        if match.group(1):
            title = match.group(1).lstrip("# ").strip()
            found = re.search(r"Version (\d+\.\d+\.\d+)", title)
            if found:
                heading = found.group(1)
            elif title != "Tables":  # 1.0.0's "### Tables" belongs to its version
                heading = title
        else:
            blocks.setdefault(heading, []).append(match.group(2))
    return blocks


def plan_statement(section: str, startswith: str) -> str:
    """One statement from a non-version section of the plan, e.g. the cleanup DELETE."""
    for block in plan_blocks()[section]:
        for stmt in _statements(block):
            if stmt.lstrip().upper().startswith(startswith.upper()):
                return stmt
    raise KeyError(f"no statement starting {startswith!r} under {section!r}")


def _statements(block: str) -> list[str]:
    out, buf = [], ""
    for line in block.splitlines(keepends=True):
        if line.strip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip().rstrip(";"))
            buf = ""
    return out


def plan_database(path: Path, version: str) -> sqlite3.Connection:
    """A database built by running the plan's SQL verbatim, up to `version`."""
    conn = sqlite3.connect(path)
    blocks = plan_blocks()
    for v in PLAN_VERSIONS[: PLAN_VERSIONS.index(version) + 1]:
        for block in blocks[v]:
            conn.executescript(block)
    conn.commit()
    return conn


def describe(conn: sqlite3.Connection, tables: set[str] | None = None) -> dict:
    """Tables with columns, indexes (and their columns) and foreign keys, via PRAGMAs."""
    names = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        if r[0] not in IGNORED_TABLES and (tables is None or r[0] in tables)
    ]
    schema = {}
    for t in names:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name=?", (t,)).fetchone()[0]
        indexes = {}
        for _seq, name, unique, origin, partial in conn.execute(f"PRAGMA index_list('{t}')"):
            cols = [r[2] for r in conn.execute(f"PRAGMA index_info('{name}')")]
            indexes[name] = (unique, origin, partial, tuple(cols))
        schema[t] = {
            "columns": [tuple(r[1:]) for r in conn.execute(f"PRAGMA table_info('{t}')")],
            "indexes": indexes,
            "foreign_keys": [tuple(r[2:]) for r in conn.execute(f"PRAGMA foreign_key_list('{t}')")],
            "autoincrement": "AUTOINCREMENT" in sql.upper(),
        }
    return schema
