"""Maintenance of a PostgreSQL database: pg_dump backups on this machine, the catalogs' checks.

The dump, its verification and loading are pg_dump, restoring one pg_restore. The
server enforces constraints as rows are written, but a constraint can be left NOT
VALID, an index INVALID (a failed CREATE INDEX CONCURRENTLY), and a session with
triggers disabled (session_replication_role = replica, as some restore and
replication tools use) can write rows whose foreign key points nowhere: the checks
find all three.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from pathlib import Path

import peewee as pw

from ... import owner_only
from ...schema.history import MIGRATE_TABLE
from .. import backup, facts
from ..findings import Finding
from . import pg_dump
from .base import CannotCompare, Schema, Site

# The rows checked for a broken foreign key, at most, per constraint.
FK_ROWS_LIMIT = 10_000


class _Discard(Exception):
    pass


class PostgresqlSite(Site):
    """A database on a server: dumps on this machine; the server's own disk is its monitoring's job."""

    # PostgreSQL compares no integer with text: the plan's rule spelled out (an entity_id that reads
    # as a number is compared as that number, as SQLite's affinity does; any other never matches).
    # An anti-join, not NOT IN: a NOT IN list bigger than work_mem is rescanned for every vehicle.
    # From a MATERIALIZED set (a CTE scan is never parallel): on the full benchmark site (5 million
    # audit rows) the planner's parallel hash anti-join took one backend to 11 GB and the server was
    # killed for memory in a migrate's validation; this plan hashes in batches: 5 s, 260 MB.
    snapshot_sql = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
    orphans_count_sql = (
        "WITH a AS MATERIALIZED (SELECT entity_id FROM audit_logs "
        "WHERE entity_id ~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$') "
        "SELECT COUNT(*) FROM vehicles v WHERE NOT EXISTS (SELECT 1 FROM a WHERE CAST(a.entity_id AS NUMERIC) = v.id)"
    )

    # ------------------------------------------------------------------ the schema
    def describe(self, database: pw.Database) -> Schema:
        return _describe(database)

    def server_version(self, database: pw.Database) -> str:
        return database.execute_sql("SHOW server_version_num").fetchone()[0]

    @contextlib.contextmanager
    def scratch_schema(self, database: pw.Database):
        """A schema of its own in a transaction on `database` that is always rolled back."""
        name = f"kiosk_expected_{secrets.token_hex(4)}"
        try:
            with database.atomic():
                # A session opened read-only (status, stats) may still write what is rolled back.
                database.execute_sql("SET TRANSACTION READ WRITE")
                database.execute_sql(f'CREATE SCHEMA "{name}"')
                database.execute_sql(f'SET LOCAL search_path TO "{name}"')
                yield database
                raise _Discard
        except _Discard:
            return
        except pw.DatabaseError as exc:
            text = " ".join(str(exc).split())[:200]
            raise CannotCompare(
                f"the schema could not be compared: building the expected schema in a scratch schema failed ({text}); "
                "the kiosk's role needs CREATE on the database"
            ) from None

    # ------------------------------------------------------------------- the checks
    def integrity(self, database: pw.Database, since=None) -> list[Finding]:
        """NOT VALID constraints and INVALID indexes."""
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

    def broken_foreign_keys(self, database: pw.Database) -> list[tuple]:
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
                f'AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p."{pcol}" = x."{col}") LIMIT {FK_ROWS_LIMIT}) o'
            ).fetchone()[0]
            out += [(child, col, parent)] * n
        return out

    def checks_line(self, findings: list[Finding]) -> str:
        bad = {f.code for f in findings} & {"constraint_not_valid", "index_invalid", "foreign_keys"}
        return "constraints and indexes valid, foreign keys ok" if not bad else "see the findings above"

    def hours_ago(self, hours: int) -> str:
        return f"(now() AT TIME ZONE 'UTC') - interval '{int(hours)} hours'"

    # -------------------------------------------------------------------- backups
    def backups_dir(self) -> Path:
        return pg_dump.backups_dir(self.target)

    def file_stem(self) -> str:
        return pg_dump.dbname(self.target)

    def backups(self) -> list[Path]:
        return pg_dump.list_backups(self.target)

    def take(self, database, version, *, out=None, keep=backup.DEFAULT_KEEP, clock=None, progress=None, tag="", pending=None):
        return pg_dump.take(self.target, database, version, out=out, keep=keep, clock=clock, tag=tag)

    def _probe(self) -> Path:
        folder = self.backups_dir()
        return folder if folder.is_dir() else folder.parent

    def disk_need(self, database, *, factor, extra):
        # The dump is written here, and is never bigger than the database on the server.
        need = (pg_dump.free_disk_needed(database) if database is not None else 0) + extra + facts.DISK_MARGIN_BYTES
        return self._probe(), need, " for the backup"

    def sizes(self, database):
        if database is None:
            return None
        return {
            "database_bytes": database.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0],
            "wal_bytes": None,  # the server's WAL is shared by all its databases: its own monitoring's job
            "free_disk_bytes": facts.free_bytes(self._probe()),
        }

    def alert_disk(self, database):
        if database is None:
            return None
        return self._probe(), 2 * pg_dump.free_disk_needed(database) + facts.DISK_MARGIN_BYTES

    def private_paths(self) -> list[Path]:
        return owner_only.private_paths(None, self.backups_dir())

    def fallback_log(self) -> Path | None:
        folder = self.backups_dir()  # beside the dumps, on the machine that ran it
        try:
            owner_only.make_dir(folder, parents=True)
        except OSError:
            return None
        return folder / f"{pg_dump.dbname(self.target)}.maintenance.jsonl"

    def scratch(self, database, taken):
        return pg_dump.scratch_database(self.target, database, taken.path if taken else None)

    # -------------------------------------------------------------------- restore
    def restore(self, database, source, files, *, skip, keep, clock, progress):
        from .pg_restore import restore  # the restore's own imports, only when one runs

        return restore(self.target, database, source, files, skip=skip, keep=keep, clock=clock, progress=progress)


def _describe(database: pw.Database) -> Schema:
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


SITE = PostgresqlSite
