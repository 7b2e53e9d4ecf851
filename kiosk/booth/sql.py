"""Hot statements as plain parameterised SQL, rendered once per database dialect.

peewee builds a query's SQL text anew on every call: ~0.1-0.3 ms of Python per
statement, 58% of a registration's time (docs/performance.md). The statements on
the booth's per-car paths are therefore written out once, with `?` for each
parameter, and rendered on first use for the database's own placeholder (`%s`
on PostgreSQL) plus, on PostgreSQL only, a suffix such as a row-lock clause or
`RETURNING id`. They still run through `Database.execute_sql`, so peewee's error
mapping (IntegrityError, OperationalError), its query log (which bench/plans.py
reads to EXPLAIN them) and any hook a test installs see them as before.

Values go in and come out as the models' fields would give them: timestamps as
`YYYY-MM-DD HH:MM:SS` UTC text (`ts`), read back with `when`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Iterable, cast

import peewee as pw

from ..clock import to_sqlite_text
from ..models.base import UtcDateTimeField
from ..backends import backend_for

_WHEN = UtcDateTimeField()


def ts(value: dt.datetime) -> str:
    """A timestamp parameter, exactly as UtcDateTimeField stores it."""
    return to_sqlite_text(value)


def when(raw) -> dt.datetime | None:
    """A timestamp column's value (text on SQLite, datetime on PostgreSQL) as aware UTC."""
    return _WHEN.python_value(raw)


def tuples(query: pw.SelectBase) -> Iterable[tuple[Any, ...]]:
    """A select's rows as tuples. Peewee's stubs type `.tuples()` as the query it was (rows of
    model instances), so the row type is stated here."""
    return cast("Iterable[tuple[Any, ...]]", query.tuples())


class Statement:
    """One statement: `?` placeholders; `pg` is appended on a database with row locks and
    RETURNING (PostgreSQL: e.g. ' FOR UPDATE OF s')."""

    __slots__ = ("sql", "pg", "_rendered")

    def __init__(self, sql: str, pg: str = ""):
        text = " ".join(sql.split())
        if "%" in text:  # psycopg would read it as a placeholder
            raise ValueError("no % in a hot statement: pass the value as a parameter")
        self.sql, self.pg = text, pg
        self._rendered: dict[type, tuple[str, bool]] = {}

    def render(self, db: pw.Database) -> tuple[str, bool]:
        """(SQL text for this database, whether the suffix was appended)."""
        real = db.obj if isinstance(db, pw.DatabaseProxy) else db
        try:
            return self._rendered[type(real)]
        except KeyError:
            pass
        pg = backend_for(real).row_locks
        text = self.sql if real.param == "?" else self.sql.replace("?", real.param)
        self._rendered[type(real)] = out = (text + self.pg if pg else text, pg)
        return out

    def run(self, db: pw.Database, params: tuple = ()):
        return db.execute_sql(self.render(db)[0], params)

    def one(self, db: pw.Database, params: tuple = ()) -> tuple | None:
        return self.run(db, params).fetchone()

    def rows(self, db: pw.Database, params: tuple = ()) -> list[tuple]:
        return self.run(db, params).fetchall()

    def changed(self, db: pw.Database, params: tuple = ()) -> int:
        """Rows an UPDATE or DELETE changed."""
        return self.run(db, params).rowcount


class Insert(Statement):
    """An INSERT whose new row's id is wanted: `RETURNING id` on PostgreSQL, lastrowid on SQLite."""

    __slots__ = ()

    def __init__(self, sql: str):
        super().__init__(sql, pg=" RETURNING id")

    def new_id(self, db: pw.Database, params: tuple) -> int:
        text, pg = self.render(db)
        cursor = db.execute_sql(text, params)
        return cursor.fetchone()[0] if pg else cursor.lastrowid


@lru_cache(maxsize=64)
def with_list(sql: str, n: int, pg: str = "") -> Statement:
    """`sql` with its `(?*)` marker replaced by an IN list of n placeholders (one Statement per length)."""
    return Statement(sql.replace("(?*)", "(" + ", ".join("?" * n) + ")"), pg)
