"""A database's whole schema read from its catalog, in one comparable form on both backends.

`describe(database)` maps a key such as `table vehicles`, `column vehicles.plate`,
`index idx_x`, `trigger t` or `view v` to a text that changes whenever the object
does: the column names in order (a table's layout), type / NOT NULL / DEFAULT /
primary key (a column), the definition (indexes, constraints, triggers, views,
functions). Definitions come from the database itself (SQLite's stored SQL,
PostgreSQL's pg_get_*def), normalised only where the server rewrites text on its
own (quotes and spacing after a rename, the schema name). Each backend is compared
only with a schema built on the same backend, so no type is translated.

The history table is left out (stock pw_migrate and the kiosk give it different
columns); triggers and views are never left out, whichever table they are on.
"""

from __future__ import annotations

import re

import peewee as pw

from ..schema.history import MIGRATE_TABLE
from ..schema.steps import dialect_of

Schema = dict[str, str]


def describe(database: pw.Database) -> Schema:
    return _DESCRIBE[dialect_of(database)](database)


def kind_of(key: str) -> str:
    return key.split(" ", 1)[0]


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite(database: pw.Database) -> Schema:
    out: Schema = {}
    rows = database.execute_sql(
        # Not LIKE 'sqlite_%': its '_' matches any character, and would hide a trigger named 'sqlitewipe'.
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE substr(name, 1, 7) <> 'sqlite_' ORDER BY type, name"
    ).fetchall()
    for kind, name, table, sql in rows:
        if kind == "table" and name != MIGRATE_TABLE:
            _sqlite_table(database, name, out)
        elif kind == "index" and table != MIGRATE_TABLE:
            out[f"index {name}"] = normalise(sql)
        elif kind in ("trigger", "view"):
            out[f"{kind} {name}"] = normalise(sql)
    return out


def _sqlite_table(database: pw.Database, table: str, out: Schema) -> None:
    cols = database.execute_sql(f'PRAGMA table_xinfo("{table}")').fetchall()
    out[f"table {table}"] = ", ".join(c[1] for c in cols)
    for _cid, name, decl, notnull, default, pk, hidden in cols:
        parts = [decl or "(no type)"]
        parts += ["NOT NULL"] if notnull else []
        parts += [f"DEFAULT {default}"] if default is not None else []
        parts += ["PRIMARY KEY"] if pk else []
        parts += ["GENERATED"] if hidden else []
        out[f"column {table}.{name}"] = " ".join(parts)
    # UNIQUE / PRIMARY KEY constraints live in automatic indexes, named by table position: key them by columns.
    for _seq, name, unique, origin, _partial in database.execute_sql(f'PRAGMA index_list("{table}")').fetchall():
        if origin in ("u", "pk"):
            columns = ", ".join(r[2] for r in database.execute_sql(f'PRAGMA index_info("{name}")').fetchall())
            out[f"constraint {table}({columns})"] = "PRIMARY KEY" if origin == "pk" else "UNIQUE"
    fks: dict[int, list] = {}
    for fid, _seq, parent, col, pcol, on_update, on_delete, _match in database.execute_sql(
        f'PRAGMA foreign_key_list("{table}")'
    ).fetchall():
        fks.setdefault(fid, []).append((col, parent, pcol, on_update, on_delete))
    for parts in fks.values():
        cols_ = ", ".join(p[0] for p in parts)
        pcols = ", ".join(str(p[2]) for p in parts)
        _c, parent, _p, on_update, on_delete = parts[0]
        out[f"foreign key {table}({cols_})"] = f"REFERENCES {parent}({pcols}) ON UPDATE {on_update} ON DELETE {on_delete}"


def normalise(sql: str | None) -> str:
    """Stored SQL with identifier quotes dropped and spacing made uniform (a rename re-quotes names)."""
    if sql is None:
        return ""
    text = re.sub(r'["`\[\]]', "", sql)
    text = re.sub(r"\s+", " ", text).strip().rstrip(";").strip()
    return re.sub(r"\s*([(),=])\s*", r"\1", text)


# --- PostgreSQL -----------------------------------------------------------------------------


def _postgresql(database: pw.Database) -> Schema:
    out: Schema = {}
    schema = database.execute_sql("SELECT current_schema()").fetchone()[0]
    unqualify = re.compile(rf'(?<![\w"]){re.escape(schema)}\.|"{re.escape(schema)}"\.')

    def q(sql):
        return database.execute_sql(sql).fetchall()

    layout: dict[str, list[str]] = {}
    for table, column, ctype, notnull, default, identity in q(
        """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(d.adbin, d.adrelid), a.attidentity
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
             AND a.attnum > 0 AND NOT a.attisdropped
           ORDER BY c.relname, a.attnum"""
    ):
        if table == MIGRATE_TABLE:
            continue
        layout.setdefault(table, []).append(column)
        parts = [ctype] + (["NOT NULL"] if notnull else []) + ([f"DEFAULT {unqualify.sub('', default)}"] if default else [])
        parts += [{"a": "GENERATED ALWAYS AS IDENTITY", "d": "GENERATED BY DEFAULT AS IDENTITY"}.get(identity, "")]
        out[f"column {table}.{column}"] = " ".join(p for p in parts if p)
    for table, columns in layout.items():
        out[f"table {table}"] = ", ".join(columns)
    for table, name, definition in q(
        """SELECT t.relname, i.relname, pg_get_indexdef(i.oid)
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
           WHERE i.relnamespace = current_schema()::regnamespace"""
    ):
        if table != MIGRATE_TABLE:
            out[f"index {name}"] = unqualify.sub("", definition)
    for table, name, definition in q(
        """SELECT t.relname, c.conname, pg_get_constraintdef(c.oid)
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           WHERE c.connamespace = current_schema()::regnamespace"""
    ):
        if table != MIGRATE_TABLE:
            out[f"constraint {table}.{name}"] = unqualify.sub("", definition)
    for name, definition in q(
        """SELECT g.tgname, pg_get_triggerdef(g.oid) FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
           WHERE t.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal"""
    ):
        out[f"trigger {name}"] = unqualify.sub("", definition)
    for name, definition in q(
        """SELECT c.relname, pg_get_viewdef(c.oid, true) FROM pg_class c
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('v', 'm')"""
    ):
        out[f"view {name}"] = " ".join(unqualify.sub("", definition).split())
    # A rule (DO ALSO ...) acts like a trigger; an event trigger fires on DDL anywhere in the database.
    for _table, name, definition in q(
        "SELECT tablename, rulename, definition FROM pg_rules WHERE schemaname = current_schema()"
    ):
        out[f"rule {name}"] = " ".join(unqualify.sub("", definition).split())
    for name, event, function in q("SELECT evtname, evtevent, evtfoid::regproc::text FROM pg_event_trigger"):
        out[f"event-trigger {name}"] = f"ON {event} EXECUTE {unqualify.sub('', function)}"
    # A trigger needs a function; one left behind (or waiting for a trigger) is no part of any version.
    for name, args, definition in q(
        """SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid) FROM pg_proc p
           WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind IN ('f', 'p')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"""
    ):
        out[f"function {name}({args})"] = " ".join(unqualify.sub("", definition).split())
    return out


_DESCRIBE = {"sqlite": _sqlite, "postgresql": _postgresql}  # by backend name
