"""One maintenance site per database target, chosen once: what the maintenance commands ask it."""

from __future__ import annotations

import peewee as pw
import pytest

from kiosk.backends.base import Unsupported
from kiosk.db import resolve_target
from kiosk.errors import ErrorCode
from kiosk.maintenance import backup, schema_catalog, validate
from kiosk.maintenance.site_backup import backup_tool_for
from kiosk.maintenance.sites import site_for
from kiosk.maintenance.sites import pg_dump
from kiosk.maintenance.sites.postgresql import PostgresqlSite
from kiosk.maintenance.sites.sqlite import SqliteSite


def test_a_sqlite_file_gets_its_backups_beside_it(tmp_path):
    target = resolve_target(str(tmp_path / "k.db"))
    site = backup_tool_for(target)
    assert isinstance(site, SqliteSite)
    assert site.backups_dir() == backup.backups_dir(target.path)
    assert site.backups() == [] and site.newest() is None
    assert site.fallback_log() == tmp_path / "k.db.maintenance.jsonl"
    assert target.path in site.private_paths()
    probe, need, purpose = site.disk_need(None, factor=2, extra=0)
    assert probe == tmp_path and need > 0 and purpose == ""


def test_a_postgresql_url_gets_pg_dump_backups_on_this_machine():
    target = resolve_target("postgresql://kiosk@db.example:5432/site")
    site = backup_tool_for(target)
    assert isinstance(site, PostgresqlSite)
    assert site.backups_dir() == pg_dump.backups_dir(target)
    assert site.sizes(None) is None and site.alert_disk(None) is None


def test_a_database_alone_gets_the_site_of_its_kind(database, backend):
    """Validation and the schema comparison have a connection, not a target: its site reads the catalog."""
    site = site_for(database)
    assert type(site).__module__ == f"kiosk.maintenance.sites.{backend}"
    described = site.describe(database)
    assert "table vehicles" in described and described == schema_catalog.describe(database)
    assert site.integrity(database) == [] and site.broken_foreign_keys(database) == []


class OtherDatabase(pw.Database):
    """Stands for a third kind of database with a backend of its own but no maintenance site."""


def test_a_database_without_a_site_module_is_refused_in_one_line():
    for ask in (lambda: site_for(OtherDatabase(None)), lambda: schema_catalog.describe(OtherDatabase(None)),
                lambda: validate.validate(OtherDatabase(None), [], ())):
        with pytest.raises(Unsupported) as err:
            ask()
        assert err.value.code is ErrorCode.BAD_TARGET
        assert str(err.value) == "a generic database cannot be maintained: the kiosk runs on SQLite or PostgreSQL"
