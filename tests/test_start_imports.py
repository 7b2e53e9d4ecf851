"""What the `kiosk` command loads before its first screen, and what it leaves for later.

Each module kept off the start-up path was measured (docs/performance.md, TUI start): the
maintenance commands (~40 ms), peewee-migrate (~50 ms, it imports unittest.mock), phonenumbers
(~30 ms, warmed up in the background once the first screen is up). A subprocess sees a fresh
interpreter, as a booth does.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys

from peewee_migrate.models import MIGRATE_TABLE as PEEWEE_MIGRATE_TABLE
from peewee_migrate.router import Router

from kiosk.quiet_gc import quiet_gc
from kiosk.schema.files import FILEMASK
from kiosk.schema.history import MIGRATE_TABLE

LATER = ["kiosk.commands.backup", "kiosk.commands.expire", "peewee_migrate", "phonenumbers", "unittest.mock",
         "escpos",  # the printer library (~0.3 s): on the first print
         "argon2"]  # argon2: hashed only when a PIN is first checked


def _loaded_after(code: str) -> dict:
    probe = code + f"\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {LATER!r}}}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_command_and_the_terminal_path_do_not_load_what_the_first_screen_does_not_need(database, target):
    # `database`: already at the latest schema (a fresh file is migrated first, which needs peewee-migrate).
    code = ("import kiosk.__main__\n"
            "from kiosk.cli import build_terminal\nfrom kiosk.db import resolve_target\n"
            f"app, presence = build_terminal(resolve_target({target.raw!r}))\n")
    assert _loaded_after(code) == {m: False for m in LATER}


def test_a_maintenance_command_loads_its_modules_when_asked_for(tmp_path):
    out = subprocess.run([sys.executable, "-m", "kiosk", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for command in ("backup", "check", "expire", "migrate", "restore", "rollback", "stats", "status"):
        assert f"  {command} " in out.stdout
    stats = subprocess.run([sys.executable, "-m", "kiosk", "--db", str(tmp_path / "k.db"), "--maintenance", "stats"],
                           capture_output=True, text=True, timeout=120)
    assert "no such command" not in (stats.stdout + stats.stderr).lower()
    assert "Traceback" not in stats.stderr


def test_the_copied_peewee_migrate_rules_stay_equal_to_peewee_migrates():
    assert FILEMASK.pattern == Router.filemask.pattern
    assert MIGRATE_TABLE == PEEWEE_MIGRATE_TABLE


def test_quiet_gc_pauses_collection_then_freezes_what_was_imported_and_restores_it():
    was = gc.isenabled()
    try:
        gc.enable()
        before = gc.get_freeze_count()
        with quiet_gc():
            assert not gc.isenabled()
            keep = [[i] for i in range(1000)]  # long-lived, like a module's tables
        assert gc.isenabled() and gc.get_freeze_count() >= before + 1000 and keep
        gc.disable()
        with quiet_gc():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()
