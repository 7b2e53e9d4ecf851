"""One backup tool per database target, chosen once: what the maintenance commands ask it."""

from __future__ import annotations

from kiosk.db import resolve_target
from kiosk.maintenance import backup, pg_dump
from kiosk.maintenance.site_backup import PostgresqlBackup, SqliteBackup, backup_tool_for


def test_a_sqlite_file_gets_its_backups_beside_it(tmp_path):
    target = resolve_target(str(tmp_path / "k.db"))
    site = backup_tool_for(target)
    assert isinstance(site, SqliteBackup)
    assert site.backups_dir() == backup.backups_dir(target.path)
    assert site.backups() == [] and site.newest() is None
    assert site.fallback_log() == tmp_path / "k.db.maintenance.jsonl"
    assert target.path in site.private_paths()
    probe, need, purpose = site.disk_need(None, factor=2, extra=0)
    assert probe == tmp_path and need > 0 and purpose == ""


def test_a_postgresql_url_gets_pg_dump_backups_on_this_machine():
    target = resolve_target("postgresql://kiosk@db.example:5432/site")
    site = backup_tool_for(target)
    assert isinstance(site, PostgresqlBackup)
    assert site.backups_dir() == pg_dump.backups_dir(target)
    assert site.sizes(None) is None and site.alert_disk(None) is None

