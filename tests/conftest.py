"""Shared fixtures: a fresh database per test, a pinned clock, the CLI in a subprocess.

The backend is SQLite (a file under tmp_path) unless KIOSK_TEST_PG_URL names a
PostgreSQL server (e.g. postgresql://postgres@127.0.0.1:PORT/postgres, as
`.ci/pg.sh run` or `make test-pg` set it): then `target` and `database` are a
fresh database `kiosk_test_<random>` on that server, dropped after the test.
A test that uses `database` gets a copy (CREATE DATABASE ... TEMPLATE) of one
database migrated once per test process, instead of running every migration
again: that is what keeps the PostgreSQL pass about as fast as the SQLite one.
Markers: `sqlite_only` (files, flock, PRAGMAs) and `postgres_only` tests are
skipped on the other backend.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from kiosk.clock import FixedClock
from kiosk.db import connect, resolve_target
from kiosk.schema import runner

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("KIOSK_TEST_PG_URL", "").strip()
BACKEND = "postgresql" if PG_URL else "sqlite"


def pytest_report_header(config):
    return f"kiosk database backend: {BACKEND}" + (f" ({PG_URL})" if PG_URL else "")


def pytest_collection_modifyitems(config, items):
    skip_other = pytest.mark.skip(reason=f"not for the {BACKEND} backend (KIOSK_TEST_PG_URL {'set' if PG_URL else 'unset'})")
    unwanted = "sqlite_only" if PG_URL else "postgres_only"
    once = pytest.mark.skip(reason="screen snapshots run once, on SQLite: rendering does not depend on the backend "
                                   "(the screens' behaviour on PostgreSQL is covered by the other TUI tests)")
    for item in items:
        if unwanted in item.keywords:
            item.add_marker(skip_other)
        elif PG_URL and "snap_compare" in getattr(item, "fixturenames", ()):
            item.add_marker(once)


def pg_url_for(dbname: str, server_url: str | None = None) -> str:
    """The server URL with its database name replaced."""
    parts = urlsplit(server_url or PG_URL)
    return urlunsplit(parts._replace(path="/" + dbname))


def _pg_admin():
    import psycopg

    try:
        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:  # a set but dead server must fail the run, not skip it
        pytest.fail(f"KIOSK_TEST_PG_URL={PG_URL} is set but the server cannot be reached: {exc}", pytrace=False)


class PgDatabases:
    """Creates throw-away databases on the test server and drops them all afterwards."""

    def __init__(self):
        self.created: list[str] = []

    def create(self, template: str | None = None) -> str:
        name = f"kiosk_test_{secrets.token_hex(6)}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"{copy}')
        self.created.append(name)
        return pg_url_for(name)

    def drop_all(self) -> None:
        if not self.created:
            return
        with _pg_admin() as admin:
            for name in self.created:  # FORCE ends sessions a test left open
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


FIXTURE_CLOCK = "2026-11-24 12:00:00"
_migrated_template: dict[str, str] = {}


def _pg_migrated_template() -> str:
    """The name of a database migrated to the latest version (once per test process)."""
    if "name" not in _migrated_template:
        dbs = PgDatabases()
        tpl_target = resolve_target(dbs.create())
        db = connect(tpl_target)
        try:
            runner.migrate(tpl_target, db, None, clock=FixedClock(FIXTURE_CLOCK))
        finally:
            db.close()
        # No session may use a template while it is copied; closed to connections, not even
        # autovacuum goes in, so CREATE DATABASE never waits (it polls for up to 5 s otherwise).
        with _pg_admin() as admin:
            admin.execute(f'ALTER DATABASE "{dbs.created[0]}" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true')
        _migrated_template["name"] = dbs.created[0]
    return _migrated_template["name"]


def pytest_sessionfinish(session, exitstatus):
    name = _migrated_template.pop("name", None)
    if name and PG_URL:
        try:
            with _pg_admin() as admin:
                admin.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:  # noqa: BLE001 - the server is thrown away after the run anyway
            pass


@pytest.fixture
def backend() -> str:
    """'sqlite' or 'postgresql': the backend this run's `target` uses."""
    return BACKEND


@pytest.fixture
def pg_databases():
    """Factory of fresh PostgreSQL databases (URLs) on the test server; postgres runs only."""
    if not PG_URL:
        pytest.skip("needs KIOSK_TEST_PG_URL (a PostgreSQL server): run 'make test-pg'")
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's KIOSK_DB or writes into the repository, and times on screen do not
    depend on the machine's time zone (time_zone '' means the machine's: here UTC)."""
    monkeypatch.delenv("KIOSK_DB", raising=False)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "kiosk.db"


@pytest.fixture
def target(request, db_path):
    """The test's database target: the SQLite file `db_path`, or a fresh PostgreSQL database."""
    if not PG_URL:
        return resolve_target(str(db_path))
    dbs = PgDatabases()
    request.addfinalizer(dbs.drop_all)
    # A test that asks for `database` gets it already migrated (see the module docstring).
    template = _pg_migrated_template() if "database" in request.fixturenames else None
    return resolve_target(dbs.create(template))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXTURE_CLOCK)


@pytest.fixture
def database(target, clock):
    """A database migrated to the latest schema, models bound to it."""
    db = connect(target)
    runner.migrate(target, db, None, clock=clock)  # on PostgreSQL a copy of a migrated one: nothing left to do
    yield db
    db.close()


@pytest.fixture
def auto_size():
    """Expiry/archive size their batches by time: a wall-clock reaction that would make batch
    counts depend on machine load. Tests pin them to the configured size; a test of the
    time-based sizing turns it back on with `@pytest.mark.parametrize("auto_size", [True])`."""
    return False


@pytest.fixture
def pin_hasher():
    """Argon2id at the smallest cost (tests/staff_support.py): the production parameters take ~0.2 s."""
    from staff_support import FAST_HASHER

    return FAST_HASHER


_AS_MANAGER = object()


@pytest.fixture
def booth(database, clock, auto_size, pin_hasher):
    """The business layer on the test database and the fixed clock, acting as the test's manager
    (tests/staff_support.py), so every action is permitted as it was before staff accounts."""
    from staff_support import as_manager, on_shift

    from kiosk.booth import Booth

    return on_shift(as_manager(Booth(database, clock, auto_size=auto_size, pin_hasher=pin_hasher)))


@pytest.fixture
def make_booth(auto_size, pin_hasher):
    """Booth(...) for tests that make their own, with the test's batch sizing, acting as the test's
    manager, its booth's shift open (when none is); `actor=None` gives one nobody has signed in to,
    `actor=X` one acting as X."""
    from staff_support import as_manager, on_shift

    from kiosk.booth import Booth

    def make(*args, actor=_AS_MANAGER, **kwargs):
        kwargs.setdefault("auto_size", auto_size)
        kwargs.setdefault("pin_hasher", pin_hasher)
        made = Booth(*args, **kwargs)
        if actor is _AS_MANAGER:
            return on_shift(as_manager(made))
        return made if actor is None else made.signed_in(actor)

    return make


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def kiosk_cli():
    """Run the real `kiosk` command in a subprocess (stdin empty unless `input=` is given), as an operator would.
    `free_bytes=n`: the disk-space probe reports n free bytes (tests/kiosk_full_disk.py)."""

    def run(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 120,
            free_bytes: int | None = None, input: str | None = None) -> CliResult:
        """`input`: what standard input holds (a pipe, not a terminal); default: nothing."""
        full_env = {**os.environ, **(env or {})}
        full_env.pop("KIOSK_DB", None) if env is None or "KIOSK_DB" not in env else None
        stdin = {"stdin": subprocess.DEVNULL} if input is None else {"input": input}
        command = [sys.executable, "-m", "kiosk"]
        if free_bytes is not None:
            command = [sys.executable, str(REPO / "tests" / "kiosk_full_disk.py")]
            full_env["KIOSK_TEST_FREE_BYTES"] = str(free_bytes)
        proc = subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            env=full_env,
            cwd=cwd,
            timeout=timeout,
            **stdin,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def free_disk(monkeypatch):
    """free_disk(n): the disk-space probe reports n free bytes in this process (in a `kiosk`
    subprocess: kiosk_cli(..., free_bytes=n))."""
    from kiosk.maintenance import facts

    return lambda n: monkeypatch.setattr(facts, "free_bytes", lambda _folder: n)


@pytest.fixture
def make_app(booth, target, database, clock, tmp_path):
    """The terminal on the test database, signed in: make_app() opens on Entry as the test's manager,
    make_app("payment") on Payment, make_app(role="attendant") signed in as an attendant of that
    role instead (tests/staff_support.py: `staff_name(role)`, PIN TEST_PIN). The spot feed never
    re-reads on its own during a test (an hour between reads), nor is the idle lock checked by a
    timer (tests call app.session.check_idle with a later clock)."""
    from staff_support import person, staff_name

    from kiosk.tui.app import build_app
    from kiosk.tui.services import booth_services

    def make(mode="entry", role=None, **options):
        acting = booth if role is None else booth.signed_in(person(booth, staff_name(role), role))
        services = booth_services(acting, receipts_dir=tmp_path / "receipts", refresh_seconds=3600.0)
        options.setdefault("idle_check_seconds", None)
        return build_app(target, database, "1.5.0", services=services, clock=clock, mode=mode, freeze_gc=False,
                         **options)

    return make


@pytest.fixture
def make_front_app(target, database, clock, tmp_path, auto_size, pin_hasher):
    """The terminal as `kiosk` starts it on the test database, nobody signed in: it opens on the
    sign-in screen (or, with no staff account yet, on the one creating the first manager). The idle
    lock is not checked by a timer (tests call app.session.check_idle with a later clock)."""
    from kiosk.booth import Booth
    from kiosk.tui.app import build_app
    from kiosk.tui.services import booth_services

    def make(mode="entry", **options):
        site = Booth(database, clock, auto_size=auto_size, pin_hasher=pin_hasher)
        services = booth_services(site, receipts_dir=tmp_path / "receipts", refresh_seconds=3600.0)
        options.setdefault("idle_check_seconds", None)
        return build_app(target, database, "1.9.0", services=services, clock=clock, mode=mode, freeze_gc=False,
                         **options)

    return make
