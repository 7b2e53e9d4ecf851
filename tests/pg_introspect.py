"""Schema snapshots for comparing databases: PostgreSQL catalogs and SQLite PRAGMAs.

Column *order* is kept but not ordinal numbers: PostgreSQL leaves holes where a
dropped column was, so a column re-added by up/down/up gets a new number.
"""

from __future__ import annotations

import re

HISTORY = "migratehistory"


def pg_snapshot(db) -> dict:
    """Tables with their columns (type, nullability, default, identity), constraints and indexes."""
    columns: dict[str, list[tuple]] = {}
    for row in db.execute_sql(
        """SELECT c.table_name, c.column_name, format_type(a.atttypid, a.atttypmod), c.is_nullable,
                  c.column_default, c.is_identity, c.identity_generation
           FROM information_schema.columns c
           JOIN pg_attribute a ON a.attrelid = format('%%I.%%I', c.table_schema, c.table_name)::regclass
                              AND a.attname = c.column_name
           WHERE c.table_schema = current_schema()
           ORDER BY c.table_name, c.ordinal_position"""
    ).fetchall():
        columns.setdefault(row[0], []).append(tuple(row[1:]))
    constraints = db.execute_sql(
        """SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
           FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
           ORDER BY 1, 2"""
    ).fetchall()
    indexes = db.execute_sql(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1, 2"
    ).fetchall()
    return {"columns": columns, "constraints": [tuple(r) for r in constraints], "indexes": [tuple(r) for r in indexes]}


def without_history(snapshot: dict) -> dict:
    return {
        "columns": {t: c for t, c in snapshot["columns"].items() if t != HISTORY},
        "constraints": [c for c in snapshot["constraints"] if c[0] != HISTORY],
        "indexes": [i for i in snapshot["indexes"] if i[0] != HISTORY],
    }


# The PostgreSQL type each of the plan's SQLite declared types maps to.
SQLITE_TO_PG_TYPE = {
    "INTEGER": "integer",
    "TEXT": "text",
    "DATETIME": "timestamp without time zone",
    "DATE": "date",
    "BOOLEAN": "boolean",
    "DECIMAL(10,2)": "numeric(10,2)",
    "VARCHAR(255)": "character varying(255)",  # migratehistory.name, made by peewee
}


def portable_sqlite(conn) -> dict:
    """A backend-neutral view of a SQLite schema (via PRAGMAs)."""
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    ]
    out = {}
    for t in tables:
        cols = [
            (name, SQLITE_TO_PG_TYPE.get(re.sub(r"\s+", "", decl.upper()), decl), bool(notnull or pk), dflt is not None or bool(pk))
            for _cid, name, decl, notnull, dflt, pk in conn.execute(f"PRAGMA table_info('{t}')")
        ]
        indexes, uniques = set(), set()
        for _seq, name, unique, origin, _partial in conn.execute(f"PRAGMA index_list('{t}')"):
            cols_of = tuple(r[2] for r in conn.execute(f"PRAGMA index_info('{name}')"))
            if origin == "c":
                indexes.add((name, cols_of, bool(unique)))
            elif origin == "u":
                uniques.add(cols_of)
        fks = {(r[3], r[2], r[4]) for r in conn.execute(f"PRAGMA foreign_key_list('{t}')")}
        out[t] = {"columns": cols, "indexes": indexes, "uniques": uniques, "fks": fks}
    return out


def portable_pg(db) -> dict:
    """The same view of a PostgreSQL schema. An identity key counts as having a default,
    like SQLite's INTEGER PRIMARY KEY (the rowid) does."""
    snap = pg_snapshot(db)
    out = {}
    for t, cols in snap["columns"].items():
        pk = {
            r[0]
            for r in db.execute_sql(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s::regclass AND i.indisprimary",
                (t,),
            ).fetchall()
        }
        columns = [
            (name, typ, nullable == "NO" or name in pk, default is not None or identity == "YES" or name in pk)
            for name, typ, nullable, default, identity, _gen in cols
        ]
        indexes = set()
        for name, unique, cols_of in db.execute_sql(
            """SELECT i.relname, x.indisunique,
                      ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
                            JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o)
               FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
               WHERE x.indrelid = %s::regclass
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
            (t,),
        ).fetchall():
            indexes.add((name, tuple(cols_of), bool(unique)))
        uniques = {
            tuple(r[0])
            for r in db.execute_sql(
                """SELECT ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o)
                   FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype = 'u'""",
                (t,),
            ).fetchall()
        }
        fks = {
            tuple(r)
            for r in db.execute_sql(
                """SELECT a.attname, c.confrelid::regclass::text, fa.attname
                   FROM pg_constraint c
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                   JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
                   WHERE c.conrelid = %s::regclass AND c.contype = 'f'""",
                (t,),
            ).fetchall()
        }
        out[t] = {"columns": columns, "indexes": indexes, "uniques": uniques, "fks": fks}
    return out
