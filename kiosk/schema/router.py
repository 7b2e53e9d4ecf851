"""A peewee-migrate Router that is safe on SQLite.

peewee-migrate 2.3 turns `PRAGMA foreign_keys` off *inside* the migration's
transaction, where SQLite ignores it: a step that rebuilds a parent table then
fails, or silently cascades deletes. This router has the backend switch
enforcement off before the transaction, check the foreign keys before
committing (`PRAGMA foreign_key_check`), and switch it back on afterwards. It also records version, checksum and duration
with each applied migration, and never replays history in fake mode (which
patches `execute_sql` for the whole process): our migrations are plain SQL and
need no model state.
"""

from __future__ import annotations

import time

import peewee as pw
from peewee_migrate import Migrator
from peewee_migrate.router import Router

from ..backends import backend_for
from ..clock import Clock, SystemClock
from ..errors import ErrorCode, KioskError
from . import history
from .files import MigrationFile, load_migrations


class MigrationFailed(KioskError):
    code = ErrorCode.MIGRATION_FAILED

    def __init__(self, version: str, action: str, cause: BaseException):
        self.version = version
        self.cause = cause
        super().__init__(f"{action} of schema version {version} failed and was undone: {_one_line(cause)}")


class KioskRouter(Router):
    def __init__(self, database: pw.Database, files: list[MigrationFile] | None = None, clock: Clock | None = None):
        self.files = files if files is not None else load_migrations()
        super().__init__(database, migrate_dir=self.files[0].path.parent)
        self.by_name = {f.name: f for f in self.files}
        self.clock = clock or SystemClock()

    @property
    def model(self):  # type: ignore[override]
        return history.ensure_history(self.database)

    @property
    def todo(self):
        return [f.name for f in self.files]

    @property
    def migrator(self) -> Migrator:  # type: ignore[override]
        return Migrator(self.database)

    def read(self, name):
        f = self.by_name[name]
        return f.migrate, f.rollback

    def run_one(self, name, migrator, *, fake=True, downgrade=False, force=False):
        if fake:
            return super().run_one(name, migrator, fake=fake, downgrade=downgrade, force=force)
        f = self.by_name[name]
        model = self.model  # created before the transaction: DDL of our own
        backend = backend_for(self.database)
        backend.foreign_keys_off(self.database)
        action = "rollback" if downgrade else "migration"
        started = time.perf_counter()
        try:
            with self.database.atomic():
                (f.rollback if downgrade else f.migrate)(migrator, self.database, fake=False)
                migrator()
                backend.check_foreign_keys(self.database)
                if downgrade:
                    model.delete().where(model.name == name).execute()
                else:
                    model.create(
                        name=name,
                        migrated_at=self.clock.now().replace(tzinfo=None),
                        version=f.version_text,
                        checksum=f.checksum,
                        duration_ms=round((time.perf_counter() - started) * 1000),
                    )
        except KioskError:
            raise
        except Exception as exc:
            raise MigrationFailed(f.version_text, action, exc) from exc
        finally:
            migrator.__ops__ = []
            backend.foreign_keys_on(self.database)
        return name


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) < 300 else text[:297] + "..."
