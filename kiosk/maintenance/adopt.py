"""`adopt`: take a database built by hand from the migration plan into the kiosk's care.

The kiosk's Flyway *baseline* / Alembic *stamp*. A database whose tables were typed in from the
plan, with no kiosk history, is recorded as being at the version its schema is (recognise, or
`--as VERSION`), so that `migrate` takes it on from there. In order, as for migrate: the lock, no
live kiosk, no expiry run; the schema recognised; disk; a verified backup. Then ONE transaction:
the accepted differences and the repairs (indexes only: created, or dropped), the foreign keys
checked, the whole schema compared with the version once more, and the history written as if
each version up to it had been applied (name, version, checksum; no duration, nothing ran). Then
the validation, and the run record.

Adopt writes no row of the site's data. A missing system_config row (the plan's 1.0.0 inserts the
default one) is left to 1.5.0, which inserts it on any database without one; since that sets the
retention of personal data (24 hours), adopting needs the operator's word on it (`--accept`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import peewee as pw

from ..backends import backend_for
from ..clock import Clock, SystemClock, to_sqlite_text
from ..db import Target
from ..errors import KioskError, UsageError
from ..schema import history
from ..schema.files import MigrationFile, Version, format_version
from . import Refused, backup, plan_data, preflight, recognise, schema_compare, validate
from .findings import Finding
from .migrate import ValidationFailed
from .runs import RunRecord, record


@dataclass
class Adoption:
    """What adopting does (a dry run stops here) and, once run, what it did."""

    found: recognise.Recognition
    record: list[MigrationFile]  # the history rows, oldest first
    changes: list[recognise.Difference]  # accepted differences and repairs, in the order they run
    later: plan_data.Report  # what migrate through 1.5.0 will refuse and report about the rows
    run: RunRecord | None = None
    validation: validate.Validation | None = None
    backup: backup.Backup | None = None
    recorded_in: str = ""
    skipped: list[str] = field(default_factory=list)

    @property
    def version(self) -> Version:
        assert self.found.version is not None
        return self.found.version

    @property
    def exit_code(self) -> int:
        return 4 if self.skipped else 0


def prepare(database: pw.Database, files: list[MigrationFile], as_version: Version | None,
            accept: list[str] | tuple[str, ...] = ()) -> Adoption:
    """What adopting `database` would do; Refused (or UsageError for an unknown --accept name) when it may not."""
    applied = history.read_history(database, files)
    if applied:
        raise Refused(f"the database already has kiosk history (schema {format_version(applied[-1].version)}): "
                      "there is nothing to adopt; 'kiosk --maintenance migrate' takes it on from there")
    found = recognise.unversioned(database, files)
    if found is None:
        raise Refused("the database holds no tables: there is nothing to adopt; "
                      "'kiosk --maintenance migrate' creates the kiosk's schema in it")
    if found.version is None:
        raise Refused(f"the database has {found.summary()}: there is nothing to adopt; point --db at a kiosk database")
    if as_version is not None and as_version != found.version:
        detected, found = found, recognise.recognise(database, files, as_version)
        if not found.adoptable:
            hint = f" (its schema is {detected.label}: adopt it without --as)" if detected.adoptable else ""
            raise Refused(f"cannot adopt the database as {found.label}: {found.refusals()}{hint}; nothing was changed")
    if not found.adoptable:
        raise Refused(f"cannot adopt the database as {found.label}: {found.describe()}; nothing was changed")
    names = {d.name for d in found.differences}
    for name in accept:
        if name not in names:
            shown = ", ".join(sorted(names)) or "none"
            raise UsageError(f"--accept {name}: no difference has that name (the differences from {found.label}: {shown})")
    unaccepted = [d for d in found.of("accept") if d.name not in accept]
    if unaccepted:
        why = "; ".join(f"{d.name}: {d.message} (if accepted: {d.consequence})" for d in unaccepted)
        again = " ".join(f"--accept {d.name}" for d in unaccepted)
        raise Refused(f"adopting as {found.label} needs your word on {len(unaccepted)} difference(s): {why}; "
                      f"run it again with {again}; nothing was changed")
    later = plan_data.examine(database) if found.version < plan_data.BOOTH_RULES else plan_data.Report()
    orphans = [f for f in later.refusals if f.code == "payment_orphan"]
    if orphans:  # the validation would fail on them, as 1.5.0 would
        raise Refused(f"cannot adopt the database: {orphans[0].message}")
    return Adoption(found, [f for f in files if f.version <= found.version], found.of("accept") + found.of("repair"), later)


def adopt(target: Target, database: pw.Database, files: list[MigrationFile], *, as_version: Version | None = None,
          accept: list[str] | tuple[str, ...] = (), skip: set[str] = frozenset(), keep: int = backup.DEFAULT_KEEP,
          clock: Clock | None = None, progress=None) -> Adoption:
    """Adopt the database (see the module's docstring); returns what was done, or raises (and records why)."""
    clock = clock or SystemClock()
    started = time.perf_counter()
    run = RunRecord(command="adopt", started_at=to_sqlite_text(clock.now()), from_version="0")
    pre = preflight.Preflight(set(skip), run.command)
    run.skipped_checks = pre.skipped
    done = False
    try:
        with preflight.hold(target, database, pre):
            plan = prepare(database, files, as_version, accept)
            plan.run, plan.skipped = run, pre.skipped
            pre.add("schema", True, f"{plan.found.describe()}")
            preflight.check_disk(target, pre, database=database)
            pre.refuse_if_failed()
            run.rows_before = validate.row_counts(database)
            preflight.take_backup(target, "0", pre, keep=keep, clock=clock, progress=progress, tag="pre-adopt",
                                  database=database)
            plan.backup = pre.taken
            run.backup_path = str(pre.taken.path) if pre.taken else None
            _apply(database, files, plan, clock)
            done = True
            run.to_version = plan.found.label
            plan.validation = validate.validate(database, files, plan.version, rows_before=run.rows_before)
            plan.validation.findings += later_findings(plan)
            run.rows_after = plan.validation.rows_after
            run.findings = [f.to_json() for f in [*difference_findings(plan), *plan.validation.findings]]
            if not plan.validation.ok:
                raise ValidationFailed(f"validation after adopting as {plan.found.label} failed: "
                                       f"{plan.validation.errors[0].message}; the backup taken before it is {run.backup_path}")
            run.outcome = "warnings" if pre.skipped else "ok"
            run.duration_ms = round((time.perf_counter() - started) * 1000)
            plan.recorded_in = record(target, database, run)
            return plan
    except BaseException as exc:
        run.outcome = "refused" if isinstance(exc, (Refused, UsageError)) else "failed"
        run.error = str(exc) if isinstance(exc, KioskError) else f"{type(exc).__name__}: {exc}"
        run.to_version = run.to_version or "0"
        run.duration_ms = round((time.perf_counter() - started) * 1000)
        record(target, database, run, in_database=done)
        raise


def _apply(database: pw.Database, files: list[MigrationFile], plan: Adoption, clock: Clock) -> None:
    """The changes and the history, in one transaction: a failure (or a kill) leaves the database as it was."""
    backend = backend_for(database)
    with database.atomic():
        for change in plan.changes:
            for sql in change.sql:
                database.execute_sql(sql)
        try:
            backend.check_foreign_keys(database)
        except RuntimeError as exc:
            raise Refused(f"cannot adopt the database: {exc}; nothing was changed") from None
        left = [f.message for f in schema_compare.drift(database, files, plan.version) if f.level == "error"]
        if left:
            raise KioskError(f"adopting as {plan.found.label} was undone: the schema still differs ({'; '.join(left[:5])}); "
                             "nothing was changed")
        model = history.ensure_history(database)
        at = clock.now().replace(tzinfo=None)
        for f in plan.record:
            model.create(name=f.name, migrated_at=at, version=f.version_text, checksum=f.checksum, duration_ms=None)


def difference_findings(plan: Adoption) -> list[Finding]:
    """The differences as the run record keeps them: what was repaired, accepted, found equivalent."""
    done = {"repair": "repaired", "accept": "accepted", "equivalent": "equivalent"}
    return [Finding("info", f"adopt_{done[d.action]}", f"{d.name}: {d.message}") for d in plan.found.differences]


def later_findings(plan: Adoption) -> list[Finding]:
    """What migrate through 1.5.0 will refuse until resolved, and report, about the rows (information now)."""
    out = [Finding("info", f.code, f"migrate will refuse until resolved: {f.message}") for f in plan.later.refusals]
    return out + [Finding("info", f.code, f"migrate will report: {f.message}") for f in plan.later.findings if f.level == "warning"]
