"""Shared fixtures: a fresh file database per test, a pinned clock, the CLI in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.clock import FixedClock
from kiosk.db import connect, resolve_target
from kiosk.schema import runner

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's KIOSK_DB or writes into the repository."""
    monkeypatch.delenv("KIOSK_DB", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "kiosk.db"


@pytest.fixture
def target(db_path):
    return resolve_target(str(db_path))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock("2026-11-24 12:00:00")


@pytest.fixture
def database(target, clock):
    """A database migrated to the latest schema, models bound to it."""
    db = connect(target)
    runner.migrate(target, db, None, clock=clock)
    yield db
    db.close()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def kiosk_cli():
    """Run the real `kiosk` command in a subprocess (no stdin), as an operator would."""

    def run(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 120) -> CliResult:
        full_env = {**os.environ, **(env or {})}
        full_env.pop("KIOSK_DB", None) if env is None or "KIOSK_DB" not in env else None
        proc = subprocess.run(
            [sys.executable, "-m", "kiosk", *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=cwd,
            timeout=timeout,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run
