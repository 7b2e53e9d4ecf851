"""`PRAGMA integrity_check` of a SQLite file on every core, or of only what changed since a verified copy.

integrity_check is one thread (40 s on the 5.5 GB benchmark site, the car park closed meanwhile).
What it checks is the sum of two kinds of check, run here side by side, each on its own connection:

* per table (`PRAGMA integrity_check(T)`, SQLite's own "partial" mode): the b-trees of T and of its
  indexes, every cell, NOT NULL / CHECK / UNIQUE, and every index entry against its row;
* over the whole file (`account`): each page is in exactly one b-tree (SQLite's dbstat walk of every
  tree) or on the freelist (read as the file format defines it), and none is in neither. These are the
  checks a partial integrity_check leaves out ("2nd reference to page", "never used", the freelist).

Given `since`, a byte-for-byte copy of the file taken after a full check (the verified backup), only
tables that own a page which differs from that copy, or whose definition changed, get the per-table
check: every other table's pages are the very bytes already checked. The whole-file accounting always
runs, because a changed page could claim a page of an unchanged tree.
"""

from __future__ import annotations

import sqlite3
import threading
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ...db import sqlite_uri

WORKERS = 2  # this machine class has two cores; more threads only queue for them
CHUNK = 8 * 1024 * 1024
LOCK_BYTE_OFFSET = 1 << 30  # the page holding byte 2^30 is never used (the file-locking range)
HEADER_FORMAT_BYTES = slice(18, 20)  # write/read format version: 2 = WAL, 1 = rollback journal


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    tables_checked: list[str] = field(default_factory=list)
    pages: int = 0
    pages_changed: int | None = None  # with `since`: pages that differ from the copy

    @property
    def ok(self) -> bool:
        return not self.problems


class Stale(Exception):
    """The WAL holds pages the file does not: the file cannot be read directly (checkpoint first)."""


class Stopped(Exception):
    """The check was interrupted (Ctrl-C); nothing it read is trusted."""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, isolation_level=None, timeout=30,
                           check_same_thread=False)
    # Pages read in place from the OS cache instead of copied into SQLite's own one page at a time:
    # the archive table's check took 24 s of CPU instead of 44 s (capped at SQLite's build limit, 2 GB).
    conn.execute("PRAGMA mmap_size=2147418112")
    return conn


def tables(conn: sqlite3.Connection, rows: dict[str, int] | None = None) -> list[tuple[str, int]]:
    """(table, rows) for every b-tree table incl. sqlite_schema, largest first: the longest check starts first.
    `rows`: counts already read in the same snapshot (not counted again)."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND rootpage > 0")]
    known = rows or {}
    sized = [(n, known[n] if n in known else conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0]) for n in names]
    return sorted(sized, key=lambda t: -t[1]) + [("sqlite_schema", 0)]


def definitions(conn: sqlite3.Connection) -> dict[str, str]:
    """Each table's schema rows (its CREATE TABLE and its indexes), to see which definitions a change touched."""
    out: dict[str, list[str]] = {}
    for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name"):
        out.setdefault(table, []).append(f"{kind} {name} {sql}")
    return {t: "\n".join(v) for t, v in out.items()}


def check(path: Path, *, since: Path | None = None, since_definitions: dict[str, str] | None = None,
          stop: threading.Event | None = None, limit: int = 20, rows: dict[str, int] | None = None) -> Report:
    """The integrity of `path` as PRAGMA integrity_check establishes it (see the module's docstring)."""
    stop = stop or threading.Event()
    report = Report()
    conns: list[sqlite3.Connection] = []

    def opened() -> sqlite3.Connection:
        conn = connect(path)
        conns.append(conn)
        return conn

    first = opened()
    try:
        if first.execute("PRAGMA auto_vacuum").fetchone()[0] != 0 or not wal_empty(path):
            # pointer-map pages (unknown to the accounting below), or pages only in the WAL: SQLite's own check
            return _whole(first, limit)
        todo = tables(first, rows)
        with ThreadPoolExecutor(WORKERS) as pool:
            pages = pool.submit(account, opened(), path, stop)
            changed = pool.submit(changed_pages, path, since, stop) if since is not None else None
            if changed is not None:
                diff = changed.result()
                owners = pages.result().owners_of(diff)
                now = definitions(first)
                before = since_definitions or {}
                redefined = {t for t in set(now) | set(before) if now.get(t) != before.get(t)}
                names = {t for t, _rows in todo}
                keep = (owners | redefined) & names
                todo = [t for t in todo if t[0] in keep or t[0] == "sqlite_schema"]
                report.pages_changed = len(diff)
            local = threading.local()

            def one(table: str) -> list[str]:
                if stop.is_set():
                    raise Stopped()
                if not hasattr(local, "conn"):
                    local.conn = opened()
                return _pragma(local.conn, f'PRAGMA integrity_check("{table}")', limit)

            results = [(t, pool.submit(one, t)) for t, _rows in todo]
            whole = pages.result()
            report.pages = whole.page_count
            report.problems += whole.problems
            for table, fut in results:
                report.problems += fut.result()
                report.tables_checked.append(table)
    except Stale:
        return _whole(first, limit)
    except sqlite3.DatabaseError as exc:
        if stop.is_set():
            raise Stopped() from None
        report.problems.append(str(exc))
    finally:
        for conn in conns:
            conn.close()
    report.problems = report.problems[:limit]
    return report


def _whole(conn: sqlite3.Connection, limit: int) -> Report:
    return Report(problems=_pragma(conn, f"PRAGMA integrity_check({limit})", limit), tables_checked=["(whole file)"])


def _pragma(conn: sqlite3.Connection, sql: str, limit: int) -> list[str]:
    rows = [r[0] for r in conn.execute(sql)]
    return [r for r in rows if r != "ok"][:limit]


@dataclass
class Accounting:
    page_count: int
    owner: array  # per page number: index into `names`, -1 free, -2 never used
    names: list[str]
    table_of: dict[str, str]
    problems: list[str]

    def owners_of(self, pages: list[int]) -> set[str]:
        """The tables whose b-trees (table or index) hold any of these pages."""
        out = set()
        for p in pages:
            if p < len(self.owner) and self.owner[p] >= 0:
                name = self.names[self.owner[p]]
                out.add(self.table_of.get(name, name))
        return out


def account(conn: sqlite3.Connection, path: Path, stop: threading.Event | None = None) -> Accounting:
    """Every page in exactly one b-tree or on the freelist, none in neither (integrity_check's whole-file part)."""
    problems: list[str] = []
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    page_count = conn.execute("PRAGMA page_count").fetchone()[0]
    table_of = {name: table for name, table in conn.execute("SELECT name, tbl_name FROM sqlite_schema")}
    table_of["sqlite_schema"] = table_of["sqlite_master"] = "sqlite_schema"
    owner = array("i", [-2]) * (page_count + 1)
    names: list[str] = []
    index: dict[str, int] = {}
    conn.execute("BEGIN")  # one snapshot for the walk and the freelist read from the file below
    try:
        conn.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchall()
        if not wal_empty(path):
            raise Stale()
        # From here the file is pinned: a reader that started on an empty WAL keeps every
        # checkpoint from writing the file until it ends.
        for n, (name, pageno) in enumerate(conn.execute("SELECT name, pageno FROM dbstat")):
            if stop is not None and n % 65536 == 0 and stop.is_set():
                raise Stopped()
            i = index.get(name)
            if i is None:
                i = index[name] = len(names)
                names.append(name)
            if not 1 <= pageno <= page_count:
                problems.append(f"{name}: invalid page number {pageno}")
            elif owner[pageno] != -2:
                problems.append(f"2nd reference to page {pageno} ({name})")
            else:
                owner[pageno] = i
        for pageno in freelist(path, page_size, problems):
            if not 1 <= pageno <= page_count:
                problems.append(f"freelist: invalid page number {pageno}")
            elif owner[pageno] != -2:
                problems.append(f"2nd reference to page {pageno} (freelist)")
            else:
                owner[pageno] = -1
    finally:
        conn.execute("COMMIT")
    lock_page = LOCK_BYTE_OFFSET // page_size + 1
    for pageno in range(1, page_count + 1):
        if owner[pageno] == -2 and pageno != lock_page:
            problems.append(f"Page {pageno}: never used")
            if len(problems) > 20:
                break
    return Accounting(page_count, owner, names, table_of, problems)


def wal_empty(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size == 0
    except FileNotFoundError:
        return True


def freelist(path: Path, page_size: int, problems: list[str]) -> list[int]:
    """The freelist's trunk and leaf pages, read from the file (https://sqlite.org/fileformat2.html#freelist)."""
    out: list[int] = []
    with open(path, "rb") as fh:
        header = fh.read(100)
        trunk, total = int.from_bytes(header[32:36], "big"), int.from_bytes(header[36:40], "big")
        size = fh.seek(0, 2)
        seen = set()
        while trunk:
            if trunk in seen or trunk * page_size > size:
                problems.append(f"freelist: bad trunk page {trunk}")
                break
            seen.add(trunk)
            fh.seek((trunk - 1) * page_size)
            page = fh.read(page_size)
            out.append(trunk)
            leaves = int.from_bytes(page[4:8], "big")
            if leaves > page_size // 4 - 2:
                problems.append(f"freelist: trunk page {trunk} claims {leaves} leaves")
                break
            out += [int.from_bytes(page[8 + 4 * k: 12 + 4 * k], "big") for k in range(leaves)]
            trunk = int.from_bytes(page[0:4], "big")
    if len(out) != total:
        problems.append(f"freelist: {len(out)} pages found, the header says {total}")
    return out


def changed_pages(path: Path, since: Path, stop: threading.Event | None = None) -> list[int]:
    """Page numbers whose bytes differ between `path` and `since` (the header's format bytes aside)."""
    page_size = _page_size(path)
    out: list[int] = []
    offset = 0
    with open(path, "rb") as a, open(since, "rb") as b:
        while True:
            if stop is not None and stop.is_set():
                raise Stopped()
            x, y = a.read(CHUNK), b.read(CHUNK)
            if not x:
                break
            if offset == 0:
                x, y = _masked(x), _masked(y)
            if x != y:
                for k in range(0, len(x), page_size):
                    if x[k:k + page_size] != y[k:k + page_size]:
                        out.append((offset + k) // page_size + 1)
            offset += len(x)
    return out


def _masked(head: bytes) -> bytes:
    return head[:18] + b"\0\0" + head[20:] if len(head) >= 20 else head


def _page_size(path: Path) -> int:
    with open(path, "rb") as fh:
        raw = int.from_bytes(fh.read(100)[16:18], "big")
    return 65536 if raw == 1 else raw


def scope_line(report: Report) -> str:
    """What a check `since` a verified copy covered, for the run record."""
    checked = [t for t in report.tables_checked if t != "sqlite_schema"]
    tables = ", ".join(checked) if checked else "no table"
    return (f"{report.pages_changed} of {report.pages} pages changed since the verified backup: integrity_check of "
            f"{tables} (pages or definition changed) and of the schema, every page accounted for; the other "
            "tables are the backup's bytes, checked when it was taken")
