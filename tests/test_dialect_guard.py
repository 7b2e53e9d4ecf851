"""What differs between databases lives in one module per database: kiosk/backends/<name>.py and
kiosk/maintenance/sites/<name>.py (with its private helpers beside it). Anywhere else, a test of
which database the kiosk is on is a branch the next database would have to find and extend.

Reads the source (tokens, so comments and docstrings may name a database freely) for the
names `is_sqlite` / `is_postgresql` and for the string literals "sqlite", "postgresql" and
"postgres" (an `== "postgresql"`, a dict keyed by backend name, a `kind="sqlite"`).
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

from kiosk.backends import POSTGRESQL, SQLITE
from kiosk.maintenance.sites import Site, site_for

KIOSK = Path(__file__).resolve().parent.parent / "kiosk"

# Where a database's own code lives.
HOMES = ("backends", "maintenance/sites")

# The only other places, and why.
ALLOWED = {
    # Parsing `--db TARGET` is where a file path becomes a SQLite target and a postgresql:// URL a
    # PostgreSQL one: the kinds have to be named once, before any backend can be chosen for them.
    "db.py": "Target parsing",
    # Migration files hold their SQL per dialect as data ({"sqlite": [...], "postgresql": [...]}); the
    # lookup by the backend's name is how a migration runs on each database.
    "schema/steps.py": "the per-dialect migration SQL lookup",
}

NAMES = {"is_sqlite", "is_postgresql"}
LITERALS = {"sqlite", "postgresql", "postgres"}


def dialect_branches(source: str) -> list[tuple[int, str]]:
    """(line, token) of every database name tested in `source`."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in NAMES:
            found.append((tok.start[0], tok.string))
        elif tok.type == tokenize.STRING and tok.string.strip("rRbBuU").strip("'\"").lower() in LITERALS:
            found.append((tok.start[0], tok.string))
    return found


def test_no_dialect_branch_outside_the_backends_and_the_maintenance_sites():
    offenders = []
    for path in sorted(KIOSK.rglob("*.py")):
        rel = path.relative_to(KIOSK).as_posix()
        if rel.startswith(HOMES) or rel in ALLOWED:
            continue
        offenders += [f"kiosk/{rel}:{line}: {text}" for line, text in dialect_branches(path.read_text())]
    assert not offenders, (
        "a test of which database the kiosk is on, outside kiosk/backends/ and kiosk/maintenance/sites/: "
        "ask the backend (kiosk.backends.backend_for) or the maintenance site (kiosk.maintenance.sites.site_for) "
        "instead:\n" + "\n".join(offenders)
    )


def test_the_allowed_exceptions_still_exist():
    for rel in ALLOWED:
        assert (KIOSK / rel).is_file(), f"kiosk/{rel} is gone: remove it from ALLOWED"


@pytest.mark.parametrize("source", [
    'if kind == "postgresql": pass',
    'HOW = {"sqlite": 1, "postgresql": 2}',
    "Target(raw=raw, kind='sqlite')",
    "if target.is_sqlite: pass",
])
def test_the_guard_sees_each_kind_of_branch(source):
    assert dialect_branches(source)


def test_the_guard_lets_words_in_comments_and_docstrings_pass():
    assert dialect_branches('"""On sqlite or postgresql."""\nx = 1  # "sqlite"\ny = "sqlite_master"\n') == []


@pytest.mark.parametrize("backend", [SQLITE, POSTGRESQL], ids=lambda b: b.name)
def test_every_backend_has_a_maintenance_site(backend):
    site = site_for(backend.name)
    assert isinstance(site, Site) and type(site).__module__ == f"kiosk.maintenance.sites.{backend.name}"
