"""What `check` and the post-migration validation look at on PostgreSQL, from the catalogs.

The server enforces constraints as rows are written, but a constraint can be
left NOT VALID, an index INVALID (a failed CREATE INDEX CONCURRENTLY), and a
session with triggers disabled (session_replication_role = replica, as some
restore and replication tools use) can write rows whose foreign key points
nowhere. These find all three. The schema itself is compared by schema_compare.
"""

from __future__ import annotations

import peewee as pw

from .findings import Finding


def invalid_objects(database: pw.Database) -> list:
    """Findings (validate.Finding) for NOT VALID constraints and INVALID indexes."""
    out = []
    for table, name in database.execute_sql(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE NOT convalidated AND connamespace = current_schema()::regnamespace ORDER BY 1, 2"
    ).fetchall():
        out.append(Finding("error", "constraint_not_valid", f"constraint {name} on {table} is NOT VALID: existing rows were never checked against it"))
    for table, name in database.execute_sql(
        "SELECT x.indrelid::regclass::text, i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE NOT (x.indisvalid AND x.indisready) AND i.relnamespace = current_schema()::regnamespace ORDER BY 1, 2"
    ).fetchall():
        out.append(Finding("error", "index_invalid", f"index {name} on {table} is INVALID: REINDEX INDEX {name}"))
    return out


def fk_orphans(database: pw.Database, limit: int = 10_000) -> list[tuple[str, str, str]]:
    """One (table, column, parent table) per row whose foreign key value has no parent row."""
    out = []
    for child, col, parent, pcol in database.execute_sql(
        """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
           WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
           ORDER BY 1, 2"""
    ).fetchall():
        n = database.execute_sql(
            f'SELECT COUNT(*) FROM (SELECT 1 FROM "{child}" x WHERE x."{col}" IS NOT NULL '
            f'AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p."{pcol}" = x."{col}") LIMIT {int(limit)}) o'
        ).fetchone()[0]
        out += [(child, col, parent)] * n
    return out
