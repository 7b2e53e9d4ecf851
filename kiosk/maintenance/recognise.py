"""Recognising a database built by hand from the migration plan: which schema version it is.

Sites typed the plan's SQL (versions 1.0.0-1.3.0) into databases that have no kiosk history.
Such a database's whole schema (schema_catalog) is compared with what the kiosk's own
migrations build at each plan version (schema_compare.expected: a scratch schema of the same
backend, so PostgreSQL is compared with the kiosk's PostgreSQL DDL). The closest version wins.
Every difference has a stable name (`missing-index:idx_audit_logs_entity`) and an action, what
adopting does about it:

  equivalent  spelled differently, means the same (see equivalence): nothing to do
  repair      adopt puts it right without touching a row (creates a missing index of the version;
              drops an extra index that a later version creates again)
  accept      adopt goes ahead only if the operator names it (`--accept NAME`); `consequence` says
              what then happens to it
  refuse      no version can be adopted with it (a table missing or extra, a column of another
              type, a trigger, a view, ...): described, never migrated
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import peewee as pw

from ..errors import KioskError
from ..schema import history
from ..schema.files import MigrationFile, Version, format_version
from ..schema.steps import dialect_of
from . import equivalence, schema_catalog, schema_compare

# The versions the migration plan's SQL defines; later ones exist only as the kiosk's files, whose
# databases always carry history. `adopt --as` may still name any version the kiosk knows.
PLAN_LATEST: Version = (1, 3, 0)
ACTIONS = ("refuse", "accept", "repair", "equivalent")  # the order they are listed in
LISTED = 8  # refusals named in a one-line summary (status and the differences list them all)

_CREATE_INDEX = re.compile(r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)\"?\s", re.I)
_ON_TABLE = re.compile(r"\sON\s+(?:ONLY\s+)?\"?(\w+)\"?", re.I)


@dataclass(frozen=True)
class Difference:
    name: str  # stable: what `--accept` takes
    action: str  # one of ACTIONS
    message: str  # what differs
    consequence: str = ""  # what adopting does about it (for "accept": once accepted)
    sql: tuple[str, ...] = ()  # what adopt runs for it (a repair, or an accepted drop)

    def to_json(self) -> dict:
        return {"name": self.name, "action": self.action, "message": self.message,
                "consequence": self.consequence, "sql": list(self.sql)}


@dataclass
class Recognition:
    """What an unversioned database is: `version` matched (or the closest), None when no table is the kiosk's."""

    tables: list[str]
    version: Version | None
    differences: list[Difference] = field(default_factory=list)

    @property
    def adoptable(self) -> bool:
        return self.version is not None and not self.of("refuse")

    @property
    def exact(self) -> bool:
        return self.adoptable and all(d.action == "equivalent" for d in self.differences)

    def of(self, action: str) -> list[Difference]:
        return [d for d in self.differences if d.action == action]

    @property
    def label(self) -> str:
        return format_version(self.version)

    def describe(self) -> str:
        """What the schema is, as one phrase."""
        if self.version is None:
            more = f" and {len(self.tables) - 6} more" if len(self.tables) > 6 else ""
            return f"none of its tables ({', '.join(self.tables[:6])}{more}) is the kiosk's"
        what = f"the migration plan's {self.label}" if self.version <= PLAN_LATEST else f"the kiosk's {self.label}"
        if self.exact:
            return f"its schema is exactly {what}"
        if self.adoptable:
            names = [d.name for d in self.differences if d.action != "equivalent"]
            return f"its schema is {what} with {len(names)} difference(s) ({', '.join(names)})"
        return f"its schema matches no version the kiosk can adopt (closest {self.label}: {self.refusals()})"

    def refusals(self) -> str:
        """The differences no version may have, in one line (the first few, and how many more)."""
        refused = "; ".join(d.message for d in self.of("refuse")[:LISTED])
        more = len(self.of("refuse")) - LISTED
        return refused + (f"; and {more} more" if more > 0 else "")

    def summary(self) -> str:
        return f"no kiosk history; {self.describe()}"

    def next_step(self) -> str | None:
        """The command to run next, or None when there is none."""
        if not self.adoptable:
            return None
        accepts = "".join(f" --accept {d.name}" for d in self.of("accept"))
        return f"kiosk --maintenance adopt{accepts}, then kiosk --maintenance migrate"

    def to_json(self) -> dict:
        return {
            "tables": self.tables,
            "version": format_version(self.version) if self.version is not None else None,
            "adoptable": self.adoptable,
            "exact": self.exact,
            "summary": self.describe(),
            "differences": [d.to_json() for d in self.differences],
            "next": self.next_step(),
        }


def unversioned(database: pw.Database, files: list[MigrationFile]) -> Recognition | None:
    """What a database without kiosk history is; None when it has history, or no table of its own
    (`migrate` creates the schema in an empty one). Never writes."""
    if history.read_history(database, files):
        return None
    have = schema_catalog.describe(database)
    if not _tables(have):
        return None
    return recognise(database, files, have=have)


def recognise(database: pw.Database, files: list[MigrationFile], version: Version | None = None,
              have: schema_catalog.Schema | None = None) -> Recognition:
    """The schema against `version`, or against each plan version (the closest is returned)."""
    have = have if have is not None else schema_catalog.describe(database)
    tables = _tables(have)
    candidates = [version] if version is not None else [f.version for f in files if f.version <= PLAN_LATEST]
    if version is None and not set(tables) & set(_tables(_expected(database, files, candidates[-1]))):
        return Recognition(tables, None)
    best: Recognition | None = None
    for v in candidates:
        found = Recognition(tables, v, compare(database, files, v, have))
        if best is None or _score(found) <= _score(best):  # ties go to the later version
            best = found
    assert best is not None
    return best


def _score(r: Recognition) -> tuple[int, int, int]:
    """Fewest tables missing or extra first (a table with the wrong columns is closer than none), then
    fewest refusals, then the fewest differences adopt must deal with."""
    tables = [d for d in r.of("refuse") if d.name.startswith(("missing-table:", "extra-table:"))]
    return len(tables), len(r.of("refuse")), len(r.of("accept")) + len(r.of("repair"))


def _tables(schema: schema_catalog.Schema) -> list[str]:
    return sorted(k.split(" ", 1)[1] for k in schema if k.startswith("table "))


def _expected(database: pw.Database, files: list[MigrationFile], version: Version) -> schema_catalog.Schema:
    try:
        return schema_compare.expected(database, files, version)
    except schema_compare.CannotCompare as exc:
        raise KioskError(str(exc)) from None


def compare(database: pw.Database, files: list[MigrationFile], version: Version,
            have: schema_catalog.Schema) -> list[Difference]:
    """Every difference between `have` and the kiosk's schema `version`, named and classified."""
    want = _expected(database, files, version)
    ctx = _Context(database, files, version, want, have)
    out: list[Difference] = []
    missing_tables = set(_tables(want)) - set(_tables(have))
    extra_tables = set(_tables(have)) - set(_tables(want))
    gone = missing_tables | extra_tables
    # On PostgreSQL a constraint's own index is listed too: the constraint speaks for both.
    backing = {k.rsplit(".", 1)[-1] for k in set(want) | set(have) if k.startswith("constraint ") and "(" not in k}
    for key in sorted(set(want) | set(have)):
        kind, obj = _split(key)
        table = _table_of(kind, obj, want.get(key) or have.get(key, ""))
        if (kind != "table" and table in gone) or (kind == "index" and obj in backing):
            continue
        if key in want and key in have:
            found = ctx.changed(key, kind, obj) if want[key] != have[key] else None
            if found is not None:
                out.append(found)
        else:
            out.append(ctx.missing(key, kind, obj) if key in want else ctx.extra(key, kind, obj))
    if "system_config" in _tables(want) and "system_config" in _tables(have):
        if database.execute_sql("SELECT COUNT(*) FROM system_config").fetchone()[0] == 0:
            out.append(Difference(
                "missing-row:system_config", "accept",
                "system_config has no row (the plan's 1.0.0 inserts one: retention 24 hours)",
                "adopt writes no row of the site's; migrate (1.5.0) inserts that default row, "
                "so personal data is kept 24 hours until you change it in Configuration"))
    return sorted(out, key=lambda d: (ACTIONS.index(d.action), d.name))


def _split(key: str) -> tuple[str, str]:
    if key.startswith("foreign key "):
        return "foreign-key", key[len("foreign key "):]
    kind, obj = key.split(" ", 1)
    return kind, obj


def _table_of(kind: str, obj: str, definition: str) -> str | None:
    if kind in ("table", "foreign-key", "constraint"):
        return re.split(r"[.(]", obj, maxsplit=1)[0]
    if kind == "column":
        return obj.split(".", 1)[0]
    if kind == "index":
        m = _ON_TABLE.search(definition)
        return m.group(1) if m else None
    return None


@dataclass
class _Context:
    database: pw.Database
    files: list[MigrationFile]
    version: Version
    want: schema_catalog.Schema
    have: schema_catalog.Schema

    @property
    def label(self) -> str:
        return format_version(self.version)

    def changed(self, key: str, kind: str, obj: str) -> Difference | None:
        want, have = self.want[key], self.have[key]
        if equivalence.same_spelling(key, want, have):
            return Difference(f"equivalent:{_name(obj)}", "equivalent", f"{kind} {obj} is {have} (the kiosk writes {want})",
                              "the same to the database: nothing to do")
        if kind == "table":
            if equivalence.same_columns(key, want, have):
                return Difference(
                    f"column-order:{obj}", "accept", f"table {obj} has its columns in another order ({have}; the kiosk's: {want})",
                    "kept as it is (the kiosk names every column it reads or writes; your own SQL that "
                    "relies on column positions, such as INSERT without column names, sees this order)")
            if equivalence.same_column_set(want, have):  # where the order matters
                return Difference(f"column-order:{obj}", "refuse",
                                  f"table {obj} has its columns in another order ({have}; the kiosk's: {want}), and "
                                  "audit rows are archived by position (INSERT ... SELECT *)")
            return None  # a column missing or extra: listed as such
        if kind == "index":
            drop, create = f"DROP INDEX {obj}", self._create_sql(obj)
            if create:
                return Difference(f"index:{obj}", "accept", f"index {obj} is {have}, schema {self.label} has {want}",
                                  f"adopt drops it and creates the kiosk's ({create}); an index holds no rows",
                                  (drop, create))
        return Difference(f"{kind}:{_name(obj)}", "refuse", f"{kind} {obj} is {have}, schema {self.label} has {want}")

    def missing(self, key: str, kind: str, obj: str) -> Difference:
        if kind == "index":
            create = self._create_sql(obj)
            if create:
                return Difference(f"missing-index:{obj}", "repair", f"index {obj} is missing",
                                  f"adopt creates it ({create}); no row changes", (create,))
        what = f"column {obj} ({self.want[key]})" if kind == "column" else f"{kind.replace('-', ' ')} {obj}"
        return Difference(f"missing-{kind}:{_name(obj)}", "refuse", f"{what} is missing")

    def extra(self, key: str, kind: str, obj: str) -> Difference:
        have = self.have[key]
        if kind == "index":
            drop = (f"DROP INDEX {obj}",)
            later = self._later_index(obj)
            if later is not None and equivalence.canonical(later[1]) == equivalence.canonical(have):
                return Difference(
                    f"extra-index:{obj}", "repair", f"index {obj} is not part of schema {self.label}; schema {later[0]} creates it",
                    f"adopt drops it and migrate ({later[0]}) makes the same index again; no row changes", drop)
            also = f" (and schema {later[0]} creates an index of that name)" if later else ""
            return Difference(
                f"extra-index:{obj}", "accept", f"index {obj} ({have}) is not part of schema {self.label}{also}",
                "adopt drops it (an index holds no rows; the kiosk's checks and restore admit only its own indexes)",
                drop)
        what = f"column {obj} ({have})" if kind == "column" else f"{kind.replace('-', ' ')} {obj}"
        return Difference(f"extra-{kind}:{_name(obj)}", "refuse", f"{what} is not part of schema {self.label}")

    def _create_sql(self, name: str) -> str | None:
        """The kiosk's own statement creating index `name` at this version (the latest one that does)."""
        found = None
        for f in self.files:
            if f.version <= self.version:
                found = _index_statement(f, name, dialect_of(self.database)) or found
        return found

    def _later_index(self, name: str) -> tuple[str, str] | None:
        """(version, definition) of the first later version whose files create index `name`."""
        for f in self.files:
            if f.version > self.version and _index_statement(f, name, dialect_of(self.database)):
                return f.version_text, _expected(self.database, self.files, f.version).get(f"index {name}", "")
        return None


def _index_statement(f: MigrationFile, name: str, dialect: str) -> str | None:
    for sql in f.up.get(dialect, []):
        m = _CREATE_INDEX.match(sql)
        if m and m.group(1).lower() == name.lower():
            return " ".join(sql.split())
    return None


def _name(obj: str) -> str:
    return obj.replace(" ", "")
