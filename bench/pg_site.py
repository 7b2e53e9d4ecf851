"""A throw-away PostgreSQL 15 server for the booth figures, and the generated site loaded into it.

The server is the test suite's (`.ci/pg.sh start DIR` / `stop DIR`: trust authentication on
127.0.0.1, fsync off), in a folder of its own that is stopped and deleted when the `with`
block ends, on an error, Ctrl-C or SIGTERM alike. Its data goes to disk ($TMPDIR or /tmp,
KIOSK_PG_TMPDIR chooses) rather than /dev/shm: the full site is ~6 GB.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .common import log

REPO = Path(__file__).resolve().parent.parent
PG_SH = REPO / ".ci" / "pg.sh"
# One account for every booth process; each signs in with it and opens its own shift.
MANAGER, PIN = "Bench Manager", "24681357"


class Server:
    """`with Server() as srv:` a running server; `srv.url(db)`, `srv.create(db)`, `srv.postmaster_pid()`."""

    def __init__(self, root: str | None = None):
        self.root = root or os.environ.get("KIOSK_PG_TMPDIR") or tempfile.gettempdir()
        self.dir: Path | None = None
        self._base = ""
        self._old_term = None

    def __enter__(self) -> "Server":
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-pg-bench.", dir=self.root))
        # SIGTERM ends the run like Ctrl-C does: through the `finally` that stops the server.
        self._old_term = signal.signal(signal.SIGTERM, _raise_exit)
        try:
            t0 = time.perf_counter()
            out = subprocess.run(["bash", str(PG_SH), "start", str(self.dir)], capture_output=True, text=True,
                                 env={**os.environ, "KIOSK_PG_TMPDIR": self.root}, timeout=180, stdin=subprocess.DEVNULL)
            if out.returncode != 0:
                raise RuntimeError(f"could not start PostgreSQL: {out.stderr.strip()[-600:]}")
            self._base = out.stdout.strip().rsplit("/", 1)[0]
            log(f"  PostgreSQL {self.version()} started in {time.perf_counter() - t0:.1f} s ({self.dir})")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.dir is not None:
            subprocess.run(["bash", str(PG_SH), "stop", str(self.dir)], capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL)
            self.dir = None
        if self._old_term is not None:
            signal.signal(signal.SIGTERM, self._old_term)
            self._old_term = None

    def url(self, database: str = "postgres") -> str:
        return f"{self._base}/{database}"

    def admin(self):
        import psycopg

        return psycopg.connect(self.url(), autocommit=True)

    def create(self, database: str) -> str:
        with self.admin() as con:
            con.execute(f'DROP DATABASE IF EXISTS "{database}"')
            con.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)

    def version(self) -> str:
        with self.admin() as con:
            return con.execute("SHOW server_version").fetchone()[0]

    def postmaster_pid(self) -> int:
        assert self.dir is not None
        return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])


def _raise_exit(signum, frame):
    raise SystemExit(128 + signum)


def load_site(url: str, scale: float) -> dict:
    """The generated site (bench/generate.py's generate_postgres) in the empty database `url`, plus
    the one staff account the booths sign in with. Returns the generator's metadata."""
    from kiosk.booth import Booth
    from kiosk.db import connect, resolve_target

    from .generate import generate_postgres

    import psycopg

    meta = generate_postgres(url, scale, log=lambda m: log("  " + m.strip()))
    # The load is millions of fresh inserts: left alone, autovacuum works through them during the
    # first windows measured (seen: the server's CPU per cycle doubled for whichever side ran first).
    # A site restored long ago has had that done; so has this one before anything is timed.
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("VACUUM")
    meta["vacuum_s"] = round(time.perf_counter() - t0, 1)
    log(f"  VACUUM after the load: {meta['vacuum_s']} s")
    database = connect(resolve_target(url), role="bench-setup")
    try:
        Booth(database).create_first_manager(MANAGER, PIN)
    finally:
        database.close()
    return meta


def table_bytes(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as con:
        return con.execute("SELECT pg_database_size(current_database())").fetchone()[0]
