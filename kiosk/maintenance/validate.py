"""Post-migration validation, also run on demand by `check`.

integrity_check, foreign_key_check, the whole schema (tables, columns, indexes,
triggers, views) matching what its history says (schema_compare), (on
PostgreSQL: every constraint and index valid, every foreign key value found in
its parent table),
row counts before/after (a version that does not declare `DELETES_ROWS = True`
must not lose rows), the Z reports against their shifts (shift_check), the plan's orphaned-records query (information only: the
plan joins vehicles.id to audit_logs.entity_id), and ANALYZE.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee as pw

from ..backends import backend_for
from ..schema.files import MigrationFile, Version
from . import schema_compare, shift_check
from .backup import Backup
from .findings import Finding
from .sites import Site, site_for

# Tables whose row count changes by design during maintenance.
BOOKKEEPING = {"migratehistory", "maintenance_runs", "sqlite_stat1", "sqlite_sequence"}

# The plan's query, verbatim: "SELECT v.* FROM vehicles v LEFT JOIN audit_logs a ON v.id = a.entity_id WHERE a.id IS NULL".
PLAN_ORPHANS_SQL = "SELECT v.* FROM vehicles v LEFT JOIN audit_logs a ON v.id = a.entity_id WHERE a.id IS NULL"
# The same count, fast, is each database's own query: its site's `orphans_count_sql`.


@dataclass
class Validation:
    findings: list[Finding] = field(default_factory=list)
    rows_before: dict[str, int] | None = None
    rows_after: dict[str, int] = field(default_factory=dict)
    orphans: int | None = None
    backend: str = ""  # the database's backend name
    checked: str = ""  # which of the database's own checks passed, in one line (its site's words)

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


def consistency(database: pw.Database, files: list[MigrationFile], version: Version, *,
                integrity: list[Finding] | None = None, since: Backup | None = None, site: Site | None = None) -> list[Finding]:
    """Integrity of the file (`integrity`: already found) and the schema against its recorded version."""
    out = list(integrity) if integrity is not None else (site or site_for(database)).integrity(database, since)
    out += schema_drift(database, files, version)
    return out


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
    since: Backup | None = None,
) -> Validation:
    """`since`: the backup taken just before the change; where it is a verbatim copy, the file's integrity
    is checked for what changed since (kiosk.maintenance.sites.sqlite_check)."""
    site = site_for(database)
    result = Validation(rows_before=rows_before, backend=backend_for(database).name)
    result.findings += consistency(database, files, version, since=since, site=site)
    broken = site.broken_foreign_keys(database)
    if broken:
        tables = sorted({r[0] for r in broken})
        result.findings.append(
            Finding("error", "foreign_keys", f"{len(broken)} row(s) break a foreign key in {', '.join(tables)}")
        )
    result.rows_after = row_counts(database)
    result.findings += shift_check.z_findings(database)
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
        result.orphans = database.execute_sql(site.orphans_count_sql).fetchone()[0]
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
        site.analyze(database, site.checked_tables)
    else:
        site.forget_statistics(database)
    if site.scope is not None:  # what the integrity check covered, when it checked only what changed
        result.findings.append(site.scope)
    result.checked = site.checks_line(result.findings)
    return result

