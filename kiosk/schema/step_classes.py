"""The class of every step of a migration: what it does to the rows a site holds.

- additive: creates a table, column, index or trigger, or adds rows; nothing leaves.
- neutral: drops or renames something that holds no data of its own (an index, a trigger).
- rewrite: changes values in place (UPDATE); no row or column leaves.
- rebuild: a table's rows copied into another table before it is dropped (to change
  its definition, or to move rows back); every row and column is kept.
- destructive: drops a table or a column, deletes rows, changes a column's type,
  adds NOT NULL without a default, or a rebuild that leaves rows or columns out.

The class is read from the SQL itself (kiosk.schema.sql_ops), statement by
statement, with the columns each table has at that point (from the migrations
before it, or from the live database), and grouped: the CREATE / INSERT ... SELECT /
DROP / RENAME of a rebuild are one step. Each file's classes are also declared, so
that a change in what the reader derives, or a new file nobody classified, fails a
test (tests/test_schema_step_classes.py). Files 001-009 are declared below and not
in themselves: their checksum (SHA-256 of the whole file) is recorded in every
site's history, and editing them would make every site's history disagree. A newer
file declares `STEP_CLASSES = {"up": {...}, "down": {...}}` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from .files import MigrationFile
from .sql_ops import Op, parse
from .steps import DIALECTS

ADDITIVE, NEUTRAL, REWRITE, REBUILD, DESTRUCTIVE, UNKNOWN = "additive", "neutral", "rewrite", "rebuild", "destructive", "unknown"
CLASSES = (ADDITIVE, NEUTRAL, REWRITE, REBUILD, DESTRUCTIVE)

_SINGLE = {
    "create_table": ADDITIVE, "create_index": ADDITIVE, "create_trigger": ADDITIVE, "create_function": ADDITIVE,
    "drop_trigger": NEUTRAL, "drop_function": NEUTRAL, "insert_new": ADDITIVE, "insert_copy": ADDITIVE,
    "add_column": ADDITIVE, "drop_index": NEUTRAL, "rename_table": NEUTRAL, "rename_column": NEUTRAL,
    "alter_neutral": NEUTRAL, "update": REWRITE, "drop_table": DESTRUCTIVE, "drop_column": DESTRUCTIVE,
    "delete": DESTRUCTIVE, "alter_type": DESTRUCTIVE, "set_not_null": DESTRUCTIVE,
}

# The released files' classes (see the module docstring), per direction; the same on both databases.
DECLARED: dict[str, dict[str, frozenset[str]]] = {
    "001_v1_0_0__initial_schema": {"up": frozenset({ADDITIVE}), "down": frozenset({DESTRUCTIVE})},
    "002_v1_1_0__vehicle_tracking": {"up": frozenset({ADDITIVE}), "down": frozenset({DESTRUCTIVE})},
    "003_v1_2_0__payments": {"up": frozenset({ADDITIVE}), "down": frozenset({DESTRUCTIVE})},
    "004_v1_3_0__parking_rates": {"up": frozenset({ADDITIVE}), "down": frozenset({DESTRUCTIVE})},
    "005_v1_4_0__data_lifecycle": {"up": frozenset({ADDITIVE}), "down": frozenset({NEUTRAL, REBUILD})},
    # Up: the older duplicate rates are deleted before the one-rate-per-type index.
    "006_v1_5_0__booth_rules": {"up": frozenset({ADDITIVE, REWRITE, DESTRUCTIVE}), "down": frozenset({NEUTRAL, DESTRUCTIVE})},
    "007_v1_6_0__maintenance": {"up": frozenset({ADDITIVE}), "down": frozenset({NEUTRAL, DESTRUCTIVE})},
    "008_v1_7_0__drop_duplicate_plate_index": {"up": frozenset({NEUTRAL}), "down": frozenset({ADDITIVE})},
    "009_v1_8_0__hardening": {"up": frozenset({ADDITIVE, REWRITE}), "down": frozenset({REWRITE, NEUTRAL, DESTRUCTIVE})},
}

Schema = dict[str, list[str]]  # table -> its columns, in order


@dataclass(frozen=True)
class Step:
    """One statement, or the statements of one rebuild, with its class and what it does."""

    klass: str
    ops: tuple[Op, ...]
    what: str
    sql: tuple[str, ...] = ()  # the statements as the migration file has them
    left_out: tuple[str, ...] = ()  # a rebuild's columns of the old table that the copy does not carry

    @property
    def statements(self) -> list[str]:
        return list(self.sql)


def copied_columns(op: Op, source_cols: list[str], target_cols: list[str]) -> dict[str, str]:
    """insert_copy: target column -> the source column it is read from."""
    src = source_cols if op.source_columns == ("*",) else list(op.source_columns)
    dst = target_cols if op.columns == ("*",) else list(op.columns)
    return dict(zip(dst, src))


def apply(schema: Schema, op: Op) -> None:
    """What a statement does to the tables' columns."""
    if op.kind == "create_table":
        schema[op.table] = list(op.columns)
    elif op.kind == "drop_table":
        schema.pop(op.table, None)
    elif op.kind == "rename_table" and op.table in schema:
        schema[op.column] = schema.pop(op.table)
    elif op.kind == "add_column":
        schema.setdefault(op.table, []).append(op.column)
    elif op.kind == "drop_column" and op.column in schema.get(op.table, []):
        schema[op.table].remove(op.column)
    elif op.kind == "rename_column" and op.column in schema.get(op.table, []):
        cols = schema[op.table]
        cols[cols.index(op.column)] = op.new_name


def _what(op: Op) -> str:
    return {
        "create_table": f"creates table {op.table}",
        "create_index": f"creates an index on {op.table}",
        "create_trigger": f"adds a guard refusing changes to {op.table}",
        "create_function": "creates the function a guard trigger calls (it only raises)",
        "drop_trigger": "drops a trigger (it holds no data of its own)",
        "drop_function": "drops a trigger's function (it holds no data of its own)",
        "insert_new": f"adds rows to {op.table}",
        "insert_copy": f"copies rows of {op.source} into {op.table}",
        "add_column": f"adds column {op.table}.{op.column}"
                      + (" NOT NULL without a default (fails on a table with rows)" if op.not_null_without_default else ""),
        "drop_index": "drops an index (it holds no data of its own)",
        "rename_table": f"renames table {op.table} to {op.column}",
        "rename_column": f"renames column {op.table}.{op.column} to {op.new_name}",
        "alter_neutral": f"changes the default or nullability of {op.table}.{op.column}",
        "update": f"rewrites values in {op.table}",
        "drop_table": f"drops table {op.table}",
        "drop_column": f"drops column {op.table}.{op.column}",
        "delete": f"deletes rows of {op.table}",
        "alter_type": f"changes the type of {op.table}.{op.column}",
        "set_not_null": f"makes {op.table}.{op.column} NOT NULL (fails on a row holding NULL)",
    }.get(op.kind, "a statement the kiosk cannot classify")


def _single_class(op: Op) -> str:
    if op.kind == "add_column" and op.not_null_without_default:
        return DESTRUCTIVE
    return _SINGLE.get(op.kind, UNKNOWN)


def _rebuild_groups(ops: list[Op]) -> list[list[int]]:
    """Each rebuild: [CREATE new,] INSERT INTO new SELECT ... FROM old, DROP old[, RENAME new TO old]."""
    groups, used = [], set()
    for j, drop in enumerate(ops):
        if drop.kind != "drop_table":
            continue
        copies = [i for i in range(j) if i not in used and ops[i].kind == "insert_copy" and ops[i].source == drop.table]
        if not copies:
            continue
        i = copies[-1]
        new = ops[i].table
        members = [i, j]
        members += [k for k in range(i) if ops[k].kind == "create_table" and ops[k].table == new and k not in used][-1:]
        members += [k for k in range(j + 1, len(ops)) if ops[k].kind == "rename_table" and ops[k].table == new
                    and ops[k].column == drop.table and k not in used][:1]
        used.update(members)
        groups.append(sorted(members))
    return groups


def classify(statements: list[str], schema: Schema | None = None) -> list[Step]:
    """The steps of one version in one direction. `schema`: the tables' columns before the
    first statement (updated in place to what they are after the last)."""
    schema = {} if schema is None else schema
    ops = [parse(s) for s in statements]
    groups = {g[0]: g for g in _rebuild_groups(ops)}
    member_of = {k: g[0] for g in groups.values() for k in g}
    left_out: dict[int, tuple[str, ...]] = {}
    partial: dict[int, bool] = {}
    for k, op in enumerate(ops):
        if k in member_of and op.kind == "insert_copy":
            source = schema.get(op.source, [])
            kept = set(copied_columns(op, source, schema.get(op.table, [])).values())
            left_out[member_of[k]] = tuple(c for c in source if c not in kept)
            partial[member_of[k]] = op.where is not None
        apply(schema, op)
    steps = []
    for k, op in enumerate(ops):
        if k in groups:
            members = tuple(ops[m] for m in groups[k])
            copy = next(m for m in members if m.kind == "insert_copy")
            renamed = any(m.kind == "rename_table" for m in members)
            what = (f"rebuilds {copy.source} (copied into {copy.table}, renamed back)" if renamed
                    else f"copies every row of {copy.source} into {copy.table}, then drops {copy.source}")
            lost = left_out.get(k, ())
            if lost:
                what += f"; leaves out {', '.join(lost)}"
            if partial.get(k):
                what += "; copies only some rows"
            klass = DESTRUCTIVE if lost or partial.get(k) else REBUILD
            steps.append(Step(klass, members, what, tuple(statements[m] for m in groups[k]), lost))
        elif k not in member_of:
            steps.append(Step(_single_class(op), (op,), _what(op), (statements[k],)))
    return steps


def declared(f: MigrationFile) -> dict[str, frozenset[str]] | None:
    """The classes a file declares (itself, or in DECLARED for the released files); None if it does not."""
    own = f.migrate.__globals__.get("STEP_CLASSES")
    if isinstance(own, dict):
        return {d: frozenset(own.get(d, ())) for d in ("up", "down")}
    return DECLARED.get(f.name)


def classify_files(files: list[MigrationFile], dialect: str) -> dict[str, dict[str, list[Step]]]:
    """Every file's steps, both directions, on one dialect (each file on the schema the ones before it made)."""
    schema: Schema = {}
    out: dict[str, dict[str, list[Step]]] = {}
    for f in files:
        up = classify(list(f.up.get(dialect, [])), schema)
        after = {t: list(c) for t, c in schema.items()}
        down = classify(list(f.down.get(dialect, [])), {t: list(c) for t, c in after.items()})
        out[f.name] = {"up": up, "down": down}
    return out




def problems(files: list[MigrationFile]) -> list[str]:
    """Where the files' steps are not all classified, or differ from what the files declare; empty when none."""
    out = []
    for dialect in DIALECTS:
        found = classify_files(files, dialect)
        for f in files:
            decl = declared(f)
            if decl is None:
                out.append(f"{f.name}.py declares no step classes: add STEP_CLASSES = {{'up': {{...}}, 'down': {{...}}}} "
                           f"(one of {', '.join(CLASSES)})")
            for direction in ("up", "down"):
                if dialect not in (f.up if direction == "up" else f.down):
                    out.append(f"{f.name}.py has no {direction.upper()} SQL for {dialect}: its steps cannot be classified")
                    continue
                steps = found[f.name][direction]
                out += [f"{f.name}.py ({direction}, {dialect}): cannot classify '{s.ops[0].sql[:80]}'"
                        for s in steps if s.klass == UNKNOWN]
                classes = frozenset(s.klass for s in steps)
                if decl is not None and classes != decl[direction]:
                    out.append(f"{f.name}.py ({direction}, {dialect}): the SQL reads as {sorted(classes)}, "
                               f"the declaration says {sorted(decl[direction])}")
    return out
