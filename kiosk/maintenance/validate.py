"""Post-migration validation, also run on demand by `check`.

integrity_check, foreign_key_check, the whole schema (tables, columns, indexes,
triggers, views) matching what its history says (schema_compare), (on
PostgreSQL: every constraint and index valid, every foreign key value found in
its parent table),
row counts before/after (a version that does not declare `DELETES_ROWS = True`
must not lose rows), the plan's orphaned-records query (information only: the
plan joins vehicles.id to audit_logs.entity_id), and ANALYZE.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee as pw

from ..schema.files import MigrationFile, Version
from ..schema.steps import dialect_of
from . import pg_checks, schema_compare
from .findings import Finding

# Tables whose row count changes by design during maintenance.
BOOKKEEPING = {"migratehistory", "maintenance_runs", "sqlite_stat1", "sqlite_sequence"}

# The plan's query, verbatim: "SELECT v.* FROM vehicles v LEFT JOIN audit_logs a ON v.id = a.entity_id WHERE a.id IS NULL".
PLAN_ORPHANS_SQL = "SELECT v.* FROM vehicles v LEFT JOIN audit_logs a ON v.id = a.entity_id WHERE a.id IS NULL"
# The same count, fast: no index covers entity_id alone, so the join above is
# quadratic (minutes on 200,000 vehicles); NOT IN builds a temporary index. Same
# comparison rules (entity_id NOT NULL; INTEGER vs TEXT compares numerically).
ORPHANS_COUNT_SQL = "SELECT COUNT(*) FROM vehicles WHERE id NOT IN (SELECT entity_id FROM audit_logs)"
# PostgreSQL compares no integer with text: the same rule spelled out (an entity_id that reads
# as a number is compared as that number, as SQLite's affinity does; any other never matches).
# An anti-join, not NOT IN: a NOT IN list bigger than work_mem is rescanned for every vehicle.
ORPHANS_COUNT_SQL_PG = (
    "SELECT COUNT(*) FROM vehicles v WHERE NOT EXISTS (SELECT 1 FROM audit_logs a "
    "WHERE a.entity_id ~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$' "
    "AND CAST(a.entity_id AS NUMERIC) = v.id)"
)


@dataclass
class Validation:
    findings: list[Finding] = field(default_factory=list)
    rows_before: dict[str, int] | None = None
    rows_after: dict[str, int] = field(default_factory=dict)
    orphans: int | None = None
    backend: str = "sqlite"

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "findings": [f.to_json() for f in self.findings],
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "plan_orphaned_vehicles": self.orphans,
        }


def deletes_rows(f: MigrationFile) -> bool:
    """What the migration file declares; undeclared means it must keep every row."""
    return bool(f.migrate.__globals__.get("DELETES_ROWS", False))


def row_counts(database: pw.Database) -> dict[str, int]:
    tables = [t for t in database.get_tables() if not t.startswith("sqlite_")]
    return {t: database.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}


def consistency(database: pw.Database, files: list[MigrationFile], version: Version) -> list[Finding]:
    """Integrity of the file and the schema against its recorded version."""
    out = _INTEGRITY[dialect_of(database)](database)
    out += schema_drift(database, files, version)
    return out


def _sqlite_integrity(database: pw.Database) -> list[Finding]:
    rows = [r[0] for r in database.execute_sql("PRAGMA integrity_check(20)").fetchall()]
    return [] if rows == ["ok"] else [Finding("error", "integrity", f"PRAGMA integrity_check: {'; '.join(rows[:3])}")]


def _sqlite_fk_broken(database: pw.Database) -> list:
    return database.execute_sql("PRAGMA foreign_key_check").fetchall()


def _sqlite_forget_statistics(database: pw.Database) -> None:
    if "sqlite_stat1" in database.get_tables():
        database.execute_sql("DROP TABLE sqlite_stat1")  # an emptied schema (rollback --to 0) keeps no statistics


# Per database (by backend name): the file's or the catalog's integrity, and the rows breaking a
# foreign key (first column: the table).
_INTEGRITY = {"sqlite": _sqlite_integrity, "postgresql": pg_checks.invalid_objects}
_FK_BROKEN = {"sqlite": _sqlite_fk_broken, "postgresql": pg_checks.fk_orphans}


def schema_drift(database: pw.Database, files: list[MigrationFile], version: Version) -> list[Finding]:
    """The whole schema against `version` (see schema_compare)."""
    return schema_compare.drift(database, files, version)


def validate(
    database: pw.Database,
    files: list[MigrationFile],
    version: Version,
    *,
    rows_before: dict[str, int] | None = None,
    deletes_allowed: bool = False,
    analyze: bool = True,
) -> Validation:
    result = Validation(rows_before=rows_before, backend=dialect_of(database))
    result.findings += consistency(database, files, version)
    broken = _FK_BROKEN[result.backend](database)
    if broken:
        tables = sorted({r[0] for r in broken})
        result.findings.append(
            Finding("error", "foreign_keys", f"{len(broken)} row(s) break a foreign key in {', '.join(tables)}")
        )
    result.rows_after = row_counts(database)
    if rows_before is not None:
        for table, before in sorted(rows_before.items()):
            after = result.rows_after.get(table)
            if table in BOOKKEEPING:
                continue
            if after is None:
                result.findings.append(Finding("info", "table_dropped", f"table {table} was dropped with its {before} row(s)"))
            elif after < before and not deletes_allowed:
                result.findings.append(
                    Finding("error", "rows_lost", f"{table} lost {before - after} row(s) ({before} -> {after}) in a version not meant to delete rows")
                )
    tables = set(result.rows_after)
    if {"vehicles", "audit_logs"} <= tables:
        result.orphans = database.execute_sql(_ORPHANS_COUNT[result.backend]).fetchone()[0]
        if result.orphans:
            result.findings.append(
                Finding(
                    "info",
                    "plan_orphans",
                    f"the plan's orphaned-records query finds {result.orphans} vehicle(s) with no audit row whose entity_id equals their id "
                    "(information: the plan joins vehicles.id to audit_logs.entity_id)",
                )
            )
    if analyze and any(t not in BOOKKEEPING for t in result.rows_after):
        database.execute_sql("ANALYZE")
    else:
        _FORGET_STATISTICS[result.backend](database)
    return result


_ORPHANS_COUNT = {"sqlite": ORPHANS_COUNT_SQL, "postgresql": ORPHANS_COUNT_SQL_PG}
# What is left of statistics when nothing was analyzed (PostgreSQL keeps none in a table).
_FORGET_STATISTICS = {"sqlite": _sqlite_forget_statistics, "postgresql": lambda database: None}
