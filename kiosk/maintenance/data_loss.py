"""What a migrate or rollback would remove from THIS database, step by step, before it runs.

The plan's steps are classified (kiosk.schema.step_classes) and walked in order over
a model of the tables that follows where the site's rows are: a table's rows are
"origins", each a set of rows of a table that exists now (its name and a condition)
with, for each column, the live column its values come from. A rebuild's copy
carries its origins to the new table (so dropping the old one loses only the columns
the copy leaves out); 1.4.0's rollback moves the archive into audit_logs, so a later
DROP TABLE audit_logs removes both tables' rows. Every removal is a `Piece`: rows of
a live table (all of them, or those a DELETE's condition picks), or the values of
some of its columns. A column value equal to the column's constant default does not
count: migrating up again puts exactly that value back.

Counts are one COUNT(*) per piece on the live database; nothing is written. What the
counts cover is what the export (kiosk.maintenance.export) writes: the same
conditions, read in one snapshot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import peewee as pw

from ..schema import step_classes
from ..schema.runner import Step as PlanStep
from ..schema.sql_ops import Op
from .validate import BOOKKEEPING

_CONSTANT = re.compile(r"^\(?(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false)\)?(?:::[a-z ]+)?$", re.IGNORECASE)
# What the migration machinery itself keeps (its history, SQLite's own tables): not the site's data.
NOT_DATA = (BOOKKEEPING - {"maintenance_runs"}) | {"sqlite_master"}


def quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


@dataclass
class Origin:
    """Rows of one live table, as they sit in one table of the plan's model."""

    table: str
    where: str | None
    columns: dict[str, str | None]  # column in the model's table -> live column (None: filled in by the plan)
    exact: bool = True


@dataclass
class _Table:
    columns: list[str]
    origins: list[Origin] = field(default_factory=list)
    dirty: bool = False  # rows written by an earlier statement of the plan: a DELETE's count is no longer exact
    copies: list[tuple[int, set[str]]] = field(default_factory=list)  # (id of origin, live columns carried) per copy


@dataclass(frozen=True)
class Piece:
    """Something a step removes: rows of a live table (columns empty) or the values of some of its columns."""

    table: str
    where: str | None
    columns: tuple[str, ...] = ()
    exact: bool = True


@dataclass
class StepForecast:
    version: str
    direction: str
    step: step_classes.Step
    pieces: list[Piece] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # live table -> whole rows removed
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # live table -> column -> values removed

    def to_json(self) -> dict:
        return {"version": self.version, "direction": self.direction, "class": self.step.klass, "what": self.step.what,
                "statements": self.step.statements, "rows": self.rows, "values": self.values}


@dataclass
class TableLoss:
    rows: int = 0  # whole rows removed
    values: dict[str, int] = field(default_factory=dict)  # column -> values removed (rows otherwise kept)
    export_rows: int = 0  # rows that lose anything: what the export holds
    exact: bool = True

    def text(self, table: str) -> str:
        """One table's loss in a few words: '3 row(s)', 'values in 2 row(s) (note, time_zone)'."""
        parts = [f"{self.rows} row(s)"] if self.rows else []
        kept = self.export_rows - self.rows
        if kept:
            parts.append(f"values in {kept} row(s) ({', '.join(sorted(c for c, n in self.values.items() if n))})")
        return ("at most " if not self.exact else "") + f"{table} " + " and ".join(parts)


@dataclass
class Forecast:
    steps: list[StepForecast]
    tables: dict[str, TableLoss]
    pieces: dict[str, list[Piece]]  # live table -> what leaves it (the export's conditions)

    @property
    def removes_data(self) -> bool:
        return any(t.export_rows for t in self.tables.values())

    def summary(self) -> str:
        return "; ".join(loss.text(t) for t, loss in sorted(self.tables.items()) if loss.export_rows)

    def counts(self) -> dict[str, int]:
        return {t: loss.export_rows for t, loss in sorted(self.tables.items()) if loss.export_rows}

    def to_json(self) -> dict:
        return {
            "removes_data": self.removes_data,
            "tables": {t: {"rows": x.rows, "values": x.values, "rows_exported": x.export_rows, "exact": x.exact}
                       for t, x in sorted(self.tables.items()) if x.export_rows},
            "steps": [s.to_json() for s in self.steps],
        }


def _and(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return f"({a}) AND ({b})"


class _Model:
    """The tables as the plan changes them, and what it removes (see the module docstring)."""

    def __init__(self, live: dict[str, list[str]]):
        self.tables = {t: _Table(list(cols), [Origin(t, None, {c: c for c in cols})]) for t, cols in live.items()}

    def columns(self) -> dict[str, list[str]]:
        return {t: list(s.columns) for t, s in self.tables.items()}

    def run(self, step: step_classes.Step) -> list[Piece]:
        out: list[Piece] = []
        for op in step.ops:
            out += self._op(op)
        return out

    def _op(self, op: Op) -> list[Piece]:
        t = self.tables.get(op.table)
        if op.kind == "create_table":
            self.tables[op.table] = _Table(list(op.columns))
        elif op.kind == "rename_table" and t is not None:
            self.tables[op.column] = self.tables.pop(op.table)
        elif t is None:
            return []
        elif op.kind == "add_column":
            t.columns.append(op.column)
            for o in t.origins:
                o.columns[op.column] = None
        elif op.kind == "rename_column" and op.column in t.columns:
            t.columns[t.columns.index(op.column)] = op.new_name
            for o in t.origins:
                o.columns[op.new_name] = o.columns.pop(op.column, None)
        elif op.kind in ("update", "insert_new"):
            t.dirty = True
        elif op.kind == "insert_copy":
            self._copy(op, t)
        elif op.kind == "drop_column":
            return self._drop_column(t, op.column)
        elif op.kind == "alter_type":  # values that do not fit the new type are lost: count them all
            return [Piece(o.table, o.where, (lc,), exact=False) for o in t.origins if (lc := o.columns.get(op.column))]
        elif op.kind == "delete":
            return self._delete(op, t)
        elif op.kind == "drop_table":
            return self._drop_table(self.tables.pop(op.table))
        return []

    def _copy(self, op: Op, target: _Table) -> None:
        source = self.tables.get(op.source)
        if source is None:
            return
        mapping = step_classes.copied_columns(op, source.columns, target.columns)
        target.dirty = True
        for o in source.origins:
            cols = {tc: o.columns.get(sc) for tc, sc in mapping.items()}
            target.origins.append(Origin(o.table, _and(o.where, op.where), {c: cols.get(c) for c in target.columns}, o.exact))
            if op.where is None:  # every row carried: dropping the source then loses only the columns left out
                source.copies.append((id(o), {lc for lc in cols.values() if lc}))

    def _drop_column(self, t: _Table, column: str) -> list[Piece]:
        out = [Piece(o.table, o.where, (lc,), o.exact) for o in t.origins if (lc := o.columns.get(column))]
        t.columns = [c for c in t.columns if c != column]
        for o in t.origins:
            o.columns.pop(column, None)
        return out

    def _delete(self, op: Op, t: _Table) -> list[Piece]:
        out, kept = [], []
        for o in t.origins:
            pristine = not t.dirty and o.table == op.table and o.where is None and all(k == v for k, v in o.columns.items())
            if op.where is not None and pristine:
                out.append(Piece(o.table, op.where))
                kept.append(Origin(o.table, f"({op.where}) IS NOT TRUE", o.columns))
            else:  # the condition cannot be read on the live table: every row it might pick counts
                out.append(Piece(o.table, o.where, exact=op.where is None and o.exact))
        t.origins, t.dirty = kept, True
        return out

    def _drop_table(self, t: _Table) -> list[Piece]:
        out = []
        for o in t.origins:
            carried = [cols for oid, cols in t.copies if oid == id(o)]
            if not carried:
                out.append(Piece(o.table, o.where, exact=o.exact))
                continue
            kept = set().union(*carried)
            lost = tuple(lc for lc in o.columns.values() if lc and lc not in kept)
            if lost:
                out.append(Piece(o.table, o.where, lost, o.exact))
        return out


def live_tables(database: pw.Database) -> dict[str, list[str]]:
    """The site's tables and their columns, as the database has them now."""
    return {t: [c.name for c in database.get_columns(t)] for t in sorted(database.get_tables())
            if t not in NOT_DATA and not t.startswith("sqlite_")}


def _carries(database: pw.Database, table: str, column: str) -> str:
    """The condition: this column holds a value that leaving would lose (not NULL, not its constant default)."""
    default = next((c.default for c in database.get_columns(table) if c.name == column), None)
    cond = f"{quote(column)} IS NOT NULL"
    if default is not None and _CONSTANT.match(str(default).strip()) and str(default).strip().upper() != "NULL":
        cond += f" AND {quote(column)} <> {default}"
    return cond


def condition(database: pw.Database, piece: Piece) -> str:
    """Which rows of the live table the piece takes something from."""
    if not piece.columns:
        return piece.where or "1 = 1"
    values = " OR ".join(f"({_carries(database, piece.table, c)})" for c in piece.columns)
    return _and(piece.where, values) or values


def count(database: pw.Database, table: str, where: str) -> int:
    return database.execute_sql(f"SELECT COUNT(*) FROM {quote(table)} WHERE {where}").fetchone()[0]


def forecast(database: pw.Database, plan: list[PlanStep]) -> Forecast:
    """Every step of the plan with its class and, for destructive ones, what it removes here."""
    live = live_tables(database)
    model = _Model(live)
    steps: list[StepForecast] = []
    pieces: dict[str, list[Piece]] = {}
    tables: dict[str, TableLoss] = {}
    for ps in plan:
        for step in step_classes.classify(ps.sql, model.columns()):
            sf = StepForecast(ps.file.version_text, ps.direction, step, model.run(step))
            for p in sf.pieces:
                loss = tables.setdefault(p.table, TableLoss())
                loss.exact = loss.exact and p.exact
                pieces.setdefault(p.table, []).append(p)
                if not p.columns:
                    n = count(database, p.table, condition(database, p))
                    sf.rows[p.table] = sf.rows.get(p.table, 0) + n
                for c in p.columns:
                    n = count(database, p.table, _and(p.where, _carries(database, p.table, c)) or "1 = 1")
                    sf.values.setdefault(p.table, {})[c] = sf.values.get(p.table, {}).get(c, 0) + n
            steps.append(sf)
    for table, loss in tables.items():
        whole = whole_row_condition(pieces[table])
        loss.rows = count(database, table, whole) if whole else 0
        loss.values = {}
        for p in pieces[table]:
            for c in p.columns:  # values of rows that stay: a row that leaves whole is counted once, above
                where = _and(_and(p.where, _carries(database, table, c)), f"({whole}) IS NOT TRUE" if whole else None)
                loss.values[c] = loss.values.get(c, 0) + count(database, table, where or "1 = 1")
        loss.export_rows = count(database, table, export_condition(database, pieces[table]))
    return Forecast(steps, tables, pieces)


def export_condition(database: pw.Database, pieces: list[Piece]) -> str:
    """The rows of one live table that lose anything: what the export writes."""
    return " OR ".join(f"({condition(database, p)})" for p in pieces)


def whole_row_condition(pieces: list[Piece]) -> str | None:
    """The rows that leave entirely (None: none do)."""
    whole = [p.where or "1 = 1" for p in pieces if not p.columns]
    return " OR ".join(f"({w})" for w in whole) if whole else None
